#include "bench/central_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>

#include "central/engine/template.h"
#include "central/store/open.h"
#if LICET_HAVE_POSTGRESQL
#include "central/store/postgres/postgres_database.h"
#endif
#include "crypto/crypto.h"

namespace licet::bench {

namespace store = central::store;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Forwards every call and adds its wall time to *ns.
class TimingConnection final : public store::Connection {
 public:
  // sent_later: counts the calls that travel with a later one (null: none do).
  TimingConnection(store::ConnectionLease inner, std::atomic<int64_t>* ns,
                   std::atomic<int64_t>* calls, std::atomic<int64_t>* sent_later)
      : inner_(std::move(inner)), ns_(ns), calls_(calls), sent_later_(sent_later) {}

  Result<std::vector<store::Row>> Query(std::string_view sql,
                                        std::span<const store::SqlValue> params) override {
    Timer t(ns_, calls_);
    return inner_->Query(sql, params);
  }
  Result<int64_t> Execute(std::string_view sql, std::span<const store::SqlValue> params) override {
    Timer t(ns_, calls_);
    return inner_->Execute(sql, params);
  }
  Status ExecuteLater(std::string_view sql, std::span<const store::SqlValue> params,
                      ErrorCode on_unique_violation) override {
    Timer t(ns_, calls_);
    if (sent_later_ != nullptr) ++*sent_later_;
    return inner_->ExecuteLater(sql, params, on_unique_violation);
  }
  Status QueryLater(std::string_view sql, std::span<const store::SqlValue> params,
                    ErrorCode on_unique_violation, std::vector<store::Row>* rows) override {
    Timer t(ns_, calls_);
    if (sent_later_ != nullptr) ++*sent_later_;
    return inner_->QueryLater(sql, params, on_unique_violation, rows);
  }
  std::string_view Dialect() const override { return inner_->Dialect(); }
  Status ExecuteScript(std::string_view sql) override {
    Timer t(ns_, calls_);
    return inner_->ExecuteScript(sql);
  }
  Status Begin(store::TxMode mode) override {
    Timer t(ns_, calls_);
    if (sent_later_ != nullptr) ++*sent_later_;
    return inner_->Begin(mode);
  }
  Status Commit() override {
    Timer t(ns_, calls_);
    return inner_->Commit();
  }
  void Rollback() override {
    Timer t(ns_, calls_);
    inner_->Rollback();
  }

 private:
  struct Timer {
    Timer(std::atomic<int64_t>* ns, std::atomic<int64_t>* calls) : ns_(ns), start_(NowNs()) {
      ++*calls;
    }
    ~Timer() { *ns_ += NowNs() - start_; }
    std::atomic<int64_t>* ns_;
    int64_t start_;
  };

  store::ConnectionLease inner_;
  std::atomic<int64_t>* ns_;
  std::atomic<int64_t>* calls_;
  std::atomic<int64_t>* sent_later_;
};

std::string SourceDir() {
  if (const char* s = std::getenv("LICET_SOURCE_DIR"); s != nullptr && *s != '\0') return s;
  return LICET_BENCH_SOURCE_DIR;
}

Result<std::string> RunScript(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return Error(ErrorCode::kIoError, "cannot run " + command);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) return Error(ErrorCode::kIoError, command + " failed (see the log file)");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  size_t line = out.rfind('\n');
  return line == std::string::npos ? out : out.substr(line + 1);
}

}  // namespace

Result<store::ConnectionLease> TimingDatabase::Acquire() {
  int64_t start = NowNs();
  auto inner = inner_->Acquire();
  pool_wait_ns += NowNs() - start;
  if (!inner.ok()) return inner.status();
  auto* conn = new TimingConnection(std::move(inner).value(), &db_ns, &db_calls,
                                    pipelined_ ? &db_sent_later : nullptr);
  return store::ConnectionLease(conn, [](store::Connection* c) { delete c; });
}

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
  if (const char* url = std::getenv("LICET_BENCH_POSTGRES_URL"); url != nullptr && *url != '\0') {
    server->url_ = url;
    return server;
  }
  char tmpl[] = "/tmp/licet-bench-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Error(ErrorCode::kIoError, "mkdtemp failed");
  server->dir_ = tmpl;
  LICET_ASSIGN_OR_RETURN(server->url_,
                         RunScript("bash '" + SourceDir() + "/scripts/postgres-test-server.sh' start '" +
                                   server->dir_ + "'"));
  if (server->url_.rfind("postgresql://", 0) != 0) {
    return Error(ErrorCode::kIoError, "postgres-test-server.sh printed no URL: " + server->url_);
  }
  return server;
}

PostgresServer::~PostgresServer() {
  if (dir_.empty()) return;
  (void)RunScript("bash '" + SourceDir() + "/scripts/postgres-test-server.sh' stop '" + dir_ +
                  "'");
  (void)RunScript("rm -rf '" + dir_ + "'");
}

Result<std::unique_ptr<CentralFixture>> CentralFixture::Create(const CentralSetup& setup) {
  auto f = std::unique_ptr<CentralFixture>(new CentralFixture());
  const Clock& clock = SystemClock::Get();
  LICET_ASSIGN_OR_RETURN(store::DatabaseUrl url, store::ParseDatabaseUrl(setup.database_url));
  std::unique_ptr<store::Database> db;
#if LICET_HAVE_POSTGRESQL
  if (url.kind == store::DatabaseKind::kPostgres && !setup.postgres_pipeline) {
    store::PostgresOptions options;
    options.url = url.postgres;
    options.pool_size = setup.workers + 1;
    options.pipeline = setup.postgres_pipeline;
    LICET_ASSIGN_OR_RETURN(db, store::OpenAndMigratePostgres(options, clock.Now()));
  }
#endif
  if (db == nullptr) {
    LICET_ASSIGN_OR_RETURN(db, store::OpenAndMigrate(url, setup.workers + 1, clock.Now()));
  }
  if (!setup.session_sql.empty()) {
    // Every connection of the pool at once (all idle now), so each gets the setting.
    std::vector<store::ConnectionLease> all;
    for (int i = 0; i < setup.workers + 1; ++i) {
      LICET_ASSIGN_OR_RETURN(auto conn, db->Acquire());
      LICET_RETURN_IF_ERROR(conn->ExecuteScript(setup.session_sql));
      all.push_back(std::move(conn));
    }
  }
  f->db_ = std::make_unique<TimingDatabase>(std::move(db));
  f->db_->set_pipelined(url.kind == store::DatabaseKind::kPostgres && setup.postgres_pipeline);
  f->store_ = std::make_unique<store::Store>(*f->db_, setup.write_mode);
  SecretBytes kek(crypto::RandomBytes(32));
  LICET_ASSIGN_OR_RETURN(auto vault, central::engine::Vault::FromKey(kek));
  f->vault_ = std::make_unique<central::engine::Vault>(std::move(vault));
  f->catalog_ = std::make_unique<central::engine::Catalog>(*f->store_, *f->vault_, clock);
  f->engine_ =
      std::make_unique<central::engine::LicenseEngine>(*f->store_, *f->vault_, *f->catalog_, clock);

  LICET_RETURN_IF_ERROR(f->catalog_->CreateFirm(kCentralFirm, "Sample Company", "bench").status());
  // The product a vendor typically sells: features, units, a one-year term, a text.
  central::engine::ProductTemplate t;
  t.item.product_code = kCentralProduct;
  t.item.feature_map = 0x3;
  t.item.unit_counter = 100;
  t.item.text = "Sample App";
  t.expires_after = 365 * 86400;
  LICET_RETURN_IF_ERROR(
      f->catalog_->CreateProduct(kCentralFirm, "Sample App", t, "bench").status());
  central::engine::OrderRequest order;
  order.request_id = "bench-" + HexEncode(crypto::RandomBytes(6));
  order.firm_code = kCentralFirm;
  central::engine::OrderItem item;
  item.products = {kCentralProduct};
  item.quantity = static_cast<uint32_t>(setup.tickets);
  item.rights.activations_allowed = static_cast<uint32_t>(setup.activations_per_ticket);
  order.items.push_back(item);
  order.request_hash = crypto::RandomBytes(32);
  LICET_ASSIGN_OR_RETURN(auto made, f->catalog_->CreateOrder(order, "bench"));
  for (const auto& ticket : made.tickets) f->tickets_.push_back(ticket.code);

  central::api::ApiOptions options;
  options.gateway_rate_per_minute = 0;
  f->api_ = std::make_unique<central::api::Api>(*f->store_, *f->db_, *f->vault_, clock, options);
  central::http::ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.io_threads = setup.io_threads;
  so.workers = setup.workers;
  central::api::Api* api = f->api_.get();
  auto handler_ns = f->handler_ns_;
  LICET_ASSIGN_OR_RETURN(f->server_,
                         central::http::HttpServer::Create(
                             so, [api, handler_ns](const central::http::HttpRequest& r) {
                               int64_t start = NowNs();
                               auto response = api->Handle(r);
                               *handler_ns += NowNs() - start;
                               return response;
                             }));
  f->server_->Start();
  return f;
}

CentralFixture::~CentralFixture() {
  if (server_) server_->Stop(std::chrono::seconds(5));
}

}  // namespace licet::bench
