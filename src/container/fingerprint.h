// The device properties a soft container is bound to, read from this machine.
//
// Readers use the real system paths (/etc/machine-id, /sys, /proc/cpuinfo, stat("/")) and
// have no path prefix or test switch: tests fake the files with mount namespaces
// (tests/support/with-fake-device.sh).
//
// The values identify the machine and some of them (a MAC, a disk serial) are personal data:
// never log or print them; show PropertyDigest() instead.
#ifndef LICET_CONTAINER_FINGERPRINT_H_
#define LICET_CONTAINER_FINGERPRINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace licet::container {

// Frozen numbers: they are stored in soft container files.
enum class PropertyKind : uint8_t {
  kMachineId = 1,       // /etc/machine-id (or /var/lib/dbus/machine-id)
  kDmiProductUuid = 2,  // /sys/class/dmi/id/product_uuid (absent in many VMs; root-only)
  kMacAddress = 3,      // the MACs of physical NICs (with a device link), one value per NIC;
                        // random or user-set MACs (addr_assign_type 1, 3) are left out
  kRootDisk = 4,        // serial of the disk holding "/", else "fsid:<statfs f_fsid>"
  kCpuSignature = 5,    // vendor, family, model, stepping, name (x86) or ARM ids
};

inline constexpr PropertyKind kAllPropertyKinds[] = {
    PropertyKind::kMachineId, PropertyKind::kDmiProductUuid, PropertyKind::kMacAddress,
    PropertyKind::kRootDisk, PropertyKind::kCpuSignature};

// "machine-id", "dmi-uuid", "mac", "root-disk", "cpu"; "unknown" for other values.
const char* PropertyKindName(PropertyKind kind);
// The kind with that number, if it is one we know.
std::optional<PropertyKind> PropertyKindFromNumber(uint64_t number);

struct DeviceProperty {
  PropertyKind kind;
  // Normalised values: trimmed; lower-case hex for machine ids, MACs and UUIDs. Several only
  // for MACs (sorted, no duplicates, at most 16); never empty strings.
  std::vector<std::string> values;
};

// Reads the properties of this machine, in PropertyKind order, leaving out the absent ones
// (a file that is missing, unreadable, empty or a known placeholder such as an all-zero
// UUID). Reading never fails because of one property; the Result is for future readers that
// may. Not cheap (a few dozen small file reads): call it once per operation.
[[nodiscard]] Result<std::vector<DeviceProperty>> ReadDeviceProperties();

// A short (16 hex digit) SHA-256 digest of a property's kind and values, for display and
// diagnostics in place of the values.
std::string PropertyDigest(const DeviceProperty& property);

}  // namespace licet::container

#endif  // LICET_CONTAINER_FINGERPRINT_H_
