#include "container/device_binding.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "container/shamir.h"
#include "crypto/crypto.h"

namespace licet::container {
namespace {

constexpr std::string_view kShareInfo = "licet device share v1";

// HKDF info and AEAD associated data of a slot: a key and a ciphertext made for one kind and
// index cannot be moved to another.
Bytes SlotContext(PropertyKind kind, uint8_t x) {
  Bytes info(kShareInfo.begin(), kShareInfo.end());
  info.push_back(static_cast<uint8_t>(kind));
  info.push_back(x);
  return info;
}

Result<SecretBytes> SlotKey(const std::string& value, ByteSpan salt, ByteSpan context) {
  return crypto::HkdfSha256(AsBytes(value), salt, context, crypto::kKeySize);
}

// The share in `slot` if `value` is the value it was made for; nothing if not.
Result<std::optional<SecretBytes>> TryOpenSlot(const ShareSlot& slot, const std::string& value) {
  const Bytes context = SlotContext(slot.kind, slot.x);
  LICET_ASSIGN_OR_RETURN(SecretBytes key, SlotKey(value, slot.salt, context));
  Result<SecretBytes> share =
      crypto::AesGcmDecrypt(key.span(), slot.nonce, context, slot.ciphertext);
  if (share.ok()) return std::optional<SecretBytes>(std::move(share).value());
  if (share.status().code() == ErrorCode::kDecryptFailed) return std::optional<SecretBytes>();
  return std::move(share).status();
}

// All current values of `kind` (a caller may list a kind more than once).
std::vector<const std::string*> ValuesOf(const std::vector<DeviceProperty>& props,
                                         PropertyKind kind) {
  std::vector<const std::string*> values;
  for (const DeviceProperty& prop : props) {
    if (prop.kind != kind) continue;
    for (const std::string& value : prop.values) values.push_back(&value);
  }
  return values;
}

// The shares that the current properties open, ordered by x, at most one per x.
Result<std::vector<ShamirShare>> OpenShares(const DeviceBinding& binding,
                                            const std::vector<DeviceProperty>& props) {
  std::vector<ShamirShare> shares;
  for (int x = 1; x <= binding.count; ++x) {
    bool opened = false;
    for (const ShareSlot& slot : binding.slots) {
      if (slot.x != x || opened) continue;
      for (const std::string* value : ValuesOf(props, slot.kind)) {
        LICET_ASSIGN_OR_RETURN(std::optional<SecretBytes> share, TryOpenSlot(slot, *value));
        if (!share) continue;
        shares.push_back({slot.x, std::move(*share)});
        opened = true;
        break;
      }
    }
  }
  return shares;
}

std::string KindList(const std::vector<PropertyKind>& kinds) {
  std::string out;
  for (PropertyKind kind : kinds) {
    if (!out.empty()) out += ", ";
    out += PropertyKindName(kind);
  }
  return out;
}

Status TooFewProperties(const std::vector<PropertyKind>& found) {
  std::vector<PropertyKind> missing;
  for (PropertyKind kind : kAllPropertyKinds) {
    if (std::find(found.begin(), found.end(), kind) == found.end()) missing.push_back(kind);
  }
  return Error(ErrorCode::kInvalidArgument,
               "a soft container needs at least 2 device properties; found " +
                   (found.empty() ? std::string("none") : KindList(found)) +
                   "; missing: " + KindList(missing));
}

Status Corrupt(const std::string& message) {
  return Error(ErrorCode::kCorruptData, "device binding: " + message);
}

}  // namespace

Result<DeviceBinding> BindToDevice(const SecretBytes& master,
                                   const std::vector<DeviceProperty>& props, int threshold) {
  if (master.size() != kBindingSecretSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "device binding needs a " + std::to_string(kBindingSecretSize) +
                     "-byte secret, got " + std::to_string(master.size()));
  }
  std::vector<const DeviceProperty*> present;
  for (const DeviceProperty& prop : props) {
    if (!PropertyKindFromNumber(static_cast<uint8_t>(prop.kind))) {
      return Error(ErrorCode::kInvalidArgument,
                   "unknown device property kind " + std::to_string(static_cast<int>(prop.kind)));
    }
    for (const std::string& value : prop.values) {
      if (value.empty()) {
        return Error(ErrorCode::kInvalidArgument,
                     std::string("empty value for device property ") + PropertyKindName(prop.kind));
      }
    }
    if (prop.values.empty()) continue;
    for (const DeviceProperty* other : present) {
      if (other->kind == prop.kind) {
        return Error(ErrorCode::kInvalidArgument, std::string("device property ") +
                                                      PropertyKindName(prop.kind) + " given twice");
      }
    }
    present.push_back(&prop);
  }
  // Share indexes follow the kind order, whatever order the caller listed them in.
  std::sort(present.begin(), present.end(),
            [](const DeviceProperty* a, const DeviceProperty* b) { return a->kind < b->kind; });
  std::vector<PropertyKind> found;
  for (const DeviceProperty* prop : present) found.push_back(prop->kind);
  const int count = static_cast<int>(present.size());
  if (count < 2) return TooFewProperties(found);

  if (threshold == 0) threshold = std::max(2, count - 1);
  if (threshold < 2 || threshold > count) {
    return Error(ErrorCode::kInvalidArgument,
                 "device binding threshold must be between 2 and " + std::to_string(count) +
                     " (the number of device properties), got " + std::to_string(threshold));
  }

  LICET_ASSIGN_OR_RETURN(std::vector<ShamirShare> shares,
                         ShamirSplit(master.span(), threshold, count));
  DeviceBinding binding;
  binding.threshold = threshold;
  binding.count = count;
  for (size_t i = 0; i < present.size(); ++i) {
    const ShamirShare& share = shares[i];
    std::vector<std::string> values = present[i]->values;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() > kMaxValuesPerProperty) values.resize(kMaxValuesPerProperty);
    for (const std::string& value : values) {
      ShareSlot slot;
      slot.kind = present[i]->kind;
      slot.x = share.x;
      slot.salt = crypto::RandomBytes(kShareSaltSize);
      slot.nonce = crypto::RandomBytes(kShareNonceSize);
      const Bytes context = SlotContext(slot.kind, slot.x);
      LICET_ASSIGN_OR_RETURN(SecretBytes key, SlotKey(value, slot.salt, context));
      LICET_ASSIGN_OR_RETURN(
          slot.ciphertext, crypto::AesGcmEncrypt(key.span(), slot.nonce, context, share.y.span()));
      binding.slots.push_back(std::move(slot));
    }
  }
  // At most 4 single-valued kinds plus kMaxValuesPerProperty MACs.
  static_assert(std::size(kAllPropertyKinds) - 1 + kMaxValuesPerProperty <= kMaxShareSlots);
  return binding;
}

Result<SecretBytes> UnbindFromDevice(const DeviceBinding& binding,
                                     const std::vector<DeviceProperty>& props) {
  LICET_RETURN_IF_ERROR(ValidateDeviceBinding(binding));
  LICET_ASSIGN_OR_RETURN(std::vector<ShamirShare> shares, OpenShares(binding, props));
  const size_t needed = static_cast<size_t>(binding.threshold);
  if (shares.size() < needed) {
    return Error(ErrorCode::kDeviceMismatch,
                 "container is bound to another device (" + std::to_string(shares.size()) + " of " +
                     std::to_string(binding.count) + " device properties match, " +
                     std::to_string(needed) + " needed)");
  }
  // Exactly `threshold` shares, the lowest indexes: the same input always gives the same
  // output even if a tampered extra share would not lie on the polynomial.
  shares.resize(needed);
  return ShamirCombine(shares);
}

Status ValidateDeviceBinding(const DeviceBinding& binding) {
  if (binding.count < 2 || binding.count > 255) {
    return Corrupt("count must be between 2 and 255, got " + std::to_string(binding.count));
  }
  if (binding.threshold < 2 || binding.threshold > binding.count) {
    return Corrupt("threshold must be between 2 and count (" + std::to_string(binding.count) +
                   "), got " + std::to_string(binding.threshold));
  }
  if (binding.slots.empty() || binding.slots.size() > kMaxShareSlots) {
    return Corrupt("slots: between 1 and " + std::to_string(kMaxShareSlots) + " expected, got " +
                   std::to_string(binding.slots.size()));
  }
  // kind_of_x[x] = kind number of index x (0 = unseen); x_of_kind likewise.
  std::array<uint8_t, 256> kind_of_x{};
  std::array<uint8_t, 256> x_of_kind{};
  for (size_t i = 0; i < binding.slots.size(); ++i) {
    const ShareSlot& slot = binding.slots[i];
    const std::string field = "slots[" + std::to_string(i) + "].";
    const uint8_t kind = static_cast<uint8_t>(slot.kind);
    if (!PropertyKindFromNumber(kind)) {
      return Corrupt(field + "kind: unknown device property kind " + std::to_string(kind));
    }
    if (slot.x < 1 || slot.x > binding.count) {
      return Corrupt(field + "x: must be between 1 and count, got " + std::to_string(slot.x));
    }
    if ((kind_of_x[slot.x] != 0 && kind_of_x[slot.x] != kind) ||
        (x_of_kind[kind] != 0 && x_of_kind[kind] != slot.x)) {
      return Corrupt(field + "x: each property kind must have exactly one share index");
    }
    kind_of_x[slot.x] = kind;
    x_of_kind[kind] = slot.x;
    if (slot.salt.size() != kShareSaltSize) return Corrupt(field + "salt: wrong size");
    if (slot.nonce.size() != kShareNonceSize) return Corrupt(field + "nonce: wrong size");
    if (slot.ciphertext.size() != kShareCiphertextSize) {
      return Corrupt(field + "ciphertext: wrong size");
    }
  }
  for (int x = 1; x <= binding.count; ++x) {
    if (kind_of_x[static_cast<size_t>(x)] == 0) {
      return Corrupt("slots: no slot for share index " + std::to_string(x));
    }
  }
  return Status::Ok();
}

std::vector<PropertyMatch> MatchDeviceProperties(const DeviceBinding& binding,
                                                 const std::vector<DeviceProperty>& props) {
  std::vector<PropertyMatch> matches;
  if (!ValidateDeviceBinding(binding).ok()) return matches;
  Result<std::vector<ShamirShare>> shares = OpenShares(binding, props);
  if (!shares.ok()) return matches;
  for (int x = 1; x <= binding.count; ++x) {
    const auto slot = std::find_if(binding.slots.begin(), binding.slots.end(),
                                   [x](const ShareSlot& s) { return s.x == x; });
    const bool opened =
        std::any_of(shares->begin(), shares->end(), [x](const ShamirShare& s) { return s.x == x; });
    MatchState state = MatchState::kMatches;
    if (!opened) {
      state = ValuesOf(props, slot->kind).empty() ? MatchState::kAbsent : MatchState::kChanged;
    }
    matches.push_back({slot->kind, state});
  }
  return matches;
}

std::vector<std::string> MatchReport(const DeviceBinding& binding,
                                     const std::vector<DeviceProperty>& props) {
  std::vector<std::string> lines;
  const std::vector<PropertyMatch> matches = MatchDeviceProperties(binding, props);
  if (matches.empty()) {
    lines.push_back("device binding is invalid");
    return lines;
  }
  int matching = 0;
  for (const PropertyMatch& match : matches) {
    const char* state = "matches";
    if (match.state == MatchState::kChanged) state = "changed";
    if (match.state == MatchState::kAbsent) state = "absent";
    if (match.state == MatchState::kMatches) ++matching;
    lines.push_back(std::string(PropertyKindName(match.kind)) + ": " + state);
  }
  lines.push_back(std::to_string(matching) + " of " + std::to_string(binding.count) + " match, " +
                  std::to_string(binding.threshold) + " needed");
  return lines;
}

}  // namespace licet::container
