// The license data model (DESIGN §1): firm items, product items and their module items,
// and the license state of a container. Plain values: no I/O, no clock; times are passed in.
//
// Every struct here is a copyable value with `operator==`, so that the update engine can
// work on a copy and commit all-or-nothing, and tests can compare whole states.
// `Validate*` functions check ranges and sizes; the update engine and the decoders in
// serialize.h run them, so an item that reaches a container has always been validated.
#ifndef LICET_MODEL_ITEMS_H_
#define LICET_MODEL_ITEMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/utf8.h"

namespace licet::model {

// ---- Limits (also enforced by the decoders, which refuse larger input) ----

inline constexpr size_t kMaxTextSize = 256;        // bytes of UTF-8
inline constexpr size_t kMaxDataSize = 256;        // protected_data, hidden_data
inline constexpr size_t kSecretSize = 32;          // secret_data when set
inline constexpr size_t kAccessCodeHashSize = 32;  // SHA-256
inline constexpr size_t kPublicKeySize = 32;       // Ed25519
inline constexpr size_t kMaxFirmNameSize = 128;    // bytes of UTF-8
inline constexpr size_t kMaxModulesPerProduct = 64;
inline constexpr size_t kMaxProductsPerFirm = 1000;
inline constexpr size_t kMaxFirmsPerContainer = 1000;
// 9999-12-31T23:59:59Z: the last instant RFC 3339 can write with four year digits.
inline constexpr UnixTime kMaxTime = 253402300799;
inline constexpr int64_t kMaxUsagePeriod = int64_t{100} * 366 * 86400;  // 100 years
inline constexpr int64_t kMaxLingerTime = int64_t{366} * 86400;         // 1 year
inline constexpr uint32_t kMaxCheckpointDays = 3660;                    // 10 years
inline constexpr uint32_t kMaxBorrowDays = 3660;

// ---- Access modes ----

// How an access may use a product item's seats (DESIGN §3). A product item allows a set of
// them, kept as a bit mask of these values.
enum class AccessMode : uint8_t {
  kUserLimit = 1,     // one seat per handle
  kStationShare = 2,  // one seat per machine, any number of handles
  kExclusive = 4,     // only this handle on the machine
  kNoUserLimit = 8,   // no seat consumed: must be granted explicitly by the vendor
};
using AccessModeMask = uint8_t;
inline constexpr AccessModeMask kAllAccessModeBits = 0x0f;
// The default of a new item: every mode that counts seats, not kNoUserLimit.
inline constexpr AccessModeMask kDefaultAccessModes = 0x07;

constexpr AccessModeMask ModeBit(AccessMode mode) { return static_cast<AccessModeMask>(mode); }
constexpr bool Allows(AccessModeMask mask, AccessMode mode) { return (mask & ModeBit(mode)) != 0; }

// "user-limit", "station-share", "exclusive", "no-user-limit".
const char* AccessModeName(AccessMode mode);
// The inverse of AccessModeName; kInvalidArgument for any other text.
Result<AccessMode> ParseAccessMode(std::string_view name);
// Comma-separated names of the bits set, in bit order ("user-limit,exclusive"); "" for 0.
std::string FormatAccessModes(AccessModeMask mask);
// Parses a comma-separated list of names (spaces around names allowed); refuses an empty
// list, unknown names and duplicates with kInvalidArgument.
Result<AccessModeMask> ParseAccessModes(std::string_view list);

// ---- Secrets ----

// A product item's secret_data. It is a SecretBytes (wiped when destroyed, never printed)
// that can be copied: product items are values that the update engine copies to apply an
// update all-or-nothing, and every copy is wiped in turn. Comparison is constant-time.
class ItemSecret {
 public:
  ItemSecret() = default;
  explicit ItemSecret(SecretBytes bytes) : bytes_(std::move(bytes)) {}
  explicit ItemSecret(ByteSpan bytes) : bytes_(bytes) {}
  ItemSecret(const ItemSecret& other) : bytes_(other.bytes_.Clone()) {}
  ItemSecret& operator=(const ItemSecret& other) {
    if (this != &other) bytes_ = other.bytes_.Clone();
    return *this;
  }
  ItemSecret(ItemSecret&&) noexcept = default;
  ItemSecret& operator=(ItemSecret&&) noexcept = default;
  ~ItemSecret() = default;

  const SecretBytes& bytes() const { return bytes_; }
  ByteSpan span() const { return bytes_.span(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  bool operator==(const ItemSecret& other) const;  // constant-time

 private:
  SecretBytes bytes_;
};

// The product secret that an item with an empty secret_data stands for (DESIGN §1):
// HKDF-SHA256(ikm = firm secret, salt = "licet/product-secret/v1",
//             info = firm_code (4 bytes big-endian) || product_code (4 bytes big-endian)), 32
//             bytes.
// Only the vendor side (firm.key, Central) holds the firm secret; it resolves an empty
// secret_data with this before the item is put into an update for a container, so every
// container and the protection tool arrive at the same key. kInvalidArgument unless the
// firm secret is 32 bytes.
Result<SecretBytes> DeriveProductSecret(const SecretBytes& firm_secret, uint32_t firm_code,
                                        uint32_t product_code);

// SHA-256 of a hidden-data access code, as stored in ProductItem::hidden_access_code.
// A hash, not the code: the code is the app's secret and must not be readable from the
// container; a plain (unsalted) hash suffices because the hidden data it guards lies in the
// same encrypted container anyway.
Bytes HashAccessCode(ByteSpan access_code);

// ---- Items ----

// Borrowing (taking a network seat to a disconnected machine). 0 days: not allowed.
struct BorrowRules {
  uint32_t max_days = 0;   // longest borrow, in days
  uint32_t max_seats = 0;  // seats that may be borrowed at once; <= license_quantity
  bool allowed() const { return max_days > 0; }
  bool operator==(const BorrowRules&) const = default;
};

// A sub-license of a product item: own product code, feature map and units; the time limits
// (expiration, activation, usage period, checkpoint) and seats are its parent's.
struct ModuleItem {
  uint32_t product_code = 0;  // non-zero, unique within the firm item
  uint32_t feature_map = 0;
  std::optional<uint64_t> unit_counter;
  std::string text;  // <= kMaxTextSize bytes of UTF-8
  bool operator==(const ModuleItem&) const = default;
};

// One license entry of a firm in a container (DESIGN §1). Absent optionals mean "no limit".
struct ProductItem {
  uint32_t product_code = 0;                // non-zero; 0 is reserved as "any product" in searches
  uint32_t feature_map = 0;                 // licensed feature bits
  std::optional<uint64_t> unit_counter;     // pay-per-use units left
  std::optional<UnixTime> expiration;       // valid while now < expiration
  std::optional<UnixTime> activation_time;  // valid from this time on
  std::optional<int64_t> usage_period;      // seconds, counted from usage_started
  std::optional<UnixTime> usage_started;    // set by the runtime at first use (MarkFirstUse)
  std::optional<UnixTime> maintenance_until;  // releases dated after it are not covered
  uint32_t license_quantity = 1;              // seats for network use, >= 1
  AccessModeMask access_modes = kDefaultAccessModes;
  int64_t linger_time = 0;                  // seconds a released seat stays taken
  std::string text;                         // <= kMaxTextSize bytes of UTF-8
  Bytes protected_data;                     // readable by the app, <= kMaxDataSize
  Bytes hidden_data;                        // readable with the access code, <= kMaxDataSize
  Bytes hidden_access_code;                 // HashAccessCode(code); required with hidden_data
  ItemSecret secret_data;                   // 32 bytes, or empty = derived (DeriveProductSecret)
  std::optional<uint32_t> checkpoint_days;  // must be renewed online every N days
  std::optional<UnixTime> last_checkpoint;  // certified time of the last renewal
  BorrowRules borrow;
  std::vector<ModuleItem> modules;  // <= kMaxModulesPerProduct

  // True when the item is limited in time: expiration, activation time, usage period or
  // checkpoint. Only such items are refused when the clock was set back.
  bool HasTimeLimits() const;
  const ModuleItem* FindModule(uint32_t module_code) const;
  ModuleItem* FindModule(uint32_t module_code);

  bool operator==(const ProductItem&) const = default;
};

// Sets hidden_data and the hash of the code that unlocks it.
void SetHiddenData(ProductItem& item, Bytes data, ByteSpan access_code);

// Starts the usage period at `now` if the item has one that has not started yet. Returns
// true when it changed the item (the caller persists the container then).
bool MarkFirstUse(ProductItem& item, UnixTime now);

// The per-firm section of a container.
struct FirmItem {
  uint32_t firm_code = 0;             // non-zero
  std::string name;                   // display name, <= kMaxFirmNameSize bytes of UTF-8
  Bytes public_key;                   // Ed25519 key that signs the firm's updates, 32 bytes
  uint64_t fuc = 0;                   // firm update counter: FUC of the last operation applied
  std::vector<ProductItem> products;  // <= kMaxProductsPerFirm

  const ProductItem* FindProduct(uint32_t product_code) const;
  ProductItem* FindProduct(uint32_t product_code);
  // The product item that carries module `module_code`, or nullptr.
  const ProductItem* FindModuleParent(uint32_t module_code) const;
  ProductItem* FindModuleParent(uint32_t module_code);

  bool operator==(const FirmItem&) const = default;
};

// The license state of one container: what the update engine changes and the runtime checks.
// (Serial, keys and device binding belong to the container module.)
struct ContainerState {
  std::vector<FirmItem> firms;     // distinct firm codes, <= kMaxFirmsPerContainer
  UnixTime certified_time = 0;     // newest certified time carried by an applied update
  UnixTime highest_time_seen = 0;  // newest time ever observed, certified or system clock

  const FirmItem* FindFirm(uint32_t firm_code) const;
  FirmItem* FindFirm(uint32_t firm_code);
  const ProductItem* FindProduct(uint32_t firm_code, uint32_t product_code) const;
  ProductItem* FindProduct(uint32_t firm_code, uint32_t product_code);

  bool operator==(const ContainerState&) const = default;
};

// ---- Validation ----
// Each returns kInvalidArgument with a message that names the item and the field, e.g.
// "product 201010: text is 300 bytes, at most 256 are allowed".

[[nodiscard]] Status Validate(const ModuleItem& module);
// Checks the item and its modules (codes distinct from each other and from the item).
[[nodiscard]] Status Validate(const ProductItem& item);
// Checks the firm fields and every product; product and module codes distinct firm-wide,
// so a code names exactly one entry.
[[nodiscard]] Status Validate(const FirmItem& firm);
// Checks every firm (distinct codes) and the times.
[[nodiscard]] Status Validate(const ContainerState& state);

// Well-formed UTF-8 (common/utf8.h), named here too for the model's callers.
using ::licet::IsValidUtf8;

}  // namespace licet::model

#endif  // LICET_MODEL_ITEMS_H_
