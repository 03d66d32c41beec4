#include "central/api/rate_limit.h"

#include <chrono>
#include <cmath>

namespace licet::central::api {

RateLimiter::RateLimiter(uint32_t per_minute, uint32_t burst, std::function<int64_t()> now_ms)
    : per_minute_(per_minute), burst_(burst == 0 ? 1 : burst), now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

void RateLimiter::Sweep(int64_t now) {
  const double per_ms = per_minute_ / 60000.0;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double refilled = it->second.tokens + static_cast<double>(now - it->second.last_ms) * per_ms;
    if (refilled >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  last_sweep_ = now;
}

bool RateLimiter::Allow(const std::string& client, int64_t* retry_after_s) {
  if (per_minute_ == 0) return true;
  const int64_t now = now_ms_();
  const double per_ms = per_minute_ / 60000.0;
  std::lock_guard g(mu_);
  if (buckets_.size() > 10000 && now - last_sweep_ > 1000) Sweep(now);
  auto [it, inserted] = buckets_.try_emplace(client, Bucket{static_cast<double>(burst_), now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min<double>(burst_, b.tokens + static_cast<double>(now - b.last_ms) * per_ms);
    b.last_ms = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_s != nullptr) {
    *retry_after_s = static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_ms / 1000.0));
  }
  return false;
}

}  // namespace licet::central::api
