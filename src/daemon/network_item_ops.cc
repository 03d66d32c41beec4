#include "daemon/network_item_ops.h"

#include <memory>

#include "daemon/crypt_key.h"
#include "daemon/item_json.h"
#include "model/checks.h"

namespace licet::daemon {
namespace {

Status Gone(const network::LeaseTarget& t) {
  return Error(ErrorCode::kEntryNotFound, "product " + std::to_string(t.product_code) +
                                              " is no longer in container " + t.serial);
}

}  // namespace

network::ItemOps MakeItemOps(engine::ContainerCache* cache, WriteQueue* writes,
                             const Clock* clock) {
  network::ItemOps ops;
  ops.crypt = [cache, clock](const network::LeaseTarget& t,
                             const network::CryptRequest& r) -> Result<network::CryptAnswer> {
    engine::ContainerCache::Snapshot snapshot = cache->Current();
    for (const engine::CachedContainer& c : *snapshot) {
      if (c.serial != t.serial || !c.container) continue;
      const model::ProductItem* item = c.container->state.FindProduct(t.firm_code, t.product_code);
      if (item == nullptr) break;
      // The checks of a local crypt: the license must be valid now, not only at the access.
      LICET_RETURN_IF_ERROR(model::CheckTimeLimits(*item, c.container->state, clock->Now()));
      LICET_RETURN_IF_ERROR(model::CheckFeature(*item, r.feature_code));
      LICET_ASSIGN_OR_RETURN(SecretBytes key,
                             DeriveCryptKey(*item, ItemKey{t.serial, t.firm_code, t.product_code},
                                            r.feature_code, r.encryption_code));
      network::CryptAnswer answer;
      answer.data = r.data;
      LICET_RETURN_IF_ERROR(CryptInPlace(static_cast<protocol::CryptOp>(r.op), key.span(), r.iv,
                                         r.tag, answer.data, &answer.tag));
      return answer;
    }
    return Gone(t);
  };
  ops.units = [writes](const network::LeaseTarget& t, uint64_t decrement,
                       std::function<void(Result<uint64_t>)> done) {
    auto remaining = std::make_shared<uint64_t>(0);
    writes->Submit(
        t.serial,
        [t, decrement, remaining](engine::SoftContainer& c) -> Result<bool> {
          model::ProductItem* item = c.state.FindProduct(t.firm_code, t.product_code);
          if (item == nullptr) return Gone(t);
          LICET_RETURN_IF_ERROR(model::DecrementUnits(*item, decrement));
          *remaining = *item->unit_counter;
          return true;
        },
        [remaining, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st);
          done(*remaining);
        });
  };
  ops.first_use = [cache, writes, clock](const network::LeaseTarget& t,
                                         std::function<void(Result<nlohmann::json>)> done) {
    const UnixTime now = clock->Now();
    writes->Submit(
        t.serial,
        [t, now](engine::SoftContainer& c) -> Result<bool> {
          model::ProductItem* item = c.state.FindProduct(t.firm_code, t.product_code);
          if (item == nullptr) return Gone(t);
          return model::MarkFirstUse(*item, now);
        },
        [cache, t, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st);
          // The grant shows the item as it is now: with its usage period started.
          for (const engine::CachedContainer& c : *cache->Current()) {
            if (c.serial != t.serial || !c.container) continue;
            if (const model::ProductItem* item =
                    c.container->state.FindProduct(t.firm_code, t.product_code)) {
              return done(ItemMap(t.firm_code, *item));
            }
          }
          done(nlohmann::json());
        });
  };
  return ops;
}

}  // namespace licet::daemon
