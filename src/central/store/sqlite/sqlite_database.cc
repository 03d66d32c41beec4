#include "central/store/sqlite/sqlite_database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace licet::central::store {
namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  int ext = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  std::string msg =
      std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorCode::kBusy, msg);
    case SQLITE_CONSTRAINT:
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error(ErrorCode::kAlreadyExists, msg);
      }
      return Error(ErrorCode::kInvalidArgument, msg);
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Error(ErrorCode::kIoError, msg);
    default:
      return Error(ErrorCode::kInternal, msg);
  }
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const SqlValue> params) override {
    LICET_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<Row> rows;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        Status st = SqliteError(db_, rc, "query");
        sqlite3_reset(stmt);
        return st;
      }
      int n = sqlite3_column_count(stmt);
      std::vector<SqlValue> values;
      values.reserve(n);
      for (int i = 0; i < n; ++i) values.push_back(Column(stmt, i));
      rows.emplace_back(std::move(values));
    }
    sqlite3_reset(stmt);
    return rows;
  }

  std::string_view Dialect() const override { return "sqlite"; }

  Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    LICET_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    int rc;
    do {
      rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE) {
      Status st = SqliteError(db_, rc, "statement");
      sqlite3_reset(stmt);
      return st;
    }
    sqlite3_reset(stmt);
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Status ExecuteScript(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (err != nullptr) sqlite3_free(err);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "script");
    return Status::Ok();
  }

  Status Begin(TxMode mode) override {
    return Simple(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  Status Commit() override { return Simple("COMMIT"); }
  void Rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) Simple("ROLLBACK").IgnoreError();
  }

 private:
  Status Simple(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
    return Status::Ok();
  }

  // Prepared statements are cached per connection: Central runs a few dozen distinct
  // statements, and preparing is a good part of a short statement's cost.
  Result<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const SqlValue> params) {
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      stmt = it->second;
      sqlite3_clear_bindings(stmt);
    } else {
      // PERSISTENT: the statement lives as long as the connection, so SQLite keeps it out of
      // its lookaside allocator, which is meant for short-lived objects.
      int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
      cache_.emplace(std::move(key), stmt);
    }
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return Error(ErrorCode::kInternal, "statement takes " +
                                             std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                             " parameters, got " + std::to_string(params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const Bytes& b = std::get<Bytes>(v);
        // A zero-length blob must still be a blob, not NULL.
        rc = sqlite3_bind_blob64(stmt, idx, b.empty() ? "" : static_cast<const void*>(b.data()),
                                 b.size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind");
    }
    return stmt;
  }

  static SqlValue Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL:
        return std::monostate{};
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
      case SQLITE_BLOB: {
        const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i));
        int n = sqlite3_column_bytes(stmt, i);
        return p == nullptr ? Bytes{} : Bytes(p, p + n);
      }
      default: {
        const auto* p = sqlite3_column_text(stmt, i);
        int n = sqlite3_column_bytes(stmt, i);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
      }
    }
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::vector<std::unique_ptr<SqliteConnection>> conns)
      : owned_(std::move(conns)) {
    for (auto& c : owned_) idle_.push_back(c.get());
  }

  Result<ConnectionLease> Acquire() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty(); });
    Connection* c = idle_.back();
    idle_.pop_back();
    return ConnectionLease(c, [this](Connection* conn) {
      conn->Rollback();  // a lease never carries an open transaction back into the pool
      std::lock_guard g(mu_);
      idle_.push_back(conn);
      cv_.notify_one();
    });
  }

  std::string_view Kind() const override { return "sqlite"; }

 private:
  std::vector<std::unique_ptr<SqliteConnection>> owned_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Connection*> idle_;
};

Result<std::unique_ptr<SqliteConnection>> OpenOne(const SqliteOptions& o) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(o.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteError(db, rc, "cannot open database " + o.path);
    sqlite3_close_v2(db);
    return Error(ErrorCode::kIoError, st.message());
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, o.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // journal_mode=WAL answers with a row; read it through Query so a non-database file is
  // reported here (SQLITE_NOTADB) rather than at the first real statement.
  auto mode = conn->Query("PRAGMA journal_mode=WAL", {});
  if (!mode.ok()) return Error(ErrorCode::kIoError, o.path + ": " + mode.status().message());
  LICET_RETURN_IF_ERROR(conn->ExecuteScript(
      "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA trusted_schema=OFF;"));
  return conn;
}

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options) {
  if (options.path.empty()) return Error(ErrorCode::kInvalidArgument, "empty database path");
  if (options.pool_size < 1 || options.pool_size > 64) {
    return Error(ErrorCode::kInvalidArgument, "pool size must be 1..64");
  }
  // The file holds sealed secrets and the license history: owner-only, even if sealed
  // (SQLite gives the -wal and -shm files the database file's mode). umask is
  // process-wide: open databases at start-up, before other threads create files.
  mode_t old = ::umask(077);
  std::vector<std::unique_ptr<SqliteConnection>> conns;
  Status failed;
  for (int i = 0; i < options.pool_size; ++i) {
    auto c = OpenOne(options);
    if (!c.ok()) {
      failed = c.status();
      break;
    }
    conns.push_back(std::move(c).value());
  }
  ::umask(old);
  if (!failed.ok()) return failed;
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(std::move(conns)));
}

}  // namespace licet::central::store
