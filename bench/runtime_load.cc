#include "bench/runtime_load.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "licet/licet.h"

namespace licet::bench {
namespace {

void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// One exchange with the EchoServer: the request frame as liblicet would size it, and the
// answer read with as few reads as the kernel allows.
class BareExchange {
 public:
  explicit BareExchange(const ExchangeSize& size) : frame_(4 + size.request), want_(4 + size.response) {
    StoreBe32(frame_.data(), static_cast<uint32_t>(size.request));
    StoreBe32(frame_.data() + 4, static_cast<uint32_t>(size.response));
    buf_.resize(want_ + 64);
  }
  bool Run(int fd) {
    if (!WriteAll(fd, frame_.data(), frame_.size())) return false;
    size_t have = 0;
    while (have < want_) {
      ssize_t r = ::read(fd, buf_.data() + have, buf_.size() - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      have += static_cast<size_t>(r);
    }
    return have == want_;
  }

 private:
  std::vector<uint8_t> frame_;
  size_t want_;
  std::vector<uint8_t> buf_;
};

struct WorkerState {
  ClientOp op;
  int echo_fd = -1;
  std::unique_ptr<BareExchange> access;
  std::unique_ptr<BareExchange> release;
};

// One operation; LICET_OK or an error code.
int RunOne(WorkerState& w) {
  switch (w.op) {
    case ClientOp::kAccessRelease: {
      licet_access_params params = LICET_ACCESS_PARAMS_INIT;
      params.firm_code = kBenchFirmCode;
      params.product_code = kBenchProductCode;
      licet_handle* handle = nullptr;
      int rc = licet_access(&params, &handle);
      if (rc != LICET_OK) return rc;
      return licet_release(handle);
    }
    case ClientOp::kBareRoundTrip:
      return w.access->Run(w.echo_fd) ? LICET_OK : LICET_ERROR_IO;
    case ClientOp::kBarePair:
      return w.access->Run(w.echo_fd) && w.release->Run(w.echo_fd) ? LICET_OK : LICET_ERROR_IO;
  }
  return LICET_ERROR_INTERNAL;
}

[[noreturn]] void WorkerMain(WorkerState w, int command_fd, int result_fd) {
  // The first operation opens the connection (liblicet: connect + hello); not timed.
  int warm = w.op == ClientOp::kAccessRelease || w.echo_fd >= 0 ? RunOne(w) : LICET_ERROR_IO;
  std::vector<uint32_t> latencies;
  uint64_t ops = 0;
  while (ReadAll(command_fd, &ops, sizeof ops) && ops != 0) {
    latencies.clear();
    latencies.reserve(ops);
    int32_t code = warm;
    for (uint64_t i = 0; i < ops && code == LICET_OK; ++i) {
      int64_t start = MonotonicNs();
      code = RunOne(w);
      latencies.push_back(static_cast<uint32_t>(std::min<int64_t>(MonotonicNs() - start, UINT32_MAX)));
    }
    int64_t end = MonotonicNs();
    uint64_t n = latencies.size();
    if (!WriteAll(result_fd, &code, sizeof code) || !WriteAll(result_fd, &end, sizeof end) ||
        !WriteAll(result_fd, &n, sizeof n) ||
        !WriteAll(result_fd, latencies.data(), n * sizeof(uint32_t))) {
      break;
    }
  }
  ::_exit(0);
}

}  // namespace

int64_t MonotonicNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

double PercentileUs(std::vector<uint32_t>& values, double p) {
  if (values.empty()) return 0;
  size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  k = std::clamp<size_t>(k, 1, values.size()) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(k), values.end());
  return values[k] / 1000.0;
}

Result<std::unique_ptr<ClientPool>> ClientPool::Start(int clients, ClientOp op,
                                                      const WireSizes& sizes,
                                                      const std::string& echo_socket) {
  std::unique_ptr<ClientPool> pool(new ClientPool());
  for (int i = 0; i < clients; ++i) {
    int command[2], result[2];
    if (::pipe2(command, O_CLOEXEC) != 0) return Error(ErrorCode::kIoError, "pipe");
    if (::pipe2(result, O_CLOEXEC) != 0) {
      ::close(command[0]);
      ::close(command[1]);
      return Error(ErrorCode::kIoError, "pipe");
    }
    ::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return Error(ErrorCode::kIoError, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(command[1]);
      ::close(result[0]);
      // The other workers' pipes, inherited: closed so that each worker sees its own EOF.
      for (const Worker& other : pool->workers_) {
        ::close(other.command_fd);
        ::close(other.result_fd);
      }
      WorkerState w{op};
      if (op != ClientOp::kAccessRelease) {
        w.echo_fd = ConnectUnix(echo_socket);
        w.access = std::make_unique<BareExchange>(sizes.access);
        w.release = std::make_unique<BareExchange>(sizes.release);
      }
      WorkerMain(std::move(w), command[0], result[1]);
    }
    ::close(command[0]);
    ::close(result[1]);
    pool->workers_.push_back(Worker{pid, command[1], result[0]});
  }
  // Every worker has connected (and, for liblicet, said hello) before anything is timed.
  LICET_RETURN_IF_ERROR(pool->Run(1).status());
  return pool;
}

ClientPool::~ClientPool() {
  for (Worker& w : workers_) ::close(w.command_fd);  // EOF: the worker exits
  for (Worker& w : workers_) {
    ::close(w.result_fd);
    ::waitpid(w.pid, nullptr, 0);
  }
}

Result<LoadResult> ClientPool::Run(uint64_t ops_per_client) {
  LoadResult result;
  const int64_t start = MonotonicNs();
  for (Worker& w : workers_) {
    if (!WriteAll(w.command_fd, &ops_per_client, sizeof ops_per_client)) {
      return Error(ErrorCode::kIoError, "a benchmark client died");
    }
  }
  int64_t end = start;
  Status failure = Status::Ok();
  for (Worker& w : workers_) {
    int32_t code = 0;
    int64_t worker_end = 0;
    uint64_t n = 0;
    if (!ReadAll(w.result_fd, &code, sizeof code) || !ReadAll(w.result_fd, &worker_end, sizeof worker_end) ||
        !ReadAll(w.result_fd, &n, sizeof n) || n > ops_per_client) {
      return Error(ErrorCode::kIoError, "a benchmark client died");
    }
    size_t old = result.latency_ns.size();
    result.latency_ns.resize(old + n);
    if (!ReadAll(w.result_fd, result.latency_ns.data() + old, n * sizeof(uint32_t))) {
      return Error(ErrorCode::kIoError, "a benchmark client died");
    }
    if (code != LICET_OK && failure.ok()) {
      failure = Error(static_cast<ErrorCode>(code),
                      std::string("a client's operation failed: ") + licet_strerror(code));
    }
    end = std::max(end, worker_end);
    result.ops += n;
  }
  LICET_RETURN_IF_ERROR(failure);
  result.seconds = static_cast<double>(end - start) / 1e9;
  return result;
}

Status ClientPool::Pin(int cpu) {
  for (const Worker& w : workers_) LICET_RETURN_IF_ERROR(SetAffinity(w.pid, cpu));
  return Status::Ok();
}

Result<LoadResult> ClientPool::RunFor(double seconds, uint64_t batch) {
  LoadResult total;
  const int64_t deadline = MonotonicNs() + static_cast<int64_t>(seconds * 1e9);
  do {
    LICET_ASSIGN_OR_RETURN(LoadResult r, Run(batch));
    total.ops += r.ops;
    total.seconds += r.seconds;
    total.latency_ns.insert(total.latency_ns.end(), r.latency_ns.begin(), r.latency_ns.end());
  } while (MonotonicNs() < deadline);
  return total;
}

}  // namespace licet::bench
