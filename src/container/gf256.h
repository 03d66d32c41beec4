// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), for Shamir
// secret sharing.
//
// The operands are secret bytes, so nothing here branches on them or indexes a table with
// them: multiplication is shift-and-xor with masks, inversion is exponentiation (a^254).
// Lookup tables of logarithms would be faster and would leak the secret through the cache.
#ifndef LICET_CONTAINER_GF256_H_
#define LICET_CONTAINER_GF256_H_

#include <cstdint>

namespace licet::container::gf256 {

// a + b (and a - b): bitwise xor.
constexpr uint8_t Add(uint8_t a, uint8_t b) { return static_cast<uint8_t>(a ^ b); }

// a * b modulo 0x11B, in constant time.
constexpr uint8_t Mul(uint8_t a, uint8_t b) {
  uint8_t product = 0;
  for (int bit = 0; bit < 8; ++bit) {
    // 0xFF when the low bit of b is set, else 0x00: a mask instead of a branch.
    const uint8_t take = static_cast<uint8_t>(-(b & 1));
    product = static_cast<uint8_t>(product ^ (a & take));
    const uint8_t carry = static_cast<uint8_t>(-(a >> 7));
    a = static_cast<uint8_t>((a << 1) ^ (0x1B & carry));
    b = static_cast<uint8_t>(b >> 1);
  }
  return product;
}

// The multiplicative inverse a^254 (a^255 = 1 for a != 0), in constant time. Inverse(0) is 0,
// which callers never rely on: they divide only by differences of distinct share indexes.
constexpr uint8_t Inverse(uint8_t a) {
  // a^254 = a^2 * a^4 * a^8 * ... * a^128: seven squarings and six multiplications.
  uint8_t power = Mul(a, a);  // a^2
  uint8_t result = power;
  for (int i = 0; i < 6; ++i) {
    power = Mul(power, power);
    result = Mul(result, power);
  }
  return result;
}

// a / b for b != 0.
constexpr uint8_t Div(uint8_t a, uint8_t b) { return Mul(a, Inverse(b)); }

}  // namespace licet::container::gf256

#endif  // LICET_CONTAINER_GF256_H_
