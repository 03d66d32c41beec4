// Context (.context) and receipt (.receipt) files (DESIGN §1): what a container holds, signed
// by the container's Ed25519 key. A context asks for an update; a receipt, made right after
// an import, confirms what the container now holds. Same payload, different file kind.
#ifndef LICET_ENGINE_CONTEXT_FILE_H_
#define LICET_ENGINE_CONTEXT_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "engine/soft_container.h"
#include "format/envelope.h"
#include "model/items.h"

namespace licet::engine {

// One firm as a context reports it. Product items are summaries: secret and hidden data
// never leave the container.
struct ContextFirm {
  uint32_t firm_code = 0;
  uint64_t fuc = 0;         // 0: the container has no item of this firm yet
  std::string name;         // empty when fuc == 0
  Bytes public_key;         // the firm key the container trusts; empty when fuc == 0
  std::vector<model::ProductItem> products;
};

struct ContainerContext {
  format::FileKind kind = format::FileKind::kContext;  // kContext or kReceipt
  std::string serial;
  Bytes enc_public_key;  // X25519: updates are encrypted to it
  Bytes sig_public_key;  // Ed25519: signed this file
  UnixTime time = 0;     // the container's clock when the file was made
  UnixTime certified_time = 0;
  UnixTime highest_time_seen = 0;
  Bytes nonce;  // 16 random bytes: two contexts of the same state still differ
  std::vector<ContextFirm> firms;

  const ContextFirm* FindFirm(uint32_t firm_code) const;
};

// Makes a context or receipt of `container`: every firm item, or only `firm_code` (which
// is reported with FUC 0 when the container has no item of that firm yet).
Result<Bytes> MakeContextFile(const SoftContainer& container, std::optional<uint32_t> firm_code,
                              format::FileKind kind, UnixTime now);

// Reads a context or receipt and verifies its signature by the container key it carries.
// kWrongFileKind for other Licet files, kBadSignature when tampered.
Result<ContainerContext> ReadContextFile(ByteSpan file);

}  // namespace licet::engine

#endif  // LICET_ENGINE_CONTEXT_FILE_H_
