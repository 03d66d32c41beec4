// The strict CBOR decoder (contract in cbor.h). One walker serves both decoding and
// validation: with a null output it only checks the input.

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>

#include "common/utf8.h"
#include "format/cbor.h"

namespace licet::format {
namespace {

// Deep enough for any real limit, shallow enough that the recursion cannot exhaust the stack.
constexpr size_t kMaxSupportedDepth = 512;

class Decoder {
 public:
  Decoder(ByteSpan data, const CborLimits& limits) : data_(data), limits_(limits) {
    assert(limits.max_depth <= kMaxSupportedDepth);
  }

  // Parses one item at the current position into *out (or only checks it, when out is null).
  Status ParseItem(size_t depth, CborValue* out);
  size_t pos() const { return pos_; }

 private:
  struct Head {
    CborMajor major;
    uint64_t argument;
    size_t offset;  // where the head starts
  };

  Status Fail(size_t offset, const std::string& what) const {
    return Error(ErrorCode::kCorruptData, "CBOR: " + what + " at offset " + std::to_string(offset));
  }
  size_t remaining() const { return data_.size() - pos_; }

  Status ReadHead(Head* head);
  Status CountItems(uint64_t n, size_t offset);
  Status ParseString(const Head& head, CborValue* out);
  Status ParseArray(const Head& head, size_t depth, CborValue* out);
  Status ParseMap(const Head& head, size_t depth, CborValue* out);

  ByteSpan data_;
  CborLimits limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
};

Status Decoder::ReadHead(Head* head) {
  head->offset = pos_;
  if (remaining() == 0) return Fail(pos_, "truncated input (expected an item)");
  const uint8_t initial = data_[pos_++];
  head->major = static_cast<CborMajor>(initial >> 5);
  const uint8_t ai = initial & 0x1f;
  if (head->major == CborMajor::kSimple) {
    // Only false, true and null exist in Licet's CBOR; the argument is unused.
    switch (ai) {
      case 20:
      case 21:
      case 22:
        head->argument = ai;
        return Status::Ok();
      case 23:
        return Fail(head->offset, "undefined is not allowed");
      case 25:
      case 26:
      case 27:
        return Fail(head->offset, "floating-point values are not allowed");
      case 31:
        return Fail(head->offset, "unexpected break (indefinite lengths are not allowed)");
      default:
        return Fail(head->offset, "simple value " + std::to_string(ai) + " is not allowed");
    }
  }
  if (ai < 24) {
    head->argument = ai;
    return Status::Ok();
  }
  if (ai == 31) {
    if (head->major == CborMajor::kUnsigned || head->major == CborMajor::kNegative ||
        head->major == CborMajor::kTag) {
      return Fail(head->offset, "malformed head (additional information 31)");
    }
    return Fail(head->offset, "indefinite length is not allowed");
  }
  if (ai > 27) {
    return Fail(head->offset, "reserved additional information " + std::to_string(ai) + " in head");
  }
  const size_t size = size_t{1} << (ai - 24);
  if (remaining() < size) return Fail(head->offset, "truncated head");
  uint64_t arg = 0;
  for (size_t i = 0; i < size; ++i) arg = (arg << 8) | data_[pos_++];
  // Deterministic encoding: the argument must not fit a shorter head.
  const uint64_t min = size == 1 ? 24 : (uint64_t{1} << (4 * size));
  if (arg < min) return Fail(head->offset, "non-shortest head");
  head->argument = arg;
  return Status::Ok();
}

Status Decoder::CountItems(uint64_t n, size_t offset) {
  if (n > limits_.max_items - items_) {
    return Fail(offset, "more than " + std::to_string(limits_.max_items) + " items");
  }
  items_ += static_cast<size_t>(n);
  return Status::Ok();
}

Status Decoder::ParseString(const Head& head, CborValue* out) {
  if (head.argument > remaining()) {
    return Fail(head.offset, "truncated string (length " + std::to_string(head.argument) + ", " +
                                 std::to_string(remaining()) + " bytes left)");
  }
  const ByteSpan content = data_.subspan(pos_, static_cast<size_t>(head.argument));
  pos_ += content.size();
  if (head.major == CborMajor::kText) {
    if (!IsValidUtf8(content)) return Fail(head.offset, "text string is not valid UTF-8");
    if (out) {
      *out = CborValue::Text(
          std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
    }
  } else if (out) {
    *out = CborValue::ByteString(content);
  }
  return Status::Ok();
}

Status Decoder::ParseArray(const Head& head, size_t depth, CborValue* out) {
  // Every element takes at least one byte: a larger count is a lie; refuse it before
  // reserving memory for it.
  if (head.argument > remaining()) {
    return Fail(head.offset, "truncated array (" + std::to_string(head.argument) + " elements, " +
                                 std::to_string(remaining()) + " bytes left)");
  }
  LICET_RETURN_IF_ERROR(CountItems(head.argument, head.offset));
  const size_t n = static_cast<size_t>(head.argument);
  CborArray items;
  if (out) items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    CborValue item;
    LICET_RETURN_IF_ERROR(ParseItem(depth + 1, out ? &item : nullptr));
    if (out) items.push_back(std::move(item));
  }
  if (out) *out = CborValue::Array(std::move(items));
  return Status::Ok();
}

Status Decoder::ParseMap(const Head& head, size_t depth, CborValue* out) {
  if (head.argument > remaining() / 2) {
    return Fail(head.offset, "truncated map (" + std::to_string(head.argument) + " entries, " +
                                 std::to_string(remaining()) + " bytes left)");
  }
  LICET_RETURN_IF_ERROR(CountItems(2 * head.argument, head.offset));
  const size_t n = static_cast<size_t>(head.argument);
  CborMap entries;
  if (out) entries.reserve(n);
  // Deterministic encodings are unique, so equal keys have equal bytes: compare those.
  std::vector<ByteSpan> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t key_start = pos_;
    CborValue key, value;
    LICET_RETURN_IF_ERROR(ParseItem(depth + 1, out ? &key : nullptr));
    keys.push_back(data_.subspan(key_start, pos_ - key_start));
    LICET_RETURN_IF_ERROR(ParseItem(depth + 1, out ? &value : nullptr));
    if (out) entries.emplace_back(std::move(key), std::move(value));
  }
  auto less = [](ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  };
  std::sort(keys.begin(), keys.end(), less);
  for (size_t i = 1; i < keys.size(); ++i) {
    if (std::equal(keys[i - 1].begin(), keys[i - 1].end(), keys[i].begin(), keys[i].end())) {
      const size_t offset = static_cast<size_t>(keys[i].data() - data_.data());
      return Fail(std::max(offset, static_cast<size_t>(keys[i - 1].data() - data_.data())),
                  "duplicate map key");
    }
  }
  if (out) *out = CborValue::Map(std::move(entries));
  return Status::Ok();
}

Status Decoder::ParseItem(size_t depth, CborValue* out) {
  Head head;
  LICET_RETURN_IF_ERROR(ReadHead(&head));
  const bool nests = head.major == CborMajor::kArray || head.major == CborMajor::kMap ||
                     head.major == CborMajor::kTag;
  if (nests && depth >= limits_.max_depth) {
    return Fail(head.offset, "nesting deeper than " + std::to_string(limits_.max_depth));
  }
  switch (head.major) {
    case CborMajor::kUnsigned:
      if (out) *out = CborValue::Uint(head.argument);
      return Status::Ok();
    case CborMajor::kNegative:
      if (head.argument > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Fail(head.offset, "negative integer below the int64 range");
      }
      if (out) *out = CborValue::Int(-1 - static_cast<int64_t>(head.argument));
      return Status::Ok();
    case CborMajor::kBytes:
    case CborMajor::kText:
      return ParseString(head, out);
    case CborMajor::kArray:
      return ParseArray(head, depth, out);
    case CborMajor::kMap:
      return ParseMap(head, depth, out);
    case CborMajor::kTag: {
      LICET_RETURN_IF_ERROR(CountItems(1, head.offset));
      if (!out) return ParseItem(depth + 1, nullptr);
      CborValue content;
      LICET_RETURN_IF_ERROR(ParseItem(depth + 1, &content));
      *out = CborValue::Tag(head.argument, std::move(content));
      return Status::Ok();
    }
    case CborMajor::kSimple:
      if (out)
        *out = head.argument == 22 ? CborValue::Null() : CborValue::Bool(head.argument == 21);
      return Status::Ok();
  }
  return Fail(head.offset, "unreachable major type");
}

Status CheckLimits(const CborLimits& limits) {
  if (limits.max_depth > kMaxSupportedDepth) {
    return Error(ErrorCode::kInvalidArgument,
                 "CBOR depth limit above " + std::to_string(kMaxSupportedDepth));
  }
  return Status::Ok();
}

// Decodes (out != null) or validates one item at the start of `data`; returns its size.
Result<size_t> Walk(ByteSpan data, const CborLimits& limits, CborValue* out) {
  LICET_RETURN_IF_ERROR(CheckLimits(limits));
  Decoder decoder(data, limits);
  LICET_RETURN_IF_ERROR(decoder.ParseItem(0, out));
  return decoder.pos();
}

Status RefuseTrailing(ByteSpan data, size_t consumed) {
  if (consumed != data.size()) {
    return Error(ErrorCode::kCorruptData, "CBOR: " + std::to_string(data.size() - consumed) +
                                              " trailing bytes after the item at offset " +
                                              std::to_string(consumed));
  }
  return Status::Ok();
}

}  // namespace

Result<CborValue> CborDecode(ByteSpan data, const CborLimits& limits) {
  CborValue value;
  LICET_ASSIGN_OR_RETURN(size_t consumed, Walk(data, limits, &value));
  LICET_RETURN_IF_ERROR(RefuseTrailing(data, consumed));
  return value;
}

Result<CborPrefix> CborDecodePrefix(ByteSpan data, const CborLimits& limits) {
  CborPrefix prefix;
  LICET_ASSIGN_OR_RETURN(prefix.consumed, Walk(data, limits, &prefix.value));
  return prefix;
}

Status CborValidate(ByteSpan data, const CborLimits& limits) {
  LICET_ASSIGN_OR_RETURN(size_t consumed, Walk(data, limits, nullptr));
  return RefuseTrailing(data, consumed);
}

Result<size_t> CborValidatePrefix(ByteSpan data, const CborLimits& limits) {
  return Walk(data, limits, nullptr);
}

}  // namespace licet::format
