// Small strict parsers and encoders for request data: base64 (bodies carrying binary
// files in JSON), query strings, and pagination cursors. Every decoder is total on any
// input (no exception, bounded work) and fuzzed (api_parsers_fuzz.cc).
#ifndef LICET_CENTRAL_API_CODEC_H_
#define LICET_CENTRAL_API_CODEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::central::api {

// RFC 4648 base64 with padding ("standard"), or base64url without padding (`url` = true).
std::string Base64Encode(ByteSpan data, bool url = false);
// Strict: the alphabet of the variant only, correct padding (standard) or none (url), no
// whitespace, unused bits zero. kInvalidArgument otherwise.
Result<Bytes> Base64Decode(std::string_view text, bool url = false);

// "a=1&b=x%20y" -> {a: "1", b: "x y"}. Percent-decoding and '+' as space; a name given
// twice, a malformed escape, more than 32 parameters or a query longer than 2048 bytes is
// kInvalidArgument.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// Pagination: ?limit (1..200, default 50) and ?cursor (opaque, made by EncodeCursor).
struct Page {
  int limit = 50;
  std::string after;  // decoded cursor, "" for the first page
};
inline constexpr int kMaxPageLimit = 200;
Result<Page> ParsePage(const std::map<std::string, std::string>& query, std::string_view kind);
// Cursors are base64url of "<kind>:<position>", so that one list's cursor is refused by
// another.
std::string EncodeCursor(std::string_view kind, std::string_view position);

// A decimal uint32 ("6000010"): no sign, no leading '+', no spaces, at most 10 digits.
std::optional<uint32_t> ParseUint32(std::string_view text);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_CODEC_H_
