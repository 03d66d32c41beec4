// The usage-log format shared by the writer and the auditor: the checkpoint message and the
// strict verifier (usage_log.h). A log is evidence, so the verifier accepts one spelling only.
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "network/usage_log.h"

namespace licet::network {
namespace {

using nlohmann::json;

void PutBigEndian(Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

const std::set<std::string>& RecordKeys(uint64_t version) {
  static const std::set<std::string> v1 = {"client", "event", "firm",    "host",   "lease",
                                           "mode",   "prev",  "product", "reason", "seq",
                                           "time",   "user",  "v"};
  static const std::set<std::string> v2 = [] {
    std::set<std::string> keys = v1;
    keys.insert("address");
    return keys;
  }();
  return version == 1 ? v1 : v2;
}
const std::set<std::string>& CheckpointKeys() {
  static const std::set<std::string> keys = {"event", "firm", "prev", "seq", "sig", "time", "v"};
  return keys;
}

bool HasExactly(const json& j, const std::set<std::string>& keys) {
  if (j.size() != keys.size()) return false;
  for (const auto& [k, v] : j.items()) {
    if (keys.count(k) == 0) return false;
  }
  return true;
}

bool IsUint(const json& j, const char* key, uint64_t max) {
  const json& v = j.at(key);
  return v.is_number_unsigned() && v.get<uint64_t>() <= max;
}

Status LineError(ErrorCode code, uint64_t seq, const std::string& why) {
  return Error(code,
               "line " + std::to_string(seq + 1) + " (seq " + std::to_string(seq) + "): " + why);
}

// Checks one parsed line against the chain; `prev` is the hash the line must name.
Status CheckLine(const json& j, uint64_t seq, const crypto::Hash& prev, uint32_t* firm,
                 ByteSpan public_key, bool* is_checkpoint) {
  if (!j.is_object()) return LineError(ErrorCode::kCorruptData, seq, "not a JSON object");
  auto event = j.find("event");
  if (event == j.end() || !event->is_string()) {
    return LineError(ErrorCode::kCorruptData, seq, "no event");
  }
  *is_checkpoint = event->get<std::string>() == "checkpoint";
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_unsigned() || v->get<uint64_t>() < kUsageLogOldestVersion ||
      v->get<uint64_t>() > kUsageLogVersion) {
    return LineError(ErrorCode::kUnsupportedVersion, seq, "unknown usage log version");
  }
  const uint64_t version = v->get<uint64_t>();
  if (!HasExactly(j, *is_checkpoint ? CheckpointKeys() : RecordKeys(version))) {
    return LineError(ErrorCode::kCorruptData, seq, "unexpected or missing keys");
  }
  if (!IsUint(j, "seq", UINT64_MAX) || j["seq"].get<uint64_t>() != seq) {
    return LineError(ErrorCode::kCorruptData, seq,
                     "sequence number out of order (a record deleted, inserted or moved)");
  }
  if (!IsUint(j, "firm", UINT32_MAX)) return LineError(ErrorCode::kCorruptData, seq, "bad firm");
  uint32_t line_firm = j["firm"].get<uint32_t>();
  if (seq == 0) *firm = line_firm;
  if (line_firm != *firm) return LineError(ErrorCode::kCorruptData, seq, "another firm's record");
  if (!j["time"].is_number_integer()) return LineError(ErrorCode::kCorruptData, seq, "bad time");
  if (!j["prev"].is_string() ||
      j["prev"].get_ref<const std::string&>() != HexEncode(ByteSpan(prev))) {
    return LineError(ErrorCode::kCorruptData, seq,
                     "hash chain broken (this or the previous record was changed, removed or "
                     "moved)");
  }
  if (*is_checkpoint) {
    if (!j["sig"].is_string()) return LineError(ErrorCode::kCorruptData, seq, "bad signature");
    auto sig = HexDecode(j["sig"].get_ref<const std::string&>());
    if (!sig.ok() || sig->size() != crypto::kSignatureSize) {
      return LineError(ErrorCode::kCorruptData, seq, "bad signature encoding");
    }
    Bytes message = CheckpointMessage(line_firm, seq, j["time"].get<int64_t>(), ByteSpan(prev));
    if (!crypto::Ed25519Verify(public_key, message, *sig).ok()) {
      return LineError(ErrorCode::kBadSignature, seq,
                       "checkpoint signature does not verify (wrong public key, or the log "
                       "before it was changed)");
    }
    return Status::Ok();
  }
  for (const char* key : {"client", "event", "host", "mode", "reason", "user"}) {
    if (!j[key].is_string()) {
      return LineError(ErrorCode::kCorruptData, seq, "bad field " + std::string(key));
    }
  }
  if (version >= 2 && !j["address"].is_string()) {
    return LineError(ErrorCode::kCorruptData, seq, "bad field address");
  }
  const std::string& e = j["event"].get_ref<const std::string&>();
  if (e != "grant" && e != "release" && e != "expire" && e != "deny") {
    return LineError(ErrorCode::kCorruptData, seq, "unknown event");
  }
  if (!IsUint(j, "product", UINT32_MAX) || !IsUint(j, "lease", UINT64_MAX)) {
    return LineError(ErrorCode::kCorruptData, seq, "bad product or lease");
  }
  return Status::Ok();
}

}  // namespace

Bytes CheckpointMessage(uint32_t firm_code, uint64_t seq, int64_t time, ByteSpan prev) {
  static constexpr std::string_view kDomain = "licet-usage-checkpoint-v1";
  Bytes m(kDomain.begin(), kDomain.end());
  PutBigEndian(m, firm_code, 4);
  PutBigEndian(m, seq, 8);
  PutBigEndian(m, static_cast<uint64_t>(time), 8);
  m.insert(m.end(), prev.begin(), prev.end());
  return m;
}

Result<UsageAudit> VerifyUsageLog(ByteSpan file, ByteSpan public_key) {
  if (public_key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument, "a usage-log public key is 32 bytes (64 hex digits)");
  }
  UsageAudit audit;
  crypto::Hash prev{};
  size_t pos = 0;
  while (pos < file.size()) {
    uint64_t seq = audit.lines;
    size_t end = pos;
    while (end < file.size() && file[end] != '\n' && end - pos <= kUsageLogMaxLine) ++end;
    if (end - pos > kUsageLogMaxLine)
      return LineError(ErrorCode::kCorruptData, seq, "line too long");
    if (end == file.size()) {
      return LineError(ErrorCode::kCorruptData, seq, "truncated (no newline at the end)");
    }
    ByteSpan line = file.subspan(pos, end - pos);
    std::string_view text(reinterpret_cast<const char*>(line.data()), line.size());
    // The line limit bounds nesting; nlohmann parses and destroys without recursion.
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return LineError(ErrorCode::kCorruptData, seq, "not JSON");
    bool is_checkpoint = false;
    try {
      LICET_RETURN_IF_ERROR(CheckLine(j, seq, prev, &audit.firm_code, public_key, &is_checkpoint));
    } catch (const std::exception& e) {  // a type check missed: still never past this API
      return LineError(ErrorCode::kCorruptData, seq, e.what());
    }
    if (is_checkpoint) {
      ++audit.checkpoints;
      audit.unsigned_tail = 0;
    } else {
      ++audit.records;
      ++audit.unsigned_tail;
    }
    prev = crypto::Sha256(line);
    ++audit.lines;
    pos = end + 1;
  }
  return audit;
}

}  // namespace licet::network
