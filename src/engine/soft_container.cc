#include "engine/soft_container.h"

#include <optional>
#include <string_view>

#include "crypto/crypto.h"
#include "format/envelope.h"
#include "format/payload.h"
#include "model/serialize.h"

namespace licet::engine {
namespace {

using nlohmann::json;

Result<SecretBytes> BodyKey(const SecretBytes& master) {
  return crypto::HkdfSha256(master.span(), {}, AsBytes("licet container body v1"),
                            crypto::kKeySize);
}

// Additional data of the sealed body: the envelope header and the public part, so that
// neither can be swapped under a sealed body.
Bytes BodyAad(ByteSpan public_part) {
  Bytes aad = format::EnvelopeHeader(format::FileKind::kContainer);
  aad.insert(aad.end(), public_part.begin(), public_part.end());
  return aad;
}

struct ParsedFile {
  Bytes public_part;
  Bytes nonce;
  Bytes sealed;
  ContainerFileInfo info;
};

Result<ParsedFile> Parse(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(format::Envelope env,
                         format::ParseEnvelopeOfKind(file, format::FileKind::kContainer));
  LICET_ASSIGN_OR_RETURN(json body, format::DecodePayload(env.body));
  ParsedFile parsed;
  LICET_ASSIGN_OR_RETURN(parsed.public_part, format::GetBinary(body, "public"));
  LICET_ASSIGN_OR_RETURN(parsed.nonce, format::GetBinaryOfSize(body, "nonce", crypto::kNonceSize));
  LICET_ASSIGN_OR_RETURN(parsed.sealed, format::GetBinary(body, "sealed"));
  LICET_ASSIGN_OR_RETURN(json pub, format::DecodePayload(parsed.public_part));
  ContainerFileInfo& info = parsed.info;
  LICET_ASSIGN_OR_RETURN(info.serial, format::GetString(pub, "serial"));
  LICET_RETURN_IF_ERROR(ParseSerial(info.serial));
  LICET_ASSIGN_OR_RETURN(info.created, format::GetInt(pub, "created"));
  LICET_ASSIGN_OR_RETURN(info.enc_public_key, format::GetBinaryOfSize(pub, "enc_key", 32));
  LICET_ASSIGN_OR_RETURN(info.sig_public_key, format::GetBinaryOfSize(pub, "sig_key", 32));
  LICET_ASSIGN_OR_RETURN(const json* binding, format::GetMap(pub, "binding"));
  LICET_ASSIGN_OR_RETURN(info.binding, container::DeviceBindingFromJson(*binding));
  return parsed;
}

}  // namespace

std::string FormatSerial(uint32_t mask, uint32_t number) {
  return std::to_string(mask) + "-" + std::to_string(number);
}

namespace {
// Decimal without sign, spaces or leading zeros: one spelling per container.
std::optional<uint64_t> CanonicalDecimal(std::string_view digits, size_t max_digits) {
  if (digits.empty() || digits.size() > max_digits) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  return v;
}
}  // namespace

Result<std::pair<uint32_t, uint32_t>> ParseSerial(const std::string& serial) {
  size_t dash = serial.find('-');
  std::optional<uint64_t> mask, number;
  if (dash != std::string::npos) {
    mask = CanonicalDecimal(std::string_view(serial).substr(0, dash), 5);
    number = CanonicalDecimal(std::string_view(serial).substr(dash + 1), 10);
  }
  if (!mask || !number || *mask > 0xffff || *number == 0 || *number > 0xffffffffULL) {
    return Error(ErrorCode::kInvalidArgument,
                 "'" + serial + "' is not a container serial (MASK-NUMBER, e.g. 130-1166426881)");
  }
  return std::make_pair(static_cast<uint32_t>(*mask), static_cast<uint32_t>(*number));
}

Result<SoftContainer> CreateSoftContainer(uint32_t number,
                                          const std::vector<container::DeviceProperty>& props,
                                          int threshold, UnixTime now) {
  SoftContainer c;
  c.serial = FormatSerial(kSoftContainerMask, number);
  c.created = now;
  LICET_ASSIGN_OR_RETURN(crypto::KeyPair enc, crypto::X25519Generate());
  LICET_ASSIGN_OR_RETURN(crypto::KeyPair sig, crypto::Ed25519Generate());
  c.enc_public_key = std::move(enc.public_key);
  c.enc_private_key = std::move(enc.private_key);
  c.sig_public_key = std::move(sig.public_key);
  c.sig_private_key = std::move(sig.private_key);
  c.master_key = crypto::RandomSecret(container::kBindingSecretSize);
  LICET_ASSIGN_OR_RETURN(c.binding, container::BindToDevice(c.master_key, props, threshold));
  c.state.highest_time_seen = now;
  return c;
}

Result<Bytes> EncodeContainerFile(const SoftContainer& c) {
  json pub = {{"serial", c.serial},
              {"created", c.created},
              {"enc_key", format::Binary(c.enc_public_key)},
              {"sig_key", format::Binary(c.sig_public_key)},
              {"binding", container::DeviceBindingToJson(c.binding)}};
  Bytes public_part = format::EncodePayload(pub);

  json secret = {{"enc_private", format::Binary(c.enc_private_key.span())},
                 {"sig_private", format::Binary(c.sig_private_key.span())},
                 {"generation", c.generation},
                 {"state", model::ToJson(c.state)}};
  Bytes plain = format::EncodePayload(secret);
  format::WipeBinaries(secret);

  LICET_ASSIGN_OR_RETURN(SecretBytes key, BodyKey(c.master_key));
  Bytes nonce = crypto::RandomBytes(crypto::kNonceSize);
  auto sealed = crypto::AesGcmEncrypt(key.span(), nonce, BodyAad(public_part), plain);
  SecureWipe(plain.data(), plain.size());
  if (!sealed.ok()) return sealed.status();

  json body = {{"public", format::Binary(public_part)},
               {"nonce", format::Binary(nonce)},
               {"sealed", format::Binary(*sealed)}};
  return format::WrapEnvelope(format::FileKind::kContainer, format::EncodePayload(body));
}

Result<ContainerFileInfo> ReadContainerFileInfo(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(ParsedFile parsed, Parse(file));
  return std::move(parsed.info);
}

Result<SoftContainer> DecodeContainerFile(ByteSpan file,
                                          const std::vector<container::DeviceProperty>& props) {
  LICET_ASSIGN_OR_RETURN(ParsedFile parsed, Parse(file));
  SoftContainer c;
  c.serial = parsed.info.serial;
  c.created = parsed.info.created;
  c.enc_public_key = parsed.info.enc_public_key;
  c.sig_public_key = parsed.info.sig_public_key;
  c.binding = std::move(parsed.info.binding);

  LICET_ASSIGN_OR_RETURN(c.master_key, container::UnbindFromDevice(c.binding, props));
  LICET_ASSIGN_OR_RETURN(SecretBytes key, BodyKey(c.master_key));
  auto plain = crypto::AesGcmDecrypt(key.span(), parsed.nonce, BodyAad(parsed.public_part),
                                     parsed.sealed);
  if (!plain.ok()) {
    return Error(ErrorCode::kCorruptData,
                 "container " + c.serial + " is damaged or was modified (its seal does not verify)");
  }
  LICET_ASSIGN_OR_RETURN(json secret, format::DecodePayload(plain->span()));
  LICET_ASSIGN_OR_RETURN(Bytes enc_private, format::GetBinaryOfSize(secret, "enc_private", 32));
  LICET_ASSIGN_OR_RETURN(Bytes sig_private, format::GetBinaryOfSize(secret, "sig_private", 32));
  c.enc_private_key = SecretBytes(enc_private);
  c.sig_private_key = SecretBytes(sig_private);
  SecureWipe(enc_private.data(), enc_private.size());
  SecureWipe(sig_private.data(), sig_private.size());
  LICET_ASSIGN_OR_RETURN(c.generation, format::GetUint(secret, "generation"));
  LICET_ASSIGN_OR_RETURN(const json* state, format::GetMap(secret, "state"));
  auto parsed_state = model::ContainerStateFromJson(*state);
  format::WipeBinaries(secret);
  if (!parsed_state.ok()) return parsed_state.status();
  c.state = std::move(parsed_state).value();
  return c;
}

}  // namespace licet::engine
