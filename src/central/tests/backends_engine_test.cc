// The activation engine on both backends: SQLite and a real PostgreSQL server (the ctest
// fixture `postgres`). Real containers in memory take every update through decryption,
// signature check and application. "Three instances" are three separate pools (and
// engines) on one database, as three licet-central processes would be.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "central/engine/activation.h"
#include "central/engine/catalog.h"
#include "central/store/open.h"
#include "central/tests/postgres_test_support.h"
#include "central/tests/test_support.h"

namespace licet::central::testing {
namespace {

using engine::IssuedUpdate;
using licet::engine::SoftContainer;

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kApp = 201010;
constexpr uint32_t kPlugin = 201020;
constexpr uint32_t kExtra = 201030;
constexpr UnixTime kNow = 1800000000;

// One "licet-central instance": its own pool, store, catalog and engine on the database.
struct Instance {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<engine::Catalog> catalog;
  std::unique_ptr<engine::LicenseEngine> engine;
};

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (pg_.skipped()) GTEST_SKIP() << "LICET_TEST_POSTGRES_URL_FILE is not set";
      url_ = pg_.url();
    } else {
      url_ = dir_.path() + "/central.db";
    }
    vault_ = std::make_unique<engine::Vault>(*engine::Vault::FromHex(std::string(64, '7')));
    first_ = NewInstance();
    ASSERT_NE(first_.engine, nullptr);
    ASSERT_TRUE(first_.catalog->CreateFirm(kFirm, "Sample Company", "test").ok());
    for (uint32_t code : {kApp, kPlugin, kExtra}) {
      engine::ProductTemplate t;
      t.item.product_code = code;
      t.item.feature_map = 0x3;
      ASSERT_TRUE(first_.catalog->CreateProduct(kFirm, "P" + std::to_string(code), t, "t").ok());
    }
  }

  Instance NewInstance() {
    Instance i;
    auto url = store::ParseDatabaseUrl(url_);
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    auto db = store::OpenAndMigrate(*url, 4, kNow);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return i;
    i.db = std::move(db).value();
    i.store = std::make_unique<store::Store>(*i.db);
    i.catalog = std::make_unique<engine::Catalog>(*i.store, *vault_, clock_);
    i.engine = std::make_unique<engine::LicenseEngine>(*i.store, *vault_, *i.catalog, clock_);
    return i;
  }

  std::string Ticket(std::vector<uint32_t> products, uint32_t activations = 1) {
    engine::OrderRequest r;
    r.request_id = "req-" + std::to_string(++orders_);
    r.firm_code = kFirm;
    engine::OrderItem item;
    item.products = std::move(products);
    item.rights.activations_allowed = activations;
    r.items.push_back(item);
    r.request_hash = Bytes{static_cast<uint8_t>(orders_)};
    auto order = first_.catalog->CreateOrder(r, "test");
    EXPECT_TRUE(order.ok()) << order.status().ToString();
    return order.ok() ? order->tickets.at(0).code : "";
  }

  Result<IssuedUpdate> Activate(const std::string& ticket, const SoftContainer& c) {
    return first_.engine->Activate(ticket, ContextOf(c, kFirm, kNow), "test");
  }

  uint32_t Used(const std::string& ticket) {
    auto s = first_.catalog->GetTicketStatus(ticket);
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->ticket.activations_used : 0;
  }

  TempDir dir_;
  ScratchDatabase pg_;
  std::string url_;
  FakeClock clock_{kNow};
  std::unique_ptr<engine::Vault> vault_;
  Instance first_;
  int orders_ = 0;
};

TEST_P(BackendTest, OrderTicketActivateImport) {
  SoftContainer c = NewContainer(1, kNow);
  std::string ticket = Ticket({kApp, kPlugin});
  auto issued = Activate(ticket, c);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(issued->new_activation);
  EXPECT_EQ(issued->fuc_from, 1u);
  EXPECT_EQ(issued->fuc_to, 3u);
  ASSERT_TRUE(Import(c, issued->file).ok());
  EXPECT_EQ(Products(c, kFirm), (std::set<uint32_t>{kApp, kPlugin}));
  // Again for the same container: nothing spent, an update the import skips.
  auto again = Activate(ticket, c);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->new_activation);
  EXPECT_TRUE(Import(c, again->file)->already_applied());
  // Another container: the ticket allowed one.
  SoftContainer other = NewContainer(2, kNow);
  EXPECT_EQ(Activate(ticket, other).status().code(), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(Used(ticket), 1u);
  // A receipt confirms.
  auto receipt =
      first_.engine->AcceptReceipt(ContextOf(c, kFirm, kNow, format::FileKind::kReceipt), "t");
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  ASSERT_EQ(receipt->firms.size(), 1u);
  EXPECT_EQ(receipt->firms[0].fuc, 3u);
  EXPECT_EQ(receipt->firms[0].licenses_confirmed, 0);  // the repeat's context confirmed them
}

TEST_P(BackendTest, OldOrReplayedContextsFollowTheMissedUpdateRule) {
  SoftContainer c = NewContainer(3, kNow);
  Bytes at_zero = ContextOf(c, kFirm, kNow);
  std::string t1 = Ticket({kApp});
  auto first = Activate(t1, c);  // FUC 1..2
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Import(c, first->file).ok());
  Bytes at_two = ContextOf(c, kFirm, kNow);
  auto missed = Activate(Ticket({kPlugin}), c);  // FUC 3, never imported
  ASSERT_TRUE(missed.ok());
  // The context at FUC 2 again: FUC 3 comes along with the new product at 4.
  auto combined = first_.engine->Activate(Ticket({kExtra}), at_two, "test");
  ASSERT_TRUE(combined.ok()) << combined.status().ToString();
  EXPECT_EQ(combined->fuc_from, 3u);
  EXPECT_EQ(combined->fuc_to, 4u);
  // The very first request replayed (same ticket, context at FUC 0): nothing is spent and
  // the answer carries everything from FUC 1.
  auto replay = first_.engine->Activate(t1, at_zero, "test");
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_FALSE(replay->new_activation);
  EXPECT_EQ(replay->fuc_from, 1u);
  EXPECT_EQ(replay->fuc_to, 4u);
  EXPECT_EQ(Used(t1), 1u);
  ASSERT_TRUE(Import(c, replay->file).ok());
  EXPECT_EQ(Products(c, kFirm), (std::set<uint32_t>{kApp, kPlugin, kExtra}));
  EXPECT_TRUE(Import(c, combined->file)->already_applied());
  EXPECT_TRUE(Import(c, missed->file)->already_applied());
}

TEST_P(BackendTest, AContradictingContextIsFlagged) {
  SoftContainer c = NewContainer(4, kNow);
  auto first = Activate(Ticket({kApp}), c);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Import(c, first->file).ok());
  model::ProductItem stolen;
  stolen.product_code = 999;
  c.state.FindFirm(kFirm)->products.push_back(stolen);
  std::string ticket = Ticket({kPlugin});
  EXPECT_EQ(Activate(ticket, c).status().code(), ErrorCode::kManipulationDetected);
  c.state.FindFirm(kFirm)->products.pop_back();
  EXPECT_EQ(Activate(ticket, c).status().code(), ErrorCode::kManipulationDetected);
  EXPECT_EQ(Used(ticket), 0u);
  auto state = first_.store->TransactResult<std::string>(
      store::TxMode::kRead, [&](store::Tx& tx) -> Result<std::string> {
        LICET_ASSIGN_OR_RETURN(auto rec, tx.GetContainer(c.serial));
        return rec ? rec->state : "";
      });
  EXPECT_EQ(*state, store::kContainerManipulated);
}

TEST_P(BackendTest, ThreeInstancesNeverOverspend) {
  Instance second = NewInstance();
  Instance third = NewInstance();
  ASSERT_NE(second.engine, nullptr);
  ASSERT_NE(third.engine, nullptr);
  engine::LicenseEngine* engines[] = {first_.engine.get(), second.engine.get(),
                                      third.engine.get()};
  constexpr int kRequests = 90;
  std::string ticket = Ticket({kApp}, 10);
  std::vector<SoftContainer> machines;
  std::vector<Bytes> contexts;
  for (int i = 0; i < kRequests; ++i) {
    machines.push_back(NewContainer(1000 + i, kNow));
    contexts.push_back(ContextOf(machines.back(), kFirm, kNow));
  }
  std::atomic<int> won{0}, exhausted{0};
  std::vector<Bytes> updates(kRequests);
  std::vector<std::string> other(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      auto r = engines[i % 3]->Activate(ticket, contexts[i], "test");
      if (r.ok()) {
        ++won;
        updates[i] = r->file;
      } else if (r.status().code() == ErrorCode::kNoMoreLicenses) {
        ++exhausted;
      } else {
        other[i] = r.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& o : other) EXPECT_EQ(o, "");
  EXPECT_EQ(won.load(), 10);
  EXPECT_EQ(exhausted.load(), kRequests - 10);
  EXPECT_EQ(Used(ticket), 10u);
  for (int i = 0; i < kRequests; ++i) {
    if (updates[i].empty()) continue;
    auto r = Import(machines[i], updates[i]);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
}

TEST_P(BackendTest, ConcurrentTicketsForOneContainerNeverShareAFuc) {
  // One container, 12 tickets activated at once over three instances: the FUC ranges must
  // be disjoint and contiguous, so that the updates import in FUC order.
  Instance second = NewInstance();
  Instance third = NewInstance();
  engine::LicenseEngine* engines[] = {first_.engine.get(), second.engine.get(),
                                      third.engine.get()};
  SoftContainer c = NewContainer(5, kNow);
  Bytes context = ContextOf(c, kFirm, kNow);
  constexpr int kTickets = 12;
  std::vector<std::string> tickets;
  for (int i = 0; i < kTickets; ++i) {
    engine::ProductTemplate t;
    t.item.product_code = 300000 + static_cast<uint32_t>(i);
    ASSERT_TRUE(first_.catalog->CreateProduct(kFirm, "X", t, "t").ok());
    tickets.push_back(Ticket({t.item.product_code}, 1));
  }
  std::vector<Result<IssuedUpdate>> results(kTickets, Error(ErrorCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kTickets; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = engines[i % 3]->Activate(tickets[i], context, "test"); });
  }
  for (auto& t : threads) t.join();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ranges.emplace_back(r->fuc_from, r->fuc_to);
  }
  // Every update carries everything from FUC 1 (the context is at 0), so the one with the
  // highest fuc_to brings the container fully up to date.
  const IssuedUpdate* last = nullptr;
  for (const auto& r : results) {
    if (last == nullptr || r->fuc_to > last->fuc_to) last = &*r;
  }
  EXPECT_EQ(last->fuc_to, static_cast<uint64_t>(kTickets) + 1);  // firm item + 12 products
  ASSERT_TRUE(Import(c, last->file).ok());
  EXPECT_EQ(Products(c, kFirm).size(), static_cast<size_t>(kTickets));
  for (const auto& r : results) EXPECT_TRUE(Import(c, r->file)->already_applied());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace licet::central::testing
