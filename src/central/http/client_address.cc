#include "central/http/client_address.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <optional>

namespace licet::central::http {
namespace {

namespace ip = boost::asio::ip;

// The longest IP literal: a full IPv6 address with an embedded IPv4 one (INET6_ADDRSTRLEN
// less the NUL).
constexpr size_t kMaxAddressLength = 45;

// `text` as an IP address, or nullopt. Strict: IPv4 dotted quad or IPv6 as inet_pton reads
// them; no zone id (it names a local interface, meaningless from a header), no brackets,
// no port, no white space.
std::optional<ip::address> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressLength) return std::nullopt;
  for (char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                    (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    if (!ok) return std::nullopt;
  }
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

// IPv4 as IPv4-mapped IPv6, so that one comparison covers both families.
std::array<uint8_t, 16> Bytes16(const ip::address& a) {
  if (a.is_v6()) return a.to_v6().to_bytes();
  return ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes();
}

// The canonical text of `a`: IPv4-mapped IPv6 as plain IPv4.
std::string Canonical(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

bool IsSeparator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status BadEntry(std::string_view entry, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "trusted proxy '" + std::string(entry.substr(0, 64)) + "': " + std::string(why));
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  size_t i = 0;
  while (i < list.size()) {
    if (IsSeparator(list[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < list.size() && !IsSeparator(list[end])) ++end;
    const std::string_view entry = list.substr(i, end - i);
    i = end;
    if (out.networks_.size() >= kMaxNetworks) {
      return Error(ErrorCode::kInvalidArgument,
                   "more than " + std::to_string(kMaxNetworks) + " trusted proxies");
    }
    const size_t slash = entry.find('/');
    auto address = ParseIp(entry.substr(0, slash));
    if (!address) return BadEntry(entry, "not an IP address or CIDR block");
    const int bits = address->is_v4() ? 32 : 128;
    int prefix = bits;
    if (slash != std::string_view::npos) {
      const std::string_view p = entry.substr(slash + 1);
      // Plain decimal only: from_chars would also take a '-' sign.
      if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != p.npos) {
        return BadEntry(entry, "the prefix length is not a number");
      }
      std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (prefix > bits) return BadEntry(entry, "the prefix length is out of range");
    }
    out.networks_.push_back(Network{Bytes16(*address), address->is_v4() ? prefix + 96 : prefix});
  }
  return out;
}

bool TrustedProxies::ContainsBytes(const std::array<uint8_t, 16>& address) const {
  for (const Network& n : networks_) {
    int left = n.prefix;
    bool match = true;
    for (size_t k = 0; k < 16 && left > 0 && match; ++k, left -= 8) {
      const uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
      match = (address[k] & mask) == (n.bytes[k] & mask);
    }
    if (match) return true;
  }
  return false;
}

bool TrustedProxies::Contains(std::string_view address) const {
  if (networks_.empty()) return false;
  auto a = ParseIp(address);
  return a && ContainsBytes(Bytes16(*a));
}

std::string ClientAddress(std::string_view peer,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const TrustedProxies& trusted_proxies) {
  const std::string fallback(peer);
  if (!trusted_proxies.Contains(peer)) return fallback;
  std::vector<ip::address> hops;
  size_t total = 0;
  bool present = false;
  for (const auto& [name, value] : headers) {
    if (name != "x-forwarded-for") continue;
    present = true;
    total += value.size();
    if (total > kMaxForwardedForBytes) return fallback;
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      auto hop = ParseIp(TrimOws(rest.substr(0, comma)));
      if (!hop || hops.size() >= kMaxForwardedHops) return fallback;
      hops.push_back(*hop);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (!present) return fallback;
  for (size_t k = hops.size(); k-- > 0;) {
    if (!trusted_proxies.ContainsBytes(Bytes16(hops[k]))) return Canonical(hops[k]);
  }
  return Canonical(hops.front());  // a chain of trusted proxies only
}

}  // namespace licet::central::http
