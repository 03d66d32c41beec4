// The network license protocol between a client licetd (or any TLS client) and a network
// license server (docs/PROTOCOL.md "Network protocol"). It reuses the local API's framing
// (protocol/protocol.h: 4-byte big-endian length + one CBOR map), inside TLS 1.3.
//
// Requests carry "id" (echoed) and "op"; responses "id", "code" (ErrorCode, 0 = OK) and, on
// error, "message". The first request is "hello", which names the client: a 16-byte client id
// (stable for the life of the client licetd: a reconnect with the same id finds its leases),
// its host name, and its machine identity (what STATION_SHARE counts).
//
// The parsers here are strict: every field has a type, a range and a length limit, unknown
// ops are refused, and hostile input never throws (fuzzed by network_wire_fuzz).
#ifndef LICET_NETWORK_WIRE_H_
#define LICET_NETWORK_WIRE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "model/items.h"
#include "network/borrow_wire.h"

namespace licet::network {

inline constexpr uint32_t kNetworkProtocolVersion = 1;
inline constexpr uint16_t kDefaultPort = 22450;
inline constexpr size_t kClientIdSize = 16;
inline constexpr size_t kMaxNameSize = 255;  // host, user and machine texts
// A network frame never needs the local API's 16 MiB: a bound on what a peer may make us hold.
inline constexpr size_t kMaxNetworkFrame = 64 * 1024;

enum class NetOp : uint8_t {
  kHello,
  kAccess,
  kRelease,
  kHeartbeat,
  kStatus,
  kCrypt,         // crypt with a lease's item (its section in wire.cc)
  kUnit,          // decrement a lease's item's units (likewise)
  kBorrow,        // borrow a seat for days (borrow_wire.h)
  kBorrowReturn,  // give a borrowed seat back early (borrow_wire.h)
};
const char* NetOpName(NetOp op);

struct HelloRequest {
  uint32_t version = 0;
  Bytes client_id;      // kClientIdSize bytes
  std::string host;     // the client's host name, for the status table
  std::string machine;  // machine identity (STATION_SHARE); non-empty
};

struct AccessRequest {
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_code = 0;
  model::AccessMode mode = model::AccessMode::kUserLimit;
  std::string user;          // the user on the client host, for the status table and rules
  uint64_t reclaim = 0;      // a lease id this client held before a reconnect; 0 = none
  int64_t release_date = 0;  // the application's release date (maintenance check); 0 = none
  Bytes firm_key;            // the firm public key the application trusts; empty = any
};

// --- crypt and units on a network lease (docs/PROTOCOL.md "crypt", "unit") ---
// The most data one crypt request may carry: its frame (with the other fields) must stay
// within kMaxNetworkFrame. A larger buffer is refused (kInvalidArgument), not split: a
// split GCM encryption would need one tag per piece and change the local API's meaning.
inline constexpr size_t kMaxNetworkCryptData = 60 * 1024;

// The local API's crypt_op numbers (protocol::CryptOp).
enum class NetCryptOp : uint8_t { kEncrypt = 1, kDecrypt = 2, kDirect = 3 };

struct CryptRequest {
  NetCryptOp op = NetCryptOp::kEncrypt;
  uint32_t feature_code = 0;
  uint32_t encryption_code = 0;
  Bytes iv;    // 12 bytes
  Bytes tag;   // 16 bytes for kDecrypt, else empty
  Bytes data;  // <= kMaxNetworkCryptData bytes
};

struct CryptAnswer {
  Bytes data;  // the result
  Bytes tag;   // the GCM tag of an encryption; empty otherwise
};

// One decoded request.
struct ServerRequest {
  uint64_t id = 0;
  NetOp op = NetOp::kHello;
  HelloRequest hello;    // op == kHello
  AccessRequest access;  // op == kAccess
  uint64_t lease = 0;    // op == kRelease, kCrypt, kUnit
  CryptRequest crypt;    // op == kCrypt
  uint64_t decrement = 0;             // op == kUnit: >= 1
  BorrowRequest borrow;               // op == kBorrow
  BorrowReturnRequest borrow_return;  // op == kBorrowReturn
};

// Decodes a request map. kProtocolError for a missing id or unknown op; kInvalidArgument
// naming the field for a wrong type, range or size. Never throws.
[[nodiscard]] Result<ServerRequest> ParseServerRequest(const nlohmann::json& message);

nlohmann::json EncodeHello(uint64_t id, const HelloRequest& hello);
nlohmann::json EncodeAccess(uint64_t id, const AccessRequest& access);
nlohmann::json EncodeRelease(uint64_t id, uint64_t lease);
nlohmann::json EncodeHeartbeat(uint64_t id);
nlohmann::json EncodeStatusRequest(uint64_t id);
// kInvalidArgument when the data is larger than kMaxNetworkCryptData or iv/tag are wrong.
[[nodiscard]] Result<nlohmann::json> EncodeCrypt(uint64_t id, uint64_t lease,
                                                 const CryptRequest& crypt);
nlohmann::json EncodeUnit(uint64_t id, uint64_t lease, uint64_t decrement);

// What a granted access returns.
struct Grant {
  uint64_t lease = 0;
  std::string serial;             // the server's container
  uint32_t license_quantity = 0;  // the item's seats
  int64_t lease_timeout = 0;      // seconds without heartbeat before the seat is freed
  nlohmann::json item;            // the item's properties (a map; empty when not sent)
};

// The parts of a response a client needs: the id, the status (OK or the server's code and
// message) and, for a granted access, the grant.
struct ClientResponse {
  uint64_t id = 0;
  Status status;
  Grant grant;                  // access
  int64_t lease_timeout = 0;    // hello: the server's shortest lease timeout
  uint64_t leases = 0;          // heartbeat: leases the server holds for this client
  nlohmann::json status_table;  // status: the rows (array)
  Bytes data;                   // crypt: the result
  Bytes tag;                    // crypt (encrypt): the GCM tag
  uint64_t remaining = 0;       // unit: units left after the decrement
  BorrowGrant borrow;           // borrow: the signed entry
};

// Decodes a response map for a request of kind `op`. kProtocolError for a malformed one.
// Never throws.
[[nodiscard]] Result<ClientResponse> ParseClientResponse(const nlohmann::json& message, NetOp op);

}  // namespace licet::network

#endif  // LICET_NETWORK_WIRE_H_
