// `licet protect exe|lib` as a library: encrypts the code and read-only data of an ELF
// executable or shared object and injects the decryptor (the stub blob of src/protect/stub)
// with the protection descriptor as two new PT_LOAD segments at the end of the file.
// docs/PROTECTION.md "Protected executables and libraries" is the specification.
#ifndef LICET_PROTECT_PACKER_PACKER_H_
#define LICET_PROTECT_PACKER_PACKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "protect/key/descriptor.h"
#include "protect/packer/ranges.h"

namespace licet::protect::packer {

struct ProtectOptions {
  key::Kind kind = key::Kind::kExecutable;  // kExecutable or kLibrary
  key::Mode mode = key::Mode::kLicense;
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  uint32_t where = 0;        // access `where`
  uint32_t access_mode = 1;  // access `mode`
  uint32_t check_interval_seconds = 30;
  key::OnLoss on_loss = key::OnLoss::kWarn;
  uint32_t grace_seconds = 60;
  uint32_t hardening = 0;  // key::HardeningPolicy fields
  uint32_t low_units = 0;
  uint32_t low_days = 0;
  std::string product_name;     // shown in messages; default "product F:P"
  std::string activation_hint;  // e.g. "licet activate TICKET" or a portal URL
};

struct ProtectReport {
  std::vector<PlainRange> ranges;
  uint64_t bytes_encrypted = 0;
  std::string entry_hook;  // "e_entry" or "DT_INIT"
  uint64_t stub_size = 0;
  uint64_t stub_vaddr = 0;
  uint64_t descriptor_offset = 0;
  uint64_t output_size = 0;
};

// Protects `input`. `firm_secret` (32 bytes) is required in license mode and ignored in IP
// mode; `stub` is the decryptor blob (StubBlob()). Refuses with one line: not ELF64 x86-64
// (kUnsupportedVersion), already protected (kAlreadyExists), nothing to encrypt
// (kInvalidArgument), unsupported layout (kUnsupportedVersion), or an exe/lib mismatch.
Result<Bytes> Protect(ByteSpan input, const ProtectOptions& options, const SecretBytes& firm_secret,
                      ByteSpan stub, ProtectReport* report);

// True when `f` already carries a Licet decryptor (its last PT_LOAD starts with the stub's
// entry table and patch magic).
bool IsProtected(const elf::ElfFile& f);

}  // namespace licet::protect::packer

#endif  // LICET_PROTECT_PACKER_PACKER_H_
