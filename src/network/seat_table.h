// The network server's seats: which clients hold which product items of the server's
// containers, counted per access mode (docs/NETWORK.md "Seats"):
//   USER_LIMIT     one seat per lease;
//   STATION_SHARE  one seat per client machine (its machine identity and address), for any
//                  number of leases from it;
//   EXCLUSIVE      one seat; refused while anyone else holds the item, and while it is held
//                  every other access is refused (kExclusiveConflict);
//   NO_USER_LIMIT  no seat.
// A lease lives while its client sends anything (a heartbeat, any request) at least every
// lease_timeout seconds of its item; Expire frees the leases of silent clients. A client is
// known by its 16-byte id, not by its connection: a client that reconnects within the timeout
// keeps its leases, and one that lost them (server restart) asks again with `reclaim`.
//
// Costs: Touch (heartbeat) is O(1); Acquire and Release are O(1) on average; Expire is
// O(clients). A lease takes about 100 bytes.
//
// Not thread-safe: the owner serialises calls (the Server holds a mutex).
#ifndef LICET_NETWORK_SEAT_TABLE_H_
#define LICET_NETWORK_SEAT_TABLE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/items.h"
#include "network/access_rules.h"

namespace licet::network {

using ClientRef = uint32_t;
using LeaseId = uint64_t;

// What the server's container says about an item when it is accessed.
struct ItemSpec {
  std::string serial;
  uint32_t license_quantity = 1;
  int64_t lease_timeout = 120;  // seconds
  nlohmann::json item;          // the item's properties as the local API shows them (a map)
  // Seats held back for groups (network.reservations), marked for the requester. A member
  // takes its group's reserved seats first; anyone else (and a member once they are full)
  // only the seats nobody reserved. A STATION_SHARE seat is charged once per station, to the
  // group of the access that opened it, and given back when the station's last lease goes.
  std::vector<SeatReservation> reservations;
  // The item has a usage period that has not started: the server persists its start (at
  // this access) before it answers the grant.
  bool first_use = false;
};

// The item a lease is on, for crypt and units on a network lease.
struct LeaseTarget {
  std::string serial;
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
};

// Who a client is, from its hello and its connection.
struct ClientInfo {
  Bytes client_id;
  std::string host;
  std::string machine;
  std::string address;  // peer IP address
};

struct SeatGrant {
  LeaseId lease = 0;
  bool reclaimed = false;  // the lease named in `reclaim` was still held
};

// Seats of one item now.
struct ItemUsage {
  uint32_t leases = 0;
  uint32_t seats = 0;
  uint32_t quantity = 0;
  uint32_t peak = 0;  // the most seats ever taken at once
  uint64_t denied = 0;
};

// One refused access, for the admin page.
struct Denial {
  UnixTime when = 0;
  std::string host;
  std::string user;
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  ErrorCode code = ErrorCode::kOk;
  std::string reason;
};

class SeatTable {
 public:
  static constexpr size_t kMaxDenialsKept = 200;

  // `clock` must outlive the table.
  explicit SeatTable(const Clock* clock);
  SeatTable(const SeatTable&) = delete;
  SeatTable& operator=(const SeatTable&) = delete;

  // Registers a client or finds it again by its id (then host, machine and address are
  // updated: a client that moved keeps its leases). Counts as a heartbeat. A client that says
  // hello again (it reconnected) must reclaim each lease it still wants within the lease
  // timeout: the others (released or asked for while it was cut off) are then freed.
  ClientRef Hello(const ClientInfo& info);

  // Grants a lease on (firm, product) as `spec` describes it now. With `reclaim` naming a
  // lease this client still holds on the same item, returns that lease. kNoMoreLicenses when
  // every seat is taken, kExclusiveConflict for the exclusive rules; the message names the
  // product and the seats.
  [[nodiscard]] Result<SeatGrant> Acquire(ClientRef client, uint32_t firm_code,
                                          uint32_t product_code, const ItemSpec& spec,
                                          model::AccessMode mode, const std::string& user,
                                          LeaseId reclaim);

  // Frees a lease of `client`. kInvalidArgument when the client holds no such lease.
  [[nodiscard]] Status Release(ClientRef client, LeaseId lease);
  // Frees a lease whoever holds it (the admin's "free this seat"). kNotFound when unknown.
  [[nodiscard]] Status Revoke(LeaseId lease);

  // The item of a lease `client` holds (counts as a sign of life). kInvalidArgument when the
  // client holds no such lease. O(1).
  [[nodiscard]] Result<LeaseTarget> TargetOf(ClientRef client, LeaseId lease);

  // A sign of life from `client`; returns the number of leases it holds. O(1).
  size_t Touch(ClientRef client);

  // Frees the leases of clients silent for longer than their items' lease timeouts and
  // forgets clients without leases that have been silent that long. Returns leases freed.
  size_t Expire();

  // Records a refused access for the admin page and the metrics.
  void RecordDenial(ClientRef client, uint32_t firm_code, uint32_t product_code,
                    const std::string& user, const Status& why);

  ItemUsage Usage(uint32_t firm_code, uint32_t product_code) const;
  // The host name `client` gave in its hello ("" for an unknown client).
  std::string HostOf(ClientRef client) const;
  // Its client id in lower-case hex ("" for an unknown client), for the usage log.
  std::string ClientIdHexOf(ClientRef client) const;
  size_t lease_count() const { return leases_.size(); }
  size_t client_count() const { return clients_.size(); }
  uint64_t denied_total() const { return denied_total_; }

  // The status table: one row per lease (client host\user, container, firm, product, mode,
  // since, last heartbeat, lease id), at most `limit` rows.
  nlohmann::json LeaseRows(size_t limit) const;
  // Per item: quantity, seats used, leases, peak, denied; and peak seats per hour.
  nlohmann::json ItemRows() const;
  nlohmann::json DenialRows() const;

 private:
  using ItemIndex = uint32_t;
  struct Lease {
    ClientRef client = 0;
    ItemIndex item = 0;
    model::AccessMode mode = model::AccessMode::kUserLimit;
    uint32_t pos = 0;          // index in the client's lease list (swap-remove)
    bool unconfirmed = false;  // held across a reconnect and not reclaimed yet
    UnixTime since = 0;
    std::string user;
    std::string group;  // the reservation this lease's seat counts against, or ""
  };
  struct Client {
    ClientInfo info;
    std::string station;  // machine identity and address: the STATION_SHARE key
    UnixTime last_seen = 0;
    UnixTime hello_at = 0;     // the last hello
    uint32_t unconfirmed = 0;  // leases waiting to be reclaimed since that hello
    std::vector<LeaseId> leases;
  };
  struct Item {
    uint32_t firm_code = 0;
    uint32_t product_code = 0;
    ItemSpec spec;
    uint32_t user_limit = 0;
    uint32_t exclusive = 0;
    uint32_t no_limit = 0;
    struct Station {
      uint32_t leases = 0;
      std::string group;  // the reservation the station's seat counts against, or ""
    };
    std::unordered_map<std::string, Station> stations;  // station key -> its seat
    uint32_t peak = 0;
    uint64_t denied = 0;
    std::map<UnixTime, uint32_t> hourly_peak;  // hour start -> peak seats (last 48 hours)
    uint32_t station_leases = 0;
    std::map<std::string, uint32_t> reserved_used;  // group -> its reserved seats in use
    uint32_t leases() const { return user_limit + exclusive + no_limit + station_leases; }
    uint32_t seats() const {
      return user_limit + exclusive + static_cast<uint32_t>(stations.size());
    }
  };

  ItemIndex FindOrAddItem(uint32_t firm_code, uint32_t product_code, const ItemSpec& spec);
  void Free(LeaseId id);
  void NoteSeats(Item& item);
  // The group whose reserved seats a new seat counts against ("" = an unreserved seat), or
  // kNoMoreLicenses when the only free seats are reserved for groups the requester is not in.
  [[nodiscard]] Result<std::string> ChargeReservation(const Item& item, const ItemSpec& spec,
                                                      const std::string& what) const;

  const Clock* clock_;
  LeaseId next_lease_;
  ClientRef next_client_ = 1;
  std::unordered_map<LeaseId, Lease> leases_;
  std::unordered_map<ClientRef, Client> clients_;
  std::unordered_map<std::string, ClientRef> by_client_id_;
  std::vector<Item> items_;
  std::map<std::pair<uint32_t, uint32_t>, ItemIndex> item_index_;
  std::deque<Denial> denials_;
  uint64_t denied_total_ = 0;
};

}  // namespace licet::network

#endif  // LICET_NETWORK_SEAT_TABLE_H_
