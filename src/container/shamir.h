// Shamir secret sharing over GF(2^8), byte by byte: a secret is split into `count` shares of
// which any `threshold` reconstruct it and fewer reveal nothing about it.
//
// The soft container splits its master key this way across device properties (see
// device_binding.h). Arithmetic is constant-time in the secret (gf256.h).
#ifndef LICET_CONTAINER_SHAMIR_H_
#define LICET_CONTAINER_SHAMIR_H_

#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::container {

// One share: the polynomials evaluated at `x` (never 0: f(0) is the secret), one byte of `y`
// per byte of the secret. `y` is secret material.
struct ShamirShare {
  uint8_t x = 0;
  SecretBytes y;
};

// Splits `secret` into `count` shares with x = 1..count, any `threshold` of which reconstruct
// it. Coefficients come from crypto::RandomSecret. Requires 1 < threshold <= count <= 255 and
// a non-empty secret; otherwise kInvalidArgument.
[[nodiscard]] Result<std::vector<ShamirShare>> ShamirSplit(ByteSpan secret, int threshold,
                                                           int count);

// Lagrange interpolation at 0 of the given shares. It cannot tell whether enough shares were
// given: fewer than the threshold yield an unrelated value, so callers verify the result
// (the soft container opens its AEAD-protected body with it). The result depends only on the
// set of shares, not on their order. kInvalidArgument when there are no shares, an x is 0 or
// repeated, or the y lengths differ or are 0.
[[nodiscard]] Result<SecretBytes> ShamirCombine(std::span<const ShamirShare> shares);

}  // namespace licet::container

#endif  // LICET_CONTAINER_SHAMIR_H_
