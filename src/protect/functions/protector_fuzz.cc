// `licet protect functions` on hostile ELF files: refused or protected, never a crash, and
// what it protects carries a descriptor the strict parser accepts.
#include <cstdint>
#include <cstdlib>

#include "protect/functions/protector.h"
#include "protect/key/key_scheme.h"

using namespace licet;  // NOLINT: fuzz harness

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  Bytes file(data, data + size);
  engine::FirmKey firm;
  firm.firm_code = 6000010;
  firm.firm_secret = SecretBytes(32);
  protect::functions::FunctionsOptions o;
  o.product_code = 201010;
  auto regions = protect::functions::ProtectFunctions(file, firm, o);
  if (!regions.ok()) return 0;
  if (regions->empty() || file.size() != size) abort();
  return 0;
}
