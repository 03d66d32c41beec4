#include "central/engine/catalog.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>

#include "central/engine/ticket_code.h"
#include "engine/firm_key.h"
#include "model/items.h"

namespace licet::central::engine {

store::AuditRecord MakeAudit(UnixTime now, std::string event, std::string actor,
                             std::optional<uint32_t> firm_code,
                             std::optional<std::string> ticket_code,
                             std::optional<std::string> serial, const nlohmann::json& detail) {
  store::AuditRecord a;
  // Pages are ordered by (at, id): an id that starts with the nanosecond time (strictly
  // increasing in this process) keeps events of the same second in the order they happened.
  static std::atomic<int64_t> last{0};
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  int64_t prev = last.load();
  while (!last.compare_exchange_weak(prev, std::max(prev + 1, ns))) {
  }
  char stamp[17];
  std::snprintf(stamp, sizeof stamp, "%016llx",
                static_cast<unsigned long long>(std::max(prev + 1, ns)));
  a.id = store::NewId(std::string("ev_") + stamp + "_");
  a.at = now;
  a.event = std::move(event);
  a.actor = std::move(actor);
  a.firm_code = firm_code;
  a.ticket_code = std::move(ticket_code);
  a.serial = std::move(serial);
  a.detail = detail.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  return a;
}

Result<store::FirmRecord> Catalog::CreateFirm(uint32_t firm_code, const std::string& name,
                                              const std::string& actor) {
  UnixTime now = clock_.Now();
  LICET_ASSIGN_OR_RETURN(licet::engine::FirmKey key,
                         licet::engine::GenerateFirmKey(firm_code, name, now));
  LICET_ASSIGN_OR_RETURN(Bytes sealed, vault_.SealFirmSecrets(key));
  store::FirmRecord rec{firm_code, key.name, key.public_key, std::move(sealed), now};
  Status st = store_.Transact(store::TxMode::kWrite, [&](store::Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(tx.InsertFirm(rec));
    return tx.AppendAudit(MakeAudit(now, "firm.created", actor, firm_code, std::nullopt,
                                    std::nullopt, {{"name", name}}));
  });
  if (!st.ok()) return st;
  return rec;
}

Result<store::ProductRecord> Catalog::CreateProduct(uint32_t firm_code, const std::string& name,
                                                    const ProductTemplate& tmpl,
                                                    const std::string& actor) {
  if (name.empty() || name.size() > model::kMaxTextSize || !model::IsValidUtf8(name)) {
    return Error(ErrorCode::kInvalidArgument, "a product name is 1..256 bytes of UTF-8");
  }
  LICET_RETURN_IF_ERROR(ValidateTemplate(tmpl));
  UnixTime now = clock_.Now();
  uint32_t code = tmpl.item.product_code;
  Bytes plain = EncodeTemplate(tmpl);
  auto sealed = vault_.SealTemplate(firm_code, code, plain);
  SecureWipe(plain.data(), plain.size());
  if (!sealed.ok()) return sealed.status();
  store::ProductRecord rec{firm_code, code, name, std::move(sealed).value(), now};
  Status st = store_.Transact(store::TxMode::kWrite, [&](store::Tx& tx) -> Status {
    LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(firm_code));
    if (!firm) return Error(ErrorCode::kFirmNotFound, "no firm " + std::to_string(firm_code));
    LICET_RETURN_IF_ERROR(tx.InsertProduct(rec));
    return tx.AppendAudit(MakeAudit(now, "product.created", actor, firm_code, std::nullopt,
                                    std::nullopt, {{"product_code", code}, {"name", name}}));
  });
  if (!st.ok()) return st;
  return rec;
}

Result<ProductTemplate> Catalog::OpenTemplate(const store::ProductRecord& p) const {
  LICET_ASSIGN_OR_RETURN(SecretBytes plain,
                         vault_.OpenTemplate(p.firm_code, p.product_code, p.sealed_template));
  return DecodeTemplate(plain.span());
}

namespace {

Status ValidateOrder(const OrderRequest& r) {
  if (r.request_id.empty() || r.request_id.size() > 128) {
    return Error(ErrorCode::kInvalidArgument, "request_id must be 1..128 characters");
  }
  for (char c : r.request_id) {
    if (c < 0x21 || c > 0x7e) {
      return Error(ErrorCode::kInvalidArgument, "request_id must be printable ASCII");
    }
  }
  if (r.items.empty()) return Error(ErrorCode::kInvalidArgument, "an order needs items");
  uint64_t total = 0;
  for (const OrderItem& item : r.items) {
    if (item.products.empty() || item.products.size() > kMaxProductsPerTicket) {
      return Error(ErrorCode::kInvalidArgument, "an item licenses 1..64 products");
    }
    std::set<uint32_t> distinct(item.products.begin(), item.products.end());
    if (distinct.size() != item.products.size() || distinct.count(0) > 0) {
      return Error(ErrorCode::kInvalidArgument, "an item's products must be distinct and non-zero");
    }
    if (item.quantity == 0) return Error(ErrorCode::kInvalidArgument, "quantity must be >= 1");
    if (item.rights.activations_allowed == 0 || item.rights.activations_allowed > 1000000) {
      return Error(ErrorCode::kInvalidArgument, "activations_allowed must be 1..1000000");
    }
    total += item.quantity;
  }
  if (total > kMaxTicketsPerOrder) {
    return Error(ErrorCode::kInvalidArgument, "an order makes at most 1000 tickets");
  }
  return Status::Ok();
}

}  // namespace

Result<OrderResult> Catalog::CreateOrder(const OrderRequest& r, const std::string& actor) {
  LICET_RETURN_IF_ERROR(ValidateOrder(r));
  UnixTime now = clock_.Now();
  return store_.TransactResult<OrderResult>(
      store::TxMode::kWrite, [&](store::Tx& tx) -> Result<OrderResult> {
        OrderResult out;
        LICET_ASSIGN_OR_RETURN(auto existing, tx.GetOrderByRequestId(r.firm_code, r.request_id));
        if (existing) {
          if (existing->request_hash != r.request_hash) {
            return Error(ErrorCode::kAlreadyExists,
                         "request_id '" + r.request_id + "' was used before for a different order");
          }
          out.order = std::move(*existing);
          LICET_ASSIGN_OR_RETURN(out.tickets, tx.ListTicketsOfOrder(out.order.id));
          return out;
        }
        LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(r.firm_code));
        if (!firm) return Error(ErrorCode::kFirmNotFound, "no firm " + std::to_string(r.firm_code));
        for (const OrderItem& item : r.items) {
          for (uint32_t p : item.products) {
            LICET_ASSIGN_OR_RETURN(auto product, tx.GetProduct(r.firm_code, p));
            if (!product) {
              return Error(ErrorCode::kEntryNotFound, "firm " + std::to_string(r.firm_code) +
                                                          " has no product " + std::to_string(p) +
                                                          ": create it first");
            }
          }
        }
        out.order = store::OrderRecord{store::NewId("ord_"), r.firm_code, r.request_id,
                                       r.request_hash,       r.erp_json,  now};
        Status inserted = tx.InsertOrder(out.order);
        if (inserted.code() == ErrorCode::kAlreadyExists) {
          // A concurrent twin (another instance) inserted the same request id first: retry,
          // and the retry returns its order.
          return Error(ErrorCode::kBusy, "order raced with a twin");
        }
        LICET_RETURN_IF_ERROR(inserted);
        int64_t position = 0;
        for (const OrderItem& item : r.items) {
          for (uint32_t q = 0; q < item.quantity; ++q) {
            store::TicketRecord t;
            t.order_id = out.order.id;
            t.position = position++;
            t.firm_code = r.firm_code;
            t.rights = item.rights;
            t.products = item.products;
            std::sort(t.products.begin(), t.products.end());
            t.created_at = now;
            // 120 random bits: a collision is practically impossible, but cheap to survive.
            Status st;
            for (int attempt = 0; attempt < 3; ++attempt) {
              t.code = GenerateTicketCode();
              st = tx.InsertTicket(t);
              if (st.code() != ErrorCode::kAlreadyExists) break;
            }
            LICET_RETURN_IF_ERROR(st);
            out.tickets.push_back(t);
          }
        }
        LICET_RETURN_IF_ERROR(tx.AppendAudit(MakeAudit(now, "order.created", actor, r.firm_code,
                                                       std::nullopt, std::nullopt,
                                                       {{"order_id", out.order.id},
                                                        {"request_id", r.request_id},
                                                        {"tickets", out.tickets.size()}})));
        out.created = true;
        return out;
      });
}

Result<OrderResult> Catalog::GetOrder(const std::string& order_id) {
  return store_.TransactResult<OrderResult>(
      store::TxMode::kRead, [&](store::Tx& tx) -> Result<OrderResult> {
        LICET_ASSIGN_OR_RETURN(auto order, tx.GetOrder(order_id));
        if (!order) return Error(ErrorCode::kNotFound, "no order " + order_id);
        OrderResult out;
        out.order = std::move(*order);
        LICET_ASSIGN_OR_RETURN(out.tickets, tx.ListTicketsOfOrder(out.order.id));
        return out;
      });
}

Result<TicketStatus> Catalog::GetTicketStatus(const std::string& code) {
  return store_.TransactResult<TicketStatus>(
      store::TxMode::kRead, [&](store::Tx& tx) -> Result<TicketStatus> {
        LICET_ASSIGN_OR_RETURN(auto ticket, tx.GetTicket(code));
        if (!ticket) return Error(ErrorCode::kNotFound, "no such ticket");
        TicketStatus s;
        s.ticket = std::move(*ticket);
        LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(s.ticket.firm_code));
        if (firm) s.firm_name = firm->name;
        for (uint32_t p : s.ticket.products) {
          LICET_ASSIGN_OR_RETURN(auto product, tx.GetProduct(s.ticket.firm_code, p));
          s.products.emplace_back(p, product ? product->name : "");
        }
        return s;
      });
}

}  // namespace licet::central::engine
