// The client's response decoder on hostile bytes, for every kind of request it could match.
#include <cstddef>
#include <cstdint>

#include "network/wire.h"
#include "protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  auto message = protocol::DecodeMessage(ByteSpan(data, size));
  if (!message.ok()) return 0;
  for (auto op : {network::NetOp::kHello, network::NetOp::kAccess, network::NetOp::kRelease,
                  network::NetOp::kHeartbeat, network::NetOp::kStatus, network::NetOp::kCrypt,
                  network::NetOp::kUnit}) {
    auto r = network::ParseClientResponse(*message, op);
    if (r.ok()) (void)r->status.ToString();
  }
  return 0;
}
