// Validity of a license at access time: the pure rules the runtime applies before it grants
// an access (time limits, features, units, maintenance, clock set back). Time comes in as
// `now`; the caller reads its Clock and persists what ObserveTime / MarkFirstUse change.
#ifndef LICET_MODEL_CHECKS_H_
#define LICET_MODEL_CHECKS_H_

#include <cstdint>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/items.h"

namespace licet::model {

// How far (seconds) the system clock may be behind the newest time the container has seen
// before time-limited items are refused. Ten minutes absorbs ordinary clock drift, NTP
// corrections and the skew between Central's clock (which certifies time) and a correctly
// set client, while a set-back large enough to matter for day-granular licenses is caught.
inline constexpr int64_t kClockTolerance = 600;

// kClockSetBack when `now` + kClockTolerance is before state.highest_time_seen.
[[nodiscard]] Status CheckClock(const ContainerState& state, UnixTime now);

// Raises state.highest_time_seen to `now` (never lowers it). Call after a successful
// CheckClock with the time that was checked.
void ObserveTime(ContainerState& state, UnixTime now);

// Sets both certified_time and highest_time_seen to `fresh_certified_time`, lowering
// highest_time_seen if it had been raised by a system clock that ran ahead. Only for a
// certified time known to be fresh (an online answer bound to this request), never for the
// time inside an update file, which may be old: that is what "refresh certified time" in the
// clock-set-back message means. No-op if `fresh_certified_time` is older than certified_time.
void RefreshCertifiedTime(ContainerState& state, UnixTime fresh_certified_time);

// The item's time limits at `now`, in this order:
//   kClockSetBack       the item is time-limited and CheckClock fails (items without time
//                       limits are not refused for a set-back clock);
//   kNotYetActive       now < activation_time;
//   kExpired            now >= expiration;
//   kUsagePeriodOver    the usage period has started and now >= usage_started + usage_period;
//   kCheckpointOverdue  the item has checkpoint_days and now >= last_checkpoint + days
//                       (or it was never renewed).
// Messages name the product and the date, e.g. "product 201010 expired on 2027-11-28T00:00:00Z".
[[nodiscard]] Status CheckTimeLimits(const ProductItem& item, const ContainerState& state,
                                     UnixTime now);

// The time limits of module `module_code` of `firm`, which are its parent's: kEntryNotFound
// when the firm has no such module, else CheckTimeLimits of the parent with the module named.
[[nodiscard]] Status CheckModuleTimeLimits(const FirmItem& firm, uint32_t module_code,
                                           const ContainerState& state, UnixTime now);

// kFeatureMissing unless every bit of `feature_code` is in the item's feature map.
[[nodiscard]] Status CheckFeature(const ProductItem& item, uint32_t feature_code);
[[nodiscard]] Status CheckFeature(const ModuleItem& module, uint32_t feature_code);

// kMaintenanceOver when the item has maintenance_until and `release_date` is after it.
[[nodiscard]] Status CheckMaintenance(const ProductItem& item, UnixTime release_date);

// For items with a unit counter: kUnitCounterZero unless it holds max(needed, 1) units, i.e.
// an exhausted item refuses access even when nothing is to be taken (as CodeMeter does).
// Items without a counter pass.
[[nodiscard]] Status CheckUnits(const ProductItem& item, uint64_t needed);
[[nodiscard]] Status CheckUnits(const ModuleItem& module, uint64_t needed);

// Takes `n` units (after CheckUnits): kUnitCounterZero when fewer are left, kInvalidArgument
// when the item has no unit counter. The caller persists the container.
[[nodiscard]] Status DecrementUnits(ProductItem& item, uint64_t n);
[[nodiscard]] Status DecrementUnits(ModuleItem& module, uint64_t n);

// kAccessDenied unless `access_code` hashes to the item's hidden_access_code (constant-time
// comparison), or the item has no hidden data.
[[nodiscard]] Status CheckHiddenAccess(const ProductItem& item, ByteSpan access_code);

// kWrongAccessMode unless the item allows `mode`.
[[nodiscard]] Status CheckAccessMode(const ProductItem& item, AccessMode mode);

}  // namespace licet::model

#endif  // LICET_MODEL_CHECKS_H_
