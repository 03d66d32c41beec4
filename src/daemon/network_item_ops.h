// The network server's crypt, units and first use (network/server_item_ops.h) on licetd's own
// containers: the key derivation of the local crypt (crypt_key.h) and the write queue of the
// local units and usage-period start, so a network lease behaves as a local handle would.
#ifndef LICET_DAEMON_NETWORK_ITEM_OPS_H_
#define LICET_DAEMON_NETWORK_ITEM_OPS_H_

#include "common/clock.h"
#include "daemon/write_queue.h"
#include "engine/container_cache.h"
#include "network/server_item_ops.h"

namespace licet::daemon {

// Everything must outlive the returned ops. Thread-safe.
network::ItemOps MakeItemOps(engine::ContainerCache* cache, WriteQueue* writes, const Clock* clock);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_NETWORK_ITEM_OPS_H_
