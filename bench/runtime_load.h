// The load driver of the licetd benchmarks: N client processes (forked workers) that run an
// operation in a closed loop when told to, each timing every operation. One process per
// client because liblicet shares one connection per process (licet.h): N clients are N
// connections to licetd, as N protected programs would be.
//
// Not thread-safe; use from main() only.
#ifndef LICET_BENCH_RUNTIME_LOAD_H_
#define LICET_BENCH_RUNTIME_LOAD_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/runtime_fixture.h"
#include "common/status.h"

namespace licet::bench {

enum class ClientOp {
  kAccessRelease,  // licet_access + licet_release of the bench product (user-limit)
  kBareRoundTrip,  // one request/response with the access's frame sizes, on the EchoServer
  kBarePair,       // the access's exchange then the release's: the wire pattern of one
                   // access+release, with nothing done on the other side
};

// All clients' operations of one Run.
struct LoadResult {
  uint64_t ops = 0;
  double seconds = 0;                 // from the start to the last client's last answer
  std::vector<uint32_t> latency_ns;  // one per operation
  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

class ClientPool {
 public:
  // Forks `clients` workers for `op`: liblicet ones use $LICET_SOCKET, bare ones connect to
  // `echo_socket` and use `sizes`. Returns once each has done two untimed operations (the
  // first opens its connection). kIoError when a fork fails; the error of a failed operation.
  [[nodiscard]] static Result<std::unique_ptr<ClientPool>> Start(int clients, ClientOp op,
                                                                 const WireSizes& sizes,
                                                                 const std::string& echo_socket);
  ~ClientPool();  // tells the workers to exit and reaps them
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  int clients() const { return static_cast<int>(workers_.size()); }

  // Every client runs `ops_per_client` operations at once. The error of a failed operation
  // (its licet code, or kIoError for a dead worker or socket).
  [[nodiscard]] Result<LoadResult> Run(uint64_t ops_per_client);

  // SetAffinity on every worker.
  [[nodiscard]] Status Pin(int cpu);

  // Runs batches of `batch` operations per client until `seconds` have passed; the sum.
  [[nodiscard]] Result<LoadResult> RunFor(double seconds, uint64_t batch);

 private:
  struct Worker {
    pid_t pid = -1;
    int command_fd = -1;  // parent -> worker: uint64 ops (0: exit)
    int result_fd = -1;   // worker -> parent: int32 code, int64 end ns, uint64 n, n x uint32 ns
  };
  ClientPool() = default;

  std::vector<Worker> workers_;
};

// The `p`-th percentile (0..100) of `values` in microseconds (sorts `values`); 0 when empty.
double PercentileUs(std::vector<uint32_t>& values, double p);

// CLOCK_MONOTONIC in nanoseconds: one clock for all processes of the machine.
int64_t MonotonicNs();

}  // namespace licet::bench

#endif  // LICET_BENCH_RUNTIME_LOAD_H_
