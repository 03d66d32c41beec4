// The C ABI through the real liblicet.so against FakeLicetd (LICET_SOCKET points at it).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/fake_licetd.h"
#include "licet/licet.h"

namespace {

using licet::client::FakeLicetd;
using nlohmann::json;

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeLicetd>();
    setenv("LICET_SOCKET", fake_->socket_path().c_str(), 1);
    unsetenv("LICET_TIMEOUT");
  }
  void TearDown() override {
    fake_.reset();
    unsetenv("LICET_SOCKET");
  }

  static licet_access_params Params(uint32_t product = 201010) {
    licet_access_params p = LICET_ACCESS_PARAMS_INIT;
    p.firm_code = 6000010;
    p.product_code = product;
    return p;
  }

  licet_handle* Access() {
    licet_access_params p = Params();
    licet_handle* h = nullptr;
    int rc = licet_access(&p, &h);
    EXPECT_EQ(rc, LICET_OK) << licet_errmsg();
    return h;
  }

  std::unique_ptr<FakeLicetd> fake_;
};

TEST_F(CApiTest, NoDaemonIsUnavailableWithTheSocketPath) {
  setenv("LICET_SOCKET", "/tmp/licet-c-api-test-missing/licetd.sock", 1);
  fake_.reset();  // also closes the shared connection's peer
  licet_access_params p = Params();
  licet_handle* h = reinterpret_cast<licet_handle*>(0x1);
  EXPECT_EQ(licet_access(&p, &h), LICET_ERROR_UNAVAILABLE);
  EXPECT_EQ(h, nullptr);
  std::string msg = licet_errmsg();
  EXPECT_NE(msg.find("/tmp/licet-c-api-test-missing/licetd.sock"), std::string::npos) << msg;
  EXPECT_NE(msg.find("start licetd"), std::string::npos) << msg;
  char* text = reinterpret_cast<char*>(0x1);
  EXPECT_EQ(licet_list(&text), LICET_ERROR_UNAVAILABLE);
  EXPECT_EQ(text, nullptr);
}

TEST_F(CApiTest, AccessInfoCryptRelease) {
  licet_access_params p = Params();
  p.feature_code = 1;
  p.release_date = 1700000000;
  licet_handle* h = nullptr;
  ASSERT_EQ(licet_access(&p, &h), LICET_OK) << licet_errmsg();
  ASSERT_NE(h, nullptr);

  licet_item_info info = LICET_ITEM_INFO_INIT;
  ASSERT_EQ(licet_info(h, &info), LICET_OK) << licet_errmsg();
  EXPECT_STREQ(info.serial, "130-1166426881");
  EXPECT_EQ(info.product_code, 201010u);
  EXPECT_EQ(info.has_unit_counter, 1);
  EXPECT_EQ(info.unit_counter, 100u);
  EXPECT_STREQ(info.text, "Sample App");

  const uint8_t original[16] = {'L', 'i', 'c', 'e', 't', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  uint8_t buf[16];
  memcpy(buf, original, 16);
  licet_crypt_params c = LICET_CRYPT_PARAMS_INIT;
  c.encryption_code = 42;
  c.iv[0] = 9;
  ASSERT_EQ(licet_crypt(h, LICET_CRYPT_ENCRYPT, &c, buf, 16), LICET_OK) << licet_errmsg();
  EXPECT_NE(memcmp(buf, original, 16), 0);
  uint8_t ciphertext[16];
  memcpy(ciphertext, buf, 16);

  licet_crypt_params wrong = c;
  wrong.tag[0] ^= 1;
  EXPECT_EQ(licet_crypt(h, LICET_CRYPT_DECRYPT, &wrong, buf, 16), LICET_ERROR_DECRYPT_FAILED);
  EXPECT_EQ(memcmp(buf, ciphertext, 16), 0) << "a failed decrypt must leave the buffer alone";
  EXPECT_STREQ(licet_errmsg(), "tag mismatch");

  ASSERT_EQ(licet_crypt(h, LICET_CRYPT_DECRYPT, &c, buf, 16), LICET_OK) << licet_errmsg();
  EXPECT_EQ(memcmp(buf, original, 16), 0);

  EXPECT_EQ(licet_release(h), LICET_OK);
  EXPECT_EQ(fake_->live_handles(), 0);

  auto requests = fake_->requests();
  ASSERT_GE(requests.size(), 2u);
  const json& access = requests[1];
  EXPECT_EQ(access["op"], "access");
  EXPECT_EQ(access["feature_code"], 1);
  EXPECT_EQ(access["release_date"], 1700000000);
  EXPECT_EQ(fake_->ops().back(), "release");
}

TEST_F(CApiTest, DirectCryptIsItsOwnInverse) {
  licet_handle* h = Access();
  uint8_t buf[33];
  for (int i = 0; i < 33; ++i) buf[i] = static_cast<uint8_t>(i);
  licet_crypt_params c = LICET_CRYPT_PARAMS_INIT;
  ASSERT_EQ(licet_crypt(h, LICET_CRYPT_DIRECT, &c, buf, sizeof(buf)), LICET_OK);
  ASSERT_EQ(licet_crypt(h, LICET_CRYPT_DIRECT, &c, buf, sizeof(buf)), LICET_OK);
  for (int i = 0; i < 33; ++i) EXPECT_EQ(buf[i], i);
  EXPECT_EQ(licet_crypt(h, LICET_CRYPT_DIRECT, &c, nullptr, 0), LICET_OK);
  licet_release(h);
}

TEST_F(CApiTest, LicetdErrorsKeepTheirCodeAndMessage) {
  licet_access_params p = Params(1);
  licet_handle* h = nullptr;
  EXPECT_EQ(licet_access(&p, &h), LICET_ERROR_ENTRY_NOT_FOUND);
  EXPECT_EQ(h, nullptr);
  EXPECT_STREQ(licet_errmsg(), "no product 1");
  p = Params();
  p.feature_code = 4;
  EXPECT_EQ(licet_access(&p, &h), LICET_ERROR_FEATURE_MISSING);
}

TEST_F(CApiTest, ErrmsgIsPerThread) {
  licet_access_params p = Params(1);
  licet_handle* h = nullptr;
  ASSERT_EQ(licet_access(&p, &h), LICET_ERROR_ENTRY_NOT_FOUND);
  std::string other;
  std::thread t([&] {
    EXPECT_STREQ(licet_errmsg(), "");
    EXPECT_EQ(licet_unit_decrement(nullptr, 1, nullptr), LICET_ERROR_INVALID_ARGUMENT);
    other = licet_errmsg();
  });
  t.join();
  EXPECT_STREQ(licet_errmsg(), "no product 1");
  EXPECT_NE(other.find("handle is NULL"), std::string::npos) << other;
}

TEST_F(CApiTest, UnitDecrement) {
  licet_handle* h = Access();
  uint64_t remaining = 0;
  ASSERT_EQ(licet_unit_decrement(h, 30, &remaining), LICET_OK);
  EXPECT_EQ(remaining, 70u);
  EXPECT_EQ(licet_unit_decrement(h, 1, nullptr), LICET_OK);
  EXPECT_EQ(licet_unit_decrement(h, 70, &remaining), LICET_ERROR_UNIT_COUNTER_ZERO);
  EXPECT_EQ(remaining, 70u) << "a failed decrement must not write remaining";
  EXPECT_EQ(licet_unit_decrement(h, 0, &remaining), LICET_ERROR_INVALID_ARGUMENT);
  licet_release(h);
}

TEST_F(CApiTest, ListReturnsJsonToFree) {
  char* text = nullptr;
  ASSERT_EQ(licet_list(&text), LICET_OK) << licet_errmsg();
  ASSERT_NE(text, nullptr);
  json doc = json::parse(text);
  licet_free(text);
  EXPECT_EQ(doc["containers"][0]["serial"], "130-1166426881");
  EXPECT_EQ(doc["containers"][0]["public_key"], "abcd");
}

TEST_F(CApiTest, AllHandlesShareOneConnection) {
  licet_handle* a = Access();
  licet_handle* b = Access();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(fake_->connections_accepted(), 1);
  EXPECT_EQ(fake_->live_handles(), 2);
  EXPECT_EQ(licet_release(a), LICET_OK);
  EXPECT_EQ(licet_release(b), LICET_OK);
  EXPECT_EQ(fake_->live_handles(), 0);
}

TEST_F(CApiTest, AfterALicetdRestartOldHandlesFailAndNewAccessesReconnect) {
  licet_handle* old = Access();
  fake_->DropConnections();  // licetd restarted: the connection and its leases are gone
  licet_item_info info = LICET_ITEM_INFO_INIT;
  EXPECT_EQ(licet_info(old, &info), LICET_ERROR_UNAVAILABLE);
  std::string msg = licet_errmsg();
  EXPECT_NE(msg.find("licetd"), std::string::npos) << msg;
  EXPECT_EQ(licet_info(old, &info), LICET_ERROR_UNAVAILABLE);
  EXPECT_NE(std::string(licet_errmsg()).find("access them again"), std::string::npos) << licet_errmsg();

  licet_handle* fresh = Access();
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fake_->connections_accepted(), 2);
  EXPECT_EQ(licet_info(fresh, &info), LICET_OK);
  EXPECT_EQ(licet_release(old), LICET_OK) << "the lease of a lost connection is already gone";
  EXPECT_EQ(licet_release(fresh), LICET_OK);
}

TEST_F(CApiTest, ReconnectsWithoutAnyCallNoticingTheRestartFirst) {
  licet_handle* old = Access();
  fake_->DropConnections();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // The first call after the restart is a new access: it must not fail.
  licet_handle* fresh = Access();
  EXPECT_NE(fresh, nullptr);
  licet_release(fresh);
  licet_release(old);
}

TEST_F(CApiTest, ForkedChildOpensItsOwnConnection) {
  licet_handle* parent = Access();
  ASSERT_NE(parent, nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int failures = 0;
    licet_item_info info = LICET_ITEM_INFO_INIT;
    if (licet_info(parent, &info) != LICET_ERROR_UNAVAILABLE) ++failures;
    if (std::string(licet_errmsg()).find("fork") == std::string::npos) ++failures;
    licet_access_params p = Params();
    licet_handle* mine = nullptr;
    if (licet_access(&p, &mine) != LICET_OK) ++failures;
    if (mine != nullptr && licet_info(mine, &info) != LICET_OK) ++failures;
    if (licet_release(mine) != LICET_OK) ++failures;
    // Releasing the inherited handle frees memory only: the lease is the parent's.
    if (licet_release(parent) != LICET_OK) ++failures;
    _exit(failures);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(fake_->connections_accepted(), 2);
  EXPECT_EQ(fake_->live_handles(), 1) << "the parent's lease must survive the child";
  licet_item_info info = LICET_ITEM_INFO_INIT;
  EXPECT_EQ(licet_info(parent, &info), LICET_OK) << licet_errmsg();
  EXPECT_EQ(licet_release(parent), LICET_OK);
}

TEST_F(CApiTest, TimeoutFromTheEnvironment) {
  setenv("LICET_TIMEOUT", "1", 1);
  auto other = std::make_unique<FakeLicetd>();  // a new socket: a new shared connection
  setenv("LICET_SOCKET", other->socket_path().c_str(), 1);
  licet_handle* h = Access();
  other->set_handler([](const json&) { return json{{"silent", true}}; });
  auto start = std::chrono::steady_clock::now();
  licet_item_info info = LICET_ITEM_INFO_INIT;
  EXPECT_EQ(licet_info(h, &info), LICET_ERROR_UNAVAILABLE);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(std::string(licet_errmsg()).find("did not answer within 1 s"), std::string::npos) << licet_errmsg();
  EXPECT_EQ(licet_release(h), LICET_OK);
  unsetenv("LICET_TIMEOUT");
}

TEST_F(CApiTest, ManyThreadsShareHandlesSafely) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        licet_access_params p = Params();
        licet_handle* h = nullptr;
        if (licet_access(&p, &h) != LICET_OK) {
          ++failures;
          continue;
        }
        uint8_t buf[16] = {0};
        licet_crypt_params c = LICET_CRYPT_PARAMS_INIT;
        if (licet_crypt(h, LICET_CRYPT_ENCRYPT, &c, buf, 16) != LICET_OK) ++failures;
        if (licet_crypt(h, LICET_CRYPT_DECRYPT, &c, buf, 16) != LICET_OK) ++failures;
        for (uint8_t b : buf) failures += b != 0;
        if (licet_release(h) != LICET_OK) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(fake_->live_handles(), 0);
}

TEST_F(CApiTest, BadHandlesAndArguments) {
  // Storage that is not a live handle (zeroed): refused, not dereferenced further.
  alignas(16) uint8_t not_a_handle[64] = {0};
  auto* bogus = reinterpret_cast<licet_handle*>(not_a_handle);
  licet_item_info info = LICET_ITEM_INFO_INIT;
  EXPECT_EQ(licet_info(bogus, &info), LICET_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(licet_release(bogus), LICET_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(licet_release(nullptr), LICET_OK);

  licet_handle* h = Access();
  EXPECT_EQ(licet_info(h, nullptr), LICET_ERROR_INVALID_ARGUMENT);
  info.size = 3;
  EXPECT_EQ(licet_info(h, &info), LICET_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(licet_errmsg()).find("licet_item_info.size"), std::string::npos);
  licet_crypt_params c = LICET_CRYPT_PARAMS_INIT;
  uint8_t buf[4] = {0};
  EXPECT_EQ(licet_crypt(h, 9, &c, buf, 4), LICET_ERROR_INVALID_ARGUMENT);
  c.size = 0;
  EXPECT_EQ(licet_crypt(h, LICET_CRYPT_ENCRYPT, &c, buf, 4), LICET_ERROR_INVALID_ARGUMENT);
  // Nothing invalid reached licetd.
  for (const auto& op : fake_->ops()) EXPECT_NE(op, "crypt");
  licet_release(h);
}

TEST(CApiStaticTest, VersionsAndStrerror) {
  EXPECT_EQ(licet_version_number(), LICET_VERSION_NUMBER);
  EXPECT_STREQ(licet_version(), LICET_VERSION);
  EXPECT_STREQ(licet_strerror(LICET_OK), "success");
  EXPECT_STREQ(licet_strerror(LICET_ERROR_UNAVAILABLE), "service unavailable");
  EXPECT_STREQ(licet_strerror(LICET_ERROR_EXPIRED), "license expired");
  EXPECT_STREQ(licet_strerror(-7), "unknown error");
  EXPECT_STREQ(licet_strerror(100000), "unknown error");
  licet_free(nullptr);
}

}  // namespace
