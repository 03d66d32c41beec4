// Internal to the model: strict, non-throwing reading of one JSON map decoded from CBOR.
// Not part of the module's API.
#ifndef LICET_MODEL_JSON_READER_H_
#define LICET_MODEL_JSON_READER_H_

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"

namespace licet::model::internal {

// "a.b" from path "a" and key "b" (just "b" for the root); "a[3]" for an element.
std::string JoinPath(const std::string& path, std::string_view key);
std::string ElementPath(const std::string& path, size_t index);

// Reads the fields of a JSON object, checking each one's type and range before touching
// it, so hostile input never throws. The first problem is kept as a kCorruptData status
// naming the field path ("products[2].features must be an unsigned integer"); later reads
// do nothing. Finish() also refuses keys no read asked for: an unknown field might carry a
// restriction that this reader would otherwise silently drop.
class ObjectReader {
 public:
  enum class Need { kRequired, kOptional };

  // `path` names the object in messages ("firms[0].products[2]"); empty for the root.
  ObjectReader(const nlohmann::json& object, std::string path);

  bool ok() const { return status_.ok(); }
  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }

  // Each Read returns true when the key is present, well-typed and in range, and then sets
  // *out. It returns false when the key is absent (an error if required) or on an error.
  bool ReadUint(std::string_view key, uint64_t max, uint64_t* out, Need need);
  bool ReadInt(std::string_view key, int64_t* out, Need need);
  bool ReadString(std::string_view key, size_t max_size, std::string* out, Need need);
  bool ReadBytes(std::string_view key, size_t max_size, Bytes* out, Need need);
  // The array or map at `key`, or nullptr (absent, wrong type or too many elements).
  const nlohmann::json* ReadArray(std::string_view key, size_t max_items, Need need);
  const nlohmann::json* ReadObject(std::string_view key, Need need);

  // Typed conveniences over ReadUint: a required field, an optional one, and one that keeps
  // its default when absent.
  template <std::unsigned_integral T>
  void Required(std::string_view key, T& out) {
    uint64_t v;
    if (ReadUint(key, std::numeric_limits<T>::max(), &v, Need::kRequired)) out = static_cast<T>(v);
  }
  template <std::unsigned_integral T>
  void Optional(std::string_view key, std::optional<T>& out) {
    uint64_t v;
    if (ReadUint(key, std::numeric_limits<T>::max(), &v, Need::kOptional)) out = static_cast<T>(v);
  }
  template <std::unsigned_integral T>
  void Defaulted(std::string_view key, T& out) {
    uint64_t v;
    if (ReadUint(key, std::numeric_limits<T>::max(), &v, Need::kOptional)) out = static_cast<T>(v);
  }
  // A time or duration: an unsigned integer of seconds up to `max`.
  void Seconds(std::string_view key, int64_t max, std::optional<int64_t>& out);
  void Seconds(std::string_view key, int64_t max, int64_t& out, Need need);

  // Records an error at the path of `key` (or of the object when `key` is empty).
  void Fail(std::string_view key, const std::string& message);
  // Records `status` (an error from a nested reader or a Validate) unless one is kept.
  void Absorb(const Status& status);

  // The first error, or one for an unknown key, or OK.
  [[nodiscard]] Status Finish();

 private:
  const nlohmann::json* Find(std::string_view key, Need need);

  const nlohmann::json& object_;
  std::string path_;
  std::vector<std::string_view> known_;
  Status status_;
};

// kCorruptData "path: message" for a Validate() error about the object at `path`.
Status ValidationError(const std::string& path, const Status& status);

}  // namespace licet::model::internal

#endif  // LICET_MODEL_JSON_READER_H_
