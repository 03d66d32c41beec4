// licet.hpp: a header-only C++ wrapper over the C API of licet.h (C++17 or later).
//
// It adds RAII, value types and results, and nothing else: every call goes through the C
// ABI, so a program built with this header links liblicet like a C program does, and the
// semantics (codes, thread-safety, fork and licetd-restart behaviour) are those of licet.h.
// A failed call returns an Error, never throws; only std::bad_alloc may escape from the
// standard containers, and std::bad_variant_access from misusing Result (see below).
// Do not mix this header with Licet's internal headers (src/common/status.h has another
// licet::Result); applications only ever see this one.
//
//   #include <licet/licet.hpp>
//
//   licet::AccessParams params;
//   params.firm_code = 6000010;
//   params.product_code = 201010;
//   licet::Result<licet::License> license = licet::License::Access(params);
//   if (!license.ok()) {
//     std::fprintf(stderr, "no license: %s\n", license.error().message.c_str());
//     return 1;
//   }
//   std::vector<uint8_t> data(16, 0x42);
//   licet::Iv iv = {};                       // use a fresh iv per encryption with a key
//   auto tag = license->Encrypt(data, iv);   // AES-256-GCM in place, returns the tag
//   auto same = license->Decrypt(data, iv, tag.value());
//   // the lease is released when `license` goes out of scope (or by Release()).
#ifndef LICET_LICET_HPP_
#define LICET_LICET_HPP_

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

#include "licet/licet.h"

namespace licet {

// A failed call: a LICET_ERROR_* code and the one-line message of licet_errmsg().
struct Error {
  int code = LICET_ERROR_INTERNAL;
  std::string message;

  // Static English text of the code (licet_strerror).
  const char* code_text() const { return licet_strerror(code); }
};

// The value of a successful call, or its Error. Check ok() before value(): calling value()
// on an error (or error() on a value) is a bug: it asserts in debug builds and otherwise
// throws std::bad_variant_access (the one exception this header can raise).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  // LICET_OK or the error's code.
  int code() const { return ok() ? LICET_OK : error().code; }

 private:
  std::variant<T, Error> v_;
};

// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const { assert(ok()); }
  const Error& error() const { assert(!ok()); return *error_; }
  int code() const { return ok() ? LICET_OK : error_->code; }

 private:
  std::optional<Error> error_;
};

namespace detail {
// The Error of a failed C call `code`, with this thread's licet_errmsg().
inline Error LastError(int code) {
  const char* message = licet_errmsg();
  return Error{code, message != nullptr && *message != '\0' ? message : licet_strerror(code)};
}
}  // namespace detail

using Iv = std::array<uint8_t, 12>;   // AES-GCM nonce / CTR initial counter
using Tag = std::array<uint8_t, 16>;  // AES-GCM tag
using FirmKey = std::array<uint8_t, 32>;

// What licet_access_params carries; the defaults are those of LICET_ACCESS_PARAMS_INIT.
struct AccessParams {
  uint32_t firm_code = 0;     // required
  uint32_t product_code = 0;  // required
  uint32_t feature_code = 0;  // bits that must all be licensed
  int where = LICET_WHERE_LOCAL;
  int mode = LICET_MODE_USER_LIMIT;
  int64_t release_date = 0;             // Unix time of this release; 0 = none
  std::optional<std::string> serial;    // only this container
  std::optional<std::string> server;    // only this network server
  std::optional<FirmKey> firm_public_key;  // pinned Ed25519 key of the firm
};

// Key derivation inputs of a crypt call besides the license (see licet_crypt).
struct CryptOptions {
  uint32_t encryption_code = 0;
  uint32_t feature_code = 0;
};

// licet_item_info as a value type; absent limits are std::nullopt instead of 0.
struct ItemInfo {
  std::string serial;
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  uint32_t feature_map = 0;
  std::optional<uint64_t> unit_counter;      // nullopt: the item does not count units
  std::optional<int64_t> expiration;         // Unix time
  std::optional<int64_t> activation_time;    // Unix time
  std::optional<int64_t> usage_period;       // seconds
  std::optional<int64_t> usage_started;      // Unix time
  std::optional<int64_t> maintenance_until;  // Unix time
  uint32_t license_quantity = 0;
  uint32_t access_modes = 0;  // LICET_MODE_* bits
  std::string text;
  std::vector<uint8_t> protected_data;
};

// One access to a product item: holds the lease until Release() or destruction. Move-only;
// a moved-from or released License is empty (valid() is false) and its calls return
// LICET_ERROR_INVALID_ARGUMENT. Thread-safe as the handle of licet.h: const calls may run
// from several threads; Release, moves and destruction must not race with other calls.
class License {
 public:
  License() = default;
  ~License() { (void)Release(); }
  License(License&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  License& operator=(License&& other) noexcept {
    if (this != &other) {
      (void)Release();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  License(const License&) = delete;
  License& operator=(const License&) = delete;

  // licet_access: tests the access in licetd and takes a lease.
  static Result<License> Access(const AccessParams& params) {
    licet_access_params p = LICET_ACCESS_PARAMS_INIT;
    p.firm_code = params.firm_code;
    p.product_code = params.product_code;
    p.feature_code = params.feature_code;
    p.where = params.where;
    p.mode = params.mode;
    p.release_date = params.release_date;
    p.serial = params.serial ? params.serial->c_str() : nullptr;
    p.server = params.server ? params.server->c_str() : nullptr;
    p.firm_public_key = params.firm_public_key ? params.firm_public_key->data() : nullptr;
    licet_handle* handle = nullptr;
    int rc = licet_access(&p, &handle);
    if (rc != LICET_OK) return detail::LastError(rc);
    return License(handle);
  }

  bool valid() const { return handle_ != nullptr; }
  explicit operator bool() const { return valid(); }
  // The C handle, for calls this wrapper lacks; still owned by this object.
  licet_handle* native_handle() const { return handle_; }

  // licet_release. The License is empty afterwards whatever the result; releasing an
  // empty License succeeds.
  Result<void> Release() {
    if (handle_ == nullptr) return {};
    int rc = licet_release(std::exchange(handle_, nullptr));
    if (rc != LICET_OK) return detail::LastError(rc);
    return {};
  }

  // licet_info.
  Result<ItemInfo> Info() const {
    licet_item_info c = LICET_ITEM_INFO_INIT;
    int rc = licet_info(Handle(), &c);
    if (rc != LICET_OK) return detail::LastError(rc);
    ItemInfo info;
    info.serial = c.serial;
    info.firm_code = c.firm_code;
    info.product_code = c.product_code;
    info.feature_map = c.feature_map;
    if (c.has_unit_counter) info.unit_counter = c.unit_counter;
    info.expiration = NonZero(c.expiration);
    info.activation_time = NonZero(c.activation_time);
    info.usage_period = NonZero(c.usage_period);
    info.usage_started = NonZero(c.usage_started);
    info.maintenance_until = NonZero(c.maintenance_until);
    info.license_quantity = c.license_quantity;
    info.access_modes = c.access_modes;
    info.text = c.text;
    size_t pd = c.protected_data_size <= sizeof(c.protected_data) ? c.protected_data_size : 0;
    info.protected_data.assign(c.protected_data, c.protected_data + pd);
    return info;
  }

  // licet_unit_decrement: takes n ≥ 1 units atomically; returns the units left.
  Result<uint64_t> DecrementUnits(uint64_t n) const {
    uint64_t remaining = 0;
    int rc = licet_unit_decrement(Handle(), n, &remaining);
    if (rc != LICET_OK) return detail::LastError(rc);
    return remaining;
  }

  // AES-256-GCM encryption of data[0..size) in place with the license's key; returns the
  // tag. Never use one iv twice with the same key (encryption code and feature code).
  Result<Tag> Encrypt(void* data, size_t size, const Iv& iv, const CryptOptions& options = {}) const {
    licet_crypt_params p = Params(iv, options);
    int rc = licet_crypt(Handle(), LICET_CRYPT_ENCRYPT, &p, data, size);
    if (rc != LICET_OK) return detail::LastError(rc);
    Tag tag;
    std::memcpy(tag.data(), p.tag, tag.size());
    return tag;
  }
  Result<Tag> Encrypt(std::vector<uint8_t>& data, const Iv& iv, const CryptOptions& options = {}) const {
    return Encrypt(data.data(), data.size(), iv, options);
  }

  // AES-256-GCM decryption in place; LICET_ERROR_DECRYPT_FAILED (data untouched) when the
  // tag does not match: another key, iv or tampered data.
  Result<void> Decrypt(void* data, size_t size, const Iv& iv, const Tag& tag,
                       const CryptOptions& options = {}) const {
    licet_crypt_params p = Params(iv, options);
    std::memcpy(p.tag, tag.data(), tag.size());
    int rc = licet_crypt(Handle(), LICET_CRYPT_DECRYPT, &p, data, size);
    if (rc != LICET_OK) return detail::LastError(rc);
    return {};
  }
  Result<void> Decrypt(std::vector<uint8_t>& data, const Iv& iv, const Tag& tag,
                       const CryptOptions& options = {}) const {
    return Decrypt(data.data(), data.size(), iv, tag, options);
  }

  // AES-256-CTR from iv in place: the same call encrypts and decrypts; no integrity.
  Result<void> CryptDirect(void* data, size_t size, const Iv& iv, const CryptOptions& options = {}) const {
    licet_crypt_params p = Params(iv, options);
    int rc = licet_crypt(Handle(), LICET_CRYPT_DIRECT, &p, data, size);
    if (rc != LICET_OK) return detail::LastError(rc);
    return {};
  }
  Result<void> CryptDirect(std::vector<uint8_t>& data, const Iv& iv, const CryptOptions& options = {}) const {
    return CryptDirect(data.data(), data.size(), iv, options);
  }

#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
  Result<Tag> Encrypt(std::span<uint8_t> data, const Iv& iv, const CryptOptions& options = {}) const {
    return Encrypt(data.data(), data.size(), iv, options);
  }
  Result<void> Decrypt(std::span<uint8_t> data, const Iv& iv, const Tag& tag,
                       const CryptOptions& options = {}) const {
    return Decrypt(data.data(), data.size(), iv, tag, options);
  }
  Result<void> CryptDirect(std::span<uint8_t> data, const Iv& iv, const CryptOptions& options = {}) const {
    return CryptDirect(data.data(), data.size(), iv, options);
  }
#endif

 private:
  explicit License(licet_handle* handle) : handle_(handle) {}

  // NULL for an empty License: the C API then reports LICET_ERROR_INVALID_ARGUMENT.
  licet_handle* Handle() const { return handle_; }

  static std::optional<int64_t> NonZero(int64_t v) {
    return v != 0 ? std::optional<int64_t>(v) : std::nullopt;
  }
  static licet_crypt_params Params(const Iv& iv, const CryptOptions& options) {
    licet_crypt_params p = LICET_CRYPT_PARAMS_INIT;
    p.encryption_code = options.encryption_code;
    p.feature_code = options.feature_code;
    std::memcpy(p.iv, iv.data(), iv.size());
    return p;
  }

  licet_handle* handle_ = nullptr;
};

// licet_list: the containers of this machine and their items, as JSON text (the shape of
// `licet list --json`).
inline Result<std::string> List() {
  char* json = nullptr;
  int rc = licet_list(&json);
  if (rc != LICET_OK) return detail::LastError(rc);
  std::string text(json);
  licet_free(json);
  return text;
}

inline const char* Version() { return licet_version(); }
inline int VersionNumber() { return licet_version_number(); }
inline const char* StrError(int code) { return licet_strerror(code); }

}  // namespace licet

#endif  // LICET_LICET_HPP_
