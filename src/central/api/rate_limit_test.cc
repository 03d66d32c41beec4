#include "central/api/rate_limit.h"

#include <gtest/gtest.h>

namespace licet::central::api {
namespace {

TEST(RateLimiterTest, BurstThenRefill) {
  int64_t now = 1000000;
  RateLimiter limiter(60, 3, [&] { return now; });  // one token per second
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  int64_t retry = 0;
  EXPECT_FALSE(limiter.Allow("a", &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.Allow("b")) << "buckets are per client";
  now += 1000;
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  now += 60000;  // refills up to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
}

TEST(RateLimiterTest, ZeroRateDisables) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Allow("a"));
}

TEST(RateLimiterTest, MemoryStaysBounded) {
  int64_t now = 0;
  RateLimiter limiter(60000, 1, [&] { return now; });
  for (int i = 0; i < 30000; ++i) {
    now += 2;
    limiter.Allow("client-" + std::to_string(i));
  }
  // Nothing to assert on the size directly; the sweep must not break refusals.
  EXPECT_FALSE(limiter.Allow("client-29999"));
}

}  // namespace
}  // namespace licet::central::api
