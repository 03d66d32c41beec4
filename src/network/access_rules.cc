#include "network/access_rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace licet::network {
namespace {

Status BadRule(std::string_view text, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument,
               "'" + std::string(text.substr(0, 80)) + "': " + why);
}

bool ParseU32(std::string_view text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// An IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4 so that a dual-stack listener's
// "::ffff:10.1.2.3" matches "10.0.0.0/8".
bool ParseIp(std::string_view text, std::array<uint8_t, 16>& out, bool& v6) {
  if (text.empty() || text.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out.fill(0);
  if (inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.data()) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.data(), kMapped, 12) == 0) {
    std::memmove(out.data(), out.data() + 12, 4);
    std::fill(out.begin() + 4, out.end(), 0);
    v6 = false;
    return true;
  }
  v6 = true;
  return true;
}

bool PrefixMatch(const std::array<uint8_t, 16>& net, const std::array<uint8_t, 16>& ip,
                 int prefix) {
  int full = prefix / 8;
  if (std::memcmp(net.data(), ip.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (net[full] & mask) == (ip[full] & mask);
}

bool ValidPattern(std::string_view p) {
  if (p.empty() || p.size() > AccessRules::kMaxPatternLength) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != ',' && c != '=' && c != '@';
  });
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto eq = [ignore_case](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  // Greedy with one back-track point: O(pattern * text) at worst, never exponential.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<AccessRule> ParseAccessRule(std::string_view raw) {
  std::string_view text = TrimView(raw);
  AccessRule rule;
  rule.text = std::string(text);
  auto pattern_rule = [&](AccessRule::Kind kind, std::string_view p) -> Result<AccessRule> {
    if (!ValidPattern(p)) {
      return BadRule(text, "the name must be 1.." + std::to_string(AccessRules::kMaxPatternLength) +
                               " characters without spaces, ',', '=' or '@'");
    }
    rule.kind = kind;
    rule.pattern = std::string(p);
    return rule;
  };
  if (text.substr(0, 5) == "host:") return pattern_rule(AccessRule::Kind::kHost, text.substr(5));
  if (text.substr(0, 5) == "user:") return pattern_rule(AccessRule::Kind::kUser, text.substr(5));
  if (text.substr(0, 6) == "group:") {
    return pattern_rule(AccessRule::Kind::kGroup, text.substr(6));
  }
  size_t slash = text.find('/');
  std::string_view ip = text.substr(0, slash);
  rule.kind = AccessRule::Kind::kNetwork;
  if (!ParseIp(ip, rule.net, rule.v6)) {
    return BadRule(text,
                   "not an IPv4/IPv6 address or CIDR, nor host:NAME, user:NAME or group:NAME");
  }
  const int max = rule.v6 ? 128 : 32;
  rule.prefix = max;
  if (slash != std::string_view::npos) {
    uint32_t prefix = 0;
    if (!ParseU32(text.substr(slash + 1), prefix) || prefix > static_cast<uint32_t>(max)) {
      return BadRule(text, "the prefix length must be 0.." + std::to_string(max));
    }
    rule.prefix = static_cast<int>(prefix);
  }
  return rule;
}

Result<AccessRules> AccessRules::Parse(const std::vector<std::string>& allow,
                                       const std::vector<std::string>& deny,
                                       const std::vector<std::string>& groups,
                                       const std::vector<std::string>& reservations) {
  AccessRules rules;
  for (const std::string& g : groups) {
    std::string_view text = TrimView(g);
    size_t eq = text.find('=');
    std::string_view name = eq == std::string_view::npos ? text : TrimView(text.substr(0, eq));
    if (eq == std::string_view::npos || !ValidPattern(name) ||
        name.find_first_of("*?:") != std::string_view::npos) {
      return BadRule(text, "a group is NAME=MEMBER MEMBER... (members: user, user:NAME, "
                           "host:NAME, IP or CIDR, separated by spaces)");
    }
    if (rules.groups_.count(std::string(name))) return BadRule(text, "the group is defined twice");
    std::vector<AccessRule>& members = rules.groups_[std::string(name)];
    std::string_view rest = text.substr(eq + 1);
    while (true) {
      rest = TrimView(rest);
      if (rest.empty()) break;
      size_t space = rest.find_first_of(" \t");
      std::string_view word = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space);
      if (members.size() == kMaxGroupMembers) {
        return BadRule(text, "at most " + std::to_string(kMaxGroupMembers) + " members");
      }
      // A word without ':' or '/' that is not an IP address is a user name ("john.doe").
      std::array<uint8_t, 16> ip{};
      bool v6 = false;
      const bool bare =
          word.find_first_of(":/") == std::string_view::npos && !ParseIp(word, ip, v6);
      LICET_ASSIGN_OR_RETURN(AccessRule rule,
                             ParseAccessRule(bare ? "user:" + std::string(word) : std::string(word)));
      if (rule.kind == AccessRule::Kind::kGroup) {
        return BadRule(text, "groups do not nest ('" + rule.text + "')");
      }
      members.push_back(std::move(rule));
    }
    if (members.empty()) return BadRule(text, "the group has no members");
  }
  auto parse_list = [&](const std::vector<std::string>& in,
                        std::vector<AccessRule>& out) -> Status {
    for (const std::string& item : in) {
      LICET_ASSIGN_OR_RETURN(AccessRule rule, ParseAccessRule(item));
      if (rule.kind == AccessRule::Kind::kGroup && !rules.groups_.count(rule.pattern)) {
        return BadRule(item, "no such group (define it in network.groups)");
      }
      out.push_back(std::move(rule));
    }
    return Status::Ok();
  };
  LICET_RETURN_IF_ERROR(parse_list(allow, rules.allow_));
  LICET_RETURN_IF_ERROR(parse_list(deny, rules.deny_));
  for (const std::string& r : reservations) {
    std::string_view text = TrimView(r);
    size_t colon = text.find(':');
    size_t eq = text.find('=');
    size_t at = text.find('@');
    uint32_t firm = 0, product = 0, seats = 0;
    if (colon == std::string_view::npos || eq == std::string_view::npos ||
        at == std::string_view::npos || !(colon < eq && eq < at) ||
        !ParseU32(TrimView(text.substr(0, colon)), firm) ||
        !ParseU32(TrimView(text.substr(colon + 1, eq - colon - 1)), product) ||
        !ParseU32(TrimView(text.substr(eq + 1, at - eq - 1)), seats) || firm == 0 ||
        product == 0) {
      return BadRule(text, "a reservation is FIRM:PRODUCT=SEATS@GROUP");
    }
    if (seats == 0 || seats > 1000000) return BadRule(text, "reserve 1..1000000 seats");
    std::string_view group = TrimView(text.substr(at + 1));
    if (group.substr(0, 6) == "group:") group.remove_prefix(6);
    if (!rules.groups_.count(std::string(group))) {
      return BadRule(text, "no such group (define it in network.groups)");
    }
    auto& list = rules.reservations_[{firm, product}];
    for (const auto& entry : list) {
      if (entry.first == group) return BadRule(text, "the group already has a reservation here");
    }
    list.emplace_back(std::string(group), seats);
  }
  return rules;
}

bool AccessRules::Matches(const AccessRule& rule, const Requester& who) const {
  switch (rule.kind) {
    case AccessRule::Kind::kNetwork: {
      std::array<uint8_t, 16> ip{};
      bool v6 = false;
      return ParseIp(who.address, ip, v6) && v6 == rule.v6 && PrefixMatch(rule.net, ip, rule.prefix);
    }
    case AccessRule::Kind::kHost:
      return !who.host.empty() && GlobMatch(rule.pattern, who.host, true);
    case AccessRule::Kind::kUser:
      return !who.user.empty() && GlobMatch(rule.pattern, who.user, false);
    case AccessRule::Kind::kGroup:
      return InGroup(rule.pattern, who);
  }
  return false;
}

bool AccessRules::InGroup(const std::string& group, const Requester& who) const {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  for (const AccessRule& member : it->second) {
    if (member.kind != AccessRule::Kind::kGroup && Matches(member, who)) return true;
  }
  return false;
}

Status AccessRules::Check(const Requester& who) const {
  auto whom = [&who] {
    return "user '" + who.user + "' on host '" + who.host + "' (" + who.address + ")";
  };
  for (const AccessRule& rule : deny_) {
    if (Matches(rule, who)) {
      return Error(ErrorCode::kAccessDenied,
                   "the network server denies " + whom() + " (deny rule '" + rule.text + "')");
    }
  }
  if (allow_.empty()) return Status::Ok();
  for (const AccessRule& rule : allow_) {
    if (Matches(rule, who)) return Status::Ok();
  }
  return Error(ErrorCode::kAccessDenied,
               "the network server does not allow " + whom() + " (no allow rule matches)");
}

std::vector<SeatReservation> AccessRules::ReservationsFor(uint32_t firm_code,
                                                          uint32_t product_code,
                                                          const Requester& who) const {
  std::vector<SeatReservation> out;
  auto it = reservations_.find({firm_code, product_code});
  if (it == reservations_.end()) return out;
  for (const auto& [group, seats] : it->second) {
    out.push_back(SeatReservation{group, seats, InGroup(group, who)});
  }
  return out;
}

}  // namespace licet::network
