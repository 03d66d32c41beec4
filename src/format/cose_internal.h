// Helpers shared by the COSE_Sign1 and COSE_Encrypt code. Not part of the module's API.
#ifndef LICET_FORMAT_COSE_INTERNAL_H_
#define LICET_FORMAT_COSE_INTERNAL_H_

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "format/cbor.h"

namespace licet::format::internal {

// COSE header labels (RFC 9052 §3.1) and COSE_Key labels (RFC 9053 §7.1).
inline constexpr int64_t kHeaderAlg = 1;
inline constexpr int64_t kHeaderCrit = 2;
inline constexpr int64_t kHeaderKid = 4;
inline constexpr int64_t kHeaderIv = 5;
inline constexpr int64_t kHeaderEphemeralKey = -1;
inline constexpr int64_t kKeyKty = 1;
inline constexpr int64_t kKeyCrv = -1;
inline constexpr int64_t kKeyX = -2;
inline constexpr int64_t kKtyOkp = 1;
inline constexpr int64_t kCrvX25519 = 4;

// COSE messages are small and shallow: tag / message / recipients / recipient / header /
// COSE_Key / value is depth 6.
inline constexpr CborLimits kCoseLimits{.max_depth = 8, .max_items = 256};

// kCorruptData "<what>" with a "COSE: " prefix.
Status CoseError(const std::string& what);

// Decodes `message` and returns the array inside tag `tag`, checking its length.
Result<CborArray> UnwrapMessage(ByteSpan message, uint64_t tag, size_t size, const char* name);

// Decodes a serialized protected header (a zero-length string stands for the empty map).
Result<CborValue> DecodeProtected(const CborValue& bstr, const char* layer);

// Checks one layer's header buckets: both maps with integer or text labels, no "crit", no
// label in both. Returns the algorithm, which must be an integer in the protected bucket.
Result<int64_t> CheckHeaders(const CborValue& protected_map, const CborValue& unprotected,
                             const char* layer);

}  // namespace licet::format::internal

#endif  // LICET_FORMAT_COSE_INTERNAL_H_
