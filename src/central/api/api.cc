#include "central/api/api.h"

#include <exception>

#include "central/api/api_internal.h"
#include "central/api/auth.h"
#include "central/api/codec.h"
#include "central/http/log.h"
#include "central/store/open.h"
#include "crypto/crypto.h"

namespace licet::central::api {

using nlohmann::json;

http::HttpResponse JsonResponse(const json& body, int status) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::optional<http::HttpResponse> CheckFirmAccess(const Api::Call& call, uint32_t firm_code) {
  auto only = call.KeyFirm();
  if (only && *only != firm_code) {
    return Problem(403, "insufficient_scope",
                   "this API key is limited to firm " + std::to_string(*only));
  }
  return std::nullopt;
}

std::optional<uint32_t> PathCode(const Api::Call& call, const char* name) {
  return ParseUint32(call.Param(name));
}

Api::Api(store::Store& store, store::Database& db, const engine::Vault& vault, const Clock& clock,
         const ApiOptions& options)
    : store_(store),
      db_(db),
      vault_(vault),
      clock_(clock),
      catalog_(store, vault, clock),
      engine_(store, vault, catalog_, clock),
      limiter_(options.gateway_rate_per_minute, options.gateway_burst) {}

http::HttpResponse Api::Handle(const http::HttpRequest& req) {
  Call call{req, MatchRoute(req.method, req.path), {}, std::nullopt, ""};
  http::HttpResponse resp;
  try {
    if (call.match.route == nullptr) {
      if (!call.match.allow.empty()) {
        resp = Problem(405, "method_not_allowed", "this path takes " + call.match.allow);
        resp.headers.emplace_back("Allow", call.match.allow);
      } else {
        resp = Problem(404, "not_found", "no such route (see docs/openapi.yaml)");
      }
    } else if (auto query = ParseQuery(req.query); !query.ok()) {
      resp = Problem(query.status(), req.request_id);
    } else {
      call.query = std::move(query).value();
      resp = Authorize(call);
      if (resp.status == 0) {
        resp = call.match.route->creates && call.key ? WithIdempotency(call) : Dispatch(call);
      }
    }
  } catch (const std::exception& e) {
    http::Log(http::LogLevel::kError, "handler exception",
              {{"request_id", req.request_id}, {"what", e.what()}});
    resp = Problem(Error(ErrorCode::kInternal, e.what()), req.request_id);
  }
  resp.log_path = call.match.log_path.empty() ? "(no route)" : call.match.log_path;
  return resp;
}

http::HttpResponse Api::Authorize(Call& call) {
  const Route& route = *call.match.route;
  http::HttpResponse pass;
  pass.status = 0;  // "go on"
  if (route.auth == Auth::kNone) return pass;
  if (route.auth == Auth::kGateway) {
    int64_t retry = 1;
    if (!limiter_.Allow(call.req.remote_ip, &retry)) {
      auto r = Problem(429, "rate_limited", "too many requests from this address; slow down");
      r.headers.emplace_back("Retry-After", std::to_string(retry));
      return r;
    }
    call.actor = "gateway:" + call.req.remote_ip;
    return pass;
  }
  const std::string* authorization = call.req.Header("authorization");
  if (authorization == nullptr) {
    auto r = Problem(401, "unauthorized", "send 'Authorization: Bearer lck_...'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  auto key = Authenticate(store_, *authorization);
  if (!key.ok()) {
    if (key.status().code() == ErrorCode::kBusy || key.status().code() == ErrorCode::kUnavailable) {
      return Problem(key.status(), call.req.request_id);
    }
    auto r = Problem(401, "unauthorized", key.status().message());
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  if (!HasScope(*key, route.scope)) {
    return Problem(403, "insufficient_scope",
                   "this API key lacks the scope '" + std::string(route.scope) + "'");
  }
  call.actor = "apikey:" + key->id;
  call.key = std::move(key).value();
  return pass;
}

http::HttpResponse Api::WithIdempotency(Call& call) {
  const std::string* idem = call.req.Header("idempotency-key");
  if (idem == nullptr) return Dispatch(call);
  if (idem->empty() || idem->size() > 255) {
    return Problem(400, "invalid_argument", "Idempotency-Key must be 1..255 characters");
  }
  for (char c : *idem) {
    if (c < 0x21 || c > 0x7e) {
      return Problem(400, "invalid_argument", "Idempotency-Key must be printable ASCII");
    }
  }
  std::string material = call.req.method + "\n" + call.req.path + "\n" + call.req.body;
  crypto::Hash h = crypto::Sha256(AsBytes(material));
  Bytes hash(h.begin(), h.end());
  auto stored = store_.TransactResult<std::optional<store::IdempotencyRecord>>(
      store::TxMode::kRead, [&](store::Tx& tx) { return tx.GetIdempotency(call.key->id, *idem); });
  if (!stored.ok()) return Problem(stored.status(), call.req.request_id);
  if (stored->has_value()) {
    const auto& rec = **stored;
    if (rec.request_hash != hash) {
      return Problem(422, "idempotency_key_reused",
                     "this Idempotency-Key was used for a different request");
    }
    http::HttpResponse replay;
    replay.status = rec.status;
    replay.content_type = rec.content_type;
    replay.body = std::string(rec.body.begin(), rec.body.end());
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    return replay;
  }
  http::HttpResponse resp = Dispatch(call);
  // Only successes are kept: a failed request may be retried with the same key once the
  // cause is fixed (a missing product created, say).
  if (resp.status >= 200 && resp.status < 300) {
    store::IdempotencyRecord rec{call.key->id,
                                 *idem,
                                 hash,
                                 resp.status,
                                 resp.content_type,
                                 Bytes(resp.body.begin(), resp.body.end()),
                                 clock_.Now()};
    Status st = store_.Transact(store::TxMode::kWrite,
                                [&](store::Tx& tx) { return tx.PutIdempotency(rec); });
    if (!st.ok() && st.code() != ErrorCode::kAlreadyExists) {
      http::Log(http::LogLevel::kWarn, "idempotency record not stored",
                {{"request_id", call.req.request_id}, {"error", st.message()}});
    }
  }
  return resp;
}

http::HttpResponse Api::Dispatch(Call& call) {
  switch (call.match.route->id) {
    case RouteId::kHealthz:
      return Healthz(call);
    case RouteId::kReadyz:
      return Readyz(call);
    case RouteId::kListFirms:
      return ListFirms(call);
    case RouteId::kCreateFirm:
      return CreateFirm(call);
    case RouteId::kGetFirm:
      return GetFirm(call);
    case RouteId::kListProducts:
      return ListProducts(call);
    case RouteId::kCreateProduct:
      return CreateProduct(call);
    case RouteId::kGetProduct:
      return GetProduct(call);
    case RouteId::kCreateOrder:
      return CreateOrder(call);
    case RouteId::kGetOrder:
      return GetOrder(call);
    case RouteId::kGetTicket:
      return GetTicket(call);
    case RouteId::kTicketStatus:
      return TicketStatus(call);
    case RouteId::kGetContainer:
      return GetContainer(call);
    case RouteId::kPushContainer:
      return PushContainer(call);
    case RouteId::kDecideContainer:
      return DecideContainer(call);
    case RouteId::kActivate:
      return Activate(call, false);
    case RouteId::kActivateOffline:
      return Activate(call, true);
    case RouteId::kReceipt:
      return Receipt(call);
    case RouteId::kListAudit:
      return ListAudit(call);
  }
  return Problem(404, "not_found", "no such route");
}

http::HttpResponse Api::Healthz(Call&) { return JsonResponse({{"status", "ok"}}); }

http::HttpResponse Api::Readyz(Call& call) {
  std::string reason = store::NotReadyReason(db_);
  if (!reason.empty()) {
    http::Log(http::LogLevel::kWarn, "not ready",
              {{"request_id", call.req.request_id}, {"reason", reason}});
    return Problem(503, "unavailable", reason);
  }
  return JsonResponse({{"status", "ready"}, {"database", std::string(db_.Kind())}});
}

}  // namespace licet::central::api
