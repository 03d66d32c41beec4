// device_probe: a test helper (not installed) that runs the real device property readers, so
// that tests can drive them on a faked device (tests/support/with-fake-device.sh).
//
//   device_probe props        one line per property: "<kind> <digest> values=<n>"
//   device_probe bind OUT     binds a fixed test secret to this device, writes the binding
//                             as CBOR to OUT
//   device_probe unbind IN    "ok <hex of the secret>", or the error message and exit 1
//   device_probe match IN     the match report of the binding in IN against this device
//
// It prints digests, never property values.
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/env.h"
#include "container/device_binding.h"
#include "container/fingerprint.h"

namespace licet::container {
namespace {

int Fail(const Status& status) {
  std::printf("%s\n", status.ToString().c_str());
  return 1;
}

SecretBytes TestSecret() {
  SecretBytes secret(kBindingSecretSize);
  for (size_t i = 0; i < secret.size(); ++i) secret.data()[i] = static_cast<uint8_t>(i + 1);
  return secret;
}

Result<DeviceBinding> ReadBinding(const std::string& path) {
  LICET_ASSIGN_OR_RETURN(Bytes cbor, Env::Default().ReadFile(path, 1 << 20));
  const nlohmann::json json = nlohmann::json::from_cbor(cbor, true, false);
  if (json.is_discarded()) return Error(ErrorCode::kCorruptData, path + " is not valid CBOR");
  return DeviceBindingFromJson(json);
}

int Props() {
  Result<std::vector<DeviceProperty>> props = ReadDeviceProperties();
  if (!props.ok()) return Fail(props.status());
  for (const DeviceProperty& prop : *props) {
    std::printf("%s %s values=%zu\n", PropertyKindName(prop.kind), PropertyDigest(prop).c_str(),
                prop.values.size());
  }
  return 0;
}

int Bind(const std::string& out) {
  Result<std::vector<DeviceProperty>> props = ReadDeviceProperties();
  if (!props.ok()) return Fail(props.status());
  Result<DeviceBinding> binding = BindToDevice(TestSecret(), *props);
  if (!binding.ok()) return Fail(binding.status());
  const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(DeviceBindingToJson(*binding));
  Status written = Env::Default().WriteFileAtomic(out, cbor);
  if (!written.ok()) return Fail(written);
  std::printf("bound to %d properties, %d needed\n", binding->count, binding->threshold);
  return 0;
}

int Unbind(const std::string& in) {
  Result<DeviceBinding> binding = ReadBinding(in);
  if (!binding.ok()) return Fail(binding.status());
  Result<std::vector<DeviceProperty>> props = ReadDeviceProperties();
  if (!props.ok()) return Fail(props.status());
  Result<SecretBytes> secret = UnbindFromDevice(*binding, *props);
  if (!secret.ok()) return Fail(secret.status());
  std::printf("ok %s\n", HexEncode(secret->span()).c_str());
  return 0;
}

int Match(const std::string& in) {
  Result<DeviceBinding> binding = ReadBinding(in);
  if (!binding.ok()) return Fail(binding.status());
  Result<std::vector<DeviceProperty>> props = ReadDeviceProperties();
  if (!props.ok()) return Fail(props.status());
  for (const std::string& line : MatchReport(*binding, *props)) std::printf("%s\n", line.c_str());
  return 0;
}

int Run(const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "props") return Props();
  if (args.size() == 2 && args[0] == "bind") return Bind(args[1]);
  if (args.size() == 2 && args[0] == "unbind") return Unbind(args[1]);
  if (args.size() == 2 && args[0] == "match") return Match(args[1]);
  std::fprintf(stderr, "usage: device_probe props | bind OUT | unbind IN | match IN\n");
  return 2;
}

}  // namespace
}  // namespace licet::container

int main(int argc, char** argv) {
  try {
    return licet::container::Run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "device_probe: %s\n", e.what());
    return 2;
  }
}
