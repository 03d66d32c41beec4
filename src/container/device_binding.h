// Device binding of a soft container: its 32-byte master secret is split k-of-n by Shamir
// secret sharing, one share per device property, each share encrypted under a key derived
// from that property's value. Any k matching properties recover the secret, so one changed
// property (a replaced NIC, a new disk) still opens the container and a copy on another
// machine does not.
//
// Per share slot: key = HKDF-SHA256(ikm = property value, salt = 16 random bytes,
// info = "licet device share v1" || kind || x); AES-256-GCM with a random 12-byte nonce and
// AAD = info. A property with several values (MACs) has one share index x and one slot per
// value, so any one of its values counts as the match of that property.
//
// Binding deters copying, it is not a vault: whoever knows (or guesses) k property values of
// the bound machine recovers the secret.
#ifndef LICET_CONTAINER_DEVICE_BINDING_H_
#define LICET_CONTAINER_DEVICE_BINDING_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "container/fingerprint.h"

namespace licet::container {

inline constexpr size_t kBindingSecretSize = 32;
inline constexpr size_t kShareSaltSize = 16;
inline constexpr size_t kShareNonceSize = 12;
inline constexpr size_t kShareCiphertextSize = kBindingSecretSize + 16;  // share || GCM tag
inline constexpr size_t kMaxShareSlots = 64;
// Values of one property that get a slot (MACs beyond it, in sorted order, are left out).
inline constexpr size_t kMaxValuesPerProperty = 16;

// One encrypted Shamir share for one value of one property.
struct ShareSlot {
  PropertyKind kind = PropertyKind::kMachineId;
  uint8_t x = 0;     // Shamir index, 1..count; shared by all slots of one kind
  Bytes salt;        // kShareSaltSize
  Bytes nonce;       // kShareNonceSize
  Bytes ciphertext;  // kShareCiphertextSize
};

struct DeviceBinding {
  int threshold = 0;  // k: properties that must match
  int count = 0;      // n: properties bound, one share index each
  std::vector<ShareSlot> slots;
};

// Binds `master` (kBindingSecretSize bytes) to the device described by `props` (as returned
// by ReadDeviceProperties; properties without values count as absent). `threshold` 0 means
// the default n-1, at least 2; otherwise it must be in [2, n].
// kInvalidArgument: wrong secret size, a kind given twice or unknown, an empty value string,
// a bad threshold, or fewer than 2 properties (the message names those found and missing).
[[nodiscard]] Result<DeviceBinding> BindToDevice(const SecretBytes& master,
                                                 const std::vector<DeviceProperty>& props,
                                                 int threshold = 0);

// Recovers the master secret when at least `threshold` properties of `binding` match `props`.
// With more matches it always combines the shares of the lowest indexes, so the result is the
// same whichever extra properties match. The secret is not verified here: a tampered binding
// can yield a wrong one, which the caller detects when it opens the container body.
// kDeviceMismatch "container is bound to another device (2 of 5 device properties match,
// 4 needed)"; kCorruptData for a structurally invalid binding.
[[nodiscard]] Result<SecretBytes> UnbindFromDevice(const DeviceBinding& binding,
                                                   const std::vector<DeviceProperty>& props);

// OK when `binding` is well formed: 2 <= threshold <= count, 1..kMaxShareSlots slots with
// known kinds and exact field sizes, x in 1..count, one kind per x and one x per kind, and
// every x from 1 to count present. kCorruptData naming the field otherwise.
[[nodiscard]] Status ValidateDeviceBinding(const DeviceBinding& binding);

enum class MatchState {
  kMatches,  // a current value of this property decrypts its share
  kChanged,  // the property is present with other values
  kAbsent,   // this device does not have the property (any more)
};

struct PropertyMatch {
  PropertyKind kind;
  MatchState state;
};

// Per bound property, in share index order, whether it matches this device. Kinds and
// states only, never values: for `licet info` and diagnostics. Empty for an invalid binding.
std::vector<PropertyMatch> MatchDeviceProperties(const DeviceBinding& binding,
                                                 const std::vector<DeviceProperty>& props);

// MatchDeviceProperties as text lines: "machine-id: matches", "mac: changed",
// "dmi-uuid: absent", then "4 of 5 match, 4 needed".
std::vector<std::string> MatchReport(const DeviceBinding& binding,
                                     const std::vector<DeviceProperty>& props);

// {"threshold": k, "count": n, "slots": [{"kind": 1, "x": 1, "salt": bytes, "nonce": bytes,
// "ciphertext": bytes}, ...]} with byte strings as json::binary, so that json::to_cbor gives
// CBOR byte strings.
nlohmann::json DeviceBindingToJson(const DeviceBinding& binding);

// The strict inverse of DeviceBindingToJson, for untrusted input: exact keys and types,
// binary fields of exact sizes, then ValidateDeviceBinding. Never throws. Decode the bytes
// with format::DecodePayload (depth and size limits), not bare json::from_cbor.
// kCorruptData with the offending field ("slots[2].nonce: ...").
[[nodiscard]] Result<DeviceBinding> DeviceBindingFromJson(const nlohmann::json& json);

}  // namespace licet::container

#endif  // LICET_CONTAINER_DEVICE_BINDING_H_
