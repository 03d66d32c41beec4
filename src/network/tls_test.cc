#include "network/tls.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/env.h"

namespace licet::network {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licet-tls-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / "sub" / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(TlsTest, MakesACertificateOnceWithAPrivateKey) {
  ASSERT_TRUE(EnsureServerCertificate(Path("server.crt"), Path("server.key"), "ws1").ok());
  struct stat st {};
  ASSERT_EQ(::stat(Path("server.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto fp = CertificateFingerprint(Path("server.crt"));
  ASSERT_TRUE(fp.ok()) << fp.status().ToString();
  EXPECT_EQ(fp->size(), 32u);
  // A second start keeps the identity.
  ASSERT_TRUE(EnsureServerCertificate(Path("server.crt"), Path("server.key"), "ws1").ok());
  EXPECT_EQ(*CertificateFingerprint(Path("server.crt")), *fp);
  EXPECT_TRUE(MakeServerContext({Path("server.crt"), Path("server.key"), ""}).ok());
}

TEST_F(TlsTest, RefusesAKeyWithoutItsCertificate) {
  ASSERT_TRUE(EnsureServerCertificate(Path("server.crt"), Path("server.key"), "ws1").ok());
  std::filesystem::remove(Path("server.crt"));
  EXPECT_EQ(EnsureServerCertificate(Path("server.crt"), Path("server.key"), "ws1").code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(TlsTest, MismatchedKeyIsRefused) {
  ASSERT_TRUE(EnsureServerCertificate(Path("a.crt"), Path("a.key"), "a").ok());
  ASSERT_TRUE(EnsureServerCertificate(Path("b.crt"), Path("b.key"), "b").ok());
  EXPECT_FALSE(MakeServerContext({Path("a.crt"), Path("b.key"), ""}).ok());
  EXPECT_FALSE(MakeServerContext({Path("missing.crt"), Path("a.key"), ""}).ok());
}

TEST_F(TlsTest, FingerprintTextForms) {
  Bytes fp(32, 0xab);
  std::string text = FormatFingerprint(fp);
  EXPECT_EQ(text.substr(0, 7), "sha256:");
  EXPECT_EQ(*ParseFingerprint(text), fp);
  std::string colons;
  for (int i = 0; i < 32; ++i) colons += (i ? ":" : "") + std::string("AB");
  EXPECT_EQ(*ParseFingerprint(colons), fp);
  EXPECT_FALSE(ParseFingerprint("sha256:abcd").ok());
  EXPECT_FALSE(ParseFingerprint(std::string(64, 'z')).ok());
  EXPECT_FALSE(ParseFingerprint("").ok());
}

TEST_F(TlsTest, ClientNeedsATrustAnchor) {
  EXPECT_EQ(MakeClientContext({}).status().code(), ErrorCode::kInvalidArgument);
  ClientTlsConfig pinned;
  pinned.pinned.push_back(Bytes(32, 1));
  EXPECT_TRUE(MakeClientContext(pinned).ok());
}

}  // namespace
}  // namespace licet::network
