// Access rules of the network server (docs/NETWORK.md "Access rules and reservations"):
// who may take seats (allow and deny lists matched against the client's IP address, host
// name and user name) and which seats of an item are held back for a group.
//
// Text syntax (each one list item of licetd's [network] keys):
//   rule         "10.0.0.0/8" | "fd00::/8" | "192.168.1.7" | "host:build-*" | "user:alice" |
//                "group:cad"   (host and user patterns take '*' and '?'; host matching
//                ignores case; a bare IP is a /32 or /128)
//   group        "cad=alice bob host:ws-7 10.1.0.0/16"  (members separated by spaces, since
//                commas separate list items in environment variables and flags; a word
//                without ':' or '/' that is not an IP address is a user; groups do not nest)
//   reservation  "6000010:201010=3@cad"  (FIRM:PRODUCT=SEATS@GROUP; "@group:cad" also works)
// Deny wins over allow; an empty allow list allows everyone not denied.
//
// Immutable after Parse: safe to share between threads.
#ifndef LICET_NETWORK_ACCESS_RULES_H_
#define LICET_NETWORK_ACCESS_RULES_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace licet::network {

// The client an access comes from.
struct Requester {
  std::string address;  // IP address as the server sees it (IPv4-mapped IPv6 counts as IPv4)
  std::string host;     // host name the client said in its hello
  std::string user;     // user name of the access
};

// One allow/deny term or group member.
struct AccessRule {
  enum class Kind { kNetwork, kHost, kUser, kGroup };
  Kind kind = Kind::kUser;
  std::array<uint8_t, 16> net{};  // kNetwork: the address (IPv4 in the first 4 bytes)
  bool v6 = false;
  int prefix = 0;
  std::string pattern;  // kHost, kUser: glob; kGroup: group name
  std::string text;     // as written, for messages
};

// Seats of an item held back for a group, as seen by one requester.
struct SeatReservation {
  std::string group;
  uint32_t seats = 0;
  bool member = false;  // the requester belongs to the group
};

class AccessRules {
 public:
  static constexpr size_t kMaxPatternLength = 256;
  static constexpr size_t kMaxGroupMembers = 1000;

  // Parses the four lists. kInvalidArgument with a one-line reason naming the bad item
  // (unknown groups, duplicate groups, zero seats...).
  [[nodiscard]] static Result<AccessRules> Parse(const std::vector<std::string>& allow,
                                                 const std::vector<std::string>& deny,
                                                 const std::vector<std::string>& groups,
                                                 const std::vector<std::string>& reservations);

  // Ok, or kAccessDenied with the reason (the deny rule that matched, or "not in the allow
  // list").
  [[nodiscard]] Status Check(const Requester& who) const;

  // The reservations of (firm, product), each marked with whether `who` is a member.
  std::vector<SeatReservation> ReservationsFor(uint32_t firm_code, uint32_t product_code,
                                               const Requester& who) const;

  bool empty() const { return allow_.empty() && deny_.empty() && reservations_.empty(); }

 private:
  bool Matches(const AccessRule& rule, const Requester& who) const;
  bool InGroup(const std::string& group, const Requester& who) const;

  std::vector<AccessRule> allow_;
  std::vector<AccessRule> deny_;
  std::map<std::string, std::vector<AccessRule>> groups_;
  // (firm, product) -> (group, seats), in the order written.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<std::pair<std::string, uint32_t>>>
      reservations_;
};

// One rule ("10.0.0.0/8", "host:x", "user:y", "group:z"). kInvalidArgument when malformed.
[[nodiscard]] Result<AccessRule> ParseAccessRule(std::string_view text);
// Glob match with '*' and '?' (no backtracking blow-up: linear in practice).
bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace licet::network

#endif  // LICET_NETWORK_ACCESS_RULES_H_
