// Firms, API keys and products.
#include "central/store/store.h"
#include "central/store/store_internal.h"

namespace licet::central::store {
namespace {

using internal::I;
using internal::OptInt;

constexpr const char* kFirmColumns = "firm_code, name, public_key, sealed_secrets, created_at";

FirmRecord FirmFromRow(const Row& r) {
  return FirmRecord{internal::U32(r, 0), r.Text(1), r.Blob(2), r.Blob(3), r.Int(4)};
}

constexpr const char* kKeyColumns =
    "id, prefix, secret_hash, scopes, firm_code, description, created_at, revoked_at";

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    if (sp > pos) out.push_back(text.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

ApiKeyRecord KeyFromRow(const Row& r) {
  ApiKeyRecord k;
  k.id = r.Text(0);
  k.prefix = r.Text(1);
  k.secret_hash = r.Blob(2);
  k.scopes = SplitScopes(r.Text(3));
  if (!r.IsNull(4)) k.firm_code = internal::U32(r, 4);
  k.description = r.Text(5);
  k.created_at = r.Int(6);
  k.revoked_at = OptInt(r, 7);
  return k;
}

constexpr const char* kProductColumns =
    "firm_code, product_code, name, sealed_template, created_at";

ProductRecord ProductFromRow(const Row& r) {
  return ProductRecord{internal::U32(r, 0), internal::U32(r, 1), r.Text(2), r.Blob(3), r.Int(4)};
}

}  // namespace

Status Tx::InsertFirm(const FirmRecord& f) {
  LICET_ASSIGN_OR_RETURN(
      int64_t n, Exec("INSERT INTO firms (firm_code, name, public_key, sealed_secrets, created_at) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (firm_code) DO NOTHING",
                      {I(f.firm_code), f.name, f.public_key, f.sealed_secrets, f.created_at}));
  if (n == 0) {
    return Error(ErrorCode::kAlreadyExists, "firm " + std::to_string(f.firm_code) + " exists");
  }
  return Status::Ok();
}

Result<std::optional<FirmRecord>> Tx::GetFirm(uint32_t firm_code) {
  LICET_ASSIGN_OR_RETURN(
      auto rows, Query(std::string("SELECT ") + kFirmColumns + " FROM firms WHERE firm_code = ?",
                       {I(firm_code)}));
  if (rows.empty()) return std::optional<FirmRecord>();
  return std::optional<FirmRecord>(FirmFromRow(rows[0]));
}

Result<std::vector<FirmRecord>> Tx::ListFirms(uint32_t after, int limit,
                                              std::optional<uint32_t> only_firm) {
  std::vector<Row> rows;
  if (only_firm) {
    LICET_ASSIGN_OR_RETURN(rows, Query(std::string("SELECT ") + kFirmColumns +
                                           " FROM firms WHERE firm_code > ? AND firm_code = ?"
                                           " ORDER BY firm_code LIMIT ?",
                                       {I(after), I(*only_firm), limit}));
  } else {
    LICET_ASSIGN_OR_RETURN(rows, Query(std::string("SELECT ") + kFirmColumns +
                                           " FROM firms WHERE firm_code > ?"
                                           " ORDER BY firm_code LIMIT ?",
                                       {I(after), limit}));
  }
  std::vector<FirmRecord> out;
  for (const Row& r : rows) out.push_back(FirmFromRow(r));
  return out;
}

Status Tx::InsertApiKey(const ApiKeyRecord& k) {
  std::string scopes;
  for (const auto& s : k.scopes) scopes += (scopes.empty() ? "" : " ") + s;
  LICET_ASSIGN_OR_RETURN(
      int64_t n,
      Exec("INSERT INTO api_keys (id, prefix, secret_hash, scopes, firm_code, description, "
           "created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
           {k.id, k.prefix, k.secret_hash, scopes, internal::OrNull(k.firm_code), k.description,
            k.created_at}));
  if (n == 0) return Error(ErrorCode::kAlreadyExists, "API key id collision");
  return Status::Ok();
}

Result<std::optional<ApiKeyRecord>> Tx::FindApiKeyByHash(ByteSpan secret_hash) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query(std::string("SELECT ") + kKeyColumns +
                                              " FROM api_keys WHERE secret_hash = ?",
                                          {Bytes(secret_hash.begin(), secret_hash.end())}));
  if (rows.empty()) return std::optional<ApiKeyRecord>();
  return std::optional<ApiKeyRecord>(KeyFromRow(rows[0]));
}

Result<std::vector<ApiKeyRecord>> Tx::ListApiKeys() {
  LICET_ASSIGN_OR_RETURN(
      auto rows,
      Query(std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_at, id", {}));
  std::vector<ApiKeyRecord> out;
  for (const Row& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

Status Tx::RevokeApiKey(const std::string& id, UnixTime now) {
  LICET_ASSIGN_OR_RETURN(auto rows, Query("SELECT id FROM api_keys WHERE id = ?", {id}));
  if (rows.empty()) return Error(ErrorCode::kNotFound, "no API key " + id);
  LICET_RETURN_IF_ERROR(
      Exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, id}));
  return Status::Ok();
}

Status Tx::InsertProduct(const ProductRecord& p) {
  LICET_ASSIGN_OR_RETURN(
      int64_t n,
      Exec("INSERT INTO products (firm_code, product_code, name, sealed_template, created_at) "
           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (firm_code, product_code) DO NOTHING",
           {I(p.firm_code), I(p.product_code), p.name, p.sealed_template, p.created_at}));
  if (n == 0) {
    return Error(ErrorCode::kAlreadyExists, "product " + std::to_string(p.product_code) +
                                                " of firm " + std::to_string(p.firm_code) +
                                                " exists");
  }
  return Status::Ok();
}

Result<std::optional<ProductRecord>> Tx::GetProduct(uint32_t firm_code, uint32_t product_code) {
  LICET_ASSIGN_OR_RETURN(auto rows,
                         Query(std::string("SELECT ") + kProductColumns +
                                   " FROM products WHERE firm_code = ? AND product_code = ?",
                               {I(firm_code), I(product_code)}));
  if (rows.empty()) return std::optional<ProductRecord>();
  return std::optional<ProductRecord>(ProductFromRow(rows[0]));
}

Result<std::vector<ProductRecord>> Tx::ListProducts(uint32_t firm_code, uint32_t after, int limit) {
  LICET_ASSIGN_OR_RETURN(auto rows,
                         Query(std::string("SELECT ") + kProductColumns +
                                   " FROM products WHERE firm_code = ? AND product_code > ?"
                                   " ORDER BY product_code LIMIT ?",
                               {I(firm_code), I(after), limit}));
  std::vector<ProductRecord> out;
  for (const Row& r : rows) out.push_back(ProductFromRow(r));
  return out;
}

}  // namespace licet::central::store
