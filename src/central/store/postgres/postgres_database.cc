#include "central/store/postgres/postgres_database.h"

#include <charconv>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "central/store/migrate.h"
#include "central/store/postgres/postgres_connection.h"

namespace licet::central::store {
namespace postgres_internal {
namespace {

// Type OIDs of pg_type that come back as numbers (catalog/pg_type_d.h, stable since 7.x).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;

// Prepared statements cached per connection; Central runs a few dozen distinct ones. Past
// this, statements run unnamed (parsed every time) rather than growing without bound.
constexpr size_t kMaxCachedStatements = 256;

void IgnoreNotice(void*, const char*) {}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the text protocol with bytea_output = hex (set on every connection): "\x0a1b...".
Result<Bytes> DecodeByteaHex(const char* text, int length) {
  if (length < 2 || text[0] != '\\' || text[1] != 'x' || length % 2 != 0) {
    return Error(ErrorCode::kInternal, "bytea column not in hex output format");
  }
  Bytes out;
  out.reserve(static_cast<size_t>(length - 2) / 2);
  for (int i = 2; i < length; i += 2) {
    int hi = HexValue(text[i]);
    int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return Error(ErrorCode::kInternal, "bad hex in a bytea column");
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

Result<SqlValue> ColumnValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return SqlValue(std::monostate{});
  const char* text = PQgetvalue(res, row, col);
  int length = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kOidOid: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text, text + length, v);
      if (ec != std::errc() || end != text + length) {
        return Error(ErrorCode::kInternal, "integer column does not parse");
      }
      return SqlValue(v);
    }
    case kBoolOid:
      return SqlValue(int64_t{length == 1 && text[0] == 't' ? 1 : 0});
    case kByteaOid: {
      LICET_ASSIGN_OR_RETURN(Bytes b, DecodeByteaHex(text, length));
      return SqlValue(std::move(b));
    }
    default:
      return SqlValue(std::string(text, static_cast<size_t>(length)));
  }
}

}  // namespace

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

Result<PGconn*> PostgresConnection::Connect(const PostgresOptions& o) {
  std::string timeout = std::to_string(o.connect_timeout.count());
  // Entries before "dbname" may be overridden by the URL's own parameters, those after
  // it may not (libpq's expand_dbname rule).
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name",
                        "client_encoding", nullptr};
  const char* values[] = {timeout.c_str(), o.url.c_str(), "licet-central", "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return Error(ErrorCode::kUnavailable, "PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Error(ErrorCode::kUnavailable,
                 "cannot connect to PostgreSQL at " + RedactPostgresUrl(o.url) + ": " + why);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);  // "already exists, skipping" etc.
  Status st = Configure(conn, o);
  if (!st.ok()) {
    PQfinish(conn);
    return st;
  }
  return conn;
}

Result<std::vector<Row>> PostgresConnection::RowsOf(const PGresult* res) {
  const int rows = PQntuples(res);
  const int cols = PQnfields(res);
  std::vector<Row> out;
  out.reserve(static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    std::vector<SqlValue> values;
    values.reserve(static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      LICET_ASSIGN_OR_RETURN(SqlValue v, ColumnValue(res, r, c));
      values.push_back(std::move(v));
    }
    out.emplace_back(std::move(values));
  }
  return out;
}

Result<std::vector<Row>> PostgresConnection::Query(std::string_view sql,
                                                   std::span<const SqlValue> params) {
  LICET_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
  return RowsOf(res.get());
}

Result<int64_t> PostgresConnection::Execute(std::string_view sql,
                                            std::span<const SqlValue> params) {
  LICET_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
  const char* n = PQcmdTuples(res.get());
  int64_t count = 0;
  if (n != nullptr && *n != '\0') std::from_chars(n, n + std::strlen(n), count);
  return count;
}

Status PostgresConnection::ExecuteScript(std::string_view sql) {
  // The simple protocol cannot join a pipeline: what is held back goes first.
  if (begin_pending_ || !later_.empty()) {
    LICET_RETURN_IF_ERROR(RunPipeline(nullptr, false).status());
  }
  // Several statements in one simple-protocol message: no parameters, by contract.
  std::string text(sql);
  PgResult res(PQexec(conn_, text.c_str()), &PQclear);
  return Check(res.get(), "script");
}

Status PostgresConnection::Begin(TxMode) {
  if (PQstatus(conn_) != CONNECTION_OK) LICET_RETURN_IF_ERROR(Reset());
  if (options_.pipeline) {
    // Sent with the transaction's first statement (RunPipeline), which retries the pair
    // on a connection found dead, as below.
    begin_pending_ = true;
    return Status::Ok();
  }
  Status st = Simple(kBegin);
  if (st.ok() || PQstatus(conn_) == CONNECTION_OK) return st;
  // The server restarted or dropped us while the connection sat in the pool: nothing
  // was done yet, so reconnect and begin again, once.
  LICET_RETURN_IF_ERROR(Reset());
  return Simple(kBegin);
}

Status PostgresConnection::Commit() {
  if (!later_.empty()) {
    // The held-back writes and the COMMIT in one round trip.
    LICET_ASSIGN_OR_RETURN(PgResult res, RunPipeline(nullptr, /*commit=*/true));
    return CheckCommitted(res.get());
  }
  if (begin_pending_) {  // nothing was run: there is nothing to commit
    begin_pending_ = false;
    return Status::Ok();
  }
  PgResult res(PQexec(conn_, "COMMIT"), &PQclear);
  LICET_RETURN_IF_ERROR(Check(res.get(), "COMMIT"));
  return CheckCommitted(res.get());
}

Status PostgresConnection::CheckCommitted(PGresult* res) {
  if (std::string_view(PQcmdStatus(res)) != "COMMIT") {
    return Error(ErrorCode::kInternal, "COMMIT rolled back a failed transaction");
  }
  return Status::Ok();
}

void PostgresConnection::Rollback() {
  later_.clear();  // never sent: nothing to undo
  begin_pending_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) return;  // the server has rolled it back
  PGTransactionStatusType ts = PQtransactionStatus(conn_);
  if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) Simple("ROLLBACK").IgnoreError();
}

Status PostgresConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  return Reset();
}

Status PostgresConnection::Configure(PGconn* conn, const PostgresOptions& o) {
  // bytea_output: ColumnValue reads hex. statement_timeout: only when neither the URL
  // (options=-c...) nor the server configuration set one.
  PgResult show(PQexec(conn, "SHOW statement_timeout"), &PQclear);
  LICET_RETURN_IF_ERROR(CheckResult(conn, show.get(), "SHOW statement_timeout"));
  std::string sql = "SET bytea_output = 'hex'";
  if (PQntuples(show.get()) == 1 && std::string_view(PQgetvalue(show.get(), 0, 0)) == "0") {
    sql += "; SET statement_timeout = " + std::to_string(o.statement_timeout.count());
  }
  PgResult set(PQexec(conn, sql.c_str()), &PQclear);
  return CheckResult(conn, set.get(), "session settings");
}

Status PostgresConnection::CheckResult(PGconn* conn, const PGresult* res,
                                       std::string_view what) {
  ExecStatusType s = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
    return Status::Ok();
  }
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = res != nullptr ? Trimmed(PQresultErrorMessage(res)) : "";
  if (message.empty()) message = Trimmed(PQerrorMessage(conn));
  if (state == nullptr || PQstatus(conn) != CONNECTION_OK) {
    // No SQLSTATE: libpq itself failed (connection lost, out of memory).
    return Error(ErrorCode::kUnavailable, std::string(what) + ": PostgreSQL connection: " +
                                              (message.empty() ? "lost" : message));
  }
  return Error(CodeForSqlState(state), std::string(what) + ": " + message + " (SQLSTATE " +
                                           state + ")");
}

Status PostgresConnection::Simple(const char* sql) {
  PgResult res(PQexec(conn_, sql), &PQclear);
  return Check(res.get(), sql);
}

Status PostgresConnection::Reset() {
  statements_.clear();  // prepared statements die with the session
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Error(ErrorCode::kUnavailable, "cannot reconnect to PostgreSQL at " +
                                              RedactPostgresUrl(options_.url) + ": " +
                                              Trimmed(PQerrorMessage(conn_)));
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  return Configure(conn_, options_);
}

Status PostgresConnection::Encode(std::span<const SqlValue> params, Encoded& e) {
  e.text.assign(params.size(), std::string());
  e.values.assign(params.size(), nullptr);
  e.lengths.assign(params.size(), 0);
  e.formats.assign(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    const SqlValue& v = params[i];
    if (const auto* n = std::get_if<int64_t>(&v)) {
      e.text[i] = std::to_string(*n);
      e.values[i] = e.text[i].c_str();
    } else if (const auto* str = std::get_if<std::string>(&v)) {
      if (str->find('\0') != std::string::npos) {
        return Error(ErrorCode::kInvalidArgument, "a text value contains a NUL character");
      }
      e.values[i] = str->c_str();
    } else if (const auto* b = std::get_if<Bytes>(&v)) {
      static const char kEmpty = 0;
      e.values[i] = b->empty() ? &kEmpty : reinterpret_cast<const char*>(b->data());
      e.lengths[i] = static_cast<int>(b->size());
      e.formats[i] = 1;  // binary: the bytes as they are
    }  // monostate: NULL
  }
  return Status::Ok();
}

Result<const PostgresConnection::Prepared*> PostgresConnection::Prepare(std::string_view sql, size_t n) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    if (statements_.size() >= kMaxCachedStatements) return nullptr;
    Prepared p{"licet_" + std::to_string(next_statement_++), 0};
    std::string numbered = NumberPlaceholders(sql);
    PgResult prepared(PQprepare(conn_, p.name.c_str(), numbered.c_str(), 0, nullptr),
                      &PQclear);
    LICET_RETURN_IF_ERROR(Check(prepared.get(), "prepare"));
    PgResult described(PQdescribePrepared(conn_, p.name.c_str()), &PQclear);
    LICET_RETURN_IF_ERROR(Check(described.get(), "describe"));
    p.params = PQnparams(described.get());
    it = statements_.emplace(std::move(key), std::move(p)).first;
  }
  if (it->second.params != static_cast<int>(n)) {
    return Error(ErrorCode::kInternal, "statement takes " + std::to_string(it->second.params) +
                                           " parameters, got " + std::to_string(n));
  }
  return &it->second;
}

Result<PgResult> PostgresConnection::Run(std::string_view sql,
                                         std::span<const SqlValue> params) {
  if (begin_pending_ || !later_.empty()) {
    Call call{sql, params};
    return RunPipeline(&call, false);
  }
  Encoded e;
  LICET_RETURN_IF_ERROR(Encode(params, e));
  const int n = static_cast<int>(params.size());
  LICET_ASSIGN_OR_RETURN(const Prepared* p, Prepare(sql, params.size()));
  PGresult* raw = nullptr;
  if (p == nullptr) {
    std::string numbered = NumberPlaceholders(sql);
    raw = PQexecParams(conn_, numbered.c_str(), n, nullptr, e.values.data(), e.lengths.data(),
                       e.formats.data(), 0);
  } else {
    raw = PQexecPrepared(conn_, p->name.c_str(), n, e.values.data(), e.lengths.data(),
                         e.formats.data(), 0);
  }
  PgResult res(raw, &PQclear);
  LICET_RETURN_IF_ERROR(Check(res.get(), "statement"));
  return res;
}

}  // namespace postgres_internal

namespace {

using postgres_internal::PostgresConnection;

// An arbitrary constant naming the migration lock among the database's advisory locks
// ("licetcm" in ASCII).
constexpr int64_t kMigrationLockKey = 0x6c69636574636d;

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(PostgresOptions options) : options_(std::move(options)) {}

  Status Connect() {
    for (int i = 0; i < options_.pool_size; ++i) {
      LICET_ASSIGN_OR_RETURN(PGconn * conn, PostgresConnection::Connect(options_));
      owned_.push_back(std::make_unique<PostgresConnection>(options_, conn));
      idle_.push_back(owned_.back().get());
    }
    return Status::Ok();
  }

  Result<ConnectionLease> Acquire() override {
    PostgresConnection* c = nullptr;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty(); });
      c = idle_.back();
      idle_.pop_back();
    }
    ConnectionLease lease(c, [this](Connection* conn) {
      conn->Rollback();  // a lease never carries an open transaction back into the pool
      std::lock_guard g(mu_);
      idle_.push_back(static_cast<PostgresConnection*>(conn));
      cv_.notify_one();
    });
    // A connection the server dropped is reconnected here; if that fails the caller gets
    // kUnavailable and the connection goes back to the pool for a later try.
    LICET_RETURN_IF_ERROR(c->EnsureConnected());
    return lease;
  }

  std::string_view Kind() const override { return "postgresql"; }

 private:
  const PostgresOptions options_;  // connections keep a reference
  std::vector<std::unique_ptr<PostgresConnection>> owned_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PostgresConnection*> idle_;
};

// Session-level advisory lock held while the migrations run.
Status MigrateLocked(Connection& conn, int64_t now) {
  std::vector<SqlValue> key{kMigrationLockKey};
  LICET_RETURN_IF_ERROR(conn.Query("SELECT pg_advisory_lock(?)", key).status());
  Status st = Migrate(conn, BuiltinMigrations(), now);
  // On failure the lock is released anyway when the session ends; unlock when we can.
  Status unlocked = conn.Query("SELECT pg_advisory_unlock(?)", key).status();
  if (!st.ok()) return st;
  return unlocked;
}

}  // namespace

ErrorCode CodeForSqlState(std::string_view s) {
  if (s.size() != 5) return ErrorCode::kInternal;
  if (s == "23505") return ErrorCode::kAlreadyExists;
  if (s == kNoActivationLeftSqlState) return ErrorCode::kNoMoreLicenses;
  if (s == "40001" || s == "40P01" || s == "55P03") return ErrorCode::kBusy;
  if (s == "57014" || s == "57P01" || s == "57P02" || s == "57P03") return ErrorCode::kUnavailable;
  if (s == "08P01") return ErrorCode::kInternal;  // protocol violation: our bug, not the link
  std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "53") return ErrorCode::kUnavailable;
  if (cls == "23" || cls == "22") return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

std::string RedactPostgresUrl(std::string_view url) {
  std::string out(url);
  // URI form: scheme://user:PASSWORD@host...
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a URI query parameter or a key=value entry.
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    size_t value = pos + 9;
    size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresOptions& options) {
  if (options.url.empty()) return Error(ErrorCode::kInvalidArgument, "empty PostgreSQL URL");
  if (options.pool_size < 1 || options.pool_size > 64) {
    return Error(ErrorCode::kInvalidArgument, "pool size must be 1..64");
  }
  if (options.statement_timeout.count() < 1 || options.connect_timeout.count() < 1) {
    return Error(ErrorCode::kInvalidArgument, "timeouts must be positive");
  }
  auto db = std::make_unique<PostgresDatabase>(options);
  LICET_RETURN_IF_ERROR(db->Connect());
  return std::unique_ptr<Database>(std::move(db));
}

Result<std::unique_ptr<Database>> OpenAndMigratePostgres(const PostgresOptions& options,
                                                         int64_t now) {
  LICET_ASSIGN_OR_RETURN(auto db, OpenPostgresDatabase(options));
  {
    LICET_ASSIGN_OR_RETURN(ConnectionLease conn, db->Acquire());
    LICET_RETURN_IF_ERROR(MigrateLocked(*conn, now));
  }
  return db;
}

}  // namespace licet::central::store
