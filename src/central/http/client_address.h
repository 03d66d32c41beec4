// The client address of a request behind reverse proxies (docs/CENTRAL.md "Behind a
// reverse proxy"): rate limits and the access log key on it.
//
// X-Forwarded-For is believed only from a TCP peer in `trusted_proxies`: a client that
// connects directly cannot choose its address by sending the header itself. Behind trusted
// proxies the client is the right-most address of X-Forwarded-For that is not itself a
// trusted proxy: each proxy appends the address it received the request from, so entries
// to the left of that one were written by the client and prove nothing.
#ifndef LICET_CENTRAL_HTTP_CLIENT_ADDRESS_H_
#define LICET_CENTRAL_HTTP_CLIENT_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace licet::central::http {

// A set of IP networks: the reverse proxies whose X-Forwarded-For Central believes.
class TrustedProxies {
 public:
  // The most networks a list may name (a configuration, not a routing table).
  static constexpr size_t kMaxNetworks = 256;

  TrustedProxies() = default;  // empty: no proxy is trusted

  // Parses a list of IP addresses and CIDR blocks ("10.0.0.0/8, 192.0.2.7, ::1, fd00::/8")
  // separated by commas and/or white space; "" is the empty list. IPv4 entries also match
  // their IPv4-mapped IPv6 form (::ffff:a.b.c.d). kInvalidArgument naming the bad entry:
  // not an IP literal (host names, ports, zone ids "%eth0" are refused), a prefix out of
  // range or not plain decimal, more than kMaxNetworks entries.
  [[nodiscard]] static Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return networks_.empty(); }
  size_t size() const { return networks_.size(); }

  // Whether `address` (an IP literal) lies in one of the networks; false for anything that
  // is not an IP literal.
  bool Contains(std::string_view address) const;

 private:
  struct Network {
    std::array<uint8_t, 16> bytes;  // IPv4 as IPv4-mapped IPv6
    int prefix;                     // 0..128 over `bytes`
  };
  bool ContainsBytes(const std::array<uint8_t, 16>& address) const;
  friend std::string ClientAddress(std::string_view,
                                   const std::vector<std::pair<std::string, std::string>>&,
                                   const TrustedProxies&);

  std::vector<Network> networks_;
};

// Limits on X-Forwarded-For past which it is malformed (the peer address is used).
inline constexpr size_t kMaxForwardedHops = 64;
inline constexpr size_t kMaxForwardedForBytes = 4096;

// The address of the client that sent a request arriving from TCP peer `peer` with
// `headers` (names in lower case; every "x-forwarded-for" counts, in order, as one
// comma-separated list, RFC 9110 §5.3). `peer` itself unless it is a trusted proxy and
// X-Forwarded-For is present and well-formed: every entry an IP literal without port,
// brackets or zone id, at most kMaxForwardedHops entries and kMaxForwardedForBytes bytes
// in all. Then the right-most entry that is not a trusted proxy, or, when all are, the
// left-most one; an address that comes from the header is returned in canonical form
// (IPv4-mapped IPv6 as IPv4), so that spellings of one address share one rate limit.
std::string ClientAddress(std::string_view peer,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const TrustedProxies& trusted_proxies);

}  // namespace licet::central::http

#endif  // LICET_CENTRAL_HTTP_CLIENT_ADDRESS_H_
