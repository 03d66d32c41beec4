// Fuzzes the frame and message decoder licetd runs on every byte a local client sends.
#include <cstddef>
#include <cstdint>

#include "protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  licet::ByteSpan input(data, size);
  if (size >= 4) {
    auto n = licet::protocol::DecodeFrameLength(input.first(4));
    if (n.ok() && *n <= size - 4) {
      auto msg = licet::protocol::DecodeMessage(input.subspan(4, *n));
      if (msg.ok()) (void)licet::protocol::ResponseStatus(*msg);
    }
  }
  (void)licet::protocol::DecodeMessage(input);
  return 0;
}
