#include "central/engine/template.h"

#include <nlohmann/json.hpp>

#include "format/payload.h"
#include "model/serialize.h"

namespace licet::central::engine {

Status ValidateTemplate(const ProductTemplate& t) {
  if (t.item.product_code == 0) return Error(ErrorCode::kInvalidArgument, "product code 0");
  if (t.expires_after) {
    if (t.item.expiration) {
      return Error(ErrorCode::kInvalidArgument,
                   "a template has either an absolute expiration or expires_after, not both");
    }
    if (*t.expires_after < 1 || *t.expires_after > model::kMaxUsagePeriod) {
      return Error(ErrorCode::kInvalidArgument, "expires_after must be 1 second to 100 years");
    }
  }
  return model::Validate(t.item);
}

Bytes EncodeTemplate(const ProductTemplate& t) {
  nlohmann::json j = {{"item", model::ToJson(t.item)}};
  if (t.expires_after) j["expires_after"] = static_cast<uint64_t>(*t.expires_after);
  Bytes out = format::EncodePayload(j);
  // The item may carry a secret: wipe nlohmann's copy.
  if (j["item"].contains("secret") && j["item"]["secret"].is_binary()) {
    auto& b = j["item"]["secret"].get_binary();
    SecureWipe(b.data(), b.size());
  }
  return out;
}

Result<ProductTemplate> DecodeTemplate(ByteSpan cbor) {
  LICET_ASSIGN_OR_RETURN(nlohmann::json j, format::DecodePayload(cbor));
  ProductTemplate t;
  LICET_ASSIGN_OR_RETURN(const nlohmann::json* item, format::GetMap(j, "item"));
  LICET_ASSIGN_OR_RETURN(t.item, model::ProductItemFromJson(*item));
  LICET_ASSIGN_OR_RETURN(auto after, format::GetOptionalUint(j, "expires_after"));
  if (after) {
    if (*after > static_cast<uint64_t>(model::kMaxUsagePeriod)) {
      return Error(ErrorCode::kCorruptData, "expires_after out of range");
    }
    t.expires_after = static_cast<int64_t>(*after);
  }
  LICET_RETURN_IF_ERROR(ValidateTemplate(t));
  return t;
}

Result<model::ProductItem> Instantiate(const ProductTemplate& t, UnixTime now) {
  model::ProductItem item = t.item;
  if (t.expires_after) {
    item.expiration = std::min<UnixTime>(model::kMaxTime, now + *t.expires_after);
  }
  LICET_RETURN_IF_ERROR(model::Validate(item).WithContext(
      "product " + std::to_string(item.product_code) + " as issued now"));
  return item;
}

}  // namespace licet::central::engine
