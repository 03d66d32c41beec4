#include "common/config_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace licet::config {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Status Bad(std::string_view key, const std::string& origin, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, origin + ": " + std::string(key) + ": " + why);
}

Status SetInt(int& out, std::string_view key, std::string_view text, int min, int max,
              const std::string& origin) {
  std::string t = Trim(text);
  int value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || value < min || value > max) {
    return Bad(key, origin,
               "'" + t + "' is not a whole number from " + std::to_string(min) + " to " +
                   std::to_string(max));
  }
  out = value;
  return Status::Ok();
}

Status SetChoice(std::string& out, std::string_view key, std::string_view text,
                 std::initializer_list<const char*> choices, const std::string& origin) {
  std::string t = Trim(text);
  std::string list;
  for (const char* c : choices) {
    if (t == c) {
      out = t;
      return Status::Ok();
    }
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  return Bad(key, origin, "'" + t + "' is not one of " + list);
}

Status SetPath(std::string& out, std::string_view key, std::string_view text,
               const std::string& origin) {
  std::string t = Trim(text);
  if (t.empty() || t[0] != '/') return Bad(key, origin, "must be an absolute path");
  if (t.size() > 4000) return Bad(key, origin, "path too long");
  out = t;
  return Status::Ok();
}

Result<std::vector<std::string>> SplitList(std::string_view key, std::string_view value,
                                           const std::string& origin) {
  std::vector<std::string> items;
  std::string_view rest = value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    if (items.size() == kMaxListItems) {
      return Bad(key, origin, "at most " + std::to_string(kMaxListItems) + " items");
    }
    items.push_back(std::move(item));
  }
  return items;
}

Status SetBool(bool& out, std::string_view key, std::string_view value, const std::string& origin) {
  std::string t = Trim(value);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "true" || t == "1" || t == "yes" || t == "on") {
    out = true;
  } else if (t == "false" || t == "0" || t == "no" || t == "off") {
    out = false;
  } else {
    return Bad(key, origin, "'" + t + "' is not true or false");
  }
  return Status::Ok();
}

}  // namespace licet::config
