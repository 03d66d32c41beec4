// ParseTicketCode takes what people and attackers type: any bytes, no crash, and whatever
// it accepts is a normalised code that formats and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "central/engine/ticket_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::central::engine;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseTicketCode(in);
  if (parsed.ok()) {
    if (parsed->size() != kTicketCodeLength) __builtin_trap();
    auto again = ParseTicketCode(FormatTicketCode(*parsed));
    if (!again.ok() || *again != *parsed) __builtin_trap();
  }
  (void)MaskTicketCode(in);
  return 0;
}
