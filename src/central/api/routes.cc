#include "central/api/routes.h"

#include "central/engine/ticket_code.h"

namespace licet::central::api {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;  // after the leading '/'
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

bool SafeSegment(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

bool Match(std::string_view pattern, std::string_view path,
           std::map<std::string, std::string>* params, std::string* log_path) {
  if (path.empty() || path[0] != '/') return false;
  auto want = Split(pattern);
  auto got = Split(path);
  if (want.size() != got.size()) return false;
  std::map<std::string, std::string> found;
  std::string logged;
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view w = want[i];
    logged += '/';
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      if (!SafeSegment(got[i])) return false;
      std::string name(w.substr(1, w.size() - 2));
      // Tickets are bearer secrets of the gateway: never in a log line in full.
      logged += name == "ticket" ? engine::MaskTicketCode(got[i]) : std::string(got[i]);
      found[name] = std::string(got[i]);
    } else {
      if (w != got[i]) return false;
      logged += std::string(w);
    }
  }
  *params = std::move(found);
  *log_path = std::move(logged);
  return true;
}

}  // namespace

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/healthz", Auth::kNone, "", false, RouteId::kHealthz},
      {"GET", "/readyz", Auth::kNone, "", false, RouteId::kReadyz},
      {"GET", "/api/v1/firms", Auth::kApiKey, "firms:read", false, RouteId::kListFirms},
      {"POST", "/api/v1/firms", Auth::kApiKey, "firms:write", true, RouteId::kCreateFirm},
      {"GET", "/api/v1/firms/{firm}", Auth::kApiKey, "firms:read", false, RouteId::kGetFirm},
      {"GET", "/api/v1/firms/{firm}/products", Auth::kApiKey, "products:read", false,
       RouteId::kListProducts},
      {"POST", "/api/v1/firms/{firm}/products", Auth::kApiKey, "products:write", true,
       RouteId::kCreateProduct},
      {"GET", "/api/v1/firms/{firm}/products/{product}", Auth::kApiKey, "products:read", false,
       RouteId::kGetProduct},
      {"POST", "/api/v1/orders", Auth::kApiKey, "orders:write", true, RouteId::kCreateOrder},
      {"GET", "/api/v1/orders/{order}", Auth::kApiKey, "orders:read", false, RouteId::kGetOrder},
      {"GET", "/api/v1/tickets/{ticket}", Auth::kApiKey, "licenses:read", false,
       RouteId::kGetTicket},
      {"GET", "/api/v1/tickets/{ticket}/status", Auth::kGateway, "", false, RouteId::kTicketStatus},
      {"GET", "/api/v1/containers/{serial}", Auth::kApiKey, "licenses:read", false,
       RouteId::kGetContainer},
      {"POST", "/api/v1/containers/{serial}/push", Auth::kApiKey, "activations:write", true,
       RouteId::kPushContainer},
      {"POST", "/api/v1/containers/{serial}/decision", Auth::kApiKey, "containers:write", false,
       RouteId::kDecideContainer},
      {"POST", "/api/v1/activations", Auth::kGateway, "", false, RouteId::kActivate},
      {"POST", "/api/v1/activations/offline", Auth::kGateway, "", false, RouteId::kActivateOffline},
      {"POST", "/api/v1/receipts", Auth::kGateway, "", false, RouteId::kReceipt},
      {"GET", "/api/v1/audit", Auth::kApiKey, "audit:read", false, RouteId::kListAudit},
  };
  return routes;
}

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  RouteMatch m;
  for (const Route& r : Routes()) {
    std::map<std::string, std::string> params;
    std::string log_path;
    if (!Match(r.pattern, path, &params, &log_path)) continue;
    if (method == r.method) {
      m.route = &r;
      m.params = std::move(params);
      m.log_path = std::move(log_path);
      m.allow.clear();
      return m;
    }
    m.allow += (m.allow.empty() ? "" : ", ") + std::string(r.method);
    m.log_path = std::move(log_path);
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> ParseOpenApiOperations(std::string_view yaml) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in_paths = false;
  std::string current;
  size_t pos = 0;
  while (pos < yaml.size()) {
    size_t end = yaml.find('\n', pos);
    if (end == std::string_view::npos) end = yaml.size();
    std::string_view line = yaml.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.find_first_not_of(' ') == std::string_view::npos) continue;
    if (line[0] != ' ' && line[0] != '#') {
      in_paths = line == "paths:";
      current.clear();
      continue;
    }
    if (!in_paths) continue;
    if (line.size() > 3 && line.substr(0, 3) == "  /" && line.back() == ':') {
      current = std::string(line.substr(2, line.size() - 3));
      continue;
    }
    if (current.empty() || line.size() < 6 || line.substr(0, 4) != "    " || line[4] == ' ') {
      continue;
    }
    std::string_view key = line.substr(4);
    for (const char* m : {"get", "put", "post", "delete", "patch", "head", "options"}) {
      if (key == std::string(m) + ":") {
        std::string upper(m);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.emplace_back(upper, current);
      }
    }
  }
  return out;
}

}  // namespace licet::central::api
