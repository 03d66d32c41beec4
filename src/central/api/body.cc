#include "central/api/body.h"

#include "format/payload.h"

namespace licet::central::api {
namespace {

using nlohmann::json;

Status AsInvalid(const Status& st) {
  if (st.ok()) return st;
  return Error(ErrorCode::kInvalidArgument, st.message());
}

// The deepest nesting of [ and { outside strings; stops counting once past `limit`.
size_t NestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// The value of parameter `name` in a header such as `form-data; name="a"; filename="b"`.
// Quoted values end at the next quote (browsers percent-encode quotes in file names).
std::optional<std::string> HeaderParam(std::string_view header, std::string_view name) {
  auto skip_space = [&](size_t at) {
    while (at < header.size() && (header[at] == ' ' || header[at] == '\t')) ++at;
    return at;
  };
  size_t i = header.find(';');
  if (i == std::string_view::npos) return std::nullopt;
  ++i;
  while (i < header.size()) {
    i = skip_space(i);
    size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key = Lower(Trim(header.substr(i, eq - i)));
    i = skip_space(eq + 1);
    std::string value;
    if (i < header.size() && header[i] == '"') {
      size_t close = header.find('"', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = std::string(header.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      size_t end = header.find(';', i);
      if (end == std::string_view::npos) end = header.size();
      value = Trim(header.substr(i, end - i));
      i = end;
    }
    if (key == name) return value;
    size_t semi = header.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    i = semi + 1;
  }
  return std::nullopt;
}

}  // namespace

Result<json> ParseJsonObject(std::string_view body) {
  if (NestingDepth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    return Error(ErrorCode::kInvalidArgument, "the JSON body nests too deeply");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error(ErrorCode::kInvalidArgument, "the body is not valid JSON");
  if (!j.is_object()) return Error(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  return j;
}

Result<uint32_t> FieldUint32(const json& obj, const char* key) {
  auto r = format::GetUint32(obj, key);
  if (!r.ok()) return AsInvalid(r.status());
  return *r;
}

Result<std::optional<uint32_t>> OptionalFieldUint32(const json& obj, const char* key) {
  auto r = format::GetOptionalUint32(obj, key);
  if (!r.ok()) return AsInvalid(r.status());
  return *r;
}

Result<std::string> FieldString(const json& obj, const char* key, size_t max_size) {
  auto r = format::GetString(obj, key);
  if (!r.ok()) return AsInvalid(r.status());
  if (r->size() > max_size) {
    return Error(ErrorCode::kInvalidArgument, "field '" + std::string(key) + "' is longer than " +
                                                  std::to_string(max_size) + " bytes");
  }
  return *r;
}

Result<std::optional<std::string>> OptionalFieldString(const json& obj, const char* key,
                                                       size_t max_size) {
  if (!obj.is_object() || !obj.contains(key)) return std::optional<std::string>();
  LICET_ASSIGN_OR_RETURN(std::string s, FieldString(obj, key, max_size));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<bool>> OptionalFieldBool(const json& obj, const char* key) {
  auto r = format::GetOptionalBool(obj, key);
  if (!r.ok()) return AsInvalid(r.status());
  return *r;
}

Status CheckKeys(const json& obj, std::initializer_list<std::string_view> allowed,
                 std::string_view where) {
  if (!obj.is_object()) {
    return Error(ErrorCode::kInvalidArgument, std::string(where) + " must be a JSON object");
  }
  for (const auto& [k, v] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == k;
    if (!known) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string(where) + " has an unknown field '" + k + "'");
    }
  }
  return Status::Ok();
}

std::string MediaType(std::string_view content_type) {
  return Lower(Trim(content_type.substr(0, content_type.find(';'))));
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body) {
  auto bad = [](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "multipart body: " + why);
  };
  if (MediaType(content_type) != "multipart/form-data") return bad("not multipart/form-data");
  auto boundary = HeaderParam(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return bad("no valid boundary");
  const std::string delimiter = "--" + *boundary;
  const std::string separator = "\r\n" + delimiter;
  // The body starts with the first delimiter (a preamble before it is allowed and ignored).
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return bad("no part");
  if (pos != 0) {
    pos = body.find(separator);
    if (pos == std::string_view::npos) return bad("no part");
    pos += 2;
  }
  pos += delimiter.size();
  std::vector<FormPart> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // the final delimiter
    if (body.substr(pos, 2) != "\r\n") return bad("malformed delimiter line");
    pos += 2;
    if (parts.size() >= 8) return bad("more than 8 parts");
    size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos || header_end - pos > 1024) {
      return bad("part headers missing or too long");
    }
    FormPart part;
    std::string_view headers = body.substr(pos, header_end - pos);
    size_t line_start = 0;
    while (line_start <= headers.size()) {
      size_t line_end = headers.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = headers.size();
      std::string_view line = headers.substr(line_start, line_end - line_start);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name = Lower(Trim(line.substr(0, colon)));
        std::string value = Trim(line.substr(colon + 1));
        if (name == "content-disposition") {
          if (MediaType(value) != "form-data") return bad("a part is not form-data");
          part.name = HeaderParam(value, "name").value_or("");
          part.filename = HeaderParam(value, "filename").value_or("");
        } else if (name == "content-type") {
          part.content_type = value;
        }
      } else if (!line.empty()) {
        return bad("malformed part header");
      }
      line_start = line_end + 2;
    }
    if (part.name.empty()) return bad("a part has no name");
    size_t data_start = header_end + 4;
    size_t data_end = body.find(separator, data_start);
    if (data_end == std::string_view::npos) return bad("missing final delimiter");
    part.data = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    pos = data_end + separator.size();
  }
}

}  // namespace licet::central::api
