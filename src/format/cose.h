// COSE (RFC 9052 / RFC 9053), the two message forms Licet uses, chosen so that a stock COSE
// library can check our files:
//
//   COSE_Sign1 (tag 18), EdDSA (alg -8) over Ed25519, payload embedded:
//     18([h'A10127' / {1: -8} /, {}, payload, signature])
//   signed over Sig_structure = ["Signature1", protected, external_aad, payload] (§4.4).
//
//   COSE_Encrypt (tag 96), content A256GCM (alg 3), one recipient using ECDH-ES + HKDF-256
//   (alg -25) with an ephemeral X25519 key (RFC 9053 §6.3.1):
//     96([h'A10103' / {1: 3} /, {5: iv}, ciphertext || tag,
//         [[h'A1013818' / {1: -25} /, {4: kid, -1: {1: 1, -1: 4, -2: x}}, h'']]])
//   content key = HKDF-SHA256(ECDH secret, no salt, COSE_KDF_Context, 32 bytes) (§5),
//   AAD = Enc_structure ["Encrypt", protected, external_aad] (RFC 9052 §5.3).
//   The kid (label 4) is optional and omitted when empty.
//
// Licet passes a file's envelope header (envelope.h) as external_aad, which binds the file
// kind and format version into the signature or the AEAD tag.
//
// Parsers are strict: tagged messages only, definite-length deterministic CBOR (cbor.h), no
// trailing bytes, "crit" headers refused, a header label in both buckets refused.
// Errors: kCorruptData for malformed structure, kUnsupportedVersion for an algorithm we do
// not implement, kBadSignature / kDecryptFailed when the cryptography says no.
// The functions keep no state: all are thread-safe.
#ifndef LICET_FORMAT_COSE_H_
#define LICET_FORMAT_COSE_H_

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::crypto {
class Ed25519Signer;
}  // namespace licet::crypto

namespace licet::format {

inline constexpr uint64_t kCoseSign1Tag = 18;
inline constexpr uint64_t kCoseEncryptTag = 96;
// COSE algorithm identifiers (IANA "COSE Algorithms").
inline constexpr int64_t kCoseAlgEdDsa = -8;
inline constexpr int64_t kCoseAlgA128Gcm = 1;
inline constexpr int64_t kCoseAlgA256Gcm = 3;
inline constexpr int64_t kCoseAlgEcdhEsHkdf256 = -25;

// ---- COSE_Sign1 ----

// A parsed COSE_Sign1. The protected header is kept as the exact bytes that were signed.
struct CoseSign1 {
  Bytes protected_header;  // serialized map; always has alg -8 after CoseSign1Parse
  Bytes payload;
  Bytes signature;  // 64 bytes after CoseSign1Parse
};

// The bytes that are signed: ["Signature1", protected_header, external_aad, payload].
Bytes CoseSign1SigStructure(ByteSpan protected_header, ByteSpan external_aad, ByteSpan payload);

// Signs `payload` with the 32-byte Ed25519 seed `private_key`; returns the tagged message.
// kInvalidArgument for a key of the wrong size.
Result<Bytes> CoseSign1Sign(ByteSpan payload, ByteSpan external_aad,
                            const SecretBytes& private_key);
// The same with a prepared key (crypto::Ed25519Signer), for a key that signs many messages
// (License Central's firm keys): saves the key import of every call.
Result<Bytes> CoseSign1Sign(ByteSpan payload, ByteSpan external_aad,
                            const crypto::Ed25519Signer& signer);

// Parses a tagged COSE_Sign1 without verifying it. kCorruptData for malformed input (a
// detached payload included); kUnsupportedVersion for any algorithm but EdDSA or a "crit"
// header.
Result<CoseSign1> CoseSign1Parse(ByteSpan message);

// OK when `message.signature` is a valid signature by the Ed25519 `public_key` over the
// Sig_structure with `external_aad`; kBadSignature otherwise (kInvalidArgument for a key of
// the wrong size).
[[nodiscard]] Status CoseSign1Verify(const CoseSign1& message, ByteSpan external_aad,
                                     ByteSpan public_key);

// Parse, then verify; returns the payload only when the signature verifies.
Result<Bytes> CoseSign1Open(ByteSpan message, ByteSpan external_aad, ByteSpan public_key);

// ---- COSE_Encrypt with ECDH-ES + HKDF-256 over X25519 ----

// A parsed COSE_Encrypt with exactly one recipient that carries an ephemeral OKP key.
// The algorithms are recorded, not checked: CoseDecryptX25519 checks them, and callers
// may read the kid first to find the right private key.
struct CoseEncrypt {
  Bytes protected_header;  // content layer, serialized map
  int64_t content_alg = 0;
  Bytes iv;
  Bytes ciphertext;                  // includes the AEAD tag
  Bytes recipient_protected_header;  // recipient layer, serialized map
  int64_t recipient_alg = 0;
  int64_t ephemeral_curve = 0;  // COSE curve id: 4 = X25519
  Bytes ephemeral_public_key;
  Bytes kid;  // empty when absent
};

// Parses a tagged COSE_Encrypt. kCorruptData for malformed input; kUnsupportedVersion for
// a "crit" header, more than one recipient, or a key that is not an OKP key.
Result<CoseEncrypt> CoseEncryptParse(ByteSpan message);

// Encrypts `plaintext` to the X25519 `recipient_public_key` with a fresh ephemeral key and
// IV. `kid` (may be empty) tells the recipient which of its keys to use.
// kInvalidArgument for a public key of the wrong size or a small-order key.
Result<Bytes> CoseEncryptX25519(ByteSpan plaintext, ByteSpan external_aad,
                                ByteSpan recipient_public_key, ByteSpan kid);

// Decrypts a message made by CoseEncryptX25519 (or by any COSE library with the same
// algorithms). kCorruptData for malformed input, kUnsupportedVersion for other algorithms,
// kDecryptFailed for a wrong key or a tampered message or external_aad, kInvalidArgument
// for a private key of the wrong size. The derived content key is wiped before returning.
Result<SecretBytes> CoseDecryptX25519(ByteSpan message, ByteSpan external_aad,
                                      const SecretBytes& recipient_private_key);

// Building blocks, exposed for tests and interoperability checks:
// Enc_structure ["Encrypt", protected_header, external_aad] (RFC 9052 §5.3).
Bytes CoseEncStructure(ByteSpan protected_header, ByteSpan external_aad);
// COSE_KDF_Context [alg, [nil, nil, nil], [nil, nil, nil], [key_bits, recipient_protected]]
// (RFC 9053 §5.2), the HKDF info for a content key of `key_bits` bits for algorithm `alg`.
Bytes CoseKdfContext(int64_t alg, uint64_t key_bits, ByteSpan recipient_protected_header);

}  // namespace licet::format

#endif  // LICET_FORMAT_COSE_H_
