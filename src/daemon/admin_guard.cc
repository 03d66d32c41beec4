#include "daemon/admin_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace licet::daemon {
namespace {

bool IsIpLiteral(const std::string& host, bool v6) {
  unsigned char buf[16];
  return ::inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), buf) == 1;
}

// "12345" -> 12345; nullopt for anything but 1-5 digits in range.
std::optional<uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// Splits "host:port", "[v6]:port", "host" or "[v6]" into host (brackets removed) and the
// port text (empty when absent). False when malformed.
bool SplitHostPort(std::string_view text, std::string& host, std::string_view& port, bool& v6) {
  v6 = false;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
    v6 = true;
    return !host.empty();
  }
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (port.empty()) return false;
  } else {
    host = std::string(text);
  }
  return !host.empty() && host.find(':') == std::string::npos;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<std::optional<ListenAddress>> ParseListenAddress(std::string_view text) {
  if (text == "off") return std::optional<ListenAddress>();
  std::string host;
  std::string_view port;
  bool v6 = false;
  if (text.size() > 64 || !SplitHostPort(text, host, port, v6) || port.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "'" + std::string(text.substr(0, 64)) +
                     "' is not HOST:PORT (e.g. 127.0.0.1:22452, [::1]:22452) or 'off'");
  }
  auto p = ParsePort(port);
  if (!p) return Error(ErrorCode::kInvalidArgument, "'" + std::string(port) + "' is not a port");
  if (!v6 && EqualsNoCase(host, "localhost")) host = "127.0.0.1";
  if (!IsIpLiteral(host, v6)) {
    return Error(ErrorCode::kInvalidArgument,
                 "'" + host +
                     "' is not an IP address (host names other than localhost are not "
                     "accepted)");
  }
  return std::optional<ListenAddress>(ListenAddress{host, *p});
}

Status ValidateOrigin(std::string_view origin) {
  auto bad = [&](const char* why) {
    return Error(ErrorCode::kInvalidArgument,
                 "origin '" + std::string(origin.substr(0, 128)) + "' " + why +
                     " (expected scheme://host[:port], e.g. http://localhost:3000)");
  };
  if (origin.size() > 255) return bad("is too long");
  size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return bad("has no scheme");
  std::string_view scheme = origin.substr(0, sep);
  if (!EqualsNoCase(scheme, "http") && !EqualsNoCase(scheme, "https")) return bad("is not http(s)");
  std::string_view authority = origin.substr(sep + 3);
  if (authority.find_first_of("/?#@ \t") != std::string_view::npos) {
    return bad("has a path, query or user info");
  }
  std::string host;
  std::string_view port;
  bool v6 = false;
  if (!SplitHostPort(authority, host, port, v6)) return bad("has a malformed host");
  if (!port.empty() && !ParsePort(port)) return bad("has a bad port");
  for (char ch : host) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' ||
          (v6 && ch == ':'))) {
      return bad("has a bad character in its host");
    }
  }
  return Status::Ok();
}

bool IsAllowedHost(std::string_view host_header, const ListenAddress& listen, uint16_t port) {
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (host_header.size() > 255 || !SplitHostPort(host_header, host, port_text, v6)) return false;
  if (!port_text.empty()) {
    auto p = ParsePort(port_text);
    if (!p || *p != port) return false;
  }
  if (v6) return host == "::1" || (host == listen.host);
  return EqualsNoCase(host, "localhost") || host == "127.0.0.1" || host == listen.host;
}

bool IsAllowedOrigin(const std::optional<std::string_view>& origin,
                     const std::vector<std::string>& allowed, uint16_t port) {
  if (!origin) return true;
  if (origin->size() > 255 || EqualsNoCase(*origin, "null")) return false;
  const std::string p = std::to_string(port);
  for (const char* own : {"http://localhost:", "http://127.0.0.1:", "http://[::1]:"}) {
    if (EqualsNoCase(*origin, own + p)) return true;
  }
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return EqualsNoCase(*origin, a); });
}

}  // namespace licet::daemon
