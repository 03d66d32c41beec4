// Token buckets per client address for the gateway API, which is authenticated by the
// ticket itself: without a limit, an attacker could try ticket codes (or flood contexts)
// as fast as the network allows. 120-bit codes make guessing hopeless anyway; the limit
// keeps the database and the audit log from being flooded while someone tries.
#ifndef LICET_CENTRAL_API_RATE_LIMIT_H_
#define LICET_CENTRAL_API_RATE_LIMIT_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace licet::central::api {

class RateLimiter {
 public:
  // `per_minute` tokens are added per minute up to `burst`; one request takes one token.
  // per_minute 0 disables the limit. `now_ms` is a monotonic clock in milliseconds
  // (injectable for tests).
  RateLimiter(uint32_t per_minute, uint32_t burst, std::function<int64_t()> now_ms = {});

  // True when `client` may make a request now (and takes its token). Thread-safe.
  // When false, *retry_after_s is how long until a token is there.
  bool Allow(const std::string& client, int64_t* retry_after_s = nullptr);

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  // Drops buckets that have refilled completely (they behave like new ones), so memory is
  // bounded by the clients active in the last burst/rate interval.
  void Sweep(int64_t now);

  uint32_t per_minute_;
  uint32_t burst_;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t last_sweep_ = 0;
};

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_RATE_LIMIT_H_
