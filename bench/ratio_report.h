// Benchmarks reported as ratios to baselines measured in the same run (DESIGN §6).
//
// Each case is registered with the baselines it is compared with. Cases are timed in
// wall-clock time and report items_per_second (one item = one operation) plus a user counter
// per baseline, "vs_openssl" for the first: ops/s divided by the baseline's ops/s, so 0.5
// means "twice the time of the baseline operation". The reporter records the results and
// PrintTable prints them as a Markdown table ready for docs/PERFORMANCE.md.
//
// Not thread-safe; use from main() only.
#ifndef LICET_BENCH_RATIO_REPORT_H_
#define LICET_BENCH_RATIO_REPORT_H_

#include <benchmark/benchmark.h>

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace licet::bench {

struct Baseline {
  std::string name;      // e.g. "openssl ed25519 sign+verify"
  std::string counter;   // user counter for the second and later baselines, e.g. "vs_x25519"
  double ops_per_s = 0;  // > 0
};

class RatioReport {
 public:
  // Registers `body` (which runs the `for (auto _ : state)` loop) as benchmark `name`,
  // compared with `baselines` (at least one). Returns the benchmark for more settings.
  benchmark::internal::Benchmark* Add(const std::string& name, std::vector<Baseline> baselines,
                                      std::function<void(benchmark::State&)> body);

  // The console reporter that also records results for PrintTable. Valid while this
  // RatioReport lives.
  benchmark::BenchmarkReporter* reporter() { return &reporter_; }

  // "| operation | ops/s | baseline | baseline ops/s | ratio | cost |", one row per case
  // and baseline, in registration order; cases that did not run (filtered out) are left out
  // and failed ones are marked. cost = 1/ratio, the time of one operation in baseline
  // operations.
  void PrintTable(std::ostream& out) const;

  // False when a case that ran failed (SkipWithError) or reported no rate.
  bool AllSucceeded() const;

 private:
  struct Case {
    std::string name;
    std::vector<Baseline> baselines;
  };
  struct Outcome {
    double ops_per_s = 0;
    std::string error;  // non-empty when the case failed
  };
  class Reporter : public benchmark::ConsoleReporter {
   public:
    // Colours only on a terminal (logs of CI and `make bench | tee` stay plain text).
    explicit Reporter(std::map<std::string, Outcome>* outcomes);
    void ReportRuns(const std::vector<Run>& runs) override;

   private:
    std::map<std::string, Outcome>* outcomes_;
  };

  std::vector<Case> cases_;
  std::map<std::string, Outcome> outcomes_;  // by case name
  Reporter reporter_{&outcomes_};
};

}  // namespace licet::bench

#endif  // LICET_BENCH_RATIO_REPORT_H_
