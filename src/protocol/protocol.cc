#include "protocol/protocol.h"

#include <unistd.h>

#include <cstdlib>
#include <exception>

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

namespace {

// nlohmann's CBOR reader recurses without a limit and can throw on huge declared lengths
// even in its non-throwing mode; a SAX pass that only tracks depth refuses both cheaply.
class DepthGuard : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return false; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t n) override { return Enter(n); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t n) override { return Enter(n); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  static constexpr int kMaxDepth = 16;
  bool Enter(std::size_t n) {
    // A declared count larger than the frame cannot be honest.
    if (n != static_cast<std::size_t>(-1) && n > kMaxFrameSize) return false;
    return ++depth_ <= kMaxDepth;
  }
  bool Leave() {
    --depth_;
    return true;
  }
  int depth_ = 0;
};

}  // namespace

Result<json> DecodeMessage(ByteSpan body) {
  try {
    DepthGuard guard;
    if (!json::sax_parse(body.begin(), body.end(), &guard, json::input_format_t::cbor, true)) {
      return Error(ErrorCode::kProtocolError, "message is not well-formed CBOR");
    }
    json message = json::from_cbor(body.begin(), body.end(), true, false);
    if (message.is_discarded() || !message.is_object()) {
      return Error(ErrorCode::kProtocolError, "message is not a CBOR map");
    }
    return message;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kProtocolError, std::string("malformed message: ") + e.what());
  }
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
