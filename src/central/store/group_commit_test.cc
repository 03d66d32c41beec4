// Group commit over a real SQLite file: batching happens, a failing member rolls back alone,
// and what each caller is told matches what is in the database.
#include "central/store/group_commit.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "central/store/migrate.h"
#include "central/store/sqlite_store_fixture.h"
#include "central/store/store.h"

namespace licet::central::store {
namespace {

using namespace std::chrono_literals;

class GroupCommitTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NE(store_->group_committer(), nullptr) << "SQLite should get group commit";
  }

  std::optional<std::string> Read(const std::string& name) {
    auto v = store_->TransactResult<std::optional<std::string>>(
        TxMode::kRead, [&](Tx& tx) { return tx.GetSetting(name); });
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }

  // A write that holds its batch for `hold` (so that others queue behind it and land in the
  // next batch together) and, first, until `others` callers announced themselves in
  // `arrived`, plus a margin for them to reach the queue.
  Status PutSlow(const std::string& name, std::chrono::milliseconds hold,
                 const std::atomic<int>* arrived = nullptr, int others = 0) {
    return store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.PutSettingIfAbsent(name, "v").status());
      while (arrived != nullptr && arrived->load() < others) {
        std::this_thread::sleep_for(1ms);
      }
      std::this_thread::sleep_for(hold);
      return Status::Ok();
    });
  }

};

TEST_F(GroupCommitTest, ConcurrentWritesShareTransactions) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> arrived{0};
  threads.emplace_back([&] { ok += PutSlow("lead", 50ms, &arrived, kThreads - 1).ok(); });
  std::this_thread::sleep_for(20ms);
  for (int i = 1; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++arrived;
      ok += PutSlow("k" + std::to_string(i), 0ms).ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  for (int i = 1; i < kThreads; ++i) EXPECT_TRUE(Read("k" + std::to_string(i)).has_value());
  const GroupCommitter* gc = store_->group_committer();
  EXPECT_EQ(gc->members(), kThreads);
  EXPECT_LT(gc->batches(), kThreads) << "writers that waited for a commit were not batched";
}

TEST_F(GroupCommitTest, FailingMemberRollsBackAlone) {
  std::atomic<int> arrived{0};
  std::thread lead([&] { EXPECT_TRUE(PutSlow("lead", 50ms, &arrived, 5).ok()); });
  std::this_thread::sleep_for(30ms);
  // These queue behind the leader's member and run in one batch: a failure after a write,
  // a member that throws, a duplicate key, and good ones around them.
  Status good1, failing, throwing, duplicate, good2;
  std::vector<std::thread> ts;
  ts.emplace_back([&] {
    ++arrived;
    good1 = PutSlow("good1", 0ms);
  });
  ts.emplace_back([&] {
    ++arrived;
    failing = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.PutSettingIfAbsent("failing", "v").status());
      return Error(ErrorCode::kNoMoreLicenses, "refused after writing");
    });
  });
  ts.emplace_back([&] {
    ++arrived;
    throwing = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.PutSettingIfAbsent("throwing", "v").status());
      throw std::runtime_error("boom");
    });
  });
  ts.emplace_back([&] {
    ++arrived;
    duplicate = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.PutSettingIfAbsent("dup-side", "v").status());
      LICET_RETURN_IF_ERROR(tx.InsertFirm({6000010, "A", Bytes(32, 1), Bytes{9}, 1}));
      return tx.InsertFirm({6000010, "A again", Bytes(32, 1), Bytes{9}, 1});
    });
  });
  ts.emplace_back([&] {
    ++arrived;
    good2 = PutSlow("good2", 0ms);
  });
  for (auto& t : ts) t.join();
  lead.join();

  EXPECT_TRUE(good1.ok()) << good1.ToString();
  EXPECT_TRUE(good2.ok()) << good2.ToString();
  EXPECT_EQ(failing.code(), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(throwing.code(), ErrorCode::kInternal);
  EXPECT_EQ(duplicate.code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(Read("lead").has_value());
  EXPECT_TRUE(Read("good1").has_value());
  EXPECT_TRUE(Read("good2").has_value());
  EXPECT_FALSE(Read("failing").has_value()) << "a failed member's write was committed";
  EXPECT_FALSE(Read("throwing").has_value());
  EXPECT_FALSE(Read("dup-side").has_value());
  auto firm = store_->TransactResult<std::optional<FirmRecord>>(
      TxMode::kRead, [](Tx& tx) { return tx.GetFirm(6000010); });
  ASSERT_TRUE(firm.ok());
  EXPECT_FALSE(firm->has_value()) << "the failed member's first insert survived";
  // The leader alone, then the five that queued behind it: at least some of them shared a
  // transaction (all five, unless a thread was descheduled for the whole margin).
  EXPECT_LT(store_->group_committer()->batches(), 6);
}

TEST_F(GroupCommitTest, BusyMemberIsRetried) {
  int calls = 0;
  Status st = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(tx.PutSettingIfAbsent("retried", std::to_string(++calls)).status());
    if (calls < 3) return Error(ErrorCode::kBusy, "lost a race");
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Read("retried"), "3") << "a rolled-back attempt left its write behind";
}

TEST_F(GroupCommitTest, ReadsDoNotQueue) {
  // A read transaction runs on its own pooled connection while a batch holds the writer.
  std::atomic<bool> in_batch{false};
  std::thread writer([&] {
    EXPECT_TRUE(store_
                    ->Transact(TxMode::kWrite,
                               [&](Tx& tx) -> Status {
                                 in_batch = true;
                                 std::this_thread::sleep_for(200ms);
                                 return tx.PutSettingIfAbsent("w", "v").status();
                               })
                    .ok());
  });
  while (!in_batch) std::this_thread::sleep_for(1ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Read("w").has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
  writer.join();
  EXPECT_TRUE(Read("w").has_value());
}

TEST(GroupCommitModeTest, EachModeHasNoCommitter) {
  char tmpl[] = "/tmp/licet-central-gc-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto url = ParseDatabaseUrl("sqlite://" + dir + "/central.db");
  ASSERT_TRUE(url.ok());
  auto db = OpenAndMigrate(*url, 2, 1000);
  ASSERT_TRUE(db.ok());
  {
    Store each(**db, WriteMode::kEach);
    EXPECT_EQ(each.group_committer(), nullptr);
    EXPECT_TRUE(each.Transact(TxMode::kWrite,
                              [](Tx& tx) { return tx.PutSettingIfAbsent("x", "y").status(); })
                    .ok());
  }
  db->reset();
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace licet::central::store
