#include "network/borrow_table.h"

#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace licet::network {
namespace {

using nlohmann::json;

constexpr uint64_t kFileVersion = 1;

Status Corrupt(const std::string& why) {
  return Error(ErrorCode::kCorruptData, "borrow table: " + why);
}

std::optional<uint64_t> Uint(const json& m, const char* key, uint64_t max) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_number_unsigned()) return std::nullopt;
  uint64_t v = it->get<uint64_t>();
  if (v > max) return std::nullopt;
  return v;
}

std::optional<std::string> Text(const json& m, const char* key, size_t max) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_string() || it->get_ref<const std::string&>().size() > max) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

Result<BorrowRecord> DecodeRecord(const json& m) {
  if (!m.is_object()) return Corrupt("a loan is not a map");
  BorrowRecord r;
  auto id = Uint(m, "id", UINT64_MAX);
  auto firm = Uint(m, "firm", UINT32_MAX);
  auto product = Uint(m, "product", UINT32_MAX);
  auto feature = Uint(m, "feature", UINT32_MAX);
  auto issued = Uint(m, "issued", INT64_MAX);
  auto until = Uint(m, "until", INT64_MAX);
  auto serial = Text(m, "serial", 32);
  auto client_serial = Text(m, "client_serial", 32);
  auto host = Text(m, "host", 255);
  auto user = Text(m, "user", 255);
  auto address = Text(m, "address", 64);
  auto key = m.find("client_key");
  if (!id || *id == 0 || !firm || !product || !feature || !issued || !until || !serial ||
      !client_serial || !host || !user || !address || key == m.end() || !key->is_binary() ||
      key->get_binary().size() != 32) {
    return Corrupt("a loan has a missing or malformed field");
  }
  r.id = *id;
  r.firm_code = static_cast<uint32_t>(*firm);
  r.product_code = static_cast<uint32_t>(*product);
  r.feature_code = static_cast<uint32_t>(*feature);
  r.issued = static_cast<UnixTime>(*issued);
  r.until = static_cast<UnixTime>(*until);
  r.serial = *serial;
  r.client_serial = *client_serial;
  r.host = *host;
  r.user = *user;
  r.address = *address;
  r.client_sig_key.assign(key->get_binary().begin(), key->get_binary().end());
  return r;
}

Result<std::map<uint64_t, BorrowRecord>> DecodeUnchecked(ByteSpan file) {
  json doc = json::from_cbor(file.begin(), file.end(), true, false);
  if (doc.is_discarded() || !doc.is_object()) return Corrupt("not a CBOR map");
  auto version = Uint(doc, "v", UINT32_MAX);
  if (!version || *version != kFileVersion) {
    return Error(ErrorCode::kUnsupportedVersion, "borrow table: unknown version");
  }
  auto list = doc.find("borrows");
  if (list == doc.end() || !list->is_array()) return Corrupt("'borrows' must be an array");
  if (list->size() > kMaxBorrows) return Corrupt("too many loans");
  std::map<uint64_t, BorrowRecord> out;
  for (const json& m : *list) {
    LICET_ASSIGN_OR_RETURN(BorrowRecord r, DecodeRecord(m));
    if (!out.emplace(r.id, std::move(r)).second) return Corrupt("a loan id appears twice");
  }
  return out;
}

}  // namespace

BorrowTable::BorrowTable(std::string path, Env* env, const Clock* clock)
    : path_(std::move(path)), env_(env), clock_(clock) {}

Result<std::map<uint64_t, BorrowRecord>> BorrowTable::Decode(ByteSpan file) {
  if (file.size() > kMaxBorrowFileSize) return Corrupt("file too large");
  try {
    return DecodeUnchecked(file);
  } catch (const std::exception& e) {
    return Corrupt(e.what());
  }
}

Bytes BorrowTable::Encode(const std::map<uint64_t, BorrowRecord>& records) {
  json list = json::array();
  for (const auto& [id, r] : records) {
    list.push_back(json{{"id", r.id},
                        {"firm", r.firm_code},
                        {"product", r.product_code},
                        {"feature", r.feature_code},
                        {"serial", r.serial},
                        {"client_serial", r.client_serial},
                        {"client_key", json::binary(r.client_sig_key)},
                        {"host", r.host},
                        {"user", r.user},
                        {"address", r.address},
                        {"issued", static_cast<uint64_t>(r.issued)},
                        {"until", static_cast<uint64_t>(r.until)}});
  }
  json doc{{"v", kFileVersion}, {"borrows", std::move(list)}};
  return json::to_cbor(doc);
}

Status BorrowTable::Load() {
  records_.clear();
  if (path_.empty() || !env_->FileExists(path_)) return Status::Ok();
  LICET_ASSIGN_OR_RETURN(Bytes file, env_->ReadFile(path_, kMaxBorrowFileSize));
  auto decoded = Decode(file);
  if (!decoded.ok()) return decoded.status().WithContext(path_);
  records_ = std::move(*decoded);
  Expire();
  return Status::Ok();
}

Status BorrowTable::Save(const std::map<uint64_t, BorrowRecord>& records) {
  if (path_.empty()) return Status::Ok();
  return env_->WriteFileAtomic(path_, Encode(records), 0600);
}

uint32_t BorrowTable::Active(uint32_t firm_code, uint32_t product_code,
                             const std::string& serial) const {
  const UnixTime now = clock_->Now();
  uint32_t n = 0;
  for (const auto& [id, r] : records_) {
    if (r.firm_code == firm_code && r.product_code == product_code && r.serial == serial &&
        r.until > now) {
      ++n;
    }
  }
  return n;
}

Status BorrowTable::Add(const BorrowRecord& record) {
  if (record.id == 0 || records_.count(record.id) != 0) {
    return Error(ErrorCode::kAlreadyExists, "borrow id already in use");
  }
  Expire();
  if (records_.size() >= kMaxBorrows) {
    return Error(ErrorCode::kNoMoreLicenses,
                 "the network server keeps at most " + std::to_string(kMaxBorrows) + " loans");
  }
  // Persist first: a loan that a restart would forget must not be granted.
  auto next = records_;
  next.emplace(record.id, record);
  LICET_RETURN_IF_ERROR(Save(next).WithContext("cannot record the borrow"));
  records_ = std::move(next);
  return Status::Ok();
}

Result<BorrowRecord> BorrowTable::Find(uint64_t id) const {
  auto it = records_.find(id);
  if (it == records_.end() || it->second.until <= clock_->Now()) {
    return Error(ErrorCode::kEntryNotFound, "the network server has no live loan " +
                                                std::to_string(id) +
                                                " (returned already, expired, or never made)");
  }
  return it->second;
}

Result<BorrowRecord> BorrowTable::Remove(uint64_t id) {
  LICET_ASSIGN_OR_RETURN(BorrowRecord r, Find(id));
  auto next = records_;
  next.erase(id);
  LICET_RETURN_IF_ERROR(Save(next).WithContext("cannot record the return"));
  records_ = std::move(next);
  return r;
}

std::vector<BorrowRecord> BorrowTable::Expire() {
  const UnixTime now = clock_->Now();
  std::vector<BorrowRecord> gone;
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->second.until <= now) {
      gone.push_back(std::move(it->second));
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

json BorrowTable::Rows(size_t limit) const {
  json rows = json::array();
  const UnixTime now = clock_->Now();
  for (const auto& [id, r] : records_) {
    if (rows.size() >= limit) break;
    if (r.until <= now) continue;
    rows.push_back({{"borrow_id", r.id},
                    {"client", r.host + "\\" + r.user},
                    {"host", r.host},
                    {"user", r.user},
                    {"address", r.address},
                    {"container", r.serial},
                    {"client_container", r.client_serial},
                    {"firm_code", r.firm_code},
                    {"product_code", r.product_code},
                    {"mode", "borrowed"},
                    {"since", FormatTime(r.issued)},
                    {"until", FormatTime(r.until)}});
  }
  return rows;
}

}  // namespace licet::network
