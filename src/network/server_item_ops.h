// What the network server needs from its owner to crypt with, and decrement the units of, the
// item of a network lease, and to start an item's usage period at its first network access
// (docs/NETWORK.md "Crypt and units"). The items live in licetd's containers, so licetd
// provides these (daemon/network_item_ops.h) exactly as its local operations do them: the
// same key derivation, the same write queue that persists before it answers.
#ifndef LICET_NETWORK_SERVER_ITEM_OPS_H_
#define LICET_NETWORK_SERVER_ITEM_OPS_H_

#include <functional>
#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "network/seat_table.h"
#include "network/wire.h"

namespace licet::network {

struct ItemOps {
  // Runs a crypt with the item now (the item checks of a local crypt apply: time limits,
  // feature). Called on an io thread with the request's bytes (at most kMaxNetworkCryptData),
  // so it computes inline. The Status is the client's refusal.
  std::function<Result<CryptAnswer>(const LeaseTarget& target, const CryptRequest& request)> crypt;
  // Decrements the item's units by `decrement` and calls `done` with the units left once that
  // is on disk (or the refusal, e.g. kNoMoreUnits, with nothing changed). `done` may run on
  // any thread.
  std::function<void(const LeaseTarget& target, uint64_t decrement,
                     std::function<void(Result<uint64_t>)> done)>
      units;
  // Starts the item's usage period now if it has not started, and calls `done` with the
  // item's map (as a grant shows it) once the start is on disk. Any thread.
  std::function<void(const LeaseTarget& target, std::function<void(Result<nlohmann::json>)> done)>
      first_use;
};

}  // namespace licet::network

#endif  // LICET_NETWORK_SERVER_ITEM_OPS_H_
