// The stub's licetd client against a real licetd (started over a throwaway home).
#include "protect/stub_client/stub_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crypto/crypto.h"
#include "protect/key/key_scheme.h"
#include "protect/stub_client/licetd_fixture.h"

namespace licet::protect::stub {
namespace {

using testing::kTestFirm;
using testing::LicetdFixture;

constexpr uint32_t kProduct = 201010;

class StubClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!gcm::CpuSupported()) return;
    model::ProductItem item;
    item.product_code = kProduct;
    item.feature_map = 0x3;
    item.unit_counter = 1000;
    item.expiration = SystemClock::Get().Now() + 10 * 86400 + 3600;
    std::string why;
    fixture_ = LicetdFixture::Start({item}, &why).release();
    if (fixture_ == nullptr) skip_ = why;
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  void SetUp() override {
    if (!gcm::CpuSupported()) GTEST_SKIP() << "no AES-NI";
    if (fixture_ == nullptr) GTEST_SKIP() << skip_;
    env_strings_ = fixture_->Env();
    for (auto& e : env_strings_) envp_.push_back(e.c_str());
    envp_.push_back(nullptr);
  }

  // A descriptor for `product` with one slot for `feature`, and its CK.
  key::Descriptor Make(uint32_t product, uint32_t feature, SecretBytes* ck,
                       const SecretBytes* firm_secret = nullptr) {
    key::Descriptor d = key::NewDescriptor(key::Mode::kLicense, key::Kind::kExecutable, kTestFirm,
                                           product);
    EXPECT_TRUE(key::SetText(d.product_name, "Sample Product").ok());
    EXPECT_TRUE(key::SetText(d.activation_hint, "licet activate ABCDE-...").ok());
    *ck = key::RandomContentKey();
    EXPECT_TRUE(key::AddLicenseSlot(d, firm_secret ? *firm_secret : fixture_->firm_secret(),
                                    feature, *ck).ok());
    return d;
  }

  static LicetdFixture* fixture_;
  static std::string skip_;
  std::vector<std::string> env_strings_;
  std::vector<const char*> envp_;
};
LicetdFixture* StubClientTest::fixture_ = nullptr;
std::string StubClientTest::skip_;

TEST_F(StubClientTest, UnwrapsTheContentKeyAndChecks) {
  SecretBytes ck;
  key::Descriptor d = Make(kProduct, 2, &ck);
  d.low_units = 2000;
  d.low_days = 5;
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  ASSERT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), 0) << err.text;
  EXPECT_TRUE(crypto::ConstantTimeEqual(ByteSpan(out, 32), ck.span()));
  StubStatus st;
  ASSERT_EQ(StubCheck(s.get(), &st), 0);
  EXPECT_EQ(st.units_left, 1000);
  EXPECT_TRUE(st.low_units);
  EXPECT_EQ(st.days_left, 10);
  EXPECT_FALSE(st.low_days);
  StubRelease(s.get());
  EXPECT_EQ(s->fd, -1);
  StubRelease(s.get());  // twice is harmless
}

TEST_F(StubClientTest, MissingFeatureNamesIt) {
  SecretBytes ck;
  key::Descriptor d = Make(kProduct, 4, &ck);
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  EXPECT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), 33);
  EXPECT_NE(std::strstr(err.text, "Sample Product: the license does not include feature 4"), nullptr)
      << err.text;
  EXPECT_NE(std::strstr(err.text, "To activate: licet activate ABCDE-..."), nullptr) << err.text;
  EXPECT_EQ(std::vector<unsigned char>(out, out + 32), std::vector<unsigned char>(32, 0));
}

TEST_F(StubClientTest, WrongProductIsNoLicense) {
  SecretBytes ck;
  key::Descriptor d = Make(kProduct + 1, 0, &ck);
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  EXPECT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), 200);
  EXPECT_NE(std::strstr(err.text, "no license found (firm 6000010, product 201011)"), nullptr)
      << err.text;
}

TEST_F(StubClientTest, ForeignFirmSecretFailsToUnwrap) {
  SecretBytes other = crypto::RandomSecret(32), ck;
  key::Descriptor d = Make(kProduct, 0, &ck, &other);
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  EXPECT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), kCodeDecryptFailed);
  EXPECT_NE(std::strstr(err.text, "damaged or was modified"), nullptr) << err.text;
}

TEST_F(StubClientTest, NoDaemonIsUnavailable) {
  SecretBytes ck;
  key::Descriptor d = Make(kProduct, 0, &ck);
  const char* env[] = {"LICET_SOCKET=/nonexistent/licetd.sock", nullptr};
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  EXPECT_EQ(StubAccessAndUnwrap(d, env, out, s.get(), &err), kCodeUnavailable);
  EXPECT_NE(std::strstr(err.text, "not reachable"), nullptr) << err.text;
}

TEST_F(StubClientTest, IpModeDescriptorIsNotForLicetd) {
  key::Descriptor d = key::NewDescriptor(key::Mode::kIpProtection, key::Kind::kExecutable, 0, 0);
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  EXPECT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), kCodeCorruptData);
}

TEST(StubSocketPathTest, FollowsDefaultSocketPath) {
  char out[108];
  const char* env1[] = {"FOO=1", "LICET_SOCKET=/x/y.sock", "XDG_RUNTIME_DIR=/run/user/7", nullptr};
  ASSERT_TRUE(StubSocketPath(env1, out));
  EXPECT_STREQ(out, "/x/y.sock");
  const char* env2[] = {"LICET_SOCKETX=/no", "XDG_RUNTIME_DIR=/run/user/7", nullptr};
  ASSERT_TRUE(StubSocketPath(env2, out));
  if (::geteuid() == 0) {
    EXPECT_STREQ(out, "/run/licet/licetd.sock");
  } else {
    EXPECT_STREQ(out, "/run/user/7/licet/licetd.sock");
    ASSERT_TRUE(StubSocketPath(nullptr, out));
    EXPECT_EQ(std::string(out), "/tmp/licet-" + std::to_string(::geteuid()) + "/licetd.sock");
  }
  std::string longpath = "LICET_SOCKET=/" + std::string(120, 'a');
  const char* env3[] = {longpath.c_str(), nullptr};
  EXPECT_FALSE(StubSocketPath(env3, out));
}

// Runs last in the suite: restarts licetd under a live session.
TEST_F(StubClientTest, ZCheckReconnectsAfterLicetdRestart) {
  SecretBytes ck;
  key::Descriptor d = Make(kProduct, 1, &ck);
  auto s = std::make_unique<StubSession>();
  StubMessage err;
  unsigned char out[32];
  ASSERT_EQ(StubAccessAndUnwrap(d, envp_.data(), out, s.get(), &err), 0) << err.text;
  fixture_->StopDaemon();
  StubStatus st;
  EXPECT_EQ(StubCheck(s.get(), &st), kCodeUnavailable);
  std::string why;
  // A new daemon over the same home: the check takes a new access.
  ASSERT_TRUE(fixture_->Restart().ok());
  EXPECT_EQ(StubCheck(s.get(), &st), 0);
  EXPECT_EQ(st.units_left, 1000);
  StubRelease(s.get());
}

}  // namespace
}  // namespace licet::protect::stub
