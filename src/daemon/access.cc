// The access operation: find the product item, apply every check in the order of
// docs/PROTOCOL.md "Access rules", take a seat, and start the usage period when this is the
// first access. The common case reads only memory (one stat per container to notice changes
// made by other processes).
#include <spdlog/spdlog.h>

#include "crypto/crypto.h"
#include "daemon/dispatcher.h"
#include "daemon/item_json.h"
#include "daemon/request_fields.h"
#include "model/checks.h"
#include "protocol/protocol.h"

namespace licet::daemon {
namespace {

using nlohmann::json;

// highest_time_seen is persisted when it lags the clock by this much (see MaybePersistTime).
constexpr int64_t kTimePersistInterval = 3600;

struct AccessParams {
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  model::AccessMode mode = model::AccessMode::kUserLimit;
  protocol::Where where = protocol::Where::kLocal;
  UnixTime release_date = 0;
  std::optional<std::string> serial;
  std::optional<Bytes> firm_key;
  // False when the client asked for a lean answer (docs/PROTOCOL.md: 'item' = false).
  bool want_item = true;
};

Result<AccessParams> ParseAccess(json& request) {
  AccessParams p;
  LICET_ASSIGN_OR_RETURN(uint64_t firm,
                         GetUintField(request, "firm_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t product,
                         GetUintField(request, "product_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, GetUintField(request, "feature_code", 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t mode, GetUintField(request, "mode", 1, 8));
  LICET_ASSIGN_OR_RETURN(uint64_t where, GetUintField(request, "where", 0, 3));
  LICET_ASSIGN_OR_RETURN(p.release_date, GetIntField(request, "release_date", 0));
  LICET_ASSIGN_OR_RETURN(p.serial, GetTextField(request, "serial", 32));
  LICET_ASSIGN_OR_RETURN(p.firm_key, TakeBinaryField(request, "firm_key", model::kPublicKeySize));
  LICET_ASSIGN_OR_RETURN(p.want_item, GetBoolField(request, "item", true));
  if (firm == 0 || product == 0) {
    return Error(ErrorCode::kInvalidArgument, "firm_code and product_code must not be 0");
  }
  if (mode != 1 && mode != 2 && mode != 4 && mode != 8) {
    return Error(
        ErrorCode::kInvalidArgument,
        "mode " + std::to_string(mode) +
            " is none of 1 (user-limit), 2 (station-share), 4 (exclusive), 8 (no-user-limit)");
  }
  p.firm_code = static_cast<uint32_t>(firm);
  p.product_code = static_cast<uint32_t>(product);
  p.feature_code = static_cast<uint32_t>(feature);
  p.mode = static_cast<model::AccessMode>(mode);
  p.where = static_cast<protocol::Where>(where);
  if (p.serial && p.serial->empty()) p.serial.reset();
  return p;
}

std::string Product(const AccessParams& p) {
  return "product " + std::to_string(p.product_code) + " of firm " + std::to_string(p.firm_code);
}

// The model's messages say what is wrong; this adds what to do, for the user who reads it.
Status Advise(const Status& st) {
  const char* advice = nullptr;
  switch (st.code()) {
    case ErrorCode::kExpired:
      advice = "renew the license with the vendor";
      break;
    case ErrorCode::kUsagePeriodOver:
      advice = "ask the vendor for a new license";
      break;
    case ErrorCode::kMaintenanceOver:
      advice = "renew maintenance with the vendor or use an older release";
      break;
    case ErrorCode::kFeatureMissing:
      advice = "ask the vendor for a license with this feature";
      break;
    case ErrorCode::kUnitCounterZero:
      advice = "buy more units from the vendor";
      break;
    case ErrorCode::kWrongAccessMode:
      advice = "start the application in an allowed mode";
      break;
    default:
      break;
  }
  if (advice == nullptr) return st;
  return Status(st.code(), st.ToString() + "; " + advice);
}

// The checks of one item, in protocol order, before seats.
Status CheckItem(const model::FirmItem& firm, const model::ProductItem& item,
                 const model::ContainerState& state, const AccessParams& p, UnixTime now) {
  if (p.firm_key && !crypto::ConstantTimeEqual(firm.public_key, *p.firm_key)) {
    return Error(ErrorCode::kUntrustedSigner,
                 "firm " + std::to_string(p.firm_code) +
                     " in this container has another key than the application trusts: the "
                     "license was not issued by the application's vendor");
  }
  LICET_RETURN_IF_ERROR(Advise(model::CheckTimeLimits(item, state, now)));
  if (p.release_date != 0)
    LICET_RETURN_IF_ERROR(Advise(model::CheckMaintenance(item, p.release_date)));
  LICET_RETURN_IF_ERROR(Advise(model::CheckFeature(item, p.feature_code)));
  LICET_RETURN_IF_ERROR(Advise(model::CheckUnits(item, 0)));
  LICET_RETURN_IF_ERROR(Advise(model::CheckAccessMode(item, p.mode)));
  return Status::Ok();
}

struct Found {
  std::shared_ptr<const engine::SoftContainer> container;
  const model::FirmItem* firm = nullptr;
  const model::ProductItem* item = nullptr;
};

// Every container whose item passes the checks, in serial order, and the most telling
// refusal of the others: a failed check of a container that has the item beats "no such
// product", which beats "no such firm", which beats a container that cannot be opened.
struct Search {
  std::vector<Found> candidates;
  Status refusal;
};

Search FindItems(const std::vector<engine::CachedContainer>& containers, const AccessParams& p,
                 UnixTime now) {
  Search search;
  int best_rank = -1;
  auto consider = [&](int rank, Status st) {
    if (rank > best_rank) {
      search.refusal = std::move(st);
      best_rank = rank;
    }
  };
  for (const engine::CachedContainer& c : containers) {
    if (p.serial && c.serial != *p.serial) continue;
    if (!c.container) {
      consider(0, c.error);
      continue;
    }
    const model::FirmItem* firm = c.container->state.FindFirm(p.firm_code);
    if (firm == nullptr) {
      consider(1, Error(ErrorCode::kFirmNotFound,
                        "no license of firm " + std::to_string(p.firm_code) + " on this machine" +
                            (p.serial ? " in container " + *p.serial : std::string()) +
                            "; activate a license for " + Product(p)));
      continue;
    }
    const model::ProductItem* item = firm->FindProduct(p.product_code);
    if (item == nullptr) {
      consider(2, Error(ErrorCode::kEntryNotFound,
                        "no license for " + Product(p) + " on this machine" +
                            (p.serial ? " in container " + *p.serial : std::string()) +
                            "; activate one"));
      continue;
    }
    Status st = CheckItem(*firm, *item, c.container->state, p, now);
    if (st.ok()) {
      search.candidates.push_back(Found{c.container, firm, item});
    } else {
      consider(3, std::move(st));
    }
  }
  if (search.candidates.empty() && best_rank < 0) {
    search.refusal = Error(
        ErrorCode::kContainerNotFound,
        p.serial
            ? "container " + *p.serial + " is not on this machine (needed for " + Product(p) + ")"
            : "no license container on this machine; activate a license for " + Product(p));
  }
  return search;
}

bool IsNotFound(ErrorCode code) {
  return code == ErrorCode::kContainerNotFound || code == ErrorCode::kFirmNotFound ||
         code == ErrorCode::kEntryNotFound;
}

}  // namespace

json Dispatcher::Access(const Call& call, json& request, bool& async) {
  auto refuse = [&](const Status& st) {
    metrics_->Access(st.code());
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("access refused pid={} uid={}: {}", call.peer.pid, call.peer.uid,
                    st.ToString());
    }
    return Fail(call, st);
  };
  auto params = ParseAccess(request);
  if (!params.ok()) return refuse(params.status());
  const AccessParams& p = *params;
  if (p.where == protocol::Where::kLan) {
    return refuse(Error(ErrorCode::kServerNotFound,
                        "no network license server is configured on this machine (" + Product(p) +
                            " was asked for on the LAN only)"));
  }
  // kLocalLan and kLanLocal: the local containers are all there is until a network server
  // is configured.
  const UnixTime now = clock_->Now();
  engine::ContainerCache::Snapshot snapshot = cache_->Refresh();
  Search search = FindItems(*snapshot, p, now);

  // The first container with a free seat wins; if none has one, the first refusal tells why.
  LeaseRequest lr;
  lr.connection = call.connection;
  lr.pid = call.peer.pid;
  lr.uid = call.peer.uid;
  lr.mode = p.mode;
  HandleId handle = 0;
  const Found* granted_in = nullptr;
  auto take_seat = [&]() -> Status {
    Status refusal;
    std::lock_guard<std::mutex> lock(mu_);
    for (const Found& candidate : search.candidates) {
      lr.item = ItemKey{candidate.container->serial, p.firm_code, p.product_code};
      lr.license_quantity = candidate.item->license_quantity;
      lr.linger_time = candidate.item->linger_time;
      auto granted = leases_.Acquire(lr);
      if (granted.ok()) {
        handle = *granted;
        granted_in = &candidate;
        return Status::Ok();
      }
      if (refusal.ok()) refusal = granted.status();
    }
    return refusal.ok() ? search.refusal : refusal;
  };
  Status verdict = search.candidates.empty() ? search.refusal : take_seat();
  if (!verdict.ok() &&
      (IsNotFound(verdict.code()) || verdict.code() == ErrorCode::kNoMoreLicenses)) {
    // Perhaps another process created a container or imported a license just now: look at
    // the directory once before refusing.
    auto rescanned = cache_->Rescan();
    if (rescanned.ok() && *rescanned != snapshot) {
      search = FindItems(**rescanned, p, now);
      verdict = search.candidates.empty() ? search.refusal : take_seat();
    }
  }
  if (!verdict.ok()) return refuse(verdict);
  const Found& f = *granted_in;
  if (f.item->HasTimeLimits()) MaybePersistTime(*f.container, now);

  if (!(f.item->usage_period && !f.item->usage_started)) {
    metrics_->Access(ErrorCode::kOk);
    if (spdlog::should_log(spdlog::level::debug)) {  // the hot path: no string unless logged
      spdlog::debug("access granted handle={} pid={} uid={} {} mode={}", handle, call.peer.pid,
                    call.peer.uid, Product(p), model::AccessModeName(p.mode));
    }
    json r = protocol::OkResponse(call.id);
    r["handle"] = handle;
    r["serial"] = f.container->serial;
    if (p.want_item) r["item"] = ItemMap(p.firm_code, *f.item);
    return r;
  }

  // First access of an item with a usage period: the period starts now, and that must be on
  // disk before the application is told it may run (else a crash would restart the period).
  async = true;
  const ItemKey key = lr.item;
  writes_->Submit(
      key.serial,
      [key, now](engine::SoftContainer& c) -> Result<bool> {
        model::ProductItem* item = c.state.FindProduct(key.firm_code, key.product_code);
        if (item == nullptr) {
          return Error(ErrorCode::kEntryNotFound, "product " + std::to_string(key.product_code) +
                                                      " was removed from container " + key.serial);
        }
        return model::MarkFirstUse(*item, now);
      },
      [this, call, handle, key, want_item = p.want_item](Status st) {
        json r;
        if (st.ok()) {
          Lease lease;
          lease.item = key;
          auto item = LeaseItem(lease, /*refresh=*/false);
          if (item.ok()) {
            r = protocol::OkResponse(call.id);
            r["handle"] = handle;
            r["serial"] = key.serial;
            if (want_item) r["item"] = ItemMap(key.firm_code, *item->second);
          } else {
            st = item.status();
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          // Failed, or the client went away while we wrote: nobody will release this lease.
          if (!st.ok() || connections_.count(call.connection) == 0) leases_.Cancel(handle);
        }
        metrics_->Access(st.code());
        if (!st.ok()) {
          spdlog::warn("access pid={}: cannot start the usage period: {}", call.peer.pid,
                       st.ToString());
          r = Fail(call, st);
        } else {
          spdlog::info("usage period of product {} of firm {} in container {} started (pid={})",
                       key.product_code, key.firm_code, key.serial, call.peer.pid);
        }
        Finish(call, std::move(r));
      });
  return json();
}

void Dispatcher::MaybePersistTime(const engine::SoftContainer& container, UnixTime now) {
  if (now < container.state.highest_time_seen + kTimePersistInterval) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    UnixTime& last = time_persist_requested_[container.serial];
    if (now < last + kTimePersistInterval) return;
    last = now;
  }
  writes_->Submit(
      container.serial,
      [now](engine::SoftContainer& c) -> Result<bool> {
        // Saving raises highest_time_seen to the clock (ContainerCache::Modify).
        return now >= c.state.highest_time_seen + kTimePersistInterval;
      },
      [serial = container.serial](Status st) {
        if (!st.ok())
          spdlog::warn("container {}: cannot save the time seen: {}", serial, st.ToString());
      });
}

}  // namespace licet::daemon
