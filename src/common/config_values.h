// Checked setters for configuration values (TOML file, environment, flags) shared by the
// daemons: each refuses a bad value with kInvalidArgument naming where it came from and the
// key, e.g. "LICETD_THREADS: threads: 'x' is not a whole number from 1 to 64".
#ifndef LICET_COMMON_CONFIG_VALUES_H_
#define LICET_COMMON_CONFIG_VALUES_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace licet::config {

std::string Trim(std::string_view s);
Status Bad(std::string_view key, const std::string& origin, const std::string& why);
Status SetInt(int& out, std::string_view key, std::string_view text, int min, int max,
              const std::string& origin);
Status SetChoice(std::string& out, std::string_view key, std::string_view text,
                 std::initializer_list<const char*> choices, const std::string& origin);
// true/false, 1/0, yes/no, on/off (any case).
Status SetBool(bool& out, std::string_view key, std::string_view value, const std::string& origin);
// A comma-separated list: items trimmed, empty ones skipped, at most kMaxListItems.
inline constexpr size_t kMaxListItems = 64;
Result<std::vector<std::string>> SplitList(std::string_view key, std::string_view value,
                                           const std::string& origin);
// An absolute path.
Status SetPath(std::string& out, std::string_view key, std::string_view text,
               const std::string& origin);

}  // namespace licet::config

#endif  // LICET_COMMON_CONFIG_VALUES_H_
