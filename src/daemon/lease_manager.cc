#include "daemon/lease_manager.h"

#include <algorithm>

namespace licet::daemon {
namespace {

std::string Product(const ItemKey& item) {
  return "product " + std::to_string(item.product_code) + " of firm " +
         std::to_string(item.firm_code);
}

}  // namespace

void LeaseManager::Prune(ItemSeats& seats, UnixTime now) {
  std::erase_if(seats.lingering, [now](const Lingering& l) { return l.until <= now; });
}

Result<HandleId> LeaseManager::Acquire(const LeaseRequest& request) {
  using model::AccessMode;
  const UnixTime now = clock_->Now();
  ItemSeats& seats = items_[request.item];
  Prune(seats, now);

  if (seats.exclusive > 0) {
    pid_t holder = 0;
    for (const auto& [id, lease] : leases_) {
      if (lease.item == request.item && lease.mode == AccessMode::kExclusive) holder = lease.pid;
    }
    return Error(ErrorCode::kExclusiveConflict,
                 Product(request.item) + " is held exclusively by process " +
                     std::to_string(holder) + "; try again when it has released it");
  }
  if (request.mode == AccessMode::kExclusive && seats.handles() > 0) {
    return Error(ErrorCode::kExclusiveConflict,
                 Product(request.item) + " is in use by " + std::to_string(seats.handles()) +
                     " other handle(s), so it cannot be held exclusively");
  }

  // Does this access need a seat of its own, and can it take back a lingering one?
  bool needs_seat = true;
  auto reclaim = seats.lingering.end();
  switch (request.mode) {
    case AccessMode::kNoUserLimit:
      needs_seat = false;
      break;
    case AccessMode::kStationShare:
      if (seats.station > 0) {
        needs_seat = false;  // the machine's seat is already taken
      } else {
        reclaim = std::find_if(seats.lingering.begin(), seats.lingering.end(),
                               [](const Lingering& l) { return l.station; });
      }
      break;
    case AccessMode::kUserLimit:
    case AccessMode::kExclusive:
      reclaim =
          std::find_if(seats.lingering.begin(), seats.lingering.end(),
                       [&](const Lingering& l) { return !l.station && l.uid == request.uid; });
      break;
  }
  if (needs_seat) {
    if (reclaim != seats.lingering.end()) {
      seats.lingering.erase(reclaim);  // the seat passes from the lingering list to the lease
    } else if (seats.seats() >= request.license_quantity) {
      std::string detail = std::to_string(seats.handles()) + " handle(s)";
      if (!seats.lingering.empty()) {
        detail +=
            ", " + std::to_string(seats.lingering.size()) + " seat(s) lingering after release";
      }
      return Error(ErrorCode::kNoMoreLicenses,
                   "all " + std::to_string(request.license_quantity) + " seat(s) of " +
                       Product(request.item) + " are in use (" + detail +
                       "); close another instance or ask the vendor for more seats");
    }
  }
  switch (request.mode) {
    case AccessMode::kUserLimit:
      ++seats.user_limit;
      break;
    case AccessMode::kStationShare:
      ++seats.station;
      break;
    case AccessMode::kExclusive:
      ++seats.exclusive;
      break;
    case AccessMode::kNoUserLimit:
      ++seats.no_limit;
      break;
  }

  const HandleId handle = next_handle_++;
  Lease& lease = leases_[handle];
  lease.handle = handle;
  lease.connection = request.connection;
  lease.pid = request.pid;
  lease.uid = request.uid;
  lease.item = request.item;
  lease.mode = request.mode;
  lease.since = now;
  lease.linger_time = request.linger_time;
  by_connection_[request.connection].push_back(handle);
  return handle;
}

Lease* LeaseManager::Find(HandleId handle, ConnectionId connection) {
  auto it = leases_.find(handle);
  if (it == leases_.end() || it->second.connection != connection) return nullptr;
  return &it->second;
}

void LeaseManager::Free(std::unordered_map<HandleId, Lease>::iterator it, bool linger) {
  using model::AccessMode;
  const Lease& lease = it->second;
  const UnixTime now = clock_->Now();
  auto seats_it = items_.find(lease.item);
  if (seats_it != items_.end()) {
    ItemSeats& seats = seats_it->second;
    Prune(seats, now);
    bool seat_freed = false;
    switch (lease.mode) {
      case AccessMode::kUserLimit:
        --seats.user_limit;
        seat_freed = true;
        break;
      case AccessMode::kExclusive:
        --seats.exclusive;
        seat_freed = true;
        break;
      case AccessMode::kStationShare:
        seat_freed = --seats.station == 0;
        break;
      case AccessMode::kNoUserLimit:
        --seats.no_limit;
        break;
    }
    if (seat_freed && linger && lease.linger_time > 0) {
      seats.lingering.push_back(
          {now + lease.linger_time, lease.uid, lease.mode == AccessMode::kStationShare});
    }
    if (seats.handles() == 0 && seats.lingering.empty()) items_.erase(seats_it);
  }
  auto conn = by_connection_.find(lease.connection);
  if (conn != by_connection_.end()) {
    std::erase(conn->second, lease.handle);
    if (conn->second.empty()) by_connection_.erase(conn);
  }
  leases_.erase(it);  // CachedCryptKey's SecretBytes wipe themselves
}

Status LeaseManager::Release(HandleId handle, ConnectionId connection) {
  auto it = leases_.find(handle);
  if (it == leases_.end() || it->second.connection != connection) {
    return Error(ErrorCode::kInvalidArgument,
                 "handle " + std::to_string(handle) + " is not open on this connection");
  }
  Free(it, /*linger=*/true);
  return Status::Ok();
}

void LeaseManager::Cancel(HandleId handle) {
  auto it = leases_.find(handle);
  if (it != leases_.end()) Free(it, /*linger=*/false);
}

size_t LeaseManager::ReleaseConnection(ConnectionId connection) {
  auto conn = by_connection_.find(connection);
  if (conn == by_connection_.end()) return 0;
  std::vector<HandleId> handles = conn->second;  // Free edits the list
  for (HandleId h : handles) {
    auto it = leases_.find(h);
    if (it != leases_.end()) Free(it, /*linger=*/true);
  }
  return handles.size();
}

SeatUsage LeaseManager::Usage(const ItemKey& item) {
  SeatUsage usage;
  auto it = items_.find(item);
  if (it == items_.end()) return usage;
  ItemSeats& seats = it->second;
  Prune(seats, clock_->Now());
  usage.handles = seats.handles();
  usage.seats = seats.seats();
  usage.lingering = static_cast<uint32_t>(seats.lingering.size());
  usage.exclusive = seats.exclusive > 0;
  return usage;
}

std::vector<const Lease*> LeaseManager::All() const {
  std::vector<const Lease*> all;
  all.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) all.push_back(&lease);
  std::sort(all.begin(), all.end(),
            [](const Lease* a, const Lease* b) { return a->handle < b->handle; });
  return all;
}

std::map<ItemKey, uint32_t> LeaseManager::CountByItem() const {
  std::map<ItemKey, uint32_t> counts;
  for (const auto& [item, seats] : items_) {
    if (seats.handles() > 0) counts[item] = seats.handles();
  }
  return counts;
}

}  // namespace licet::daemon
