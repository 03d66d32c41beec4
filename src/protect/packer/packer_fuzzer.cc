// libFuzzer target: hostile ELF input through the whole packer (IP mode, no licetd): the
// range analysis and injection must refuse with a Status or produce a file that parses
// again; never crash or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "protect/packer/packer.h"
#include "protect/stub/stub_blob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::protect;
  if (size > (1u << 20)) return 0;
  packer::ProtectOptions o;
  o.kind = (size > 0 && (data[0] & 1)) ? key::Kind::kLibrary : key::Kind::kExecutable;
  o.mode = key::Mode::kIpProtection;
  o.product_name = "fuzz";
  packer::ProtectReport report;
  licet::Result<licet::Bytes> out = packer::Protect(
      licet::ByteSpan(data, size), o, licet::SecretBytes(), stub::StubBlob(), &report);
  if (out.ok()) {
    licet::Result<elf::ElfFile> again = elf::ElfFile::Parse(*out);
    if (!again.ok() || !packer::IsProtected(*again)) __builtin_trap();
  }
  return 0;
}
