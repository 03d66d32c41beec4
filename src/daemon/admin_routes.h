// The admin HTTP API's routing, independent of the transport (admin_server.h does the HTTP):
//   GET /api/v1/status   JSON: version, uptime, containers with seats per item, sessions
//   GET /metrics         Prometheus text format
//   DELETE /api/v1/network/leases/{lease}   frees a network seat (network server only)
// Every request first passes the Host and Origin checks of admin_guard.h; errors are
// RFC 9457 problem details (application/problem+json) with our error code name in "code".
#ifndef LICET_DAEMON_ADMIN_ROUTES_H_
#define LICET_DAEMON_ADMIN_ROUTES_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "daemon/admin_guard.h"

namespace licet::daemon {

struct AdminRequest {
  std::string_view method;
  std::string_view target;  // origin-form: "/metrics?x=1"
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
};

struct AdminResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
};

// What the routes need from the daemon; the providers are called per request.
struct AdminContext {
  ListenAddress listen;
  uint16_t port = 0;  // the bound port (for the Host check)
  std::vector<std::string> allowed_origins;
  std::function<nlohmann::json()> status;  // the status document
  std::function<std::string()> metrics;    // the Prometheus text
  // DELETE /api/v1/network/leases/{lease}: the admin frees a network seat (kNotFound when
  // there is no such lease). Unset when this licetd runs no network server.
  std::function<Status(uint64_t lease)> free_lease;
};

AdminResponse RouteAdmin(const AdminRequest& request, const AdminContext& context);

// An RFC 9457 problem response: {"type", "title", "status", "detail", "code"}.
AdminResponse Problem(int status, ErrorCode code, const std::string& detail);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_ADMIN_ROUTES_H_
