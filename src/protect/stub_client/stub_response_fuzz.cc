// The stub's strict response parser (hand-made CBOR, no allocation) on hostile frames.
#include <cstddef>
#include <cstdint>

#include "protect/stub_client/stub_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)licet::protect::stub::StubParseResponseForTest(data, size);
  return 0;
}
