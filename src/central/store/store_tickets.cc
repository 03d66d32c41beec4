// Orders, tickets, activations and licenses.
#include <string>
#include <string_view>

#include "central/store/store.h"
#include "central/store/store_internal.h"

namespace licet::central::store {
namespace {

using internal::I;

constexpr const char* kOrderColumns = "id, firm_code, request_id, request_hash, erp, created_at";

OrderRecord OrderFromRow(const Row& r) {
  return OrderRecord{r.Text(0), internal::U32(r, 1), r.Text(2), r.Blob(3), r.Text(4), r.Int(5)};
}

constexpr const char* kTicketColumns =
    "code, order_id, position, firm_code, state, activations_allowed, activations_used, "
    "returns_allowed, recoveries_allowed, emergency_count, emergency_days, transfer_allowed, "
    "container_masks, created_at";

TicketRecord TicketFromRow(const Row& r) {
  TicketRecord t;
  t.code = r.Text(0);
  t.order_id = r.Text(1);
  t.position = r.Int(2);
  t.firm_code = internal::U32(r, 3);
  t.state = r.Text(4);
  t.rights.activations_allowed = internal::U32(r, 5);
  t.activations_used = internal::U32(r, 6);
  t.rights.returns_allowed = internal::U32(r, 7);
  t.rights.recoveries_allowed = internal::U32(r, 8);
  t.rights.emergency_count = internal::U32(r, 9);
  t.rights.emergency_days = internal::U32(r, 10);
  t.rights.transfer_allowed = r.Int(11) != 0;
  t.rights.container_masks = internal::SplitCodes(r.Text(12));
  t.created_at = r.Int(13);
  return t;
}

constexpr const char* kActivationColumns =
    "ticket_code, serial, firm_code, fuc_from, fuc_to, created_at";

ActivationRecord ActivationFromRow(const Row& r) {
  return ActivationRecord{r.Text(0),           r.Text(1),           internal::U32(r, 2),
                          internal::U64(r, 3), internal::U64(r, 4), r.Int(5)};
}

constexpr const char* kLicenseColumns =
    "ticket_code, product_code, serial, firm_code, fuc, state, created_at, confirmed_at";

LicenseRecord LicenseFromRow(const Row& r) {
  LicenseRecord l;
  l.ticket_code = r.Text(0);
  l.product_code = internal::U32(r, 1);
  l.serial = r.Text(2);
  l.firm_code = internal::U32(r, 3);
  l.fuc = internal::U64(r, 4);
  l.state = r.Text(5);
  l.created_at = r.Int(6);
  l.confirmed_at = internal::OptInt(r, 7);
  return l;
}

// kTicketColumns, each prefixed with "t.".
std::string TicketColumnsOfT() {
  std::string cols;
  std::string_view all(kTicketColumns);
  for (size_t pos = 0; pos < all.size();) {
    size_t comma = all.find(',', pos);
    if (comma == std::string_view::npos) comma = all.size();
    std::string_view col = all.substr(pos, comma - pos);
    while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
    if (!cols.empty()) cols += ", ";
    cols += "t.";
    cols += col;
    pos = comma + 1;
  }
  return cols;
}

const std::string& TicketBundleSql() {
  // GetTicket's rows widened by the firm's columns (repeated) and each product's row: the
  // three reads of an activation's start in one statement.
  static const std::string kSql =
      "SELECT " + TicketColumnsOfT() +
      ", tp.product_code, f.firm_code, f.name, f.public_key, f.sealed_secrets, f.created_at,"
      " p.product_code, p.name, p.sealed_template, p.created_at"
      " FROM tickets t LEFT JOIN firms f ON f.firm_code = t.firm_code"
      " LEFT JOIN ticket_products tp ON tp.ticket_code = t.code"
      " LEFT JOIN products p ON p.firm_code = t.firm_code AND p.product_code = tp.product_code"
      " WHERE t.code = ? ORDER BY tp.product_code";
  return kSql;
}

}  // namespace

Status Tx::InsertOrder(const OrderRecord& o) {
  LICET_ASSIGN_OR_RETURN(
      int64_t n,
      Exec("INSERT INTO orders (id, firm_code, request_id, request_hash, erp, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
           {o.id, I(o.firm_code), o.request_id, o.request_hash, o.erp, o.created_at}));
  if (n == 0) return Error(ErrorCode::kAlreadyExists, "order " + o.request_id + " exists");
  return Status::Ok();
}

Result<std::optional<OrderRecord>> Tx::GetOrder(const std::string& id) {
  LICET_ASSIGN_OR_RETURN(
      auto rows, Query(std::string("SELECT ") + kOrderColumns + " FROM orders WHERE id = ?", {id}));
  if (rows.empty()) return std::optional<OrderRecord>();
  return std::optional<OrderRecord>(OrderFromRow(rows[0]));
}

Result<std::optional<OrderRecord>> Tx::GetOrderByRequestId(uint32_t firm_code,
                                                           const std::string& request_id) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kOrderColumns +
                                              " FROM orders WHERE firm_code = ? AND request_id = ?",
                                          {I(firm_code), request_id}));
  if (rows.empty()) return std::optional<OrderRecord>();
  return std::optional<OrderRecord>(OrderFromRow(rows[0]));
}

Status Tx::InsertTicket(const TicketRecord& t) {
  const TicketRights& r = t.rights;
  LICET_ASSIGN_OR_RETURN(
      int64_t n,
      Exec(std::string("INSERT INTO tickets (") + kTicketColumns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
           {t.code, t.order_id, t.position, I(t.firm_code), t.state, I(r.activations_allowed),
            I(t.activations_used), I(r.returns_allowed), I(r.recoveries_allowed),
            I(r.emergency_count), I(r.emergency_days), int64_t{r.transfer_allowed ? 1 : 0},
            internal::JoinCodes(r.container_masks), t.created_at}));
  if (n == 0) return Error(ErrorCode::kAlreadyExists, "ticket code collision");
  for (uint32_t p : t.products) {
    LICET_RETURN_IF_ERROR(
        Exec("INSERT INTO ticket_products (ticket_code, product_code) VALUES (?, ?)"
             " ON CONFLICT DO NOTHING",
             {t.code, I(p)}));
  }
  return Status::Ok();
}

Result<std::optional<TicketRecord>> Tx::GetTicket(const std::string& code) {
  // The ticket and its products in one round trip: one row per product (or one row with a
  // NULL product for a ticket without any), the ticket's columns repeated.
  static const std::string kSql =
      "SELECT " + TicketColumnsOfT() +
      ", tp.product_code FROM tickets t LEFT JOIN ticket_products tp"
      " ON tp.ticket_code = t.code WHERE t.code = ? ORDER BY tp.product_code";
  LICET_ASSIGN_OR_RETURN(auto rows, Query(kSql, {code}));
  if (rows.empty()) return std::optional<TicketRecord>();
  TicketRecord t = TicketFromRow(rows[0]);
  constexpr size_t kProductColumn = 14;
  for (const Row& r : rows) {
    if (!r.IsNull(kProductColumn)) t.products.push_back(internal::U32(r, kProductColumn));
  }
  return std::optional<TicketRecord>(std::move(t));
}

std::optional<TicketBundle> Tx::TicketBundleOf(const std::vector<Row>& rows) {
  if (rows.empty()) return std::nullopt;
  constexpr size_t kProduct = 14;  // tp.product_code
  constexpr size_t kFirm = 15;     // f.*
  constexpr size_t kRow = 20;      // p.*
  TicketBundle b;
  b.ticket = TicketFromRow(rows[0]);
  const Row& first = rows[0];
  if (!first.IsNull(kFirm)) {
    b.firm = FirmRecord{internal::U32(first, kFirm), first.Text(kFirm + 1), first.Blob(kFirm + 2),
                        first.Blob(kFirm + 3), first.Int(kFirm + 4)};
  }
  for (const Row& r : rows) {
    if (r.IsNull(kProduct)) continue;
    b.ticket.products.push_back(internal::U32(r, kProduct));
    if (!r.IsNull(kRow)) {
      b.products.push_back(ProductRecord{b.ticket.firm_code, internal::U32(r, kRow),
                                         r.Text(kRow + 1), r.Blob(kRow + 2), r.Int(kRow + 3)});
    }
  }
  return b;
}

Status Tx::QueryTicketBundleLater(const std::string& code, std::vector<Row>* rows) {
  std::vector<SqlValue> params{code};
  return conn_.QueryLater(TicketBundleSql(), params, ErrorCode::kAlreadyExists, rows);
}

Result<std::optional<TicketBundle>> Tx::GetTicketBundle(const std::string& code) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(TicketBundleSql(), {code}));
  return TicketBundleOf(rows);
}

Result<std::vector<TicketRecord>> Tx::ListTicketsOfOrder(const std::string& order_id) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT code FROM tickets WHERE order_id = ?"
                                                      " ORDER BY position"),
                                          {order_id}));
  std::vector<TicketRecord> out;
  for (const Row& r : rows) {
    LICET_ASSIGN_OR_RETURN(auto t, GetTicket(r.Text(0)));
    if (t) out.push_back(std::move(*t));
  }
  return out;
}

Result<bool> Tx::SpendActivation(const std::string& code) {
  LICET_ASSIGN_OR_RETURN(int64_t n,
                         Exec("UPDATE tickets SET activations_used = activations_used + 1"
                              " WHERE code = ? AND state = 'active'"
                              " AND activations_used < activations_allowed",
                              {code}));
  return n == 1;
}

Result<std::optional<uint32_t>> Tx::SpendActivationLeft(const std::string& code) {
  LICET_ASSIGN_OR_RETURN(auto rows,
                         Query("UPDATE tickets SET activations_used = activations_used + 1"
                               " WHERE code = ? AND state = 'active'"
                               " AND activations_used < activations_allowed"
                               " RETURNING activations_allowed - activations_used",
                               {code}));
  if (rows.empty()) return std::optional<uint32_t>();
  return std::optional<uint32_t>(static_cast<uint32_t>(rows[0].Int(0)));
}

std::optional<uint32_t> ActivationsLeft::value() const {
  if (rows_.size() != 1 || rows_[0].size() != 1 || rows_[0].IsNull(0)) return std::nullopt;
  return static_cast<uint32_t>(rows_[0].Int(0));
}

Status Tx::RecordActivation(const NewActivation& n, ActivationsLeft* left) {
  const ActivationRecord& a = n.activation;
  left->rows_.clear();
  if (conn_.Dialect() == "postgresql") {
    // Migration 0002's function: the same statements in one call (see its comment).
    std::string products = "{";
    std::string fucs = "{";
    for (const auto& [product, fuc] : n.licenses) {
      if (products.size() > 1) {
        products += ',';
        fucs += ',';
      }
      products += std::to_string(product);
      fucs += std::to_string(fuc);
    }
    products += '}';
    fucs += '}';
    std::vector<SqlValue> params{a.ticket_code,   a.serial,
                                 I(a.firm_code),  I(n.expected_issued_fuc),
                                 I(a.fuc_to),     std::move(products),
                                 std::move(fucs), a.created_at,
                                 I(a.fuc_from),   n.sealed_ops,
                                 n.reason,        n.audit.id,
                                 n.audit.event,   n.audit.actor,
                                 n.audit.detail};
    return conn_.QueryLater(
        "SELECT licet_record_activation(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", params,
        ErrorCode::kBusy, &left->rows_);
  }
  LICET_ASSIGN_OR_RETURN(std::optional<uint32_t> spent, SpendActivationLeft(a.ticket_code));
  if (!spent) return Error(ErrorCode::kNoMoreLicenses, "ticket has no activation left");
  left->rows_.emplace_back(std::vector<SqlValue>{int64_t{*spent}});
  for (const auto& [product, fuc] : n.licenses) {
    LICET_RETURN_IF_ERROR(InsertLicense({a.ticket_code, product, a.serial, a.firm_code, fuc,
                                         "activated", a.created_at, std::nullopt}));
  }
  LICET_ASSIGN_OR_RETURN(bool advanced,
                         AdvanceIssuedFuc(a.serial, a.firm_code, n.expected_issued_fuc, a.fuc_to));
  if (!advanced) return Error(ErrorCode::kBusy, "another request issued for this container");
  LICET_RETURN_IF_ERROR(InsertRange({a.serial, a.firm_code, a.fuc_from, a.fuc_to, n.sealed_ops,
                                     n.reason, a.ticket_code, a.created_at}));
  LICET_RETURN_IF_ERROR(InsertActivation(a));
  AuditRecord audit = n.audit;
  audit.at = a.created_at;
  audit.firm_code = a.firm_code;
  audit.ticket_code = a.ticket_code;
  audit.serial = a.serial;
  return AppendAudit(audit);
}

Result<std::optional<ActivationRecord>> Tx::GetActivation(const std::string& ticket_code,
                                                          const std::string& serial) {
  LICET_ASSIGN_OR_RETURN(auto rows,
                         Query(std::string("SELECT ") + kActivationColumns +
                                   " FROM activations WHERE ticket_code = ? AND serial = ?",
                               {ticket_code, serial}));
  if (rows.empty()) return std::optional<ActivationRecord>();
  return std::optional<ActivationRecord>(ActivationFromRow(rows[0]));
}

Status Tx::InsertActivation(const ActivationRecord& a) {
  // A concurrent twin activated the same ticket for the same container first: kBusy
  // retries, and the retry takes the idempotent path.
  return ExecLater(std::string("INSERT INTO activations (") + kActivationColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?)",
                   {a.ticket_code, a.serial, I(a.firm_code), I(a.fuc_from), I(a.fuc_to),
                    a.created_at},
                   ErrorCode::kBusy);
}

Result<std::vector<ActivationRecord>> Tx::ListActivationsOfTicket(const std::string& ticket_code) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kActivationColumns +
                                              " FROM activations WHERE ticket_code = ?"
                                              " ORDER BY created_at, serial",
                                          {ticket_code}));
  std::vector<ActivationRecord> out;
  for (const Row& r : rows) out.push_back(ActivationFromRow(r));
  return out;
}

Status Tx::InsertLicense(const LicenseRecord& l) {
  return ExecLater(std::string("INSERT INTO licenses (") + kLicenseColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {l.ticket_code, I(l.product_code), l.serial, I(l.firm_code), I(l.fuc), l.state,
                    l.created_at, internal::OrNull(l.confirmed_at)},
                   ErrorCode::kAlreadyExists);
}

Result<std::vector<LicenseRecord>> Tx::ListLicensesOfTicket(const std::string& ticket_code) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kLicenseColumns +
                                              " FROM licenses WHERE ticket_code = ?"
                                              " ORDER BY serial, product_code",
                                          {ticket_code}));
  std::vector<LicenseRecord> out;
  for (const Row& r : rows) out.push_back(LicenseFromRow(r));
  return out;
}

Result<std::vector<LicenseRecord>> Tx::ListLicensesOfContainer(const std::string& serial) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kLicenseColumns +
                                              " FROM licenses WHERE serial = ?"
                                              " ORDER BY firm_code, fuc, product_code",
                                          {serial}));
  std::vector<LicenseRecord> out;
  for (const Row& r : rows) out.push_back(LicenseFromRow(r));
  return out;
}

Result<int64_t> Tx::ConfirmLicenses(const std::string& serial, uint32_t firm_code, uint64_t up_to,
                                    UnixTime now) {
  return Exec(
      "UPDATE licenses SET state = 'confirmed', confirmed_at = ?"
      " WHERE serial = ? AND firm_code = ? AND fuc <= ? AND state = 'activated'",
      {now, serial, I(firm_code), I(up_to)});
}

}  // namespace licet::central::store
