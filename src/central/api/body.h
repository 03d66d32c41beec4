// Request bodies: strict JSON parsing with size and depth limits, typed field getters whose
// errors are kInvalidArgument naming the field (they wrap format/payload.h's getters), and
// multipart/form-data for browser uploads of binary files. Never throw; fuzzed.
#ifndef LICET_CENTRAL_API_BODY_H_
#define LICET_CENTRAL_API_BODY_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::central::api {

inline constexpr size_t kMaxJsonDepth = 16;

// One JSON object. kInvalidArgument: not JSON, nested deeper than kMaxJsonDepth (checked
// before parsing, so a hostile body cannot exhaust the stack), or not an object.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

// Field getters: kInvalidArgument "field 'x' ..." when missing or of the wrong type.
Result<uint32_t> FieldUint32(const nlohmann::json& obj, const char* key);
Result<std::optional<uint32_t>> OptionalFieldUint32(const nlohmann::json& obj, const char* key);
Result<std::string> FieldString(const nlohmann::json& obj, const char* key, size_t max_size);
Result<std::optional<std::string>> OptionalFieldString(const nlohmann::json& obj, const char* key,
                                                       size_t max_size);
Result<std::optional<bool>> OptionalFieldBool(const nlohmann::json& obj, const char* key);

// Refuses keys outside `allowed` (a typo must not silently drop a restriction).
[[nodiscard]] Status CheckKeys(const nlohmann::json& obj,
                               std::initializer_list<std::string_view> allowed,
                               std::string_view where);

struct FormPart {
  std::string name;
  std::string filename;  // "" when not a file
  std::string content_type;
  std::string data;
};

// multipart/form-data (RFC 7578). `content_type` is the request's header (with the
// boundary parameter). At most 8 parts; each part's headers at most 1 KiB. kInvalidArgument
// for anything malformed: missing boundary, a part without a name, a missing final
// delimiter.
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body);

// The media type of a Content-Type header, lower case, without parameters.
std::string MediaType(std::string_view content_type);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_BODY_H_
