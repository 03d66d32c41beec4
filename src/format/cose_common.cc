#include <string>
#include <vector>

#include "format/cose_internal.h"

namespace licet::format::internal {
namespace {

std::string Describe(const CborValue& label) {
  if (auto n = label.AsInt64()) return std::to_string(*n);
  if (label.is_text()) return "\"" + label.text() + "\"";
  return "?";
}

}  // namespace

Status CoseError(const std::string& what) {
  return Error(ErrorCode::kCorruptData, "COSE: " + what);
}

Result<CborArray> UnwrapMessage(ByteSpan message, uint64_t tag, size_t size, const char* name) {
  auto decoded = CborDecode(message, kCoseLimits);
  if (!decoded.ok()) return decoded.status().WithContext(std::string("malformed ") + name);
  CborValue& value = *decoded;
  if (!value.is_tag() || value.tag() != tag) {
    return CoseError(std::string("not a ") + name + " (expected CBOR tag " + std::to_string(tag) +
                     ")");
  }
  if (!value.tagged().is_array() || value.tagged().array().size() != size) {
    return CoseError(std::string(name) + " must be an array of " + std::to_string(size) +
                     " elements");
  }
  return std::move(value.tagged().array());
}

Result<CborValue> DecodeProtected(const CborValue& bstr, const char* layer) {
  if (!bstr.is_bytes()) {
    return CoseError(std::string(layer) + " protected header must be a byte string");
  }
  if (bstr.bytes().empty()) return CborValue::Map({});
  auto decoded = CborDecode(bstr.bytes(), kCoseLimits);
  if (!decoded.ok()) {
    return decoded.status().WithContext(std::string("malformed ") + layer + " protected header");
  }
  if (!decoded->is_map()) return CoseError(std::string(layer) + " protected header is not a map");
  return std::move(decoded).value();
}

Result<int64_t> CheckHeaders(const CborValue& protected_map, const CborValue& unprotected,
                             const char* layer) {
  const std::string where(layer);
  if (!protected_map.is_map()) return CoseError(where + " protected header is not a map");
  if (!unprotected.is_map()) return CoseError(where + " unprotected header is not a map");
  for (const CborValue* bucket : {&protected_map, &unprotected}) {
    for (const auto& [label, value] : bucket->map()) {
      if (!label.is_text() && !label.AsInt64()) {
        return CoseError(where + " header label must be an integer or a text string");
      }
      if (label.AsInt64() == kHeaderCrit) {
        // We understand no extension, so every critical header is one we cannot honour.
        return Error(ErrorCode::kUnsupportedVersion,
                     "COSE: " + where +
                         " header has critical parameters, which Licet does "
                         "not support");
      }
      // RFC 9052 §3: a label must not appear in both buckets.
      if (bucket == &protected_map) {
        for (const auto& other : unprotected.map()) {
          if (other.first == label) {
            return CoseError(where + " header label " + Describe(label) +
                             " is in both the protected and unprotected buckets");
          }
        }
      }
    }
  }
  if (unprotected.Find(kHeaderAlg)) {
    return CoseError(where + " algorithm must be in the protected header");
  }
  const CborValue* alg = protected_map.Find(kHeaderAlg);
  if (!alg) return CoseError(where + " protected header has no algorithm");
  if (alg->is_text()) {
    return Error(ErrorCode::kUnsupportedVersion,
                 "COSE: " + where + " algorithm \"" + alg->text() + "\" is not supported");
  }
  if (!alg->AsInt64()) return CoseError(where + " algorithm must be an integer");
  return *alg->AsInt64();
}

}  // namespace licet::format::internal
