#include "central/engine/template_cache.h"

namespace licet::central::engine {

Result<std::shared_ptr<const ProductTemplate>> TemplateCache::Open(
    const store::ProductRecord& product) const {
  const std::pair<uint32_t, uint32_t> key{product.firm_code, product.product_code};
  {
    std::lock_guard g(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.sealed == product.sealed_template) {
      return it->second.opened;
    }
  }
  // Opened outside the lock: two threads may open the same template at once, harmlessly.
  LICET_ASSIGN_OR_RETURN(ProductTemplate t, catalog_.OpenTemplate(product));
  auto opened = std::make_shared<const ProductTemplate>(std::move(t));
  std::lock_guard g(mu_);
  if (entries_.size() >= kMaxEntries && entries_.count(key) == 0) entries_.clear();
  entries_[key] = Entry{product.sealed_template, opened};
  return opened;
}

}  // namespace licet::central::engine
