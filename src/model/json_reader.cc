#include "model/json_reader.h"

#include <algorithm>

#include "model/display.h"

namespace licet::model::internal {
namespace {

// Keys come from untrusted input: quote and cut them before they enter a message.
std::string QuoteKey(std::string_view key) {
  constexpr size_t kMaxShown = 40;
  return key.size() > kMaxShown ? QuoteText(key.substr(0, kMaxShown)) + "..." : QuoteText(key);
}

}  // namespace

std::string JoinPath(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

std::string ElementPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path)
    : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) Fail("", "must be a map");
}

void ObjectReader::Fail(std::string_view key, const std::string& message) {
  if (!status_.ok()) return;
  std::string where = key.empty() ? path_ : PathOf(key);
  status_ = Error(ErrorCode::kCorruptData, where.empty() ? message : where + " " + message);
}

void ObjectReader::Absorb(const Status& status) {
  if (status_.ok() && !status.ok()) status_ = status;
}

const nlohmann::json* ObjectReader::Find(std::string_view key, Need need) {
  known_.push_back(key);
  if (!status_.ok()) return nullptr;
  auto it = object_.find(key);
  if (it == object_.end()) {
    if (need == Need::kRequired) Fail(key, "is missing");
    return nullptr;
  }
  return &*it;
}

bool ObjectReader::ReadUint(std::string_view key, uint64_t max, uint64_t* out, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return false;
  // CBOR's major type 0 decodes as number_unsigned; json built in code holds non-negative
  // literals as number_integer. Both are the same value; negatives and floats are refused.
  const bool non_negative =
      v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0);
  if (!non_negative) {
    Fail(key, "must be an unsigned integer");
    return false;
  }
  const auto value =
      v->is_number_unsigned() ? v->get<uint64_t>() : static_cast<uint64_t>(v->get<int64_t>());
  if (value > max) {
    Fail(key, "is " + std::to_string(value) + ", at most " + std::to_string(max) + " allowed");
    return false;
  }
  *out = value;
  return true;
}

bool ObjectReader::ReadInt(std::string_view key, int64_t* out, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return false;
  if (v->is_number_unsigned()) {
    const auto value = v->get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Fail(key, "is out of the signed 64-bit range");
      return false;
    }
    *out = static_cast<int64_t>(value);
    return true;
  }
  if (!v->is_number_integer()) {
    Fail(key, "must be an integer");
    return false;
  }
  *out = v->get<int64_t>();
  return true;
}

bool ObjectReader::ReadString(std::string_view key, size_t max_size, std::string* out, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return false;
  if (!v->is_string()) {
    Fail(key, "must be a text string");
    return false;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_size) {
    Fail(key, "is " + std::to_string(s.size()) + " bytes, at most " + std::to_string(max_size) +
                  " allowed");
    return false;
  }
  *out = s;
  return true;
}

bool ObjectReader::ReadBytes(std::string_view key, size_t max_size, Bytes* out, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return false;
  if (!v->is_binary()) {
    Fail(key, "must be a byte string");
    return false;
  }
  const auto& b = v->get_binary();
  if (b.size() > max_size) {
    Fail(key, "is " + std::to_string(b.size()) + " bytes, at most " + std::to_string(max_size) +
                  " allowed");
    return false;
  }
  out->assign(b.begin(), b.end());
  return true;
}

const nlohmann::json* ObjectReader::ReadArray(std::string_view key, size_t max_items, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    Fail(key, "must be an array");
    return nullptr;
  }
  if (v->size() > max_items) {
    Fail(key, "has " + std::to_string(v->size()) + " elements, at most " +
                  std::to_string(max_items) + " allowed");
    return nullptr;
  }
  return v;
}

const nlohmann::json* ObjectReader::ReadObject(std::string_view key, Need need) {
  const nlohmann::json* v = Find(key, need);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    Fail(key, "must be a map");
    return nullptr;
  }
  return v;
}

void ObjectReader::Seconds(std::string_view key, int64_t max, std::optional<int64_t>& out) {
  uint64_t v;
  if (ReadUint(key, static_cast<uint64_t>(max), &v, Need::kOptional)) {
    out = static_cast<int64_t>(v);
  }
}

void ObjectReader::Seconds(std::string_view key, int64_t max, int64_t& out, Need need) {
  uint64_t v;
  if (ReadUint(key, static_cast<uint64_t>(max), &v, need)) out = static_cast<int64_t>(v);
}

Status ObjectReader::Finish() {
  if (!status_.ok()) return status_;
  if (!object_.is_object()) return status_;
  for (const auto& [key, value] : object_.items()) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      Fail("", "has an unknown field " + QuoteKey(key));
      return status_;
    }
  }
  return status_;
}

Status ValidationError(const std::string& path, const Status& status) {
  if (status.ok()) return status;
  return Error(ErrorCode::kCorruptData,
               path.empty() ? status.message() : path + ": " + status.message());
}

}  // namespace licet::model::internal
