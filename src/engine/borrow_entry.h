// A borrow entry (docs/NETWORK.md "Borrowing"): one network seat lent to a client's soft
// container for a number of days, signed by the lending server's container.
//
//   COSE_Sign1 (EdDSA, external_aad "licet-borrow-entry-v1") over the CBOR map
//   {"v": 1, "borrow_id", "server_serial", "server_key" (Ed25519, 32 bytes), "client_serial",
//    "firm_code", "firm_name", "firm_key" (32 bytes), "product_code", "feature_code",
//    "issued", "until", "item" (model::ToJson of the product item without its secret),
//    "secret"? (COSE_Encrypt of secret_data to the client container's X25519 key, external_aad
//    "licet-borrow-secret-v1")}
//
// The item for local use is the server's item with expiration = min(its expiration, until),
// one seat, no borrow rules and no unit counters (units stay on the server: a copy would let
// them be spent twice). The entry binds to one container: its serial is signed in, and only
// that container's X25519 key opens the secret.
//
// Trust: the signature proves the entry is what the server key in it signed; that the server
// key is the right one comes from the channel it arrived on (the TLS connection pinned by
// fingerprint or CA), so the entry is only ever installed straight from the server's answer.
#ifndef LICET_ENGINE_BORROW_ENTRY_H_
#define LICET_ENGINE_BORROW_ENTRY_H_

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "engine/soft_container.h"
#include "model/items.h"

namespace licet::engine {

inline constexpr size_t kMaxBorrowEntryFileSize = 16 * 1024;

struct BorrowEntry {
  uint64_t borrow_id = 0;
  std::string server_serial;
  Bytes server_key;  // Ed25519 public key of the server's container
  std::string client_serial;
  uint32_t firm_code = 0;
  std::string firm_name;
  Bytes firm_key;  // the firm's public key as the server's firm item has it
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  UnixTime issued = 0;
  UnixTime until = 0;
  model::ProductItem item;  // for local use; secret_data set only by OpenBorrowEntry
};

// What the server signs: fields from the loan, `item` and `firm` from its container.
struct BorrowGrantInfo {
  uint64_t borrow_id = 0;
  std::string client_serial;
  Bytes client_enc_key;  // X25519, 32 bytes
  uint32_t feature_code = 0;
  UnixTime issued = 0;
  UnixTime until = 0;
};

// Makes the signed entry with `server`'s Ed25519 key. kInvalidArgument for a bad key or an
// item that does not validate.
[[nodiscard]] Result<Bytes> MakeBorrowEntry(const SoftContainer& server,
                                            const model::FirmItem& firm,
                                            const model::ProductItem& item,
                                            const BorrowGrantInfo& info);

// Parses and verifies an entry without any container: structure, signature by the server key
// it names. The item's secret stays encrypted (item.secret_data empty). kCorruptData,
// kUnsupportedVersion, kBadSignature. Never throws.
[[nodiscard]] Result<BorrowEntry> ReadBorrowEntry(ByteSpan entry);

// ReadBorrowEntry, then the binding to `client` (kWrongContainer for another serial, or a
// secret it cannot decrypt), the expiry (kExpired when until <= now), and the secret
// decrypted into item.secret_data.
[[nodiscard]] Result<BorrowEntry> OpenBorrowEntry(ByteSpan entry, const SoftContainer& client,
                                                  UnixTime now);

// Puts an opened entry's item into `client`'s state: the firm item is created when missing
// (with the entry's firm key and FUC 0); refused with kUntrustedSigner when the container has
// the firm under another key, kAlreadyExists when it holds the product already.
[[nodiscard]] Status InstallBorrowedItem(SoftContainer& client, const BorrowEntry& entry);

// Removes a borrowed item (and a firm item left empty with FUC 0, as InstallBorrowedItem made
// it). Returns false when the container has no such product (nothing changed).
bool RemoveBorrowedItem(SoftContainer& client, uint32_t firm_code, uint32_t product_code);

}  // namespace licet::engine

#endif  // LICET_ENGINE_BORROW_ENTRY_H_
