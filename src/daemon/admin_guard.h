// The checks that keep licetd's admin HTTP API local (DESIGN §2: an origin-checked interface).
//
// A web page in the user's browser can send requests to 127.0.0.1: cross-origin requests
// carry an Origin header, which we refuse unless the origin is configured; a DNS-rebinding
// page reaches us under its own host name, which the Host check refuses. Everything here is a
// strict parser of untrusted header text: fuzzed by admin_guard_fuzz.
#ifndef LICET_DAEMON_ADMIN_GUARD_H_
#define LICET_DAEMON_ADMIN_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace licet::daemon {

// An admin listen address: an IPv4 or bracket-less IPv6 literal and a port.
struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1"; "localhost" is turned into "127.0.0.1"
  uint16_t port = 0;
};

// Parses "HOST:PORT" ("127.0.0.1:22452", "[::1]:22452", "localhost:0"); nullopt for "off".
// Host names other than localhost are refused: the address must not depend on DNS.
// kInvalidArgument with the reason otherwise.
Result<std::optional<ListenAddress>> ParseListenAddress(std::string_view text);

// An allowed origin is "scheme://host[:port]" with scheme http or https, no path, no
// user info; kInvalidArgument otherwise.
[[nodiscard]] Status ValidateOrigin(std::string_view origin);

// True when the Host header names this server: localhost, 127.0.0.1, [::1] or the listen
// host, with no port or exactly `port` (the bound one).
bool IsAllowedHost(std::string_view host_header, const ListenAddress& listen, uint16_t port);

// True when the request may proceed: it has no Origin header (`origin` is nullopt: not a
// browser's cross-origin request), or its origin is licetd's own (http://localhost:PORT,
// http://127.0.0.1:PORT, http://[::1]:PORT with the bound port), or exactly one of `allowed`
// (compared without case). "null" (sandboxed frames, file: pages) is never allowed.
bool IsAllowedOrigin(const std::optional<std::string_view>& origin,
                     const std::vector<std::string>& allowed, uint16_t port);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_ADMIN_GUARD_H_
