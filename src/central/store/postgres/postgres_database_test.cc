// The PostgreSQL backend against a real server (the ctest fixture `postgres`): value round
// trips, the SQLSTATE mapping the Store relies on, timeouts, reconnection after the server
// drops a session, concurrent migrations, and the two statements that decide races
// (SpendActivation, AdvanceIssuedFuc) across many connections.
#include "central/store/postgres/postgres_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "central/store/activation_writes_checks.h"
#include "central/store/migrate.h"
#include "central/store/open.h"
#include "central/store/store.h"
#include "central/tests/postgres_test_support.h"

namespace licet::central::store {
namespace {

using testing::ScratchDatabase;

TEST(PostgresMapping, SqlStates) {
  EXPECT_EQ(CodeForSqlState("23505"), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqlState("LC001"), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(CodeForSqlState("40001"), ErrorCode::kBusy);
  EXPECT_EQ(CodeForSqlState("40P01"), ErrorCode::kBusy);
  EXPECT_EQ(CodeForSqlState("55P03"), ErrorCode::kBusy);
  EXPECT_EQ(CodeForSqlState("08006"), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("08001"), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("08P01"), ErrorCode::kInternal);
  EXPECT_EQ(CodeForSqlState("57P01"), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57014"), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("53300"), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("23503"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("23502"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("23514"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("22021"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("42601"), ErrorCode::kInternal);
  EXPECT_EQ(CodeForSqlState("25P02"), ErrorCode::kInternal);
  EXPECT_EQ(CodeForSqlState(""), ErrorCode::kInternal);
  EXPECT_EQ(CodeForSqlState("235050"), ErrorCode::kInternal);
}

TEST(PostgresMapping, PasswordsAreRedacted) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://u:s3cret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(RedactPostgresUrl("postgresql://u@h/db?password=s3cret&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(RedactPostgresUrl("host=h password=s3cret dbname=x"), "host=h password=*** dbname=x");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h/db"), "postgresql://h/db");
  EXPECT_EQ(RedactPostgresUrl("postgresql://u@[::1]:5/db"), "postgresql://u@[::1]:5/db");
}

TEST(PostgresOpen, UnreachableServerIsUnavailable) {
  PostgresOptions o;
  o.url = "postgresql://nobody:pw@127.0.0.1:1/none";
  o.connect_timeout = std::chrono::seconds(2);
  auto db = OpenPostgresDatabase(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(db.status().message().find("pw"), std::string::npos) << db.status().message();
  o.pool_size = 0;
  EXPECT_EQ(OpenPostgresDatabase(o).status().code(), ErrorCode::kInvalidArgument);
  o.pool_size = 1;
  o.url = "";
  EXPECT_EQ(OpenPostgresDatabase(o).status().code(), ErrorCode::kInvalidArgument);
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (scratch_.skipped()) GTEST_SKIP() << "LICET_TEST_POSTGRES_URL_FILE is not set";
    auto url = ParseDatabaseUrl(scratch_.url());
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    auto db = OpenAndMigrate(*url, 4, 1000);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    store_ = std::make_unique<Store>(*db_);
  }

  Result<ConnectionLease> Conn() { return db_->Acquire(); }

  // A second, separate pool on the same database (another "instance").
  std::unique_ptr<Database> OpenPool(int size, std::chrono::milliseconds statement_timeout =
                                                   std::chrono::milliseconds(30000),
                                     bool pipeline = true) {
    PostgresOptions o;
    o.url = scratch_.url();
    o.pool_size = size;
    o.statement_timeout = statement_timeout;
    o.pipeline = pipeline;
    auto db = OpenPostgresDatabase(o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // Three "instances" on the one database, each with its own pool of 4 (instances_).
  void OpenThreeInstances() {
    for (int i = 0; i < 3; ++i) {
      pools_.push_back(OpenPool(4));
      ASSERT_NE(pools_.back(), nullptr);
      instances_.push_back(std::make_unique<Store>(*pools_.back()));
    }
  }

  void SeedTicket(const std::string& code, uint32_t allowed) {
    Status st = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.InsertFirm({6000010, "Sample", Bytes(32, 1), Bytes{9}, 1}));
      LICET_RETURN_IF_ERROR(tx.InsertOrder({"o1", 6000010, "req-1", Bytes{1}, "{}", 1}));
      TicketRecord t;
      t.code = code;
      t.order_id = "o1";
      t.firm_code = 6000010;
      t.rights.activations_allowed = allowed;
      t.products = {201010};
      return tx.InsertTicket(t);
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  ScratchDatabase scratch_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Store> store_;
  std::vector<std::unique_ptr<Database>> pools_;
  std::vector<std::unique_ptr<Store>> instances_;
};

TEST_F(PostgresTest, KindAndReadiness) {
  EXPECT_EQ(db_->Kind(), "postgresql");
  EXPECT_EQ(NotReadyReason(*db_), "");
  auto conn = Conn();
  ASSERT_TRUE(conn.ok());
  auto v = SchemaVersion(**conn);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, BuiltinMigrations().back().version);
  // Migrating again changes nothing; a newer schema is refused.
  EXPECT_TRUE(Migrate(**conn, BuiltinMigrations(), 2000).ok());
  ASSERT_TRUE((*conn)
                  ->Execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                            std::vector<SqlValue>{int64_t{999}, std::string("future"), int64_t{1}})
                  .ok());
  EXPECT_EQ(Migrate(**conn, BuiltinMigrations(), 1).code(), ErrorCode::kUnsupportedVersion);
}

TEST_F(PostgresTest, ValuesRoundTrip) {
  auto conn = Conn();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)
                  ->ExecuteScript("CREATE TABLE t (i BIGINT, s TEXT, b BYTEA, n BIGINT, "
                                  "flag BOOLEAN DEFAULT true, small INTEGER DEFAULT 7)")
                  .ok());
  Bytes binary{0, 1, 2, 0xff, 0, '\\', 'x'};
  const std::vector<std::tuple<int64_t, std::string, Bytes>> cases = {
      {INT64_MIN, "Grüße, 世界 'quoted' ? \"x\"", binary},
      {INT64_MAX, "", Bytes{}},
      {0, "\\x00", Bytes(70000, 0x5a)},
  };
  for (const auto& [i, s, b] : cases) {
    std::vector<SqlValue> p{i, s, b, std::monostate{}};
    auto n = (*conn)->Execute("INSERT INTO t (i, s, b, n) VALUES (?, ?, ?, ?)", p);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 1);
  }
  auto rows = (*conn)->Query(
      "SELECT i, s, b, n, flag, small, '?' AS literal FROM t WHERE i = ? OR i = ? OR i = ? "
      "ORDER BY i",
      std::vector<SqlValue>{INT64_MIN, INT64_MAX, int64_t{0}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const Row& r = (*rows)[k];
    const auto& [i, s, b] = cases[k == 0 ? 0 : (k == 1 ? 2 : 1)];
    EXPECT_EQ(r.Int(0), i);
    EXPECT_EQ(r.Text(1), s);
    EXPECT_EQ(r.Blob(2), b);
    EXPECT_TRUE(r.IsNull(3));
    EXPECT_FALSE(r.IsNull(2));  // an empty BYTEA is not NULL
    EXPECT_EQ(r.Int(4), 1);
    EXPECT_EQ(r.Int(5), 7);
    EXPECT_EQ(r.Text(6), "?");
  }
  auto updated = (*conn)->Execute("UPDATE t SET n = ? WHERE i <> ?",
                                  std::vector<SqlValue>{int64_t{5}, int64_t{0}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, 2);
  auto count = (*conn)->Query("SELECT COUNT(*), SUM(n) FROM t", {});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ((*count)[0].Int(0), 3);
  EXPECT_EQ((*count)[0].Int(1), 10);  // NUMERIC comes back as text and still reads
}

TEST_F(PostgresTest, ErrorsMapToStoreCodesAndLeaveTheConnectionUsable) {
  auto conn = Conn();
  ASSERT_TRUE(conn.ok());
  Connection& c = **conn;
  ASSERT_TRUE(c.ExecuteScript("CREATE TABLE p (id BIGINT PRIMARY KEY);"
                              "CREATE TABLE q (id BIGINT REFERENCES p (id), v TEXT NOT NULL)")
                  .ok());
  std::vector<SqlValue> one{int64_t{1}};
  ASSERT_TRUE(c.Execute("INSERT INTO p (id) VALUES (?)", one).ok());
  EXPECT_EQ(c.Execute("INSERT INTO p (id) VALUES (?)", one).status().code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(c.Execute("INSERT INTO q (id, v) VALUES (?, ?)",
                      std::vector<SqlValue>{int64_t{2}, std::string("x")})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Execute("INSERT INTO q (id, v) VALUES (?, ?)",
                      std::vector<SqlValue>{int64_t{1}, std::monostate{}})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Execute("INSERT INTO q (id, v) VALUES (?, ?)",
                      std::vector<SqlValue>{int64_t{1}, std::string("a\0b", 3)})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Execute("INSERT INTO q (id, v) VALUES (?, ?)",
                      std::vector<SqlValue>{int64_t{1}, std::string("\xff\xfe")})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Query("SELEKT 1", {}).status().code(), ErrorCode::kInternal);
  EXPECT_EQ(c.Query("SELECT ?", {}).status().code(), ErrorCode::kInternal);  // missing param

  // Inside a transaction: a failed statement aborts it; COMMIT then refuses, and the
  // connection works again after the rollback.
  ASSERT_TRUE(c.Begin(TxMode::kWrite).ok());
  ASSERT_TRUE(c.Execute("INSERT INTO p (id) VALUES (?)", std::vector<SqlValue>{int64_t{3}}).ok());
  EXPECT_FALSE(c.Execute("INSERT INTO p (id) VALUES (?)", one).ok());
  EXPECT_FALSE(c.Commit().ok());
  c.Rollback();
  auto rows = c.Query("SELECT COUNT(*) FROM p", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].Int(0), 1);  // the 3 was rolled back
  c.Rollback();                     // harmless without a transaction
}

TEST_F(PostgresTest, LockTimeoutAndDeadlockAreBusy) {
  auto other = OpenPool(1);
  ASSERT_NE(other, nullptr);
  auto a = Conn();
  auto b = other->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->ExecuteScript("CREATE TABLE r (id BIGINT PRIMARY KEY, v BIGINT);"
                                  "INSERT INTO r VALUES (1, 0), (2, 0)")
                  .ok());
  // 55P03: b cannot get the row a holds within its lock timeout.
  ASSERT_TRUE((*a)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*a)->Execute("UPDATE r SET v = v + 1 WHERE id = 1", {}).ok());
  ASSERT_TRUE((*b)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*b)->ExecuteScript("SET LOCAL lock_timeout = '100ms'").ok());
  EXPECT_EQ((*b)->Execute("UPDATE r SET v = v + 1 WHERE id = 1", {}).status().code(),
            ErrorCode::kBusy);
  (*b)->Rollback();
  (*a)->Rollback();

  // 40P01: a and b take the two rows in opposite orders.
  ASSERT_TRUE((*a)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*b)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*a)->Execute("UPDATE r SET v = 1 WHERE id = 1", {}).ok());
  ASSERT_TRUE((*b)->Execute("UPDATE r SET v = 1 WHERE id = 2", {}).ok());
  std::atomic<int> busy{0};
  std::thread t([&] {
    auto r = (*a)->Execute("UPDATE r SET v = 2 WHERE id = 2", {});
    if (!r.ok() && r.status().code() == ErrorCode::kBusy) ++busy;
  });
  auto r = (*b)->Execute("UPDATE r SET v = 2 WHERE id = 1", {});
  if (!r.ok() && r.status().code() == ErrorCode::kBusy) ++busy;
  if (r.ok()) (*b)->Rollback();  // the survivor lets the other go
  t.join();
  EXPECT_EQ(busy.load(), 1);
  (*a)->Rollback();
  (*b)->Rollback();
}

TEST_F(PostgresTest, StatementTimeoutIsUnavailable) {
  auto slow = OpenPool(1, std::chrono::milliseconds(200));
  ASSERT_NE(slow, nullptr);
  auto c = slow->Acquire();
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Query("SELECT pg_sleep(5)", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
  EXPECT_TRUE((*c)->Query("SELECT 1", {}).ok());
}

TEST_F(PostgresTest, DroppedSessionsReconnect) {
  auto pool = OpenPool(2);
  ASSERT_NE(pool, nullptr);
  Store other(*pool);
  auto pid_of = [](Connection& c) {
    auto r = c.Query("SELECT pg_backend_pid()", {});
    return r.ok() && !r->empty() ? (*r)[0].Int(0) : int64_t{-1};
  };
  auto terminate = [&](int64_t pid) {
    auto admin = Conn();
    ASSERT_TRUE(admin.ok());
    auto r = (*admin)->Query("SELECT pg_terminate_backend(?)", std::vector<SqlValue>{pid});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // Wait until the server has really ended it.
    for (int i = 0; i < 100; ++i) {
      auto left = (*admin)->Query("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?",
                                  std::vector<SqlValue>{pid});
      if (left.ok() && (*left)[0].Int(0) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  // Idle in the pool when dropped: the next transaction reconnects transparently.
  int64_t pids[2] = {-1, -1};
  {
    auto c1 = pool->Acquire();
    auto c2 = pool->Acquire();
    ASSERT_TRUE(c1.ok() && c2.ok());
    pids[0] = pid_of(**c1);
    pids[1] = pid_of(**c2);
  }  // both back in the pool
  terminate(pids[0]);
  terminate(pids[1]);
  for (int i = 0; i < 4; ++i) {
    Status st = other.Transact(TxMode::kWrite, [](Tx& tx) { return tx.Ping(); });
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  // Dropped in the middle of a transaction: that transaction fails as unavailable (the
  // server rolled it back), the next one works.
  auto c = pool->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  ASSERT_TRUE((*c)->ExecuteScript("CREATE TABLE gone (x BIGINT)").ok());
  terminate(pid_of(**c));
  auto r = (*c)->Execute("INSERT INTO gone (x) VALUES (1)", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
  (*c)->Rollback();
  ASSERT_TRUE((*c)->Begin(TxMode::kWrite).ok());
  auto exists = (*c)->Query("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'gone'", {});
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  EXPECT_EQ((*exists)[0].Int(0), 0);
  EXPECT_TRUE((*c)->Commit().ok());
}

TEST_F(PostgresTest, ConcurrentMigrationsOfAFreshDatabase) {
  ScratchDatabase fresh;
  auto url = ParseDatabaseUrl(fresh.url());
  ASSERT_TRUE(url.ok());
  constexpr int kInstances = 6;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      auto db = OpenAndMigrate(*url, 1, 1000 + i);
      if (db.ok()) {
        ++ok;
      } else {
        errors[i] = db.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(ok.load(), kInstances);
  auto db = OpenAndMigrate(*url, 1, 2000);
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Acquire();
  ASSERT_TRUE(conn.ok());
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM schema_version", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), static_cast<int64_t>(BuiltinMigrations().size()));
}

TEST_F(PostgresTest, ActivationWritesInOneCall) {
  // Through migration 0002's function, sent with the COMMIT (pipeline mode).
  checks::CheckActivationWrites(*store_);
}

TEST_F(PostgresTest, ActivationWritesWithoutPipelining) {
  // The same function called at once (no pipeline): failures come from the call itself.
  auto db = OpenPool(2, std::chrono::milliseconds(30000), /*pipeline=*/false);
  ASSERT_NE(db, nullptr);
  Store store(*db);
  checks::CheckActivationWrites(store);
}

TEST_F(PostgresTest, TheActivationFunctionNeverOverspendsAcrossPools) {
  SeedTicket("TICKET", 10);
  OpenThreeInstances();
  std::atomic<int> spent{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      const std::string serial = "130-" + std::to_string(1000 + i);
      ActivationsLeft left;
      Status st = instances_[i % 3]->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
        ContainerRecord c{serial, Bytes(32, 1), Bytes(32, 2), kContainerActive, "", "{}", 1, 1};
        LICET_RETURN_IF_ERROR(tx.StartActivation("TICKET", c, 1).status());
        NewActivation n;
        n.activation = {"TICKET", serial, 6000010, 1, 2, 1};
        n.licenses = {{201010, 2}};
        n.sealed_ops = Bytes{1};
        n.reason = "activation";
        n.audit.id = "evt-" + serial;
        n.audit.event = "ticket.activated";
        return tx.RecordActivation(n, &left);
      });
      if (st.ok()) {
        ++spent;
      } else if (st.code() == ErrorCode::kNoMoreLicenses) {
        ++refused;
      } else {
        ++failed;
        ADD_FAILURE() << st.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(spent.load(), 10);
  EXPECT_EQ(refused.load(), 30);
  EXPECT_EQ(failed.load(), 0);
  auto t = store_->TransactResult<std::vector<ActivationRecord>>(
      TxMode::kRead, [](Tx& tx) { return tx.ListActivationsOfTicket("TICKET"); });
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 10u);
}

TEST_F(PostgresTest, SpendActivationNeverOverspendsAcrossPools) {
  SeedTicket("TICKET", 10);
  // Three "instances", each with its own pool, 60 spenders in all.
  OpenThreeInstances();
  std::atomic<int> spent{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 60; ++i) {
    threads.emplace_back([&, i] {
      bool got = false;
      Status st = instances_[i % 3]->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
        LICET_ASSIGN_OR_RETURN(auto t, tx.GetTicket("TICKET"));
        if (!t) return Error(ErrorCode::kNotFound, "gone");
        LICET_ASSIGN_OR_RETURN(got, tx.SpendActivation("TICKET"));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // widen the window
        return Status::Ok();
      });
      if (!st.ok()) {
        ++failed;
      } else if (got) {
        ++spent;
      } else {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(spent.load(), 10);
  EXPECT_EQ(refused.load(), 50);
  EXPECT_EQ(failed.load(), 0);
  auto t = store_->TransactResult<std::optional<TicketRecord>>(
      TxMode::kRead, [](Tx& tx) { return tx.GetTicket("TICKET"); });
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->activations_used, 10u);
}

TEST_F(PostgresTest, AdvanceIssuedFucIsACompareAndSet) {
  SeedTicket("TICKET", 1);
  Status st = store_->Transact(TxMode::kWrite, [](Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(
        tx.PinContainer({"130-1", Bytes(32, 1), Bytes(32, 2), kContainerActive, "", "{}", 1, 1})
            .status());
    return tx.EnsureContainerFirm("130-1", 6000010).status();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  // 20 writers all read issued_fuc = 0 and try to move it: exactly one may.
  auto pool = OpenPool(8);
  ASSERT_NE(pool, nullptr);
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto c = (i % 2 ? pool.get() : db_.get())->Acquire();
      if (!c.ok()) return;
      if (!(*c)->Begin(TxMode::kWrite).ok()) return;
      Tx tx(**c);
      auto moved = tx.AdvanceIssuedFuc("130-1", 6000010, 0, static_cast<uint64_t>(i + 1));
      if (moved.ok() && *moved && (*c)->Commit().ok()) ++won;
      (*c)->Rollback();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  // A conflicting key insert inside a transaction is decided by ON CONFLICT, not by an
  // error that would abort the transaction.
  st = store_->Transact(TxMode::kWrite, [](Tx& tx) -> Status {
    auto again =
        tx.PinContainer({"130-1", Bytes(32, 9), Bytes(32, 9), kContainerActive, "", "{}", 2, 2});
    if (!again.ok()) return again.status();
    EXPECT_EQ(again->sig_public_key, Bytes(32, 2));  // the first keys stay pinned
    return tx.Ping();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

}  // namespace
}  // namespace licet::central::store
