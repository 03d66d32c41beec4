// Product templates as the REST API reads and writes them (docs/openapi.yaml
// "ProductTemplate"). The keys are those of the ProductItem map (docs/FORMATS.md §6.1) with
// forms convenient in JSON: byte strings as hex, times as RFC 3339 or Unix seconds,
// durations as "30d" or seconds, access modes as "user-limit,exclusive" or bits, plus
// "hidden_access_code" (the code itself; Central stores its hash) and "expires_after"
// (relative expiration). Responses never show secret or hidden data.
#ifndef LICET_CENTRAL_API_TEMPLATE_JSON_H_
#define LICET_CENTRAL_API_TEMPLATE_JSON_H_

#include <nlohmann/json.hpp>

#include "central/engine/template.h"
#include "common/status.h"

namespace licet::central::api {

// kInvalidArgument naming the field for anything wrong; `product_code` is the product's
// (a "code" in the template must equal it).
Result<engine::ProductTemplate> TemplateFromApiJson(const nlohmann::json& j, uint32_t product_code);

// model::ToDisplayJson of the item plus "expires_after" ("365d") when set.
nlohmann::json TemplateToApiJson(const engine::ProductTemplate& t);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_TEMPLATE_JSON_H_
