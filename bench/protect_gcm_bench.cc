// The freestanding AES-256-GCM of the protection runtimes (src/protect/gcm) against
// `openssl speed -evp aes-256-gcm` (the same run) and against OpenSSL EVP in-process
// (src/crypto): the rate at which protected code is decrypted.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "bench/openssl_baseline.h"
#include "bench/ratio_report.h"
#include "common/bytes.h"
#include "crypto/crypto.h"
#include "protect/gcm/aes_gcm.h"

namespace licet::bench {
namespace {

constexpr size_t kOpensslSize = 16384;  // the largest size `openssl speed` uses by default

void DecryptOurs(benchmark::State& state, size_t n) {
  Bytes k(32, 7), iv(12, 9), buf(n, 0x5a);
  protect::gcm::Key key;
  protect::gcm::ExpandKey(k.data(), &key);
  unsigned char tag[16];
  for (auto _ : state) {
    protect::gcm::Stream s;
    protect::gcm::Begin(key, iv.data(), &s);
    protect::gcm::Decrypt(&s, buf.data(), buf.data(), buf.size());
    protect::gcm::FinishTag(&s, tag);
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}

void DecryptEvp(benchmark::State& state, size_t n) {
  Bytes k(32, 7), iv(12, 9), buf(n, 0x5a);
  std::array<uint8_t, 16> tag{};
  for (auto _ : state) {
    // The tag does not match: the decryption runs in full, then the check fails.
    Status st = crypto::AesGcmDecryptInPlace(k, iv, {}, buf, tag);
    benchmark::DoNotOptimize(st);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (!protect::gcm::CpuSupported()) {
    std::cout << "protect_gcm_bench: no AES-NI/PCLMULQDQ, nothing to measure\n";
    return 0;
  }
  BaselineOptions options = OptionsFromEnvironment({});
  options.seconds = 1;
  options.aes_gcm_sizes = {kOpensslSize};
  auto baseline = MeasureOpensslBaseline(options);
  if (!baseline.ok()) {
    std::cerr << "protect_gcm_bench: cannot measure the baseline: " << baseline.status().ToString()
              << "\n";
    return 1;
  }
  std::cout << baseline->Describe() << std::flush;
  const double openssl_bytes = baseline->aes_gcm_bytes_per_s.at(kOpensslSize);
  RatioReport report;
  for (size_t n : {size_t{4096}, kOpensslSize, size_t{1} << 20}) {
    // One op = n bytes; the baselines in n-byte messages per second.
    std::vector<Baseline> b = {
        {"openssl speed aes-256-gcm (16 KiB rate)", "", openssl_bytes / static_cast<double>(n)}};
    std::string size = std::to_string(n / 1024) + " KiB";
    report.Add("protect gcm decrypt " + size, b,
               [n](benchmark::State& s) { DecryptOurs(s, n); })->UseRealTime();
    report.Add("openssl EVP in-process decrypt " + size, b,
               [n](benchmark::State& s) { DecryptEvp(s, n); })->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks(report.reporter());
  std::cout << "\nprotection GCM vs openssl speed (ratio = rate / baseline rate)\n";
  report.PrintTable(std::cout);
  benchmark::Shutdown();
  return report.AllSucceeded() ? 0 : 1;
}

}  // namespace
}  // namespace licet::bench

int main(int argc, char** argv) { return licet::bench::Main(argc, argv); }
