// `licet protect functions`, tool side: finds the sections that LICET_PROTECTED put the
// marked functions into (licet_fn_<feature>), encrypts each feature's functions under its own
// content key wrapped for licetd (docs/PROTECTION.md "Key scheme"), and writes the
// descriptor into the space the runtime reserved (section licet_fn_desc).
#ifndef LICET_PROTECT_FUNCTIONS_PROTECTOR_H_
#define LICET_PROTECT_FUNCTIONS_PROTECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "engine/firm_key.h"

namespace licet::protect::functions {

struct FunctionsOptions {
  uint32_t product_code = 0;     // required
  std::string product_name;      // shown in the "license missing" message (≤ 63 bytes)
  std::string activation_hint;   // how to activate (≤ 191 bytes); default names `licet activate`
  uint32_t where = 0;            // access `where`: 0 local .. 3 lan-local
  uint32_t access_mode = 1;      // 1 user-limit, 2 station-share, 4 exclusive, 8 no-user-limit
  // IP-protection mode: no license; the keys are embedded, obfuscated (docs/PROTECTION.md).
  // The firm key is then not needed (pass any FirmKey; its codes are not used).
  bool ip_protection = false;
};

// The material the IP-mode key mask is derived from (key::IpMask), shared with the runtime.
inline constexpr char kIpMaterial[] = "licet protect functions v1";

struct ProtectedRegion {
  uint32_t feature_code = 0;
  uint64_t vaddr = 0;
  uint64_t size = 0;
  uint32_t encryption_code = 0;
};

// The section names the runtime and the macro agree on.
inline constexpr const char* kSectionPrefix = "licet_fn_";
inline constexpr const char* kDescriptorSection = "licet_fn_desc";

// Protects `file` (an ELF executable or shared object linked with the runtime) in place.
// kInvalidArgument with a one-line reason: no protected functions, no descriptor space (the
// runtime is not linked), already protected, a region sharing a page with other code, more
// than 8 feature codes; kCorruptData / kUnsupportedVersion from the ELF reader.
Result<std::vector<ProtectedRegion>> ProtectFunctions(Bytes& file, const engine::FirmKey& firm,
                                                      const FunctionsOptions& options);

}  // namespace licet::protect::functions

#endif  // LICET_PROTECT_FUNCTIONS_PROTECTOR_H_
