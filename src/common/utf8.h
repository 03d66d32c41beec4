// UTF-8 validation, one implementation for every parser of untrusted text (CBOR text
// strings, item texts, names).
#pragma once

#include <string_view>

#include "common/bytes.h"

namespace licet {

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF.
bool IsValidUtf8(ByteSpan text);
inline bool IsValidUtf8(std::string_view text) {
  return IsValidUtf8(AsBytes(text));
}

}  // namespace licet
