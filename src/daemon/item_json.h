// The views of containers and items that licetd sends: the protocol's `item` map
// (docs/PROTOCOL.md) and the `licet list --json` document. Secret and hidden data never appear.
#ifndef LICET_DAEMON_ITEM_JSON_H_
#define LICET_DAEMON_ITEM_JSON_H_

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "engine/container_cache.h"
#include "model/items.h"

namespace licet::daemon {

// The `item` map of access and info responses.
nlohmann::json ItemMap(uint32_t firm_code, const model::ProductItem& item);

// The `containers` array of `licet list --json`: per container its serial, type, binding,
// creation time, clock state and display state, each product with its "status" at `now`
// ("valid" or why an access would be refused). A container that cannot be opened shows
// "error" and "error_code" instead.
nlohmann::json ContainersJson(const std::vector<engine::CachedContainer>& containers, UnixTime now);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_ITEM_JSON_H_
