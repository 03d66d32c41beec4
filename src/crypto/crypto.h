// Licet's cryptography: standard algorithms through OpenSSL 3 EVP, nothing home-made.
// This module is the only place that includes <openssl/*>.
//
// Sizes are fixed by the algorithms: Ed25519 and X25519 keys are 32 bytes, Ed25519
// signatures 64, AES-256-GCM keys 32, nonces 12 and tags 16. Functions that take keys
// check their sizes and return kInvalidArgument otherwise.
#ifndef LICET_CRYPTO_CRYPTO_H_
#define LICET_CRYPTO_CRYPTO_H_

#include <array>
#include <cstdint>
#include <memory>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::crypto {

inline constexpr size_t kKeySize = 32;         // Ed25519, X25519, AES-256
inline constexpr size_t kSignatureSize = 64;   // Ed25519
inline constexpr size_t kNonceSize = 12;       // AES-GCM
inline constexpr size_t kTagSize = 16;         // AES-GCM
inline constexpr size_t kHashSize = 32;        // SHA-256

using Hash = std::array<uint8_t, kHashSize>;

// Cryptographically secure random bytes (RAND_bytes). Aborts only if the DRBG is broken.
Bytes RandomBytes(size_t n);
SecretBytes RandomSecret(size_t n);
// A uniformly random integer in [0, bound).
uint64_t RandomUniform(uint64_t bound);

Hash Sha256(ByteSpan data);

// Constant-time equality (CRYPTO_memcmp); false when the sizes differ.
[[nodiscard]] bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

// A key pair: the private key is the 32-byte seed (Ed25519) or scalar (X25519).
struct KeyPair {
  SecretBytes private_key;
  Bytes public_key;
};

// Ed25519 (RFC 8032), pure EdDSA as COSE's alg -8 uses it.
Result<KeyPair> Ed25519Generate();
Result<Bytes> Ed25519PublicFromPrivate(const SecretBytes& private_key);
Result<Bytes> Ed25519Sign(const SecretBytes& private_key, ByteSpan message);
// OK when `signature` is a valid signature of `message` by `public_key`; kBadSignature if not.
[[nodiscard]] Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature);

// A prepared Ed25519 signing key, for a key that signs many messages (Central's firm
// keys). Ed25519Sign imports the seed on every call, and the import re-derives the public
// key (a scalar multiplication as costly as a signature); a signer does that once, and
// keeps a few ready signing contexts, so that Sign costs what `openssl speed` measures.
// The private key lives in OpenSSL's key object (cleansed when freed) until the signer is
// destroyed. Sign is thread-safe; moving is not, and a moved-from signer must not be used.
class Ed25519Signer {
 public:
  // kInvalidArgument for a seed that is not 32 bytes; kCryptoError if OpenSSL refuses it.
  static Result<Ed25519Signer> Create(const SecretBytes& private_key);

  Ed25519Signer(Ed25519Signer&&) noexcept;
  Ed25519Signer& operator=(Ed25519Signer&&) noexcept;
  ~Ed25519Signer();

  // The same signature as Ed25519Sign(private_key, message) (Ed25519 is deterministic).
  Result<Bytes> Sign(ByteSpan message) const;
  const Bytes& public_key() const;

 private:
  struct State;
  explicit Ed25519Signer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// X25519 (RFC 7748).
Result<KeyPair> X25519Generate();
Result<Bytes> X25519PublicFromPrivate(const SecretBytes& private_key);
// The raw shared secret; refuses an all-zero result (a small-order peer key).
Result<SecretBytes> X25519SharedSecret(const SecretBytes& private_key, ByteSpan peer_public_key);

// Ephemeral-static X25519 (ECDH-ES, as COSE encryption to a recipient uses it): a fresh key
// pair agrees with `peer_public_key` once and its private half is dropped. Two X25519
// operations, where X25519Generate + X25519SharedSecret take three (the shared-secret call
// imports the private key, and OpenSSL derives its public key again). kInvalidArgument for a
// peer key of the wrong size; kDecryptFailed for a small-order peer key (all-zero secret).
struct X25519Agreement {
  Bytes public_key;  // the ephemeral public key, to send along
  SecretBytes shared_secret;
};
Result<X25519Agreement> X25519Ephemeral(ByteSpan peer_public_key);

// HKDF-SHA256 (RFC 5869): extract with `salt` (empty = zeros), expand to `length` bytes.
Result<SecretBytes> HkdfSha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t length);

// AES-256-GCM. Encrypt returns ciphertext || 16-byte tag. Decrypt verifies the tag and
// returns kDecryptFailed when it does not match (wrong key, nonce, aad or tampering).
Result<Bytes> AesGcmEncrypt(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan plaintext);
Result<SecretBytes> AesGcmDecrypt(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                  ByteSpan ciphertext_and_tag);

// In-place variants for large buffers (benchmarks, licet_crypt): `data` is encrypted or
// decrypted where it lies; the tag is written to or read from `tag`.
Status AesGcmEncryptInPlace(ByteSpan key, ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                            std::span<uint8_t, kTagSize> tag);
Status AesGcmDecryptInPlace(ByteSpan key, ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                            std::span<const uint8_t, kTagSize> tag);

// AES-256-CTR (NIST SP 800-38A): XORs `data` in place with the keystream that starts at the
// 16-byte counter block `iv16`, which is incremented as one 128-bit big-endian number.
// Encryption and decryption are the same call. No integrity: callers that need it use GCM.
inline constexpr size_t kCtrBlockSize = 16;
Status AesCtrXor(ByteSpan key, ByteSpan iv16, std::span<uint8_t> data);

// scrypt (RFC 7914) for passphrases, N=2^15, r=8, p=1: the vendor's firm.key protection.
Result<SecretBytes> ScryptPassphrase(std::string_view passphrase, ByteSpan salt, size_t length);

}  // namespace licet::crypto

#endif  // LICET_CRYPTO_CRYPTO_H_
