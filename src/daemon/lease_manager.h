// Leases: which handles hold which product items, and how many seats that takes
// (docs/PROTOCOL.md "Access rules", the seats part).
//
// Seats of one item are counted per access mode:
//   user-limit     one seat per handle;
//   station-share  one seat per machine for any number of handles (all local handles are one
//                  machine, so all of them together take one seat);
//   exclusive      one seat; refused while any other handle holds the item, and while it is
//                  held every other access is refused (kExclusiveConflict);
//   no-user-limit  no seat (the item's access_modes must allow it; checked by the caller).
// An item with linger_time > 0 keeps a released seat taken for that many seconds. The same
// uid (for user-limit and exclusive) or the machine (for station-share) takes a lingering
// seat back when it accesses again, so a restarted program finds its seat; others wait.
// Lingering seats count against license_quantity but are not handles: they do not cause
// kExclusiveConflict.
//
// Not thread-safe: the owner serialises calls (licetd's Dispatcher holds a mutex).
#ifndef LICET_DAEMON_LEASE_MANAGER_H_
#define LICET_DAEMON_LEASE_MANAGER_H_

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/aes_gcm_key.h"
#include "model/items.h"

namespace licet::daemon {

using HandleId = uint64_t;
using ConnectionId = uint64_t;

// A product item of a container.
struct ItemKey {
  std::string serial;
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  auto operator<=>(const ItemKey&) const = default;
};

// A key derived for `crypt`, kept while the handle lives so repeated calls skip the HKDF.
struct CachedCryptKey {
  uint32_t feature_code = 0;
  uint32_t encryption_code = 0;
  SecretBytes key;
  // The same key prepared for AES-GCM (no key schedule per call). Lent to the crypt that
  // uses it and handed back after (null meanwhile: a concurrent crypt prepares its own).
  std::unique_ptr<crypto::AesGcmKey> gcm;
};

struct Lease {
  HandleId handle = 0;
  ConnectionId connection = 0;
  pid_t pid = 0;
  uid_t uid = 0;
  ItemKey item;
  model::AccessMode mode = model::AccessMode::kUserLimit;
  UnixTime since = 0;
  int64_t linger_time = 0;
  std::vector<CachedCryptKey> crypt_keys;  // wiped when the lease is freed
};

struct LeaseRequest {
  ConnectionId connection = 0;
  pid_t pid = 0;
  uid_t uid = 0;
  ItemKey item;
  model::AccessMode mode = model::AccessMode::kUserLimit;
  uint32_t license_quantity = 1;  // the item's, at the time of the access
  int64_t linger_time = 0;        // the item's
};

// Seats of one item now.
struct SeatUsage {
  uint32_t handles = 0;    // leases, any mode
  uint32_t seats = 0;      // seats taken, lingering ones included
  uint32_t lingering = 0;  // seats taken by released leases within their linger time
  bool exclusive = false;  // an exclusive lease holds the item
};

class LeaseManager {
 public:
  // `clock` must outlive the manager; it times `since` and linger.
  explicit LeaseManager(const Clock* clock) : clock_(clock) {}
  LeaseManager(const LeaseManager&) = delete;
  LeaseManager& operator=(const LeaseManager&) = delete;

  // Grants a lease and returns its handle (unique for the life of the manager), or
  // kExclusiveConflict / kNoMoreLicenses with a message naming the product.
  Result<HandleId> Acquire(const LeaseRequest& request);

  // The lease `handle` when `connection` holds it, else nullptr (a handle is usable only on
  // the connection that made it).
  Lease* Find(HandleId handle, ConnectionId connection);

  // Frees a lease (its seat lingers if the item says so). kInvalidArgument when `connection`
  // holds no such handle.
  Status Release(HandleId handle, ConnectionId connection);

  // Frees a lease without linger: an access that was granted but then failed.
  void Cancel(HandleId handle);

  // Frees every lease of a closed connection, as Release does. Returns how many.
  size_t ReleaseConnection(ConnectionId connection);

  // Seats of `item` now (expired lingering seats are not counted).
  SeatUsage Usage(const ItemKey& item);

  // Every lease, ordered by handle (for the status page).
  std::vector<const Lease*> All() const;
  // Number of leases per item.
  std::map<ItemKey, uint32_t> CountByItem() const;
  size_t size() const { return leases_.size(); }

 private:
  struct Lingering {
    UnixTime until = 0;
    uid_t uid = 0;
    bool station = false;  // a station-share seat: any handle of this machine takes it back
  };
  struct ItemSeats {
    uint32_t user_limit = 0;
    uint32_t station = 0;
    uint32_t exclusive = 0;
    uint32_t no_limit = 0;
    std::vector<Lingering> lingering;
    uint32_t handles() const { return user_limit + station + exclusive + no_limit; }
    uint32_t seats() const {
      return user_limit + exclusive + (station > 0 ? 1 : 0) +
             static_cast<uint32_t>(lingering.size());
    }
  };

  void Prune(ItemSeats& seats, UnixTime now);
  void Free(std::unordered_map<HandleId, Lease>::iterator it, bool linger);

  const Clock* clock_;
  HandleId next_handle_ = 1;
  std::unordered_map<HandleId, Lease> leases_;
  std::map<ItemKey, ItemSeats> items_;
  std::unordered_map<ConnectionId, std::vector<HandleId>> by_connection_;
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_LEASE_MANAGER_H_
