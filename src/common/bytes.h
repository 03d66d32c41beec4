// Byte buffers. Bytes for public data; SecretBytes for keys and secrets, which are
// wiped when they are destroyed and never printed.
#ifndef LICET_COMMON_BYTES_H_
#define LICET_COMMON_BYTES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace licet {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lower-case hex, and its parser (accepts either case; refuses odd length or non-hex).
std::string HexEncode(ByteSpan data);
Result<Bytes> HexDecode(std::string_view hex);

// Overwrites memory in a way the compiler may not remove.
void SecureWipe(void* data, size_t size);

// A move-only byte buffer for secrets: wiped on destruction and on reassignment.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size, 0) {}
  explicit SecretBytes(ByteSpan data) : data_(data.begin(), data.end()) {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // An explicit copy, so that copies of secrets are visible in the code.
  SecretBytes Clone() const { return SecretBytes(span()); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan span() const { return ByteSpan(data_.data(), data_.size()); }
  std::span<uint8_t> mutable_span() { return std::span<uint8_t>(data_.data(), data_.size()); }
  void resize(size_t n) { data_.resize(n, 0); }

 private:
  void Wipe() {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size());
  }
  std::vector<uint8_t> data_;
};

}  // namespace licet

#endif  // LICET_COMMON_BYTES_H_
