#include "central/store/store.h"

#include <charconv>
#include <chrono>
#include <thread>

#include "central/store/store_internal.h"
#include "crypto/crypto.h"

namespace licet::central::store {

namespace internal {

std::string JoinCodes(const std::vector<uint32_t>& codes) {
  std::string out;
  for (uint32_t c : codes) {
    if (!out.empty()) out += ',';
    out += std::to_string(c);
  }
  return out;
}

std::vector<uint32_t> SplitCodes(const std::string& text) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + comma, v);
    if (ec == std::errc() && p == text.data() + comma) out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

}  // namespace internal

std::string NewId(std::string_view prefix) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  Bytes r = crypto::RandomBytes(20);
  std::string id(prefix);
  for (uint8_t b : r) id += kAlphabet[b & 31];
  return id;
}

Result<std::vector<Row>> Tx::Query(std::string_view sql, std::vector<SqlValue> params) {
  return conn_.Query(sql, params);
}

Result<int64_t> Tx::Exec(std::string_view sql, std::vector<SqlValue> params) {
  return conn_.Execute(sql, params);
}

Status Tx::ExecLater(std::string_view sql, std::vector<SqlValue> params,
                     ErrorCode on_unique_violation) {
  return conn_.ExecuteLater(sql, params, on_unique_violation);
}

Status Tx::Ping() {
  LICET_ASSIGN_OR_RETURN(auto rows, Query("SELECT 1", {}));
  if (rows.size() != 1 || rows[0].Int(0) != 1) {
    return Error(ErrorCode::kUnavailable, "database did not answer SELECT 1");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> Tx::GetSetting(const std::string& name) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query("SELECT value FROM settings WHERE name = ?", {name}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

Result<std::string> Tx::PutSettingIfAbsent(const std::string& name, const std::string& value) {
  LICET_RETURN_IF_ERROR(
      Exec("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
           {name, value}));
  LICET_ASSIGN_OR_RETURN(auto stored, GetSetting(name));
  if (!stored) return Error(ErrorCode::kInternal, "setting " + name + " vanished");
  return *stored;
}

Store::Store(Database& db, WriteMode mode) : db_(db) {
  const bool group =
      mode == WriteMode::kGroupCommit || (mode == WriteMode::kAuto && db.Kind() == "sqlite");
  if (group) group_ = std::make_unique<GroupCommitter>(db);
}

Store::~Store() = default;

Status Store::TransactOnce(TxMode mode, const std::function<Status(Tx&)>& fn) {
  if (mode == TxMode::kWrite && group_ != nullptr) return group_->Run(fn);
  LICET_ASSIGN_OR_RETURN(ConnectionLease conn, db_.Acquire());
  Status st = conn->Begin(mode);
  if (st.ok()) {
    Tx tx(*conn);
    st = fn(tx);
    if (st.ok()) st = conn->Commit();
  }
  if (!st.ok()) conn->Rollback();
  return st;
}

Status Store::Transact(TxMode mode, const std::function<Status(Tx&)>& fn, int max_attempts) {
  Status last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (attempt > 0) {
      // Randomised backoff: instances that collided should not collide again in lockstep.
      auto ms = 1 + crypto::RandomUniform(static_cast<uint64_t>(5) << std::min(attempt, 5));
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    Status st = TransactOnce(mode, fn);
    if (st.ok() || st.code() != ErrorCode::kBusy) return st;
    last = st;
  }
  return Error(ErrorCode::kBusy, "the database stayed busy: " + last.message());
}

}  // namespace licet::central::store
