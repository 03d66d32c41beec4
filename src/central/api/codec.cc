#include "central/api/codec.h"

#include <charconv>

namespace licet::central::api {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Sextet(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 2 < s.size() ? Hex(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? Hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Error(ErrorCode::kInvalidArgument, "malformed percent escape in the query");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Base64Encode(ByteSpan data, bool url) {
  const char* alphabet = url ? kUrl : kStd;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = data[i] << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (!url) out += "==";
  } else if (rest == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (!url) out += '=';
  }
  return out;
}

Result<Bytes> Base64Decode(std::string_view text, bool url) {
  auto bad = [] { return Error(ErrorCode::kInvalidArgument, "not valid base64"); };
  size_t pad = 0;
  if (!url) {
    if (text.size() % 4 != 0) return bad();
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  } else if (text.size() % 4 == 1) {
    return bad();
  }
  std::string_view body = text.substr(0, text.size() - pad);
  Bytes out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    int v = Sextet(c, url);
    if (v < 0) return bad();
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero (one canonical encoding per byte string).
  if (acc != 0) return bad();
  if (!url && body.size() % 4 == 1) return bad();
  return out;
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  if (query.size() > 2048) return Error(ErrorCode::kInvalidArgument, "query string too long");
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    LICET_ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      LICET_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1)));
    }
    if (out.size() >= 32) return Error(ErrorCode::kInvalidArgument, "too many query parameters");
    if (!out.emplace(std::move(name), std::move(value)).second) {
      return Error(ErrorCode::kInvalidArgument, "a query parameter is given twice");
    }
  }
  return out;
}

std::optional<uint32_t> ParseUint32(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string EncodeCursor(std::string_view kind, std::string_view position) {
  std::string plain = std::string(kind) + ":" + std::string(position);
  return Base64Encode(AsBytes(plain), true);
}

Result<Page> ParsePage(const std::map<std::string, std::string>& query, std::string_view kind) {
  Page page;
  if (auto it = query.find("limit"); it != query.end()) {
    auto n = ParseUint32(it->second);
    if (!n || *n < 1 || *n > kMaxPageLimit) {
      return Error(ErrorCode::kInvalidArgument, "limit must be 1..200");
    }
    page.limit = static_cast<int>(*n);
  }
  if (auto it = query.find("cursor"); it != query.end()) {
    auto raw = Base64Decode(it->second, true);
    std::string prefix = std::string(kind) + ":";
    if (!raw.ok() || raw->size() > 512 ||
        std::string(raw->begin(), raw->end()).rfind(prefix, 0) != 0) {
      return Error(ErrorCode::kInvalidArgument, "cursor is not one of this list's");
    }
    page.after = std::string(raw->begin() + static_cast<long>(prefix.size()), raw->end());
  }
  return page;
}

}  // namespace licet::central::api
