#include "daemon/lease_manager.h"

#include <gtest/gtest.h>

namespace licet::daemon {
namespace {

using model::AccessMode;

const ItemKey kItem{"130-1", 6000010, 201010};

class LeaseManagerTest : public ::testing::Test {
 protected:
  LeaseRequest Request(ConnectionId conn, AccessMode mode, uint32_t quantity = 2,
                       uid_t uid = 1000) {
    LeaseRequest r;
    r.connection = conn;
    r.pid = static_cast<pid_t>(100 + conn);
    r.uid = uid;
    r.item = kItem;
    r.mode = mode;
    r.license_quantity = quantity;
    r.linger_time = linger_;
    return r;
  }
  ErrorCode Code(const Result<HandleId>& r) { return r.ok() ? ErrorCode::kOk : r.status().code(); }

  FakeClock clock_{1800000000};
  LeaseManager leases_{&clock_};
  int64_t linger_ = 0;
};

TEST_F(LeaseManagerTest, UserLimitTakesOneSeatPerHandle) {
  auto a = leases_.Acquire(Request(1, AccessMode::kUserLimit));
  auto b = leases_.Acquire(Request(1, AccessMode::kUserLimit));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(Code(leases_.Acquire(Request(2, AccessMode::kUserLimit))), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(leases_.Usage(kItem).seats, 2u);
  ASSERT_TRUE(leases_.Release(*a, 1).ok());
  EXPECT_TRUE(leases_.Acquire(Request(2, AccessMode::kUserLimit)).ok());
}

TEST_F(LeaseManagerTest, StationShareTakesOneSeatForAllHandles) {
  for (ConnectionId c = 1; c <= 5; ++c) {
    ASSERT_TRUE(leases_.Acquire(Request(c, AccessMode::kStationShare, 1)).ok()) << c;
  }
  SeatUsage u = leases_.Usage(kItem);
  EXPECT_EQ(u.handles, 5u);
  EXPECT_EQ(u.seats, 1u);
  // The one seat is the station's: a user-limit access finds none left.
  EXPECT_EQ(Code(leases_.Acquire(Request(9, AccessMode::kUserLimit, 1))),
            ErrorCode::kNoMoreLicenses);
  for (ConnectionId c = 1; c <= 5; ++c) leases_.ReleaseConnection(c);
  EXPECT_EQ(leases_.Usage(kItem).seats, 0u);
  EXPECT_TRUE(leases_.Acquire(Request(9, AccessMode::kUserLimit, 1)).ok());
}

TEST_F(LeaseManagerTest, ExclusiveRefusesAndIsRefusedByOthers) {
  auto ex = leases_.Acquire(Request(1, AccessMode::kExclusive, 5));
  ASSERT_TRUE(ex.ok());
  for (AccessMode m : {AccessMode::kUserLimit, AccessMode::kStationShare, AccessMode::kExclusive,
                       AccessMode::kNoUserLimit}) {
    auto r = leases_.Acquire(Request(2, m, 5));
    EXPECT_EQ(Code(r), ErrorCode::kExclusiveConflict) << static_cast<int>(m);
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("process 101"), std::string::npos);
    }
  }
  // The same connection cannot add a second handle either: exclusive means this handle only.
  EXPECT_EQ(Code(leases_.Acquire(Request(1, AccessMode::kUserLimit, 5))),
            ErrorCode::kExclusiveConflict);
  ASSERT_TRUE(leases_.Release(*ex, 1).ok());
  ASSERT_TRUE(leases_.Acquire(Request(2, AccessMode::kNoUserLimit, 5)).ok());
  EXPECT_EQ(Code(leases_.Acquire(Request(3, AccessMode::kExclusive, 5))),
            ErrorCode::kExclusiveConflict);
}

TEST_F(LeaseManagerTest, NoUserLimitTakesNoSeat) {
  ASSERT_TRUE(leases_.Acquire(Request(1, AccessMode::kUserLimit, 1)).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(leases_.Acquire(Request(2, AccessMode::kNoUserLimit, 1)).ok());
  }
  SeatUsage u = leases_.Usage(kItem);
  EXPECT_EQ(u.seats, 1u);
  EXPECT_EQ(u.handles, 11u);
}

TEST_F(LeaseManagerTest, HandlesBelongToTheirConnection) {
  auto a = leases_.Acquire(Request(1, AccessMode::kUserLimit));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(leases_.Find(*a, 2), nullptr);
  EXPECT_EQ(leases_.Release(*a, 2).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(leases_.Release(12345, 1).code(), ErrorCode::kInvalidArgument);
  ASSERT_NE(leases_.Find(*a, 1), nullptr);
  EXPECT_EQ(leases_.Find(*a, 1)->pid, 101);
  ASSERT_TRUE(leases_.Release(*a, 1).ok());
  EXPECT_EQ(leases_.Release(*a, 1).code(), ErrorCode::kInvalidArgument);  // not twice
}

TEST_F(LeaseManagerTest, ClosingAConnectionFreesAllItsLeases) {
  ASSERT_TRUE(leases_.Acquire(Request(1, AccessMode::kUserLimit)).ok());
  ASSERT_TRUE(leases_.Acquire(Request(1, AccessMode::kUserLimit)).ok());
  EXPECT_EQ(Code(leases_.Acquire(Request(2, AccessMode::kUserLimit))), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(leases_.ReleaseConnection(1), 2u);
  EXPECT_EQ(leases_.size(), 0u);
  EXPECT_EQ(leases_.ReleaseConnection(1), 0u);
  EXPECT_TRUE(leases_.Acquire(Request(2, AccessMode::kUserLimit)).ok());
}

TEST_F(LeaseManagerTest, LingeringSeatStaysTakenUntilItsTimeIsUp) {
  linger_ = 60;
  auto a = leases_.Acquire(Request(1, AccessMode::kUserLimit, 1, /*uid=*/1000));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(leases_.Release(*a, 1).ok());
  SeatUsage u = leases_.Usage(kItem);
  EXPECT_EQ(u.seats, 1u);
  EXPECT_EQ(u.lingering, 1u);
  EXPECT_EQ(u.handles, 0u);
  // Another user waits for the linger time...
  auto other = leases_.Acquire(Request(2, AccessMode::kUserLimit, 1, /*uid=*/2000));
  EXPECT_EQ(Code(other), ErrorCode::kNoMoreLicenses);
  EXPECT_NE(other.status().message().find("lingering"), std::string::npos);
  // ...until the linger time is up, to the second.
  clock_.Advance(59);
  EXPECT_EQ(Code(leases_.Acquire(Request(2, AccessMode::kUserLimit, 1, 2000))),
            ErrorCode::kNoMoreLicenses);
  clock_.Advance(1);
  EXPECT_TRUE(leases_.Acquire(Request(2, AccessMode::kUserLimit, 1, 2000)).ok());
}

TEST_F(LeaseManagerTest, SameUserTakesItsLingeringSeatBack) {
  linger_ = 60;
  auto a = leases_.Acquire(Request(1, AccessMode::kUserLimit, 1, 1000));
  ASSERT_TRUE(leases_.Release(*a, 1).ok());
  clock_.Advance(10);
  auto again = leases_.Acquire(Request(3, AccessMode::kUserLimit, 1, 1000));
  ASSERT_TRUE(again.ok());
  SeatUsage u = leases_.Usage(kItem);
  EXPECT_EQ(u.seats, 1u);
  EXPECT_EQ(u.lingering, 0u);
  // A process killed -9 lingers the same way (its connection closes).
  leases_.ReleaseConnection(3);
  EXPECT_EQ(leases_.Usage(kItem).lingering, 1u);
}

TEST_F(LeaseManagerTest, StationShareLingersOnceTheLastHandleIsGone) {
  linger_ = 30;
  ASSERT_TRUE(leases_.Acquire(Request(1, AccessMode::kStationShare, 1)).ok());
  ASSERT_TRUE(leases_.Acquire(Request(2, AccessMode::kStationShare, 1)).ok());
  leases_.ReleaseConnection(1);
  EXPECT_EQ(leases_.Usage(kItem).lingering, 0u);  // still held by connection 2
  leases_.ReleaseConnection(2);
  EXPECT_EQ(leases_.Usage(kItem).lingering, 1u);
  EXPECT_EQ(Code(leases_.Acquire(Request(3, AccessMode::kUserLimit, 1, 4242))),
            ErrorCode::kNoMoreLicenses);
  EXPECT_TRUE(leases_.Acquire(Request(3, AccessMode::kStationShare, 1, 4242)).ok());
  EXPECT_EQ(leases_.Usage(kItem).seats, 1u);
}

TEST_F(LeaseManagerTest, CancelDoesNotLinger) {
  linger_ = 60;
  auto a = leases_.Acquire(Request(1, AccessMode::kUserLimit, 1));
  leases_.Cancel(*a);
  EXPECT_EQ(leases_.Usage(kItem).seats, 0u);
  EXPECT_EQ(leases_.size(), 0u);
}

TEST_F(LeaseManagerTest, ItemsAreCountedSeparately) {
  LeaseRequest r = Request(1, AccessMode::kUserLimit, 1);
  ASSERT_TRUE(leases_.Acquire(r).ok());
  r.item.product_code = 201011;
  ASSERT_TRUE(leases_.Acquire(r).ok());
  r.item.serial = "130-2";
  ASSERT_TRUE(leases_.Acquire(r).ok());
  auto counts = leases_.CountByItem();
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ(leases_.All().size(), 3u);
  EXPECT_LT(leases_.All()[0]->handle, leases_.All()[1]->handle);
}

}  // namespace
}  // namespace licet::daemon
