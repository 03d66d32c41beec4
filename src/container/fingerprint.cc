#include "container/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/bytes.h"
#include "common/env.h"
#include "container/fingerprint_parse.h"
#include "crypto/crypto.h"

namespace licet::container {
namespace {

// sysfs attributes fit in a page. Of /proc/cpuinfo only the first processor matters, and on
// a machine with hundreds of CPUs the whole file runs to megabytes.
constexpr size_t kAttributeMax = 4096;
constexpr size_t kCpuinfoMax = 64 * 1024;
// A host with SR-IOV can show hundreds of NICs; the binding needs only a few of them.
constexpr size_t kMaxMacs = 16;
// Nesting of stacked block devices followed to find a disk (dm-crypt on LVM on a partition).
constexpr int kMaxBlockDepth = 4;

// Up to `max` bytes of a regular file; nothing when it is missing, unreadable or not a
// regular file (a FIFO would block). Unlike Env::ReadFile, a longer file is cut rather than
// refused: we want the beginning of /proc/cpuinfo whatever its length, and a property that
// cannot be read is simply absent.
std::optional<std::string> ReadPrefix(const std::string& path, size_t max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  while (out.size() < max) {
    const ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool Exists(const std::string& path) { return Env::Default().FileExists(path); }

std::optional<std::string> ReadMachineId() {
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::optional<std::string> text = ReadPrefix(path, kAttributeMax);
    if (!text) continue;
    if (std::optional<std::string> id = internal::NormalizeHexIdentifier(*text)) return id;
  }
  return std::nullopt;
}

std::optional<std::string> ReadDmiProductUuid() {
  std::optional<std::string> text = ReadPrefix("/sys/class/dmi/id/product_uuid", kAttributeMax);
  if (!text) return std::nullopt;
  return internal::NormalizeHexIdentifier(*text);
}

std::vector<std::string> ReadMacAddresses() {
  std::vector<std::string> macs;
  Result<std::vector<std::string>> names = Env::Default().ListDirectory("/sys/class/net");
  if (!names.ok()) return macs;
  for (const std::string& name : *names) {
    const std::string dir = "/sys/class/net/" + name;
    // Only NICs backed by a device (PCI, USB, virtio); not lo, bridges, veth, tunnels.
    if (!Exists(dir + "/device")) continue;
    // A MAC the kernel made up (1) or that user space set (3, e.g. Wi-Fi MAC randomisation)
    // may change at every boot or connection; permanent (0) and borrowed (2) ones stay.
    if (std::optional<std::string> type = ReadPrefix(dir + "/addr_assign_type", kAttributeMax)) {
      const std::string_view t = internal::Trim(*type);
      if (t == "1" || t == "3") continue;
    }
    std::optional<std::string> text = ReadPrefix(dir + "/address", kAttributeMax);
    if (!text) continue;
    if (std::optional<std::string> mac = internal::NormalizeHexIdentifier(*text)) {
      macs.push_back(std::move(*mac));
    }
  }
  std::sort(macs.begin(), macs.end());
  macs.erase(std::unique(macs.begin(), macs.end()), macs.end());
  if (macs.size() > kMaxMacs) macs.resize(kMaxMacs);
  return macs;
}

// The serial of the disk under the sysfs block device directory `dir`, following a partition
// to its disk and a stacked device (dm, md) to its first underlying device.
std::optional<std::string> DiskSerial(std::string dir) {
  for (int depth = 0; depth < kMaxBlockDepth; ++depth) {
    // "<partition>/.." is the disk: the kernel resolves ".." after the sysfs symlink.
    if (Exists(dir + "/partition")) dir += "/..";
    for (const char* attribute : {"serial", "device/serial", "wwid", "device/wwid"}) {
      std::optional<std::string> text = ReadPrefix(dir + "/" + attribute, kAttributeMax);
      if (!text) continue;
      if (std::optional<std::string> serial = internal::NormalizeSerial(*text)) return serial;
    }
    Result<std::vector<std::string>> slaves = Env::Default().ListDirectory(dir + "/slaves");
    if (!slaves.ok() || slaves->empty()) break;
    dir += "/slaves/" + slaves->front();
  }
  return std::nullopt;
}

std::optional<std::string> ReadRootDisk() {
  struct stat st;
  if (::stat("/", &st) == 0) {
    const std::string dir = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
                            std::to_string(minor(st.st_dev));
    if (std::optional<std::string> serial = DiskSerial(dir)) return serial;
  }
  // No serial (virtual disks, overlay roots): the file system id, which ext4 and xfs derive
  // from the file system UUID, so it survives reboots but not a reformat.
  struct statfs fs;
  if (::statfs("/", &fs) != 0) return std::nullopt;
  unsigned int words[2];
  static_assert(sizeof words == sizeof fs.f_fsid);
  std::memcpy(words, &fs.f_fsid, sizeof words);
  if (words[0] == 0 && words[1] == 0) return std::nullopt;
  char text[32];
  std::snprintf(text, sizeof text, "fsid:%08x%08x", words[0], words[1]);
  return std::string(text);
}

std::optional<std::string> ReadCpuSignature() {
  std::optional<std::string> text = ReadPrefix("/proc/cpuinfo", kCpuinfoMax);
  if (!text) return std::nullopt;
  return internal::CpuSignatureFromCpuinfo(*text);
}

void AddIfPresent(std::vector<DeviceProperty>& out, PropertyKind kind,
                  std::optional<std::string> value) {
  if (value) out.push_back({kind, {std::move(*value)}});
}

}  // namespace

const char* PropertyKindName(PropertyKind kind) {
  switch (kind) {
    case PropertyKind::kMachineId:
      return "machine-id";
    case PropertyKind::kDmiProductUuid:
      return "dmi-uuid";
    case PropertyKind::kMacAddress:
      return "mac";
    case PropertyKind::kRootDisk:
      return "root-disk";
    case PropertyKind::kCpuSignature:
      return "cpu";
  }
  return "unknown";
}

std::optional<PropertyKind> PropertyKindFromNumber(uint64_t number) {
  for (PropertyKind kind : kAllPropertyKinds) {
    if (static_cast<uint64_t>(kind) == number) return kind;
  }
  return std::nullopt;
}

Result<std::vector<DeviceProperty>> ReadDeviceProperties() {
  std::vector<DeviceProperty> properties;
  AddIfPresent(properties, PropertyKind::kMachineId, ReadMachineId());
  AddIfPresent(properties, PropertyKind::kDmiProductUuid, ReadDmiProductUuid());
  std::vector<std::string> macs = ReadMacAddresses();
  if (!macs.empty()) properties.push_back({PropertyKind::kMacAddress, std::move(macs)});
  AddIfPresent(properties, PropertyKind::kRootDisk, ReadRootDisk());
  AddIfPresent(properties, PropertyKind::kCpuSignature, ReadCpuSignature());
  return properties;
}

std::string PropertyDigest(const DeviceProperty& property) {
  // Domain-separated and truncated: enough to tell values apart in a report. It hides a value
  // from a glance, not from a search (a MAC has few enough candidates to try them all).
  std::string input = "licet property digest v1";
  input.push_back('\0');
  input.push_back(static_cast<char>(property.kind));
  for (const std::string& value : property.values) {
    input.push_back('\0');
    input += value;
  }
  const crypto::Hash hash = crypto::Sha256(AsBytes(input));
  return HexEncode(ByteSpan(hash.data(), 8));
}

}  // namespace licet::container
