// Time as seen by Licet: whole seconds since the Unix epoch, UTC. A Clock seam lets tests
// move time (expiry, usage periods, clock set back) without touching the system clock.
#ifndef LICET_COMMON_CLOCK_H_
#define LICET_COMMON_CLOCK_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace licet {

using UnixTime = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime Now() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  UnixTime Now() const override;
  // A process-wide instance.
  static const SystemClock& Get();
};

// A clock tests set by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixTime now) : now_(now) {}
  UnixTime Now() const override { return now_; }
  void Set(UnixTime now) { now_ = now; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  UnixTime now_;
};

// RFC 3339 UTC, e.g. "2026-11-28T22:33:03Z".
std::string FormatTime(UnixTime t);
// Accepts RFC 3339 with Z or an offset, or a date "YYYY-MM-DD" (midnight UTC).
Result<UnixTime> ParseTime(const std::string& text);
// Durations such as "30s", "15m", "12h", "365d", "2w" or a plain number of seconds.
Result<int64_t> ParseDuration(const std::string& text);
// "365d", "12h", "30s": the largest whole unit.
std::string FormatDuration(int64_t seconds);

}  // namespace licet

#endif  // LICET_COMMON_CLOCK_H_
