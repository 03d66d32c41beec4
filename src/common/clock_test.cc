#include "common/clock.h"

#include <gtest/gtest.h>

namespace licet {
namespace {

TEST(ClockTest, FormatsAndParsesRfc3339) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(*ParseTime("2027-01-31T12:00:00Z"), 1801396800);
  EXPECT_EQ(*ParseTime("2027-01-31T13:00:00+01:00"), 1801396800);
  EXPECT_EQ(*ParseTime("2027-01-31"), 1801353600);
  EXPECT_EQ(FormatTime(*ParseTime("2026-11-28T22:33:03Z")), "2026-11-28T22:33:03Z");
}

TEST(ClockTest, RefusesTimesWithoutZone) {
  EXPECT_FALSE(ParseTime("2027-01-31T12:00:00").ok());
  EXPECT_FALSE(ParseTime("tomorrow").ok());
  EXPECT_FALSE(ParseTime("2027-13-01").ok());
}

TEST(ClockTest, Durations) {
  EXPECT_EQ(*ParseDuration("30s"), 30);
  EXPECT_EQ(*ParseDuration("90"), 90);
  EXPECT_EQ(*ParseDuration("365d"), 365 * 86400);
  EXPECT_EQ(*ParseDuration("2w"), 14 * 86400);
  EXPECT_FALSE(ParseDuration("5y").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_EQ(FormatDuration(86400 * 3), "3d");
  EXPECT_EQ(FormatDuration(45), "45s");
}

TEST(ClockTest, FakeClockMoves) {
  FakeClock clock(100);
  clock.Advance(5);
  EXPECT_EQ(clock.Now(), 105);
}

}  // namespace
}  // namespace licet
