// Fuzzes the device binding reader with CBOR bytes as they would come from a soft container
// file, decoded the way the file reader decodes payloads (format::DecodePayload: strict,
// depth-limited; nlohmann's own from_cbor throws or recurses without limit on hostile input).
// Reading must never crash, and an accepted binding must survive a round trip and an unbind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "container/device_binding.h"
#include "format/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using licet::container::DeviceBinding;
  using licet::container::PropertyKind;
  licet::Result<nlohmann::json> json = licet::format::DecodePayload(licet::ByteSpan(data, size));
  if (!json.ok()) return 0;
  licet::Result<DeviceBinding> binding = licet::container::DeviceBindingFromJson(*json);
  if (!binding.ok()) return 0;

  const licet::Bytes cbor =
      licet::format::EncodePayload(licet::container::DeviceBindingToJson(*binding));
  licet::Result<nlohmann::json> again = licet::format::DecodePayload(cbor);
  if (!again.ok() || !licet::container::DeviceBindingFromJson(*again).ok()) std::abort();

  // The device of the seed corpus (the default FakeDevice of device_binding_namespace_test),
  // so that mutations of a valid seed reach the share decryption and Shamir combination.
  static const std::vector<licet::container::DeviceProperty> props = {
      {PropertyKind::kMachineId, {"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
      {PropertyKind::kDmiProductUuid, {"4c4c4544-0034-3510-8052-b4c04f4e3232"}},
      {PropertyKind::kMacAddress, {"02:fc:00:00:00:07", "52:54:00:ab:cd:01"}},
      {PropertyKind::kRootDisk, {"WD-WX11 A2B3"}},
      {PropertyKind::kCpuSignature,
       {"x86;vendor_id=LicetFakeCPU;cpu family=6;model=85;stepping=7;"
        "model name=Licet Test CPU @ 3.00GHz"}},
  };
  licet::Result<licet::SecretBytes> secret = licet::container::UnbindFromDevice(*binding, props);
  if (!secret.ok() && secret.status().code() != licet::ErrorCode::kDeviceMismatch) std::abort();
  (void)licet::container::MatchReport(*binding, props);
  return 0;
}
