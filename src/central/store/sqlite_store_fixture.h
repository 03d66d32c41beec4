// A Store over a fresh SQLite file in a temporary directory, migrated; removed after the test.
// Shared by the store's unit tests (store_test, group_commit_test).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "central/store/open.h"
#include "central/store/store.h"

namespace licet::central::store {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licet-central-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto url = ParseDatabaseUrl("sqlite://" + dir_ + "/central.db");
    ASSERT_TRUE(url.ok());
    auto db = OpenAndMigrate(*url, 4, 1000);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    store_ = std::make_unique<Store>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Store> store_;
};

}  // namespace licet::central::store
