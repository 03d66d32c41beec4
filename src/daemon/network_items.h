// The seats a network server offers are the product items of licetd's own containers: this
// lookup finds the item a network access asks for and applies the item checks of an access
// (docs/PROTOCOL.md "Access rules": firm key, time limits, maintenance, feature, units, access
// mode), leaving the seats to the network SeatTable.
#ifndef LICET_DAEMON_NETWORK_ITEMS_H_
#define LICET_DAEMON_NETWORK_ITEMS_H_

#include "common/clock.h"
#include "daemon/network_config.h"
#include "engine/container_cache.h"
#include "network/server.h"

namespace licet::daemon {

// Everything must outlive the returned function. Thread-safe (the cache is).
network::ItemLookup MakeItemLookup(engine::ContainerCache* cache, const NetworkConfig* config,
                                   const Clock* clock);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_NETWORK_ITEMS_H_
