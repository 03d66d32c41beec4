// Firms and product templates.
#include "central/api/api_internal.h"
#include "central/api/body.h"
#include "central/api/codec.h"
#include "central/api/template_json.h"
#include "central/api/views.h"

namespace licet::central::api {

using nlohmann::json;

http::HttpResponse Api::ListFirms(Call& call) {
  auto page = ParsePage(call.query, "firms");
  if (!page.ok()) return Problem(page.status(), call.req.request_id);
  uint32_t after = 0;
  if (!page->after.empty()) {
    auto n = ParseUint32(page->after);
    if (!n) return Problem(400, "invalid_argument", "bad cursor");
    after = *n;
  }
  auto firms = store_.TransactResult<std::vector<store::FirmRecord>>(
      store::TxMode::kRead,
      [&](store::Tx& tx) { return tx.ListFirms(after, page->limit + 1, call.KeyFirm()); });
  if (!firms.ok()) return Problem(firms.status(), call.req.request_id);
  json items = json::array();
  json next;
  for (size_t i = 0; i < firms->size(); ++i) {
    if (static_cast<int>(i) == page->limit) {
      next = EncodeCursor("firms", std::to_string((*firms)[i - 1].firm_code));
      break;
    }
    items.push_back(FirmView((*firms)[i]));
  }
  return JsonResponse({{"items", items}, {"next_cursor", next}});
}

http::HttpResponse Api::CreateFirm(Call& call) {
  auto body = ParseJsonObject(call.req.body);
  if (!body.ok()) return Problem(body.status(), call.req.request_id);
  if (Status st = CheckKeys(*body, {"firm_code", "name"}, "the firm"); !st.ok()) {
    return Problem(st, call.req.request_id);
  }
  auto code = FieldUint32(*body, "firm_code");
  auto name = FieldString(*body, "name", 128);
  if (!code.ok()) return Problem(code.status(), call.req.request_id);
  if (!name.ok()) return Problem(name.status(), call.req.request_id);
  if (auto denied = CheckFirmAccess(call, *code)) return *denied;
  auto firm = catalog_.CreateFirm(*code, *name, call.actor);
  if (!firm.ok()) return Problem(firm.status(), call.req.request_id);
  auto r = JsonResponse(FirmView(*firm), 201);
  r.headers.emplace_back("Location", "/api/v1/firms/" + std::to_string(*code));
  return r;
}

http::HttpResponse Api::GetFirm(Call& call) {
  auto code = PathCode(call, "firm");
  if (!code) return Problem(404, "firm_not_found", "no such firm");
  if (auto denied = CheckFirmAccess(call, *code)) return *denied;
  auto firm = store_.TransactResult<std::optional<store::FirmRecord>>(
      store::TxMode::kRead, [&](store::Tx& tx) { return tx.GetFirm(*code); });
  if (!firm.ok()) return Problem(firm.status(), call.req.request_id);
  if (!firm->has_value()) return Problem(404, "firm_not_found", "no such firm");
  return JsonResponse(FirmView(**firm));
}

namespace {

json ProductJson(const store::ProductRecord& p, const engine::ProductTemplate& t) {
  return {{"firm_code", p.firm_code},
          {"product_code", p.product_code},
          {"name", p.name},
          {"template", TemplateToApiJson(t)},
          {"created_at", FormatTime(p.created_at)}};
}

}  // namespace

http::HttpResponse Api::ListProducts(Call& call) {
  auto firm = PathCode(call, "firm");
  if (!firm) return Problem(404, "firm_not_found", "no such firm");
  if (auto denied = CheckFirmAccess(call, *firm)) return *denied;
  auto page = ParsePage(call.query, "products");
  if (!page.ok()) return Problem(page.status(), call.req.request_id);
  uint32_t after = 0;
  if (!page->after.empty()) {
    auto n = ParseUint32(page->after);
    if (!n) return Problem(400, "invalid_argument", "bad cursor");
    after = *n;
  }
  using Listing = std::pair<bool, std::vector<store::ProductRecord>>;
  auto listing =
      store_.TransactResult<Listing>(store::TxMode::kRead, [&](store::Tx& tx) -> Result<Listing> {
        LICET_ASSIGN_OR_RETURN(auto f, tx.GetFirm(*firm));
        if (!f) return Listing{false, {}};
        LICET_ASSIGN_OR_RETURN(auto products, tx.ListProducts(*firm, after, page->limit + 1));
        return Listing{true, std::move(products)};
      });
  if (!listing.ok()) return Problem(listing.status(), call.req.request_id);
  if (!listing->first) return Problem(404, "firm_not_found", "no such firm");
  json items = json::array();
  json next;
  const auto& products = listing->second;
  for (size_t i = 0; i < products.size(); ++i) {
    if (static_cast<int>(i) == page->limit) {
      next = EncodeCursor("products", std::to_string(products[i - 1].product_code));
      break;
    }
    auto t = catalog_.OpenTemplate(products[i]);
    if (!t.ok()) return Problem(t.status(), call.req.request_id);
    items.push_back(ProductJson(products[i], *t));
  }
  return JsonResponse({{"items", items}, {"next_cursor", next}});
}

http::HttpResponse Api::CreateProduct(Call& call) {
  auto firm = PathCode(call, "firm");
  if (!firm) return Problem(404, "firm_not_found", "no such firm");
  if (auto denied = CheckFirmAccess(call, *firm)) return *denied;
  auto body = ParseJsonObject(call.req.body);
  if (!body.ok()) return Problem(body.status(), call.req.request_id);
  if (Status st = CheckKeys(*body, {"product_code", "name", "template"}, "the product"); !st.ok()) {
    return Problem(st, call.req.request_id);
  }
  auto code = FieldUint32(*body, "product_code");
  auto name = FieldString(*body, "name", 256);
  if (!code.ok()) return Problem(code.status(), call.req.request_id);
  if (!name.ok()) return Problem(name.status(), call.req.request_id);
  json tmpl_json = body->contains("template") ? (*body)["template"] : json::object();
  auto tmpl = TemplateFromApiJson(tmpl_json, *code);
  if (!tmpl.ok()) return Problem(tmpl.status(), call.req.request_id);
  auto product = catalog_.CreateProduct(*firm, *name, *tmpl, call.actor);
  if (!product.ok()) return Problem(product.status(), call.req.request_id);
  auto r = JsonResponse(ProductJson(*product, *tmpl), 201);
  r.headers.emplace_back(
      "Location", "/api/v1/firms/" + std::to_string(*firm) + "/products/" + std::to_string(*code));
  return r;
}

http::HttpResponse Api::GetProduct(Call& call) {
  auto firm = PathCode(call, "firm");
  auto code = PathCode(call, "product");
  if (!firm || !code) return Problem(404, "entry_not_found", "no such product");
  if (auto denied = CheckFirmAccess(call, *firm)) return *denied;
  auto product = store_.TransactResult<std::optional<store::ProductRecord>>(
      store::TxMode::kRead, [&](store::Tx& tx) { return tx.GetProduct(*firm, *code); });
  if (!product.ok()) return Problem(product.status(), call.req.request_id);
  if (!product->has_value()) return Problem(404, "entry_not_found", "no such product");
  auto t = catalog_.OpenTemplate(**product);
  if (!t.ok()) return Problem(t.status(), call.req.request_id);
  return JsonResponse(ProductJson(**product, *t));
}

}  // namespace licet::central::api
