#include "daemon/metrics.h"

#include <cstdio>

namespace licet::daemon {
namespace {

constexpr const char* kOpNames[kOpCount] = {
    "hello",   "access", "release",          "info",   "units", "crypt", "list",
    "context", "import", "create_container", "describe", "invalid"};

void Line(std::string& out, const char* fmt, auto... args) {
  char buf[256];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

void Help(std::string& out, const char* name, const char* type, const char* help) {
  Line(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

unsigned long long Load(const std::atomic<uint64_t>& v) {
  return static_cast<unsigned long long>(v.load(std::memory_order_relaxed));
}

}  // namespace

const char* OpName(Op op) { return kOpNames[static_cast<size_t>(op)]; }

Op ParseOp(std::string_view name) {
  for (size_t i = 0; i + 1 < kOpCount; ++i) {
    if (name == kOpNames[i]) return static_cast<Op>(i);
  }
  return Op::kInvalid;
}

Metrics::Metrics() = default;

void Metrics::Request(Op op, double seconds) {
  Histogram& h = latency_[static_cast<size_t>(op)];
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  h.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Metrics::Access(ErrorCode result) {
  size_t slot = static_cast<size_t>(result);
  if (slot >= kCodeSlots) slot = static_cast<size_t>(ErrorCode::kInternal);
  access_[slot].fetch_add(1, std::memory_order_relaxed);
}

uint64_t Metrics::access_count(ErrorCode result) const {
  size_t slot = static_cast<size_t>(result);
  return slot < kCodeSlots ? access_[slot].load(std::memory_order_relaxed) : 0;
}

std::string Metrics::RenderPrometheus(const std::map<ItemKey, uint32_t>& leases,
                                      double uptime) const {
  std::string out;
  out.reserve(8192);
  Help(out, "licetd_up", "gauge", "1 while licetd runs");
  out += "licetd_up 1\n";
  Help(out, "licetd_uptime_seconds", "gauge", "seconds since licetd started");
  Line(out, "licetd_uptime_seconds %.3f\n", uptime);
  Help(out, "licetd_connections", "gauge", "open client connections on the local socket");
  Line(out, "licetd_connections %lld\n", static_cast<long long>(connections()));
  Help(out, "licetd_connections_total", "counter", "client connections accepted");
  Line(out, "licetd_connections_total %llu\n", Load(connections_total_));

  Help(out, "licetd_leases", "gauge", "handles holding a product item");
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> per_product;
  for (const auto& [item, n] : leases) per_product[{item.firm_code, item.product_code}] += n;
  for (const auto& [key, n] : per_product) {
    Line(out, "licetd_leases{firm=\"%u\",product=\"%u\"} %llu\n", key.first, key.second,
         static_cast<unsigned long long>(n));
  }

  Help(out, "licetd_access_total", "counter", "access requests by result");
  Line(out, "licetd_access_total{result=\"ok\"} %llu\n", Load(access_[0]));
  for (size_t code = 1; code < kCodeSlots; ++code) {
    uint64_t n = access_[code].load(std::memory_order_relaxed);
    if (n == 0) continue;
    Line(out, "licetd_access_total{result=\"%s\"} %llu\n",
         ErrorCodeName(static_cast<ErrorCode>(code)), static_cast<unsigned long long>(n));
  }
  Help(out, "licetd_unit_decrements_total", "counter", "successful unit decrement requests");
  Line(out, "licetd_unit_decrements_total %llu\n", Load(unit_decrements_));
  Help(out, "licetd_units_decremented_total", "counter", "units taken by decrements");
  Line(out, "licetd_units_decremented_total %llu\n", Load(units_decremented_));
  Help(out, "licetd_crypt_bytes_total", "counter", "bytes encrypted or decrypted by crypt");
  Line(out, "licetd_crypt_bytes_total %llu\n", Load(crypt_bytes_));
  Help(out, "licetd_protocol_errors_total", "counter", "malformed frames and requests");
  Line(out, "licetd_protocol_errors_total %llu\n", Load(protocol_errors_));

  Help(out, "licetd_request_duration_seconds", "histogram",
       "time from a decoded request to its response, by op");
  for (size_t op = 0; op < kOpCount; ++op) {
    const Histogram& h = latency_[op];
    const unsigned long long count = Load(h.count);
    if (count == 0) continue;
    unsigned long long cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += Load(h.buckets[b]);
      if (b < kBuckets.size()) {
        Line(out, "licetd_request_duration_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n",
             kOpNames[op], kBuckets[b], cumulative);
      } else {
        Line(out, "licetd_request_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n",
             kOpNames[op], cumulative);
      }
    }
    Line(out, "licetd_request_duration_seconds_sum{op=\"%s\"} %.9f\n", kOpNames[op],
         static_cast<double>(Load(h.sum_ns)) / 1e9);
    Line(out, "licetd_request_duration_seconds_count{op=\"%s\"} %llu\n", kOpNames[op], count);
  }
  return out;
}

}  // namespace licet::daemon
