// Decodes arbitrary bytes; whatever decodes must re-encode to exactly the input (the decoder
// accepts only deterministic encodings) and decode again to the same value. Validation alone
// must agree with decoding.
#include <cstdlib>

#include "format/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::format;
  const licet::ByteSpan input(data, size);
  auto decoded = CborDecode(input);
  if (CborValidate(input).ok() != decoded.ok()) abort();
  auto prefix = CborDecodePrefix(input);
  if (prefix.ok() && prefix->consumed > size) abort();
  if (!decoded.ok()) return 0;
  const licet::Bytes encoded = CborEncode(*decoded);
  if (encoded != licet::Bytes(input.begin(), input.end())) abort();
  auto again = CborDecode(encoded);
  if (!again.ok() || !(*again == *decoded)) abort();
  CborValue sorted = *decoded;
  CborSortMaps(&sorted);
  if (!CborDecode(CborEncode(sorted)).ok()) abort();
  return 0;
}
