#include "engine/borrow_entry.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "crypto/crypto.h"
#include "format/cbor.h"
#include "format/cose.h"
#include "model/serialize.h"

namespace licet::engine {
namespace {

using nlohmann::json;

constexpr char kEntryAad[] = "licet-borrow-entry-v1";
constexpr char kSecretAad[] = "licet-borrow-secret-v1";
constexpr uint64_t kEntryVersion = 1;

ByteSpan Aad(const char* text) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(text), std::char_traits<char>::length(text));
}

Status Corrupt(const std::string& why) {
  return Error(ErrorCode::kCorruptData, "borrow entry: " + why);
}

std::optional<uint64_t> Uint(const json& m, const char* key, uint64_t max) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_number_unsigned() || it->get<uint64_t>() > max) return std::nullopt;
  return it->get<uint64_t>();
}

std::optional<std::string> Text(const json& m, const char* key, size_t max) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_string() || it->get_ref<const std::string&>().size() > max) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<Bytes> Key(const json& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_binary() || it->get_binary().size() != model::kPublicKeySize) {
    return std::nullopt;
  }
  return Bytes(it->get_binary().begin(), it->get_binary().end());
}

// The item as it is lent: one seat until `until`, not lendable again, no units.
model::ProductItem LentItem(const model::ProductItem& item, UnixTime until) {
  model::ProductItem lent = item;
  lent.expiration = std::min(item.expiration.value_or(until), until);
  lent.license_quantity = 1;
  lent.borrow = model::BorrowRules{};
  lent.unit_counter.reset();
  for (model::ModuleItem& m : lent.modules) m.unit_counter.reset();
  lent.secret_data = model::ItemSecret();
  return lent;
}

Result<BorrowEntry> ReadUnchecked(ByteSpan entry) {
  if (entry.size() > kMaxBorrowEntryFileSize) return Corrupt("larger than 16 KiB");
  LICET_ASSIGN_OR_RETURN(format::CoseSign1 signed_entry, format::CoseSign1Parse(entry));
  const Bytes& payload = signed_entry.payload;
  // Bound depth and size before nlohmann's recursive decoder sees the bytes.
  LICET_ASSIGN_OR_RETURN(size_t used,
                         format::CborValidatePrefix(payload, format::CborLimits{8, 1024}));
  if (used != payload.size()) return Corrupt("trailing bytes after the payload");
  json m = json::from_cbor(payload.begin(), payload.end(), true, false);
  if (m.is_discarded() || !m.is_object()) return Corrupt("the payload is not a CBOR map");
  auto version = Uint(m, "v", UINT32_MAX);
  if (!version || *version != kEntryVersion) {
    return Error(ErrorCode::kUnsupportedVersion, "borrow entry: unknown version");
  }
  BorrowEntry e;
  auto id = Uint(m, "borrow_id", UINT64_MAX);
  auto server_serial = Text(m, "server_serial", 32);
  auto server_key = Key(m, "server_key");
  auto client_serial = Text(m, "client_serial", 32);
  auto firm = Uint(m, "firm_code", UINT32_MAX);
  auto firm_name = Text(m, "firm_name", model::kMaxFirmNameSize);
  auto firm_key = Key(m, "firm_key");
  auto product = Uint(m, "product_code", UINT32_MAX);
  auto feature = Uint(m, "feature_code", UINT32_MAX);
  auto issued = Uint(m, "issued", model::kMaxTime);
  auto until = Uint(m, "until", model::kMaxTime);
  auto item = m.find("item");
  if (!id || *id == 0 || !server_serial || !server_key || !client_serial || !firm || *firm == 0 ||
      !firm_name || !firm_key || !product || *product == 0 || !feature || !issued || !until ||
      *until <= *issued || item == m.end()) {
    return Corrupt("a field is missing or malformed");
  }
  LICET_RETURN_IF_ERROR(format::CoseSign1Verify(signed_entry, Aad(kEntryAad), *server_key)
                            .WithContext("borrow entry"));
  LICET_ASSIGN_OR_RETURN(e.item, model::ProductItemFromJson(*item));
  if (e.item.product_code != *product) return Corrupt("the item is not the product named");
  if (!e.item.secret_data.empty()) return Corrupt("the item's secret travels encrypted only");
  e.borrow_id = *id;
  e.server_serial = *server_serial;
  e.server_key = *server_key;
  e.client_serial = *client_serial;
  e.firm_code = static_cast<uint32_t>(*firm);
  e.firm_name = *firm_name;
  e.firm_key = *firm_key;
  e.product_code = static_cast<uint32_t>(*product);
  e.feature_code = static_cast<uint32_t>(*feature);
  e.issued = static_cast<UnixTime>(*issued);
  e.until = static_cast<UnixTime>(*until);
  return e;
}

// The encrypted secret of a verified entry (empty when the item has none).
Result<Bytes> SecretOf(ByteSpan entry) {
  LICET_ASSIGN_OR_RETURN(format::CoseSign1 signed_entry, format::CoseSign1Parse(entry));
  json m = json::from_cbor(signed_entry.payload.begin(), signed_entry.payload.end(), true, false);
  if (m.is_discarded() || !m.is_object()) return Corrupt("the payload is not a CBOR map");
  auto it = m.find("secret");
  if (it == m.end()) return Bytes();
  if (!it->is_binary() || it->get_binary().size() > 1024) return Corrupt("malformed secret");
  return Bytes(it->get_binary().begin(), it->get_binary().end());
}

}  // namespace

Result<Bytes> MakeBorrowEntry(const SoftContainer& server, const model::FirmItem& firm,
                              const model::ProductItem& item, const BorrowGrantInfo& info) {
  if (info.until <= info.issued || info.borrow_id == 0) {
    return Error(ErrorCode::kInvalidArgument, "a loan needs an id and until > issued");
  }
  model::ProductItem lent = LentItem(item, info.until);
  LICET_RETURN_IF_ERROR(model::Validate(lent));
  json m{{"v", kEntryVersion},
         {"borrow_id", info.borrow_id},
         {"server_serial", server.serial},
         {"server_key", json::binary(server.sig_public_key)},
         {"client_serial", info.client_serial},
         {"firm_code", firm.firm_code},
         {"firm_name", firm.name},
         {"firm_key", json::binary(firm.public_key)},
         {"product_code", item.product_code},
         {"feature_code", info.feature_code},
         {"issued", static_cast<uint64_t>(info.issued)},
         {"until", static_cast<uint64_t>(info.until)},
         {"item", model::ToJson(lent)}};
  if (!item.secret_data.empty()) {
    LICET_ASSIGN_OR_RETURN(
        Bytes secret,
        format::CoseEncryptX25519(item.secret_data.span(), Aad(kSecretAad), info.client_enc_key,
                                  Bytes(info.client_serial.begin(), info.client_serial.end())));
    m["secret"] = json::binary(std::move(secret));
  }
  const std::vector<uint8_t> payload = json::to_cbor(m);
  return format::CoseSign1Sign(payload, Aad(kEntryAad), server.sig_private_key);
}

Result<BorrowEntry> ReadBorrowEntry(ByteSpan entry) {
  try {
    return ReadUnchecked(entry);
  } catch (const std::exception& e) {
    return Corrupt(e.what());
  }
}

Result<BorrowEntry> OpenBorrowEntry(ByteSpan entry, const SoftContainer& client, UnixTime now) {
  LICET_ASSIGN_OR_RETURN(BorrowEntry e, ReadBorrowEntry(entry));
  if (e.client_serial != client.serial) {
    return Error(ErrorCode::kWrongContainer,
                 "the borrow entry is for container " + e.client_serial + ", not " + client.serial);
  }
  if (e.until <= now) {
    return Error(ErrorCode::kExpired,
                 "the borrow entry expired at " + FormatTime(e.until) + "; borrow again");
  }
  Result<Bytes> secret = Error(ErrorCode::kInternal, "");
  try {
    secret = SecretOf(entry);
  } catch (const std::exception& ex) {
    secret = Corrupt(ex.what());
  }
  if (!secret.ok()) return secret.status();
  if (!secret->empty()) {
    auto plain = format::CoseDecryptX25519(*secret, Aad(kSecretAad), client.enc_private_key);
    if (!plain.ok()) {
      return Error(ErrorCode::kWrongContainer,
                   "the borrow entry's secret does not open with container " + client.serial +
                       "'s key (" + plain.status().message() + ")");
    }
    if (plain->size() != model::kSecretSize) return Corrupt("the secret is not 32 bytes");
    e.item.secret_data = model::ItemSecret(std::move(*plain));
  }
  return e;
}

Status InstallBorrowedItem(SoftContainer& client, const BorrowEntry& entry) {
  model::FirmItem* firm = client.state.FindFirm(entry.firm_code);
  if (firm != nullptr) {
    if (!crypto::ConstantTimeEqual(firm->public_key, entry.firm_key)) {
      return Error(ErrorCode::kUntrustedSigner, "container " + client.serial + " has firm " +
                                                    std::to_string(entry.firm_code) +
                                                    " under another key than the network server");
    }
    if (firm->FindProduct(entry.product_code) != nullptr ||
        firm->FindModuleParent(entry.product_code) != nullptr) {
      return Error(ErrorCode::kAlreadyExists, "container " + client.serial +
                                                  " already holds product " +
                                                  std::to_string(entry.product_code) + " of firm " +
                                                  std::to_string(entry.firm_code));
    }
  }
  model::ContainerState next = client.state;
  if (firm == nullptr) {
    model::FirmItem f;
    f.firm_code = entry.firm_code;
    f.name = entry.firm_name;
    f.public_key = entry.firm_key;
    next.firms.push_back(std::move(f));
  }
  next.FindFirm(entry.firm_code)->products.push_back(entry.item);
  LICET_RETURN_IF_ERROR(model::Validate(next).WithContext("borrowed item"));
  client.state = std::move(next);
  return Status::Ok();
}

bool RemoveBorrowedItem(SoftContainer& client, uint32_t firm_code, uint32_t product_code) {
  model::FirmItem* firm = client.state.FindFirm(firm_code);
  if (firm == nullptr) return false;
  auto& products = firm->products;
  auto it = std::find_if(products.begin(), products.end(), [&](const model::ProductItem& p) {
    return p.product_code == product_code;
  });
  if (it == products.end()) return false;
  products.erase(it);
  if (products.empty() && firm->fuc == 0) {
    auto& firms = client.state.firms;
    firms.erase(std::find_if(firms.begin(), firms.end(),
                             [&](const model::FirmItem& f) { return f.firm_code == firm_code; }));
  }
  return true;
}

}  // namespace licet::engine
