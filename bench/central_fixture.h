// What the License Central benchmark runs against: the real server stack (Store, vault,
// catalog, engine, REST API, Beast HTTP server) assembled in this process as app.cc does,
// on SQLite or on a throwaway PostgreSQL server, with the database wrapped so that the
// time spent in it is measured.
#ifndef LICET_BENCH_CENTRAL_FIXTURE_H_
#define LICET_BENCH_CENTRAL_FIXTURE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "central/api/api.h"
#include "central/engine/activation.h"
#include "central/engine/catalog.h"
#include "central/engine/vault.h"
#include "central/http/server.h"
#include "central/store/store.h"
#include "common/clock.h"

namespace licet::bench {

inline constexpr uint32_t kCentralFirm = 6000010;
inline constexpr uint32_t kCentralProduct = 201010;

// A Database whose connections add the wall time of every call (statements, BEGIN, COMMIT:
// round trips, lock waits, fsync) to db_ns, and the time spent waiting for a free
// connection to pool_wait_ns. Thread-safe.
class TimingDatabase final : public central::store::Database {
 public:
  explicit TimingDatabase(std::unique_ptr<central::store::Database> inner)
      : inner_(std::move(inner)) {}
  Result<central::store::ConnectionLease> Acquire() override;
  std::string_view Kind() const override { return inner_->Kind(); }

  std::atomic<int64_t> db_ns{0};
  std::atomic<int64_t> db_calls{0};  // statements, BEGINs, COMMITs, ROLLBACKs
  // Of db_calls, those that travel with a later call (set_pipelined: BEGIN and
  // ExecuteLater, which PostgreSQL's pipelining sends with the next statement or COMMIT).
  std::atomic<int64_t> db_sent_later{0};
  void set_pipelined(bool pipelined) { pipelined_ = pipelined; }
  std::atomic<int64_t> pool_wait_ns{0};
  central::store::Database& inner() { return *inner_; }

 private:
  std::unique_ptr<central::store::Database> inner_;
  bool pipelined_ = false;
};

// A PostgreSQL server started with scripts/postgres-test-server.sh for the run (or the one
// at $LICET_BENCH_POSTGRES_URL), stopped when destroyed.
class PostgresServer {
 public:
  static Result<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();
  const std::string& url() const { return url_; }

 private:
  std::string dir_;  // empty when the server is not ours
  std::string url_;
};

struct CentralSetup {
  std::string database_url;  // sqlite:///... or postgresql://...
  int workers = 4;           // licet-central's defaults: 4 workers (16 on PostgreSQL),
  int io_threads = 2;        // 2 I/O threads, workers + 1 connections
  int tickets = 200;         // requests spread over them (no single hot ticket row)
  int activations_per_ticket = 1000;
  // Run on every pooled connection once opened, e.g. "PRAGMA synchronous=NORMAL" or
  // "SET synchronous_commit = off": the benchmark's what-if variants. Empty: as shipped.
  std::string session_sql;
  // kAuto is what licet-central does (group commit on SQLite); kEach is the what-if of one
  // transaction (and fsync) per activation.
  central::store::WriteMode write_mode = central::store::WriteMode::kAuto;
  // false: PostgreSQL without libpq pipelining, one round trip per statement (the what-if
  // of the code before; PostgresOptions::pipeline).
  bool postgres_pipeline = true;
};

class CentralFixture {
 public:
  // Opens and migrates the database, seeds the firm, the product and the tickets, starts
  // the HTTP server on 127.0.0.1 at a free port.
  static Result<std::unique_ptr<CentralFixture>> Create(const CentralSetup& setup);
  ~CentralFixture();

  TimingDatabase& db() { return *db_; }
  central::store::Store& store() { return *store_; }
  const central::engine::Vault& vault() const { return *vault_; }
  central::engine::Catalog& catalog() { return *catalog_; }
  central::engine::LicenseEngine& engine() { return *engine_; }
  const std::vector<std::string>& tickets() const { return tickets_; }
  uint16_t port() const { return server_->port(); }
  // Wall time the workers spent in the API handler, summed over requests.
  int64_t handler_ns() const { return handler_ns_->load(); }
  std::string kind() const { return std::string(db_->Kind()); }

 private:
  CentralFixture() = default;

  std::unique_ptr<TimingDatabase> db_;
  std::unique_ptr<central::store::Store> store_;
  std::unique_ptr<central::engine::Vault> vault_;
  std::unique_ptr<central::engine::Catalog> catalog_;
  std::unique_ptr<central::engine::LicenseEngine> engine_;
  std::unique_ptr<central::api::Api> api_;
  std::unique_ptr<central::http::HttpServer> server_;
  std::vector<std::string> tickets_;
  std::shared_ptr<std::atomic<int64_t>> handler_ns_ = std::make_shared<std::atomic<int64_t>>(0);
};

}  // namespace licet::bench

#endif  // LICET_BENCH_CENTRAL_FIXTURE_H_
