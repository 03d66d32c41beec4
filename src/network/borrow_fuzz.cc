// Borrowing's decoders on hostile bytes: a request frame body (borrow, borrow_return), a
// borrow answer, and a borrow table file.
#include <cstddef>
#include <cstdint>

#include "network/borrow_table.h"
#include "network/wire.h"
#include "protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  ByteSpan bytes(data, size);
  (void)network::BorrowTable::Decode(bytes);
  auto message = protocol::DecodeMessage(bytes);
  if (!message.ok()) return 0;
  auto request = network::ParseServerRequest(*message);
  if (request.ok()) (void)network::BorrowReturnMessage(request->borrow_return.borrow_id);
  for (auto op : {network::NetOp::kBorrow, network::NetOp::kBorrowReturn}) {
    auto r = network::ParseClientResponse(*message, op);
    if (r.ok()) (void)r->status.ToString();
  }
  return 0;
}
