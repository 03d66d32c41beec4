// A load driver for License Central's gateway: many customer machines activating at once.
//
// Each simulated machine is a real soft container (in memory with fixed device properties,
// or in a real ContainerStore directory) that sends its signed context to
// POST /api/v1/activations over its own TCP connection (http::HttpCall), and imports the
// update it gets back, so that an answered activation is also proven to decrypt, verify and
// apply. Used by the end-to-end tests (concurrency, crash storms) through the
// licet-central-load tool and by bench/central_bench.cc in-process.
#ifndef LICET_CENTRAL_TESTS_LOAD_DRIVER_H_
#define LICET_CENTRAL_TESTS_LOAD_DRIVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace licet::central::load {

struct Endpoint {
  std::string host;  // an IP address
  uint16_t port = 0;
};

// "http://IP:PORT" (a trailing slash allowed). kInvalidArgument otherwise.
Result<Endpoint> ParseEndpoint(const std::string& url);

struct LoadOptions {
  std::vector<Endpoint> servers;     // requests go round-robin over them
  std::vector<std::string> tickets;  // request i uses tickets[i % size]
  uint32_t firm_code = 0;            // the firm the contexts report
  int containers = 1;                // one activation request per container
  int concurrency = 1;               // client threads
  // "" = containers in memory (machine-independent device properties); else a
  // ContainerStore home: its containers are reused, missing ones created, and updates are
  // imported into the files as `licet import` does.
  std::string home;
  // Import every Nth answered update (1 = all, 0 = none): the bench samples, tests check all.
  int verify_every = 1;
  std::chrono::milliseconds timeout{30000};
  // Created (empty) the moment the requests start: scripts time a crash by it.
  std::string ready_file;
};

// What happened to one request.
struct Outcome {
  std::string serial;
  int status = 0;            // HTTP status; 0 = no answer (refused, reset, timeout)
  std::string code;          // the problem's `code` for errors; "" for 200
  bool new_activation = false;
  bool verified = false;     // imported (only 200s, and only the sampled ones)
  std::string error;         // transport error or import failure
  double latency_ms = 0;
};

struct LoadReport {
  std::vector<Outcome> outcomes;
  double seconds = 0;  // wall time of the request phase (preparation excluded)
  double client_cpu_seconds = 0;  // CPU of the client threads in that phase (all of them)
  int answered_ok = 0;      // 200
  int new_activations = 0;  // 200 with Licet-New-Activation: true
  int unanswered = 0;
  int verified = 0;
  int verify_failures = 0;
  double rate() const { return seconds > 0 ? outcomes.size() / seconds : 0; }
  // Latency percentile over all answered requests (0..100).
  double Percentile(double p) const;
  // One JSON object: counts by status and code, latency percentiles, rate, failures.
  std::string ToJson() const;
};

// Prepares the containers and their contexts (not timed), then fires every request, the
// `concurrency` threads released together, and imports the sampled answers. Errors only for
// the preparation (a container that cannot be made); request failures are outcomes.
class LoadDriver {
 public:
  static Result<std::unique_ptr<LoadDriver>> Prepare(const LoadOptions& options);
  ~LoadDriver();
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  LoadReport Run();

 private:
  struct Machine;
  explicit LoadDriver(const LoadOptions& options);

  LoadOptions options_;
  std::vector<std::unique_ptr<Machine>> machines_;
};

}  // namespace licet::central::load

#endif  // LICET_CENTRAL_TESTS_LOAD_DRIVER_H_
