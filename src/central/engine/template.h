// Product templates: the ProductItem a ticket's product becomes in a container, with every
// option of DESIGN §1 (module items included), plus what only makes sense before activation:
// an expiration relative to the activation time.
#ifndef LICET_CENTRAL_ENGINE_TEMPLATE_H_
#define LICET_CENTRAL_ENGINE_TEMPLATE_H_

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/items.h"

namespace licet::central::engine {

struct ProductTemplate {
  model::ProductItem item;               // product_code is the product's
  std::optional<int64_t> expires_after;  // seconds after activation; excludes item.expiration
  bool operator==(const ProductTemplate&) const = default;
};

// kInvalidArgument when the item is invalid (model::Validate), has code 0, or has both an
// absolute expiration and expires_after, or expires_after is not 1 s .. 100 years.
[[nodiscard]] Status ValidateTemplate(const ProductTemplate& t);

// Storage form (sealed by the Vault): a CBOR payload {"item": ProductItem map,
// "expires_after"?: uint}. Decode is strict (format::DecodePayload, model decoders).
Bytes EncodeTemplate(const ProductTemplate& t);
Result<ProductTemplate> DecodeTemplate(ByteSpan cbor);

// The item to issue at `now`: expires_after turned into an absolute expiration (capped at
// model::kMaxTime). kInvalidArgument when the result is invalid (e.g. an activation_time
// after the computed expiration).
Result<model::ProductItem> Instantiate(const ProductTemplate& t, UnixTime now);

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_TEMPLATE_H_
