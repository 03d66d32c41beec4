// The Store over a real SQLite file: migrations, every table's round trip, and the two
// statements that must hold under concurrency (SpendActivation, AdvanceIssuedFuc).
#include "central/store/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <thread>

#include "central/store/activation_writes_checks.h"
#include "central/store/migrate.h"
#include "central/store/sqlite_store_fixture.h"
#include "common/env.h"

namespace licet::central::store {
namespace {

class StoreTest : public SqliteStoreTest {
 protected:

  void Run(const std::function<Status(Tx&)>& fn) {
    Status st = store_->Transact(TxMode::kWrite, fn);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void SeedTicket(const std::string& code, uint32_t allowed) {
    Run([&](Tx& tx) -> Status {
      LICET_RETURN_IF_ERROR(tx.InsertFirm({6000010, "Sample", Bytes(32, 1), Bytes{9}, 1}));
      LICET_RETURN_IF_ERROR(tx.InsertOrder({"o1", 6000010, "req-1", Bytes{1}, "{}", 1}));
      TicketRecord t;
      t.code = code;
      t.order_id = "o1";
      t.firm_code = 6000010;
      t.rights.activations_allowed = allowed;
      t.rights.container_masks = {130, 140};
      t.products = {201010, 201011};
      return tx.InsertTicket(t);
    });
  }

};

TEST_F(StoreTest, MigrationsAreRecordedAndIdempotent) {
  auto conn = db_->Acquire();
  ASSERT_TRUE(conn.ok());
  auto v = SchemaVersion(**conn);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, BuiltinMigrations().back().version);
  EXPECT_TRUE(Migrate(**conn, BuiltinMigrations(), 2000).ok());
  EXPECT_EQ(NotReadyReason(*db_), "");
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  auto conn = db_->Acquire();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(
      (*conn)
          ->Execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    std::vector<SqlValue>{int64_t{999}, std::string("future"), int64_t{1}})
          .ok());
  Status st = Migrate(**conn, BuiltinMigrations(), 1);
  EXPECT_EQ(st.code(), ErrorCode::kUnsupportedVersion);
}

TEST_F(StoreTest, FailingMigrationLeavesNothingBehind) {
  auto conn = db_->Acquire();
  ASSERT_TRUE(conn.ok());
  std::vector<Migration> ms(BuiltinMigrations().begin(), BuiltinMigrations().end());
  ms.push_back({9000, "9000_broken", "CREATE TABLE half (x BIGINT); THIS IS NOT SQL;"});
  EXPECT_FALSE(Migrate(**conn, ms, 1).ok());
  auto v = SchemaVersion(**conn);
  EXPECT_EQ(*v, BuiltinMigrations().back().version);
  auto half = (*conn)->Query("SELECT COUNT(*) FROM half", {});
  EXPECT_FALSE(half.ok()) << "the half-applied table must have been rolled back";
}

TEST_F(StoreTest, UrlParsing) {
  EXPECT_EQ(ParseDatabaseUrl("/a/b.db")->sqlite_path, "/a/b.db");
  EXPECT_EQ(ParseDatabaseUrl("sqlite:///a/b.db")->sqlite_path, "/a/b.db");
  EXPECT_EQ(ParseDatabaseUrl("postgresql://u@h/db")->kind, DatabaseKind::kPostgres);
  EXPECT_FALSE(ParseDatabaseUrl("relative.db").ok());
  EXPECT_FALSE(ParseDatabaseUrl("sqlite://relative.db").ok());
  EXPECT_FALSE(ParseDatabaseUrl("mysql://x").ok());
  // Built without PostgreSQL: "not built yet"; with it (store/postgres/): unreachable.
  auto pg = OpenDatabase(*ParseDatabaseUrl("postgresql://u@127.0.0.1:1/db"), 1);
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.status().code(), ErrorCode::kUnavailable) << pg.status().ToString();
}

TEST_F(StoreTest, FirmsProductsAndKeysRoundTrip) {
  Run([&](Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(tx.InsertFirm({6000010, "Sample", Bytes(32, 1), Bytes{9, 9}, 5}));
    LICET_RETURN_IF_ERROR(tx.InsertFirm({6000011, "Other", Bytes(32, 2), Bytes{8}, 6}));
    EXPECT_EQ(tx.InsertFirm({6000010, "Dup", Bytes(32, 1), Bytes{9}, 5}).code(),
              ErrorCode::kAlreadyExists);
    LICET_RETURN_IF_ERROR(tx.InsertProduct({6000010, 201010, "App", Bytes{1, 2, 3}, 7}));
    EXPECT_EQ(tx.InsertProduct({6000010, 201010, "App", Bytes{1}, 7}).code(),
              ErrorCode::kAlreadyExists);
    ApiKeyRecord k{"abc", "lck_abc", Bytes(32, 7), {"firms:read", "orders:write"}, 6000010,
                   "erp", 3,         std::nullopt};
    return tx.InsertApiKey(k);
  });
  Run([&](Tx& tx) -> Status {
    auto f = tx.GetFirm(6000010);
    EXPECT_TRUE(f.ok() && f->has_value());
    EXPECT_EQ((*f)->sealed_secrets, (Bytes{9, 9}));
    EXPECT_FALSE(tx.GetFirm(1)->has_value());
    auto page = tx.ListFirms(0, 1, std::nullopt);
    EXPECT_EQ(page->size(), 1u);
    EXPECT_EQ(tx.ListFirms(6000010, 10, std::nullopt)->at(0).firm_code, 6000011u);
    EXPECT_EQ(tx.ListFirms(0, 10, 6000011u)->size(), 1u);
    auto p = tx.GetProduct(6000010, 201010);
    EXPECT_EQ((*p)->sealed_template, (Bytes{1, 2, 3}));
    auto k = tx.FindApiKeyByHash(Bytes(32, 7));
    EXPECT_TRUE(k->has_value());
    EXPECT_EQ((*k)->scopes, (std::vector<std::string>{"firms:read", "orders:write"}));
    EXPECT_EQ((*k)->firm_code, 6000010u);
    EXPECT_FALSE(tx.FindApiKeyByHash(Bytes(32, 8))->has_value());
    LICET_RETURN_IF_ERROR(tx.RevokeApiKey("abc", 50));
    EXPECT_EQ(tx.RevokeApiKey("nope", 50).code(), ErrorCode::kNotFound);
    EXPECT_EQ((*tx.FindApiKeyByHash(Bytes(32, 7)))->revoked_at, 50);
    return Status::Ok();
  });
}

TEST_F(StoreTest, TicketsAndSpendingStopAtTheLimit) {
  SeedTicket("T1", 2);
  Run([&](Tx& tx) -> Status {
    auto t = tx.GetTicket("T1");
    EXPECT_TRUE(t->has_value());
    EXPECT_EQ((*t)->products, (std::vector<uint32_t>{201010, 201011}));
    EXPECT_EQ((*t)->rights.container_masks, (std::vector<uint32_t>{130, 140}));
    EXPECT_TRUE(*tx.SpendActivation("T1"));
    EXPECT_TRUE(*tx.SpendActivation("T1"));
    EXPECT_FALSE(*tx.SpendActivation("T1"));
    EXPECT_FALSE(*tx.SpendActivation("nope"));
    EXPECT_EQ((*tx.GetTicket("T1"))->activations_used, 2u);
    EXPECT_EQ(tx.ListTicketsOfOrder("o1")->size(), 1u);
    return Status::Ok();
  });
}

TEST_F(StoreTest, SpendingWithReturningAndOneStatementUpserts) {
  SeedTicket("T2", 2);
  Run([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.SpendActivationLeft("T2"), std::optional<uint32_t>(1));
    EXPECT_EQ(*tx.SpendActivationLeft("T2"), std::optional<uint32_t>(0));
    EXPECT_EQ(*tx.SpendActivationLeft("T2"), std::nullopt) << "spent beyond the limit";
    EXPECT_EQ(*tx.SpendActivationLeft("nope"), std::nullopt);
    EXPECT_EQ((*tx.GetTicket("T2"))->activations_used, 2u);
    // A ticket without products still comes back (the join's NULL row).
    TicketRecord bare;
    bare.code = "T3";
    bare.order_id = "o1";
    bare.firm_code = 6000010;
    LICET_RETURN_IF_ERROR(tx.InsertTicket(bare));
    auto t3 = tx.GetTicket("T3");
    EXPECT_TRUE(t3.ok() && t3->has_value() && (*t3)->products.empty());

    // First sight inserts; later sights keep the pinned keys and only raise last_seen.
    ContainerRecord seen{"130-1", Bytes(32, 1), Bytes(32, 2), kContainerActive, "", "{}", 100, 100};
    auto first = tx.PinAndTouchContainer(seen, 100);
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(first->sig_public_key, Bytes(32, 2));
    ContainerRecord forged = seen;
    forged.sig_public_key = Bytes(32, 9);
    auto again = tx.PinAndTouchContainer(forged, 200);
    EXPECT_EQ(again->sig_public_key, Bytes(32, 2)) << "a second sight replaced the pinned key";
    EXPECT_EQ(again->first_seen, 100);
    EXPECT_EQ(again->last_seen, 200);
    EXPECT_EQ(tx.PinAndTouchContainer(seen, 150)->last_seen, 200) << "last_seen went back";

    auto cf = tx.EnsureContainerFirm("130-1", 6000010);
    EXPECT_TRUE(cf.ok());
    EXPECT_EQ(cf->issued_fuc, 0u);
    EXPECT_TRUE(*tx.AdvanceIssuedFuc("130-1", 6000010, 0, 3));
    EXPECT_EQ(tx.EnsureContainerFirm("130-1", 6000010)->issued_fuc, 3u) << "upsert reset the row";
    return Status::Ok();
  });
}

TEST_F(StoreTest, ActivationWritesInOneCall) { checks::CheckActivationWrites(*store_); }

TEST_F(StoreTest, DialectMigrationsAreRecordedButNotRunElsewhere) {
  EXPECT_EQ(MigrationDialect("-- dialect: postgresql\nCREATE FUNCTION f() ..."), "postgresql");
  EXPECT_EQ(MigrationDialect("-- dialect: sqlite"), "sqlite");
  EXPECT_EQ(MigrationDialect("-- License Central schema\nCREATE TABLE t (a BIGINT);"), "");
  EXPECT_EQ(MigrationDialect(""), "");
  auto conn = db_->Acquire();
  ASSERT_TRUE(conn.ok());
  // A step for another dialect (SQLite could not run it) is recorded with nothing run; one
  // for this dialect runs.
  const Migration ms[] = {
      {100, "0100_elsewhere", "-- dialect: postgresql\nTHIS IS NOT SQLITE;"},
      {101, "0101_here", "-- dialect: sqlite\nCREATE TABLE only_here (a BIGINT);"}};
  std::vector<Migration> all(BuiltinMigrations().begin(), BuiltinMigrations().end());
  all.insert(all.end(), std::begin(ms), std::end(ms));
  Status st = Migrate(**conn, all, 3000);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*SchemaVersion(**conn), 101);
  EXPECT_TRUE((*conn)->Query("SELECT COUNT(*) FROM only_here", {}).ok());
}

TEST_F(StoreTest, ConcurrentSpendingNeverOverspends) {
  SeedTicket("T2", 10);
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      Status st = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
        LICET_ASSIGN_OR_RETURN(bool ok, tx.SpendActivation("T2"));
        if (ok) ++won;
        return Status::Ok();
      });
      EXPECT_TRUE(st.ok()) << st.ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 10);
}

TEST_F(StoreTest, ContainerHistory) {
  SeedTicket("T3", 1);
  Run([&](Tx& tx) -> Status {
    ContainerRecord c{"130-5", Bytes(32, 3), Bytes(32, 4), kContainerActive, "", "{}", 10, 10};
    LICET_ASSIGN_OR_RETURN(auto pinned, tx.PinContainer(c));
    EXPECT_EQ(pinned.sig_public_key, Bytes(32, 4));
    c.sig_public_key = Bytes(32, 5);
    LICET_ASSIGN_OR_RETURN(auto again, tx.PinContainer(c));
    EXPECT_EQ(again.sig_public_key, Bytes(32, 4)) << "the first keys stay pinned";
    LICET_ASSIGN_OR_RETURN(auto cf, tx.EnsureContainerFirm("130-5", 6000010));
    EXPECT_EQ(cf.issued_fuc, 0u);
    EXPECT_TRUE(*tx.AdvanceIssuedFuc("130-5", 6000010, 0, 3));
    EXPECT_FALSE(*tx.AdvanceIssuedFuc("130-5", 6000010, 0, 4)) << "stale expectation";
    LICET_RETURN_IF_ERROR(
        tx.InsertRange({"130-5", 6000010, 1, 3, Bytes{1}, "activation", std::string("T3"), 10}));
    EXPECT_EQ(tx.InsertRange({"130-5", 6000010, 1, 3, Bytes{1}, "x", std::nullopt, 10}).code(),
              ErrorCode::kBusy);
    LICET_RETURN_IF_ERROR(tx.InsertActivation({"T3", "130-5", 6000010, 1, 3, 10}));
    EXPECT_EQ(tx.InsertActivation({"T3", "130-5", 6000010, 1, 3, 10}).code(), ErrorCode::kBusy);
    LICET_RETURN_IF_ERROR(
        tx.InsertLicense({"T3", 201010, "130-5", 6000010, 2, "activated", 10, {}}));
    LICET_RETURN_IF_ERROR(
        tx.InsertLicense({"T3", 201011, "130-5", 6000010, 3, "activated", 10, {}}));
    EXPECT_EQ(*tx.ConfirmLicenses("130-5", 6000010, 2, 20), 1);
    LICET_RETURN_IF_ERROR(tx.RaiseConfirmedFuc("130-5", 6000010, 2));
    LICET_RETURN_IF_ERROR(tx.RaiseConfirmedFuc("130-5", 6000010, 1));  // never lowers
    LICET_RETURN_IF_ERROR(tx.SetBaseline("130-5", 6000010, 7, {201010}));
    LICET_RETURN_IF_ERROR(tx.SetContainerState("130-5", kContainerManipulated, "why", "{}"));
    EXPECT_EQ(tx.SetContainerState("130-9", kContainerBlocked, "", "{}").code(),
              ErrorCode::kContainerNotFound);
    return Status::Ok();
  });
  Run([&](Tx& tx) -> Status {
    auto cf = *tx.GetContainerFirm("130-5", 6000010);
    EXPECT_EQ(cf->issued_fuc, 7u);
    EXPECT_EQ(cf->confirmed_fuc, 7u);
    EXPECT_EQ(cf->baseline_products, (std::vector<uint32_t>{201010}));
    auto ranges = *tx.ListRanges("130-5", 6000010);
    EXPECT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0].ticket_code, "T3");
    auto lic = *tx.ListLicensesOfContainer("130-5");
    EXPECT_EQ(lic.size(), 2u);
    EXPECT_EQ(lic[0].state, "confirmed");
    EXPECT_EQ(lic[1].state, "activated");
    EXPECT_EQ((*tx.GetContainer("130-5"))->state, kContainerManipulated);
    EXPECT_TRUE(tx.GetActivation("T3", "130-5")->has_value());
    return Status::Ok();
  });
}

TEST_F(StoreTest, AuditPagesAndIdempotency) {
  Run([&](Tx& tx) -> Status {
    for (int i = 0; i < 5; ++i) {
      AuditRecord a;
      a.id = "a" + std::to_string(i);
      a.at = 100 + i / 2;
      a.event = "test";
      a.actor = "cli";
      a.firm_code = i % 2 == 0 ? std::optional<uint32_t>(1) : std::nullopt;
      LICET_RETURN_IF_ERROR(tx.AppendAudit(a));
    }
    auto page1 = *tx.ListAudit(0, "", 2, std::nullopt);
    EXPECT_EQ(page1.size(), 2u);
    auto page2 = *tx.ListAudit(page1.back().at, page1.back().id, 10, std::nullopt);
    EXPECT_EQ(page2.size(), 3u);
    EXPECT_EQ(page2[0].id, "a2");
    EXPECT_EQ(tx.ListAudit(0, "", 10, 1u)->size(), 3u);
    IdempotencyRecord r{"k1", "idem", Bytes{1}, 201, "application/json", Bytes{'{', '}'}, 1};
    LICET_RETURN_IF_ERROR(tx.PutIdempotency(r));
    EXPECT_EQ(tx.PutIdempotency(r).code(), ErrorCode::kAlreadyExists);
    EXPECT_EQ((*tx.GetIdempotency("k1", "idem"))->status, 201);
    EXPECT_FALSE(tx.GetIdempotency("k2", "idem")->has_value());
    EXPECT_EQ(*tx.PutSettingIfAbsent("kek_id", "a"), "a");
    EXPECT_EQ(*tx.PutSettingIfAbsent("kek_id", "b"), "a");
    return Status::Ok();
  });
}

TEST_F(StoreTest, ErrorInTransactionRollsBack) {
  Status st = store_->Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(tx.InsertFirm({7, "Gone", Bytes(32, 1), Bytes{1}, 1}));
    return Error(ErrorCode::kInvalidArgument, "changed my mind");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  Run([&](Tx& tx) -> Status {
    EXPECT_FALSE(tx.GetFirm(7)->has_value());
    return Status::Ok();
  });
}

TEST(SqliteOpenTest, NotADatabaseIsAnIoError) {
  char tmpl[] = "/tmp/licet-central-notdb-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/x.db";
  ASSERT_TRUE(Env::Default().WriteFileAtomic(path, AsBytes(std::string(4096, 'x'))).ok());
  auto db = OpenDatabase(*ParseDatabaseUrl(path), 1);
  EXPECT_FALSE(db.ok());
  std::system((std::string("rm -rf ") + tmpl).c_str());
}

}  // namespace
}  // namespace licet::central::store
