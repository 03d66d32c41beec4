#include "daemon/network_items.h"

#include "crypto/crypto.h"
#include "daemon/item_json.h"
#include "model/checks.h"

namespace licet::daemon {

network::ItemLookup MakeItemLookup(engine::ContainerCache* cache, const NetworkConfig* config,
                                   const Clock* clock) {
  return [cache, config, clock](const network::AccessRequest& a) -> Result<network::ItemSpec> {
    const std::string product =
        "product " + std::to_string(a.product_code) + " of firm " + std::to_string(a.firm_code);
    const UnixTime now = clock->Now();
    engine::ContainerCache::Snapshot snapshot = cache->Refresh();
    // The most telling refusal wins, as for local accesses: a failed check of an item beats
    // "no such product", which beats "no such firm".
    Status refusal =
        Error(ErrorCode::kEntryNotFound, "the network server has no license for " + product);
    int rank = 0;
    for (const engine::CachedContainer& c : *snapshot) {
      if (!c.container) continue;
      const model::FirmItem* firm = c.container->state.FindFirm(a.firm_code);
      if (firm == nullptr) {
        if (rank < 1) {
          refusal = Error(ErrorCode::kFirmNotFound, "the network server has no license of firm " +
                                                        std::to_string(a.firm_code));
          rank = 1;
        }
        continue;
      }
      const model::ProductItem* item = firm->FindProduct(a.product_code);
      if (item == nullptr) {
        if (rank < 2) {
          refusal =
              Error(ErrorCode::kEntryNotFound, "the network server has no license for " + product);
          rank = 2;
        }
        continue;
      }
      Status st;
      if (!a.firm_key.empty() && !crypto::ConstantTimeEqual(firm->public_key, a.firm_key)) {
        st = Error(ErrorCode::kUntrustedSigner,
                   "firm " + std::to_string(a.firm_code) +
                       " on the network server has another key than the application trusts");
      }
      if (st.ok()) st = model::CheckTimeLimits(*item, c.container->state, now);
      if (st.ok() && a.release_date != 0) st = model::CheckMaintenance(*item, a.release_date);
      if (st.ok()) st = model::CheckFeature(*item, a.feature_code);
      if (st.ok()) st = model::CheckUnits(*item, 0);
      if (st.ok()) st = model::CheckAccessMode(*item, a.mode);
      if (!st.ok()) {
        refusal = st.WithContext("network server");
        rank = 3;
        continue;
      }
      network::ItemSpec spec;
      spec.serial = c.serial;
      spec.license_quantity = item->license_quantity;
      spec.lease_timeout = config->LeaseTimeoutOf(a.firm_code, a.product_code);
      spec.item = ItemMap(a.firm_code, *item);
      spec.first_use = item->usage_period.has_value() && !item->usage_started.has_value();
      return spec;
    }
    return refusal;
  };
}

}  // namespace licet::daemon
