// COSE_Encrypt with A256GCM and ECDH-ES + HKDF-256 over X25519 (contract in cose.h).

#include <string>

#include "crypto/crypto.h"
#include "format/cose.h"
#include "format/cose_internal.h"

namespace licet::format {
namespace {

using internal::CoseError;

// {1: 3} and {1: -25}: the protected headers Licet writes for the two layers.
constexpr uint8_t kProtectedA256Gcm[] = {0xa1, 0x01, 0x03};
constexpr uint8_t kProtectedEcdhEsHkdf256[] = {0xa1, 0x01, 0x38, 0x18};

Status Unsupported(const std::string& what) {
  return Error(ErrorCode::kUnsupportedVersion, "COSE: " + what);
}

// A header parameter may sit in either bucket (CheckHeaders refused it being in both).
const CborValue* FindHeader(const CborValue& protected_map, const CborValue& unprotected,
                            int64_t label) {
  const CborValue* value = protected_map.Find(label);
  return value ? value : unprotected.Find(label);
}

Status ParseEphemeralKey(const CborValue& key, CoseEncrypt* out) {
  if (!key.is_map()) return CoseError("recipient ephemeral key must be a COSE_Key map");
  const CborValue* kty = key.Find(internal::kKeyKty);
  const CborValue* crv = key.Find(internal::kKeyCrv);
  const CborValue* x = key.Find(internal::kKeyX);
  if (!kty || !kty->AsInt64()) return CoseError("recipient ephemeral key has no key type");
  if (*kty->AsInt64() != internal::kKtyOkp) {
    return Unsupported("ephemeral key type " + std::to_string(*kty->AsInt64()) +
                       " is not supported (Licet uses OKP keys, type 1)");
  }
  if (!crv || !crv->AsInt64()) return CoseError("recipient ephemeral key has no curve");
  if (!x || !x->is_bytes()) return CoseError("recipient ephemeral key has no public key (x)");
  out->ephemeral_curve = *crv->AsInt64();
  out->ephemeral_public_key = x->bytes();
  return Status::Ok();
}

Status ParseRecipients(CborValue& recipients, CoseEncrypt* out) {
  if (!recipients.is_array() || recipients.array().empty()) {
    return CoseError("COSE_Encrypt recipients must be a non-empty array");
  }
  if (recipients.array().size() != 1) {
    return Unsupported("COSE_Encrypt with " + std::to_string(recipients.array().size()) +
                       " recipients is not supported (Licet encrypts to exactly one)");
  }
  CborValue& recipient = recipients.array().front();
  if (!recipient.is_array() || recipient.array().size() < 3 || recipient.array().size() > 4) {
    return CoseError("COSE_recipient must be an array of 3 elements");
  }
  if (recipient.array().size() == 4) return Unsupported("nested COSE recipients are not supported");
  CborArray& parts = recipient.array();
  const char* layer = "COSE_Encrypt recipient";
  LICET_ASSIGN_OR_RETURN(CborValue protected_map, internal::DecodeProtected(parts[0], layer));
  LICET_ASSIGN_OR_RETURN(out->recipient_alg,
                         internal::CheckHeaders(protected_map, parts[1], layer));
  out->recipient_protected_header = std::move(parts[0].bytes());
  const CborValue* key = FindHeader(protected_map, parts[1], internal::kHeaderEphemeralKey);
  if (!key) return CoseError("COSE_Encrypt recipient has no ephemeral key (label -1)");
  LICET_RETURN_IF_ERROR(ParseEphemeralKey(*key, out));
  if (const CborValue* kid = FindHeader(protected_map, parts[1], internal::kHeaderKid)) {
    if (!kid->is_bytes()) return CoseError("COSE_Encrypt recipient kid must be a byte string");
    out->kid = kid->bytes();
  }
  // Direct key agreement: the recipient carries no wrapped key.
  if (!parts[2].is_bytes() || !parts[2].bytes().empty()) {
    return CoseError("COSE_Encrypt recipient ciphertext must be empty for ECDH-ES direct");
  }
  return Status::Ok();
}

}  // namespace

Bytes CoseEncStructure(ByteSpan protected_header, ByteSpan external_aad) {
  static constexpr char kContext[] = "Encrypt";
  Bytes out;
  CborAppendHead(CborMajor::kArray, 3, &out);
  CborAppendHead(CborMajor::kText, sizeof(kContext) - 1, &out);
  out.insert(out.end(), kContext, kContext + sizeof(kContext) - 1);
  CborAppendByteString(protected_header, &out);
  CborAppendByteString(external_aad, &out);
  return out;
}

Bytes CoseKdfContext(int64_t alg, uint64_t key_bits, ByteSpan recipient_protected_header) {
  // PartyUInfo and PartyVInfo are [identity, nonce, other], all nil: ECDH-ES with a fresh
  // ephemeral key needs no extra freshness.
  const CborValue no_party =
      CborValue::Array({CborValue::Null(), CborValue::Null(), CborValue::Null()});
  const CborValue context = CborValue::Array({
      CborValue::Int(alg),
      no_party,
      no_party,
      CborValue::Array(
          {CborValue::Uint(key_bits), CborValue::ByteString(recipient_protected_header)}),
  });
  return CborEncode(context);
}

Result<CoseEncrypt> CoseEncryptParse(ByteSpan message) {
  LICET_ASSIGN_OR_RETURN(CborArray parts,
                         internal::UnwrapMessage(message, kCoseEncryptTag, 4, "COSE_Encrypt"));
  CoseEncrypt out;
  LICET_ASSIGN_OR_RETURN(CborValue protected_map,
                         internal::DecodeProtected(parts[0], "COSE_Encrypt"));
  LICET_ASSIGN_OR_RETURN(out.content_alg,
                         internal::CheckHeaders(protected_map, parts[1], "COSE_Encrypt"));
  out.protected_header = std::move(parts[0].bytes());
  const CborValue* iv = FindHeader(protected_map, parts[1], internal::kHeaderIv);
  if (!iv || !iv->is_bytes()) return CoseError("COSE_Encrypt has no IV (label 5)");
  out.iv = iv->bytes();
  if (parts[2].is_null()) return CoseError("detached COSE_Encrypt ciphertext is not supported");
  if (!parts[2].is_bytes()) return CoseError("COSE_Encrypt ciphertext must be a byte string");
  out.ciphertext = std::move(parts[2].bytes());
  LICET_RETURN_IF_ERROR(ParseRecipients(parts[3], &out));
  return out;
}

Result<Bytes> CoseEncryptX25519(ByteSpan plaintext, ByteSpan external_aad,
                                ByteSpan recipient_public_key, ByteSpan kid) {
  if (recipient_public_key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "X25519 public key must be 32 bytes");
  }
  auto ephemeral = crypto::X25519Ephemeral(recipient_public_key);
  if (!ephemeral.ok()) {
    return Error(ErrorCode::kInvalidArgument, "recipient public key is not a usable X25519 key: " +
                                                  ephemeral.status().message());
  }
  const SecretBytes& shared = ephemeral->shared_secret;
  const ByteSpan recipient_protected(kProtectedEcdhEsHkdf256);
  LICET_ASSIGN_OR_RETURN(
      SecretBytes content_key,
      crypto::HkdfSha256(shared.span(), {},
                         CoseKdfContext(kCoseAlgA256Gcm, 8 * crypto::kKeySize, recipient_protected),
                         crypto::kKeySize));
  const ByteSpan protected_header(kProtectedA256Gcm);
  const Bytes iv = crypto::RandomBytes(crypto::kNonceSize);
  LICET_ASSIGN_OR_RETURN(
      Bytes ciphertext,
      crypto::AesGcmEncrypt(content_key.span(), iv,
                            CoseEncStructure(protected_header, external_aad), plaintext));

  CborMap recipient_unprotected;
  recipient_unprotected.emplace_back(
      CborValue::Int(internal::kHeaderEphemeralKey),
      CborValue::Map({
          {CborValue::Int(internal::kKeyKty), CborValue::Int(internal::kKtyOkp)},
          {CborValue::Int(internal::kKeyCrv), CborValue::Int(internal::kCrvX25519)},
          {CborValue::Int(internal::kKeyX), CborValue::ByteString(ephemeral->public_key)},
      }));
  if (!kid.empty()) {
    recipient_unprotected.emplace_back(CborValue::Int(internal::kHeaderKid),
                                       CborValue::ByteString(kid));
  }
  CborValue recipient = CborValue::Array({
      CborValue::ByteString(recipient_protected),
      CborValue::Map(std::move(recipient_unprotected)),
      CborValue::ByteString({}),
  });
  CborValue message = CborValue::Tag(
      kCoseEncryptTag,
      CborValue::Array({
          CborValue::ByteString(protected_header),
          CborValue::Map({{CborValue::Int(internal::kHeaderIv), CborValue::ByteString(iv)}}),
          CborValue::ByteString(ciphertext),
          CborValue::Array({std::move(recipient)}),
      }));
  CborSortMaps(&message);
  return CborEncode(message);
}

Result<SecretBytes> CoseDecryptX25519(ByteSpan message, ByteSpan external_aad,
                                      const SecretBytes& recipient_private_key) {
  if (recipient_private_key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "X25519 private key must be 32 bytes");
  }
  LICET_ASSIGN_OR_RETURN(CoseEncrypt parsed, CoseEncryptParse(message));
  if (parsed.content_alg != kCoseAlgA256Gcm) {
    return Unsupported("content algorithm " + std::to_string(parsed.content_alg) +
                       " is not supported (Licet uses A256GCM, 3)");
  }
  if (parsed.recipient_alg != kCoseAlgEcdhEsHkdf256) {
    return Unsupported("recipient algorithm " + std::to_string(parsed.recipient_alg) +
                       " is not supported (Licet uses ECDH-ES + HKDF-256, -25)");
  }
  if (parsed.ephemeral_curve != internal::kCrvX25519) {
    return Unsupported("ephemeral key curve " + std::to_string(parsed.ephemeral_curve) +
                       " is not supported (Licet uses X25519, 4)");
  }
  if (parsed.ephemeral_public_key.size() != crypto::kKeySize) {
    return CoseError("X25519 ephemeral key must be 32 bytes");
  }
  if (parsed.iv.size() != crypto::kNonceSize) return CoseError("A256GCM IV must be 12 bytes");
  auto shared = crypto::X25519SharedSecret(recipient_private_key, parsed.ephemeral_public_key);
  if (!shared.ok()) {
    // A small-order ephemeral key: someone built this message to fail; treat it as tampering.
    return Error(ErrorCode::kDecryptFailed, "COSE_Encrypt: " + shared.status().message());
  }
  LICET_ASSIGN_OR_RETURN(SecretBytes content_key,
                         crypto::HkdfSha256(shared->span(), {},
                                            CoseKdfContext(kCoseAlgA256Gcm, 8 * crypto::kKeySize,
                                                           parsed.recipient_protected_header),
                                            crypto::kKeySize));
  auto plaintext = crypto::AesGcmDecrypt(content_key.span(), parsed.iv,
                                         CoseEncStructure(parsed.protected_header, external_aad),
                                         parsed.ciphertext);
  // content_key and the shared secret are SecretBytes: wiped when they go out of scope here.
  if (!plaintext.ok() && plaintext.status().code() == ErrorCode::kDecryptFailed) {
    return Error(ErrorCode::kDecryptFailed,
                 "COSE_Encrypt does not decrypt (made for another key, or tampered)");
  }
  return plaintext;
}

}  // namespace licet::format
