// A protected-program workload: C++ exceptions, threads, thread_local, static
// constructors, large read-only tables and the exit code. Prints a deterministic summary that
// the tests compare between the original and the protected build.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

thread_local uint64_t tls_counter = 11;
std::map<std::string, int> registry = {{"alpha", 1}, {"beta", 2}};  // a static constructor

// Enough read-only data and code for whole pages to encrypt.
#define ROW(n) n * 7u + 1u, n * 13u + 5u, n * 17u + 3u, n * 19u + 11u
#define ROWS8(n) ROW(n), ROW(n + 1), ROW(n + 2), ROW(n + 3), ROW(n + 4), ROW(n + 5), ROW(n + 6), ROW(n + 7)
#define ROWS64(n) ROWS8(n), ROWS8(n + 8), ROWS8(n + 16), ROWS8(n + 24), ROWS8(n + 32), ROWS8(n + 40), ROWS8(n + 48), ROWS8(n + 56)
const uint32_t kTable[] = {ROWS64(0), ROWS64(64), ROWS64(128), ROWS64(192), ROWS64(256),
                           ROWS64(320), ROWS64(384), ROWS64(448)};

struct Oops : std::runtime_error {
  explicit Oops(int v) : std::runtime_error("oops " + std::to_string(v)), value(v) {}
  int value;
};

__attribute__((noinline)) int Thrower(int depth) {
  if (depth == 0) throw Oops(42);
  return Thrower(depth - 1) + 1;
}

uint64_t Work(uint32_t seed, uint64_t rounds) {
  uint64_t x = seed;
  for (uint64_t i = 0; i < rounds; ++i) {
    x = x * 6364136223846793005ull + kTable[(x >> 33) % (sizeof(kTable) / sizeof(kTable[0]))];
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rounds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  int exit_code = argc > 2 ? std::atoi(argv[2]) : 0;
  std::mutex mu;
  uint64_t total = 0;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      tls_counter += t;
      uint64_t v = Work(t + 1, rounds) ^ tls_counter;
      std::lock_guard<std::mutex> lock(mu);
      total ^= v;
    });
  }
  for (auto& th : threads) th.join();
  int caught = 0;
  try {
    Thrower(10);
  } catch (const Oops& e) {
    caught = e.value;
  }
  std::printf("total=%llu caught=%d tls=%llu registry=%zu\n",
              static_cast<unsigned long long>(total), caught,
              static_cast<unsigned long long>(tls_counter), registry.size());
  return exit_code;
}
