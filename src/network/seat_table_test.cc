#include "network/seat_table.h"

#include <gtest/gtest.h>

#include "network/wire.h"

namespace licet::network {
namespace {

using model::AccessMode;

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kProduct = 13;

class SeatTableTest : public ::testing::Test {
 protected:
  ClientRef Client(uint8_t n, const std::string& machine = "",
                   const std::string& address = "10.0.0.1") {
    ClientInfo info;
    info.client_id = Bytes(kClientIdSize, n);
    info.host = "host" + std::to_string(n);
    info.machine = machine.empty() ? "machine" + std::to_string(n) : machine;
    info.address = address;
    return table_.Hello(info);
  }
  Result<SeatGrant> Take(ClientRef c, AccessMode mode, LeaseId reclaim = 0) {
    return table_.Acquire(c, kFirm, kProduct, spec_, mode, "user", reclaim);
  }

  FakeClock clock_{1'800'000'000};
  SeatTable table_{&clock_};
  ItemSpec spec_{"130-1", 3, 10};
};

TEST_F(SeatTableTest, UserLimitNeverExceedsQuantity) {
  std::vector<LeaseId> held;
  for (uint8_t i = 1; i <= 10; ++i) {
    auto g = Take(Client(i), AccessMode::kUserLimit);
    if (g.ok()) {
      held.push_back(g->lease);
    } else {
      EXPECT_EQ(g.status().code(), ErrorCode::kNoMoreLicenses);
      EXPECT_NE(g.status().message().find("all 3 seat(s)"), std::string::npos);
    }
  }
  EXPECT_EQ(held.size(), 3u);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 3u);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).peak, 3u);
  ASSERT_TRUE(table_.Release(Client(1), held[0]).ok());
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 2u);
  EXPECT_TRUE(Take(Client(9), AccessMode::kUserLimit).ok());
}

TEST_F(SeatTableTest, ReleaseOnlyByOwner) {
  auto g = Take(Client(1), AccessMode::kUserLimit);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(table_.Release(Client(2), g->lease).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(table_.Release(Client(1), g->lease + 1).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(table_.Release(Client(1), g->lease).ok());
  EXPECT_EQ(table_.Release(Client(1), g->lease).code(), ErrorCode::kInvalidArgument);
}

TEST_F(SeatTableTest, StationShareIsOneSeatPerMachineAndAddress) {
  ClientRef a = Client(1, "same-machine-id", "10.0.0.1");
  ClientRef b = Client(2, "same-machine-id", "10.0.0.2");  // a cloned machine-id elsewhere
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Take(a, AccessMode::kStationShare).ok());
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 1u);
  ASSERT_TRUE(Take(b, AccessMode::kStationShare).ok());
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 2u);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).leases, 6u);
}

TEST_F(SeatTableTest, ExclusiveRules) {
  ClientRef a = Client(1);
  ClientRef b = Client(2);
  auto x = Take(a, AccessMode::kExclusive);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(Take(b, AccessMode::kNoUserLimit).status().code(), ErrorCode::kExclusiveConflict);
  EXPECT_EQ(Take(b, AccessMode::kUserLimit).status().code(), ErrorCode::kExclusiveConflict);
  ASSERT_TRUE(table_.Release(a, x->lease).ok());
  ASSERT_TRUE(Take(b, AccessMode::kNoUserLimit).ok());
  EXPECT_EQ(Take(a, AccessMode::kExclusive).status().code(), ErrorCode::kExclusiveConflict);
}

TEST_F(SeatTableTest, NoUserLimitTakesNoSeat) {
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(Take(Client(i), AccessMode::kUserLimit).ok());
  EXPECT_TRUE(Take(Client(4), AccessMode::kNoUserLimit).ok());
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 3u);
}

TEST_F(SeatTableTest, SilentClientsLoseTheirSeatsAfterTheTimeout) {
  ClientRef a = Client(1);
  ClientRef b = Client(2);
  ASSERT_TRUE(Take(a, AccessMode::kUserLimit).ok());
  ASSERT_TRUE(Take(b, AccessMode::kUserLimit).ok());
  clock_.Advance(8);
  EXPECT_EQ(table_.Touch(b), 1u);  // b heartbeats, a is silent
  clock_.Advance(3);
  EXPECT_EQ(table_.Expire(), 1u);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 1u);
  EXPECT_EQ(table_.Touch(a), 0u);
}

TEST_F(SeatTableTest, ReconnectKeepsLeasesAndReclaimReturnsTheSame) {
  ClientRef a = Client(1);
  auto g = Take(a, AccessMode::kUserLimit);
  ASSERT_TRUE(g.ok());
  ClientRef again = Client(1, "", "10.0.0.9");  // same id from a new connection
  EXPECT_EQ(again, a);
  auto r = Take(again, AccessMode::kUserLimit, g->lease);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->reclaimed);
  EXPECT_EQ(r->lease, g->lease);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 1u);
  // Reclaiming someone else's lease is an ordinary access.
  auto other = Take(Client(2), AccessMode::kUserLimit, g->lease);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->reclaimed);
  EXPECT_NE(other->lease, g->lease);
}

TEST_F(SeatTableTest, LeasesNotReclaimedAfterAReconnectAreFreed) {
  ClientRef a = Client(1);
  auto kept = Take(a, AccessMode::kUserLimit);
  auto orphan = Take(a, AccessMode::kUserLimit);  // released while the client was cut off
  ASSERT_TRUE(kept.ok() && orphan.ok());
  clock_.Advance(3);
  Client(1);  // reconnects
  ASSERT_TRUE(Take(a, AccessMode::kUserLimit, kept->lease).ok());
  for (int i = 0; i < 12; ++i) {
    clock_.Advance(1);
    table_.Touch(a);  // heartbeats keep the client alive...
    table_.Expire();
  }
  // ...but only the reclaimed lease survives.
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 1u);
  EXPECT_TRUE(table_.Release(a, kept->lease).ok());
  EXPECT_FALSE(table_.Release(a, orphan->lease).ok());
}

TEST_F(SeatTableTest, RevokeAndDenials) {
  ClientRef a = Client(1);
  auto g = Take(a, AccessMode::kUserLimit);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(table_.Revoke(g->lease).ok());
  EXPECT_EQ(table_.Revoke(g->lease).code(), ErrorCode::kNotFound);
  table_.RecordDenial(a, kFirm, kProduct, "bob", Error(ErrorCode::kNoMoreLicenses, "full"));
  EXPECT_EQ(table_.denied_total(), 1u);
  auto rows = table_.DenialRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["code"], "no_more_licenses");
  EXPECT_EQ(rows[0]["user"], "bob");
}

TEST_F(SeatTableTest, HundredThousandLeasesFromFewClients) {
  spec_.license_quantity = 200000;
  std::vector<ClientRef> clients;
  for (uint8_t i = 1; i <= 10; ++i) clients.push_back(Client(i));
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(
        Take(clients[static_cast<size_t>(i) % clients.size()], AccessMode::kUserLimit).ok());
  }
  EXPECT_EQ(table_.lease_count(), 100000u);
  EXPECT_EQ(table_.Touch(clients[0]), 10000u);
  clock_.Advance(11);
  for (size_t i = 1; i < clients.size(); ++i) table_.Touch(clients[i]);
  EXPECT_EQ(table_.Expire(), 10000u);
  EXPECT_EQ(table_.Usage(kFirm, kProduct).seats, 90000u);
}

}  // namespace
}  // namespace licet::network

namespace licet::network {
namespace {

// Quantity 5, 2 seats reserved for "cad": outsiders get 3, members get their 2 reserved
// seats plus whatever unreserved seat is free.
class ReservationTest : public ::testing::Test {
 protected:
  ClientRef Client(uint8_t n) {
    ClientInfo info;
    info.client_id = Bytes(kClientIdSize, n);
    info.host = "host" + std::to_string(n);
    info.machine = "machine" + std::to_string(n);
    info.address = "10.0.0." + std::to_string(n);
    return table_.Hello(info);
  }
  Result<SeatGrant> Take(ClientRef c, bool member, model::AccessMode mode =
                                                       model::AccessMode::kUserLimit) {
    ItemSpec spec{"130-1", 5, 10};
    spec.reservations = {SeatReservation{"cad", 2, member}};
    return table_.Acquire(c, 6000010, 13, spec, mode, "u", 0);
  }

  FakeClock clock_{1'800'000'000};
  SeatTable table_{&clock_};
};

TEST_F(ReservationTest, OutsidersCannotTakeReservedSeats) {
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(Take(Client(i), false).ok()) << int(i);
  auto refused = Take(Client(4), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNoMoreLicenses);
  EXPECT_NE(refused.status().message().find("reserved for group(s) cad"), std::string::npos);
  // An outsider's station-share seat also comes from the unreserved ones only.
  EXPECT_FALSE(Take(Client(5), false, model::AccessMode::kStationShare).ok());
  // The group still gets its two seats; then the item is full for everyone.
  auto a = Take(Client(6), true);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Take(Client(7), true).ok());
  EXPECT_EQ(Take(Client(8), true).status().code(), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(table_.Usage(6000010, 13).seats, 5u);
  // A released reserved seat goes back to the group, not to outsiders.
  ASSERT_TRUE(table_.Release(Client(6), a->lease).ok());
  EXPECT_FALSE(Take(Client(4), false).ok());
  EXPECT_TRUE(Take(Client(9), true).ok());
}

TEST_F(ReservationTest, MembersAlsoUseUnreservedSeats) {
  for (uint8_t i = 1; i <= 5; ++i) ASSERT_TRUE(Take(Client(i), true).ok()) << int(i);
  EXPECT_FALSE(Take(Client(6), true).ok());
  EXPECT_FALSE(Take(Client(7), false).ok());
  EXPECT_EQ(table_.Usage(6000010, 13).seats, 5u);
}

TEST_F(ReservationTest, StationShareMembersUseTheGroupsReservedSeats) {
  using model::AccessMode;
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(Take(Client(i), false).ok()) << int(i);
  // The unreserved seats are gone; a member's station takes a reserved seat, and a second
  // handle from the same station shares that seat.
  const ClientRef station = Client(4);
  auto first = Take(station, true, AccessMode::kStationShare);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Take(station, true, AccessMode::kStationShare);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(table_.Usage(6000010, 13).seats, 4u);
  // One reserved seat left for the group, none for outsiders.
  EXPECT_FALSE(Take(Client(5), false).ok());
  // Releasing the lease that opened the station keeps the seat charged to the group: the
  // other lease still holds it.
  ASSERT_TRUE(table_.Release(station, first->lease).ok());
  EXPECT_EQ(table_.Usage(6000010, 13).seats, 4u);
  auto member = Take(Client(6), true);
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(Take(Client(7), true).status().code(), ErrorCode::kNoMoreLicenses);
  // The station's last lease gives the reserved seat back to the group, not to outsiders.
  ASSERT_TRUE(table_.Release(station, second->lease).ok());
  EXPECT_FALSE(Take(Client(8), false).ok());
  EXPECT_TRUE(Take(Client(9), true, AccessMode::kStationShare).ok());
  EXPECT_EQ(table_.Usage(6000010, 13).seats, 5u);
}

TEST_F(ReservationTest, ExpiryReturnsReservedSeats) {
  ASSERT_TRUE(Take(Client(1), true).ok());
  ASSERT_TRUE(Take(Client(2), true).ok());
  clock_.Advance(11);
  EXPECT_EQ(table_.Expire(), 2u);
  for (uint8_t i = 3; i <= 5; ++i) ASSERT_TRUE(Take(Client(i), false).ok());
  EXPECT_FALSE(Take(Client(6), false).ok());
  EXPECT_TRUE(Take(Client(7), true).ok());
}

}  // namespace
}  // namespace licet::network
