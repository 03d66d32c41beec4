// Central's logs: one line per event on stderr through spdlog, as text ("msg key=value ...")
// or JSON (one object per line), with structured fields. Secrets and tickets never go into
// a field: callers pass masked values (engine::MaskTicketCode).
#ifndef LICET_CENTRAL_HTTP_LOG_H_
#define LICET_CENTRAL_HTTP_LOG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace licet::central::http {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// level: trace, debug, info, warn, error, critical, off; format: text or json.
// kInvalidArgument for other values. Call once at start; thread-safe afterwards.
Status InitLogging(std::string_view level, std::string_view format);

// Logs `message` with `fields` (a JSON object; values printed as JSON scalars in text form).
void Log(LogLevel level, std::string_view message, const nlohmann::json& fields = {});

}  // namespace licet::central::http

#endif  // LICET_CENTRAL_HTTP_LOG_H_
