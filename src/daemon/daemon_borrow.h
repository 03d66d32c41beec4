// licetd's side of lending network seats (docs/NETWORK.md "Borrowing"): the network server
// finds borrowable items in licetd's containers and signs borrow entries with their keys.
#ifndef LICET_DAEMON_DAEMON_BORROW_H_
#define LICET_DAEMON_DAEMON_BORROW_H_

#include <string>

#include "common/clock.h"
#include "daemon/network_config.h"
#include "engine/container_cache.h"
#include "network/server.h"

namespace licet::daemon {

// Turns on borrowing on `server`: items come from `cache` (checked as for a network access),
// entries are signed by the lending container's key, loans are kept in
// `home`/network/borrows.cbor. Everything must outlive the server. kCorruptData when the loan
// file is damaged (licetd refuses to start rather than forget loans).
[[nodiscard]] Status EnableNetworkBorrowing(network::Server& server, engine::ContainerCache* cache,
                                            const NetworkConfig* config, const std::string& home,
                                            const Clock* clock);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_DAEMON_BORROW_H_
