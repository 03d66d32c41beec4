#include "central/store/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "central/store/migrate.h"

namespace licet::central::store {
namespace {

// Type OIDs of pg_type that come back as numbers (catalog/pg_type_d.h, stable since 7.x).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;

// An arbitrary constant naming the migration lock among the database's advisory locks
// ("licetcm" in ASCII).
constexpr int64_t kMigrationLockKey = 0x6c69636574636d;

// Prepared statements cached per connection; Central runs a few dozen distinct ones. Past
// this, statements run unnamed (parsed every time) rather than growing without bound.
constexpr size_t kMaxCachedStatements = 256;

// Writes held back per transaction before they are sent anyway (the activation path holds
// back four or five).
constexpr size_t kMaxLater = 64;

// Both modes are a plain READ COMMITTED transaction (see the file comment of the header);
// spelled out so that a server default of another level changes nothing.
constexpr const char* kBegin = "BEGIN ISOLATION LEVEL READ COMMITTED";

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

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

class PostgresConnection final : public Connection {
 public:
  // Takes ownership of `conn` (connected and configured by Connect).
  PostgresConnection(const PostgresOptions& options, PGconn* conn)
      : options_(options), conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Opens a new session with the settings every connection has.
  static Result<PGconn*> Connect(const PostgresOptions& o) {
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

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const SqlValue> params) override {
    LICET_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    const int rows = PQntuples(res.get());
    const int cols = PQnfields(res.get());
    std::vector<Row> out;
    out.reserve(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<SqlValue> values;
      values.reserve(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        LICET_ASSIGN_OR_RETURN(SqlValue v, ColumnValue(res.get(), r, c));
        values.push_back(std::move(v));
      }
      out.emplace_back(std::move(values));
    }
    return out;
  }

  Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    LICET_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    const char* n = PQcmdTuples(res.get());
    int64_t count = 0;
    if (n != nullptr && *n != '\0') std::from_chars(n, n + std::strlen(n), count);
    return count;
  }

  Status ExecuteLater(std::string_view sql, std::span<const SqlValue> params,
                      ErrorCode on_unique_violation) override {
    if (!options_.pipeline || later_.size() >= kMaxLater) {
      if (!later_.empty()) LICET_RETURN_IF_ERROR(RunPipeline(nullptr, false).status());
      return Connection::ExecuteLater(sql, params, on_unique_violation);
    }
    later_.push_back(Later{std::string(sql), {params.begin(), params.end()}, on_unique_violation});
    return Status::Ok();
  }

  Status ExecuteScript(std::string_view sql) override {
    // The simple protocol cannot join a pipeline: what is held back goes first.
    if (begin_pending_ || !later_.empty()) {
      LICET_RETURN_IF_ERROR(RunPipeline(nullptr, false).status());
    }
    // Several statements in one simple-protocol message: no parameters, by contract.
    std::string text(sql);
    PgResult res(PQexec(conn_, text.c_str()), &PQclear);
    return Check(res.get(), "script");
  }

  Status Begin(TxMode) override {
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

  Status Commit() override {
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

  // COMMIT of a transaction that had failed answers "ROLLBACK" without an error.
  static Status CheckCommitted(PGresult* res) {
    if (std::string_view(PQcmdStatus(res)) != "COMMIT") {
      return Error(ErrorCode::kInternal, "COMMIT rolled back a failed transaction");
    }
    return Status::Ok();
  }

  void Rollback() override {
    later_.clear();  // never sent: nothing to undo
    begin_pending_ = false;
    if (PQstatus(conn_) != CONNECTION_OK) return;  // the server has rolled it back
    PGTransactionStatusType ts = PQtransactionStatus(conn_);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) Simple("ROLLBACK").IgnoreError();
  }

  // Reconnects a broken session (Acquire calls it for a connection that went bad).
  Status EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    return Reset();
  }

 private:
  struct Prepared {
    std::string name;
    int params;
  };

  static Status Configure(PGconn* conn, const PostgresOptions& o) {
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

  static Status CheckResult(PGconn* conn, const PGresult* res, std::string_view what) {
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

  Status Check(const PGresult* res, std::string_view what) {
    return CheckResult(conn_, res, what);
  }

  Status Simple(const char* sql) {
    PgResult res(PQexec(conn_, sql), &PQclear);
    return Check(res.get(), sql);
  }

  Status Reset() {
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

  // A statement's parameters in libpq's form. Text parameters are C strings in libpq's
  // text format: a NUL inside would cut them short silently, so Encode refuses it
  // (PostgreSQL text cannot hold NUL anyway). Pointers into `text` and the caller's
  // params: neither may move while libpq reads them.
  struct Encoded {
    std::vector<std::string> text;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };

  static Status Encode(std::span<const SqlValue> params, Encoded& e) {
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

  // The cached prepared statement of `sql` (prepared now if new), or nullptr when the cache
  // is full and the statement runs unnamed.
  Result<const Prepared*> Prepare(std::string_view sql, size_t n) {
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

  // Runs one statement with its parameters through a cached prepared statement; with a
  // BEGIN or writes held back, all of them in one pipeline.
  Result<PgResult> Run(std::string_view sql, std::span<const SqlValue> params) {
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

  struct Call {
    std::string_view sql;
    std::span<const SqlValue> params;
  };

  // Sends, in one pipeline and one round trip, the pending BEGIN, the held-back writes, and
  // then `current` or a COMMIT (or neither), and returns the last one's result (null when
  // neither). The first failure is the result: the statements after it were skipped by the
  // server, and the transaction is left failed for the caller's Rollback. The held-back
  // writes are spent either way. When the pipeline opens the transaction and holds no
  // COMMIT, a connection found dead is reconnected and the pipeline sent again, once:
  // the server rolled back whatever it had run (as Begin did without pipelining).
  Result<PgResult> RunPipeline(const Call* current, bool commit) {
    const bool opens = begin_pending_;
    auto result = RunPipelineOnce(current, commit);
    if (!result.ok() && opens && !commit && PQstatus(conn_) != CONNECTION_OK) {
      if (Status st = Reset(); !st.ok()) {
        later_.clear();
        begin_pending_ = false;
        return st;
      }
      begin_pending_ = true;
      result = RunPipelineOnce(current, commit);
    }
    later_.clear();
    begin_pending_ = false;
    return result;
  }

  Result<PgResult> RunPipelineOnce(const Call* current, bool commit) {
    struct Item {
      const char* text = nullptr;        // BEGIN or COMMIT
      std::string_view sql;              // a statement
      std::span<const SqlValue> params;  //   and its parameters
      const Prepared* prepared = nullptr;
      std::string numbered;  // a statement run unnamed (the cache is full)
      std::optional<ErrorCode> on_unique;
    };
    std::vector<Item> items;
    items.reserve(later_.size() + 3);
    if (begin_pending_) items.push_back(Item{kBegin, {}, {}, nullptr, {}, std::nullopt});
    for (const Later& l : later_) {
      items.push_back(Item{nullptr, l.sql, l.params, nullptr, {}, l.on_unique_violation});
    }
    if (current != nullptr) {
      items.push_back(Item{nullptr, current->sql, current->params, nullptr, {}, std::nullopt});
    }
    if (commit) items.push_back(Item{"COMMIT", {}, {}, nullptr, {}, std::nullopt});
    // Prepared before the pipeline starts (once per connection and statement).
    std::vector<Encoded> encoded(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      Item& it = items[i];
      if (it.text != nullptr) continue;
      LICET_RETURN_IF_ERROR(Encode(it.params, encoded[i]));
      LICET_ASSIGN_OR_RETURN(it.prepared, Prepare(it.sql, it.params.size()));
      if (it.prepared == nullptr) it.numbered = NumberPlaceholders(it.sql);
    }
    if (PQenterPipelineMode(conn_) != 1) {
      return Error(ErrorCode::kUnavailable,
                   "PostgreSQL pipeline: " + Trimmed(PQerrorMessage(conn_)));
    }
    bool sent = true;
    for (size_t i = 0; i < items.size() && sent; ++i) {
      const Item& it = items[i];
      const Encoded& e = encoded[i];
      const int n = static_cast<int>(it.params.size());
      if (it.text != nullptr) {
        sent = PQsendQueryParams(conn_, it.text, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
      } else if (it.prepared != nullptr) {
        sent = PQsendQueryPrepared(conn_, it.prepared->name.c_str(), n, e.values.data(),
                                   e.lengths.data(), e.formats.data(), 0) == 1;
      } else {
        sent = PQsendQueryParams(conn_, it.numbered.c_str(), n, nullptr, e.values.data(),
                                 e.lengths.data(), e.formats.data(), 0) == 1;
      }
    }
    if (!sent || PQpipelineSync(conn_) != 1) return AbandonPipeline("send");
    Status first_error;
    PgResult last(nullptr, &PQclear);
    for (size_t i = 0; i < items.size(); ++i) {
      PgResult res(PQgetResult(conn_), &PQclear);
      if (res == nullptr) return AbandonPipeline("result");
      const ExecStatusType s = PQresultStatus(res.get());
      if (first_error.ok() && s != PGRES_PIPELINE_ABORTED) {
        Status st = Check(res.get(), items[i].text != nullptr ? items[i].text : "statement");
        if (!st.ok() && st.code() == ErrorCode::kAlreadyExists && items[i].on_unique) {
          st = Error(*items[i].on_unique, st.message());
        }
        first_error = st;
      } else if (first_error.ok()) {
        first_error = Error(ErrorCode::kInternal, "pipeline aborted without an error");
      }
      // One result per statement, then a null that ends it.
      if (PgResult end(PQgetResult(conn_), &PQclear); end != nullptr) {
        return AbandonPipeline("extra result");
      }
      if (i + 1 == items.size()) last = std::move(res);
    }
    PgResult sync(PQgetResult(conn_), &PQclear);
    if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
        PQexitPipelineMode(conn_) != 1) {
      return AbandonPipeline("sync");
    }
    if (!first_error.ok()) return first_error;
    if (current == nullptr && !commit) return PgResult(nullptr, &PQclear);
    return last;
  }

  // The pipeline broke off (the connection died, or libpq lost step): the transaction is
  // gone either way. A live connection is reset so that the next use starts clean; the
  // caller learns kUnavailable, so an unanswered COMMIT is never taken for done.
  Status AbandonPipeline(std::string_view where) {
    std::string why = Trimmed(PQerrorMessage(conn_));
    if (PQstatus(conn_) == CONNECTION_OK) Reset().IgnoreError();
    return Error(ErrorCode::kUnavailable, "PostgreSQL pipeline (" + std::string(where) +
                                              "): " + (why.empty() ? "connection lost" : why));
  }

  const PostgresOptions& options_;
  PGconn* conn_;
  std::unordered_map<std::string, Prepared> statements_;  // by SQL text
  uint64_t next_statement_ = 0;
  // Pipelining (options_.pipeline): a BEGIN not sent yet, and writes held back by
  // ExecuteLater; both go out with the next statement or the COMMIT.
  struct Later {
    std::string sql;
    std::vector<SqlValue> params;
    ErrorCode on_unique_violation;
  };
  bool begin_pending_ = false;
  std::vector<Later> later_;
};

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
