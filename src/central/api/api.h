// The REST API of License Central (docs/openapi.yaml): the vendor API under /api/v1
// (API keys with scopes), the gateway API for the activation wizard and the portal
// (authenticated by the ticket or the container's signature, rate-limited per client
// address), and the health probes. Transport-free: the HTTP server calls Handle().
#ifndef LICET_CENTRAL_API_API_H_
#define LICET_CENTRAL_API_API_H_

#include <cstdint>
#include <memory>

#include "central/api/rate_limit.h"
#include "central/engine/activation.h"
#include "central/engine/catalog.h"
#include "central/engine/vault.h"
#include "central/http/message.h"
#include "central/store/store.h"
#include "common/clock.h"

namespace licet::central::api {

struct ApiOptions {
  uint32_t gateway_rate_per_minute = 60;  // 0: no limit
  uint32_t gateway_burst = 20;
};

class Api {
 public:
  // References must outlive the Api. Thread-safe: Handle() runs on many workers at once.
  Api(store::Store& store, store::Database& db, const engine::Vault& vault, const Clock& clock,
      const ApiOptions& options);

  // Never throws (third-party exceptions become 500 problems).
  http::HttpResponse Handle(const http::HttpRequest& request);

  struct Call;  // one request being handled (api_internal.h)

 private:
  http::HttpResponse Dispatch(Call& call);
  http::HttpResponse Authorize(Call& call);
  http::HttpResponse WithIdempotency(Call& call);

  // Handlers, grouped by file.
  http::HttpResponse Healthz(Call& call);
  http::HttpResponse Readyz(Call& call);
  http::HttpResponse ListFirms(Call& call);  // handlers_catalog.cc
  http::HttpResponse CreateFirm(Call& call);
  http::HttpResponse GetFirm(Call& call);
  http::HttpResponse ListProducts(Call& call);
  http::HttpResponse CreateProduct(Call& call);
  http::HttpResponse GetProduct(Call& call);
  http::HttpResponse CreateOrder(Call& call);  // handlers_orders.cc
  http::HttpResponse GetOrder(Call& call);
  http::HttpResponse GetTicket(Call& call);
  http::HttpResponse ListAudit(Call& call);
  http::HttpResponse GetContainer(Call& call);  // handlers_containers.cc
  http::HttpResponse PushContainer(Call& call);
  http::HttpResponse DecideContainer(Call& call);
  http::HttpResponse TicketStatus(Call& call);  // handlers_gateway.cc
  http::HttpResponse Activate(Call& call, bool offline);
  http::HttpResponse Receipt(Call& call);

  store::Store& store_;
  store::Database& db_;
  const engine::Vault& vault_;
  const Clock& clock_;
  engine::Catalog catalog_;
  engine::LicenseEngine engine_;
  RateLimiter limiter_;
};

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_API_H_
