// Tests on a real PostgreSQL server: the ctest fixture `postgres`
// (scripts/postgres-test-server.sh, registered in store/postgres/CMakeLists.txt) starts
// one and writes its URL to $LICET_TEST_POSTGRES_URL_FILE. Each test makes a database of
// its own in it, so tests run in parallel without seeing each other's rows.
#ifndef LICET_CENTRAL_TESTS_POSTGRES_TEST_SUPPORT_H_
#define LICET_CENTRAL_TESTS_POSTGRES_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "central/store/postgres/postgres_database.h"
#include "crypto/crypto.h"

namespace licet::central::testing {

// The server's URL; "" when the variable is unset (a test binary run by hand).
inline std::string PostgresServerUrl() {
  const char* file = std::getenv("LICET_TEST_POSTGRES_URL_FILE");
  if (file == nullptr) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  // Set but unreadable means the fixture failed: a failure, never a skip.
  EXPECT_FALSE(url.empty()) << "no PostgreSQL URL in " << file << " (fixture not started?)";
  return url;
}

// `url` with its database name replaced ("postgresql://u@h:p/db" form only).
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  size_t slash = url.rfind('/');
  size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

// A database created for one test and dropped (with its sessions) when destroyed.
class ScratchDatabase {
 public:
  // Skips the calling test when no server is configured; check skipped() after.
  ScratchDatabase() {
    server_ = PostgresServerUrl();
    if (server_.empty()) return;
    name_ = "licet_t_" + HexEncode(crypto::RandomBytes(6));
    Admin("CREATE DATABASE " + name_);
    url_ = WithDatabase(server_, name_);
  }
  ~ScratchDatabase() {
    if (!name_.empty()) Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  bool skipped() const { return server_.empty(); }
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  void Admin(const std::string& sql) {
    store::PostgresOptions o;
    o.url = server_;
    o.pool_size = 1;
    auto db = store::OpenPostgresDatabase(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto conn = (*db)->Acquire();
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    Status st = (*conn)->ExecuteScript(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.ToString();
  }

  std::string server_;
  std::string name_;
  std::string url_;
};

}  // namespace licet::central::testing

#endif  // LICET_CENTRAL_TESTS_POSTGRES_TEST_SUPPORT_H_
