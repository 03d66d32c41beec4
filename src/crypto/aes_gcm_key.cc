#include "crypto/aes_gcm_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>
#include <utility>

namespace licet::crypto {
namespace {

// Fetched once for the process: naming the cipher through the legacy EVP_aes_256_gcm() makes
// OpenSSL 3 look it up under a lock on every initialisation.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

Status CryptoError(const char* what) {
  return Error(ErrorCode::kCryptoError, std::string("OpenSSL: ") + what + " failed");
}

}  // namespace

struct AesGcmKey::State {
  enum class Phase { kIdle, kEncrypting, kDecrypting };

  ~State() { EVP_CIPHER_CTX_free(ctx); }

  EVP_CIPHER_CTX* ctx = nullptr;
  Phase phase = Phase::kIdle;
};

AesGcmKey::AesGcmKey(std::unique_ptr<State> state) : state_(std::move(state)) {}
AesGcmKey::AesGcmKey(AesGcmKey&&) noexcept = default;
AesGcmKey& AesGcmKey::operator=(AesGcmKey&&) noexcept = default;
AesGcmKey::~AesGcmKey() = default;

Result<AesGcmKey> AesGcmKey::Create(ByteSpan key) {
  if (key.size() != kKeySize) {
    return Error(ErrorCode::kInvalidArgument,
                 "AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  auto state = std::make_unique<State>();
  state->ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* cipher = Aes256Gcm();
  // The key is expanded here, once; Begin only sets the nonce (a null key keeps it).
  if (state->ctx == nullptr || cipher == nullptr ||
      EVP_CipherInit_ex(state->ctx, cipher, nullptr, key.data(), nullptr, 1) != 1) {
    return CryptoError("AES-GCM key setup");
  }
  return AesGcmKey(std::move(state));
}

Status AesGcmKey::Begin(bool encrypt, ByteSpan nonce, ByteSpan aad) {
  state_->phase = State::Phase::kIdle;
  if (nonce.size() != kNonceSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "AES-GCM nonce must be 12 bytes, got " + std::to_string(nonce.size()));
  }
  if (EVP_CipherInit_ex(state_->ctx, nullptr, nullptr, nullptr, nonce.data(), encrypt ? 1 : 0) !=
      1) {
    return CryptoError("AES-GCM init");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(state_->ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return CryptoError("AES-GCM aad");
  }
  state_->phase = encrypt ? State::Phase::kEncrypting : State::Phase::kDecrypting;
  return Status::Ok();
}

Status AesGcmKey::Update(ByteSpan in, std::span<uint8_t> out) {
  if (state_->phase == State::Phase::kIdle) {
    return Error(ErrorCode::kInternal, "AesGcmKey::Update without Begin");
  }
  if (in.size() != out.size()) {
    return Error(ErrorCode::kInvalidArgument, "AesGcmKey::Update: input and output sizes differ");
  }
  // EVP takes int lengths: buffers over 2 GiB go in pieces.
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t done = 0; done < in.size();) {
    const size_t n = std::min(kPiece, in.size() - done);
    int len = 0;
    if (EVP_CipherUpdate(state_->ctx, out.data() + done, &len, in.data() + done,
                         static_cast<int>(n)) != 1) {
      state_->phase = State::Phase::kIdle;
      return CryptoError("AES-GCM update");
    }
    done += n;
  }
  return Status::Ok();
}

Status AesGcmKey::FinishEncrypt(std::span<uint8_t, kTagSize> tag) {
  if (state_->phase != State::Phase::kEncrypting) {
    return Error(ErrorCode::kInternal, "AesGcmKey::FinishEncrypt without an encrypting Begin");
  }
  state_->phase = State::Phase::kIdle;
  int len = 0;
  if (EVP_EncryptFinal_ex(state_->ctx, nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(state_->ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    return CryptoError("AES-GCM final");
  }
  return Status::Ok();
}

Status AesGcmKey::FinishDecrypt(std::span<const uint8_t, kTagSize> tag) {
  if (state_->phase != State::Phase::kDecrypting) {
    return Error(ErrorCode::kInternal, "AesGcmKey::FinishDecrypt without a decrypting Begin");
  }
  state_->phase = State::Phase::kIdle;
  // The control call takes a non-const pointer.
  uint8_t expected[kTagSize];
  std::copy(tag.begin(), tag.end(), expected);
  int len = 0;
  if (EVP_CIPHER_CTX_ctrl(state_->ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          expected) != 1 ||
      EVP_DecryptFinal_ex(state_->ctx, nullptr, &len) != 1) {
    return Error(ErrorCode::kDecryptFailed, "authentication tag does not match");
  }
  return Status::Ok();
}

Status AesGcmKey::EncryptInPlace(ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                                 std::span<uint8_t, kTagSize> tag) {
  LICET_RETURN_IF_ERROR(Begin(true, nonce, aad));
  LICET_RETURN_IF_ERROR(Update(data, data));
  return FinishEncrypt(tag);
}

Status AesGcmKey::DecryptInPlace(ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                                 std::span<const uint8_t, kTagSize> tag) {
  LICET_RETURN_IF_ERROR(Begin(false, nonce, aad));
  Status st = Update(data, data);
  if (st.ok()) st = FinishDecrypt(tag);
  // Never hand back unauthenticated plaintext.
  if (!st.ok() && !data.empty()) OPENSSL_cleanse(data.data(), data.size());
  return st;
}

}  // namespace licet::crypto
