// A soft container (DESIGN §1): the container's key pairs and its license state, stored in
// one file and bound to this device. The file's body is sealed with AES-256-GCM under a key
// derived from a random master secret; the master secret is split k-of-n across device
// properties (container/device_binding.h), so the file opens only on this device.
#ifndef LICET_ENGINE_SOFT_CONTAINER_H_
#define LICET_ENGINE_SOFT_CONTAINER_H_

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "container/device_binding.h"
#include "container/fingerprint.h"
#include "model/items.h"

namespace licet::engine {

inline constexpr uint32_t kSoftContainerMask = 130;

// "130-1166426881"
std::string FormatSerial(uint32_t mask, uint32_t number);
// Accepts "MASK-NUMBER"; kInvalidArgument otherwise.
Result<std::pair<uint32_t, uint32_t>> ParseSerial(const std::string& serial);

struct SoftContainer {
  std::string serial;
  UnixTime created = 0;
  uint64_t generation = 0;  // incremented by every save
  Bytes enc_public_key;     // X25519: receives encrypted updates
  SecretBytes enc_private_key;
  Bytes sig_public_key;  // Ed25519: signs contexts and receipts
  SecretBytes sig_private_key;
  SecretBytes master_key;  // opens the sealed body; bound to the device
  container::DeviceBinding binding;
  model::ContainerState state;
};

// A new container with fresh keys, bound to `props` with k = `threshold` (0 = n-1).
Result<SoftContainer> CreateSoftContainer(uint32_t number, const std::vector<container::DeviceProperty>& props,
                                          int threshold, UnixTime now);

// The container file (FileKind::kContainer). A fresh nonce for every encoding.
Result<Bytes> EncodeContainerFile(const SoftContainer& container);

// The part of a container file readable without the device: serial, keys, binding.
struct ContainerFileInfo {
  std::string serial;
  UnixTime created = 0;
  Bytes enc_public_key;
  Bytes sig_public_key;
  container::DeviceBinding binding;
};
Result<ContainerFileInfo> ReadContainerFileInfo(ByteSpan file);

// Opens a container file with the properties of the current device.
// kDeviceMismatch: "container is bound to another device (...)"; kCorruptData: damaged or
// modified file.
Result<SoftContainer> DecodeContainerFile(ByteSpan file,
                                          const std::vector<container::DeviceProperty>& props);

}  // namespace licet::engine

#endif  // LICET_ENGINE_SOFT_CONTAINER_H_
