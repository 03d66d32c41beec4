// A prepared AES-256-GCM key, for a key that protects many messages (licetd's per-handle
// crypt keys). Part of the crypto module: OpenSSL stays behind this header.
#ifndef LICET_CRYPTO_AES_GCM_KEY_H_
#define LICET_CRYPTO_AES_GCM_KEY_H_

#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace licet::crypto {

// AesGcmEncryptInPlace makes a cipher context, and expands the key and the GHASH tables, on
// every call (about a microsecond); an AesGcmKey does that once and then only sets the nonce,
// so a message costs what `openssl speed -evp aes-256-gcm` measures. It can also run one
// message in pieces (Begin, Update..., Finish), which lets licetd publish its progress
// through a large buffer. The results are those of AesGcmEncrypt / AesGcmDecrypt.
//
// The expanded key lives in OpenSSL's context and is cleansed when the object is destroyed.
// Not thread-safe: one message at a time, on one thread at a time (give each thread its own
// key, or hand the object over). Movable; a moved-from key must not be used.
class AesGcmKey {
 public:
  // kInvalidArgument for a key that is not 32 bytes; kCryptoError if OpenSSL refuses it.
  [[nodiscard]] static Result<AesGcmKey> Create(ByteSpan key);

  AesGcmKey(AesGcmKey&&) noexcept;
  AesGcmKey& operator=(AesGcmKey&&) noexcept;
  ~AesGcmKey();

  // Starts a message with `nonce` (12 bytes, else kInvalidArgument) and `aad`, abandoning any
  // message in progress.
  [[nodiscard]] Status Begin(bool encrypt, ByteSpan nonce, ByteSpan aad = {});
  // Encrypts or decrypts the next in.size() bytes of the message into `out` (the same size,
  // else kInvalidArgument; `out` may be `in` itself, not an otherwise overlapping range). Any
  // number of calls of any sizes make the same result as one. kInternal without Begin.
  [[nodiscard]] Status Update(ByteSpan in, std::span<uint8_t> out);
  // Ends an encrypted message and writes its tag. kInternal without an encrypting Begin.
  [[nodiscard]] Status FinishEncrypt(std::span<uint8_t, kTagSize> tag);
  // Ends a decrypted message: OK when `tag` authenticates it, else kDecryptFailed. The caller
  // must then discard what Update produced (the one-shot DecryptInPlace zeroes it).
  // kInternal without a decrypting Begin.
  [[nodiscard]] Status FinishDecrypt(std::span<const uint8_t, kTagSize> tag);

  // One message at once: as AesGcmEncryptInPlace / AesGcmDecryptInPlace with this key
  // (DecryptInPlace zeroes `data` when the tag does not match).
  [[nodiscard]] Status EncryptInPlace(ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                                      std::span<uint8_t, kTagSize> tag);
  [[nodiscard]] Status DecryptInPlace(ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                                      std::span<const uint8_t, kTagSize> tag);

 private:
  struct State;
  explicit AesGcmKey(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace licet::crypto

#endif  // LICET_CRYPTO_AES_GCM_KEY_H_
