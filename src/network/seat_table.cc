#include "network/seat_table.h"

#include <algorithm>

#include "crypto/crypto.h"

namespace licet::network {
namespace {

using nlohmann::json;

std::string ProductName(uint32_t firm_code, uint32_t product_code) {
  return "product " + std::to_string(product_code) + " of firm " + std::to_string(firm_code);
}

constexpr int64_t kHour = 3600;
constexpr size_t kHoursKept = 48;

}  // namespace

SeatTable::SeatTable(const Clock* clock)
    : clock_(clock),
      // Lease ids of one server run start at a random base: a client that reclaims a lease
      // of the previous run cannot hit a lease of this run by accident.
      next_lease_((crypto::RandomUniform(1u << 30) + 1) << 32) {}

ClientRef SeatTable::Hello(const ClientInfo& info) {
  const std::string key(info.client_id.begin(), info.client_id.end());
  ClientRef ref;
  if (auto it = by_client_id_.find(key); it != by_client_id_.end()) {
    ref = it->second;
  } else {
    ref = next_client_++;
    by_client_id_[key] = ref;
  }
  Client& c = clients_[ref];
  c.info = info;
  // A station is the client's machine identity as seen from its address: two hosts with the
  // same cloned machine-id still count as two stations. It stays what it was while the client
  // holds leases, which are counted under it.
  if (c.leases.empty()) c.station = info.machine + "|" + info.address;
  c.last_seen = clock_->Now();
  c.hello_at = c.last_seen;
  for (LeaseId id : c.leases) leases_[id].unconfirmed = true;
  c.unconfirmed = static_cast<uint32_t>(c.leases.size());
  return ref;
}

SeatTable::ItemIndex SeatTable::FindOrAddItem(uint32_t firm_code, uint32_t product_code,
                                              const ItemSpec& spec) {
  auto key = std::make_pair(firm_code, product_code);
  auto it = item_index_.find(key);
  ItemIndex index;
  if (it == item_index_.end()) {
    index = static_cast<ItemIndex>(items_.size());
    items_.emplace_back();
    items_.back().firm_code = firm_code;
    items_.back().product_code = product_code;
    item_index_[key] = index;
  } else {
    index = it->second;
  }
  // The container's current quantity and timeout (not the item map: the table does not
  // need it, and copying it per access would cost more than the rest of an access).
  ItemSpec& kept = items_[index].spec;
  if (kept.serial != spec.serial) kept.serial = spec.serial;
  kept.license_quantity = spec.license_quantity;
  kept.lease_timeout = spec.lease_timeout;
  return index;
}

void SeatTable::NoteSeats(Item& item) {
  const uint32_t seats = item.seats();
  item.peak = std::max(item.peak, seats);
  const UnixTime hour = clock_->Now() / kHour * kHour;
  uint32_t& p = item.hourly_peak[hour];
  p = std::max(p, seats);
  while (item.hourly_peak.size() > kHoursKept) item.hourly_peak.erase(item.hourly_peak.begin());
}

Result<SeatGrant> SeatTable::Acquire(ClientRef client_ref, uint32_t firm_code,
                                     uint32_t product_code, const ItemSpec& spec,
                                     model::AccessMode mode, const std::string& user,
                                     LeaseId reclaim) {
  auto cit = clients_.find(client_ref);
  if (cit == clients_.end()) return Error(ErrorCode::kInternal, "unknown client");
  Client& client = cit->second;
  client.last_seen = clock_->Now();
  const ItemIndex index = FindOrAddItem(firm_code, product_code, spec);
  Item& item = items_[index];
  if (reclaim != 0) {
    auto lit = leases_.find(reclaim);
    if (lit != leases_.end() && lit->second.client == client_ref && lit->second.item == index &&
        lit->second.mode == mode) {
      if (lit->second.unconfirmed) {
        lit->second.unconfirmed = false;
        --client.unconfirmed;
      }
      return SeatGrant{reclaim, true};
    }
  }
  const std::string what = ProductName(firm_code, product_code);
  if (item.exclusive > 0) {
    return Error(ErrorCode::kExclusiveConflict,
                 what + " is held exclusively by another client of the network server");
  }
  if (mode == model::AccessMode::kExclusive && item.leases() > 0) {
    return Error(ErrorCode::kExclusiveConflict,
                 what +
                     " is in use by other clients: an exclusive access must wait until they "
                     "release it");
  }
  bool needs_seat = false;
  switch (mode) {
    case model::AccessMode::kUserLimit:
    case model::AccessMode::kExclusive:
      needs_seat = true;
      break;
    case model::AccessMode::kStationShare:
      needs_seat = item.stations.count(client.station) == 0;
      break;
    case model::AccessMode::kNoUserLimit:
      break;
  }
  if (needs_seat && item.seats() >= spec.license_quantity) {
    return Error(ErrorCode::kNoMoreLicenses,
                 "all " + std::to_string(spec.license_quantity) + " seat(s) of " + what +
                     " on the network server are in use; try again later or ask the "
                     "administrator for more seats");
  }
  std::string charged;
  if (needs_seat && !spec.reservations.empty()) {
    LICET_ASSIGN_OR_RETURN(charged, ChargeReservation(item, spec, what));
  }
  const LeaseId id = next_lease_++;
  Lease lease;
  lease.client = client_ref;
  lease.item = index;
  lease.mode = mode;
  lease.pos = static_cast<uint32_t>(client.leases.size());
  lease.since = client.last_seen;
  lease.user = user;
  lease.group = charged;
  if (!charged.empty()) ++item.reserved_used[charged];
  // A station's seat is charged once, when it opens: its later leases share it, so the
  // reservation goes with the station, not with the lease that opened it.
  if (mode == model::AccessMode::kStationShare) {
    if (needs_seat) item.stations[client.station].group = charged;
    lease.group.clear();
  }
  switch (mode) {
    case model::AccessMode::kUserLimit:
      ++item.user_limit;
      break;
    case model::AccessMode::kExclusive:
      ++item.exclusive;
      break;
    case model::AccessMode::kStationShare:
      ++item.stations[client.station].leases;
      ++item.station_leases;
      break;
    case model::AccessMode::kNoUserLimit:
      ++item.no_limit;
      break;
  }
  client.leases.push_back(id);
  leases_.emplace(id, std::move(lease));
  NoteSeats(item);
  return SeatGrant{id, false};
}

Result<std::string> SeatTable::ChargeReservation(const Item& item, const ItemSpec& spec,
                                                 const std::string& what) const {
  auto used = [&item](const std::string& group) -> uint32_t {
    auto it = item.reserved_used.find(group);
    return it == item.reserved_used.end() ? 0 : it->second;
  };
  for (const SeatReservation& r : spec.reservations) {
    if (r.member && used(r.group) < r.seats) return r.group;
  }
  // Reserved seats nobody of their group holds yet stay free for that group. A smaller
  // quantity than the reservations (the container changed) just leaves no unreserved seat.
  uint64_t held_back = 0, reserved_in_use = 0;
  std::string groups;
  for (const SeatReservation& r : spec.reservations) {
    const uint32_t u = used(r.group);
    if (u < r.seats) {
      held_back += r.seats - u;
      groups += (groups.empty() ? "" : ", ") + r.group;
    }
    reserved_in_use += u;
  }
  const uint64_t unreserved_in_use = item.seats() - std::min<uint64_t>(item.seats(), reserved_in_use);
  const uint64_t unreserved_total =
      spec.license_quantity - std::min<uint64_t>(spec.license_quantity, held_back + reserved_in_use);
  if (unreserved_in_use >= unreserved_total) {
    return Error(ErrorCode::kNoMoreLicenses,
                 "the free seat(s) of " + what + " on the network server are reserved for " +
                     (groups.empty() ? std::string("other groups") : "group(s) " + groups) +
                     " and every other seat is in use; try again later");
  }
  return std::string();
}

void SeatTable::Free(LeaseId id) {
  auto it = leases_.find(id);
  if (it == leases_.end()) return;
  const Lease& lease = it->second;
  Item& item = items_[lease.item];
  Client& client = clients_[lease.client];
  if (lease.unconfirmed) --client.unconfirmed;
  if (!lease.group.empty()) {
    auto g = item.reserved_used.find(lease.group);
    if (g != item.reserved_used.end() && --g->second == 0) item.reserved_used.erase(g);
  }
  switch (lease.mode) {
    case model::AccessMode::kUserLimit:
      --item.user_limit;
      break;
    case model::AccessMode::kExclusive:
      --item.exclusive;
      break;
    case model::AccessMode::kStationShare: {
      auto s = item.stations.find(client.station);
      if (s != item.stations.end() && --s->second.leases == 0) {
        if (!s->second.group.empty()) {
          auto g = item.reserved_used.find(s->second.group);
          if (g != item.reserved_used.end() && --g->second == 0) item.reserved_used.erase(g);
        }
        item.stations.erase(s);
      }
      --item.station_leases;
      break;
    }
    case model::AccessMode::kNoUserLimit:
      --item.no_limit;
      break;
  }
  // Swap-remove from the client's list, fixing the moved lease's position.
  const uint32_t pos = lease.pos;
  const LeaseId last = client.leases.back();
  client.leases[pos] = last;
  client.leases.pop_back();
  if (last != id) leases_[last].pos = pos;
  leases_.erase(it);
}

Status SeatTable::Release(ClientRef client, LeaseId lease) {
  auto it = leases_.find(lease);
  if (it == leases_.end() || it->second.client != client) {
    return Error(ErrorCode::kInvalidArgument,
                 "lease " + std::to_string(lease) + " is not held by this client");
  }
  clients_[client].last_seen = clock_->Now();
  Free(lease);
  return Status::Ok();
}

Status SeatTable::Revoke(LeaseId lease) {
  if (leases_.count(lease) == 0) {
    return Error(ErrorCode::kNotFound, "no lease " + std::to_string(lease));
  }
  Free(lease);
  return Status::Ok();
}

Result<LeaseTarget> SeatTable::TargetOf(ClientRef client, LeaseId lease) {
  auto it = leases_.find(lease);
  if (it == leases_.end() || it->second.client != client) {
    return Error(ErrorCode::kInvalidArgument,
                 "lease " + std::to_string(lease) + " is not held by this client");
  }
  clients_[client].last_seen = clock_->Now();
  const Item& item = items_[it->second.item];
  return LeaseTarget{item.spec.serial, item.firm_code, item.product_code};
}

size_t SeatTable::Touch(ClientRef client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return 0;
  it->second.last_seen = clock_->Now();
  return it->second.leases.size();
}

size_t SeatTable::Expire() {
  const UnixTime now = clock_->Now();
  size_t freed = 0;
  std::vector<LeaseId> doomed;
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& c = it->second;
    const int64_t silent = now - c.last_seen;
    doomed.clear();
    for (LeaseId id : c.leases) {
      const Lease& lease = leases_[id];
      const int64_t timeout = items_[lease.item].spec.lease_timeout;
      // Silent too long, or not reclaimed within the timeout after a reconnect (the client
      // released it, or never learnt it was granted, while it was cut off).
      if (silent > timeout || (lease.unconfirmed && now - c.hello_at > timeout)) {
        doomed.push_back(id);
      }
    }
    for (LeaseId id : doomed) Free(id);
    freed += doomed.size();
    // A client without leases is forgotten once it has been silent for a default timeout;
    // if it comes back it says hello again.
    if (c.leases.empty() && silent > ItemSpec().lease_timeout) {
      by_client_id_.erase(std::string(c.info.client_id.begin(), c.info.client_id.end()));
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  return freed;
}

void SeatTable::RecordDenial(ClientRef client, uint32_t firm_code, uint32_t product_code,
                             const std::string& user, const Status& why) {
  ++denied_total_;
  if (auto it = item_index_.find({firm_code, product_code}); it != item_index_.end()) {
    ++items_[it->second].denied;
  }
  Denial d;
  d.when = clock_->Now();
  if (auto c = clients_.find(client); c != clients_.end()) d.host = c->second.info.host;
  d.user = user;
  d.firm_code = firm_code;
  d.product_code = product_code;
  d.code = why.code();
  d.reason = why.ToString();
  denials_.push_back(std::move(d));
  if (denials_.size() > kMaxDenialsKept) denials_.pop_front();
}

std::string SeatTable::HostOf(ClientRef client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? std::string() : it->second.info.host;
}

std::string SeatTable::ClientIdHexOf(ClientRef client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? std::string() : HexEncode(it->second.info.client_id);
}

ItemUsage SeatTable::Usage(uint32_t firm_code, uint32_t product_code) const {
  ItemUsage u;
  auto it = item_index_.find({firm_code, product_code});
  if (it == item_index_.end()) return u;
  const Item& item = items_[it->second];
  u.leases = item.leases();
  u.seats = item.seats();
  u.quantity = item.spec.license_quantity;
  u.peak = item.peak;
  u.denied = item.denied;
  return u;
}

json SeatTable::LeaseRows(size_t limit) const {
  json rows = json::array();
  for (const auto& [id, lease] : leases_) {
    if (rows.size() >= limit) break;
    const Item& item = items_[lease.item];
    auto c = clients_.find(lease.client);
    if (c == clients_.end()) continue;
    rows.push_back({{"lease", id},
                    {"client", c->second.info.host + "\\" + lease.user},
                    {"host", c->second.info.host},
                    {"user", lease.user},
                    {"address", c->second.info.address},
                    {"container", item.spec.serial},
                    {"firm_code", item.firm_code},
                    {"product_code", item.product_code},
                    {"mode", model::AccessModeName(lease.mode)},
                    {"since", FormatTime(lease.since)},
                    {"last_heartbeat", FormatTime(c->second.last_seen)}});
  }
  return rows;
}

json SeatTable::ItemRows() const {
  json rows = json::array();
  for (const Item& item : items_) {
    json hourly = json::array();
    for (const auto& [hour, peak] : item.hourly_peak) {
      hourly.push_back({{"hour", FormatTime(hour)}, {"peak_seats", peak}});
    }
    rows.push_back({{"container", item.spec.serial},
                    {"firm_code", item.firm_code},
                    {"product_code", item.product_code},
                    {"license_quantity", item.spec.license_quantity},
                    {"lease_timeout", item.spec.lease_timeout},
                    {"seats_used", item.seats()},
                    {"leases", item.leases()},
                    {"peak_seats", item.peak},
                    {"denied", item.denied},
                    {"hourly", hourly}});
  }
  return rows;
}

json SeatTable::DenialRows() const {
  json rows = json::array();
  for (const Denial& d : denials_) {
    rows.push_back({{"time", FormatTime(d.when)},
                    {"host", d.host},
                    {"user", d.user},
                    {"firm_code", d.firm_code},
                    {"product_code", d.product_code},
                    {"code", ErrorCodeName(d.code)},
                    {"reason", d.reason}});
  }
  return rows;
}

}  // namespace licet::network
