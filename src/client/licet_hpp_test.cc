// licet.hpp against FakeLicetd, compiled as C++17 (the header promises C++17).
#include "licet/licet.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <type_traits>
#include <utility>

#include "client/fake_licetd.h"

static_assert(__cplusplus < 202002L, "this test must be built as C++17");
static_assert(!std::is_copy_constructible_v<licet::License>);
static_assert(std::is_nothrow_move_constructible_v<licet::License>);

namespace {

using licet::client::FakeLicetd;

class LicetHppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeLicetd>();
    setenv("LICET_SOCKET", fake_->socket_path().c_str(), 1);
  }
  void TearDown() override {
    fake_.reset();
    unsetenv("LICET_SOCKET");
  }
  static licet::AccessParams Params() {
    licet::AccessParams p;
    p.firm_code = 6000010;
    p.product_code = 201010;
    return p;
  }
  std::unique_ptr<FakeLicetd> fake_;
};

TEST_F(LicetHppTest, AccessCryptInfoAndRaiiRelease) {
  {
    licet::Result<licet::License> license = licet::License::Access(Params());
    ASSERT_TRUE(license.ok()) << license.error().message;
    EXPECT_TRUE(license->valid());
    EXPECT_EQ(fake_->live_handles(), 1);

    std::vector<uint8_t> data(16, 0x42);
    licet::Iv iv{};
    iv[0] = 1;
    licet::Result<licet::Tag> tag = license->Encrypt(data, iv, {42, 0});
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    EXPECT_NE(data, std::vector<uint8_t>(16, 0x42));
    licet::Tag bad = tag.value();
    bad[3] ^= 0x10;
    licet::Result<void> refused = license->Decrypt(data, iv, bad, {42, 0});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.code(), LICET_ERROR_DECRYPT_FAILED);
    EXPECT_EQ(refused.error().message, "tag mismatch");
    EXPECT_STREQ(refused.error().code_text(), "decryption failed");
    ASSERT_TRUE(license->Decrypt(data, iv, tag.value(), {42, 0}).ok());
    EXPECT_EQ(data, std::vector<uint8_t>(16, 0x42));

    ASSERT_TRUE(license->CryptDirect(data.data(), data.size(), iv).ok());
    ASSERT_TRUE(license->CryptDirect(data, iv).ok());
    EXPECT_EQ(data, std::vector<uint8_t>(16, 0x42));

    licet::Result<licet::ItemInfo> info = license->Info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->serial, "130-1166426881");
    EXPECT_EQ(info->product_code, 201010u);
    EXPECT_EQ(info->unit_counter, std::optional<uint64_t>(100));
    EXPECT_EQ(info->expiration, std::optional<int64_t>(1893456000));
    EXPECT_FALSE(info->activation_time.has_value());
    EXPECT_EQ(info->text, "Sample App");
    EXPECT_EQ(info->protected_data, (std::vector<uint8_t>{1, 2, 3}));

    licet::Result<uint64_t> left = license->DecrementUnits(10);
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left.value(), 90u);
    EXPECT_EQ(license->DecrementUnits(1000).code(), LICET_ERROR_UNIT_COUNTER_ZERO);
  }
  EXPECT_EQ(fake_->live_handles(), 0) << "the destructor releases";
}

TEST_F(LicetHppTest, MovesTransferOwnership) {
  licet::Result<licet::License> first = licet::License::Access(Params());
  ASSERT_TRUE(first.ok());
  licet::License a = std::move(first).value();
  licet::License b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): documented empty state
  EXPECT_TRUE(b.valid());
  EXPECT_EQ(a.Info().code(), LICET_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(fake_->live_handles(), 1);
  licet::License c;
  c = std::move(b);
  EXPECT_EQ(fake_->live_handles(), 1);
  EXPECT_TRUE(c.Release().ok());
  EXPECT_TRUE(c.Release().ok()) << "releasing an empty License succeeds";
  EXPECT_EQ(fake_->live_handles(), 0);
}

TEST_F(LicetHppTest, ErrorsCarryCodeAndMessage) {
  licet::AccessParams p = Params();
  p.product_code = 5;
  licet::Result<licet::License> license = licet::License::Access(p);
  ASSERT_FALSE(license.ok());
  EXPECT_EQ(license.code(), LICET_ERROR_ENTRY_NOT_FOUND);
  EXPECT_EQ(license.error().message, "no product 5");
  p = Params();
  p.mode = 3;
  EXPECT_EQ(licet::License::Access(p).code(), LICET_ERROR_INVALID_ARGUMENT);
  p = Params();
  p.serial = "130-1166426881";
  p.firm_public_key = licet::FirmKey{};
  EXPECT_TRUE(licet::License::Access(p).ok());
  auto requests = fake_->requests();
  ASSERT_GE(requests.size(), 2u);
  const nlohmann::json& access = requests[requests.size() - 2];  // the last is its release
  ASSERT_EQ(access["op"], "access");
  EXPECT_EQ(access["serial"], "130-1166426881");
  ASSERT_TRUE(access["firm_key"].is_binary());
  EXPECT_EQ(access["firm_key"].get_binary().size(), 32u);
}

TEST_F(LicetHppTest, ListAndVersion) {
  licet::Result<std::string> list = licet::List();
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find("130-1166426881"), std::string::npos);
  EXPECT_STREQ(licet::Version(), LICET_VERSION);
  EXPECT_EQ(licet::VersionNumber(), LICET_VERSION_NUMBER);
  fake_.reset();
  setenv("LICET_SOCKET", "/tmp/licet-hpp-test-missing.sock", 1);
  EXPECT_EQ(licet::List().code(), LICET_ERROR_UNAVAILABLE);
}

}  // namespace
