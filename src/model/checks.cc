#include "model/checks.h"

#include <algorithm>
#include <limits>
#include <string>

#include "crypto/crypto.h"
#include "model/display.h"

namespace licet::model {
namespace {

std::string Product(uint32_t code) { return "product " + std::to_string(code); }

// a + b for times and durations that Validate keeps far from overflow; saturates anyway so a
// hand-made item cannot wrap around into "valid".
UnixTime AddSaturated(UnixTime a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<UnixTime>::max() - b) {
    return std::numeric_limits<UnixTime>::max();
  }
  return a + b;
}

Status CheckUnitCounter(const std::optional<uint64_t>& counter, uint64_t needed,
                        const std::string& what) {
  if (!counter) return Status::Ok();
  const uint64_t want = std::max<uint64_t>(needed, 1);
  if (*counter < want) {
    return Error(ErrorCode::kUnitCounterZero, what + " has " + std::to_string(*counter) +
                                                  " units left, " + std::to_string(want) +
                                                  " needed");
  }
  return Status::Ok();
}

Status TakeUnits(std::optional<uint64_t>& counter, uint64_t n, const std::string& what) {
  if (!counter) {
    return Error(ErrorCode::kInvalidArgument, what + " has no unit counter");
  }
  if (*counter < n) {
    return Error(ErrorCode::kUnitCounterZero, what + " has " + std::to_string(*counter) +
                                                  " units left, " + std::to_string(n) + " needed");
  }
  *counter -= n;
  return Status::Ok();
}

Status CheckFeatureMap(uint32_t feature_map, uint32_t feature_code, const std::string& what) {
  if ((feature_map & feature_code) != feature_code) {
    return Error(ErrorCode::kFeatureMissing,
                 what + " does not license feature " + FormatFeatureMap(feature_code) +
                     " (licensed: " + FormatFeatureMap(feature_map) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status CheckClock(const ContainerState& state, UnixTime now) {
  if (AddSaturated(now, kClockTolerance) < state.highest_time_seen) {
    return Error(ErrorCode::kClockSetBack,
                 "system clock is behind the newest time this container has seen (clock " +
                     FormatTime(now) + ", seen " + FormatTime(state.highest_time_seen) +
                     "); correct the clock, or refresh certified time with an online update");
  }
  return Status::Ok();
}

void ObserveTime(ContainerState& state, UnixTime now) {
  state.highest_time_seen = std::max(state.highest_time_seen, now);
}

void RefreshCertifiedTime(ContainerState& state, UnixTime fresh_certified_time) {
  if (fresh_certified_time < state.certified_time) return;
  state.certified_time = fresh_certified_time;
  state.highest_time_seen = fresh_certified_time;
}

Status CheckTimeLimits(const ProductItem& item, const ContainerState& state, UnixTime now) {
  if (!item.HasTimeLimits()) return Status::Ok();
  const std::string what = Product(item.product_code);
  LICET_RETURN_IF_ERROR(CheckClock(state, now).WithContext(what + " is time-limited"));
  if (item.activation_time && now < *item.activation_time) {
    return Error(ErrorCode::kNotYetActive,
                 what + " is not active before " + FormatTime(*item.activation_time));
  }
  if (item.expiration && now >= *item.expiration) {
    return Error(ErrorCode::kExpired, what + " expired on " + FormatTime(*item.expiration));
  }
  if (item.usage_period && item.usage_started) {
    const UnixTime end = AddSaturated(*item.usage_started, *item.usage_period);
    if (now >= end) {
      return Error(ErrorCode::kUsagePeriodOver,
                   what + ": the usage period of " + FormatDuration(*item.usage_period) +
                       " that started on " + FormatTime(*item.usage_started) + " ended on " +
                       FormatTime(end));
    }
  }
  if (item.checkpoint_days) {
    if (!item.last_checkpoint) {
      return Error(ErrorCode::kCheckpointOverdue,
                   what + " needs an online checkpoint and has never had one; renew it online");
    }
    const UnixTime due =
        AddSaturated(*item.last_checkpoint, int64_t{*item.checkpoint_days} * 86400);
    if (now >= due) {
      return Error(ErrorCode::kCheckpointOverdue,
                   what + " needed an online checkpoint by " + FormatTime(due) + " (every " +
                       std::to_string(*item.checkpoint_days) + " days); renew it online");
    }
  }
  return Status::Ok();
}

Status CheckModuleTimeLimits(const FirmItem& firm, uint32_t module_code,
                             const ContainerState& state, UnixTime now) {
  const ProductItem* parent = firm.FindModuleParent(module_code);
  if (parent == nullptr) {
    return Error(ErrorCode::kEntryNotFound, "firm " + std::to_string(firm.firm_code) +
                                                " has no module " + std::to_string(module_code));
  }
  return CheckTimeLimits(*parent, state, now).WithContext("module " + std::to_string(module_code));
}

Status CheckFeature(const ProductItem& item, uint32_t feature_code) {
  return CheckFeatureMap(item.feature_map, feature_code, Product(item.product_code));
}

Status CheckFeature(const ModuleItem& module, uint32_t feature_code) {
  return CheckFeatureMap(module.feature_map, feature_code,
                         "module " + std::to_string(module.product_code));
}

Status CheckMaintenance(const ProductItem& item, UnixTime release_date) {
  if (item.maintenance_until && release_date > *item.maintenance_until) {
    return Error(ErrorCode::kMaintenanceOver,
                 Product(item.product_code) + ": maintenance ended on " +
                     FormatTime(*item.maintenance_until) + ", this release is dated " +
                     FormatTime(release_date));
  }
  return Status::Ok();
}

Status CheckUnits(const ProductItem& item, uint64_t needed) {
  return CheckUnitCounter(item.unit_counter, needed, Product(item.product_code));
}

Status CheckUnits(const ModuleItem& module, uint64_t needed) {
  return CheckUnitCounter(module.unit_counter, needed,
                          "module " + std::to_string(module.product_code));
}

Status DecrementUnits(ProductItem& item, uint64_t n) {
  return TakeUnits(item.unit_counter, n, Product(item.product_code));
}

Status DecrementUnits(ModuleItem& module, uint64_t n) {
  return TakeUnits(module.unit_counter, n, "module " + std::to_string(module.product_code));
}

Status CheckHiddenAccess(const ProductItem& item, ByteSpan access_code) {
  if (item.hidden_data.empty()) return Status::Ok();
  const crypto::Hash hash = crypto::Sha256(access_code);
  if (!crypto::ConstantTimeEqual(hash, item.hidden_access_code)) {
    return Error(ErrorCode::kAccessDenied,
                 "wrong access code for the hidden data of " + Product(item.product_code));
  }
  return Status::Ok();
}

Status CheckAccessMode(const ProductItem& item, AccessMode mode) {
  if (!Allows(item.access_modes, mode)) {
    return Error(ErrorCode::kWrongAccessMode,
                 Product(item.product_code) + " does not allow access mode " +
                     AccessModeName(mode) + " (allowed: " + FormatAccessModes(item.access_modes) +
                     ")");
  }
  return Status::Ok();
}

}  // namespace licet::model
