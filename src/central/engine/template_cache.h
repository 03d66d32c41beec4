// Opened product templates, kept per product: opening one from its row costs an AES-GCM
// decryption (engine/vault.h) and a CBOR decode, paid once per product row instead of once
// per activation.
#ifndef LICET_CENTRAL_ENGINE_TEMPLATE_CACHE_H_
#define LICET_CENTRAL_ENGINE_TEMPLATE_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "central/engine/catalog.h"
#include "central/engine/template.h"
#include "central/store/records.h"
#include "common/bytes.h"
#include "common/status.h"

namespace licet::central::engine {

class TemplateCache {
 public:
  // Entries kept before the cache starts over (a catalog of more products than this
  // opens some of them more than once; nothing else changes).
  static constexpr size_t kMaxEntries = 4096;

  // `catalog` must outlive the cache.
  explicit TemplateCache(const Catalog& catalog) : catalog_(catalog) {}
  TemplateCache(const TemplateCache&) = delete;
  TemplateCache& operator=(const TemplateCache&) = delete;

  // The template of `product` (a row just read in the caller's transaction). A cached
  // template serves only the very sealed bytes it was opened from, so a product whose row
  // changed opens again. Errors as Catalog::OpenTemplate. Thread-safe. The templates (which
  // may carry product secrets) stay in memory for the cache's life, as the firm keys do.
  Result<std::shared_ptr<const ProductTemplate>> Open(const store::ProductRecord& product) const;

 private:
  struct Entry {
    Bytes sealed;
    std::shared_ptr<const ProductTemplate> opened;
  };

  const Catalog& catalog_;
  mutable std::mutex mu_;
  mutable std::map<std::pair<uint32_t, uint32_t>, Entry> entries_;  // by (firm, product)
};

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_TEMPLATE_CACHE_H_
