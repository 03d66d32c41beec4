// The baseline every Licet benchmark is compared with (DESIGN §6): the real `openssl speed`
// binary, run in the same process tree and the same minute as the benchmarks, so that a
// ratio says "how much slower than the bare primitive" whatever the machine and its load.
//
// All rates are wall-clock (`openssl speed -elapsed`), like the benchmarks, which use real
// time: imports wait for fsync, and CPU time would hide that.
#ifndef LICET_BENCH_OPENSSL_BASELINE_H_
#define LICET_BENCH_OPENSSL_BASELINE_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace licet::bench {

struct BaselineOptions {
  // The binary: a name looked up in PATH or a path. The LICET_OPENSSL environment variable
  // overrides it (see OptionsFromEnvironment).
  std::string openssl = "openssl";
  int seconds = 1;  // per algorithm; 1 is the shortest `openssl speed` allows
  // Message sizes at which AES-256-GCM is measured, one `openssl speed -bytes N` run each.
  std::vector<size_t> aes_gcm_sizes = {4096};
};

struct OpensslBaseline {
  std::string version;  // `openssl version`, e.g. "OpenSSL 3.0.19 27 Jan 2026 (...)"
  int seconds = 0;
  double ed25519_sign_per_s = 0;
  double ed25519_verify_per_s = 0;
  double x25519_derive_per_s = 0;
  std::map<size_t, double> aes_gcm_bytes_per_s;  // message size -> bytes/s

  // One sign plus one verify per operation: 1 / (1/sign + 1/verify).
  double Ed25519SignVerifyPerS() const;
  // AES-256-GCM encryptions of `n`-byte messages per second: measured at `n`, or estimated
  // from the nearest measured size (bytes/s / n) when `n` was not measured; `*exact` (may be
  // null) says which. 0 when no size was measured.
  double AesGcmOpsPerS(size_t n, bool* exact = nullptr) const;
  // A few lines for the benchmark log.
  std::string Describe() const;
};

// Runs `openssl version`, `openssl speed -elapsed -mr -seconds S ed25519 ecdhx25519` and
// `openssl speed -elapsed -mr -seconds S -evp aes-256-gcm -bytes N` per size; takes
// (3 + sizes) * seconds. kNotFound naming the package when the binary is missing; kIoError
// when it fails (with its output); kCorruptData when its output lacks a figure.
Result<OpensslBaseline> MeasureOpensslBaseline(const BaselineOptions& options);

// `options` with the binary from $LICET_OPENSSL when set.
BaselineOptions OptionsFromEnvironment(BaselineOptions options);

// Parsers of `openssl speed -mr` output (OpenSSL 3.0), exposed for tests. They read only
// the machine-readable "+F..." result lines and ignore everything else.
struct Ed25519Rates {
  double sign_per_s = 0;
  double verify_per_s = 0;
};
// "+F6:<n>:<bits>:Ed25519:<sign/s>:<verify/s>"
Result<Ed25519Rates> ParseEd25519Speed(std::string_view output);
// "+F5:<n>:253:<ops/s>:<s/op>" (X25519 is the 253-bit ECDH curve; the line has no name).
Result<double> ParseX25519Speed(std::string_view output);
// "+H:<size>[:<size>...]" then "+F:<n>:<cipher>:<bytes/s>[:...]": bytes/s of `cipher`
// (case-insensitive) at message size `bytes`.
Result<double> ParseCipherSpeed(std::string_view output, std::string_view cipher, size_t bytes);

}  // namespace licet::bench

#endif  // LICET_BENCH_OPENSSL_BASELINE_H_
