// What Central knows a container holds for one firm, rebuilt from the FUC ranges it issued
// (DESIGN §4 "missed updates", PEERS.md: "The back office compares receipts with its
// history: missing updates are bundled into the next update; a contradiction flags the
// container 'manipulation detected'"). Pure functions: no store, no clock.
#ifndef LICET_CENTRAL_ENGINE_HISTORY_H_
#define LICET_CENTRAL_ENGINE_HISTORY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "model/operation.h"

namespace licet::central::engine {

struct History {
  // Below the baseline Central keeps no operations: a vendor decision accepted the
  // container's own report (baseline_products) at baseline_fuc. 0/{} for a new container.
  uint64_t baseline_fuc = 0;
  std::set<uint32_t> baseline_products;
  uint64_t issued_fuc = 0;
  // Every operation issued above the baseline, ascending and contiguous up to issued_fuc
  // (operations at or below the baseline may be present; they are ignored).
  std::vector<model::Operation> ops;
};

// What a context or receipt says about one firm.
struct FirmReport {
  uint64_t fuc = 0;             // 0: the container has no item of the firm
  Bytes public_key;             // the firm key the container trusts (empty when fuc 0)
  std::set<uint32_t> products;  // product codes it holds
};

// The product codes the container must hold at `fuc` (baseline_fuc <= fuc <= issued_fuc).
// kCorruptData when the history has a hole or does not reach `fuc` (a bug or a damaged
// database, never the customer's doing).
Result<std::set<uint32_t>> ProductsAt(const History& h, uint64_t fuc);

// Why `report` contradicts the history, or nullopt when it is consistent:
//   * its FUC is above what Central issued (updates from elsewhere, or a forged file);
//   * it trusts another key for the firm than `firm_public_key`;
//   * its FUC is below the accepted baseline;
//   * its products differ from the history at its FUC (a product Central deleted or never
//     issued, or one missing that Central issued; the runtime never removes products).
// Only product codes are compared: unit counters, usage starts and checkpoints legitimately
// change inside the container.
Result<std::optional<std::string>> FindContradiction(const History& h, const FirmReport& report,
                                                     ByteSpan firm_public_key);

// The operations above `fuc` (fuc+1 .. issued_fuc): what a container at `fuc` has missed.
std::vector<model::Operation> OperationsAfter(const History& h, uint64_t fuc);

// "{201010, 201011}" for messages.
std::string FormatCodes(const std::set<uint32_t>& codes);

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_HISTORY_H_
