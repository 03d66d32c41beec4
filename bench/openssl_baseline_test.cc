#include "bench/openssl_baseline.h"

#include <gtest/gtest.h>

namespace licet::bench {
namespace {

// Captured from Debian 12's OpenSSL 3.0 (`openssl speed -elapsed -mr ...`), with the
// progress lines it prints around the results.
constexpr char kPkiOutput[] =
    "+DTP:253:sign:Ed25519:1\n"
    "+R8:34693:253:Ed25519:1.00\n"
    "+DTP:253:verify:Ed25519:1\n"
    "+R9:16269:253:Ed25519:1.00\n"
    "+DTP:253::ecdh:1\n"
    "+R7:41307:253:1.00\n"
    "+F5:22:253:41307.000000:0.000024\n"
    "+F6:0:253:Ed25519:34693.000000:16269.000000\n";

constexpr char kAesOutput[] =
    "+DT:AES-256-GCM:1:1500\n"
    "+R:1655518:AES-256-GCM:1.000000\n"
    "+H:1500\n"
    "+F:25:AES-256-GCM:2483277000.00\n";

TEST(OpensslBaselineTest, ParsesEd25519) {
  auto r = ParseEd25519Speed(kPkiOutput);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->sign_per_s, 34693.0);
  EXPECT_DOUBLE_EQ(r->verify_per_s, 16269.0);
}

TEST(OpensslBaselineTest, ParsesX25519) {
  auto r = ParseX25519Speed(kPkiOutput);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(*r, 41307.0);
}

TEST(OpensslBaselineTest, ParsesCipherAtItsSize) {
  auto r = ParseCipherSpeed(kAesOutput, "aes-256-gcm", 1500);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(*r, 2483277000.0);
  // The default table of sizes: the right column is picked.
  auto table =
      ParseCipherSpeed("+H:16:64:256\n+F:25:AES-256-GCM:1.00:2.00:3.00\n", "AES-256-GCM", 64);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_DOUBLE_EQ(*table, 2.0);
}

TEST(OpensslBaselineTest, RefusesMissingOrBadFigures) {
  EXPECT_EQ(ParseEd25519Speed("").status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(ParseEd25519Speed("speed: Unknown algorithm ed25519\n").status().code(),
            ErrorCode::kCorruptData);
  // Another EdDSA curve is not Ed25519.
  EXPECT_FALSE(ParseEd25519Speed("+F6:1:456:Ed448:100.0:50.0\n").ok());
  // Not numbers, zero, negative, trailing junk, too few fields.
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:abc:1.0\n").ok());
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:0:1.0\n").ok());
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:-5:1.0\n").ok());
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:5x:1.0\n").ok());
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:5\n").ok());
  EXPECT_FALSE(ParseEd25519Speed("+F6:0:253:Ed25519:inf:1.0\n").ok());
  // X448 (448 bits) is not X25519.
  EXPECT_FALSE(ParseX25519Speed("+F5:23:448:1000.0:0.001\n").ok());
  EXPECT_FALSE(ParseX25519Speed("+F5:22:253:nan:0.001\n").ok());
  // Wrong cipher, wrong size, no size line, a size line that does not match the results.
  EXPECT_FALSE(ParseCipherSpeed(kAesOutput, "AES-128-GCM", 1500).ok());
  EXPECT_FALSE(ParseCipherSpeed(kAesOutput, "AES-256-GCM", 4096).ok());
  EXPECT_FALSE(ParseCipherSpeed("+F:25:AES-256-GCM:100.0\n", "AES-256-GCM", 1500).ok());
  EXPECT_FALSE(ParseCipherSpeed("+H:16:64\n+F:25:AES-256-GCM:100.0\n", "AES-256-GCM", 16).ok());
  EXPECT_FALSE(ParseCipherSpeed("+H:sixteen\n+F:25:AES-256-GCM:100.0\n", "AES-256-GCM", 16).ok());
}

TEST(OpensslBaselineTest, DerivedRates) {
  OpensslBaseline b;
  b.ed25519_sign_per_s = 30000;
  b.ed25519_verify_per_s = 15000;
  EXPECT_DOUBLE_EQ(b.Ed25519SignVerifyPerS(), 10000.0);  // 1/(1/30000 + 1/15000)
  bool exact = true;
  EXPECT_EQ(b.AesGcmOpsPerS(4096, &exact), 0.0);
  b.aes_gcm_bytes_per_s[4096] = 4096.0 * 1000;
  b.aes_gcm_bytes_per_s[16384] = 16384.0 * 500;
  EXPECT_DOUBLE_EQ(b.AesGcmOpsPerS(4096, &exact), 1000.0);
  EXPECT_TRUE(exact);
  // 2048 bytes: estimated from the nearest measured size (4096), at its bytes/s.
  EXPECT_DOUBLE_EQ(b.AesGcmOpsPerS(2048, &exact), 2000.0);
  EXPECT_FALSE(exact);
  EXPECT_DOUBLE_EQ(b.AesGcmOpsPerS(20000, &exact), 16384.0 * 500 / 20000);
}

TEST(OpensslBaselineTest, MissingBinaryIsAClearError) {
  BaselineOptions options;
  options.openssl = "/nonexistent/openssl";
  auto r = MeasureOpensslBaseline(options);
  ASSERT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("apt-get install openssl"), std::string::npos)
      << r.status().message();
}

TEST(OpensslBaselineTest, FailingOrForeignBinaryIsRefused) {
  BaselineOptions options;
  options.openssl = "false";  // exits 1
  EXPECT_EQ(MeasureOpensslBaseline(options).status().code(), ErrorCode::kIoError);
  options.openssl = "echo";  // succeeds but prints no figures
  EXPECT_EQ(MeasureOpensslBaseline(options).status().code(), ErrorCode::kCorruptData);
  options.seconds = 0;
  EXPECT_EQ(MeasureOpensslBaseline(options).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace licet::bench
