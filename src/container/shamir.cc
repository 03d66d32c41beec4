#include "container/shamir.h"

#include <array>
#include <string>

#include "container/gf256.h"
#include "crypto/crypto.h"

namespace licet::container {

Result<std::vector<ShamirShare>> ShamirSplit(ByteSpan secret, int threshold, int count) {
  if (secret.empty()) return Error(ErrorCode::kInvalidArgument, "cannot split an empty secret");
  if (threshold < 2 || threshold > count || count > 255) {
    return Error(ErrorCode::kInvalidArgument,
                 "Shamir split needs 1 < threshold <= count <= 255, got threshold " +
                     std::to_string(threshold) + " and count " + std::to_string(count));
  }
  const size_t degree = static_cast<size_t>(threshold - 1);
  // coefficients[i * degree + j] is the coefficient of x^(j+1) in the polynomial of byte i;
  // the constant term is the secret byte itself.
  SecretBytes coefficients = crypto::RandomSecret(secret.size() * degree);

  std::vector<ShamirShare> shares(static_cast<size_t>(count));
  for (int index = 0; index < count; ++index) {
    ShamirShare& share = shares[static_cast<size_t>(index)];
    share.x = static_cast<uint8_t>(index + 1);
    share.y = SecretBytes(secret.size());
    for (size_t i = 0; i < secret.size(); ++i) {
      // Horner's rule from the highest coefficient down to the secret byte.
      const uint8_t* poly = coefficients.data() + i * degree;
      uint8_t value = 0;
      for (size_t j = degree; j > 0; --j) {
        value = gf256::Add(gf256::Mul(value, share.x), poly[j - 1]);
      }
      share.y.data()[i] = gf256::Add(gf256::Mul(value, share.x), secret[i]);
    }
  }
  return shares;
}

Result<SecretBytes> ShamirCombine(std::span<const ShamirShare> shares) {
  if (shares.empty()) return Error(ErrorCode::kInvalidArgument, "no Shamir shares to combine");
  const size_t length = shares.front().y.size();
  if (length == 0) return Error(ErrorCode::kInvalidArgument, "empty Shamir share");
  std::array<bool, 256> seen{};
  for (const ShamirShare& share : shares) {
    if (share.x == 0) return Error(ErrorCode::kInvalidArgument, "Shamir share with x = 0");
    if (seen[share.x]) {
      return Error(ErrorCode::kInvalidArgument,
                   "duplicate Shamir share x = " + std::to_string(share.x));
    }
    seen[share.x] = true;
    if (share.y.size() != length) {
      return Error(ErrorCode::kInvalidArgument, "Shamir shares of different lengths");
    }
  }

  // secret = sum_i y_i * L_i(0), L_i(0) = prod_{j != i} x_j / (x_j - x_i). The x are public,
  // only the y are secret; both go through the constant-time operations anyway.
  SecretBytes secret(length);
  for (size_t i = 0; i < shares.size(); ++i) {
    uint8_t numerator = 1;
    uint8_t denominator = 1;
    for (size_t j = 0; j < shares.size(); ++j) {
      if (j == i) continue;
      numerator = gf256::Mul(numerator, shares[j].x);
      denominator = gf256::Mul(denominator, gf256::Add(shares[j].x, shares[i].x));
    }
    const uint8_t basis = gf256::Div(numerator, denominator);
    const uint8_t* y = shares[i].y.data();
    for (size_t b = 0; b < length; ++b) {
      secret.data()[b] = gf256::Add(secret.data()[b], gf256::Mul(y[b], basis));
    }
  }
  return secret;
}

}  // namespace licet::container
