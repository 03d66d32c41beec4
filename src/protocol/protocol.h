// The local API protocol between liblicet (and the licet CLI) and licetd over a Unix socket.
// Specified in docs/PROTOCOL.md; this header is its single source in code.
//
// Framing: every message is a 4-byte big-endian length followed by that many bytes of one
// CBOR map (string keys). Requests carry "id" (echoed) and "op"; responses carry "id",
// "code" (ErrorCode number, 0 = OK) and, on error, "message" (one line for the user).
// The first request on a connection is "hello", which fixes the protocol version.
//
// This module depends on common and nlohmann only (no OpenSSL): the client library links it.
#ifndef LICET_PROTOCOL_PROTOCOL_H_
#define LICET_PROTOCOL_PROTOCOL_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::protocol {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderSize = 4;
inline constexpr size_t kMaxFrameSize = 16u << 20;  // 16 MiB: large crypt buffers, update files

// Operation names ("op").
inline constexpr const char* kOpHello = "hello";          // {version, client} -> {version, server}
inline constexpr const char* kOpAccess = "access";        // see AccessRequest
inline constexpr const char* kOpRelease = "release";      // {handle}
inline constexpr const char* kOpInfo = "info";            // {handle} -> {item}
inline constexpr const char* kOpUnits = "units";          // {handle, decrement} -> {remaining}
inline constexpr const char* kOpCrypt = "crypt";          // see CryptRequest
inline constexpr const char* kOpList = "list";            // {} -> {containers}
inline constexpr const char* kOpContext = "context";      // {serial?, firm_code?, receipt?} -> {file}
inline constexpr const char* kOpImport = "import";        // {file} -> {serial, report}
inline constexpr const char* kOpCreateContainer = "create_container";  // {threshold?} -> {serial}
inline constexpr const char* kOpDescribe = "describe";    // {file} -> {text, description}

// Search order of an access (DESIGN §3), numbers as CodeMeter's.
enum class Where : uint8_t { kLocal = 0, kLan = 1, kLocalLan = 2, kLanLocal = 3 };

// licet_crypt operations.
enum class CryptOp : uint8_t {
  kEncrypt = 1,  // AES-256-GCM: iv in, tag out
  kDecrypt = 2,  // AES-256-GCM: iv and tag in; fails with kDecryptFailed on a wrong tag
  kDirect = 3,   // AES-256-CTR keystream XOR with iv as the initial counter: same size, no tag
};

// The socket path: $LICET_SOCKET if set; /run/licet/licetd.sock for root; otherwise
// $XDG_RUNTIME_DIR/licet/licetd.sock (or /tmp/licet-<uid>/licetd.sock without XDG_RUNTIME_DIR).
std::string DefaultSocketPath();

// Appends the 4-byte big-endian length and the CBOR of `message`.
Bytes EncodeFrame(const nlohmann::json& message);

// Length of the frame whose header is `header` (4 bytes); kProtocolError when over the max.
Result<size_t> DecodeFrameLength(ByteSpan header);

// Decodes one frame body: one CBOR map with text keys (docs/PROTOCOL.md "Framing").
// Strict: definite lengths only; integers, byte and text strings (valid UTF-8), arrays, maps
// with unique text keys, false/true/null; nesting at most 16, no trailing bytes. Byte strings
// are copied once. kProtocolError on anything else; never throws.
Result<nlohmann::json> DecodeMessage(ByteSpan body);

// A response for request `id`: {"id", "code": 0}.
nlohmann::json OkResponse(uint64_t id);
// An error response carrying `status`'s code and message.
nlohmann::json ErrorResponse(uint64_t id, const Status& status);
// The Status a response carries (OK, or its code and message).
Status ResponseStatus(const nlohmann::json& response);

}  // namespace licet::protocol

#endif  // LICET_PROTOCOL_PROTOCOL_H_
