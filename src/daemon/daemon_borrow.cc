#include "daemon/daemon_borrow.h"

#include "common/env.h"
#include "daemon/network_items.h"
#include "engine/borrow_entry.h"

namespace licet::daemon {
namespace {

struct Found {
  std::shared_ptr<const engine::SoftContainer> container;
  const model::FirmItem* firm = nullptr;
  const model::ProductItem* item = nullptr;
};

Result<Found> FindItem(engine::ContainerCache* cache, const std::string& serial, uint32_t firm_code,
                       uint32_t product_code) {
  engine::ContainerCache::Snapshot snapshot = cache->Refresh();
  for (const engine::CachedContainer& c : *snapshot) {
    if (c.serial != serial || !c.container) continue;
    Found f;
    f.container = c.container;
    f.firm = c.container->state.FindFirm(firm_code);
    f.item = f.firm ? f.firm->FindProduct(product_code) : nullptr;
    if (f.item != nullptr) return f;
  }
  return Error(ErrorCode::kEntryNotFound, "the network server's container " + serial +
                                              " no longer holds product " +
                                              std::to_string(product_code));
}

}  // namespace

Status EnableNetworkBorrowing(network::Server& server, engine::ContainerCache* cache,
                              const NetworkConfig* config, const std::string& home,
                              const Clock* clock) {
  network::ItemLookup lookup = MakeItemLookup(cache, config, clock);
  network::BorrowIssuer issuer;
  issuer.lookup = [cache, lookup](const network::BorrowRequest& b) -> Result<network::BorrowOffer> {
    // The item checks of a network access (time limits, feature, user-limit mode allowed...).
    network::AccessRequest a;
    a.firm_code = b.firm_code;
    a.product_code = b.product_code;
    a.feature_code = b.feature_code;
    a.mode = model::AccessMode::kUserLimit;
    a.user = b.user;
    LICET_ASSIGN_OR_RETURN(network::ItemSpec spec, lookup(a));
    LICET_ASSIGN_OR_RETURN(Found f, FindItem(cache, spec.serial, b.firm_code, b.product_code));
    network::BorrowOffer offer;
    offer.rules = f.item->borrow;
    offer.expiration = f.item->expiration.value_or(0);
    offer.spec = std::move(spec);
    return offer;
  };
  issuer.sign = [cache](const network::BorrowRequest& b,
                        const network::BorrowRecord& r) -> Result<Bytes> {
    LICET_ASSIGN_OR_RETURN(Found f, FindItem(cache, r.serial, r.firm_code, r.product_code));
    engine::BorrowGrantInfo info;
    info.borrow_id = r.id;
    info.client_serial = r.client_serial;
    info.client_enc_key = b.client_enc_key;
    info.feature_code = r.feature_code;
    info.issued = r.issued;
    info.until = r.until;
    return engine::MakeBorrowEntry(*f.container, *f.firm, *f.item, info);
  };
  const std::string dir = JoinPath(home, "network");
  LICET_RETURN_IF_ERROR(Env::Default().CreateDirectories(dir, 0700));
  return server.EnableBorrowing(std::move(issuer), JoinPath(dir, "borrows.cbor"), &Env::Default(),
                                clock);
}

}  // namespace licet::daemon
