#include "container/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "container/gf256.h"
#include "crypto/crypto.h"

namespace licet::container {
namespace {

// FIPS-197 section 4.2: {57} * {83} = {c1}, {57} * {13} = {fe}; {53} and {ca} are inverses.
static_assert(gf256::Mul(0x57, 0x83) == 0xC1);
static_assert(gf256::Mul(0x57, 0x13) == 0xFE);
static_assert(gf256::Mul(0x53, 0xCA) == 0x01);
static_assert(gf256::Inverse(0x53) == 0xCA);

// A plainly written reference multiplication (branches are fine in a test).
uint8_t ReferenceMul(uint8_t a, uint8_t b) {
  unsigned product = 0;
  for (unsigned aa = a, bb = b; bb != 0; bb >>= 1) {
    if (bb & 1) product ^= aa;
    aa <<= 1;
    if (aa & 0x100) aa ^= 0x11B;
  }
  return static_cast<uint8_t>(product);
}

TEST(Gf256Test, KnownAnswers) {
  EXPECT_EQ(gf256::Mul(0x53, 0xCA), 0x01);
  EXPECT_EQ(gf256::Mul(0x57, 0x83), 0xC1);
  EXPECT_EQ(gf256::Inverse(0x53), 0xCA);
  EXPECT_EQ(gf256::Inverse(0xCA), 0x53);
  EXPECT_EQ(gf256::Inverse(0x01), 0x01);
  EXPECT_EQ(gf256::Inverse(0x00), 0x00);
}

TEST(Gf256Test, MatchesReferenceExhaustively) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(gf256::Mul(static_cast<uint8_t>(a), static_cast<uint8_t>(b)),
                ReferenceMul(static_cast<uint8_t>(a), static_cast<uint8_t>(b)))
          << a << " * " << b;
    }
    if (a != 0) {
      ASSERT_EQ(gf256::Mul(static_cast<uint8_t>(a), gf256::Inverse(static_cast<uint8_t>(a))), 1)
          << a;
    }
  }
}

std::vector<ShamirShare> Pick(const std::vector<ShamirShare>& all, const std::vector<int>& idx) {
  std::vector<ShamirShare> out;
  for (int i : idx) out.push_back({all[i].x, all[i].y.Clone()});
  return out;
}

// Calls f with every k-element subset of {0..n-1}.
template <typename F>
void ForEachSubset(int n, int k, F f) {
  std::vector<bool> mask(static_cast<size_t>(n), false);
  std::fill(mask.begin(), mask.begin() + k, true);
  do {
    std::vector<int> idx;
    for (int i = 0; i < n; ++i)
      if (mask[i]) idx.push_back(i);
    f(idx);
  } while (std::prev_permutation(mask.begin(), mask.end()));
}

TEST(ShamirTest, EveryThresholdSubsetReconstructs) {
  SecretBytes secret = crypto::RandomSecret(32);
  for (int k = 2; k <= 5; ++k) {
    auto shares = ShamirSplit(secret.span(), k, 5);
    ASSERT_TRUE(shares.ok()) << shares.status().ToString();
    ASSERT_EQ(shares->size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ((*shares)[i].x, i + 1);
    int subsets = 0;
    for (int m = k; m <= 5; ++m) {
      ForEachSubset(5, m, [&](const std::vector<int>& idx) {
        auto picked = Pick(*shares, idx);
        auto combined = ShamirCombine(picked);
        ASSERT_TRUE(combined.ok());
        EXPECT_TRUE(crypto::ConstantTimeEqual(combined->span(), secret.span()));
        // Order does not matter.
        std::reverse(picked.begin(), picked.end());
        EXPECT_TRUE(crypto::ConstantTimeEqual(ShamirCombine(picked)->span(), secret.span()));
        ++subsets;
      });
    }
    EXPECT_GT(subsets, 0);
  }
}

TEST(ShamirTest, FewerThanThresholdDoNotGiveTheSecret) {
  for (int trial = 0; trial < 20; ++trial) {
    SecretBytes secret = crypto::RandomSecret(32);
    auto shares = ShamirSplit(secret.span(), 4, 5);
    ASSERT_TRUE(shares.ok());
    ForEachSubset(5, 3, [&](const std::vector<int>& idx) {
      auto combined = ShamirCombine(Pick(*shares, idx));
      ASSERT_TRUE(combined.ok());
      EXPECT_FALSE(crypto::ConstantTimeEqual(combined->span(), secret.span()));
    });
  }
}

// With threshold k, k-1 shares are consistent with every possible secret: the shares of a
// one-byte secret s, for fixed random coefficients, say nothing about s. We check the weaker,
// testable consequence: the share of one index is uniformly distributed whatever the secret.
TEST(ShamirTest, SingleShareIsIndependentOfSecret) {
  std::vector<int> counts_zero(256, 0), counts_ff(256, 0);
  const uint8_t zero = 0x00, ff = 0xFF;
  for (int i = 0; i < 256 * 64; ++i) {
    counts_zero[(*ShamirSplit(ByteSpan(&zero, 1), 2, 3))[0].y.data()[0]]++;
    counts_ff[(*ShamirSplit(ByteSpan(&ff, 1), 2, 3))[0].y.data()[0]]++;
  }
  // Each of the 256 values expected 64 times; a share equal to the secret would show up
  // as a spike. Bounds are loose enough never to flake (p < 1e-12 per bucket).
  for (int v = 0; v < 256; ++v) {
    EXPECT_GT(counts_zero[v], 15) << v;
    EXPECT_LT(counts_zero[v], 140) << v;
    EXPECT_GT(counts_ff[v], 15) << v;
    EXPECT_LT(counts_ff[v], 140) << v;
  }
}

TEST(ShamirTest, SplitRefusesBadParameters) {
  SecretBytes secret = crypto::RandomSecret(16);
  EXPECT_EQ(ShamirSplit(secret.span(), 1, 3).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret.span(), 0, 3).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret.span(), 4, 3).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret.span(), 2, 256).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret.span(), -1, -1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit({}, 2, 3).status().code(), ErrorCode::kInvalidArgument);
  auto max = ShamirSplit(secret.span(), 255, 255);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->back().x, 255);
  EXPECT_TRUE(crypto::ConstantTimeEqual(ShamirCombine(*max)->span(), secret.span()));
}

TEST(ShamirTest, CombineRefusesBadShares) {
  SecretBytes secret = crypto::RandomSecret(16);
  auto shares = *ShamirSplit(secret.span(), 2, 3);

  EXPECT_EQ(ShamirCombine({}).status().code(), ErrorCode::kInvalidArgument);

  auto zero_x = Pick(shares, {0, 1});
  zero_x[0].x = 0;
  EXPECT_EQ(ShamirCombine(zero_x).status().code(), ErrorCode::kInvalidArgument);

  auto duplicate = Pick(shares, {0, 0});
  EXPECT_EQ(ShamirCombine(duplicate).status().code(), ErrorCode::kInvalidArgument);

  auto short_y = Pick(shares, {0, 1});
  short_y[1].y.resize(15);
  EXPECT_EQ(ShamirCombine(short_y).status().code(), ErrorCode::kInvalidArgument);

  std::vector<ShamirShare> empty_y;
  empty_y.push_back({1, SecretBytes()});
  empty_y.push_back({2, SecretBytes()});
  EXPECT_EQ(ShamirCombine(empty_y).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace licet::container
