// The discovery datagram parsers on hostile bytes (a server reads probes from anyone on the
// network, a client reads answers from anyone).
#include <cstddef>
#include <cstdint>

#include "network/discovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  const ByteSpan datagram(data, size);
  auto probe = network::ParseDiscoveryProbe(datagram);
  if (probe.ok() && probe->size() != network::kDiscoveryNonceSize) __builtin_trap();
  auto answer = network::ParseDiscoveryAnswer(datagram);
  if (answer.ok()) {
    // What parses re-encodes within its own size class.
    auto again = network::EncodeDiscoveryAnswer(*answer, network::kMaxDiscoveryDatagram);
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
