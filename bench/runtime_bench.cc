// licetd and the access API: access+release round trips (1, 4 and 16 client processes) as
// ratios to a bare Unix-socket request/response measured in the same run with the same frame
// sizes, and licet_crypt of 64 KiB as a ratio to `openssl speed -evp aes-256-gcm -bytes 65536`
// (DESIGN §6). One client's p50 is also measured in turns with the bare baselines, pinned to
// one CPU and unpinned (see SetAffinity for why). Starts and stops its own licetd over a
// throwaway state dir; docs/PERFORMANCE.md "licetd access API" has the figures.
//
//   build/bench/runtime_bench                  full run (about 35 s)
//   LICET_BENCH_SMOKE=1 build/bench/runtime_bench --benchmark_min_time=0.01   CI smoke run
//
// Targets on 2 cores (issue 3): access+release p50 at most 3x the bare round trip, at least
// 30,000 access+release per second, crypt of 64 KiB at least half of openssl's rate. The
// summary at the end says hit or miss; a miss does not fail the run (only a broken case does).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "bench/openssl_baseline.h"
#include "bench/ratio_report.h"
#include "bench/runtime_fixture.h"
#include "bench/runtime_load.h"
#include "licet/licet.h"

#ifndef LICET_BENCH_BIN_DIR
#define LICET_BENCH_BIN_DIR "build/bin"
#endif

namespace licet::bench {
namespace {

constexpr size_t kCryptSize = 64 * 1024;
constexpr int kClientCounts[] = {1, 4, 16};

bool SmokeMode() {
  const char* smoke = std::getenv("LICET_BENCH_SMOKE");
  return smoke != nullptr && std::strcmp(smoke, "1") == 0;
}

// The bare baseline of one client count: both wire patterns, measured before the cases.
struct Bare {
  LoadResult round_trip;  // one exchange of the access's sizes
  LoadResult pair;        // the access's exchange, then the release's
  double rtt_p50_us = 0, rtt_p99_us = 0, pair_p50_us = 0, pair_p99_us = 0;
};

Result<Bare> MeasureBare(int clients, const WireSizes& sizes, const EchoServer& echo, double seconds) {
  Bare bare;
  for (ClientOp op : {ClientOp::kBareRoundTrip, ClientOp::kBarePair}) {
    LICET_ASSIGN_OR_RETURN(auto pool, ClientPool::Start(clients, op, sizes, echo.socket_path()));
    LICET_ASSIGN_OR_RETURN(LoadResult r, pool->RunFor(seconds, 200));
    (op == ClientOp::kBareRoundTrip ? bare.round_trip : bare.pair) = std::move(r);
  }
  bare.rtt_p50_us = PercentileUs(bare.round_trip.latency_ns, 50);
  bare.rtt_p99_us = PercentileUs(bare.round_trip.latency_ns, 99);
  bare.pair_p50_us = PercentileUs(bare.pair.latency_ns, 50);
  bare.pair_p99_us = PercentileUs(bare.pair.latency_ns, 99);
  return bare;
}

// One client's p50 latency of access+release and of the two bare patterns, measured in turns
// (rtt, pair, licet, rtt, pair, licet, ...) so that a change of load or of the scheduler's
// placement hits all three alike. With `cpu` >= 0, licetd, the echo server and the clients
// all run on that CPU (the software cost alone); with -1 wherever the scheduler puts them.
struct LatencyRounds {
  std::vector<double> rtt, pair, licet;  // p50 in microseconds, one per round
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Per-round ratios a[i] / b[i]: median, min and max.
struct RatioRange {
  double median = 0, min = 0, max = 0;
};
RatioRange Ratios(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) r.push_back(b[i] > 0 ? a[i] / b[i] : 0);
  if (r.empty()) return {};
  return {Median(r), *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end())};
}

Result<LatencyRounds> MeasureLatency(const BenchLicetd& licetd, const EchoServer& echo,
                                     const WireSizes& sizes, int cpu, int rounds, uint64_t ops) {
  LICET_ASSIGN_OR_RETURN(auto rtt, ClientPool::Start(1, ClientOp::kBareRoundTrip, sizes, echo.socket_path()));
  LICET_ASSIGN_OR_RETURN(auto pair, ClientPool::Start(1, ClientOp::kBarePair, sizes, echo.socket_path()));
  LICET_ASSIGN_OR_RETURN(auto access, ClientPool::Start(1, ClientOp::kAccessRelease, sizes, ""));
  struct Unpin {
    std::vector<pid_t> pids;
    ~Unpin() {
      for (pid_t pid : pids) SetAffinity(pid, -1).IgnoreError();  // best effort
    }
  } unpin;
  if (cpu >= 0) {
    unpin.pids = {licetd.pid(), echo.pid()};
    for (pid_t pid : unpin.pids) LICET_RETURN_IF_ERROR(SetAffinity(pid, cpu));
    for (ClientPool* pool : {rtt.get(), pair.get(), access.get()}) LICET_RETURN_IF_ERROR(pool->Pin(cpu));
  }
  LatencyRounds out;
  for (int r = 0; r < rounds; ++r) {
    for (auto [pool, p50s] : {std::pair{rtt.get(), &out.rtt}, std::pair{pair.get(), &out.pair},
                              std::pair{access.get(), &out.licet}}) {
      LICET_ASSIGN_OR_RETURN(LoadResult result, pool->Run(ops));
      p50s->push_back(PercentileUs(result.latency_ns, 50));
    }
  }
  return out;
}

void PrintLatency(const char* placement, const LatencyRounds& l) {
  RatioRange x_rtt = Ratios(l.licet, l.rtt), x_pair = Ratios(l.licet, l.pair);
  std::printf("  %-13s p50 access+release %.1f us, bare round trip %.1f us, bare exchanges %.1f us "
              "(medians of %zu rounds); access+release = %.2fx the round trip (rounds %.2f-%.2f), "
              "%.2fx the exchanges (%.2f-%.2f)\n",
              placement, Median(l.licet), Median(l.rtt), Median(l.pair), l.licet.size(), x_rtt.median,
              x_rtt.min, x_rtt.max, x_pair.median, x_pair.min, x_pair.max);
}

// What the access+release cases measured, for the summary.
struct AccessOutcome {
  double ops_per_s = 0;
  double p50_us = 0, p99_us = 0;
};

// Lazily started worker pools, kept across the benchmark's calls of a case.
struct Pools {
  std::map<int, std::unique_ptr<ClientPool>> by_clients;
  std::map<int, AccessOutcome> outcomes;
};

void RegisterAccess(RatioReport& report, const std::map<int, Bare>& bare, const WireSizes& sizes,
                    std::shared_ptr<Pools> pools, bool smoke) {
  for (int clients : kClientCounts) {
    const Bare& b = bare.at(clients);
    const std::string suffix = std::to_string(clients) + (clients == 1 ? " client" : " clients");
    std::vector<Baseline> baselines = {
        {"bare Unix-socket round trip, " + suffix, "", b.round_trip.ops_per_s()},
        {"bare access+release exchanges, " + suffix, "vs_bare_pair", b.pair.ops_per_s()},
    };
    auto* bm = report.Add(
        "access_release/clients:" + std::to_string(clients), baselines,
        [clients, b, sizes, pools](benchmark::State& state) {
          auto& pool = pools->by_clients[clients];
          if (!pool) {
            auto started = ClientPool::Start(clients, ClientOp::kAccessRelease, sizes, "");
            if (!started.ok()) {
              state.SkipWithError(started.status().ToString().c_str());
              return;
            }
            pool = std::move(*started);
          }
          const uint64_t per_client =
              std::max<uint64_t>(1, (static_cast<uint64_t>(state.max_iterations) + clients - 1) / clients);
          LoadResult last;
          while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(per_client * clients))) {
            auto r = pool->Run(per_client);
            if (!r.ok()) {
              state.SkipWithError(r.status().ToString().c_str());
              return;
            }
            last = std::move(*r);
          }
          AccessOutcome& out = pools->outcomes[clients];
          out.p50_us = PercentileUs(last.latency_ns, 50);
          out.p99_us = PercentileUs(last.latency_ns, 99);
          out.ops_per_s = last.ops_per_s();
          state.counters["p50_us"] = out.p50_us;
          state.counters["p99_us"] = out.p99_us;
          state.counters["p50_x_rtt"] = b.rtt_p50_us > 0 ? out.p50_us / b.rtt_p50_us : 0;
          state.counters["p50_x_pair"] = b.pair_p50_us > 0 ? out.p50_us / b.pair_p50_us : 0;
        });
    if (!smoke) bm->MinTime(2.0);
  }
}

// licet_crypt (AES-256-GCM encrypt) of 64 KiB on one held handle, a fresh iv per call.
void RegisterCrypt(RatioReport& report, const OpensslBaseline& base, bool smoke) {
  const Baseline aes{"openssl aes-256-gcm 65536 B", "", base.AesGcmOpsPerS(kCryptSize)};
  auto* bm = report.Add("crypt_encrypt_64k", {aes}, [](benchmark::State& state) {
    licet_access_params params = LICET_ACCESS_PARAMS_INIT;
    params.firm_code = kBenchFirmCode;
    params.product_code = kBenchProductCode;
    licet_handle* handle = nullptr;
    if (int rc = licet_access(&params, &handle); rc != LICET_OK) {
      state.SkipWithError(licet_errmsg());
      return;
    }
    std::vector<uint8_t> data(kCryptSize, 0x5a);
    licet_crypt_params crypt = LICET_CRYPT_PARAMS_INIT;
    crypt.encryption_code = 42;
    uint64_t counter = 0;
    for (auto _ : state) {
      ++counter;
      std::memcpy(crypt.iv, &counter, sizeof counter);
      if (int rc = licet_crypt(handle, LICET_CRYPT_ENCRYPT, &crypt, data.data(), data.size()); rc != LICET_OK) {
        state.SkipWithError(licet_errmsg());
        break;
      }
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kCryptSize));
    licet_release(handle);
  });
  if (!smoke) bm->MinTime(2.0);
}

void PrintBare(const std::map<int, Bare>& bare, const WireSizes& sizes) {
  std::printf("wire sizes (payload bytes): access %zu -> %zu, release %zu -> %zu\n",
              sizes.access.request, sizes.access.response, sizes.release.request,
              sizes.release.response);
  std::printf("bare baseline (epoll echo server, 1 thread):\n");
  for (const auto& [clients, b] : bare) {
    std::printf("  %2d clients: round trip %.0f/s p50 %.1f us p99 %.1f us; "
                "access+release exchanges %.0f/s p50 %.1f us p99 %.1f us\n",
                clients, b.round_trip.ops_per_s(), b.rtt_p50_us, b.rtt_p99_us, b.pair.ops_per_s(),
                b.pair_p50_us, b.pair_p99_us);
  }
}

void PrintTargets(const std::map<int, Bare>& bare, const Pools& pools, const OpensslBaseline& base,
                  double crypt_ops_per_s, const LatencyRounds& same_cpu, const LatencyRounds& free) {
  std::printf("\nTargets (issue 3, 2 cores):\n");
  std::printf("  one client, latency measured in turns with the bare baselines:\n");
  PrintLatency("same CPU:", same_cpu);
  PrintLatency("unpinned:", free);
  std::printf("  throughput cases (bare baselines measured before them):\n");
  double best = 0;
  for (const auto& [clients, out] : pools.outcomes) {
    const Bare& b = bare.at(clients);
    std::printf("  %2d clients: %.0f access+release/s; p50 %.1f us = %.2fx bare round trip (%.2fx the "
                "bare access+release exchanges); p99 %.1f us = %.2fx\n",
                clients, out.ops_per_s, out.p50_us, out.p50_us / b.rtt_p50_us, out.p50_us / b.pair_p50_us,
                out.p99_us, out.p99_us / b.rtt_p99_us);
    best = std::max(best, out.ops_per_s);
  }
  const double x = Ratios(same_cpu.licet, same_cpu.rtt).median;
  const double x_free = Ratios(free.licet, free.rtt).median;
  std::printf("  p50 <= 3x bare round trip (1 client, median of rounds): same CPU %.2fx -> %s; "
              "unpinned %.2fx -> %s\n",
              x, x <= 3 ? "hit" : "miss", x_free, x_free <= 3 ? "hit" : "miss");
  std::printf("  >= 30000 access+release/s: best %.0f/s -> %s\n", best, best >= 30000 ? "hit" : "miss");
  double aes = base.AesGcmOpsPerS(kCryptSize);
  if (crypt_ops_per_s > 0 && aes > 0) {
    std::printf("  crypt 64 KiB >= 0.5x openssl: %.0f/s vs %.0f/s = %.2fx -> %s\n", crypt_ops_per_s, aes,
                crypt_ops_per_s / aes, crypt_ops_per_s / aes >= 0.5 ? "hit" : "miss");
  }
}

// Records the crypt case's rate for the summary (the RatioReport keeps its own copy).
class CryptRateReporter : public benchmark::BenchmarkReporter {
 public:
  explicit CryptRateReporter(benchmark::BenchmarkReporter* inner) : inner_(inner) {}
  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (run.run_name.function_name == "crypt_encrypt_64k" && it != run.counters.end()) {
        crypt_ops_per_s = it->second;
      }
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }
  double crypt_ops_per_s = 0;

 private:
  benchmark::BenchmarkReporter* inner_;
};

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const bool smoke = SmokeMode();
  std::signal(SIGPIPE, SIG_IGN);  // a dead client is an error to report, not a reason to die
  const char* bin_env = std::getenv("LICET_BIN_DIR");
  const std::string bin_dir = bin_env != nullptr ? bin_env : LICET_BENCH_BIN_DIR;

  auto licetd = BenchLicetd::Start(bin_dir);
  if (!licetd.ok()) {
    std::cerr << "runtime_bench: cannot start licetd: " << licetd.status().ToString() << "\n";
    return 1;
  }
  auto sizes = MeasureWireSizes(**licetd);
  auto echo = EchoServer::Start((*licetd)->work_dir() + "/echo.sock");
  if (!sizes.ok() || !echo.ok()) {
    std::cerr << "runtime_bench: cannot set up the baseline: "
              << (sizes.ok() ? echo.status() : sizes.status()).ToString() << "\n";
    return 1;
  }

  BaselineOptions options = OptionsFromEnvironment({});
  options.seconds = smoke ? 1 : 2;
  options.aes_gcm_sizes = {kCryptSize};
  auto openssl = MeasureOpensslBaseline(options);
  if (!openssl.ok()) {
    std::cerr << "runtime_bench: cannot measure the baseline: " << openssl.status().ToString() << "\n";
    return 1;
  }
  std::cout << openssl->Describe();

  std::map<int, Bare> bare;
  for (int clients : kClientCounts) {
    auto b = MeasureBare(clients, *sizes, **echo, smoke ? 0.05 : 1.0);
    if (!b.ok()) {
      std::cerr << "runtime_bench: bare baseline failed: " << b.status().ToString() << "\n";
      return 1;
    }
    bare[clients] = std::move(*b);
  }
  PrintBare(bare, *sizes);
  std::cout << std::flush;

  const int rounds = smoke ? 3 : 15;
  const uint64_t round_ops = smoke ? 200 : 2000;
  auto same_cpu = MeasureLatency(**licetd, **echo, *sizes, 0, rounds, round_ops);
  auto free = MeasureLatency(**licetd, **echo, *sizes, -1, rounds, round_ops);
  if (!same_cpu.ok() || !free.ok()) {
    std::cerr << "runtime_bench: latency rounds failed: "
              << (same_cpu.ok() ? free.status() : same_cpu.status()).ToString() << "\n";
    return 1;
  }

  RatioReport report;
  auto pools = std::make_shared<Pools>();
  RegisterAccess(report, bare, *sizes, pools, smoke);
  RegisterCrypt(report, *openssl, smoke);
  CryptRateReporter reporter(report.reporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  pools->by_clients.clear();  // the clients exit before licetd stops

  std::cout << "\nlicetd access API vs same-run baselines (ratio = ops/s / baseline ops/s; cost = 1/ratio)\n";
  report.PrintTable(std::cout);
  PrintTargets(bare, *pools, *openssl, reporter.crypt_ops_per_s, *same_cpu, *free);
  std::cout << std::flush;
  benchmark::Shutdown();
  return report.AllSucceeded() ? 0 : 1;
}

}  // namespace
}  // namespace licet::bench

int main(int argc, char** argv) { return licet::bench::Main(argc, argv); }
