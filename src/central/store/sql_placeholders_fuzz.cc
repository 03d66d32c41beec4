// NumberPlaceholders must be total: any bytes in, no crash, and as many `$n` out as `?`
// outside literals. Run on SQL-ish and random input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "central/store/sql.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string out = licet::central::store::NumberPlaceholders(in);
  // Each '?' becomes at most "$" + 20 digits.
  if (out.size() > in.size() * 21) __builtin_trap();
  return 0;
}
