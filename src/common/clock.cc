#include "common/clock.h"

#include <time.h>

#include <cctype>
#include <cstdio>

namespace licet {

UnixTime SystemClock::Now() const { return static_cast<UnixTime>(::time(nullptr)); }

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

std::string FormatTime(UnixTime t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm_utc;
  if (gmtime_r(&tt, &tm_utc) == nullptr) return "invalid-time";
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

Result<UnixTime> ParseTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int consumed = 0;
  int offset_seconds = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) == 6) {
    std::string rest = text.substr(consumed);
    if (!rest.empty() && rest[0] == '.') {  // fractional seconds: ignored
      size_t i = 1;
      while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
      rest = rest.substr(i);
    }
    int oh = 0, om = 0;
    if (rest == "Z" || rest == "z") {
      offset_seconds = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
               sscanf(rest.c_str() + 1, "%2d:%2d", &oh, &om) == 2) {
      offset_seconds = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
    } else {
      return Error(ErrorCode::kInvalidArgument,
                   "time '" + text + "' needs a zone: end it with Z, e.g. 2027-01-31T00:00:00Z");
    }
  } else if (sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) == 3 &&
             static_cast<size_t>(consumed) == text.size()) {
    h = mi = s = 0;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 "time '" + text + "' is not RFC 3339 (2027-01-31T00:00:00Z) or a date (2027-01-31)");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return Error(ErrorCode::kInvalidArgument, "time '" + text + "' is out of range");
  }
  struct tm tm_utc = {};
  tm_utc.tm_year = y - 1900;
  tm_utc.tm_mon = mo - 1;
  tm_utc.tm_mday = d;
  tm_utc.tm_hour = h;
  tm_utc.tm_min = mi;
  tm_utc.tm_sec = s;
  return static_cast<UnixTime>(timegm(&tm_utc)) - offset_seconds;
}

Result<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return Error(ErrorCode::kInvalidArgument, "empty duration");
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 12) {
    return Error(ErrorCode::kInvalidArgument,
                 "duration '" + text + "' must be a number with an optional unit s, m, h, d or w");
  }
  int64_t n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else {
    return Error(ErrorCode::kInvalidArgument,
                 "duration '" + text + "' has unknown unit '" + unit + "' (use s, m, h, d or w)");
  }
  return n * scale;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds != 0 && seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds != 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds != 0 && seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

}  // namespace licet
