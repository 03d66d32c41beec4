// licetd's logs: spdlog to stderr (journald picks them up under systemd), as text lines or as
// one JSON object per line. Messages carry key=value fields; secrets are never logged.
#ifndef LICET_DAEMON_LOGGING_H_
#define LICET_DAEMON_LOGGING_H_

#include <string>

#include "common/status.h"

namespace licet::daemon {

// Makes the default logger write to stderr in `format` ("text" or "json") at `level`
// ("trace" ... "off"). May be called again (SIGHUP) to change both. kInvalidArgument for an
// unknown level or format.
[[nodiscard]] Status SetupLogging(const std::string& level, const std::string& format);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_LOGGING_H_
