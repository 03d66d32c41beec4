// libFuzzer target: ElfFile::Parse on arbitrary bytes must return a Status, never crash,
// and whatever it accepts must answer every accessor within the file.
#include <cstddef>
#include <cstdint>

#include "protect/elf/elf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::protect::elf;
  licet::Result<ElfFile> f = ElfFile::Parse(licet::ByteSpan(data, size));
  if (!f.ok()) return 0;
  (void)f->VaddrToOffset(f->entry());
  (void)f->IfuncResolvers();
  (void)f->FunctionSymbols();
  (void)f->FindDynamic(12);
  return 0;
}
