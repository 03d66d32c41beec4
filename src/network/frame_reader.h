// The receive buffer of a network connection (client.cc and server.cc): bytes read from the
// TLS stream go in at the end, whole frames (protocol.h framing) come out at the front. Kept
// apart from the sockets so that both ends split and bound frames the same way, and so that
// the splitting can be tested without a connection.
#ifndef LICET_NETWORK_FRAME_READER_H_
#define LICET_NETWORK_FRAME_READER_H_

#include <cstddef>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::network {

class FrameReader {
 public:
  // `max_frame`: the largest frame body accepted; a header announcing more is a protocol error.
  explicit FrameReader(size_t max_frame) : max_frame_(max_frame) {}

  // Free space for the next read, at least a few KiB: moves unread bytes to the front first,
  // then grows the buffer, never beyond one largest frame plus its header.
  std::span<uint8_t> Room();
  // `n` bytes were read into the span Room() returned.
  void Commit(size_t n) { end_ += n; }

  // The body of the next whole frame, valid until the next Room(); nullopt when the frame is
  // not complete yet; kProtocolError for a bad or oversized header (the connection must close).
  [[nodiscard]] Result<std::optional<ByteSpan>> Next();

 private:
  size_t max_frame_;
  Bytes in_ = Bytes(16 * 1024);
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last byte read
};

}  // namespace licet::network

#endif  // LICET_NETWORK_FRAME_READER_H_
