// The SQL seam of License Central: a Database hands out Connections that run portable SQL.
//
// Every statement Central runs is written once, in the subset of SQL that SQLite (3.35+)
// and PostgreSQL (12+) both accept, with `?` placeholders. A backend implements Connection
// and Database; everything above (the Store, the migrations) is shared. The SQLite backend
// is store/sqlite/; a PostgreSQL backend implements the same two classes with libpq and
// rewrites placeholders with NumberPlaceholders().
//
// Rules the shared SQL follows, so that a backend never has to translate it:
//   * column types: BIGINT (all integers, times as Unix seconds, booleans 0/1), TEXT, BYTEA
//     (SQLite stores BYTEA columns' blobs as they are);
//   * no auto-increment: ids are chosen by Central (random or natural keys);
//   * "insert if absent" is `INSERT ... ON CONFLICT (...) DO NOTHING` and the affected row
//     count, never a caught constraint error: PostgreSQL aborts the whole transaction on an
//     error, so a statement inside a transaction must not be expected to fail;
//   * concurrency control is by single conditional UPDATEs (`... WHERE used < allowed`,
//     compare-and-set on counters), which are atomic in both under any isolation level.
#ifndef LICET_CENTRAL_STORE_SQL_H_
#define LICET_CENTRAL_STORE_SQL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::central::store {

// A value bound to a placeholder or read from a column. std::monostate is SQL NULL.
using SqlValue = std::variant<std::monostate, int64_t, std::string, Bytes>;

// One result row. Accessors convert leniently between the representations a backend may
// return (PostgreSQL's text protocol gives numbers as text): Int() parses text, Blob() of
// text is its bytes. NULL reads as 0, "" or empty bytes; IsNull() tells it apart.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const;
  int64_t Int(size_t i) const;
  std::string Text(size_t i) const;
  Bytes Blob(size_t i) const;

 private:
  std::vector<SqlValue> values_;
};

enum class TxMode {
  kRead,   // SQLite: BEGIN (deferred); PostgreSQL: BEGIN
  kWrite,  // SQLite: BEGIN IMMEDIATE (takes the write lock now, so no deadlock upgrade);
           // PostgreSQL: BEGIN
};

// One database session. Not thread-safe: one thread uses it at a time (Database::Acquire).
//
// Error codes every backend maps to, so that the Store can react uniformly:
//   kAlreadyExists  a unique or primary key violation (SQLite CONSTRAINT_UNIQUE/PRIMARYKEY,
//                   PostgreSQL 23505);
//   kBusy           the statement lost a race and the whole transaction should be retried
//                   (SQLite BUSY/LOCKED after the busy timeout, PostgreSQL 40001, 40P01,
//                   55P03);
//   kUnavailable    the database cannot be reached (connection lost, PostgreSQL 08xxx);
//   kInvalidArgument another constraint (foreign key, NOT NULL, check);
//   kInternal       anything else (a bug in the SQL).
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement whose `?` placeholders take `params` in order, and returns its rows.
  virtual Result<std::vector<Row>> Query(std::string_view sql,
                                         std::span<const SqlValue> params) = 0;
  // Runs one statement and returns the number of rows it inserted, updated or deleted.
  virtual Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) = 0;
  // Runs a write whose caller needs nothing back but its success, possibly later: a backend
  // may hold it and send it together with the connection's next call (Query, Execute,
  // ExecuteScript or Commit) in one round trip (PostgreSQL's pipeline mode). Its failure is
  // then reported by this call or by that later one, and either way the transaction must be
  // rolled back (the Store does on any error). A unique violation is reported as
  // `on_unique_violation` (kBusy asks Transact to run the whole function again). Only
  // inside a transaction, and only for statements whose every failure fails the
  // transaction: a plain INSERT may then rely on its key (sql.h's rule against caught
  // constraint errors is about statements expected to fail and be carried on from).
  // The default runs it at once.
  virtual Status ExecuteLater(std::string_view sql, std::span<const SqlValue> params,
                              ErrorCode on_unique_violation) {
    Result<int64_t> r = Execute(sql, params);
    if (!r.ok() && r.status().code() == ErrorCode::kAlreadyExists) {
      return Error(on_unique_violation, r.status().message());
    }
    return r.status();
  }
  // ExecuteLater for a statement whose rows the caller needs only after the transaction
  // ends (a RETURNING, or a server-side function's result): they are stored in `*rows`
  // (which must outlive the transaction) when the statement ran, at the latest by a
  // Commit that returned OK. Every failure fails the transaction, as with ExecuteLater.
  // The default runs it at once.
  virtual Status QueryLater(std::string_view sql, std::span<const SqlValue> params,
                            ErrorCode on_unique_violation, std::vector<Row>* rows) {
    Result<std::vector<Row>> r = Query(sql, params);
    if (!r.ok()) {
      if (r.status().code() == ErrorCode::kAlreadyExists) {
        return Error(on_unique_violation, r.status().message());
      }
      return r.status();
    }
    *rows = std::move(r).value();
    return Status::Ok();
  }
  // Runs a script of several statements without parameters (the migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;
  // The SQL dialect beyond the portable subset: "sqlite" or "postgresql" (the Store and the
  // migrations use it for their few dialect-specific paths).
  virtual std::string_view Dialect() const = 0;

  virtual Status Begin(TxMode mode) = 0;
  virtual Status Commit() = 0;
  // Never fails in a way the caller could act on; safe to call without an open transaction.
  virtual void Rollback() = 0;
};

// A Connection borrowed from a Database; returned to it when destroyed.
using ConnectionLease = std::unique_ptr<Connection, std::function<void(Connection*)>>;

// A pool of connections to one database. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;
  // A connection for the caller's exclusive use; blocks while all are lent out.
  // kUnavailable when no connection can be made.
  virtual Result<ConnectionLease> Acquire() = 0;
  // "sqlite" or "postgresql", for logs and /readyz.
  virtual std::string_view Kind() const = 0;
};

// Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...`, leaving `?` inside string
// literals ('...', with '' escapes), quoted identifiers ("...") and comments (-- and /* */)
// alone. Total on any input (unterminated literals run to the end).
std::string NumberPlaceholders(std::string_view sql);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_SQL_H_
