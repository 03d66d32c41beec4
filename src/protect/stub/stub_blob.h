// The decryptor blob (src/protect/stub, built freestanding and flattened), embedded into
// the `licet` tool. Position-independent; the tool fills its patch area (stub_layout.h).
#ifndef LICET_PROTECT_STUB_STUB_BLOB_H_
#define LICET_PROTECT_STUB_STUB_BLOB_H_

#include "common/bytes.h"

namespace licet::protect::stub {

ByteSpan StubBlob();

}  // namespace licet::protect::stub

#endif  // LICET_PROTECT_STUB_STUB_BLOB_H_
