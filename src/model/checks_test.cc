#include "model/checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace licet::model {
namespace {

using ::testing::HasSubstr;

constexpr UnixTime kJan2026 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr UnixTime kJun2026 = 1780272000;  // 2026-06-01T00:00:00Z
constexpr UnixTime kNov2027 = 1827360000;  // 2027-11-28T00:00:00Z
constexpr int64_t kDay = 86400;

ContainerState StateSeenAt(UnixTime t) {
  ContainerState state;
  state.highest_time_seen = t;
  return state;
}

TEST(CheckClockTest, ToleratesSmallDriftRefusesSetBack) {
  FakeClock clock(kJun2026);
  ContainerState state = StateSeenAt(kJun2026);
  EXPECT_TRUE(CheckClock(state, clock.Now()).ok());
  clock.Advance(-kClockTolerance);
  EXPECT_TRUE(CheckClock(state, clock.Now()).ok());
  clock.Advance(-1);
  Status st = CheckClock(state, clock.Now());
  EXPECT_EQ(st.code(), ErrorCode::kClockSetBack);
  EXPECT_THAT(st.message(), HasSubstr("system clock is behind the newest time"));
  EXPECT_THAT(st.message(), HasSubstr("2026-06-01T00:00:00Z"));
  EXPECT_THAT(st.message(), HasSubstr("refresh certified time"));
}

TEST(CheckClockTest, ObserveTimeOnlyRaises) {
  ContainerState state = StateSeenAt(kJun2026);
  ObserveTime(state, kJan2026);
  EXPECT_EQ(state.highest_time_seen, kJun2026);
  ObserveTime(state, kNov2027);
  EXPECT_EQ(state.highest_time_seen, kNov2027);
}

TEST(CheckClockTest, FreshCertifiedTimeRepairsAClockThatRanAhead) {
  // The system clock once ran to 2027 and was corrected; only time-limited items suffer,
  // until a fresh certified time arrives.
  ContainerState state = StateSeenAt(kNov2027);
  state.certified_time = kJan2026;
  EXPECT_EQ(CheckClock(state, kJun2026).code(), ErrorCode::kClockSetBack);
  RefreshCertifiedTime(state, kJun2026);
  EXPECT_EQ(state.certified_time, kJun2026);
  EXPECT_EQ(state.highest_time_seen, kJun2026);
  EXPECT_TRUE(CheckClock(state, kJun2026).ok());
  RefreshCertifiedTime(state, kJan2026);  // older than what we have: ignored
  EXPECT_EQ(state.certified_time, kJun2026);
}

TEST(CheckTimeLimitsTest, ClockSetBackRefusesOnlyTimeLimitedItems) {
  ContainerState state = StateSeenAt(kJun2026);
  const UnixTime set_back = kJun2026 - 30 * kDay;
  ProductItem unlimited{.product_code = 201010};
  EXPECT_TRUE(CheckTimeLimits(unlimited, state, set_back).ok());

  ProductItem expiring{.product_code = 201010, .expiration = kNov2027};
  Status st = CheckTimeLimits(expiring, state, set_back);
  EXPECT_EQ(st.code(), ErrorCode::kClockSetBack);
  EXPECT_THAT(st.message(), HasSubstr("product 201010"));

  for (ProductItem item :
       {ProductItem{.product_code = 1, .activation_time = kJan2026},
        ProductItem{.product_code = 1, .usage_period = kDay},
        ProductItem{.product_code = 1, .checkpoint_days = 30, .last_checkpoint = kJun2026}}) {
    EXPECT_EQ(CheckTimeLimits(item, state, set_back).code(), ErrorCode::kClockSetBack);
  }
}

TEST(CheckTimeLimitsTest, ActivationAndExpiration) {
  ContainerState state;
  ProductItem item{.product_code = 201010, .expiration = kNov2027, .activation_time = kJan2026};
  Status early = CheckTimeLimits(item, state, kJan2026 - 1);
  EXPECT_EQ(early.code(), ErrorCode::kNotYetActive);
  EXPECT_EQ(early.message(), "product 201010 is not active before 2026-01-01T00:00:00Z");
  EXPECT_TRUE(CheckTimeLimits(item, state, kJan2026).ok());
  EXPECT_TRUE(CheckTimeLimits(item, state, kNov2027 - 1).ok());
  Status late = CheckTimeLimits(item, state, kNov2027);
  EXPECT_EQ(late.code(), ErrorCode::kExpired);
  EXPECT_EQ(late.message(), "product 201010 expired on 2027-11-28T00:00:00Z");
}

TEST(CheckTimeLimitsTest, UsagePeriodCountsFromFirstUse) {
  ContainerState state;
  ProductItem item{.product_code = 201010, .usage_period = 30 * kDay};
  FakeClock clock(kJan2026);
  EXPECT_TRUE(CheckTimeLimits(item, state, clock.Now()).ok());  // not started yet
  ASSERT_TRUE(MarkFirstUse(item, clock.Now()));
  clock.Advance(30 * kDay - 1);
  EXPECT_TRUE(CheckTimeLimits(item, state, clock.Now()).ok());
  clock.Advance(1);
  Status st = CheckTimeLimits(item, state, clock.Now());
  EXPECT_EQ(st.code(), ErrorCode::kUsagePeriodOver);
  EXPECT_THAT(st.message(), HasSubstr("product 201010"));
  EXPECT_THAT(st.message(), HasSubstr("2026-01-31T00:00:00Z"));
}

TEST(CheckTimeLimitsTest, CheckpointMustBeRenewed) {
  ContainerState state;
  ProductItem item{.product_code = 201010, .checkpoint_days = 30};
  EXPECT_EQ(CheckTimeLimits(item, state, kJan2026).code(), ErrorCode::kCheckpointOverdue);
  item.last_checkpoint = kJan2026;
  EXPECT_TRUE(CheckTimeLimits(item, state, kJan2026 + 30 * kDay - 1).ok());
  Status st = CheckTimeLimits(item, state, kJan2026 + 30 * kDay);
  EXPECT_EQ(st.code(), ErrorCode::kCheckpointOverdue);
  EXPECT_THAT(st.message(), HasSubstr("2026-01-31T00:00:00Z"));
}

TEST(CheckTimeLimitsTest, ModulesInheritTheParentsLimits) {
  FirmItem firm{.firm_code = 6000010};
  ProductItem parent{.product_code = 201010, .expiration = kNov2027};
  parent.modules = {{.product_code = 201011, .feature_map = 1}};
  firm.products = {parent};
  ContainerState state;
  EXPECT_TRUE(CheckModuleTimeLimits(firm, 201011, state, kJun2026).ok());
  Status st = CheckModuleTimeLimits(firm, 201011, state, kNov2027);
  EXPECT_EQ(st.code(), ErrorCode::kExpired);
  EXPECT_THAT(st.message(), HasSubstr("module 201011"));
  EXPECT_THAT(st.message(), HasSubstr("product 201010 expired"));
  EXPECT_EQ(CheckModuleTimeLimits(firm, 201010, state, kJun2026).code(),
            ErrorCode::kEntryNotFound);  // a product, not a module
  state.highest_time_seen = kNov2027;
  EXPECT_EQ(CheckModuleTimeLimits(firm, 201011, state, kJun2026).code(), ErrorCode::kClockSetBack);
}

TEST(CheckFeatureTest, AllBitsMustBeLicensed) {
  ProductItem item{.product_code = 201010, .feature_map = 0x5};
  EXPECT_TRUE(CheckFeature(item, 0).ok());
  EXPECT_TRUE(CheckFeature(item, 0x1).ok());
  EXPECT_TRUE(CheckFeature(item, 0x5).ok());
  Status st = CheckFeature(item, 0x3);
  EXPECT_EQ(st.code(), ErrorCode::kFeatureMissing);
  EXPECT_THAT(st.message(), HasSubstr("0x3"));
  ModuleItem module{.product_code = 201011, .feature_map = 0x2};
  EXPECT_TRUE(CheckFeature(module, 0x2).ok());
  EXPECT_EQ(CheckFeature(module, 0x1).code(), ErrorCode::kFeatureMissing);
}

TEST(CheckMaintenanceTest, ReleasesAfterTheEndAreRefused) {
  ProductItem item{.product_code = 201010, .maintenance_until = kJun2026};
  EXPECT_TRUE(CheckMaintenance(item, kJan2026).ok());
  EXPECT_TRUE(CheckMaintenance(item, kJun2026).ok());
  Status st = CheckMaintenance(item, kJun2026 + 1);
  EXPECT_EQ(st.code(), ErrorCode::kMaintenanceOver);
  EXPECT_THAT(st.message(), HasSubstr("maintenance ended on 2026-06-01T00:00:00Z"));
  EXPECT_TRUE(CheckMaintenance(ProductItem{.product_code = 1}, kNov2027).ok());
}

TEST(CheckUnitsTest, CountsAndDecrements) {
  ProductItem unlimited{.product_code = 201010};
  EXPECT_TRUE(CheckUnits(unlimited, 1000).ok());
  EXPECT_EQ(DecrementUnits(unlimited, 1).code(), ErrorCode::kInvalidArgument);

  ProductItem item{.product_code = 201010, .unit_counter = 5};
  EXPECT_TRUE(CheckUnits(item, 0).ok());
  EXPECT_TRUE(CheckUnits(item, 5).ok());
  Status st = CheckUnits(item, 6);
  EXPECT_EQ(st.code(), ErrorCode::kUnitCounterZero);
  EXPECT_THAT(st.message(), HasSubstr("5 units left, 6 needed"));
  ASSERT_TRUE(DecrementUnits(item, 5).ok());
  EXPECT_EQ(item.unit_counter, 0u);
  // An exhausted item refuses access even when nothing is to be taken.
  EXPECT_EQ(CheckUnits(item, 0).code(), ErrorCode::kUnitCounterZero);
  EXPECT_EQ(DecrementUnits(item, 1).code(), ErrorCode::kUnitCounterZero);
  EXPECT_EQ(item.unit_counter, 0u);

  ModuleItem module{.product_code = 201011, .unit_counter = 1};
  EXPECT_TRUE(CheckUnits(module, 1).ok());
  ASSERT_TRUE(DecrementUnits(module, 1).ok());
  EXPECT_EQ(CheckUnits(module, 1).code(), ErrorCode::kUnitCounterZero);
}

TEST(CheckHiddenAccessTest, NeedsTheRightCode) {
  ProductItem item{.product_code = 201010};
  EXPECT_TRUE(CheckHiddenAccess(item, AsBytes("anything")).ok());
  SetHiddenData(item, {1, 2, 3}, AsBytes("open sesame"));
  EXPECT_TRUE(CheckHiddenAccess(item, AsBytes("open sesame")).ok());
  EXPECT_EQ(CheckHiddenAccess(item, AsBytes("open sesame!")).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(CheckHiddenAccess(item, {}).code(), ErrorCode::kAccessDenied);
}

TEST(CheckAccessModeTest, OnlyAllowedModes) {
  ProductItem item{.product_code = 201010};
  EXPECT_TRUE(CheckAccessMode(item, AccessMode::kExclusive).ok());
  Status st = CheckAccessMode(item, AccessMode::kNoUserLimit);
  EXPECT_EQ(st.code(), ErrorCode::kWrongAccessMode);
  EXPECT_THAT(st.message(), HasSubstr("no-user-limit"));
}

}  // namespace
}  // namespace licet::model
