#include "protocol/protocol.h"

#include <unistd.h>

#include <cstdlib>

namespace licet::protocol {

using nlohmann::json;

std::string DefaultSocketPath() {
  if (const char* env = std::getenv("LICET_SOCKET"); env != nullptr && *env != '\0') return env;
  if (::geteuid() == 0) return "/run/licet/licetd.sock";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/licet/licetd.sock";
  }
  return "/tmp/licet-" + std::to_string(::geteuid()) + "/licetd.sock";
}

Bytes EncodeFrame(const json& message) {
  Bytes frame(kFrameHeaderSize);
  // Most messages are small: one allocation instead of the vector doubling up from 4 bytes.
  frame.reserve(kFrameHeaderSize + 240);
  json::to_cbor(message, frame);
  size_t n = frame.size() - kFrameHeaderSize;
  frame[0] = static_cast<uint8_t>(n >> 24);
  frame[1] = static_cast<uint8_t>(n >> 16);
  frame[2] = static_cast<uint8_t>(n >> 8);
  frame[3] = static_cast<uint8_t>(n);
  return frame;
}

Result<size_t> DecodeFrameLength(ByteSpan header) {
  if (header.size() != kFrameHeaderSize) {
    return Error(ErrorCode::kProtocolError, "frame header must be 4 bytes");
  }
  size_t n = static_cast<size_t>(header[0]) << 24 | static_cast<size_t>(header[1]) << 16 |
             static_cast<size_t>(header[2]) << 8 | header[3];
  if (n == 0 || n > kMaxFrameSize) {
    return Error(ErrorCode::kProtocolError, "frame of " + std::to_string(n) + " bytes refused");
  }
  return n;
}

json OkResponse(uint64_t id) { return json{{"id", id}, {"code", 0}}; }

json ErrorResponse(uint64_t id, const Status& status) {
  return json{{"id", id}, {"code", static_cast<int>(status.code())}, {"message", status.ToString()}};
}

Status ResponseStatus(const json& response) {
  auto code = response.find("code");
  if (code == response.end() || !code->is_number_integer()) {
    return Error(ErrorCode::kProtocolError, "response has no code");
  }
  int value = code->get<int>();
  if (value == 0) return Status::Ok();
  std::string message;
  if (auto m = response.find("message"); m != response.end() && m->is_string()) message = m->get<std::string>();
  return Status(static_cast<ErrorCode>(value), message);
}

}  // namespace licet::protocol
