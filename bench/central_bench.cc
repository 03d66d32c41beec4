// License Central benchmark: activations per second (context in, update out over HTTP,
// a sample of the updates imported into their containers), on SQLite and on PostgreSQL,
// with the share of the time spent in the database and in cryptography, and p50/p99
// latency. Reported as ratios to baselines measured in the same run (DESIGN §6):
// `openssl speed` Ed25519 sign+verify, and a bare `SELECT 1` round trip and a one-row
// UPDATE commit on the same database through the same driver.
//
//   build/bench/central_bench                 full run (about a minute)
//   LICET_BENCH_SMOKE=1 build/bench/central_bench   CI smoke run (proves it works)
//
// The server stack and the load driver share this process and the machine's cores, as a
// licet-central and its clients on one 2-core machine would. PostgreSQL is a throwaway
// server (scripts/postgres-test-server.sh), or $LICET_BENCH_POSTGRES_URL;
// LICET_BENCH_NO_POSTGRES=1 skips it; LICET_BENCH_ONLY=TEXT runs only the variants whose
// label contains TEXT.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ext/stdio_filebuf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/central_fixture.h"
#include "bench/openssl_baseline.h"
#include "central/http/log.h"
#include "central/store/open.h"
#include "central/tests/load_driver.h"
#include "engine/context_file.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"

namespace licet::bench {
namespace {

bool SmokeMode() {
  const char* smoke = std::getenv("LICET_BENCH_SMOKE");
  return smoke != nullptr && std::strcmp(smoke, "1") == 0;
}

double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of every process whose command line names `needle` ("postgres: ", the
// server's processes), from /proc: what PostgreSQL spent for us, as it runs nothing else.
double ProcessesCpuSeconds(const std::string& needle) {
  double total = 0;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return 0;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string base = std::string("/proc/") + e->d_name;
    std::ifstream cmd(base + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) == std::string::npos) continue;
    std::ifstream st(base + "/stat");
    std::string stat((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14) utime = std::atof(f.c_str());
      if (i == 15) stime = std::atof(f.c_str());
    }
    total += (utime + stime) / tick;
  }
  ::closedir(d);
  return total;
}

// Runs `op` repeatedly for about `seconds` on this thread; returns operations per second.
template <typename Op>
Result<double> Rate(double seconds, Op op) {
  auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 20; ++i, ++n) LICET_RETURN_IF_ERROR(op());
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

struct DbBaseline {
  double select1_per_s = 0;
  double update_commit_per_s = 0;
};

Result<DbBaseline> MeasureDatabase(central::store::Database& db, double seconds) {
  LICET_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  LICET_RETURN_IF_ERROR(conn->ExecuteScript(
      "CREATE TABLE IF NOT EXISTS bench_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL);"
      "DELETE FROM bench_counter; INSERT INTO bench_counter (id, n) VALUES (1, 0)"));
  DbBaseline b;
  LICET_ASSIGN_OR_RETURN(b.select1_per_s, Rate(seconds, [&]() -> Status {
                           return conn->Query("SELECT 1", {}).status();
                         }));
  LICET_ASSIGN_OR_RETURN(b.update_commit_per_s, Rate(seconds, [&]() -> Status {
                           LICET_RETURN_IF_ERROR(conn->Begin(central::store::TxMode::kWrite));
                           auto n = conn->Execute("UPDATE bench_counter SET n = n + 1 WHERE id = 1",
                                                  {});
                           if (!n.ok()) return n.status();
                           return conn->Commit();
                         }));
  return b;
}

// The cryptography (and CBOR) of one new activation, as the engine does it, on one thread:
// verify the context, open the firm's sealed keys and the product template, seal the
// issued operations for the history, build the update (X25519 + HKDF + AES-GCM + Ed25519).
Result<double> CryptoSecondsPerActivation(CentralFixture& f, double seconds) {
  const UnixTime now = SystemClock::Get().Now();
  std::vector<container::DeviceProperty> props{
      {container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
      {container::PropertyKind::kRootDisk, {"bench-disk"}}};
  LICET_ASSIGN_OR_RETURN(auto c, engine::CreateSoftContainer(77, props, 2, now));
  LICET_ASSIGN_OR_RETURN(Bytes context,
                         engine::MakeContextFile(c, kCentralFirm, format::FileKind::kContext, now));
  std::optional<central::store::FirmRecord> firm;
  std::optional<central::store::ProductRecord> product;
  LICET_RETURN_IF_ERROR(f.store().Transact(central::store::TxMode::kRead,
                                           [&](central::store::Tx& tx) -> Status {
                                             LICET_ASSIGN_OR_RETURN(firm, tx.GetFirm(kCentralFirm));
                                             LICET_ASSIGN_OR_RETURN(
                                                 product,
                                                 tx.GetProduct(kCentralFirm, kCentralProduct));
                                             return Status::Ok();
                                           }));
  if (!firm || !product) return Error(ErrorCode::kInternal, "seed data missing");
  // The engine opens a firm's key once and keeps it (LicenseEngine's firm cache).
  LICET_ASSIGN_OR_RETURN(auto key, f.vault().OpenFirmSecrets(firm->firm_code, firm->name,
                                                             firm->public_key, firm->created_at,
                                                             firm->sealed_secrets));
  LICET_ASSIGN_OR_RETURN(double rate, Rate(seconds, [&]() -> Status {
    LICET_ASSIGN_OR_RETURN(auto ctx, engine::ReadContextFile(context));
    LICET_ASSIGN_OR_RETURN(auto tmpl, f.catalog().OpenTemplate(*product));
    LICET_ASSIGN_OR_RETURN(auto item, central::engine::Instantiate(tmpl, now));
    std::vector<model::Operation> ops;
    ops.push_back({1, model::op::AddFirmItem{key.name, key.public_key}});
    ops.push_back({2, model::op::AddProduct{std::move(item)}});
    LICET_ASSIGN_OR_RETURN(Bytes sealed, f.vault().SealOperations(ctx.serial, kCentralFirm, ops));
    LICET_ASSIGN_OR_RETURN(Bytes update,
                           engine::CreateUpdateFileFromOperations(key, ctx, std::move(ops), now));
    return update.size() > sealed.size() ? Status::Ok()
                                         : Error(ErrorCode::kInternal, "implausible update");
  }));
  return 1.0 / rate;
}

struct RunResult {
  central::load::LoadReport report;
  double db_ms = 0;           // database wall time per activation
  double db_share = 0;        // of the handler's wall time
  double crypto_share = 0;    // of the handler's wall time (crypto measured on one core)
  double cpu_ms = 0;          // CPU per activation: this process (+ PostgreSQL's)
  double pg_cpu_ms = 0;       // of which PostgreSQL's processes
  double client_cpu_ms = 0;   // of which the load driver's client threads
  double db_calls = 0;        // database calls per activation
  double db_round_trips = 0;  // of them, the ones that waited for the server
  double crypto_cpu_share = 0;
};

Result<RunResult> RunLoad(CentralFixture& f, int clients, int requests, bool postgres,
                          double crypto_s) {
  central::load::LoadOptions o;
  o.servers = {{"127.0.0.1", f.port()}};
  o.tickets = f.tickets();
  o.firm_code = kCentralFirm;
  o.containers = requests;
  o.concurrency = clients;
  o.verify_every = 25;
  LICET_ASSIGN_OR_RETURN(auto driver, central::load::LoadDriver::Prepare(o));
  auto pg_cpu = [postgres] { return postgres ? ProcessesCpuSeconds("postgres: ") : 0.0; };
  const int64_t db0 = f.db().db_ns, calls0 = f.db().db_calls, handler0 = f.handler_ns();
  const int64_t sent_later0 = f.db().db_sent_later;
  const double self0 = ProcessCpuSeconds(), pg0 = pg_cpu();
  RunResult r;
  r.report = driver->Run();
  const double pg_s = pg_cpu() - pg0;
  const double cpu_s = ProcessCpuSeconds() - self0 + pg_s;
  const double n = static_cast<double>(requests);
  const double db_s = static_cast<double>(f.db().db_ns - db0) / 1e9;
  const double handler_s = static_cast<double>(f.handler_ns() - handler0) / 1e9;
  r.db_ms = 1e3 * db_s / n;
  r.db_share = handler_s > 0 ? db_s / handler_s : 0;
  r.crypto_share = handler_s > 0 ? crypto_s * n / handler_s : 0;
  r.cpu_ms = 1e3 * cpu_s / n;
  r.pg_cpu_ms = 1e3 * pg_s / n;
  r.client_cpu_ms = 1e3 * r.report.client_cpu_seconds / n;
  r.db_calls = static_cast<double>(f.db().db_calls - calls0) / n;
  r.db_round_trips = r.db_calls - static_cast<double>(f.db().db_sent_later - sent_later0) / n;
  const double central_s = cpu_s - pg_s - r.report.client_cpu_seconds;
  r.crypto_cpu_share = central_s > 0 ? crypto_s * n / central_s : 0;
  if (r.report.answered_ok != requests || r.report.verify_failures != 0) {
    return Error(ErrorCode::kInternal, "not every activation succeeded and imported: " +
                                           r.report.ToJson());
  }
  return r;
}

struct Variant {
  std::string backend;  // "sqlite" or "postgresql"
  std::string label;
  int workers;
  std::string session_sql;
  bool shipped;  // licet-central's own settings (what-if variants are not)
  central::store::WriteMode write_mode = central::store::WriteMode::kAuto;
  bool postgres_pipeline = true;
};

// A fresh database for one variant: a new SQLite file, or a new database on the server.
Result<std::string> NewDatabase(const Variant& v, const std::string& dir, PostgresServer* pg,
                                int index) {
  if (v.backend == "sqlite") return "sqlite://" + dir + "/central-" + std::to_string(index) + ".db";
  LICET_ASSIGN_OR_RETURN(auto url, central::store::ParseDatabaseUrl(pg->url()));
  LICET_ASSIGN_OR_RETURN(auto admin, central::store::OpenDatabase(url, 1));
  LICET_ASSIGN_OR_RETURN(auto conn, admin->Acquire());
  const std::string name = "licet_bench_" + std::to_string(index);
  LICET_RETURN_IF_ERROR(conn->ExecuteScript("DROP DATABASE IF EXISTS " + name));
  LICET_RETURN_IF_ERROR(conn->ExecuteScript("CREATE DATABASE " + name));
  return pg->url().substr(0, pg->url().rfind('/') + 1) + name;
}

int Main() {
  const bool smoke = SmokeMode();
  // One JSON access-log line per request, as licet-central writes by default: part of the
  // cost. The lines go to a file (LICET_BENCH_LOG, default /tmp/licet-central-bench.log).
  const char* log_env = std::getenv("LICET_BENCH_LOG");
  const std::string log_path = log_env != nullptr ? log_env : "/tmp/licet-central-bench.log";
  int saved_stderr = ::dup(STDERR_FILENO);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (saved_stderr < 0 || log_fd < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) {
    std::perror(("central_bench: " + log_path).c_str());
    return 1;
  }
  ::close(log_fd);
  // Errors below are reported on the real stderr.
  __gnu_cxx::stdio_filebuf<char> err_buf(saved_stderr, std::ios::out);
  std::ostream err(&err_buf);
  if (Status st = central::http::InitLogging("info", "json"); !st.ok()) {
    err << "central_bench: " << st.ToString() << std::endl;
    return 2;
  }

  BaselineOptions options = OptionsFromEnvironment({});
  options.seconds = 1;
  auto openssl = MeasureOpensslBaseline(options);
  if (!openssl.ok()) {
    err << "central_bench: cannot measure the baseline: " << openssl.status().ToString()
        << std::endl;
    return 1;
  }
  std::cout << openssl->Describe();
  const double sign_verify = openssl->Ed25519SignVerifyPerS();
  std::printf("machine: %u hardware threads; load driver in this process\n",
              std::thread::hardware_concurrency());

  using central::store::WriteMode;
  std::vector<Variant> variants = {
      {"sqlite", "sqlite (group commit)", 4, "", true},
      {"sqlite", "sqlite (group commit), 16 workers", 16, "", true},
      {"sqlite", "sqlite, a transaction and fsync per activation", 4, "", false, WriteMode::kEach},
      {"sqlite", "sqlite (group commit), synchronous=NORMAL", 4, "PRAGMA synchronous=NORMAL",
       false},
      // licet-central's default on PostgreSQL: 16 workers, pipelined statements.
      {"postgresql", "postgresql (16 workers)", 16, "", true},
      {"postgresql", "postgresql, 16 workers, a round trip per statement", 16, "", false,
       WriteMode::kAuto, false},
      {"postgresql", "postgresql, 4 workers", 4, "", false},
      {"postgresql", "postgresql, 4 workers, a round trip per statement", 4, "", false,
       WriteMode::kAuto, false},
      {"postgresql", "postgresql, 16 workers, synchronous_commit=off", 16,
       "SET synchronous_commit = off", false},
  };
  const char* no_pg = std::getenv("LICET_BENCH_NO_POSTGRES");
  const bool with_pg = no_pg == nullptr || std::strcmp(no_pg, "1") != 0;
  // LICET_BENCH_ONLY=TEXT: only the variants whose label contains TEXT (e.g. "postgresql").
  const char* only = std::getenv("LICET_BENCH_ONLY");
  const std::vector<int> client_counts = smoke ? std::vector<int>{8} : std::vector<int>{4, 16, 32};
  const int requests = smoke ? 100 : 3000;
  const double baseline_seconds = smoke ? 0.2 : 1.0;

  char tmpl[] = "/tmp/licet-bench-central-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  std::unique_ptr<PostgresServer> pg;
  std::ostringstream table;
  table << "| database | workers | clients | activations/s | p50 ms | p99 ms | DB calls / round "
           "trips per act | DB "
           "ms/act | DB share | crypto share | CPU ms/act: Central + PostgreSQL + client | crypto "
           "share of Central's CPU | vs ed25519 sign+verify | vs DB commit |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  bool ok = true;
  bool pg_warmed = false;
  int index = 0;
  for (const Variant& v : variants) {
    ++index;
    if (smoke && !v.shipped) continue;
    if (only != nullptr && v.label.find(only) == std::string::npos) continue;
    if (v.backend == "postgresql") {
      if (!with_pg) continue;
      if (!pg) {
        auto started = PostgresServer::Start();
        if (!started.ok()) {
          err << "central_bench: cannot start PostgreSQL: " << started.status().ToString()
              << " (LICET_BENCH_NO_POSTGRES=1 skips it)" << std::endl;
          return 1;
        }
        pg = std::move(started).value();
      }
    }
    if (v.backend == "postgresql" && !pg_warmed && !smoke) {
      // On a fresh cluster the variant measured first came out up to 2x slower at 4
      // clients than the same variant measured later, whichever it was, even after a
      // longer warm-up on its own database: the first rows run against a cold server. A
      // throwaway run on a database of its own warms the server for every variant.
      pg_warmed = true;
      CentralSetup warm;
      warm.workers = v.workers;
      auto warm_url = NewDatabase(v, dir, pg.get(), 0);
      if (warm_url.ok()) {
        warm.database_url = *warm_url;
        if (auto wf = CentralFixture::Create(warm); wf.ok()) {
          (void)RunLoad(**wf, 4, 3000, true, 0);
        }
      }
    }
    CentralSetup setup;
    setup.workers = v.workers;
    setup.session_sql = v.session_sql;
    setup.write_mode = v.write_mode;
    setup.postgres_pipeline = v.postgres_pipeline;
    auto url = NewDatabase(v, dir, pg.get(), index);
    if (!url.ok()) {
      err << "central_bench: " << v.label << ": " << url.status().ToString() << std::endl;
      return 1;
    }
    setup.database_url = *url;
    auto fixture = CentralFixture::Create(setup);
    if (!fixture.ok()) {
      err << "central_bench: " << v.label << ": " << fixture.status().ToString() << std::endl;
      return 1;
    }
    CentralFixture& f = **fixture;
    auto db = MeasureDatabase(f.db().inner(), baseline_seconds);
    auto crypto = CryptoSecondsPerActivation(f, baseline_seconds);
    if (!db.ok() || !crypto.ok()) {
      err << "central_bench: baselines: " << (db.ok() ? crypto.status() : db.status()).ToString()
          << std::endl;
      return 1;
    }
    std::printf("%s: SELECT 1 %.0f/s, one-row UPDATE commit %.0f/s; crypto of one activation "
                "%.3f ms on one core\n",
                v.label.c_str(), db->select1_per_s, db->update_commit_per_s, *crypto * 1e3);
    std::fflush(stdout);
    if (!smoke) (void)RunLoad(f, 16, 300, v.backend == "postgresql", *crypto);  // warm-up
    for (int clients : client_counts) {
      auto r = RunLoad(f, clients, requests, v.backend == "postgresql", *crypto);
      if (!r.ok()) {
        err << "central_bench: " << v.label << " with " << clients
            << " clients: " << r.status().ToString() << std::endl;
        ok = false;
        continue;
      }
      const auto& rep = r->report;
      char row[640];
      std::snprintf(row, sizeof row,
                    "| %s%s | %d | %d | %.0f | %.1f | %.1f | %.1f / %.1f | %.2f | %.0f%% | %.0f%% | %.2f "
                    "+ %.2f + %.2f | %.0f%% | %.3f | %.2f |\n",
                    v.label.c_str(), v.shipped ? "" : " (what-if)", v.workers, clients, rep.rate(),
                    rep.Percentile(50), rep.Percentile(99), r->db_calls, r->db_round_trips, r->db_ms,
                    100 * r->db_share, 100 * r->crypto_share,
                    r->cpu_ms - r->pg_cpu_ms - r->client_cpu_ms, r->pg_cpu_ms, r->client_cpu_ms,
                    100 * r->crypto_cpu_share,
                    rep.rate() / sign_verify, rep.rate() / db->update_commit_per_s);
      table << row;
      std::printf("  %d clients: %d activations in %.2f s (%.0f/s, p99 %.1f ms), %d imported\n",
                  clients, rep.answered_ok, rep.seconds, rep.rate(), rep.Percentile(99),
                  rep.verified);
      std::fflush(stdout);
    }
  }
  pg.reset();
  std::system(("rm -rf '" + dir + "'").c_str());
  std::cout << "\nLicense Central activations (one HTTP request each: context in, update out)\n"
            << table.str()
            << "DB round trips: the calls less those sent with a later one (with pipelining on "
               "PostgreSQL: BEGIN and the held-back writes);\n"
            << "DB ms/act: wall time in database calls per activation (round trips, lock waits, "
               "commits); DB share and crypto share: of the time a worker spends handling the "
               "request;\ncrypto: one activation's crypto measured alone on one core; CPU ms/act: "
               "Central (this process less the client threads), PostgreSQL's processes, the load "
               "driver's client threads.\n"
            << "targets on 2 cores: >= 1000/s on SQLite, >= 2000/s on PostgreSQL, p99 <= 20 ms\n";
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace licet::bench

int main(int argc, char** argv) {
  // scripts/bench.sh passes Google Benchmark flags to every *_bench; this one has no cases.
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_", 12) != 0) {
      std::fprintf(stderr, "central_bench: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  return licet::bench::Main();
}
