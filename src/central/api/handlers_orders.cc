// Orders, tickets and the audit log.
#include "central/api/api_internal.h"
#include "central/api/body.h"
#include "central/api/codec.h"
#include "central/api/views.h"
#include "central/engine/ticket_code.h"
#include "crypto/crypto.h"

namespace licet::central::api {

using nlohmann::json;

namespace {

Result<uint32_t> RightsField(const json& rights, const char* key, uint32_t fallback) {
  LICET_ASSIGN_OR_RETURN(auto v, OptionalFieldUint32(rights, key));
  return v.value_or(fallback);
}

Result<store::TicketRights> ParseRights(const json& j) {
  store::TicketRights r;
  if (j.is_null()) return r;
  LICET_RETURN_IF_ERROR(
      CheckKeys(j,
                {"activations_allowed", "returns_allowed", "recoveries_allowed", "emergency_count",
                 "emergency_days", "transfer_allowed", "container_types"},
                "rights"));
  LICET_ASSIGN_OR_RETURN(r.activations_allowed, RightsField(j, "activations_allowed", 1));
  LICET_ASSIGN_OR_RETURN(r.returns_allowed, RightsField(j, "returns_allowed", 0));
  LICET_ASSIGN_OR_RETURN(r.recoveries_allowed, RightsField(j, "recoveries_allowed", 0));
  LICET_ASSIGN_OR_RETURN(r.emergency_count, RightsField(j, "emergency_count", 0));
  LICET_ASSIGN_OR_RETURN(r.emergency_days, RightsField(j, "emergency_days", 0));
  LICET_ASSIGN_OR_RETURN(auto transfer, OptionalFieldBool(j, "transfer_allowed"));
  r.transfer_allowed = transfer.value_or(false);
  if (j.contains("container_types")) {
    LICET_ASSIGN_OR_RETURN(r.container_masks, ParseContainerTypes(j["container_types"]));
  }
  return r;
}

Result<engine::OrderRequest> ParseOrder(const json& body) {
  LICET_RETURN_IF_ERROR(CheckKeys(body, {"request_id", "firm_code", "items", "erp"}, "the order"));
  engine::OrderRequest r;
  LICET_ASSIGN_OR_RETURN(r.request_id, FieldString(body, "request_id", 128));
  LICET_ASSIGN_OR_RETURN(r.firm_code, FieldUint32(body, "firm_code"));
  if (body.contains("erp")) {
    if (!body["erp"].is_object()) {
      return Error(ErrorCode::kInvalidArgument, "field 'erp' must be an object");
    }
    r.erp_json = body["erp"].dump();
    if (r.erp_json.size() > 16384) {
      return Error(ErrorCode::kInvalidArgument, "field 'erp' is larger than 16 KiB");
    }
  }
  if (!body.contains("items") || !body["items"].is_array() || body["items"].empty() ||
      body["items"].size() > 100) {
    return Error(ErrorCode::kInvalidArgument, "field 'items' must be an array of 1..100 items");
  }
  for (const json& item : body["items"]) {
    LICET_RETURN_IF_ERROR(
        CheckKeys(item, {"product_code", "products", "quantity", "rights"}, "an order item"));
    engine::OrderItem oi;
    if (item.contains("products") == item.contains("product_code")) {
      return Error(ErrorCode::kInvalidArgument,
                   "an order item has either 'product_code' or 'products'");
    }
    if (item.contains("product_code")) {
      LICET_ASSIGN_OR_RETURN(uint32_t p, FieldUint32(item, "product_code"));
      oi.products.push_back(p);
    } else {
      if (!item["products"].is_array() || item["products"].size() > 64) {
        return Error(ErrorCode::kInvalidArgument, "field 'products' must be an array (<= 64)");
      }
      for (const json& p : item["products"]) {
        if (!p.is_number_unsigned() || p.get<uint64_t>() > 0xffffffffu) {
          return Error(ErrorCode::kInvalidArgument, "products must be product codes");
        }
        oi.products.push_back(p.get<uint32_t>());
      }
    }
    LICET_ASSIGN_OR_RETURN(auto quantity, OptionalFieldUint32(item, "quantity"));
    oi.quantity = quantity.value_or(1);
    LICET_ASSIGN_OR_RETURN(oi.rights,
                           ParseRights(item.contains("rights") ? item["rights"] : json()));
    r.items.push_back(std::move(oi));
  }
  // The parsed body is canonical (keys sorted): replays hash the same.
  crypto::Hash h = crypto::Sha256(AsBytes(body.dump()));
  r.request_hash = Bytes(h.begin(), h.end());
  return r;
}

}  // namespace

http::HttpResponse Api::CreateOrder(Call& call) {
  auto body = ParseJsonObject(call.req.body);
  if (!body.ok()) return Problem(body.status(), call.req.request_id);
  auto order = ParseOrder(*body);
  if (!order.ok()) return Problem(order.status(), call.req.request_id);
  if (auto denied = CheckFirmAccess(call, order->firm_code)) return *denied;
  auto result = catalog_.CreateOrder(*order, call.actor);
  if (!result.ok()) return Problem(result.status(), call.req.request_id);
  auto r = JsonResponse(OrderView(*result), result->created ? 201 : 200);
  r.headers.emplace_back("Location", "/api/v1/orders/" + result->order.id);
  return r;
}

http::HttpResponse Api::GetOrder(Call& call) {
  auto result = catalog_.GetOrder(call.Param("order"));
  if (!result.ok()) return Problem(result.status(), call.req.request_id);
  if (auto denied = CheckFirmAccess(call, result->order.firm_code)) return *denied;
  return JsonResponse(OrderView(*result));
}

http::HttpResponse Api::GetTicket(Call& call) {
  auto code = engine::ParseTicketCode(call.Param("ticket"));
  if (!code.ok()) return Problem(code.status(), call.req.request_id);
  struct Full {
    store::TicketRecord ticket;
    std::vector<store::ActivationRecord> activations;
    std::vector<store::LicenseRecord> licenses;
  };
  auto full = store_.TransactResult<Full>(store::TxMode::kRead, [&](store::Tx& tx) -> Result<Full> {
    LICET_ASSIGN_OR_RETURN(auto t, tx.GetTicket(*code));
    if (!t) return Error(ErrorCode::kNotFound, "no such ticket");
    Full f{std::move(*t), {}, {}};
    LICET_ASSIGN_OR_RETURN(f.activations, tx.ListActivationsOfTicket(*code));
    LICET_ASSIGN_OR_RETURN(f.licenses, tx.ListLicensesOfTicket(*code));
    return f;
  });
  if (!full.ok()) return Problem(full.status(), call.req.request_id);
  if (auto denied = CheckFirmAccess(call, full->ticket.firm_code)) return *denied;
  json view = TicketView(full->ticket);
  view["activations"] = json::array();
  for (const auto& a : full->activations) view["activations"].push_back(ActivationView(a));
  view["licenses"] = json::array();
  for (const auto& l : full->licenses) view["licenses"].push_back(LicenseView(l));
  return JsonResponse(view);
}

http::HttpResponse Api::ListAudit(Call& call) {
  auto page = ParsePage(call.query, "audit");
  if (!page.ok()) return Problem(page.status(), call.req.request_id);
  UnixTime after_at = -1;
  std::string after_id;
  if (!page->after.empty()) {
    size_t colon = page->after.find(':');
    auto at = colon == std::string::npos ? std::nullopt : ParseUint32(page->after.substr(0, colon));
    if (!at) return Problem(400, "invalid_argument", "bad cursor");
    after_at = *at;
    after_id = page->after.substr(colon + 1);
  }
  std::optional<uint32_t> firm = call.KeyFirm();
  if (auto it = call.query.find("firm_code"); it != call.query.end()) {
    auto f = ParseUint32(it->second);
    if (!f) return Problem(400, "invalid_argument", "firm_code must be a number");
    if (auto denied = CheckFirmAccess(call, *f)) return *denied;
    firm = f;
  }
  auto events = store_.TransactResult<std::vector<store::AuditRecord>>(
      store::TxMode::kRead,
      [&](store::Tx& tx) { return tx.ListAudit(after_at, after_id, page->limit + 1, firm); });
  if (!events.ok()) return Problem(events.status(), call.req.request_id);
  json items = json::array();
  json next;
  for (size_t i = 0; i < events->size(); ++i) {
    if (static_cast<int>(i) == page->limit) {
      const auto& last = (*events)[i - 1];
      next = EncodeCursor("audit", std::to_string(last.at) + ":" + last.id);
      break;
    }
    items.push_back(AuditView((*events)[i]));
  }
  return JsonResponse({{"items", items}, {"next_cursor", next}});
}

}  // namespace licet::central::api
