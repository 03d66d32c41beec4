// Between the C structs of licet.h and the request/response maps of docs/PROTOCOL.md.
//
// Size rules for the versioned structs (their first field is `size`): a size of 0 or over
// kMaxStructSize is refused; a size below the struct's minimum (the fields every version
// has) is refused; a smaller size from an app built against an older header is accepted
// and only the fields that fit are read or written (missing inputs take their _INIT
// default); a larger size from a newer header is accepted for inputs only when the bytes
// this library does not know are all zero (as Linux's extensible syscall structs), and for
// outputs the unknown tail is zeroed.
#ifndef LICET_CLIENT_REQUEST_CODEC_H_
#define LICET_CLIENT_REQUEST_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "licet/licet.h"

namespace licet::client {

inline constexpr uint32_t kMaxStructSize = 4096;

// Fields every version of each struct has (the struct's first version is its minimum).
inline constexpr uint32_t kMinAccessParamsSize =
    offsetof(licet_access_params, product_code) + sizeof(uint32_t);
inline constexpr uint32_t kMinCryptParamsSize = sizeof(licet_crypt_params);
inline constexpr uint32_t kMinItemInfoSize = offsetof(licet_item_info, product_code) + sizeof(uint32_t);

// Checks a struct's declared size against the rules above. `name` is used in the message.
Status CheckStructSize(const void* object, uint32_t size, uint32_t min_size, uint32_t known_size,
                       bool input, const char* name);

// The `access` request for `params` (validated: size, firm code, where, mode, strings).
// kInvalidArgument with a message naming the field on bad input.
Result<nlohmann::json> EncodeAccess(const licet_access_params* params);

// The `crypt` request. `buf` may be NULL only when len is 0; len ≤ LICET_CRYPT_MAX_LEN.
// Without `with_data` the request has no "data" (the bytes go through shared memory) and
// `buf` is only checked.
Result<nlohmann::json> EncodeCrypt(uint64_t handle, int op, const licet_crypt_params* params,
                                   const void* buf, size_t len, bool with_data = true);
// Copies the response's data into buf (it must be exactly len bytes) and, for
// LICET_CRYPT_ENCRYPT, its 16-byte tag into params->tag. kProtocolError on a bad response
// (then buf and params are untouched).
Status DecodeCrypt(const nlohmann::json& response, int op, licet_crypt_params* params, void* buf,
                   size_t len);
// The same for a shared-memory crypt, whose data the connection copies: only the tag (for
// LICET_CRYPT_ENCRYPT) into params->tag. kProtocolError when it is missing or not 16 bytes
// (then params is untouched).
Status DecodeCryptTag(const nlohmann::json& response, int op, licet_crypt_params* params);

// Fills `info` (whose size was checked with CheckStructSize) from a response carrying
// `serial` and `item`. Strings are NUL-terminated; text longer than the field is cut at a
// UTF-8 character boundary. kProtocolError on a missing or mistyped field (info untouched).
Status DecodeItemInfo(const nlohmann::json& response, licet_item_info* info);

// The `remaining` of a `units` response.
Result<uint64_t> DecodeRemaining(const nlohmann::json& response);

// The `handle` of an `access` response.
Result<uint64_t> DecodeHandle(const nlohmann::json& response);

// The JSON text of licet_list: the response without "id" and "code" (so {"containers":
// [...]} plus whatever else licetd adds), byte strings as lower-case hex.
Result<std::string> DecodeList(const nlohmann::json& response);

}  // namespace licet::client

#endif  // LICET_CLIENT_REQUEST_CODEC_H_
