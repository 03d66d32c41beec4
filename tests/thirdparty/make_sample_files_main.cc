// make_sample_files DIR: writes a set of real Licet files into DIR for the third-party
// verification test (verify_with_stock_libs.py), which checks them with stock CBOR and
// crypto libraries and none of Licet's code. Test-only: it also writes key material that no
// Licet tool ever exports, standing in for what a third party verifying an update or a
// container would hold.
//
// Files written (see docs/FORMATS.md for their layouts):
//   firm.key                   plain firm key file (firm 6000010)
//   firm-protected.key         the same key under a passphrase (scrypt + AES-256-GCM)
//   firm-passphrase.txt        that passphrase
//   home/containers/...        a container store with one soft container bound to this machine
//   serial.txt                 that container's serial
//   container.lcc              a copy of that container's file
//   container-enc.key          its X25519 private key, 32 raw bytes (test only)
//   context                    a context of the container for firm 6000010 (FUC 0)
//   context.sig_structure      the Sig_structure Licet signed for it
//   update                     an update adding the firm item and a product (FUC 1..2)
//   update.sig_structure       the Sig_structure Licet signed for it
//   receipt                    a receipt made after importing `update`
//   update2                    an update with every other operation kind (FUC 3..8)
//   receipt2                   a receipt made after importing `update2`
//   bound-container.lcc        a container bound to the synthetic device properties in
//   bound-container-props.json   this file, so that its binding can be opened by a script
//
// Exit 0 on success; 1 with a one-line reason on stderr otherwise.
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "container/fingerprint.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"
#include "format/cose.h"
#include "format/envelope.h"
#include "model/items.h"
#include "model/operation.h"

namespace licet {
namespace {

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kProduct = 201010;
constexpr uint32_t kModule = 201011;
constexpr uint32_t kSecondProduct = 301010;
constexpr int64_t kDay = 86400;
constexpr char kPassphrase[] = "correct horse battery staple";

class SampleWriter {
 public:
  explicit SampleWriter(std::string dir) : dir_(std::move(dir)) {}

  Status Write(const std::string& name, ByteSpan data) {
    return Env::Default()
        .WriteFileAtomic(JoinPath(dir_, name), data, 0600)
        .WithContext("writing " + name);
  }
  Status WriteText(const std::string& name, const std::string& text) {
    return Write(name, AsBytes(text));
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// A product item that uses every field the add_product operation can carry, so that the
// script sees each key of the ProductItem map at least once. secret_data stays empty: the
// update engine fills in the derived product secret, which the script recomputes.
model::ProductItem SampleProduct(UnixTime now) {
  model::ProductItem item;
  item.product_code = kProduct;
  item.feature_map = 0x3;
  item.unit_counter = 100;
  item.expiration = now + 365 * kDay;
  item.activation_time = now - kDay;
  item.usage_period = 30 * kDay;
  item.maintenance_until = now + 180 * kDay;
  item.license_quantity = 5;
  item.access_modes = model::kDefaultAccessModes;
  item.linger_time = 60;
  item.text = "Sample App";
  item.protected_data = {0x01, 0x02, 0x03};
  model::SetHiddenData(item, Bytes{0x09, 0x08, 0x07}, AsBytes("hidden-access-code"));
  item.checkpoint_days = 30;
  item.borrow = model::BorrowRules{7, 2};
  item.modules.push_back(model::ModuleItem{kModule, 0x1, 10, "Sample Module"});
  return item;
}

// Every operation kind but add_firm_item (which `update` carries), numbered from `fuc`.
std::vector<model::Operation> EveryOtherOperation(uint64_t fuc, UnixTime now) {
  model::ProductPatch patch;
  patch.feature_map = 0x7;
  patch.text = "Sample App Pro";
  patch.clear_usage_period = true;
  patch.linger_time = 120;
  patch.modules = std::vector<model::ModuleItem>{model::ModuleItem{kModule, 0x3, 20, ""}};
  model::ProductItem second;
  second.product_code = kSecondProduct;
  second.feature_map = 0x1;
  std::vector<model::Operation> ops;
  ops.push_back({fuc++, model::op::ModifyProduct{kProduct, patch}});
  ops.push_back({fuc++, model::op::SetUnits{kModule, 50}});
  ops.push_back({fuc++, model::op::AddUnits{kProduct, -10}});
  ops.push_back({fuc++, model::op::SetExpiration{kProduct, now + 2 * 365 * kDay}});
  ops.push_back({fuc++, model::op::AddProduct{second}});
  ops.push_back({fuc++, model::op::DeleteProduct{kSecondProduct}});
  return ops;
}

// Synthetic device properties for a container whose binding the script opens itself: four
// properties (one of them with two values), any three of which open it.
std::vector<container::DeviceProperty> SyntheticDevice() {
  using container::PropertyKind;
  return {
      {PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
      {PropertyKind::kDmiProductUuid, {"4c4c4544-0042-3510-8048-b4c04f564433"}},
      {PropertyKind::kMacAddress, {"52:54:00:12:34:56", "52:54:00:ab:cd:ef"}},
      {PropertyKind::kCpuSignature,
       {"x86;vendor_id=GenuineIntel;cpu family=6;model=85;stepping=7;model name=Sample CPU"}},
  };
}

Status WriteSigStructure(SampleWriter& out, const std::string& name, ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(format::Envelope env, format::ParseEnvelope(file));
  LICET_ASSIGN_OR_RETURN(format::CoseSign1 message, format::CoseSign1Parse(env.body));
  return out.Write(
      name, format::CoseSign1SigStructure(message.protected_header, env.header, message.payload));
}

Result<Bytes> MakeReceipt(engine::ContainerStore& store, const std::string& serial, UnixTime now) {
  LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store.Open(serial));
  return engine::MakeContextFile(c, kFirm, format::FileKind::kReceipt, now);
}

Status Run(const std::string& dir) {
  SampleWriter out(dir);
  const UnixTime now = SystemClock::Get().Now();

  LICET_ASSIGN_OR_RETURN(engine::FirmKey firm,
                         engine::GenerateFirmKey(kFirm, "Sample Company", now));
  LICET_ASSIGN_OR_RETURN(Bytes firm_file, engine::EncodeFirmKeyFile(firm, ""));
  LICET_RETURN_IF_ERROR(out.Write("firm.key", firm_file));
  LICET_ASSIGN_OR_RETURN(Bytes protected_file, engine::EncodeFirmKeyFile(firm, kPassphrase));
  LICET_RETURN_IF_ERROR(out.Write("firm-protected.key", protected_file));
  LICET_RETURN_IF_ERROR(out.WriteText("firm-passphrase.txt", kPassphrase));

  engine::ContainerStore store(JoinPath(dir, "home"));
  auto created = store.Create();
  if (!created.ok()) {
    return created.status().WithContext(
        "creating a soft container bound to this machine (it needs 2 readable device "
        "properties)");
  }
  const std::string serial = *created;
  LICET_RETURN_IF_ERROR(out.WriteText("serial.txt", serial));
  LICET_ASSIGN_OR_RETURN(Bytes container_file, Env::Default().ReadFile(store.PathOf(serial)));
  LICET_RETURN_IF_ERROR(out.Write("container.lcc", container_file));
  {
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store.Open(serial));
    LICET_RETURN_IF_ERROR(out.Write("container-enc.key", c.enc_private_key.span()));

    LICET_ASSIGN_OR_RETURN(Bytes context,
                           engine::MakeContextFile(c, kFirm, format::FileKind::kContext, now));
    LICET_RETURN_IF_ERROR(out.Write("context", context));
    LICET_RETURN_IF_ERROR(WriteSigStructure(out, "context.sig_structure", context));

    LICET_ASSIGN_OR_RETURN(engine::ContainerContext parsed, engine::ReadContextFile(context));
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{SampleProduct(now)});
    LICET_ASSIGN_OR_RETURN(Bytes update,
                           engine::CreateUpdateFile(firm, parsed, std::move(ops), now));
    LICET_RETURN_IF_ERROR(out.Write("update", update));
    LICET_RETURN_IF_ERROR(WriteSigStructure(out, "update.sig_structure", update));
    LICET_RETURN_IF_ERROR(
        engine::ImportUpdate(store, update).status().WithContext("import update"));
  }

  LICET_ASSIGN_OR_RETURN(Bytes receipt, MakeReceipt(store, serial, now));
  LICET_RETURN_IF_ERROR(out.Write("receipt", receipt));
  LICET_ASSIGN_OR_RETURN(engine::ContainerContext after, engine::ReadContextFile(receipt));
  const engine::ContextFirm* known = after.FindFirm(kFirm);
  if (known == nullptr) return Error(ErrorCode::kInternal, "receipt does not list the firm");
  LICET_ASSIGN_OR_RETURN(Bytes update2,
                         engine::CreateUpdateFileFromOperations(
                             firm, after, EveryOtherOperation(known->fuc + 1, now), now));
  LICET_RETURN_IF_ERROR(out.Write("update2", update2));
  LICET_RETURN_IF_ERROR(
      engine::ImportUpdate(store, update2).status().WithContext("import update2"));
  LICET_ASSIGN_OR_RETURN(Bytes receipt2, MakeReceipt(store, serial, now));
  LICET_RETURN_IF_ERROR(out.Write("receipt2", receipt2));

  const std::vector<container::DeviceProperty> device = SyntheticDevice();
  constexpr int kThreshold = 3;
  LICET_ASSIGN_OR_RETURN(engine::SoftContainer bound,
                         engine::CreateSoftContainer(4242, device, kThreshold, now));
  LICET_ASSIGN_OR_RETURN(Bytes bound_file, engine::EncodeContainerFile(bound));
  LICET_RETURN_IF_ERROR(out.Write("bound-container.lcc", bound_file));
  nlohmann::json props = nlohmann::json::array();
  for (const auto& p : device) {
    props.push_back({{"kind", static_cast<int>(p.kind)}, {"values", p.values}});
  }
  LICET_RETURN_IF_ERROR(out.WriteText("bound-container-props.json",
                                      nlohmann::json{{"properties", props}}.dump(2) + "\n"));
  return Status::Ok();
}

}  // namespace
}  // namespace licet

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_sample_files DIR\n");
    return 2;
  }
  try {
    licet::Status st = licet::Run(argv[1]);
    if (!st.ok()) {
      std::fprintf(stderr, "make_sample_files: %s\n", st.ToString().c_str());
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_sample_files: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
