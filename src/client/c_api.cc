// The C ABI of include/licet/licet.h over client::Connection. Every entry point catches
// everything (no exception may cross into C), records the message of a failure for
// licet_errmsg() in a thread-local string, and returns a LICET_* code.
#include "licet/licet.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "client/connection.h"
#include "client/request_codec.h"
#include "client/shared_connection.h"
#include "common/status.h"
#include "protocol/protocol.h"

using licet::ErrorCode;
using licet::Result;
using licet::Status;
using licet::client::Connection;
using nlohmann::json;

// The C codes are the ErrorCode numbers (frozen, shared with the protocol): keep them equal.
#define LICET_SAME_CODE(c_code, cpp_code) \
  static_assert((c_code) == static_cast<int>(ErrorCode::cpp_code), #c_code " drifted from ErrorCode")
LICET_SAME_CODE(LICET_OK, kOk);
LICET_SAME_CODE(LICET_ERROR_INVALID_ARGUMENT, kInvalidArgument);
LICET_SAME_CODE(LICET_ERROR_IO, kIoError);
LICET_SAME_CODE(LICET_ERROR_CORRUPT_DATA, kCorruptData);
LICET_SAME_CODE(LICET_ERROR_UNSUPPORTED_VERSION, kUnsupportedVersion);
LICET_SAME_CODE(LICET_ERROR_BAD_SIGNATURE, kBadSignature);
LICET_SAME_CODE(LICET_ERROR_DECRYPT_FAILED, kDecryptFailed);
LICET_SAME_CODE(LICET_ERROR_WRONG_CONTAINER, kWrongContainer);
LICET_SAME_CODE(LICET_ERROR_DEVICE_MISMATCH, kDeviceMismatch);
LICET_SAME_CODE(LICET_ERROR_ALREADY_EXISTS, kAlreadyExists);
LICET_SAME_CODE(LICET_ERROR_NOT_FOUND, kNotFound);
LICET_SAME_CODE(LICET_ERROR_PERMISSION_DENIED, kPermissionDenied);
LICET_SAME_CODE(LICET_ERROR_CRYPTO, kCryptoError);
LICET_SAME_CODE(LICET_ERROR_INTERNAL, kInternal);
LICET_SAME_CODE(LICET_ERROR_BUSY, kBusy);
LICET_SAME_CODE(LICET_ERROR_UNAVAILABLE, kUnavailable);
LICET_SAME_CODE(LICET_ERROR_WRONG_PASSPHRASE, kWrongPassphrase);
LICET_SAME_CODE(LICET_ERROR_UNTRUSTED_SIGNER, kUntrustedSigner);
LICET_SAME_CODE(LICET_ERROR_WRONG_FILE_KIND, kWrongFileKind);
LICET_SAME_CODE(LICET_ERROR_UNIT_COUNTER_ZERO, kUnitCounterZero);
LICET_SAME_CODE(LICET_ERROR_FEATURE_MISSING, kFeatureMissing);
LICET_SAME_CODE(LICET_ERROR_EXPIRED, kExpired);
LICET_SAME_CODE(LICET_ERROR_NOT_YET_ACTIVE, kNotYetActive);
LICET_SAME_CODE(LICET_ERROR_CLOCK_SET_BACK, kClockSetBack);
LICET_SAME_CODE(LICET_ERROR_USAGE_PERIOD_OVER, kUsagePeriodOver);
LICET_SAME_CODE(LICET_ERROR_MAINTENANCE_OVER, kMaintenanceOver);
LICET_SAME_CODE(LICET_ERROR_CHECKPOINT_OVERDUE, kCheckpointOverdue);
LICET_SAME_CODE(LICET_ERROR_FUC_GAP, kFucGap);
LICET_SAME_CODE(LICET_ERROR_MANIPULATION_DETECTED, kManipulationDetected);
LICET_SAME_CODE(LICET_ERROR_SERVER_NOT_FOUND, kServerNotFound);
LICET_SAME_CODE(LICET_ERROR_PROTOCOL, kProtocolError);
LICET_SAME_CODE(LICET_ERROR_ENTRY_NOT_FOUND, kEntryNotFound);
LICET_SAME_CODE(LICET_ERROR_CONTAINER_NOT_FOUND, kContainerNotFound);
LICET_SAME_CODE(LICET_ERROR_FIRM_NOT_FOUND, kFirmNotFound);
LICET_SAME_CODE(LICET_ERROR_NO_MORE_LICENSES, kNoMoreLicenses);
LICET_SAME_CODE(LICET_ERROR_EXCLUSIVE_CONFLICT, kExclusiveConflict);
LICET_SAME_CODE(LICET_ERROR_WRONG_ACCESS_MODE, kWrongAccessMode);
LICET_SAME_CODE(LICET_ERROR_ACCESS_DENIED, kAccessDenied);
LICET_SAME_CODE(LICET_ERROR_BORROW_NOT_ALLOWED, kBorrowNotAllowed);
LICET_SAME_CODE(LICET_ERROR_BORROW_TOO_LONG, kBorrowTooLong);
#undef LICET_SAME_CODE

#ifdef LICET_PROJECT_VERSION_NUMBER
static_assert(LICET_VERSION_NUMBER == LICET_PROJECT_VERSION_NUMBER,
              "LICET_VERSION_NUMBER in licet.h differs from project(VERSION) in CMakeLists.txt");
#endif

namespace {

// Marks live handles, so that a released or foreign pointer is refused where it can be seen.
constexpr uint64_t kHandleMagic = 0x6c69636574686e64;  // "licethnd"

// licet_crypt buffers from this size on go through shared memory when licetd offers it;
// smaller ones cost less on the socket than the two copies into and out of the region.
constexpr size_t kShmCryptThreshold = 16 * 1024;

}  // namespace

struct licet_handle {
  uint64_t magic = kHandleMagic;
  std::shared_ptr<Connection> connection;  // the lease lives on this connection
  uint64_t id = 0;                         // licetd's handle number on it
};

namespace {

thread_local std::string t_errmsg;

// Records a failure for licet_errmsg and returns its code.
int Fail(const Status& status) {
  try {
    t_errmsg = status.ToString();
  } catch (...) {
    t_errmsg.clear();  // out of memory: the code still tells what happened
  }
  return static_cast<int>(status.code());
}

int Fail(ErrorCode code, const char* message) { return Fail(Status(code, message)); }

// Runs `body` (returning a Status) with every exception turned into a code.
template <typename Body>
int Guard(const char* function, Body&& body) {
  try {
    Status status = body();
    return status.ok() ? LICET_OK : Fail(status);
  } catch (const std::bad_alloc&) {
    return Fail(ErrorCode::kInternal, "out of memory");
  } catch (const std::exception& e) {
    return Fail(Status(ErrorCode::kInternal, std::string(function) + ": unexpected error: " + e.what()));
  } catch (...) {
    return Fail(ErrorCode::kInternal, "unexpected error in liblicet");
  }
}

Status CheckHandle(const licet_handle* handle, const char* function) {
  if (handle == nullptr) return Status(ErrorCode::kInvalidArgument, std::string(function) + ": handle is NULL");
  if (handle->magic != kHandleMagic) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string(function) + ": not a live licet handle (released already?)");
  }
  return Status::Ok();
}

// A request on the handle's connection with the handle number filled in.
Result<json> CallOnHandle(licet_handle* handle, json request) {
  request["handle"] = handle->id;
  return handle->connection->Call(std::move(request));
}

}  // namespace

extern "C" {

LICET_EXPORT int licet_access(const licet_access_params* params, licet_handle** out) {
  if (out == nullptr) return Fail(ErrorCode::kInvalidArgument, "licet_access: out is NULL");
  *out = nullptr;
  return Guard("licet_access", [&]() -> Status {
    LICET_ASSIGN_OR_RETURN(json request, licet::client::EncodeAccess(params));
    LICET_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, licet::client::SharedConnection());
    Result<json> answer = connection->Call(request);
    if (!answer.ok() && licet::client::RetryAfterRestart(answer.status(), *connection)) {
      LICET_ASSIGN_OR_RETURN(connection, licet::client::SharedConnection());
      answer = connection->Call(std::move(request));
    }
    LICET_ASSIGN_OR_RETURN(json response, std::move(answer));
    LICET_ASSIGN_OR_RETURN(uint64_t id, licet::client::DecodeHandle(response));
    auto handle = std::make_unique<licet_handle>();
    handle->connection = std::move(connection);
    handle->id = id;
    *out = handle.release();
    return Status::Ok();
  });
}

LICET_EXPORT int licet_release(licet_handle* handle) {
  if (handle == nullptr) return LICET_OK;
  return Guard("licet_release", [&]() -> Status {
    LICET_RETURN_IF_ERROR(CheckHandle(handle, "licet_release"));
    std::unique_ptr<licet_handle> owned(handle);
    owned->magic = 0;
    const Connection& connection = *owned->connection;
    // A lease on a lost connection is already gone (licetd frees the leases of a closed
    // connection), and one inherited over fork() is the parent's to release.
    if (connection.owner_pid() != licet::client::CurrentPid() || !connection.usable()) return Status::Ok();
    Result<json> released = CallOnHandle(owned.get(), {{"op", licet::protocol::kOpRelease}});
    if (!released.ok() && released.status().code() == ErrorCode::kUnavailable) return Status::Ok();
    return released.status();
  });
}

LICET_EXPORT int licet_crypt(licet_handle* handle, int op, licet_crypt_params* params, void* buf, size_t len) {
  return Guard("licet_crypt", [&]() -> Status {
    LICET_RETURN_IF_ERROR(CheckHandle(handle, "licet_crypt"));
    Connection& connection = *handle->connection;
    if (len >= kShmCryptThreshold && connection.shm_available()) {
      // Large buffers go through shared memory: two memcpy instead of CBOR and four socket
      // copies, the second overlapped with licetd's AES except for a decrypt, whose plaintext
      // must not reach buf before its tag is checked (docs/PERFORMANCE.md).
      LICET_ASSIGN_OR_RETURN(json request,
                             licet::client::EncodeCrypt(handle->id, op, params, buf, len, false));
      return connection.CallInPlace(
          std::move(request), std::span<uint8_t>(static_cast<uint8_t*>(buf), len),
          /*copy_early=*/op != LICET_CRYPT_DECRYPT, [&](const json& response) {
            return licet::client::DecodeCryptTag(response, op, params);
          });
    }
    LICET_ASSIGN_OR_RETURN(json request, licet::client::EncodeCrypt(handle->id, op, params, buf, len));
    LICET_ASSIGN_OR_RETURN(json response, handle->connection->Call(std::move(request)));
    return licet::client::DecodeCrypt(response, op, params, buf, len);
  });
}

LICET_EXPORT int licet_info(licet_handle* handle, licet_item_info* info) {
  return Guard("licet_info", [&]() -> Status {
    LICET_RETURN_IF_ERROR(CheckHandle(handle, "licet_info"));
    if (info == nullptr) return Status(ErrorCode::kInvalidArgument, "licet_info: info is NULL");
    LICET_RETURN_IF_ERROR(licet::client::CheckStructSize(info, info->size, licet::client::kMinItemInfoSize,
                                                         sizeof(licet_item_info), false, "licet_item_info"));
    LICET_ASSIGN_OR_RETURN(json response, CallOnHandle(handle, {{"op", licet::protocol::kOpInfo}}));
    return licet::client::DecodeItemInfo(response, info);
  });
}

LICET_EXPORT int licet_unit_decrement(licet_handle* handle, uint64_t n, uint64_t* remaining) {
  return Guard("licet_unit_decrement", [&]() -> Status {
    LICET_RETURN_IF_ERROR(CheckHandle(handle, "licet_unit_decrement"));
    if (n == 0) return Status(ErrorCode::kInvalidArgument, "licet_unit_decrement: n must be at least 1");
    LICET_ASSIGN_OR_RETURN(json response,
                           CallOnHandle(handle, {{"op", licet::protocol::kOpUnits}, {"decrement", n}}));
    LICET_ASSIGN_OR_RETURN(uint64_t left, licet::client::DecodeRemaining(response));
    if (remaining != nullptr) *remaining = left;
    return Status::Ok();
  });
}

LICET_EXPORT int licet_list(char** json_out) {
  if (json_out == nullptr) return Fail(ErrorCode::kInvalidArgument, "licet_list: json_out is NULL");
  *json_out = nullptr;
  return Guard("licet_list", [&]() -> Status {
    LICET_ASSIGN_OR_RETURN(std::shared_ptr<Connection> connection, licet::client::SharedConnection());
    Result<json> answer = connection->Call({{"op", licet::protocol::kOpList}});
    if (!answer.ok() && licet::client::RetryAfterRestart(answer.status(), *connection)) {
      LICET_ASSIGN_OR_RETURN(connection, licet::client::SharedConnection());
      answer = connection->Call({{"op", licet::protocol::kOpList}});
    }
    LICET_ASSIGN_OR_RETURN(json response, std::move(answer));
    LICET_ASSIGN_OR_RETURN(std::string text, licet::client::DecodeList(response));
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) return Status(ErrorCode::kInternal, "out of memory");
    std::memcpy(copy, text.c_str(), text.size() + 1);
    *json_out = copy;
    return Status::Ok();
  });
}

LICET_EXPORT const char* licet_strerror(int code) {
  return licet::ErrorCodeText(static_cast<ErrorCode>(code));
}

LICET_EXPORT const char* licet_errmsg(void) { return t_errmsg.c_str(); }

LICET_EXPORT void licet_free(void* p) { std::free(p); }

LICET_EXPORT int licet_version_number(void) { return LICET_VERSION_NUMBER; }

LICET_EXPORT const char* licet_version(void) { return LICET_VERSION; }

}  // extern "C"
