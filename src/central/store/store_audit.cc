// The audit log and stored idempotent responses.
#include "central/store/store.h"
#include "central/store/store_internal.h"

namespace licet::central::store {
namespace {

constexpr const char* kAuditColumns =
    "id, at, event, actor, firm_code, ticket_code, serial, detail";

AuditRecord AuditFromRow(const Row& r) {
  AuditRecord a;
  a.id = r.Text(0);
  a.at = r.Int(1);
  a.event = r.Text(2);
  a.actor = r.Text(3);
  if (!r.IsNull(4)) a.firm_code = internal::U32(r, 4);
  a.ticket_code = internal::OptText(r, 5);
  a.serial = internal::OptText(r, 6);
  a.detail = r.Text(7);
  return a;
}

}  // namespace

Status Tx::AppendAudit(const AuditRecord& a) {
  return ExecLater(std::string("INSERT INTO audit_log (") + kAuditColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {a.id, a.at, a.event, a.actor, internal::OrNull(a.firm_code),
                    internal::OrNull(a.ticket_code), internal::OrNull(a.serial), a.detail},
                   ErrorCode::kAlreadyExists);
}

Result<std::vector<AuditRecord>> Tx::ListAudit(UnixTime after_at, const std::string& after_id,
                                               int limit, std::optional<uint32_t> only_firm) {
  // (at, id) > (after_at, after_id), spelled out: row-value comparison is in both dialects,
  // but this form uses the (at, id) index everywhere.
  std::string sql = std::string("SELECT ") + kAuditColumns +
                    " FROM audit_log WHERE (at > ? OR (at = ? AND id > ?))";
  std::vector<SqlValue> params{after_at, after_at, after_id};
  if (only_firm) {
    sql += " AND firm_code = ?";
    params.push_back(internal::I(*only_firm));
  }
  sql += " ORDER BY at, id LIMIT ?";
  params.push_back(limit);
  LICET_ASSIGN_OR_RETURN(auto rows, Query(sql, std::move(params)));
  std::vector<AuditRecord> out;
  for (const Row& r : rows) out.push_back(AuditFromRow(r));
  return out;
}

Result<std::optional<IdempotencyRecord>> Tx::GetIdempotency(const std::string& api_key_id,
                                                            const std::string& key) {
  LICET_ASSIGN_OR_RETURN(
      auto rows, Query("SELECT api_key_id, idem_key, request_hash, status, content_type, body,"
                       " created_at FROM idempotency_keys WHERE api_key_id = ? AND idem_key = ?",
                       {api_key_id, key}));
  if (rows.empty()) return std::optional<IdempotencyRecord>();
  const Row& r = rows[0];
  return std::optional<IdempotencyRecord>(IdempotencyRecord{
      r.Text(0), r.Text(1), r.Blob(2), static_cast<int>(r.Int(3)), r.Text(4), r.Blob(5), r.Int(6)});
}

Status Tx::PutIdempotency(const IdempotencyRecord& rec) {
  LICET_ASSIGN_OR_RETURN(
      int64_t n,
      Exec("INSERT INTO idempotency_keys (api_key_id, idem_key, request_hash, status,"
           " content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
           {rec.api_key_id, rec.key, rec.request_hash, int64_t{rec.status}, rec.content_type,
            rec.body, rec.created_at}));
  if (n == 0) return Error(ErrorCode::kAlreadyExists, "idempotency key stored meanwhile");
  return Status::Ok();
}

}  // namespace licet::central::store
