#include "central/http/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "common/clock.h"

namespace licet::central::http {
namespace {

std::atomic<bool> g_json{false};

spdlog::level::level_enum ToSpd(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string t = FormatTime(ms / 1000);  // "...:SSZ"
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  return t.substr(0, t.size() - 1) + frac;
}

}  // namespace

Status InitLogging(std::string_view level, std::string_view format) {
  static const std::pair<std::string_view, LogLevel> kLevels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"critical", LogLevel::kCritical},
      {"off", LogLevel::kOff}};
  const LogLevel* found = nullptr;
  for (const auto& [name, l] : kLevels) {
    if (name == level) found = &l;
  }
  if (found == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 "log_level must be trace, debug, info, warn, "
                 "error, critical or off");
  }
  if (format != "text" && format != "json") {
    return Error(ErrorCode::kInvalidArgument, "log_format must be text or json");
  }
  g_json = format == "json";
  auto logger = std::make_shared<spdlog::logger>("licet-central",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");  // timestamps and levels are part of our own line format
  logger->set_level(ToSpd(*found));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

void Log(LogLevel level, std::string_view message, const nlohmann::json& fields) {
  auto spd = ToSpd(level);
  if (!spdlog::default_logger_raw()->should_log(spd)) return;
  std::string line;
  if (g_json) {
    nlohmann::json j = fields.is_object() ? fields : nlohmann::json::object();
    j["ts"] = Timestamp();
    j["level"] = spdlog::level::to_string_view(spd).data();
    j["msg"] = message;
    line = Dump(j);
  } else {
    line = Timestamp() + " " + std::string(spdlog::level::to_string_view(spd).data()) + " " +
           std::string(message);
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) {
        // Plain words stay bare; anything with spaces, quotes or control characters is
        // quoted and escaped, so that a value cannot forge another field or line.
        bool bare = v.is_string() && !v.get<std::string>().empty();
        if (bare) {
          for (unsigned char c : v.get<std::string>()) {
            if (c <= ' ' || c == '"' || c == '=' || c >= 0x7f) bare = false;
          }
        }
        line += " " + k + "=" + (bare ? v.get<std::string>() : Dump(v));
      }
    }
  }
  spdlog::default_logger_raw()->log(spd, "{}", line);
}

}  // namespace licet::central::http
