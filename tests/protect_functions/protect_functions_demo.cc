// A program with protected functions of two feature codes (1 and 2), driven by
// protect_functions_test: it is protected with `licet protect functions` and run against a
// real licetd. Modes (argv[1]):
//   all       calls feature 1, then feature 2 functions, prints their results
//   f1 | f2   only one feature
//   threads N S   N threads call protected functions for S seconds while the main thread
//             locks and unlocks; every result is checked
//   api       licet_protect_unlock() and its message, without exiting
//   bench     first-call latency and steady-state call cost vs an unprotected twin
//   lib PATH  dlopen()s a shared library with protected functions, then calls both
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "licet/protect.h"

namespace {

// The same arithmetic, protected and plain, so that the bench compares like with like.
#define MIX_BODY                                  \
  for (int i = 0; i < 8; ++i) {                   \
    x ^= x >> 29;                                 \
    x *= 0xbf58476d1ce4e5b9ULL;                   \
    x ^= x >> 32;                                 \
  }                                               \
  return x;

LICET_PROTECTED(1) uint64_t Mix1(uint64_t x) { MIX_BODY }
__attribute__((noinline)) uint64_t Plain1(uint64_t x) { MIX_BODY }

LICET_PROTECTED(1) int ThrowsInside(int v) {
  if (v > 2) throw std::runtime_error("thrown from a protected function");
  return v * 2;
}

LICET_PROTECTED(2) uint64_t Mix2(uint64_t x) { return Plain1(x) + 2; }

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Threads(int n, double secs) {
  const uint64_t want1 = Mix1(42), want2 = Mix2(42);
  std::atomic<bool> stop{false}, bad{false};
  std::atomic<uint64_t> calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      uint64_t local = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        uint64_t got = (t % 2 == 0) ? Mix1(42) : Mix2(42);
        if (got != ((t % 2 == 0) ? want1 : want2)) bad = true;
        ++local;
      }
      calls += local;
    });
  }
  int cycles = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (Seconds(t0) < secs) {
    licet_protect_lock();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (cycles % 2 == 0 && licet_protect_unlock() != 0) bad = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ++cycles;
  }
  stop = true;
  for (auto& th : threads) th.join();
  std::printf("threads %s calls=%llu cycles=%d\n", bad ? "BAD" : "ok",
              static_cast<unsigned long long>(calls.load()), cycles);
  return bad ? 1 : 0;
}

int Bench() {
  auto t0 = std::chrono::steady_clock::now();
  volatile uint64_t sink = Mix1(1);
  const double first = Seconds(t0);
  constexpr int kCalls = 20'000'000;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) sink = Plain1(sink);
  const double plain = Seconds(t0) / kCalls;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) sink = Mix1(sink);
  const double prot = Seconds(t0) / kCalls;
  std::printf("first_call_ms=%.3f plain_ns=%.2f protected_ns=%.2f ratio=%.3f protected=%d\n",
              first * 1e3, plain * 1e9, prot * 1e9, prot / plain, licet_protect_is_protected());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "all";
  std::setvbuf(stdout, nullptr, _IONBF, 0);  // what ran before an exit must be visible
  if (mode == "threads") {
    return Threads(argc > 2 ? std::atoi(argv[2]) : 4, argc > 3 ? std::atof(argv[3]) : 1.0);
  }
  if (mode == "api") {
    int rc = licet_protect_unlock();
    std::printf("unlock=%d message=%s", rc, licet_protect_errmsg());
    return 0;
  }
  if (mode == "bench") return Bench();
  if (mode == "lib" && argc > 2) {
    void* lib = dlopen(argv[2], RTLD_NOW);
    if (lib == nullptr) {
      std::printf("dlopen: %s\n", dlerror());
      return 1;
    }
    auto mix = reinterpret_cast<uint64_t (*)(uint64_t)>(dlsym(lib, "LibMix"));
    auto is_protected = reinterpret_cast<int (*)()>(dlsym(lib, "LibIsProtected"));
    if (mix == nullptr || is_protected == nullptr) return 1;
    std::printf("lib_protected=%d lib=%llu mix1=%llu\n", is_protected(),
                static_cast<unsigned long long>(mix(777)),
                static_cast<unsigned long long>(Mix1(777)));
    return 0;
  }
  std::printf("protected=%d\n", licet_protect_is_protected());
  if (mode == "all" || mode == "f1") {
    std::printf("mix1=%llu\n", static_cast<unsigned long long>(Mix1(12345)));
    try {
      ThrowsInside(3);
      std::printf("no exception\n");
    } catch (const std::exception& e) {
      std::printf("caught=%s\n", e.what());
    }
  }
  if (mode == "all" || mode == "f2") {
    std::printf("mix2=%llu\n", static_cast<unsigned long long>(Mix2(12345)));
  }
  return 0;
}
