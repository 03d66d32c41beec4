#include "format/cbor.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace licet::format {

CborValue CborValue::Uint(uint64_t value) {
  CborValue v;
  v.type_ = Type::kUnsigned;
  v.number_ = value;
  return v;
}

CborValue CborValue::Int(int64_t value) {
  if (value >= 0) return Uint(static_cast<uint64_t>(value));
  CborValue v;
  v.type_ = Type::kNegative;
  // -1 - value cannot overflow for any negative int64.
  v.number_ = static_cast<uint64_t>(-(value + 1));
  return v;
}

CborValue CborValue::ByteString(ByteSpan data) {
  CborValue v;
  v.type_ = Type::kBytes;
  v.bytes_.assign(data.begin(), data.end());
  return v;
}

CborValue CborValue::Text(std::string_view text) {
  CborValue v;
  v.type_ = Type::kText;
  v.text_.assign(text);
  return v;
}

CborValue CborValue::Array(CborArray items) {
  CborValue v;
  v.type_ = Type::kArray;
  v.items_ = std::move(items);
  return v;
}

CborValue CborValue::Map(CborMap entries) {
  CborValue v;
  v.type_ = Type::kMap;
  v.entries_ = std::move(entries);
  return v;
}

CborValue CborValue::Tag(uint64_t tag, CborValue content) {
  CborValue v;
  v.type_ = Type::kTag;
  v.number_ = tag;
  v.items_.push_back(std::move(content));
  return v;
}

CborValue CborValue::Bool(bool value) {
  CborValue v;
  v.type_ = Type::kBool;
  v.number_ = value ? 1 : 0;
  return v;
}

std::optional<int64_t> CborValue::AsInt64() const {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (type_ == Type::kUnsigned && number_ <= kMax) return static_cast<int64_t>(number_);
  if (type_ == Type::kNegative && number_ <= kMax) return -1 - static_cast<int64_t>(number_);
  return std::nullopt;
}

uint64_t CborValue::uint_value() const {
  assert(type_ == Type::kUnsigned);
  return number_;
}
const Bytes& CborValue::bytes() const {
  assert(type_ == Type::kBytes);
  return bytes_;
}
Bytes& CborValue::bytes() {
  assert(type_ == Type::kBytes);
  return bytes_;
}
const std::string& CborValue::text() const {
  assert(type_ == Type::kText);
  return text_;
}
std::string& CborValue::text() {
  assert(type_ == Type::kText);
  return text_;
}
const CborArray& CborValue::array() const {
  assert(type_ == Type::kArray);
  return items_;
}
CborArray& CborValue::array() {
  assert(type_ == Type::kArray);
  return items_;
}
const CborMap& CborValue::map() const {
  assert(type_ == Type::kMap);
  return entries_;
}
CborMap& CborValue::map() {
  assert(type_ == Type::kMap);
  return entries_;
}
uint64_t CborValue::tag() const {
  assert(type_ == Type::kTag);
  return number_;
}
const CborValue& CborValue::tagged() const {
  assert(type_ == Type::kTag && items_.size() == 1);
  return items_.front();
}
CborValue& CborValue::tagged() {
  assert(type_ == Type::kTag && items_.size() == 1);
  return items_.front();
}
bool CborValue::bool_value() const {
  assert(type_ == Type::kBool);
  return number_ != 0;
}

const CborValue* CborValue::Find(int64_t key) const {
  if (type_ != Type::kMap) return nullptr;
  for (const auto& [k, v] : entries_) {
    if (k.AsInt64() == key) return &v;
  }
  return nullptr;
}

const CborValue* CborValue::Find(std::string_view key) const {
  if (type_ != Type::kMap) return nullptr;
  for (const auto& [k, v] : entries_) {
    if (k.is_text() && k.text() == key) return &v;
  }
  return nullptr;
}

void CborAppendHead(CborMajor major, uint64_t argument, Bytes* out) {
  const uint8_t mt = static_cast<uint8_t>(static_cast<uint8_t>(major) << 5);
  if (argument < 24) {
    out->push_back(static_cast<uint8_t>(mt | argument));
    return;
  }
  int size;
  uint8_t ai;
  if (argument <= 0xff) {
    size = 1, ai = 24;
  } else if (argument <= 0xffff) {
    size = 2, ai = 25;
  } else if (argument <= 0xffffffff) {
    size = 4, ai = 26;
  } else {
    size = 8, ai = 27;
  }
  out->push_back(static_cast<uint8_t>(mt | ai));
  for (int i = size - 1; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(argument >> (8 * i)));
  }
}

void CborAppendByteString(ByteSpan data, Bytes* out) {
  CborAppendHead(CborMajor::kBytes, data.size(), out);
  out->insert(out->end(), data.begin(), data.end());
}

void CborEncodeTo(const CborValue& value, Bytes* out) {
  switch (value.type()) {
    case CborValue::Type::kUnsigned:
      CborAppendHead(CborMajor::kUnsigned, value.uint_value(), out);
      return;
    case CborValue::Type::kNegative:
      // AsInt64 always succeeds for kNegative; the argument is -1 - value.
      CborAppendHead(CborMajor::kNegative, static_cast<uint64_t>(-1 - *value.AsInt64()), out);
      return;
    case CborValue::Type::kBytes:
      CborAppendByteString(value.bytes(), out);
      return;
    case CborValue::Type::kText:
      CborAppendHead(CborMajor::kText, value.text().size(), out);
      out->insert(out->end(), value.text().begin(), value.text().end());
      return;
    case CborValue::Type::kArray:
      CborAppendHead(CborMajor::kArray, value.array().size(), out);
      for (const CborValue& item : value.array()) CborEncodeTo(item, out);
      return;
    case CborValue::Type::kMap:
      CborAppendHead(CborMajor::kMap, value.map().size(), out);
      for (const auto& [k, v] : value.map()) {
        CborEncodeTo(k, out);
        CborEncodeTo(v, out);
      }
      return;
    case CborValue::Type::kTag:
      CborAppendHead(CborMajor::kTag, value.tag(), out);
      CborEncodeTo(value.tagged(), out);
      return;
    case CborValue::Type::kBool:
      out->push_back(value.bool_value() ? 0xf5 : 0xf4);
      return;
    case CborValue::Type::kNull:
      out->push_back(0xf6);
      return;
  }
}

Bytes CborEncode(const CborValue& value) {
  Bytes out;
  CborEncodeTo(value, &out);
  return out;
}

void CborSortMaps(CborValue* value) {
  switch (value->type()) {
    case CborValue::Type::kArray:
      for (CborValue& item : value->array()) CborSortMaps(&item);
      return;
    case CborValue::Type::kTag:
      CborSortMaps(&value->tagged());
      return;
    case CborValue::Type::kMap: {
      CborMap& entries = value->map();
      std::vector<std::pair<Bytes, size_t>> order;
      order.reserve(entries.size());
      for (size_t i = 0; i < entries.size(); ++i) {
        CborSortMaps(&entries[i].first);
        CborSortMaps(&entries[i].second);
        order.emplace_back(CborEncode(entries[i].first), i);
      }
      // Bytewise lexicographic order of the encoded keys (RFC 8949 §4.2.1).
      std::stable_sort(order.begin(), order.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      CborMap sorted;
      sorted.reserve(entries.size());
      for (const auto& [key_bytes, index] : order) sorted.push_back(std::move(entries[index]));
      entries = std::move(sorted);
      return;
    }
    default:
      return;
  }
}

}  // namespace licet::format
