// `licet protect exe` costs (issue #6): start-up overhead of a protected program against
// the same program unprotected, the decryption rate of the decryptor's GCM against
// `openssl speed -evp aes-256-gcm` and against a memcpy into a prefaulted memfd, and the
// steady state (a CPU-bound query in the protected program). All in the same run.
// Target: overhead <= 1.25 x size / min(AES rate, page-fault rate) + 2 ms, no steady-state
// cost. The program is /usr/bin/sqlite3 (LICET_PROTECT_BENCH_PROGRAM overrides it),
// protected in IP mode, so licetd's round trips (runtime_bench measures them) are not in it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/openssl_baseline.h"
#include "common/env.h"
#include "protect/gcm/aes_gcm.h"
#include "protect/packer/packer.h"
#include "protect/stub/stub_blob.h"

namespace licet::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Wall time of one run of argv (stdout/stderr to /dev/null), or a negative value on failure.
double RunOnce(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Clock::time_point t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return -1;
  }
  return Seconds(t0, Clock::now());
}

// Median of `n` runs, alternating nothing else in between.
double Median(const std::vector<std::string>& argv, int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    double s = RunOnce(argv);
    if (s < 0) return -1;
    t.push_back(s);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Bytes per second of the decryptor's GCM over `n` bytes (best of a few passes).
double GcmRate(size_t n) {
  std::vector<unsigned char> buf(n, 0x5a);
  unsigned char k[32] = {7}, iv[12] = {9}, tag[16];
  protect::gcm::Key key;
  protect::gcm::ExpandKey(k, &key);
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    Clock::time_point t0 = Clock::now();
    protect::gcm::Stream s;
    protect::gcm::Begin(key, iv, &s);
    protect::gcm::Decrypt(&s, buf.data(), buf.data(), n);
    protect::gcm::FinishTag(&s, tag);
    best = std::max(best, static_cast<double>(n) / Seconds(t0, Clock::now()));
  }
  return best;
}

// Bytes per second of memcpy into a memfd mapping: prefaulted (pages already there) or fresh
// (every page faulted in by the copy, as the decryptor's scratch mapping is).
double MemfdCopyRate(size_t n, bool prefault) {
  std::vector<unsigned char> src(n, 0x33);
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    int fd = memfd_create("bench", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(n)) != 0) return 0;
    void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 0;
    if (prefault) std::memset(p, 0, n);
    Clock::time_point t0 = Clock::now();
    std::memcpy(p, src.data(), n);
    double s = Seconds(t0, Clock::now());
    munmap(p, n);
    close(fd);
    best = std::max(best, static_cast<double>(n) / s);
  }
  return best;
}

int Main() {
  const char* env = std::getenv("LICET_PROTECT_BENCH_PROGRAM");
  std::string program = env != nullptr ? env : "/usr/bin/sqlite3";
  if (!protect::gcm::CpuSupported()) {
    std::printf("protect_bench: no AES-NI/PCLMULQDQ, nothing to measure\n");
    return 0;
  }
  Result<Bytes> input = Env::Default().ReadFile(program, protect::elf::kMaxFileSize);
  if (!input.ok()) {
    std::printf("protect_bench: %s not readable (%s), nothing to measure\n", program.c_str(),
                input.status().ToString().c_str());
    return 0;
  }
  protect::packer::ProtectOptions o;
  o.mode = protect::key::Mode::kIpProtection;
  o.product_name = "bench";
  protect::packer::ProtectReport report;
  Result<Bytes> out =
      protect::packer::Protect(*input, o, SecretBytes(), protect::stub::StubBlob(), &report);
  if (!out.ok()) {
    std::fprintf(stderr, "protect_bench: %s\n", out.status().ToString().c_str());
    return 1;
  }
  char dir[] = "/tmp/licet-protect-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  std::string protected_path = std::string(dir) + "/program";
  if (!Env::Default().WriteFileAtomic(protected_path, *out, 0755).ok()) return 1;

  const int runs = 40;
  std::vector<std::string> plain_argv = {program, "-version"};
  std::vector<std::string> prot_argv = {protected_path, "-version"};
  Median(plain_argv, 5);  // warm the page cache
  Median(prot_argv, 5);
  double t_plain = Median(plain_argv, runs);
  double t_prot = Median(prot_argv, runs);
  const size_t size = report.bytes_encrypted;
  // Rates over 16 MiB (or the encrypted size when larger): cache-resident copies of a few
  // hundred KiB would flatter memcpy by an order of magnitude.
  const size_t rate_size = std::max<size_t>(size, size_t{16} << 20);
  double gcm = GcmRate(rate_size);
  double fault = MemfdCopyRate(rate_size, false);
  double prefaulted = MemfdCopyRate(rate_size, true);
  BaselineOptions options = OptionsFromEnvironment({});
  options.aes_gcm_sizes = {16384};
  Result<OpensslBaseline> baseline = MeasureOpensslBaseline(options);
  double openssl = baseline.ok() ? baseline->aes_gcm_bytes_per_s.begin()->second : 0;

  // Steady state: a CPU-bound query, protected vs plain.
  std::vector<std::string> cpu_plain = {program, ":memory:",
                                        "with recursive c(x) as (select 1 union all select x + 1 "
                                        "from c where x < 2000000) select sum(x) from c;"};
  std::vector<std::string> cpu_prot = cpu_plain;
  cpu_prot[0] = protected_path;
  double s_plain = Median(cpu_plain, 5);
  double s_prot = Median(cpu_prot, 5);

  double overhead_ms = (t_prot - t_plain) * 1e3;
  double target_ms = 1.25 * static_cast<double>(size) / std::min(gcm, fault) * 1e3 + 2.0;
  std::printf("protect_bench: %s, %zu bytes encrypted in %zu ranges, decryptor %zu bytes\n",
              program.c_str(), size, report.ranges.size(), static_cast<size_t>(report.stub_size));
  std::printf(
      "  start-up      plain %.3f ms, protected %.3f ms: overhead %.3f ms, ratio %.2f (median of "
      "%d)\n",
      t_plain * 1e3, t_prot * 1e3, overhead_ms, t_prot / t_plain, runs);
  std::printf(
      "  target        overhead <= 1.25 x size / min(AES, page-fault rate) + 2 ms = %.3f ms: %s\n",
      target_ms, overhead_ms <= target_ms ? "met" : "NOT met");
  std::printf(
      "  decrypt rate  %.2f GB/s (stub GCM) = %.2f x openssl speed -evp aes-256-gcm (%.2f GB/s)\n",
      gcm / 1e9, openssl > 0 ? gcm / openssl : 0.0, openssl / 1e9);
  std::printf(
      "  memfd copy    %.2f GB/s prefaulted, %.2f GB/s faulting (GCM = %.2f x prefaulted memcpy; "
      "rates over %zu MiB)\n",
      prefaulted / 1e9, fault / 1e9, gcm / prefaulted, rate_size >> 20);
  std::printf("  steady state  CPU-bound query plain %.1f ms, protected %.1f ms, ratio %.3f\n",
              s_plain * 1e3, s_prot * 1e3, s_prot / s_plain);
  unlink(protected_path.c_str());
  rmdir(dir);
  return t_plain > 0 && t_prot > 0 ? 0 : 1;
}

}  // namespace
}  // namespace licet::bench

int main() { return licet::bench::Main(); }
