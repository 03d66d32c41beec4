// The access rule parser (network.allow/deny/groups/reservations) and matcher on hostile
// text: the input is split at newlines into the four lists and a requester.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "network/access_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::network;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lists[5];
  size_t which = 0;
  while (!text.empty() && which < 5) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line == "--") {
      ++which;
    } else if (lists[which].size() < 64) {
      lists[which].emplace_back(line);
    }
  }
  auto rules = AccessRules::Parse(lists[0], lists[1], lists[2], lists[3]);
  if (rules.ok()) {
    Requester who;
    if (lists[4].size() > 0) who.address = lists[4][0];
    if (lists[4].size() > 1) who.host = lists[4][1];
    if (lists[4].size() > 2) who.user = lists[4][2];
    (void)rules->Check(who);
    (void)rules->ReservationsFor(6000010, 13, who);
  }
  return 0;
}
