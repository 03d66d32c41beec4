#include "engine/context_file.h"

#include "crypto/crypto.h"
#include "format/cose.h"
#include "format/payload.h"
#include "model/serialize.h"

namespace licet::engine {
namespace {

using nlohmann::json;
constexpr size_t kNonceSize = 16;
constexpr size_t kMaxContextFirms = 1000;

// Secret and hidden data never leave the container.
json ProductSummary(const model::ProductItem& item) {
  model::ProductItem summary = item;
  summary.secret_data = model::ItemSecret();
  summary.hidden_data.clear();
  summary.hidden_access_code.clear();
  return model::ToJson(summary);
}

json FirmJson(const model::FirmItem* firm, uint32_t firm_code) {
  json products = json::array();
  json j = {{"firm_code", firm_code}, {"fuc", firm ? firm->fuc : 0}};
  if (firm != nullptr) {
    j["name"] = firm->name;
    j["firm_key"] = format::Binary(firm->public_key);
    for (const auto& item : firm->products) products.push_back(ProductSummary(item));
  }
  j["products"] = std::move(products);
  return j;
}

Result<ContextFirm> FirmFromJson(const json& j) {
  ContextFirm firm;
  LICET_ASSIGN_OR_RETURN(firm.firm_code, format::GetUint32(j, "firm_code"));
  LICET_ASSIGN_OR_RETURN(firm.fuc, format::GetUint(j, "fuc"));
  LICET_ASSIGN_OR_RETURN(std::optional<std::string> name, format::GetOptionalString(j, "name"));
  firm.name = name.value_or("");
  LICET_ASSIGN_OR_RETURN(std::optional<Bytes> key, format::GetOptionalBinary(j, "firm_key"));
  firm.public_key = key.value_or(Bytes());
  if (firm.fuc > 0 && firm.public_key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kCorruptData, "context: firm " + std::to_string(firm.firm_code) +
                                              " has no valid firm_key");
  }
  LICET_ASSIGN_OR_RETURN(const json* products, format::GetArray(j, "products"));
  if (products->size() > model::kMaxProductsPerFirm) {
    return Error(ErrorCode::kCorruptData, "context: too many products");
  }
  for (const json& p : *products) {
    LICET_ASSIGN_OR_RETURN(model::ProductItem item, model::ProductItemFromJson(p));
    firm.products.push_back(std::move(item));
  }
  return firm;
}

}  // namespace

const ContextFirm* ContainerContext::FindFirm(uint32_t firm_code) const {
  for (const auto& f : firms) {
    if (f.firm_code == firm_code) return &f;
  }
  return nullptr;
}

Result<Bytes> MakeContextFile(const SoftContainer& c, std::optional<uint32_t> firm_code,
                              format::FileKind kind, UnixTime now) {
  if (kind != format::FileKind::kContext && kind != format::FileKind::kReceipt) {
    return Error(ErrorCode::kInvalidArgument, "a context file is a context or a receipt");
  }
  json firms = json::array();
  if (firm_code) {
    if (*firm_code == 0) return Error(ErrorCode::kInvalidArgument, "firm code must not be 0");
    firms.push_back(FirmJson(c.state.FindFirm(*firm_code), *firm_code));
  } else {
    for (const auto& firm : c.state.firms) firms.push_back(FirmJson(&firm, firm.firm_code));
  }
  json payload = {{"serial", c.serial},
                  {"enc_key", format::Binary(c.enc_public_key)},
                  {"sig_key", format::Binary(c.sig_public_key)},
                  {"time", now},
                  {"certified_time", c.state.certified_time},
                  {"highest_time", c.state.highest_time_seen},
                  {"nonce", format::Binary(crypto::RandomBytes(kNonceSize))},
                  {"firms", std::move(firms)}};
  Bytes header = format::EnvelopeHeader(kind);
  LICET_ASSIGN_OR_RETURN(Bytes signed_body,
                         format::CoseSign1Sign(format::EncodePayload(payload), header,
                                               c.sig_private_key));
  return format::WrapEnvelope(kind, signed_body);
}

Result<ContainerContext> ReadContextFile(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(format::Envelope env, format::ParseEnvelope(file));
  if (env.kind != format::FileKind::kContext && env.kind != format::FileKind::kReceipt) {
    return Error(ErrorCode::kWrongFileKind, std::string("expected a context or receipt file, got ") +
                                                format::FileKindName(env.kind) + " file");
  }
  LICET_ASSIGN_OR_RETURN(format::CoseSign1 message, format::CoseSign1Parse(env.body));
  LICET_ASSIGN_OR_RETURN(json payload, format::DecodePayload(message.payload));
  ContainerContext ctx;
  ctx.kind = env.kind;
  LICET_ASSIGN_OR_RETURN(ctx.serial, format::GetString(payload, "serial"));
  LICET_RETURN_IF_ERROR(ParseSerial(ctx.serial));
  LICET_ASSIGN_OR_RETURN(ctx.enc_public_key, format::GetBinaryOfSize(payload, "enc_key", 32));
  LICET_ASSIGN_OR_RETURN(ctx.sig_public_key, format::GetBinaryOfSize(payload, "sig_key", 32));
  // Self-signed: the signature proves the file was made by the holder of the container key
  // and was not changed since. Central pins the key to the serial on first sight.
  LICET_RETURN_IF_ERROR(format::CoseSign1Verify(message, env.header, ctx.sig_public_key)
                            .WithContext(std::string(format::FileKindName(env.kind)) + " file"));
  LICET_ASSIGN_OR_RETURN(ctx.time, format::GetInt(payload, "time"));
  LICET_ASSIGN_OR_RETURN(ctx.certified_time, format::GetInt(payload, "certified_time"));
  LICET_ASSIGN_OR_RETURN(ctx.highest_time_seen, format::GetInt(payload, "highest_time"));
  LICET_ASSIGN_OR_RETURN(ctx.nonce, format::GetBinaryOfSize(payload, "nonce", kNonceSize));
  LICET_ASSIGN_OR_RETURN(const json* firms, format::GetArray(payload, "firms"));
  if (firms->size() > kMaxContextFirms) {
    return Error(ErrorCode::kCorruptData, "context has too many firms");
  }
  for (const json& f : *firms) {
    LICET_ASSIGN_OR_RETURN(ContextFirm firm, FirmFromJson(f));
    if (ctx.FindFirm(firm.firm_code) != nullptr) {
      return Error(ErrorCode::kCorruptData, "context lists firm " + std::to_string(firm.firm_code) + " twice");
    }
    ctx.firms.push_back(std::move(firm));
  }
  return ctx;
}

}  // namespace licet::engine
