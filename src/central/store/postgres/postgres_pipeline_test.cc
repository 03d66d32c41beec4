// Pipelining in the PostgreSQL backend (PostgresOptions::pipeline): BEGIN travels with the
// first statement and ExecuteLater holds writes back until the next call, so a held-back
// write's failure surfaces later (remapped as asked) and fails the whole transaction,
// Rollback discards what was never sent, and nothing of a failed transaction is committed.
// Against a real server (the ctest fixture `postgres`).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "central/store/postgres/postgres_database.h"
#include "central/tests/postgres_test_support.h"

namespace licet::central::store {
namespace {

using testing::ScratchDatabase;

constexpr std::string_view kInsert = "INSERT INTO items (id, data) VALUES (?, ?)";

class PostgresPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (scratch_.skipped()) GTEST_SKIP() << "LICET_TEST_POSTGRES_URL_FILE is not set";
    db_ = Open(true);
    ASSERT_NE(db_, nullptr);
    auto c = db_->Acquire();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    Status st = (*c)->ExecuteScript(
        "CREATE TABLE IF NOT EXISTS items (id BIGINT PRIMARY KEY, data BYTEA)");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::unique_ptr<Database> Open(bool pipeline) {
    PostgresOptions o;
    o.url = scratch_.url();
    o.pool_size = 2;
    o.pipeline = pipeline;
    auto db = OpenPostgresDatabase(o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // Rows of `items`, read on a connection of its own.
  int64_t Count() {
    auto c = db_->Acquire();
    if (!c.ok()) return -1;
    auto rows = (*c)->Query("SELECT COUNT(*) FROM items", {});
    return rows.ok() && rows->size() == 1 ? (*rows)[0].Int(0) : -1;
  }

  static std::vector<SqlValue> Item(int64_t id, SqlValue data = Bytes{0, 1, 2}) {
    return {id, std::move(data)};
  }

  ScratchDatabase scratch_;
  std::unique_ptr<Database> db_;
};

TEST_F(PostgresPipelineTest, HeldBackWritesCommitWithTheCommit) {
  auto c = db_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  // More than the backend holds back at once (64): the first ones go out early.
  for (int64_t id = 1; id <= 100; ++id) {
    SqlValue data = id % 3 == 0 ? SqlValue(std::monostate{}) : SqlValue(Bytes(static_cast<size_t>(id), 0xab));
    ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(id, data), ErrorCode::kBusy).ok());
  }
  EXPECT_EQ(Count(), 0) << "nothing is visible before the COMMIT";
  Status st = (*c)->Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Count(), 100);
  auto rows = (*c)->Query("SELECT data FROM items WHERE id = ?", std::vector<SqlValue>{int64_t{7}});
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_EQ((*rows)[0].Blob(0), Bytes(7, 0xab));
  auto null_row =
      (*c)->Query("SELECT data FROM items WHERE id = ?", std::vector<SqlValue>{int64_t{9}});
  ASSERT_TRUE(null_row.ok() && null_row->size() == 1);
  EXPECT_TRUE((*null_row)[0].IsNull(0));
}

TEST_F(PostgresPipelineTest, AFailureSurfacesAtTheCommitRemappedAndCommitsNothing) {
  auto c = db_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).ok());
  // The duplicate is accepted now: it has not been sent.
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(2), ErrorCode::kBusy).ok());
  Status st = (*c)->Commit();
  EXPECT_EQ(st.code(), ErrorCode::kBusy) << st.ToString();
  (*c)->Rollback();
  EXPECT_EQ(Count(), 0) << "a failed pipeline commits none of its writes";
  // The connection is clean for the next transaction.
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(3), ErrorCode::kBusy).ok());
  st = (*c)->Commit();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Count(), 1);
}

TEST_F(PostgresPipelineTest, AFailureSurfacesAtTheNextStatement) {
  auto c = db_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kAlreadyExists).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kAlreadyExists).ok());
  auto r = (*c)->Query("SELECT COUNT(*) FROM items", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kAlreadyExists) << r.status().ToString();
  // Another kind of failure keeps its own code (NOT NULL: kInvalidArgument).
  (*c)->Rollback();
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)
                  ->ExecuteLater(kInsert, std::vector<SqlValue>{std::monostate{}, Bytes{1}},
                                 ErrorCode::kBusy)
                  .ok());
  auto n = (*c)->Execute("UPDATE items SET data = NULL", {});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), ErrorCode::kInvalidArgument) << n.status().ToString();
  (*c)->Rollback();
  EXPECT_EQ(Count(), 0);
}

TEST_F(PostgresPipelineTest, RollbackDiscardsWhatWasHeldBack) {
  auto c = db_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).ok());
  (*c)->Rollback();
  // A transaction that ran nothing commits nothing (its BEGIN was never sent).
  ASSERT_TRUE((*c)->Begin(TxMode::kRead).ok());
  EXPECT_TRUE((*c)->Commit().ok());
  EXPECT_EQ(Count(), 0);
  // A statement after a discarded pipeline runs outside any leftover transaction.
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  auto n = (*c)->Execute(kInsert, Item(5));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE((*c)->Commit().ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(PostgresPipelineTest, ScriptsSendWhatWasHeldBackFirst) {
  auto c = db_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).ok());
  ASSERT_TRUE((*c)->ExecuteScript("UPDATE items SET data = NULL WHERE id = 1").ok());
  ASSERT_TRUE((*c)->Commit().ok());
  auto rows = (*c)->Query("SELECT data FROM items WHERE id = 1", {});
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_TRUE((*rows)[0].IsNull(0)) << "the insert ran before the script's update";
}

TEST_F(PostgresPipelineTest, WithoutPipeliningAFailureIsReportedAtOnce) {
  auto db = Open(false);
  ASSERT_NE(db, nullptr);
  auto c = db->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).ok());
  EXPECT_EQ(Count(), 0);
  EXPECT_EQ((*c)->ExecuteLater(kInsert, Item(1), ErrorCode::kBusy).code(), ErrorCode::kBusy);
  (*c)->Rollback();
  EXPECT_EQ(Count(), 0);
}

}  // namespace
}  // namespace licet::central::store
