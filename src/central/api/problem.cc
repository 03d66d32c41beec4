#include "central/api/problem.h"

#include <nlohmann/json.hpp>

#include "central/http/log.h"

namespace licet::central::api {
namespace {

const char* Title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kCorruptData:
    case ErrorCode::kBadSignature:
    case ErrorCode::kUnsupportedVersion:
    case ErrorCode::kWrongFileKind:
    case ErrorCode::kDecryptFailed:
      return 400;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kAccessDenied:
    case ErrorCode::kManipulationDetected:
    case ErrorCode::kUntrustedSigner:
      return 403;
    case ErrorCode::kNotFound:
    case ErrorCode::kFirmNotFound:
    case ErrorCode::kContainerNotFound:
    case ErrorCode::kEntryNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kNoMoreLicenses:
      return 409;
    case ErrorCode::kBusy:
    case ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

http::HttpResponse Problem(const Status& status, std::string_view request_id) {
  int http_status = HttpStatusFor(status.code());
  std::string detail = status.ToString();
  if (http_status >= 500) {
    // Internals (SQL, paths) stay in the log; the client gets the request id to quote.
    http::Log(
        http::LogLevel::kError, "request failed",
        {{"request_id", request_id}, {"code", ErrorCodeName(status.code())}, {"error", detail}});
    detail = http_status == 503 ? "the service is busy; retry shortly"
                                : "internal error (request id " + std::string(request_id) + ")";
  }
  http::HttpResponse r =
      http::ProblemResponse(http_status, ErrorCodeName(status.code()), Title(http_status), detail);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  j["licet_error"] = static_cast<int>(status.code());
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (http_status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http::HttpResponse Problem(int http_status, std::string_view code, std::string_view detail) {
  return http::ProblemResponse(http_status, code, Title(http_status), detail);
}

}  // namespace licet::central::api
