#include "central/store/sql.h"

#include <charconv>

namespace licet::central::store {

bool Row::IsNull(size_t i) const {
  return i >= values_.size() || std::holds_alternative<std::monostate>(values_[i]);
}

int64_t Row::Int(size_t i) const {
  if (i >= values_.size()) return 0;
  if (const auto* v = std::get_if<int64_t>(&values_[i])) return *v;
  if (const auto* s = std::get_if<std::string>(&values_[i])) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

std::string Row::Text(size_t i) const {
  if (i >= values_.size()) return "";
  if (const auto* s = std::get_if<std::string>(&values_[i])) return *s;
  if (const auto* v = std::get_if<int64_t>(&values_[i])) return std::to_string(*v);
  if (const auto* b = std::get_if<Bytes>(&values_[i])) return std::string(b->begin(), b->end());
  return "";
}

Bytes Row::Blob(size_t i) const {
  if (i >= values_.size()) return {};
  if (const auto* b = std::get_if<Bytes>(&values_[i])) return *b;
  if (const auto* s = std::get_if<std::string>(&values_[i])) return Bytes(s->begin(), s->end());
  return {};
}

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  size_t i = 0;
  // Copies from i up to and including the closing `quote` (a doubled quote is an escape).
  auto copy_quoted = [&](char quote) {
    out += sql[i++];
    while (i < sql.size()) {
      char c = sql[i++];
      out += c;
      if (c == quote) {
        if (i < sql.size() && sql[i] == quote) {
          out += sql[i++];
          continue;
        }
        return;
      }
    }
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      copy_quoted(c);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace licet::central::store
