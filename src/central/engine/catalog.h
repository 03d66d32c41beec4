// The vendor side of Central's engine: firms (their key material made and sealed here),
// product templates, and orders that produce tickets. Thread-safe (all state in the Store).
#ifndef LICET_CENTRAL_ENGINE_CATALOG_H_
#define LICET_CENTRAL_ENGINE_CATALOG_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "central/engine/template.h"
#include "central/engine/vault.h"
#include "central/store/store.h"
#include "common/clock.h"

namespace licet::central::engine {

inline constexpr uint32_t kMaxTicketsPerOrder = 1000;
inline constexpr size_t kMaxProductsPerTicket = 64;

// A record for the audit log. `detail` must be a JSON object.
store::AuditRecord MakeAudit(UnixTime now, std::string event, std::string actor,
                             std::optional<uint32_t> firm_code,
                             std::optional<std::string> ticket_code,
                             std::optional<std::string> serial, const nlohmann::json& detail);

struct OrderItem {
  std::vector<uint32_t> products;  // licensed together by each ticket; 1..64, distinct
  uint32_t quantity = 1;           // tickets to make, 1..1000
  store::TicketRights rights;
};

struct OrderRequest {
  std::string request_id;  // the ERP's id: 1..128 printable ASCII characters
  uint32_t firm_code = 0;
  std::vector<OrderItem> items;
  std::string erp_json = "{}";  // opaque ERP data, stored and returned
  Bytes request_hash;           // SHA-256 of the canonical request, tells replays apart
};

struct OrderResult {
  store::OrderRecord order;
  std::vector<store::TicketRecord> tickets;
  bool created = false;  // false: a replay of an earlier identical request
};

// Public state of a ticket for the activation wizard (no secrets, no containers).
struct TicketStatus {
  store::TicketRecord ticket;
  std::string firm_name;
  std::vector<std::pair<uint32_t, std::string>> products;  // code, name
};

class Catalog {
 public:
  // References must outlive the Catalog.
  Catalog(store::Store& store, const Vault& vault, const Clock& clock)
      : store_(store), vault_(vault), clock_(clock) {}

  // Makes the firm's Ed25519 key pair and 256-bit secret, seals them, stores the firm.
  // kAlreadyExists for a known code; kInvalidArgument for code 0 or a bad name.
  Result<store::FirmRecord> CreateFirm(uint32_t firm_code, const std::string& name,
                                       const std::string& actor);

  // kFirmNotFound, kAlreadyExists, kInvalidArgument (template or name invalid).
  Result<store::ProductRecord> CreateProduct(uint32_t firm_code, const std::string& name,
                                             const ProductTemplate& tmpl, const std::string& actor);
  Result<ProductTemplate> OpenTemplate(const store::ProductRecord& product) const;

  // Idempotent by (firm, request_id): the same request returns the same order and tickets
  // (created = false); the same request_id with another content is kAlreadyExists.
  // kFirmNotFound, kEntryNotFound (a product without a template), kInvalidArgument.
  Result<OrderResult> CreateOrder(const OrderRequest& request, const std::string& actor);
  // kNotFound.
  Result<OrderResult> GetOrder(const std::string& order_id);

  // `code` normalised (ParseTicketCode). kNotFound.
  Result<TicketStatus> GetTicketStatus(const std::string& code);

 private:
  store::Store& store_;
  const Vault& vault_;
  const Clock& clock_;
};

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_CATALOG_H_
