// The route table of License Central: the one list of every method + path the server
// answers. docs/openapi.yaml must describe exactly these (openapi_test.cc checks it).
#ifndef LICET_CENTRAL_API_ROUTES_H_
#define LICET_CENTRAL_API_ROUTES_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace licet::central::api {

enum class Auth {
  kNone,     // health probes
  kApiKey,   // vendor API: Authorization: Bearer lck_... with `scope`
  kGateway,  // activation wizard and portal: the ticket or the container's signature
             // authenticates; rate-limited per client address
};

enum class RouteId {
  kHealthz,
  kReadyz,
  kListFirms,
  kCreateFirm,
  kGetFirm,
  kListProducts,
  kCreateProduct,
  kGetProduct,
  kCreateOrder,
  kGetOrder,
  kGetTicket,
  kTicketStatus,
  kGetContainer,
  kPushContainer,
  kDecideContainer,
  kActivate,
  kActivateOffline,
  kReceipt,
  kListAudit,
};

struct Route {
  const char* method;
  const char* pattern;  // "/api/v1/firms/{firm}": {name} matches one path segment
  Auth auth;
  const char* scope;  // for kApiKey
  bool creates;       // a POST that creates something: honours Idempotency-Key
  RouteId id;
};

const std::vector<Route>& Routes();

struct RouteMatch {
  const Route* route = nullptr;               // nullptr: no route for method + path
  std::map<std::string, std::string> params;  // {name} -> segment
  std::string allow;                          // methods of the path when only the method
                                              // is wrong ("GET, POST"), else ""
  std::string log_path;                       // the pattern with params filled in, tickets
                                              // masked
};

// Segments are matched literally; a {param} segment takes 1..128 characters of
// [A-Za-z0-9._~-] (anything else, percent-encoding included, matches no route).
RouteMatch MatchRoute(std::string_view method, std::string_view path);

// Method + path pairs of docs/openapi.yaml's `paths:` section, read line by line: a path is
// a line "  /...:" (two spaces), a method a line "    get:" (four spaces) below it. The
// spec keeps to this layout (docs/openapi.yaml says so at the top); no YAML library needed.
std::vector<std::pair<std::string, std::string>> ParseOpenApiOperations(std::string_view yaml);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_ROUTES_H_
