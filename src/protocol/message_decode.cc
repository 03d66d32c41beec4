// DecodeMessage: a strict CBOR reader that builds the nlohmann::json of one frame body.
//
// nlohmann's own CBOR reader appends byte strings one byte at a time (a 64 KiB crypt buffer
// cost about 66 µs to decode); this one copies each string once. It accepts exactly what the
// protocol uses (docs/PROTOCOL.md "Framing"): definite-length integers, byte and text strings,
// arrays, maps with text keys, false, true and null. Floats, tags, undefined, indefinite
// lengths, duplicate keys, invalid UTF-8 and trailing bytes are refused. Every declared
// length is checked against the bytes left before anything is allocated, nesting is limited
// to kMaxDepth and the number of items to kMaxItems, so hostile input costs at most a few
// times its own size in memory.
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "common/utf8.h"
#include "protocol/protocol.h"

namespace licet::protocol {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 16;         // nested arrays and maps
constexpr size_t kMaxItems = 1u << 20;  // every value, key included

class Reader {
 public:
  explicit Reader(ByteSpan in) : p_(in.data()), end_(in.data() + in.size()) {}

  // Reads one item into *out. False (with why() set) on any violation.
  bool Item(json* out, int depth) {
    if (++items_ > kMaxItems) return Fail("too many items");
    uint8_t major;
    uint64_t arg;
    if (!Head(&major, &arg)) return false;
    switch (major) {
      case 0:
        *out = arg;
        return true;
      case 1:
        if (arg > static_cast<uint64_t>(INT64_MAX)) return Fail("negative integer out of range");
        *out = -1 - static_cast<int64_t>(arg);
        return true;
      case 2: {
        if (arg > Left()) return Fail("byte string longer than the message");
        const size_t n = static_cast<size_t>(arg);
        *out = json::binary(std::vector<uint8_t>(p_, p_ + n));
        p_ += n;
        return true;
      }
      case 3: {
        std::string text;
        if (!Text(arg, &text)) return false;
        *out = std::move(text);
        return true;
      }
      case 4: {
        if (depth >= kMaxDepth) return Fail("nested deeper than 16");
        if (arg > Left()) return Fail("array longer than the message");  // >= 1 byte per item
        *out = json::array();
        auto& array = out->get_ref<json::array_t&>();
        array.reserve(static_cast<size_t>(arg));
        for (uint64_t i = 0; i < arg; ++i) {
          array.emplace_back();
          if (!Item(&array.back(), depth + 1)) return false;
        }
        return true;
      }
      case 5: {
        if (depth >= kMaxDepth) return Fail("nested deeper than 16");
        if (arg > Left() / 2) return Fail("map longer than the message");  // >= 2 bytes per entry
        *out = json::object();
        auto& object = out->get_ref<json::object_t&>();
        for (uint64_t i = 0; i < arg; ++i) {
          if (++items_ > kMaxItems) return Fail("too many items");
          uint8_t key_major;
          uint64_t key_len;
          if (!Head(&key_major, &key_len)) return false;
          if (key_major != 3) return Fail("map key is not a text string");
          std::string key;
          if (!Text(key_len, &key)) return false;
          auto [slot, inserted] = object.emplace(std::move(key), json());
          if (!inserted) return Fail("duplicate map key");
          if (!Item(&slot->second, depth + 1)) return false;
        }
        return true;
      }
      case 6:
        return Fail("tags are not used by the protocol");
      default:  // 7: Head() has refused everything but these three
        if (arg == 20) *out = false;
        if (arg == 21) *out = true;
        if (arg == 22) *out = nullptr;
        return true;
    }
  }

  bool AtEnd() const { return p_ == end_; }
  const char* why() const { return why_; }

 private:
  size_t Left() const { return static_cast<size_t>(end_ - p_); }

  bool Fail(const char* why) {
    why_ = why;
    return false;
  }

  // The head of an item: major type and argument. Simple values other than false, true and
  // null (so also floats) and indefinite lengths are refused here.
  bool Head(uint8_t* major, uint64_t* arg) {
    if (p_ == end_) return Fail("truncated");
    const uint8_t initial = *p_++;
    *major = initial >> 5;
    const uint8_t info = initial & 0x1f;
    if (*major == 7) {
      if (info < 20 || info > 22) return Fail("float or unknown simple value");
      *arg = info;
      return true;
    }
    if (info < 24) {
      *arg = info;
      return true;
    }
    if (info > 27) return Fail(info == 31 ? "indefinite length" : "reserved head");
    const size_t size = size_t{1} << (info - 24);  // 1, 2, 4 or 8 bytes
    if (Left() < size) return Fail("truncated");
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) value = value << 8 | p_[i];
    p_ += size;
    *arg = value;
    return true;
  }

  bool Text(uint64_t length, std::string* out) {
    if (length > Left()) return Fail("text string longer than the message");
    const size_t n = static_cast<size_t>(length);
    if (!IsValidUtf8(ByteSpan(p_, n))) return Fail("text string is not valid UTF-8");
    out->assign(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

  const uint8_t* p_;
  const uint8_t* const end_;
  size_t items_ = 0;
  const char* why_ = "malformed";
};

}  // namespace

Result<json> DecodeMessage(ByteSpan body) {
  try {
    if (body.empty() || (body[0] >> 5) != 5) {
      return Error(ErrorCode::kProtocolError, "message is not a CBOR map");
    }
    Reader reader(body);
    json message;
    if (!reader.Item(&message, 0)) {
      return Error(ErrorCode::kProtocolError, std::string("malformed message: ") + reader.why());
    }
    if (!reader.AtEnd()) return Error(ErrorCode::kProtocolError, "malformed message: trailing bytes");
    return message;
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::kProtocolError, "message too large to decode");
  } catch (const std::exception& e) {
    return Error(ErrorCode::kProtocolError, std::string("malformed message: ") + e.what());
  }
}

}  // namespace licet::protocol
