#include "daemon/admin_routes.h"

#include <charconv>

namespace licet::daemon {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

// The admin frees a network seat; the Host and Origin checks have passed.
AdminResponse FreeLease(std::string_view method, std::string_view id_text,
                        const AdminContext& context,
                        const std::vector<std::pair<std::string, std::string>>& cors);

}  // namespace

AdminResponse Problem(int status, ErrorCode code, const std::string& detail) {
  AdminResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", Reason(status)},
                         {"status", status},
                         {"detail", detail},
                         {"code", ErrorCodeName(code)}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

AdminResponse RouteAdmin(const AdminRequest& request, const AdminContext& context) {
  if (!request.host) {
    return Problem(400, ErrorCode::kInvalidArgument, "a Host header is required");
  }
  if (!IsAllowedHost(*request.host, context.listen, context.port)) {
    // DNS rebinding: a page of another site that resolves its name to 127.0.0.1.
    return Problem(403, ErrorCode::kPermissionDenied,
                   "requests must be addressed to localhost or 127.0.0.1 on port " +
                       std::to_string(context.port));
  }
  if (!IsAllowedOrigin(request.origin, context.allowed_origins, context.port)) {
    return Problem(403, ErrorCode::kPermissionDenied,
                   "cross-origin requests are refused unless their origin is configured in "
                   "admin_allowed_origins");
  }
  std::string_view path = request.target.substr(0, request.target.find('?'));
  std::vector<std::pair<std::string, std::string>> cors;
  if (request.origin) {
    cors = {{"Access-Control-Allow-Origin", std::string(*request.origin)}, {"Vary", "Origin"}};
  }
  constexpr std::string_view kLeases = "/api/v1/network/leases/";
  if (context.free_lease && path.substr(0, kLeases.size()) == kLeases) {
    return FreeLease(request.method, path.substr(kLeases.size()), context, cors);
  }
  const bool known = path == "/api/v1/status" || path == "/metrics";
  if (!known)
    return Problem(404, ErrorCode::kNotFound, "no such resource; try /api/v1/status or /metrics");
  if (request.method == "OPTIONS") {
    AdminResponse r;
    r.status = 204;
    r.headers = cors;
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
    return r;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    AdminResponse r = Problem(405, ErrorCode::kInvalidArgument, "only GET is supported here");
    r.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
    return r;
  }
  AdminResponse r;
  r.headers = cors;
  if (path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = context.metrics();
  } else {
    r.content_type = "application/json";
    r.body = context.status().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return r;
}

namespace {

AdminResponse FreeLease(std::string_view method, std::string_view id_text,
                        const AdminContext& context,
                        const std::vector<std::pair<std::string, std::string>>& cors) {
  if (method == "OPTIONS") {
    AdminResponse r;
    r.status = 204;
    r.headers = cors;
    r.headers.emplace_back("Access-Control-Allow-Methods", "DELETE");
    r.headers.emplace_back("Allow", "DELETE, OPTIONS");
    return r;
  }
  if (method != "DELETE") {
    AdminResponse r = Problem(405, ErrorCode::kInvalidArgument, "DELETE frees the seat");
    r.headers.emplace_back("Allow", "DELETE, OPTIONS");
    return r;
  }
  uint64_t lease = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), lease);
  if (id_text.empty() || ec != std::errc() || end != id_text.data() + id_text.size()) {
    return Problem(400, ErrorCode::kInvalidArgument, "a lease is named by its number");
  }
  Status st = context.free_lease(lease);
  if (!st.ok()) {
    return Problem(st.code() == ErrorCode::kNotFound ? 404 : 500, st.code(), st.ToString());
  }
  AdminResponse r;
  r.status = 204;
  r.headers = cors;
  return r;
}

}  // namespace

}  // namespace licet::daemon
