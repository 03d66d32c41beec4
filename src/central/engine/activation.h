// The activation engine of License Central (DESIGN §4): context + ticket in, update out;
// receipts; push updates; vendor decisions on "manipulation detected".
//
// Every request runs in one write transaction that re-reads what it needs, spends at most
// one activation with a single conditional UPDATE (store::Tx::SpendActivation), records the
// license, the activation and the sealed FUC range, advances the container's issued FUC by
// compare-and-set, and builds the signed update file, so that any interleaving of requests,
// here or on other instances sharing one PostgreSQL, neither overspends a ticket nor issues
// a FUC twice. A failed request changes nothing, except that a detected manipulation is
// recorded (and committed) before the request is refused.
//
// Error codes (the API turns them into problem responses, api/problem.h):
//   kInvalidArgument       malformed ticket code (typo), bad request
//   kCorruptData, kBadSignature, kWrongFileKind, kUnsupportedVersion  bad context/receipt
//   kNotFound              no such ticket
//   kContainerNotFound     receipt or push for a container Central never saw
//   kAccessDenied          ticket revoked, or container blocked by a vendor decision
//   kPermissionDenied      the ticket does not allow this kind of container (serial mask)
//   kUntrustedSigner       the file is signed by another container key than the one pinned
//                          for its serial (a cloned or forged container); nothing recorded
//   kManipulationDetected  the container contradicts Central's history, now or before
//   kNoMoreLicenses        the ticket has no activation left
//   kAlreadyExists         the container already holds a product of the ticket (from
//                          another ticket)
//   kBusy                  the database stayed busy through every retry
#ifndef LICET_CENTRAL_ENGINE_ACTIVATION_H_
#define LICET_CENTRAL_ENGINE_ACTIVATION_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "central/engine/catalog.h"
#include "central/engine/template_cache.h"
#include "central/engine/vault.h"
#include "central/store/store.h"
#include "common/clock.h"

namespace licet::central::engine {

struct IssuedUpdate {
  Bytes file;  // the .update file (FileKind::kUpdate)
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t fuc_from = 0;
  uint64_t fuc_to = 0;
  bool new_activation = false;     // false: idempotent repeat (nothing spent)
  uint32_t activations_left = 0;   // of the ticket, after this request
  std::vector<uint32_t> products;  // the ticket's products
};

struct ReceiptResult {
  std::string serial;
  struct Firm {
    uint32_t firm_code = 0;
    uint64_t fuc = 0;
    int64_t licenses_confirmed = 0;
  };
  std::vector<Firm> firms;  // the firms of the receipt that Central issues for
};

enum class Decision { kRelease, kBlock };

class LicenseEngine {
 public:
  // References must outlive the engine. Thread-safe.
  LicenseEngine(store::Store& store, const Vault& vault, const Catalog& catalog, const Clock& clock)
      : store_(store), vault_(vault), clock_(clock), templates_(catalog) {}

  // Online or offline activation: `context_file` is a .context made by the container.
  // Activating a ticket again for the same container spends nothing and returns the
  // operations that container has not confirmed (or, if it is up to date, the ticket's own
  // range again, which an import skips as already applied).
  Result<IssuedUpdate> Activate(std::string_view ticket_text, ByteSpan context_file,
                                const std::string& actor);

  // An update for a container Central knows, without a context: assumes the container is at
  // its confirmed FUC and sends what follows, plus the products of `ticket` if given (which
  // spends an activation). kContainerNotFound; kInvalidArgument "nothing to push" when
  // there is neither a ticket nor anything pending.
  Result<IssuedUpdate> Push(const std::string& serial, uint32_t firm_code,
                            const std::optional<std::string>& ticket, const std::string& actor);

  // A receipt (or context) confirms the FUC it shows for each firm; licenses up to it become
  // 'confirmed'. A contradiction flags the container.
  Result<ReceiptResult> AcceptReceipt(ByteSpan receipt_file, const std::string& actor);

  // The vendor's decision on a flagged (or blocked) container. kRelease accepts what the
  // container reported when it was flagged as the new baseline of each firm (so it is not
  // flagged again for the same state) and makes it active; kBlock refuses it for good.
  Status Decide(const std::string& serial, Decision decision, const std::string& note,
                const std::string& actor);

 private:
  // The firm's key opened from its row (read in `tx`), from a cache of opened keys: opening
  // costs an AES-GCM decryption and an Ed25519 public-key derivation, once per firm rather
  // than once per activation; the key carries a prepared crypto::Ed25519Signer, so signing
  // an update skips the key import too. The keys stay in memory (SecretBytes and OpenSSL's
  // key object, both wiped when freed) for the engine's life.
  Result<std::shared_ptr<const licet::engine::FirmKey>> OpenFirm(store::Tx& tx,
                                                                 uint32_t firm_code) const;
  // The same for a firm row the caller read.
  Result<std::shared_ptr<const licet::engine::FirmKey>> OpenFirm(
      const store::FirmRecord& firm) const;

  struct CachedFirm {
    Bytes sealed;  // the sealed_secrets it was opened from
    std::shared_ptr<const licet::engine::FirmKey> key;
  };

  store::Store& store_;
  const Vault& vault_;
  const Clock& clock_;
  TemplateCache templates_;
  mutable std::mutex firms_mu_;
  mutable std::map<uint32_t, CachedFirm> firms_;
};

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_ACTIVATION_H_
