// Containers, their per-firm FUC state and the issued history.
#include "central/store/store.h"
#include "central/store/store_internal.h"

namespace licet::central::store {
namespace {

using internal::I;

constexpr const char* kContainerColumns =
    "serial, enc_public_key, sig_public_key, state, state_reason, flagged_report, first_seen, "
    "last_seen";

ContainerRecord ContainerFromRow(const Row& r) {
  return ContainerRecord{r.Text(0), r.Blob(1), r.Blob(2), r.Text(3),
                         r.Text(4), r.Text(5), r.Int(6),  r.Int(7)};
}

constexpr const char* kContainerFirmColumns =
    "serial, firm_code, issued_fuc, confirmed_fuc, baseline_fuc, baseline_products";

ContainerFirmRecord ContainerFirmFromRow(const Row& r) {
  return ContainerFirmRecord{r.Text(0),           internal::U32(r, 1),
                             internal::U64(r, 2), internal::U64(r, 3),
                             internal::U64(r, 4), internal::SplitCodes(r.Text(5))};
}

constexpr const char* kRangeColumns =
    "serial, firm_code, fuc_from, fuc_to, sealed_ops, reason, ticket_code, created_at";

FucRangeRecord RangeFromRow(const Row& r) {
  return FucRangeRecord{
      r.Text(0), internal::U32(r, 1), internal::U64(r, 2),     internal::U64(r, 3),
      r.Blob(4), r.Text(5),           internal::OptText(r, 6), r.Int(7)};
}

// One statement: the insert at first sight, or last_seen raised on the known row; either
// way the stored row comes back (its keys are the pinned ones).
const std::string& PinAndTouchSql() {
  static const std::string kSql =
      std::string("INSERT INTO containers (") + kContainerColumns +
      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET last_seen ="
      " CASE WHEN containers.last_seen < ? THEN ? ELSE containers.last_seen END"
      " RETURNING " +
      kContainerColumns;
  return kSql;
}

std::vector<SqlValue> PinAndTouchParams(const ContainerRecord& c, UnixTime now) {
  return {c.serial,         c.enc_public_key, c.sig_public_key, c.state, c.state_reason,
          c.flagged_report, c.first_seen,     c.last_seen,      now,     now};
}

// The no-op DO UPDATE makes the row come back in one statement whether it was inserted or
// not (DO NOTHING returns no row for a known key); on PostgreSQL it also locks the row, so
// concurrent requests for one container take turns here rather than at the FUC
// compare-and-set.
// `values`: the new row's VALUES or SELECT (serial, firm code, then the empty state).
std::string EnsureContainerFirmSql(const char* values) {
  return std::string("INSERT INTO container_firms (") + kContainerFirmColumns + ") " + values +
         " ON CONFLICT (serial, firm_code) DO UPDATE SET firm_code = excluded.firm_code"
         " RETURNING " +
         kContainerFirmColumns;
}

}  // namespace

Result<ContainerRecord> Tx::PinContainer(const ContainerRecord& c) {
  LICET_RETURN_IF_ERROR(
      Exec(std::string("INSERT INTO containers (") + kContainerColumns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING",
           {c.serial, c.enc_public_key, c.sig_public_key, c.state, c.state_reason, c.flagged_report,
            c.first_seen, c.last_seen}));
  LICET_ASSIGN_OR_RETURN(auto stored, GetContainer(c.serial));
  if (!stored) return Error(ErrorCode::kInternal, "container " + c.serial + " vanished");
  return std::move(*stored);
}

Result<ContainerRecord> Tx::PinAndTouchContainer(const ContainerRecord& c, UnixTime now) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(PinAndTouchSql(), PinAndTouchParams(c, now)));
  if (rows.size() != 1) return Error(ErrorCode::kInternal, "container upsert returned no row");
  return ContainerFromRow(rows[0]);
}

Result<std::optional<ActivationStart>> Tx::StartActivation(const std::string& ticket_code,
                                                           const ContainerRecord& seen,
                                                           UnixTime now) {
  // The ticket bundle and the pin travel with the container-firm upsert (pipeline mode),
  // which takes the firm from the ticket row so that it need not wait for the bundle; their
  // rows are in place once the upsert returned.
  static const std::string kEnsureByTicket =
      EnsureContainerFirmSql("SELECT ?, firm_code, 0, 0, 0, '' FROM tickets WHERE code = ?");
  std::vector<Row> bundle_rows;
  std::vector<Row> pinned;
  LICET_RETURN_IF_ERROR(QueryTicketBundleLater(ticket_code, &bundle_rows));
  std::vector<SqlValue> pin_params = PinAndTouchParams(seen, now);
  LICET_RETURN_IF_ERROR(
      conn_.QueryLater(PinAndTouchSql(), pin_params, ErrorCode::kAlreadyExists, &pinned));
  LICET_ASSIGN_OR_RETURN(auto cf_rows, Query(kEnsureByTicket, {seen.serial, ticket_code}));
  std::optional<TicketBundle> bundle = TicketBundleOf(bundle_rows);
  if (!bundle) return std::optional<ActivationStart>();
  if (pinned.size() != 1 || cf_rows.size() != 1) {
    return Error(ErrorCode::kInternal, "container upserts returned no row");
  }
  return std::optional<ActivationStart>(ActivationStart{
      std::move(*bundle), ContainerFromRow(pinned[0]), ContainerFirmFromRow(cf_rows[0])});
}

Result<std::optional<ContainerRecord>> Tx::GetContainer(const std::string& serial) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kContainerColumns +
                                              " FROM containers WHERE serial = ?",
                                          {serial}));
  if (rows.empty()) return std::optional<ContainerRecord>();
  return std::optional<ContainerRecord>(ContainerFromRow(rows[0]));
}

Status Tx::SetContainerState(const std::string& serial, const std::string& state,
                             const std::string& reason, const std::string& report_json) {
  LICET_ASSIGN_OR_RETURN(int64_t n, Exec("UPDATE containers SET state = ?, state_reason = ?,"
                                         " flagged_report = ? WHERE serial = ?",
                                         {state, reason, report_json, serial}));
  if (n == 0) return Error(ErrorCode::kContainerNotFound, "no container " + serial);
  return Status::Ok();
}

Status Tx::TouchContainer(const std::string& serial, UnixTime now) {
  return Exec("UPDATE containers SET last_seen = ? WHERE serial = ? AND last_seen < ?",
              {now, serial, now})
      .status();
}

Result<ContainerFirmRecord> Tx::EnsureContainerFirm(const std::string& serial, uint32_t firm_code) {
  static const std::string kSql = EnsureContainerFirmSql("VALUES (?, ?, 0, 0, 0, '')");
  LICET_ASSIGN_OR_RETURN(auto rows, Query(kSql, {serial, I(firm_code)}));
  if (rows.size() != 1) return Error(ErrorCode::kInternal, "container firm upsert returned no row");
  return ContainerFirmFromRow(rows[0]);
}

Result<std::optional<ContainerFirmRecord>> Tx::GetContainerFirm(const std::string& serial,
                                                                uint32_t firm_code) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kContainerFirmColumns +
                                              " FROM container_firms"
                                              " WHERE serial = ? AND firm_code = ?",
                                          {serial, I(firm_code)}));
  if (rows.empty()) return std::optional<ContainerFirmRecord>();
  return std::optional<ContainerFirmRecord>(ContainerFirmFromRow(rows[0]));
}

Result<std::vector<ContainerFirmRecord>> Tx::ListContainerFirms(const std::string& serial) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kContainerFirmColumns +
                                              " FROM container_firms WHERE serial = ?"
                                              " ORDER BY firm_code",
                                          {serial}));
  std::vector<ContainerFirmRecord> out;
  for (const Row& r : rows) out.push_back(ContainerFirmFromRow(r));
  return out;
}

Result<bool> Tx::AdvanceIssuedFuc(const std::string& serial, uint32_t firm_code, uint64_t expected,
                                  uint64_t new_fuc) {
  LICET_ASSIGN_OR_RETURN(int64_t n, Exec("UPDATE container_firms SET issued_fuc = ?"
                                         " WHERE serial = ? AND firm_code = ? AND issued_fuc = ?",
                                         {I(new_fuc), serial, I(firm_code), I(expected)}));
  return n == 1;
}

Status Tx::RaiseConfirmedFuc(const std::string& serial, uint32_t firm_code, uint64_t fuc) {
  return Exec(
             "UPDATE container_firms SET confirmed_fuc = ?"
             " WHERE serial = ? AND firm_code = ? AND confirmed_fuc < ?",
             {I(fuc), serial, I(firm_code), I(fuc)})
      .status();
}

Status Tx::SetBaseline(const std::string& serial, uint32_t firm_code, uint64_t fuc,
                       const std::vector<uint32_t>& products) {
  LICET_RETURN_IF_ERROR(EnsureContainerFirm(serial, firm_code).status());
  return Exec(
             "UPDATE container_firms SET baseline_fuc = ?, baseline_products = ?,"
             " issued_fuc = CASE WHEN issued_fuc < ? THEN ? ELSE issued_fuc END,"
             " confirmed_fuc = CASE WHEN confirmed_fuc < ? THEN ? ELSE confirmed_fuc END"
             " WHERE serial = ? AND firm_code = ?",
             {I(fuc), internal::JoinCodes(products), I(fuc), I(fuc), I(fuc), I(fuc), serial,
              I(firm_code)})
      .status();
}

Status Tx::InsertRange(const FucRangeRecord& r) {
  // A range that exists was issued by a request that raced this one: kBusy retries.
  return ExecLater(std::string("INSERT INTO fuc_ranges (") + kRangeColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {r.serial, I(r.firm_code), I(r.fuc_from), I(r.fuc_to), r.sealed_ops, r.reason,
                    internal::OrNull(r.ticket_code), r.created_at},
                   ErrorCode::kBusy);
}

Result<std::vector<FucRangeRecord>> Tx::ListRanges(const std::string& serial, uint32_t firm_code) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kRangeColumns +
                                              " FROM fuc_ranges WHERE serial = ? AND firm_code = ?"
                                              " ORDER BY fuc_from",
                                          {serial, I(firm_code)}));
  std::vector<FucRangeRecord> out;
  for (const Row& r : rows) out.push_back(RangeFromRow(r));
  return out;
}

}  // namespace licet::central::store
