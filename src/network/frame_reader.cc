#include "network/frame_reader.h"

#include <algorithm>
#include <cstring>

#include "protocol/protocol.h"

namespace licet::network {

namespace {
// Less free space than this and a read would return only a few bytes per call.
constexpr size_t kMinRoom = 4096;
}  // namespace

std::span<uint8_t> FrameReader::Room() {
  if (in_.size() - end_ < kMinRoom && begin_ > 0) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // A frame is bounded by Next() once its header is in, so this stops at one whole frame.
  const size_t cap = protocol::kFrameHeaderSize + max_frame_;
  if (in_.size() - end_ < kMinRoom && in_.size() < cap) {
    in_.resize(std::min(cap, std::max(in_.size() * 2, end_ + kMinRoom)));
  }
  return {in_.data() + end_, in_.size() - end_};
}

Result<std::optional<ByteSpan>> FrameReader::Next() {
  const size_t available = end_ - begin_;
  if (available < protocol::kFrameHeaderSize) {
    if (available == 0) begin_ = end_ = 0;
    return std::optional<ByteSpan>();
  }
  LICET_ASSIGN_OR_RETURN(
      size_t length,
      protocol::DecodeFrameLength(ByteSpan(in_.data() + begin_, protocol::kFrameHeaderSize)));
  if (length > max_frame_) {
    return Error(ErrorCode::kProtocolError, "frame of " + std::to_string(length) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(max_frame_));
  }
  if (available < protocol::kFrameHeaderSize + length) return std::optional<ByteSpan>();
  ByteSpan body(in_.data() + begin_ + protocol::kFrameHeaderSize, length);
  begin_ += protocol::kFrameHeaderSize + length;
  return std::optional<ByteSpan>(body);
}

}  // namespace licet::network
