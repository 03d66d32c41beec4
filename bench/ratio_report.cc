#include "bench/ratio_report.h"

#include <unistd.h>

#include <cassert>
#include <cstdio>
#include <ostream>
#include <utility>

namespace licet::bench {
namespace {

// About three significant digits, without exponents for the magnitudes we print.
std::string Format(double v) {
  char buf[64];
  if (v >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (v >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (v >= 1) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

}  // namespace

benchmark::internal::Benchmark* RatioReport::Add(const std::string& name,
                                                 std::vector<Baseline> baselines,
                                                 std::function<void(benchmark::State&)> body) {
  assert(!baselines.empty());
  cases_.push_back(Case{name, baselines});
  auto run = [body = std::move(body), baselines = std::move(baselines)](benchmark::State& state) {
    body(state);
    state.SetItemsProcessed(state.iterations());
    // A rate counter is divided by the measured time: iterations/baseline/seconds is
    // (ops/s) / (baseline ops/s).
    for (size_t i = 0; i < baselines.size(); ++i) {
      const std::string& key = i == 0 ? std::string("vs_openssl") : baselines[i].counter;
      state.counters[key] =
          benchmark::Counter(static_cast<double>(state.iterations()) / baselines[i].ops_per_s,
                             benchmark::Counter::kIsRate);
    }
  };
  // Real time: imports wait for fsync and opens for /sys reads; CPU time would hide both.
  return benchmark::RegisterBenchmark(name.c_str(), std::move(run))->UseRealTime();
}

RatioReport::Reporter::Reporter(std::map<std::string, Outcome>* outcomes)
    : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular), outcomes_(outcomes) {}

void RatioReport::Reporter::ReportRuns(const std::vector<Run>& runs) {
  // The vs_* values are final ratios (the division by time is done by now); dropping their
  // rate flag only stops the console from printing them as "0.5/s".
  std::vector<Run> shown = runs;
  for (Run& run : shown) {
    for (auto& [name, counter] : run.counters) {
      if (name.starts_with("vs_")) counter.flags = benchmark::Counter::kDefaults;
    }
  }
  ConsoleReporter::ReportRuns(shown);
  for (const Run& run : runs) {
    const std::string& name = run.run_name.function_name;
    bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    if (run.run_type == Run::RT_Aggregate && !median) continue;
    Outcome& outcome = (*outcomes_)[name];
    if (run.error_occurred) {
      outcome.error = run.error_message.empty() ? "failed" : run.error_message;
      continue;
    }
    auto items = run.counters.find("items_per_second");
    if (items == run.counters.end()) continue;
    // With repetitions, the median wins over the single runs reported before it.
    if (median || outcome.ops_per_s == 0 || run.repetitions <= 1) outcome.ops_per_s = items->second;
  }
}

bool RatioReport::AllSucceeded() const {
  for (const auto& [name, outcome] : outcomes_) {
    if (!outcome.error.empty() || outcome.ops_per_s <= 0) return false;
  }
  return true;
}

void RatioReport::PrintTable(std::ostream& out) const {
  out << "| operation | ops/s | baseline | baseline ops/s | ratio | cost (baseline ops) |\n"
      << "|---|---:|---|---:|---:|---:|\n";
  for (const Case& c : cases_) {
    auto it = outcomes_.find(c.name);
    if (it == outcomes_.end()) continue;
    const Outcome& o = it->second;
    for (const Baseline& b : c.baselines) {
      out << "| " << c.name << " | ";
      if (!o.error.empty() || o.ops_per_s <= 0) {
        out << "FAILED: " << (o.error.empty() ? "no result" : o.error) << " | " << b.name << " | "
            << Format(b.ops_per_s) << " | | |\n";
        continue;
      }
      double ratio = o.ops_per_s / b.ops_per_s;
      out << Format(o.ops_per_s) << " | " << b.name << " | " << Format(b.ops_per_s) << " | "
          << Format(ratio) << " | " << Format(1.0 / ratio) << " |\n";
    }
  }
}

}  // namespace licet::bench
