#include "container/fingerprint_parse.h"

#include <array>
#include <cctype>
#include <span>

namespace licet::container::internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}

std::string CollapseSpaces(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : Trim(text)) {
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// The value of the first "key : value" line whose key is exactly `key`.
std::optional<std::string> CpuinfoField(std::string_view cpuinfo, std::string_view key) {
  size_t pos = 0;
  while (pos < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    const std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (Trim(line.substr(0, colon)) != key) continue;
    std::string value = CollapseSpaces(line.substr(colon + 1));
    if (value.empty()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<std::string> Signature(std::string_view cpuinfo, const char* prefix,
                                     std::span<const char* const> keys) {
  std::string out = prefix;
  bool any = false;
  for (const char* key : keys) {
    std::optional<std::string> value = CpuinfoField(cpuinfo, key);
    if (!value) continue;
    out += ';';
    out += key;
    out += '=';
    out += *value;
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

}  // namespace

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string> NormalizeHexIdentifier(std::string_view raw) {
  const std::string_view trimmed = Trim(raw);
  if (trimmed.empty()) return std::nullopt;
  std::string value;
  value.reserve(trimmed.size());
  for (char c : trimmed) {
    value.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (value == "uninitialized") return std::nullopt;
  // Placeholders: only separators, or one repeated digit 0 or f between separators.
  const size_t digit = value.find_first_not_of(":-");
  if (digit == std::string::npos) return std::nullopt;
  const char d = value[digit];
  if ((d == '0' || d == 'f') &&
      value.find_first_not_of(std::string{d, ':', '-'}) == std::string::npos) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> NormalizeSerial(std::string_view raw) {
  std::string value = CollapseSpaces(raw);
  if (value.empty()) return std::nullopt;
  return value;
}

std::optional<std::string> CpuSignatureFromCpuinfo(std::string_view cpuinfo) {
  static constexpr std::array<const char*, 5> kX86Keys = {"vendor_id", "cpu family", "model",
                                                          "stepping", "model name"};
  static constexpr std::array<const char*, 5> kArmKeys = {
      "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "CPU revision"};
  if (CpuinfoField(cpuinfo, "vendor_id")) return Signature(cpuinfo, "x86", kX86Keys);
  if (CpuinfoField(cpuinfo, "CPU implementer")) return Signature(cpuinfo, "arm", kArmKeys);
  return std::nullopt;
}

}  // namespace licet::container::internal
