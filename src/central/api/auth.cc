#include "central/api/auth.h"

#include "crypto/crypto.h"

namespace licet::central::api {
namespace {

constexpr std::string_view kPrefix = "lck_";

std::string RandomBase32(size_t n) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  Bytes r = crypto::RandomBytes(n);
  std::string out;
  for (uint8_t b : r) out += kAlphabet[b & 31];
  return out;
}

Bytes HashKey(std::string_view key) {
  crypto::Hash h = crypto::Sha256(AsBytes(key));
  return Bytes(h.begin(), h.end());
}

}  // namespace

const std::vector<std::string>& AllScopes() {
  static const std::vector<std::string> scopes = {
      "firms:read",   "firms:write",   "products:read",     "products:write",   "orders:read",
      "orders:write", "licenses:read", "activations:write", "containers:write", "audit:read"};
  return scopes;
}

Result<std::vector<std::string>> ParseScopes(std::string_view list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    std::string scope(list.substr(pos, comma - pos));
    while (!scope.empty() && scope.front() == ' ') scope.erase(scope.begin());
    while (!scope.empty() && scope.back() == ' ') scope.pop_back();
    pos = comma + 1;
    if (scope.empty()) continue;
    bool known = scope == "*";
    for (const auto& s : AllScopes()) known = known || s == scope;
    if (!known) {
      std::string all = "*";
      for (const auto& s : AllScopes()) all += ", " + s;
      return Error(ErrorCode::kInvalidArgument,
                   "unknown scope '" + scope + "' (known: " + all + ")");
    }
    for (const auto& s : out) {
      if (s == scope) return Error(ErrorCode::kInvalidArgument, "scope '" + scope + "' twice");
    }
    out.push_back(scope);
  }
  if (out.empty()) return Error(ErrorCode::kInvalidArgument, "a key needs at least one scope");
  return out;
}

Result<NewApiKey> CreateApiKey(store::Store& store, const std::vector<std::string>& scopes,
                               std::optional<uint32_t> firm_code, const std::string& description,
                               UnixTime now) {
  if (scopes.empty()) return Error(ErrorCode::kInvalidArgument, "a key needs at least one scope");
  NewApiKey out;
  std::string id = RandomBase32(10);
  out.key = std::string(kPrefix) + id + "_" + RandomBase32(32);  // 160 bits of secret
  out.record.id = id;
  out.record.prefix = std::string(kPrefix) + id;
  out.record.secret_hash = HashKey(out.key);
  out.record.scopes = scopes;
  out.record.firm_code = firm_code;
  out.record.description = description;
  out.record.created_at = now;
  Status st = store.Transact(store::TxMode::kWrite, [&](store::Tx& tx) -> Status {
    if (firm_code) {
      LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(*firm_code));
      if (!firm) {
        return Error(ErrorCode::kFirmNotFound,
                     "no firm " + std::to_string(*firm_code) + " to restrict the key to");
      }
    }
    return tx.InsertApiKey(out.record);
  });
  if (!st.ok()) return st;
  return out;
}

Result<store::ApiKeyRecord> Authenticate(store::Store& store, std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > 200 || authorization.substr(0, kBearer.size()) != kBearer) {
    return Error(ErrorCode::kInvalidArgument, "expected 'Authorization: Bearer lck_...'");
  }
  std::string_view key = authorization.substr(kBearer.size());
  if (key.substr(0, kPrefix.size()) != kPrefix) {
    return Error(ErrorCode::kInvalidArgument, "expected 'Authorization: Bearer lck_...'");
  }
  Bytes hash = HashKey(key);
  auto found = store.TransactResult<std::optional<store::ApiKeyRecord>>(
      store::TxMode::kRead, [&](store::Tx& tx) { return tx.FindApiKeyByHash(hash); });
  if (!found.ok()) return found.status();
  if (!found->has_value() || !crypto::ConstantTimeEqual((*found)->secret_hash, hash) ||
      (*found)->revoked_at.has_value()) {
    return Error(ErrorCode::kNotFound, "unknown or revoked API key");
  }
  return std::move(**found);
}

bool HasScope(const store::ApiKeyRecord& key, std::string_view scope) {
  for (const auto& s : key.scopes) {
    if (s == "*" || s == scope) return true;
  }
  return false;
}

}  // namespace licet::central::api
