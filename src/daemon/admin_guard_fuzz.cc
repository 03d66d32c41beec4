// libFuzzer target: the admin API's hand-written header parsers (Host, Origin, listen
// addresses) and the router's target handling must never crash on hostile text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/admin_guard.h"
#include "daemon/admin_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::daemon;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Split the input at the first newline: a header value and a request target.
  size_t nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  std::string_view second = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

  (void)ParseListenAddress(first);
  (void)ValidateOrigin(first);
  ListenAddress listen{"127.0.0.1", 22452};
  (void)IsAllowedHost(first, listen, 22452);
  (void)IsAllowedOrigin(first, {"http://localhost:3000"}, 22452);

  AdminContext ctx;
  ctx.listen = listen;
  ctx.port = 22452;
  ctx.status = [] { return nlohmann::json::object(); };
  ctx.metrics = [] { return std::string(); };
  AdminRequest req{"GET", second, std::string_view("127.0.0.1:22452"), std::nullopt};
  (void)RouteAdmin(req, ctx);
  req.host = first;
  req.origin = second;
  (void)RouteAdmin(req, ctx);
  return 0;
}
