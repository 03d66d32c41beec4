// The world of the licetd benchmarks (bench/runtime_bench.cc): a real licetd over a throwaway
// state dir made with the real `licet` CLI, the sizes of the frames liblicet and licetd
// exchange for an access and a release, and the baseline for them: a bare Unix-socket server
// that answers each request frame with a frame of the size licetd would send, and nothing else.
//
// Every process started here dies with the benchmark (PR_SET_PDEATHSIG) and is stopped by
// the destructors. Not thread-safe; use from main() only.
#ifndef LICET_BENCH_RUNTIME_FIXTURE_H_
#define LICET_BENCH_RUNTIME_FIXTURE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace licet::bench {

inline constexpr uint32_t kBenchFirmCode = 6000010;
inline constexpr uint32_t kBenchProductCode = 201010;

// A licetd serving one container that holds firm 6000010 product 201010 (features 0x3,
// expires in a year, 64 seats so that every benchmark client gets one in user-limit mode).
class BenchLicetd {
 public:
  // Makes the state dir with `<bin_dir>/licet` and starts `<bin_dir>/licetd` on a socket in
  // it (the documented test invocation, one socket thread), waiting for its ready line.
  // Sets LICET_SOCKET in this process's environment, so that liblicet (here and in children
  // forked later) talks to it. kNotFound when the binaries are missing; kIoError naming the
  // failed command with its output.
  [[nodiscard]] static Result<std::unique_ptr<BenchLicetd>> Start(const std::string& bin_dir);
  // Stops licetd (SIGTERM, then SIGKILL after 10 s) and removes the state dir.
  ~BenchLicetd();
  BenchLicetd(const BenchLicetd&) = delete;
  BenchLicetd& operator=(const BenchLicetd&) = delete;

  const std::string& socket_path() const { return socket_; }
  const std::string& work_dir() const { return work_; }
  pid_t pid() const { return pid_; }

 private:
  BenchLicetd() = default;
  Status Run(const std::string& command, std::string* output);
  Status Launch(const std::string& bin_dir);

  std::string work_;
  std::string socket_;
  pid_t pid_ = -1;
};

// Request and response payload sizes (bytes after the 4-byte length) of one exchange.
struct ExchangeSize {
  size_t request = 0;
  size_t response = 0;
};

// What liblicet and licetd put on the wire for one access+release of the bench product.
struct WireSizes {
  ExchangeSize access;
  ExchangeSize release;
};

// Measures WireSizes: a forked child runs licet_access + licet_release through a relay socket
// that forwards to `licetd` frame by frame and records each frame's size. kIoError when the
// relay or the access fails.
[[nodiscard]] Result<WireSizes> MeasureWireSizes(const BenchLicetd& licetd);

// The baseline server: a forked child with one thread and epoll (licetd's default is one
// socket thread too) on a Unix socket. A request frame's payload starts with the 4-byte
// big-endian length of the response payload it wants; the server answers with that many
// bytes and does nothing else.
class EchoServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<EchoServer>> Start(const std::string& socket_path);
  ~EchoServer();  // kills and reaps the child
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  const std::string& socket_path() const { return socket_; }
  pid_t pid() const { return pid_; }

 private:
  EchoServer() = default;
  std::string socket_;
  pid_t pid_ = -1;
};

// Moves every thread of process `pid` to CPU `cpu`, or back to every CPU when `cpu` < 0.
// On a VM a round trip between two processes on different vCPUs pays the wake-up of an idle
// vCPU (tens of microseconds here) and one on the same vCPU does not; where the scheduler
// puts them changes from run to run, so latency ratios are measured with both placements.
// kIoError when /proc/PID/task cannot be read or a thread refuses.
[[nodiscard]] Status SetAffinity(pid_t pid, int cpu);

// Blocking helpers for the benchmark clients.
// Connects to a Unix socket; -1 on failure.
int ConnectUnix(const std::string& path);
// Writes all of `buf` (retrying short writes) to a socket (MSG_NOSIGNAL) or a pipe (the
// benchmark ignores SIGPIPE); false on error.
bool WriteAll(int fd, const void* buf, size_t len);
// Reads exactly `len` bytes; false on EOF or error.
bool ReadAll(int fd, void* buf, size_t len);

}  // namespace licet::bench

#endif  // LICET_BENCH_RUNTIME_FIXTURE_H_
