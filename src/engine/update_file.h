// Update (.update) files (DESIGN §1): operations for one container and one firm, numbered
// by the firm update counter, encrypted to the container's X25519 key (COSE_Encrypt) and
// signed by the firm key (COSE_Sign1). Importing applies only operations above the
// container's FUC, so importing twice, out of order or an old file is harmless.
#ifndef LICET_ENGINE_UPDATE_FILE_H_
#define LICET_ENGINE_UPDATE_FILE_H_

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "model/operation.h"

namespace licet::engine {

// Vendor side (the CLI's `update create`, later Central): numbers `bodies` from the
// context's FUC for the firm on, prepending the firm item when the container has none,
// fills in the product secret (DESIGN §1) of added products without secret_data, encrypts
// to the context's container and signs with the firm key.
// kUntrustedSigner when the container trusts another key for this firm.
Result<Bytes> CreateUpdateFile(const FirmKey& firm, const ContainerContext& context,
                               std::vector<model::OperationBody> bodies, UnixTime certified_time);

// Like CreateUpdateFile with operations that already carry their FUC (Central's missed-update
// combining and tests of out-of-order imports).
Result<Bytes> CreateUpdateFileFromOperations(const FirmKey& firm, const ContainerContext& context,
                                             std::vector<model::Operation> ops,
                                             UnixTime certified_time);

// What an update says in clear, after its signature was checked against the firm key it
// carries. Whether that key is the one the container trusts is decided at import.
struct UpdateHeader {
  std::string serial;
  uint32_t firm_code = 0;
  uint64_t fuc_from = 0;
  uint64_t fuc_to = 0;
  UnixTime certified_time = 0;
  Bytes firm_public_key;
  Bytes recipient_key;  // the container's X25519 key
  Bytes sealed;         // COSE_Encrypt of the operations
};
Result<UpdateHeader> ReadUpdateFile(ByteSpan file);

// Decrypts an update's operations with the container's key.
Result<std::vector<model::Operation>> OpenUpdateOperations(const UpdateHeader& header,
                                                          const SoftContainer& container);

struct ImportResult {
  std::string serial;
  model::ApplyReport report;
};

// Verifies, decrypts and applies an update to the container it names, all or nothing.
// kWrongContainer (not for a container of this machine), kUntrustedSigner (signed by
// another key than the firm's), kBadSignature (tampered), kCorruptData (truncated),
// kFucGap (updates missing in between). On any error the container is unchanged.
Result<ImportResult> ImportUpdate(ContainerStore& store, ByteSpan file);

}  // namespace licet::engine

#endif  // LICET_ENGINE_UPDATE_FILE_H_
