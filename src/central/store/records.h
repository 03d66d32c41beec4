// The rows of License Central's tables (store/migrations/0001_initial.sql) as plain values.
// Blobs named sealed_* are opaque here: engine/vault.h seals and opens them.
#ifndef LICET_CENTRAL_STORE_RECORDS_H_
#define LICET_CENTRAL_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"

namespace licet::central::store {

struct FirmRecord {
  uint32_t firm_code = 0;
  std::string name;
  Bytes public_key;
  Bytes sealed_secrets;
  UnixTime created_at = 0;
};

struct ApiKeyRecord {
  std::string id;      // public identifier (the part of the key after "lck_")
  std::string prefix;  // "lck_<id>", shown in lists
  Bytes secret_hash;   // SHA-256 of the whole key
  std::vector<std::string> scopes;
  std::optional<uint32_t> firm_code;  // nullopt: every firm
  std::string description;
  UnixTime created_at = 0;
  std::optional<UnixTime> revoked_at;
};

struct ProductRecord {
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  std::string name;
  Bytes sealed_template;
  UnixTime created_at = 0;
};

struct OrderRecord {
  std::string id;
  uint32_t firm_code = 0;
  std::string request_id;
  Bytes request_hash;  // SHA-256 of the canonical request: a replay has the same
  std::string erp;     // the ERP's free-form data, JSON text
  UnixTime created_at = 0;
};

// What a ticket entitles its holder to (DESIGN §1 "ticket").
struct TicketRights {
  uint32_t activations_allowed = 1;
  uint32_t returns_allowed = 0;
  uint32_t recoveries_allowed = 0;
  uint32_t emergency_count = 0;
  uint32_t emergency_days = 0;
  bool transfer_allowed = false;
  std::vector<uint32_t> container_masks;  // serial masks allowed; empty = any
  bool operator==(const TicketRights&) const = default;
};

struct TicketRecord {
  std::string code;  // normalised: 25 characters, no dashes
  std::string order_id;
  int64_t position = 0;  // order of the ticket within its order
  uint32_t firm_code = 0;
  std::string state = "active";  // 'active' or 'revoked'
  TicketRights rights;
  uint32_t activations_used = 0;
  std::vector<uint32_t> products;  // product codes, ascending
  UnixTime created_at = 0;
};

struct ActivationRecord {
  std::string ticket_code;
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t fuc_from = 0;
  uint64_t fuc_to = 0;
  UnixTime created_at = 0;
};

struct LicenseRecord {
  std::string ticket_code;
  uint32_t product_code = 0;
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t fuc = 0;                 // FUC of the add_product operation
  std::string state = "activated";  // 'activated' or 'confirmed'
  UnixTime created_at = 0;
  std::optional<UnixTime> confirmed_at;
};

inline constexpr const char* kContainerActive = "active";
inline constexpr const char* kContainerManipulated = "manipulation_detected";
inline constexpr const char* kContainerBlocked = "blocked";

struct ContainerRecord {
  std::string serial;
  Bytes enc_public_key;
  Bytes sig_public_key;
  std::string state = kContainerActive;
  std::string state_reason;
  std::string flagged_report = "{}";  // JSON
  UnixTime first_seen = 0;
  UnixTime last_seen = 0;
};

struct ContainerFirmRecord {
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t issued_fuc = 0;
  uint64_t confirmed_fuc = 0;
  uint64_t baseline_fuc = 0;
  std::vector<uint32_t> baseline_products;
};

struct FucRangeRecord {
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t fuc_from = 0;
  uint64_t fuc_to = 0;
  Bytes sealed_ops;
  std::string reason;  // "activation", "push", ...
  std::optional<std::string> ticket_code;
  UnixTime created_at = 0;
};

struct AuditRecord {
  std::string id;
  UnixTime at = 0;
  std::string event;  // e.g. "ticket.activated", "container.manipulation_detected"
  std::string actor;  // "apikey:<id>", "gateway:<ip>", "cli"
  std::optional<uint32_t> firm_code;
  std::optional<std::string> ticket_code;
  std::optional<std::string> serial;
  std::string detail = "{}";  // JSON
};

struct IdempotencyRecord {
  std::string api_key_id;
  std::string key;
  Bytes request_hash;
  int status = 0;
  std::string content_type;
  Bytes body;
  UnixTime created_at = 0;
};

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_RECORDS_H_
