// COSE_Sign1 with EdDSA over Ed25519 (contract in cose.h).

#include <string>

#include "crypto/crypto.h"
#include "format/cose.h"
#include "format/cose_internal.h"

namespace licet::format {
namespace {

using internal::CoseError;

// {1: -8}: the only protected header Licet writes.
constexpr uint8_t kProtectedEdDsa[] = {0xa1, 0x01, 0x27};

}  // namespace

Bytes CoseSign1SigStructure(ByteSpan protected_header, ByteSpan external_aad, ByteSpan payload) {
  static constexpr char kContext[] = "Signature1";
  Bytes out;
  out.reserve(32 + protected_header.size() + external_aad.size() + payload.size());
  CborAppendHead(CborMajor::kArray, 4, &out);
  CborAppendHead(CborMajor::kText, sizeof(kContext) - 1, &out);
  out.insert(out.end(), kContext, kContext + sizeof(kContext) - 1);
  CborAppendByteString(protected_header, &out);
  CborAppendByteString(external_aad, &out);
  CborAppendByteString(payload, &out);
  return out;
}

namespace {

// Written by hand rather than through CborValue so the payload is copied only once.
Bytes AssembleSign1(ByteSpan protected_header, ByteSpan payload, ByteSpan signature) {
  Bytes out;
  out.reserve(16 + protected_header.size() + payload.size() + signature.size());
  CborAppendHead(CborMajor::kTag, kCoseSign1Tag, &out);
  CborAppendHead(CborMajor::kArray, 4, &out);
  CborAppendByteString(protected_header, &out);
  CborAppendHead(CborMajor::kMap, 0, &out);
  CborAppendByteString(payload, &out);
  CborAppendByteString(signature, &out);
  return out;
}

}  // namespace

Result<Bytes> CoseSign1Sign(ByteSpan payload, ByteSpan external_aad,
                            const SecretBytes& private_key) {
  const ByteSpan protected_header(kProtectedEdDsa);
  LICET_ASSIGN_OR_RETURN(
      Bytes signature,
      crypto::Ed25519Sign(private_key,
                          CoseSign1SigStructure(protected_header, external_aad, payload)));
  return AssembleSign1(protected_header, payload, signature);
}

Result<Bytes> CoseSign1Sign(ByteSpan payload, ByteSpan external_aad,
                            const crypto::Ed25519Signer& signer) {
  const ByteSpan protected_header(kProtectedEdDsa);
  LICET_ASSIGN_OR_RETURN(
      Bytes signature, signer.Sign(CoseSign1SigStructure(protected_header, external_aad, payload)));
  return AssembleSign1(protected_header, payload, signature);
}

Result<CoseSign1> CoseSign1Parse(ByteSpan message) {
  LICET_ASSIGN_OR_RETURN(CborArray parts,
                         internal::UnwrapMessage(message, kCoseSign1Tag, 4, "COSE_Sign1"));
  LICET_ASSIGN_OR_RETURN(CborValue protected_map,
                         internal::DecodeProtected(parts[0], "COSE_Sign1"));
  LICET_ASSIGN_OR_RETURN(int64_t alg,
                         internal::CheckHeaders(protected_map, parts[1], "COSE_Sign1"));
  if (alg != kCoseAlgEdDsa) {
    return Error(ErrorCode::kUnsupportedVersion,
                 "COSE_Sign1 algorithm " + std::to_string(alg) +
                     " is not supported (Licet signs with EdDSA, -8)");
  }
  if (parts[2].is_null()) return CoseError("detached COSE_Sign1 payloads are not supported");
  if (!parts[2].is_bytes()) return CoseError("COSE_Sign1 payload must be a byte string");
  if (!parts[3].is_bytes()) return CoseError("COSE_Sign1 signature must be a byte string");
  if (parts[3].bytes().size() != crypto::kSignatureSize) {
    return CoseError("COSE_Sign1 EdDSA signature must be 64 bytes, got " +
                     std::to_string(parts[3].bytes().size()));
  }
  CoseSign1 result;
  result.protected_header = std::move(parts[0].bytes());
  result.payload = std::move(parts[2].bytes());
  result.signature = std::move(parts[3].bytes());
  return result;
}

Status CoseSign1Verify(const CoseSign1& message, ByteSpan external_aad, ByteSpan public_key) {
  if (public_key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "Ed25519 public key must be 32 bytes");
  }
  Status status = crypto::Ed25519Verify(
      public_key, CoseSign1SigStructure(message.protected_header, external_aad, message.payload),
      message.signature);
  if (!status.ok() && status.code() == ErrorCode::kBadSignature) {
    return Error(ErrorCode::kBadSignature,
                 "COSE_Sign1 signature does not verify (tampered, or signed by another key)");
  }
  return status;
}

Result<Bytes> CoseSign1Open(ByteSpan message, ByteSpan external_aad, ByteSpan public_key) {
  LICET_ASSIGN_OR_RETURN(CoseSign1 parsed, CoseSign1Parse(message));
  LICET_RETURN_IF_ERROR(CoseSign1Verify(parsed, external_aad, public_key));
  return std::move(parsed.payload);
}

}  // namespace licet::format
