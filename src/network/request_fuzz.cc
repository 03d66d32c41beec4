// The server's request decoder on hostile bytes: frame body -> CBOR -> ParseServerRequest,
// and the seat table fed with whatever parses.
#include <cstddef>
#include <cstdint>

#include "network/seat_table.h"
#include "network/wire.h"
#include "protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  auto message = protocol::DecodeMessage(ByteSpan(data, size));
  if (!message.ok()) return 0;
  auto request = network::ParseServerRequest(*message);
  if (!request.ok()) return 0;
  static FakeClock clock(1'800'000'000);
  network::SeatTable table(&clock);
  network::ClientInfo info{Bytes(network::kClientIdSize, 1), "h", "m", "127.0.0.1"};
  network::ClientRef client = table.Hello(info);
  if (request->op == network::NetOp::kHello) {
    info.client_id = request->hello.client_id;
    info.host = request->hello.host;
    info.machine = request->hello.machine;
    client = table.Hello(info);
  }
  if (request->op == network::NetOp::kAccess) {
    auto g = table.Acquire(client, request->access.firm_code, request->access.product_code,
                           network::ItemSpec{"130-1", 2, 10}, request->access.mode,
                           request->access.user, request->access.reclaim);
    if (g.ok()) (void)table.Release(client, g->lease);
  }
  if (request->op == network::NetOp::kRelease) (void)table.Release(client, request->lease);
  (void)table.LeaseRows(10);
  return 0;
}
