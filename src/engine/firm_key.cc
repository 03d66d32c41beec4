#include "engine/firm_key.h"

#include "crypto/crypto.h"
#include "format/envelope.h"
#include "format/payload.h"
#include "model/items.h"

namespace licet::engine {
namespace {

using nlohmann::json;
constexpr size_t kSaltSize = 16;

// AAD of the sealed secrets: envelope header || firm_code (4 bytes BE) || public key, so
// that the firm code the vendor's tool signs for cannot be changed in the file unnoticed.
Bytes SealAad(uint32_t firm_code, ByteSpan public_key) {
  Bytes aad = format::EnvelopeHeader(format::FileKind::kFirmKey);
  for (int shift = 24; shift >= 0; shift -= 8) aad.push_back(static_cast<uint8_t>(firm_code >> shift));
  aad.insert(aad.end(), public_key.begin(), public_key.end());
  return aad;
}

}  // namespace

Result<FirmKey> GenerateFirmKey(uint32_t firm_code, const std::string& name, UnixTime now) {
  if (firm_code == 0) return Error(ErrorCode::kInvalidArgument, "firm code must not be 0");
  if (name.empty() || name.size() > model::kMaxFirmNameSize || !model::IsValidUtf8(name)) {
    return Error(ErrorCode::kInvalidArgument, "firm name must be 1 to " +
                                                  std::to_string(model::kMaxFirmNameSize) +
                                                  " bytes of UTF-8");
  }
  LICET_ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::Ed25519Generate());
  FirmKey key;
  key.firm_code = firm_code;
  key.name = name;
  key.public_key = std::move(pair.public_key);
  key.signing_key = std::move(pair.private_key);
  key.firm_secret = crypto::RandomSecret(crypto::kKeySize);
  key.created = now;
  return key;
}

Result<Bytes> EncodeFirmKeyFile(const FirmKey& key, std::string_view passphrase) {
  json secrets = {{"signing_key", format::Binary(key.signing_key.span())},
                  {"firm_secret", format::Binary(key.firm_secret.span())}};
  Bytes plain = format::EncodePayload(secrets);
  json body = {{"firm_code", key.firm_code},
               {"name", key.name},
               {"public_key", format::Binary(key.public_key)},
               {"created", key.created}};
  if (passphrase.empty()) {
    body["secrets"] = format::Binary(plain);
  } else {
    Bytes salt = crypto::RandomBytes(kSaltSize);
    Bytes nonce = crypto::RandomBytes(crypto::kNonceSize);
    LICET_ASSIGN_OR_RETURN(SecretBytes kek,
                           crypto::ScryptPassphrase(passphrase, salt, crypto::kKeySize));
    LICET_ASSIGN_OR_RETURN(Bytes sealed, crypto::AesGcmEncrypt(kek.span(), nonce,
                                                               SealAad(key.firm_code, key.public_key), plain));
    body["kdf"] = "scrypt";
    body["salt"] = format::Binary(salt);
    body["nonce"] = format::Binary(nonce);
    body["sealed_secrets"] = format::Binary(sealed);
  }
  SecureWipe(plain.data(), plain.size());
  return format::WrapEnvelope(format::FileKind::kFirmKey, format::EncodePayload(body));
}

namespace {

struct ParsedFirmKey {
  format::Envelope envelope;
  json body;
  FirmKeyInfo info;
};

Result<ParsedFirmKey> ParseFirmKeyFile(ByteSpan file) {
  ParsedFirmKey p;
  LICET_ASSIGN_OR_RETURN(p.envelope, format::ParseEnvelopeOfKind(file, format::FileKind::kFirmKey));
  LICET_ASSIGN_OR_RETURN(p.body, format::DecodePayload(p.envelope.body));
  LICET_ASSIGN_OR_RETURN(p.info.firm_code, format::GetUint32(p.body, "firm_code"));
  LICET_ASSIGN_OR_RETURN(p.info.name, format::GetString(p.body, "name"));
  LICET_ASSIGN_OR_RETURN(p.info.public_key, format::GetBinaryOfSize(p.body, "public_key", 32));
  LICET_ASSIGN_OR_RETURN(p.info.created, format::GetInt(p.body, "created"));
  p.info.encrypted = p.body.contains("sealed_secrets");
  return p;
}

}  // namespace

Result<FirmKeyInfo> ReadFirmKeyInfo(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(ParsedFirmKey parsed, ParseFirmKeyFile(file));
  return std::move(parsed.info);
}

Result<FirmKey> DecodeFirmKeyFile(ByteSpan file, std::string_view passphrase) {
  LICET_ASSIGN_OR_RETURN(ParsedFirmKey parsed, ParseFirmKeyFile(file));
  const json& body = parsed.body;
  FirmKey key;
  key.firm_code = parsed.info.firm_code;
  key.name = parsed.info.name;
  key.public_key = parsed.info.public_key;
  key.created = parsed.info.created;

  SecretBytes plain;
  if (body.contains("sealed_secrets")) {
    if (passphrase.empty()) {
      return Error(ErrorCode::kWrongPassphrase,
                   "firm key is protected by a passphrase: set LICET_FIRM_KEY_PASSPHRASE or use "
                   "--passphrase-file");
    }
    LICET_ASSIGN_OR_RETURN(Bytes salt, format::GetBinaryOfSize(body, "salt", kSaltSize));
    LICET_ASSIGN_OR_RETURN(Bytes nonce, format::GetBinaryOfSize(body, "nonce", crypto::kNonceSize));
    LICET_ASSIGN_OR_RETURN(Bytes sealed, format::GetBinary(body, "sealed_secrets"));
    LICET_ASSIGN_OR_RETURN(SecretBytes kek,
                           crypto::ScryptPassphrase(passphrase, salt, crypto::kKeySize));
    auto opened = crypto::AesGcmDecrypt(kek.span(), nonce, SealAad(key.firm_code, key.public_key), sealed);
    if (!opened.ok()) {
      return Error(ErrorCode::kWrongPassphrase, "wrong passphrase for the firm key (or the file is damaged)");
    }
    plain = std::move(opened).value();
  } else {
    LICET_ASSIGN_OR_RETURN(Bytes secrets, format::GetBinary(body, "secrets"));
    plain = SecretBytes(secrets);
    SecureWipe(secrets.data(), secrets.size());
  }
  LICET_ASSIGN_OR_RETURN(json secrets, format::DecodePayload(plain.span()));
  LICET_ASSIGN_OR_RETURN(Bytes signing, format::GetBinaryOfSize(secrets, "signing_key", 32));
  LICET_ASSIGN_OR_RETURN(Bytes firm_secret, format::GetBinaryOfSize(secrets, "firm_secret", 32));
  key.signing_key = SecretBytes(signing);
  key.firm_secret = SecretBytes(firm_secret);
  SecureWipe(signing.data(), signing.size());
  SecureWipe(firm_secret.data(), firm_secret.size());
  format::WipeBinaries(secrets);

  LICET_ASSIGN_OR_RETURN(Bytes derived_public, crypto::Ed25519PublicFromPrivate(key.signing_key));
  if (!crypto::ConstantTimeEqual(derived_public, key.public_key)) {
    return Error(ErrorCode::kCorruptData, "firm key is damaged: its public and private keys do not match");
  }
  return key;
}

}  // namespace licet::engine
