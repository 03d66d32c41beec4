// One libpq session of the PostgreSQL backend (internal to store/postgres: only
// postgres_database.cc and postgres_pipeline.cc include it).
//
// The class is split across two files by concern: postgres_database.cc has connecting,
// plain statements, prepared-statement caching and transactions; postgres_pipeline.cc has
// libpq's pipeline mode (PostgresOptions::pipeline), which sends a pending BEGIN and the
// statements held back by ExecuteLater and QueryLater together with the next statement or
// the COMMIT.
#ifndef LICET_CENTRAL_STORE_POSTGRES_POSTGRES_CONNECTION_H_
#define LICET_CENTRAL_STORE_POSTGRES_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "central/store/postgres/postgres_database.h"
#include "central/store/sql.h"

namespace licet::central::store::postgres_internal {

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Both modes are a plain READ COMMITTED transaction (see the file comment of
// postgres_database.h); spelled out so that a server default of another level changes
// nothing.
inline constexpr const char* kBegin = "BEGIN ISOLATION LEVEL READ COMMITTED";

// libpq's message text on one line, without the trailing newline.
std::string Trimmed(const char* text);

class PostgresConnection final : public Connection {
 public:
  // Takes ownership of `conn` (connected and configured by Connect). `options` must
  // outlive the connection.
  PostgresConnection(const PostgresOptions& options, PGconn* conn)
      : options_(options), conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Opens a new session with the settings every connection has.
  [[nodiscard]] static Result<PGconn*> Connect(const PostgresOptions& o);

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const SqlValue> params) override;
  Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override;
  // With pipelining, holds the write back (at most kMaxLater of them) until the next
  // statement or the COMMIT; without, runs it at once. (postgres_pipeline.cc)
  Status ExecuteLater(std::string_view sql, std::span<const SqlValue> params,
                      ErrorCode on_unique_violation) override;
  // The same, keeping the statement's rows for the caller (postgres_pipeline.cc).
  Status QueryLater(std::string_view sql, std::span<const SqlValue> params,
                    ErrorCode on_unique_violation, std::vector<Row>* rows) override;
  Status ExecuteScript(std::string_view sql) override;
  std::string_view Dialect() const override { return "postgresql"; }
  Status Begin(TxMode mode) override;
  Status Commit() override;
  void Rollback() override;

  // Reconnects a broken session (Acquire calls it for a connection that went bad).
  [[nodiscard]] Status EnsureConnected();

 private:
  struct Prepared {
    std::string name;
    int params;
  };

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

  struct Call {
    std::string_view sql;
    std::span<const SqlValue> params;
  };

  // A write held back by ExecuteLater or QueryLater.
  struct Later {
    std::string sql;
    std::vector<SqlValue> params;
    ErrorCode on_unique_violation;
    std::vector<Row>* rows = nullptr;  // QueryLater: where its rows go
  };

  // The rows of a statement's result.
  [[nodiscard]] static Result<std::vector<Row>> RowsOf(const PGresult* res);

  // COMMIT of a transaction that had failed answers "ROLLBACK" without an error.
  [[nodiscard]] static Status CheckCommitted(PGresult* res);
  [[nodiscard]] static Status Configure(PGconn* conn, const PostgresOptions& o);
  [[nodiscard]] static Status CheckResult(PGconn* conn, const PGresult* res,
                                          std::string_view what);
  [[nodiscard]] static Status Encode(std::span<const SqlValue> params, Encoded& e);

  [[nodiscard]] Status Check(const PGresult* res, std::string_view what) {
    return CheckResult(conn_, res, what);
  }
  [[nodiscard]] Status Simple(const char* sql);
  [[nodiscard]] Status Reset();

  // The cached prepared statement of `sql` (prepared now if new), or nullptr when the cache
  // is full and the statement runs unnamed.
  [[nodiscard]] Result<const Prepared*> Prepare(std::string_view sql, size_t n);

  // Runs one statement with its parameters through a cached prepared statement; with a
  // BEGIN or writes held back, all of them in one pipeline.
  [[nodiscard]] Result<PgResult> Run(std::string_view sql, std::span<const SqlValue> params);

  // --- Pipeline mode (postgres_pipeline.cc) ---

  // Sends, in one pipeline and one round trip, the pending BEGIN, the held-back writes, and
  // then `current` or a COMMIT (or neither), and returns the last one's result (null when
  // neither). The first failure is the result: the statements after it were skipped by the
  // server, and the transaction is left failed for the caller's Rollback. The held-back
  // writes are spent either way. When the pipeline opens the transaction and holds no
  // COMMIT, a connection found dead is reconnected and the pipeline sent again, once:
  // the server rolled back whatever it had run (as Begin did without pipelining).
  [[nodiscard]] Result<PgResult> RunPipeline(const Call* current, bool commit);
  [[nodiscard]] Result<PgResult> RunPipelineOnce(const Call* current, bool commit);

  // The pipeline broke off (the connection died, or libpq lost step): the transaction is
  // gone either way. A live connection is reset so that the next use starts clean; the
  // caller learns kUnavailable, so an unanswered COMMIT is never taken for done.
  [[nodiscard]] Status AbandonPipeline(std::string_view where);

  const PostgresOptions& options_;
  PGconn* conn_;
  std::unordered_map<std::string, Prepared> statements_;  // by SQL text
  uint64_t next_statement_ = 0;
  // Pipelining (options_.pipeline): a BEGIN not sent yet, and writes held back by
  // ExecuteLater; both go out with the next statement or the COMMIT.
  bool begin_pending_ = false;
  std::vector<Later> later_;
};

}  // namespace licet::central::store::postgres_internal

#endif  // LICET_CENTRAL_STORE_POSTGRES_POSTGRES_CONNECTION_H_
