// A small, strict CBOR (RFC 8949) value type and codec, for the COSE layer.
//
// Payload bodies (string-keyed maps) use nlohmann::json (see payload.h). COSE headers need
// integer-keyed maps, which nlohmann cannot represent, hence this codec. It supports exactly
// what Licet's files need: unsigned and negative integers (int64 range), byte and text
// strings, arrays, maps with any keys, tags, and the simple values false, true and null.
//
// Encoding is deterministic (RFC 8949 §4.2.1): shortest heads and definite lengths. Map
// entries are written in the order given; CborSortMaps puts them into the canonical order.
//
// Decoding is strict, so that every accepted input has exactly one encoding:
//   - definite lengths only; floats, undefined, break, unassigned simple values refused;
//   - heads must be the shortest form (a non-shortest head is refused, not repaired);
//   - text strings must be valid UTF-8;
//   - negative integers must fit in int64;
//   - duplicate map keys refused (keys compared by their encoding, which is unique);
//   - nesting depth and total item count limited; declared lengths are checked against the
//     remaining input before anything is allocated;
//   - trailing bytes after the item refused (except by the *Prefix functions).
// Every failure is kCorruptData with a message that names the problem and its byte offset.
// The functions keep no state: all are thread-safe.
#ifndef LICET_FORMAT_CBOR_H_
#define LICET_FORMAT_CBOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::format {

// The three high bits of a CBOR head.
enum class CborMajor : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,
};

class CborValue;
using CborArray = std::vector<CborValue>;
// Ordered key/value pairs: the encoder keeps this order.
using CborMap = std::vector<std::pair<CborValue, CborValue>>;

// One CBOR data item. A regular value type: copyable, comparable (structurally: a map is
// equal to another only with the same entries in the same order). Default-constructed: null.
class CborValue {
 public:
  enum class Type : uint8_t {
    kUnsigned,
    kNegative,
    kBytes,
    kText,
    kArray,
    kMap,
    kTag,
    kBool,
    kNull
  };

  CborValue() = default;
  static CborValue Uint(uint64_t value);
  // An integer: kUnsigned when value >= 0, kNegative otherwise.
  static CborValue Int(int64_t value);
  static CborValue ByteString(ByteSpan data);
  static CborValue Text(std::string_view text);
  static CborValue Array(CborArray items);
  static CborValue Map(CborMap entries);
  static CborValue Tag(uint64_t tag, CborValue content);
  static CborValue Bool(bool value);
  static CborValue Null() { return CborValue(); }

  Type type() const { return type_; }
  bool is_int() const { return type_ == Type::kUnsigned || type_ == Type::kNegative; }
  bool is_bytes() const { return type_ == Type::kBytes; }
  bool is_text() const { return type_ == Type::kText; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_map() const { return type_ == Type::kMap; }
  bool is_tag() const { return type_ == Type::kTag; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_null() const { return type_ == Type::kNull; }

  // The integer value, or nullopt when this is not an integer or (an unsigned value above
  // INT64_MAX) does not fit.
  std::optional<int64_t> AsInt64() const;

  // Accessors, named after the type they need. Each asserts the type: check it first (a
  // wrong type is a bug, not bad input). The mutable overloads let callers move large strings
  // out instead of copying them. tag() is the tag number, tagged() the enclosed item.
  uint64_t uint_value() const;
  const Bytes& bytes() const;
  Bytes& bytes();
  const std::string& text() const;
  std::string& text();
  const CborArray& array() const;
  CborArray& array();
  const CborMap& map() const;
  CborMap& map();
  uint64_t tag() const;
  const CborValue& tagged() const;
  CborValue& tagged();
  bool bool_value() const;

  // For maps: the value of the first entry whose key is the integer / text `key`, or
  // nullptr when there is none (or this is not a map). The pointer lives as long as *this
  // is not modified.
  const CborValue* Find(int64_t key) const;
  const CborValue* Find(std::string_view key) const;

  bool operator==(const CborValue& other) const = default;

 private:
  Type type_ = Type::kNull;
  // kUnsigned: the value; kNegative: the CBOR argument n of the value -1-n (n <= INT64_MAX);
  // kTag: the tag number; kBool: 0 or 1.
  uint64_t number_ = 0;
  Bytes bytes_;
  std::string text_;
  CborArray items_;  // kArray: the elements; kTag: exactly one, the enclosed item
  CborMap entries_;
};

// Appends the deterministic encoding of `value` to `out`, or returns it.
void CborEncodeTo(const CborValue& value, Bytes* out);
Bytes CborEncode(const CborValue& value);

// Appends the shortest head for `major` with `argument` (a length, integer or tag number).
// For building encodings around large byte strings without copying them into a CborValue.
void CborAppendHead(CborMajor major, uint64_t argument, Bytes* out);
// Appends a byte string item (head + data).
void CborAppendByteString(ByteSpan data, Bytes* out);

// Sorts the entries of every map in `value` (recursively) into the canonical order of
// RFC 8949 §4.2.1: bytewise lexicographic order of the keys' deterministic encodings.
void CborSortMaps(CborValue* value);

// Resource limits for decoding untrusted input.
struct CborLimits {
  // Maximum nesting of arrays, maps and tags: 0 allows only scalars, 1 allows [1, 2], ...
  size_t max_depth = 16;
  // Maximum number of data items, counting every element, key, value and tagged item.
  size_t max_items = 4096;
};

// Decodes exactly one data item that spans all of `data`.
Result<CborValue> CborDecode(ByteSpan data, const CborLimits& limits = {});

// Decodes the data item at the start of `data`; the rest is left to the caller.
struct CborPrefix {
  CborValue value;
  size_t consumed = 0;  // bytes of `data` the item occupies
};
Result<CborPrefix> CborDecodePrefix(ByteSpan data, const CborLimits& limits = {});

// Checks that `data` is exactly one data item under the rules above, without building it
// (no allocation proportional to the item count beyond duplicate-key bookkeeping).
[[nodiscard]] Status CborValidate(ByteSpan data, const CborLimits& limits = {});
// As CborValidate for the item at the start of `data`; returns its size in bytes.
Result<size_t> CborValidatePrefix(ByteSpan data, const CborLimits& limits = {});

}  // namespace licet::format

#endif  // LICET_FORMAT_CBOR_H_
