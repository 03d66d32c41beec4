#include "common/status.h"

namespace licet {
namespace {

struct CodeInfo {
  ErrorCode code;
  const char* name;
  const char* text;
};

constexpr CodeInfo kCodes[] = {
    {ErrorCode::kOk, "ok", "success"},
    {ErrorCode::kInvalidArgument, "invalid_argument", "invalid argument"},
    {ErrorCode::kIoError, "io_error", "input/output error"},
    {ErrorCode::kCorruptData, "corrupt_data", "file or message is malformed or truncated"},
    {ErrorCode::kUnsupportedVersion, "unsupported_version", "unsupported file kind or version"},
    {ErrorCode::kBadSignature, "bad_signature", "signature does not verify"},
    {ErrorCode::kDecryptFailed, "decrypt_failed", "decryption failed"},
    {ErrorCode::kWrongContainer, "wrong_container", "made for another container"},
    {ErrorCode::kDeviceMismatch, "device_mismatch", "container is bound to another device"},
    {ErrorCode::kAlreadyExists, "already_exists", "already exists"},
    {ErrorCode::kNotFound, "not_found", "not found"},
    {ErrorCode::kPermissionDenied, "permission_denied", "permission denied"},
    {ErrorCode::kCryptoError, "crypto_error", "cryptographic operation failed"},
    {ErrorCode::kInternal, "internal", "internal error"},
    {ErrorCode::kBusy, "busy", "resource is locked by another process"},
    {ErrorCode::kUnavailable, "unavailable", "service unavailable"},
    {ErrorCode::kWrongPassphrase, "wrong_passphrase", "wrong passphrase"},
    {ErrorCode::kUntrustedSigner, "untrusted_signer", "signed by an untrusted key"},
    {ErrorCode::kWrongFileKind, "wrong_file_kind", "wrong kind of file"},
    {ErrorCode::kUnitCounterZero, "unit_counter_zero", "unit counter is zero"},
    {ErrorCode::kFeatureMissing, "feature_missing", "feature not licensed"},
    {ErrorCode::kExpired, "expired", "license expired"},
    {ErrorCode::kNotYetActive, "not_yet_active", "license not yet active"},
    {ErrorCode::kClockSetBack, "clock_set_back", "system clock was set back"},
    {ErrorCode::kUsagePeriodOver, "usage_period_over", "usage period is over"},
    {ErrorCode::kMaintenanceOver, "maintenance_over", "release is newer than the maintenance period"},
    {ErrorCode::kCheckpointOverdue, "checkpoint_overdue", "online checkpoint is overdue"},
    {ErrorCode::kFucGap, "fuc_gap", "firm update counter wrong: updates are missing"},
    {ErrorCode::kManipulationDetected, "manipulation_detected", "manipulation detected"},
    {ErrorCode::kServerNotFound, "server_not_found", "license server not found"},
    {ErrorCode::kProtocolError, "protocol_error", "protocol error"},
    {ErrorCode::kEntryNotFound, "entry_not_found", "product item not found"},
    {ErrorCode::kContainerNotFound, "container_not_found", "container not found"},
    {ErrorCode::kFirmNotFound, "firm_not_found", "firm item not found"},
    {ErrorCode::kNoMoreLicenses, "no_more_licenses", "no more licenses available"},
    {ErrorCode::kExclusiveConflict, "exclusive_conflict", "license is held exclusively"},
    {ErrorCode::kWrongAccessMode, "wrong_access_mode", "access mode not allowed"},
    {ErrorCode::kAccessDenied, "access_denied", "access denied"},
    {ErrorCode::kBorrowNotAllowed, "borrow_not_allowed", "borrowing not allowed"},
    {ErrorCode::kBorrowTooLong, "borrow_too_long", "borrow period too long"},
};

const CodeInfo* Find(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

}  // namespace

const char* ErrorCodeName(ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info ? info->name : "unknown";
}

const char* ErrorCodeText(ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info ? info->text : "unknown error";
}

std::string Status::ToString() const {
  return message_.empty() ? std::string(ErrorCodeText(code_)) : message_;
}

Status Status::WithContext(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + ToString());
}

}  // namespace licet
