// What the network server needs from its owner (licetd) to lend seats (docs/NETWORK.md
// "Borrowing"): the item a borrow asks for, checked as for an access, with its borrow rules;
// and the signer that turns a loan into a borrow entry with the server container's key.
// The server itself (borrow_server.cc) checks the rules, the seats and the access rules, and
// keeps the BorrowTable.
#ifndef LICET_NETWORK_BORROW_SERVER_H_
#define LICET_NETWORK_BORROW_SERVER_H_

#include <functional>

#include "common/bytes.h"
#include "common/status.h"
#include "model/items.h"
#include "network/borrow_table.h"
#include "network/borrow_wire.h"
#include "network/seat_table.h"

namespace licet::network {

struct BorrowOffer {
  ItemSpec spec;             // as an ItemLookup gives it (serial, quantity, lease timeout)
  model::BorrowRules rules;  // the item's borrow rules
  UnixTime expiration = 0;   // the item's expiration; 0 = none (a loan never outlives it)
};

struct BorrowIssuer {
  // Finds and checks the item (kEntryNotFound, kExpired, ...). Called on an io thread.
  std::function<Result<BorrowOffer>(const BorrowRequest&)> lookup;
  // The signed entry for a loan about to be granted (engine/borrow_entry.h), made with the
  // key of container `record.serial`; the item's secret encrypted to `request.client_enc_key`.
  std::function<Result<Bytes>(const BorrowRequest&, const BorrowRecord&)> sign;
};

}  // namespace licet::network

#endif  // LICET_NETWORK_BORROW_SERVER_H_
