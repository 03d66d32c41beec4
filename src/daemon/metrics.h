// licetd's counters, rendered in the Prometheus text format for GET /metrics.
//
// Counting is lock-free (relaxed atomics): the hot path pays a few increments, never a log line.
#ifndef LICET_DAEMON_METRICS_H_
#define LICET_DAEMON_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "daemon/lease_manager.h"

namespace licet::daemon {

// The operations of the local API, as metric labels.
enum class Op : uint8_t {
  kHello,
  kAccess,
  kRelease,
  kInfo,
  kUnits,
  kCrypt,
  kList,
  kContext,
  kImport,
  kCreateContainer,
  kDescribe,
  kInvalid,  // unknown op or malformed request
};
inline constexpr size_t kOpCount = 12;
const char* OpName(Op op);
// The Op of an "op" text; kInvalid when unknown.
Op ParseOp(std::string_view name);

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 13> kBuckets = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                                      0.0005,  0.001,    0.0025,  0.005,  0.01,
                                                      0.025,   0.1,      1.0};

  Metrics();

  void ConnectionOpened() {
    ++connections_total_;
    ++connections_;
  }
  void ConnectionClosed() { --connections_; }
  // One answered request of `op` that took `seconds` from decode to response.
  void Request(Op op, double seconds);
  // The outcome of an access (kOk when granted).
  void Access(ErrorCode result);
  void UnitsDecremented(uint64_t units) {
    ++unit_decrements_;
    units_decremented_ += units;
  }
  void CryptBytes(uint64_t bytes) { crypt_bytes_ += bytes; }
  void ProtocolError() { ++protocol_errors_; }

  int64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  uint64_t access_count(ErrorCode result) const;

  // The text exposition format (version 0.0.4). `leases` are the current leases per item
  // (summed per firm and product over containers); `uptime` in seconds.
  std::string RenderPrometheus(const std::map<ItemKey, uint32_t>& leases, double uptime) const;

 private:
  static constexpr size_t kCodeSlots = 300;  // ErrorCode numbers are below 300
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> connections_total_{0};
  std::atomic<uint64_t> unit_decrements_{0};
  std::atomic<uint64_t> units_decremented_{0};
  std::atomic<uint64_t> crypt_bytes_{0};
  std::atomic<uint64_t> protocol_errors_{0};
  std::array<std::atomic<uint64_t>, kCodeSlots> access_{};
  std::array<Histogram, kOpCount> latency_;
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_METRICS_H_
