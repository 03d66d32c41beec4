// Borrowing on the network protocol (docs/NETWORK.md "Borrowing", docs/PROTOCOL.md): a client
// takes one seat of a product item to a disconnected machine for a number of days, as a signed
// borrow entry bound to its soft container, and may give it back early.
//
//   borrow         {firm_code, product_code, feature_code?, days, serial, sig_key, enc_key,
//                   user?}  -> {borrow_id, until, entry}
//   borrow_return  {borrow_id, proof} -> ok
//
// `proof` is the client container's Ed25519 signature over BorrowReturnMessage(borrow_id):
// only the container the seat was borrowed to can give it back, and a replayed return finds
// no borrow (kEntryNotFound), so a seat is never freed twice.
//
// The parsers are strict (types, ranges, exact key sizes) and never throw.
#ifndef LICET_NETWORK_BORROW_WIRE_H_
#define LICET_NETWORK_BORROW_WIRE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/items.h"

namespace licet::network {

inline constexpr size_t kBorrowKeySize = 32;        // Ed25519 and X25519 public keys
inline constexpr size_t kBorrowProofSize = 64;      // Ed25519 signature
inline constexpr size_t kMaxBorrowSerialSize = 32;  // "130-1166426881"
inline constexpr size_t kMaxBorrowEntrySize = 16 * 1024;
inline constexpr uint32_t kMaxBorrowRequestDays = model::kMaxBorrowDays;

struct BorrowRequest {
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  uint32_t days = 0;          // 1..kMaxBorrowRequestDays
  std::string client_serial;  // the soft container the entry is bound to
  Bytes client_sig_key;       // its Ed25519 public key (signs the return proof)
  Bytes client_enc_key;       // its X25519 public key (receives the item's secret)
  std::string user;           // the user on the client, for the status table and rules
};

struct BorrowReturnRequest {
  uint64_t borrow_id = 0;
  Bytes proof;  // kBorrowProofSize bytes
};

// What a granted borrow returns.
struct BorrowGrant {
  uint64_t borrow_id = 0;
  UnixTime until = 0;
  Bytes entry;  // the signed borrow entry (engine/borrow_entry.h), <= kMaxBorrowEntrySize
};

// The bytes a return proof signs: "licet-borrow-return-v1" || borrow_id (8 bytes big-endian).
Bytes BorrowReturnMessage(uint64_t borrow_id);

// Decoders of a request map whose op is "borrow" / "borrow_return". kInvalidArgument naming
// the field. Never throw.
[[nodiscard]] Status ParseBorrowRequest(const nlohmann::json& m, BorrowRequest& out);
[[nodiscard]] Status ParseBorrowReturnRequest(const nlohmann::json& m, BorrowReturnRequest& out);
// The OK answer of a borrow. kInvalidArgument naming the field. Never throws.
[[nodiscard]] Status ParseBorrowGrant(const nlohmann::json& m, BorrowGrant& out);

nlohmann::json EncodeBorrow(uint64_t id, const BorrowRequest& r);
nlohmann::json EncodeBorrowReturn(uint64_t id, const BorrowReturnRequest& r);

}  // namespace licet::network

#endif  // LICET_NETWORK_BORROW_WIRE_H_
