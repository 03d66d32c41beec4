// Status and Result<T>: the one error model of Licet.
//
// ErrorCode numbers are frozen: the C API, the wire protocol and the HTTP mapping share
// them. Add codes, never renumber. Where a code has a CodeMeter counterpart, the number
// mirrors it so that people who know CmGetLastErrorCode recognise it.
#ifndef LICET_COMMON_STATUS_H_
#define LICET_COMMON_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <cassert>

namespace licet {

enum class ErrorCode : int {
  kOk = 0,
  // General failures, 1..31.
  kInvalidArgument = 1,     // a flag, parameter or field out of its range
  kIoError = 2,             // the operating system refused a file or socket operation
  kCorruptData = 3,         // malformed or truncated CBOR, COSE or file
  kUnsupportedVersion = 4,  // a file or message of a kind or version we do not know
  kBadSignature = 5,        // signature does not verify (tampered)
  kDecryptFailed = 6,       // AEAD tag mismatch: wrong key or tampered ciphertext
  kWrongContainer = 7,      // a file made for another container
  kDeviceMismatch = 8,      // soft container copied to another device
  kAlreadyExists = 9,
  kNotFound = 10,           // a file or object (not a license entry) is missing
  kPermissionDenied = 11,
  kCryptoError = 12,        // OpenSSL failed where it should not
  kInternal = 13,
  kBusy = 14,               // a lock is held elsewhere
  kUnavailable = 15,        // a service (licetd, Central) cannot be reached
  kWrongPassphrase = 16,
  kUntrustedSigner = 17,    // signed, but by a key other than the firm's
  kWrongFileKind = 18,      // e.g. an update where a context was expected
  // License state, 32..99.
  kUnitCounterZero = 32,
  kFeatureMissing = 33,
  kExpired = 35,
  kNotYetActive = 37,
  kClockSetBack = 38,
  kUsagePeriodOver = 39,
  kMaintenanceOver = 40,
  kCheckpointOverdue = 41,
  kFucGap = 48,             // updates are missing between the container's FUC and this file
  kManipulationDetected = 49,
  // Network, 100..199.
  kServerNotFound = 101,
  kProtocolError = 102,
  // Entries and access, 200..299.
  kEntryNotFound = 200,     // no such product item
  kContainerNotFound = 201,
  kFirmNotFound = 202,
  kNoMoreLicenses = 212,
  kExclusiveConflict = 213,
  kWrongAccessMode = 223,
  kAccessDenied = 231,
  kBorrowNotAllowed = 240,  // the item (or its server) lends no seats, or all are lent out
  kBorrowTooLong = 241,     // more days asked than the item's borrow rules allow
};

// Stable snake_case identifier of a code ("unit_counter_zero"), for JSON and logs.
const char* ErrorCodeName(ErrorCode code);
// Static one-line English description of a code.
const char* ErrorCodeText(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  // The message says what went wrong and, where there is one, what to do next.
  const std::string& message() const { return message_; }
  // "message" or, when the message is empty, the code's text.
  std::string ToString() const;
  // Returns a copy with "prefix: " in front of the message (adds context, keeps the code).
  Status WithContext(const std::string& prefix) const;
  void IgnoreError() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status Error(ErrorCode code, std::string message) {
  return Status(code, std::move(message));
}

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result constructed from an OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace licet

#define LICET_CONCAT_INNER(a, b) a##b
#define LICET_CONCAT(a, b) LICET_CONCAT_INNER(a, b)

// Returns the Status of `expr` (a Status or a Result) from the calling function if it failed.
#define LICET_RETURN_IF_ERROR(expr)                                         \
  do {                                                                      \
    ::licet::Status _licet_st = ::licet::internal::AsStatus(expr);          \
    if (!_licet_st.ok()) return _licet_st;                                  \
  } while (0)

// `LICET_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
// It expands to several statements: inside an `if`, use braces.
#define LICET_ASSIGN_OR_RETURN(lhs, expr) \
  LICET_ASSIGN_OR_RETURN_IMPL(LICET_CONCAT(_licet_result_, __LINE__), lhs, expr)
#define LICET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

#endif  // LICET_COMMON_STATUS_H_
