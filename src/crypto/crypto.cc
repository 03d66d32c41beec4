#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace licet::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;

// OpenSSL 3 looks an algorithm up by name, under a lock, every time one is named through
// the legacy routes (EVP_aes_256_gcm(), EVP_sha256(), EVP_PKEY_HKDF); Central makes several
// such calls per activation from several threads. These are fetched once, for the life of
// the process. A null member means the fetch failed: the calls using it report an error.
struct Fetched {
  EVP_CIPHER* aes_256_gcm = nullptr;
  EVP_MD* sha256 = nullptr;
  EVP_KDF* hkdf = nullptr;  // 4.5 µs a derivation instead of 12 through EVP_PKEY_HKDF
};

const Fetched& Algorithms() {
  static const Fetched fetched = [] {
    Fetched f;
    f.aes_256_gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    f.sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    f.hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    return f;
  }();
  return fetched;
}

Status OpenSslError(const char* what) {
  return Error(ErrorCode::kCryptoError, std::string("OpenSSL: ") + what + " failed");
}

Status CheckSize(ByteSpan data, size_t size, const char* what) {
  if (data.size() != size) {
    return Error(ErrorCode::kInvalidArgument, std::string(what) + " must be " +
                                                  std::to_string(size) + " bytes, got " +
                                                  std::to_string(data.size()));
  }
  return Status::Ok();
}

Result<KeyPair> Generate(int type) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    return OpenSslError("key generation");
  }
  PkeyPtr key(raw);
  KeyPair pair;
  pair.private_key = SecretBytes(kKeySize);
  pair.public_key.resize(kKeySize);
  size_t priv_len = kKeySize, pub_len = kKeySize;
  if (EVP_PKEY_get_raw_private_key(key.get(), pair.private_key.data(), &priv_len) <= 0 ||
      EVP_PKEY_get_raw_public_key(key.get(), pair.public_key.data(), &pub_len) <= 0) {
    return OpenSslError("raw key export");
  }
  return pair;
}

Result<PkeyPtr> PrivateKey(int type, const SecretBytes& private_key) {
  LICET_RETURN_IF_ERROR(CheckSize(private_key.span(), kKeySize, "private key"));
  PkeyPtr key(EVP_PKEY_new_raw_private_key(type, nullptr, private_key.data(), private_key.size()));
  if (!key) return OpenSslError("private key import");
  return key;
}

Result<Bytes> PublicFromPrivate(int type, const SecretBytes& private_key) {
  LICET_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKey(type, private_key));
  Bytes pub(kKeySize);
  size_t len = kKeySize;
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) <= 0) {
    return OpenSslError("public key export");
  }
  return pub;
}

Status GcmInit(EVP_CIPHER_CTX* ctx, bool encrypt, ByteSpan key, ByteSpan nonce, ByteSpan aad) {
  LICET_RETURN_IF_ERROR(CheckSize(key, kKeySize, "AES-256-GCM key"));
  LICET_RETURN_IF_ERROR(CheckSize(nonce, kNonceSize, "AES-GCM nonce"));
  const EVP_CIPHER* cipher = Algorithms().aes_256_gcm;
  if (cipher == nullptr ||
      EVP_CipherInit_ex(ctx, cipher, nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1) {
    return OpenSslError("AES-GCM init");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslError("AES-GCM aad");
  }
  return Status::Ok();
}

// EVP takes int lengths: process in chunks so that buffers over 2 GiB work.
Status GcmUpdate(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t size) {
  constexpr size_t kChunk = 1u << 30;
  size_t done = 0;
  while (done < size) {
    size_t n = std::min(kChunk, size - done);
    int len = 0;
    if (EVP_CipherUpdate(ctx, out + done, &len, in + done, static_cast<int>(n)) != 1) {
      return OpenSslError("AES-GCM update");
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();
  return out;
}

SecretBytes RandomSecret(size_t n) {
  SecretBytes out(n);
  if (n > 0 && RAND_priv_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();
  return out;
}

uint64_t RandomUniform(uint64_t bound) {
  if (bound <= 1) return 0;
  // Rejection sampling avoids the modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    uint64_t v = 0;
    if (RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof v) != 1) std::abort();
    if (v < limit) return v % bound;
  }
}

Hash Sha256(ByteSpan data) {
  Hash out{};
  unsigned int len = 0;
  const EVP_MD* md = Algorithms().sha256;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    std::abort();
  }
  return out;
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<KeyPair> Ed25519Generate() { return Generate(EVP_PKEY_ED25519); }

Result<Bytes> Ed25519PublicFromPrivate(const SecretBytes& private_key) {
  return PublicFromPrivate(EVP_PKEY_ED25519, private_key);
}

Result<Bytes> Ed25519Sign(const SecretBytes& private_key, ByteSpan message) {
  LICET_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKey(EVP_PKEY_ED25519, private_key));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Bytes sig(kSignatureSize);
  size_t sig_len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &sig_len, message.data(), message.size()) != 1) {
    return OpenSslError("Ed25519 sign");
  }
  return sig;
}

struct Ed25519Signer::State {
  PkeyPtr key;
  Bytes public_key;
  // Signing contexts initialised with `key`, idle. A context signs one message at a time;
  // concurrent Sign calls each take one (or make one when none is idle).
  mutable std::mutex mu;
  mutable std::vector<MdCtxPtr> idle;
};

Ed25519Signer::Ed25519Signer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Ed25519Signer::Ed25519Signer(Ed25519Signer&&) noexcept = default;
Ed25519Signer& Ed25519Signer::operator=(Ed25519Signer&&) noexcept = default;
Ed25519Signer::~Ed25519Signer() = default;

Result<Ed25519Signer> Ed25519Signer::Create(const SecretBytes& private_key) {
  auto state = std::make_unique<State>();
  LICET_ASSIGN_OR_RETURN(state->key, PrivateKey(EVP_PKEY_ED25519, private_key));
  state->public_key.resize(kKeySize);
  size_t len = kKeySize;
  if (EVP_PKEY_get_raw_public_key(state->key.get(), state->public_key.data(), &len) <= 0 ||
      len != kKeySize) {
    return OpenSslError("Ed25519 public key export");
  }
  return Ed25519Signer(std::move(state));
}

const Bytes& Ed25519Signer::public_key() const { return state_->public_key; }

Result<Bytes> Ed25519Signer::Sign(ByteSpan message) const {
  MdCtxPtr ctx;
  {
    std::lock_guard g(state_->mu);
    if (!state_->idle.empty()) {
      ctx = std::move(state_->idle.back());
      state_->idle.pop_back();
    }
  }
  if (!ctx) {
    ctx.reset(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, state_->key.get()) != 1) {
      return OpenSslError("Ed25519 sign init");
    }
  }
  Bytes sig(kSignatureSize);
  size_t sig_len = sig.size();
  // EdDSA signs in one shot, so an initialised context signs message after message (as
  // `openssl speed` does). Should an OpenSSL release refuse a second use, initialise again.
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, message.data(), message.size()) != 1) {
    sig_len = sig.size();
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, state_->key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &sig_len, message.data(), message.size()) != 1) {
      return OpenSslError("Ed25519 sign");
    }
  }
  if (sig_len != kSignatureSize) return OpenSslError("Ed25519 sign (length)");
  std::lock_guard g(state_->mu);
  // Bounded: at most one context per thread that ever signed at the same time.
  if (state_->idle.size() < 64) state_->idle.push_back(std::move(ctx));
  return sig;
}

Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) {
  LICET_RETURN_IF_ERROR(CheckSize(public_key, kKeySize, "Ed25519 public key"));
  if (signature.size() != kSignatureSize) {
    return Error(ErrorCode::kBadSignature, "signature has the wrong length");
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                          public_key.size()));
  if (!key) return Error(ErrorCode::kBadSignature, "public key is not a valid Ed25519 key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return OpenSslError("Ed25519 verify init");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return Error(ErrorCode::kBadSignature, "signature does not verify");
  }
  return Status::Ok();
}

Result<KeyPair> X25519Generate() { return Generate(EVP_PKEY_X25519); }

Result<Bytes> X25519PublicFromPrivate(const SecretBytes& private_key) {
  return PublicFromPrivate(EVP_PKEY_X25519, private_key);
}

Result<SecretBytes> X25519SharedSecret(const SecretBytes& private_key, ByteSpan peer_public_key) {
  LICET_RETURN_IF_ERROR(CheckSize(peer_public_key, kKeySize, "X25519 public key"));
  LICET_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKey(EVP_PKEY_X25519, private_key));
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(),
                                           peer_public_key.size()));
  if (!peer) return Error(ErrorCode::kInvalidArgument, "peer key is not a valid X25519 key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  SecretBytes shared(kKeySize);
  size_t len = shared.size();
  // OpenSSL refuses an all-zero shared secret in EVP_PKEY_derive (small-order points).
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != kKeySize) {
    return Error(ErrorCode::kDecryptFailed, "X25519 key agreement failed (invalid peer key)");
  }
  return shared;
}

Result<X25519Agreement> X25519Ephemeral(ByteSpan peer_public_key) {
  LICET_RETURN_IF_ERROR(CheckSize(peer_public_key, kKeySize, "X25519 public key"));
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(),
                                           peer_public_key.size()));
  if (!peer) return Error(ErrorCode::kInvalidArgument, "peer key is not a valid X25519 key");
  PkeyCtxPtr gen(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!gen || EVP_PKEY_keygen_init(gen.get()) <= 0 || EVP_PKEY_keygen(gen.get(), &raw) <= 0) {
    return OpenSslError("X25519 key generation");
  }
  PkeyPtr ephemeral(raw);
  X25519Agreement out;
  out.public_key.resize(kKeySize);
  size_t pub_len = kKeySize;
  if (EVP_PKEY_get_raw_public_key(ephemeral.get(), out.public_key.data(), &pub_len) <= 0) {
    return OpenSslError("X25519 public key export");
  }
  // The generated key object derives directly: no export and re-import of its private half
  // (which would compute its public key once more).
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(ephemeral.get(), nullptr));
  out.shared_secret = SecretBytes(kKeySize);
  size_t len = kKeySize;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.shared_secret.data(), &len) != 1 || len != kKeySize) {
    return Error(ErrorCode::kDecryptFailed, "X25519 key agreement failed (invalid peer key)");
  }
  return out;
}

namespace {

// HKDF through the EVP_PKEY route: slower, but it takes an empty input key, which the
// EVP_KDF provider refuses ("missing key") while RFC 5869 allows it.
Result<SecretBytes> HkdfSha256Pkey(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t length) {
  static const uint8_t kNoKey[1] = {};
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  SecretBytes out(length);
  size_t out_len = length;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.data(), static_cast<int>(salt.size())) != 1 ||
      // OpenSSL refuses a null key pointer even with length 0.
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.empty() ? kNoKey : ikm.data(),
                                 static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.data(), static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &out_len) != 1 || out_len != length) {
    return OpenSslError("HKDF-SHA256");
  }
  return out;
}

}  // namespace

Result<SecretBytes> HkdfSha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t length) {
  static const uint8_t kZeroSalt[kHashSize] = {};
  if (salt.empty()) salt = ByteSpan(kZeroSalt, sizeof kZeroSalt);
  if (ikm.empty()) return HkdfSha256Pkey(ikm, salt, info, length);
  EVP_KDF* kdf = Algorithms().hkdf;
  if (kdf == nullptr) return OpenSslError("HKDF fetch");
  // A context per call (OpenSSL 3.0 cannot duplicate an HKDF context, and a shared one
  // would keep the last key in memory).
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  // OSSL_PARAM takes non-const pointers; the KDF only reads them.
  auto octets = [](const char* name, ByteSpan data) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<uint8_t*>(data.data()), data.size());
  };
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  *p++ = octets(OSSL_KDF_PARAM_KEY, ikm);
  *p++ = octets(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) *p++ = octets(OSSL_KDF_PARAM_INFO, info);
  *p = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), length, params) != 1) {
    return OpenSslError("HKDF-SHA256");
  }
  return out;
}

Result<Bytes> AesGcmEncrypt(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan plaintext) {
  Bytes out(plaintext.begin(), plaintext.end());
  out.resize(plaintext.size() + kTagSize);
  std::span<uint8_t, kTagSize> tag(out.data() + plaintext.size(), kTagSize);
  LICET_RETURN_IF_ERROR(AesGcmEncryptInPlace(
      key, nonce, aad, std::span<uint8_t>(out.data(), plaintext.size()), tag));
  return out;
}

Result<SecretBytes> AesGcmDecrypt(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                  ByteSpan ciphertext_and_tag) {
  if (ciphertext_and_tag.size() < kTagSize) {
    return Error(ErrorCode::kDecryptFailed, "ciphertext is shorter than its tag");
  }
  size_t size = ciphertext_and_tag.size() - kTagSize;
  SecretBytes out(ciphertext_and_tag.subspan(0, size));
  std::span<const uint8_t, kTagSize> tag(ciphertext_and_tag.data() + size, kTagSize);
  LICET_RETURN_IF_ERROR(AesGcmDecryptInPlace(key, nonce, aad, out.mutable_span(), tag));
  return out;
}

Status AesGcmEncryptInPlace(ByteSpan key, ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                            std::span<uint8_t, kTagSize> tag) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("AES-GCM context");
  LICET_RETURN_IF_ERROR(GcmInit(ctx.get(), true, key, nonce, aad));
  LICET_RETURN_IF_ERROR(GcmUpdate(ctx.get(), data.data(), data.data(), data.size()));
  int len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag.data()) != 1) {
    return OpenSslError("AES-GCM final");
  }
  return Status::Ok();
}

Status AesGcmDecryptInPlace(ByteSpan key, ByteSpan nonce, ByteSpan aad, std::span<uint8_t> data,
                            std::span<const uint8_t, kTagSize> tag) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("AES-GCM context");
  LICET_RETURN_IF_ERROR(GcmInit(ctx.get(), false, key, nonce, aad));
  LICET_RETURN_IF_ERROR(GcmUpdate(ctx.get(), data.data(), data.data(), data.size()));
  uint8_t expected[kTagSize];
  std::copy(tag.begin(), tag.end(), expected);
  int len = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, expected) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    // Never hand back unauthenticated plaintext.
    SecureWipe(data.data(), data.size());
    return Error(ErrorCode::kDecryptFailed, "authentication tag does not match");
  }
  return Status::Ok();
}

Status AesCtrXor(ByteSpan key, ByteSpan iv16, std::span<uint8_t> data) {
  LICET_RETURN_IF_ERROR(CheckSize(key, kKeySize, "AES-256-CTR key"));
  LICET_RETURN_IF_ERROR(CheckSize(iv16, kCtrBlockSize, "AES-CTR counter block"));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key.data(),
                                 iv16.data()) != 1) {
    return OpenSslError("AES-CTR init");
  }
  // Same chunking as GCM: EVP takes int lengths.
  constexpr size_t kChunk = 1u << 30;
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min(kChunk, data.size() - done);
    int len = 0;
    if (EVP_EncryptUpdate(ctx.get(), data.data() + done, &len, data.data() + done,
                          static_cast<int>(n)) != 1) {
      return OpenSslError("AES-CTR update");
    }
    done += n;
  }
  return Status::Ok();
}

Result<SecretBytes> ScryptPassphrase(std::string_view passphrase, ByteSpan salt, size_t length) {
  SecretBytes out(length);
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), 1u << 15, 8,
                     1, 64u << 20, out.data(), out.size()) != 1) {
    return OpenSslError("scrypt");
  }
  return out;
}

}  // namespace licet::crypto
