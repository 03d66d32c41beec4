#include "central/engine/vault.h"

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "format/payload.h"
#include "model/serialize.h"

namespace licet::central::engine {
namespace {

using nlohmann::json;

constexpr std::string_view kSalt = "licet-central/v1";

void PutU32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
void PutU64(Bytes& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
Bytes Label(std::string_view label) { return ToBytes(label); }

// Wipes the byte strings nlohmann holds (secrets decoded from a sealed blob).
void WipeJson(json& j) {
  if (j.is_binary()) {
    SecureWipe(j.get_binary().data(), j.get_binary().size());
  } else if (j.is_structured()) {
    for (auto& child : j) WipeJson(child);
  }
}

}  // namespace

Result<Vault> Vault::FromHex(std::string_view kek_hex) {
  std::string trimmed(kek_hex);
  while (!trimmed.empty() &&
         (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.pop_back();
  }
  auto raw = HexDecode(trimmed);
  if (!raw.ok() || raw->size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "the KEK must be 64 hex characters (32 bytes)");
  }
  SecretBytes kek(*raw);
  SecureWipe(raw->data(), raw->size());
  SecureWipe(trimmed.data(), trimmed.size());
  return FromKey(kek);
}

Result<Vault> Vault::FromKey(const SecretBytes& kek) {
  if (kek.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "the KEK must be 32 bytes");
  }
  Vault v;
  auto derive = [&](std::string_view label) {
    return crypto::HkdfSha256(kek.span(), AsBytes(kSalt), AsBytes(label), crypto::kKeySize);
  };
  LICET_ASSIGN_OR_RETURN(v.firm_key_, derive("firm-secrets"));
  LICET_ASSIGN_OR_RETURN(v.template_key_, derive("product-templates"));
  LICET_ASSIGN_OR_RETURN(v.ops_key_, derive("fuc-range-operations"));
  LICET_ASSIGN_OR_RETURN(SecretBytes id_key, derive("kek-id"));
  crypto::Hash h = crypto::Sha256(id_key.span());
  v.kek_id_ = HexEncode(ByteSpan(h.data(), 8));
  return v;
}

Result<Bytes> Vault::Seal(const SecretBytes& key, ByteSpan aad, ByteSpan plain) const {
  Bytes nonce = crypto::RandomBytes(crypto::kNonceSize);
  LICET_ASSIGN_OR_RETURN(Bytes ct, crypto::AesGcmEncrypt(key.span(), nonce, aad, plain));
  nonce.insert(nonce.end(), ct.begin(), ct.end());
  return nonce;
}

Result<SecretBytes> Vault::Open(const SecretBytes& key, ByteSpan aad, ByteSpan sealed) const {
  if (sealed.size() < crypto::kNonceSize + crypto::kTagSize) {
    return Error(ErrorCode::kCorruptData, "sealed blob is truncated");
  }
  auto plain = crypto::AesGcmDecrypt(key.span(), sealed.subspan(0, crypto::kNonceSize), aad,
                                     sealed.subspan(crypto::kNonceSize));
  if (!plain.ok()) {
    return Error(ErrorCode::kDecryptFailed,
                 "a sealed database value does not open: wrong KEK, or the database was altered");
  }
  return std::move(plain).value();
}

Result<Bytes> Vault::SealFirmSecrets(const licet::engine::FirmKey& firm) const {
  json j = {{"signing_key", format::Binary(firm.signing_key.span())},
            {"firm_secret", format::Binary(firm.firm_secret.span())}};
  Bytes plain = format::EncodePayload(j);
  WipeJson(j);
  Bytes aad = Label("firm");
  PutU32(aad, firm.firm_code);
  aad.insert(aad.end(), firm.public_key.begin(), firm.public_key.end());
  auto sealed = Seal(firm_key_, aad, plain);
  SecureWipe(plain.data(), plain.size());
  return sealed;
}

Result<licet::engine::FirmKey> Vault::OpenFirmSecrets(uint32_t firm_code, const std::string& name,
                                                      ByteSpan public_key, UnixTime created,
                                                      ByteSpan sealed) const {
  Bytes aad = Label("firm");
  PutU32(aad, firm_code);
  aad.insert(aad.end(), public_key.begin(), public_key.end());
  LICET_ASSIGN_OR_RETURN(SecretBytes plain, Open(firm_key_, aad, sealed));
  LICET_ASSIGN_OR_RETURN(json j, format::DecodePayload(plain.span()));
  licet::engine::FirmKey key;
  key.firm_code = firm_code;
  key.name = name;
  key.public_key = Bytes(public_key.begin(), public_key.end());
  key.created = created;
  auto sk = format::GetBinaryOfSize(j, "signing_key", crypto::kKeySize);
  auto fs = format::GetBinaryOfSize(j, "firm_secret", crypto::kKeySize);
  WipeJson(j);
  if (!sk.ok()) return sk.status();
  if (!fs.ok()) return fs.status();
  key.signing_key = SecretBytes(*sk);
  key.firm_secret = SecretBytes(*fs);
  SecureWipe(sk->data(), sk->size());
  SecureWipe(fs->data(), fs->size());
  LICET_ASSIGN_OR_RETURN(Bytes derived, crypto::Ed25519PublicFromPrivate(key.signing_key));
  if (!crypto::ConstantTimeEqual(derived, key.public_key)) {
    return Error(ErrorCode::kCorruptData, "firm " + std::to_string(firm_code) +
                                              ": signing key does not match its public key");
  }
  return key;
}

Result<Bytes> Vault::SealTemplate(uint32_t firm_code, uint32_t product_code, ByteSpan plain) const {
  Bytes aad = Label("template");
  PutU32(aad, firm_code);
  PutU32(aad, product_code);
  return Seal(template_key_, aad, plain);
}

Result<SecretBytes> Vault::OpenTemplate(uint32_t firm_code, uint32_t product_code,
                                        ByteSpan sealed) const {
  Bytes aad = Label("template");
  PutU32(aad, firm_code);
  PutU32(aad, product_code);
  return Open(template_key_, aad, sealed);
}

Result<Bytes> Vault::SealOperations(const std::string& serial, uint32_t firm_code,
                                    const std::vector<model::Operation>& ops) const {
  if (ops.empty()) return Error(ErrorCode::kInvalidArgument, "no operations to seal");
  json j = {{"ops", model::OperationsToJson(ops)}};
  Bytes plain = format::EncodePayload(j);
  WipeJson(j);
  Bytes aad = Label("ops");
  PutU32(aad, firm_code);
  PutU64(aad, ops.front().fuc);
  PutU64(aad, ops.back().fuc);
  aad.insert(aad.end(), serial.begin(), serial.end());
  auto sealed = Seal(ops_key_, aad, plain);
  SecureWipe(plain.data(), plain.size());
  return sealed;
}

Result<std::vector<model::Operation>> Vault::OpenOperations(const std::string& serial,
                                                            uint32_t firm_code, uint64_t fuc_from,
                                                            uint64_t fuc_to,
                                                            ByteSpan sealed) const {
  Bytes aad = Label("ops");
  PutU32(aad, firm_code);
  PutU64(aad, fuc_from);
  PutU64(aad, fuc_to);
  aad.insert(aad.end(), serial.begin(), serial.end());
  LICET_ASSIGN_OR_RETURN(SecretBytes plain, Open(ops_key_, aad, sealed));
  LICET_ASSIGN_OR_RETURN(json j, format::DecodePayload(plain.span()));
  auto arr = format::GetArray(j, "ops");
  if (!arr.ok()) {
    WipeJson(j);
    return arr.status();
  }
  auto ops = model::OperationsFromJson(**arr);
  WipeJson(j);
  if (!ops.ok()) return ops.status();
  if (ops->empty() || ops->front().fuc != fuc_from || ops->back().fuc != fuc_to) {
    return Error(ErrorCode::kCorruptData, "stored operations do not match their FUC range");
  }
  return std::move(ops).value();
}

}  // namespace licet::central::engine
