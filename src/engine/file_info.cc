#include "engine/file_info.h"

#include "container/fingerprint.h"
#include "crypto/crypto.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"
#include "format/envelope.h"
#include "model/display.h"

namespace licet::engine {
namespace {

using nlohmann::json;

// Keys are shown by a short fingerprint: enough to compare, short enough to read.
std::string KeyId(ByteSpan key) {
  crypto::Hash h = crypto::Sha256(key);
  return HexEncode(ByteSpan(h.data(), 8));
}

void Line(std::string& text, const std::string& label, const std::string& value) {
  text += label;
  if (label.size() < 18) text.append(18 - label.size(), ' ');
  text += value + "\n";
}

Result<FileDescription> DescribeContext(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(ContainerContext ctx, ReadContextFile(file));
  FileDescription d;
  const char* kind = format::FileKindName(ctx.kind);
  Line(d.text, "file", std::string(kind) + " (signature valid, by the container key)");
  Line(d.text, "container", ctx.serial);
  Line(d.text, "container key", KeyId(ctx.sig_public_key));
  Line(d.text, "made at", FormatTime(ctx.time));
  Line(d.text, "certified time", ctx.certified_time ? FormatTime(ctx.certified_time) : "none");
  json firms = json::array();
  for (const auto& f : ctx.firms) {
    std::string head = "firm " + std::to_string(f.firm_code);
    if (f.fuc == 0) {
      d.text += head + ": not in the container yet (FUC 0)\n";
    } else {
      d.text += head + " '" + f.name + "' FUC " + std::to_string(f.fuc) + ", key " +
                KeyId(f.public_key) + "\n";
    }
    json products = json::array();
    for (const auto& p : f.products) {
      d.text += "  " + model::DescribeProductItem(p) + "\n";
      products.push_back(model::ToDisplayJson(p));
    }
    firms.push_back({{"firm_code", f.firm_code}, {"fuc", f.fuc}, {"name", f.name},
                     {"firm_key", f.public_key.empty() ? "" : KeyId(f.public_key)},
                     {"products", products}});
  }
  d.json = {{"kind", kind}, {"signature", "valid"}, {"serial", ctx.serial},
            {"container_key", KeyId(ctx.sig_public_key)}, {"time", FormatTime(ctx.time)},
            {"certified_time", ctx.certified_time ? FormatTime(ctx.certified_time) : ""},
            {"firms", firms}};
  return d;
}

Result<FileDescription> DescribeUpdate(ByteSpan file, ContainerStore* store) {
  LICET_ASSIGN_OR_RETURN(UpdateHeader h, ReadUpdateFile(file));
  FileDescription d;
  Line(d.text, "file", "update (signature valid, by firm key " + KeyId(h.firm_public_key) + ")");
  Line(d.text, "container", h.serial);
  Line(d.text, "firm", std::to_string(h.firm_code));
  Line(d.text, "FUC", std::to_string(h.fuc_from) + ".." + std::to_string(h.fuc_to));
  Line(d.text, "certified time", FormatTime(h.certified_time));
  d.json = {{"kind", "update"}, {"signature", "valid"}, {"serial", h.serial},
            {"firm_code", h.firm_code}, {"fuc_from", h.fuc_from}, {"fuc_to", h.fuc_to},
            {"firm_key", KeyId(h.firm_public_key)},
            {"certified_time", FormatTime(h.certified_time)}};
  if (store == nullptr) return d;
  auto serial = store->ResolveSerial(h.serial);
  if (!serial.ok()) {
    Line(d.text, "operations", "encrypted to container " + h.serial + ", which is not on this machine");
    return d;
  }
  LICET_ASSIGN_OR_RETURN(SoftContainer c, store->Open(h.serial));
  LICET_ASSIGN_OR_RETURN(std::vector<model::Operation> ops, OpenUpdateOperations(h, c));
  const model::FirmItem* firm = c.state.FindFirm(h.firm_code);
  std::string trust = firm == nullptr ? "firm not in the container yet"
                      : crypto::ConstantTimeEqual(firm->public_key, h.firm_public_key)
                          ? "the container trusts this firm key"
                          : "the container trusts ANOTHER key for this firm: import will refuse it";
  Line(d.text, "trust", trust);
  json ops_json = json::array();
  d.text += "operations:\n";
  for (const auto& op : ops) {
    std::string state = firm != nullptr && op.fuc <= firm->fuc ? " (already applied)" : "";
    d.text += "  FUC " + std::to_string(op.fuc) + ": " + DescribeOperation(op) + state + "\n";
    ops_json.push_back({{"fuc", op.fuc}, {"operation", DescribeOperation(op)}});
  }
  d.json["operations"] = ops_json;
  d.json["trust"] = trust;
  return d;
}

Result<FileDescription> DescribeFirmKey(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(FirmKeyInfo info, ReadFirmKeyInfo(file));
  FileDescription d;
  Line(d.text, "file", "firm key (vendor secret: keep it safe, never ship it)");
  Line(d.text, "firm", std::to_string(info.firm_code) + " '" + info.name + "'");
  Line(d.text, "public key", HexEncode(info.public_key));
  Line(d.text, "key id", KeyId(info.public_key));
  Line(d.text, "created", FormatTime(info.created));
  Line(d.text, "passphrase", info.encrypted ? "yes (scrypt + AES-256-GCM)" : "no");
  d.json = {{"kind", "firm-key"}, {"firm_code", info.firm_code}, {"name", info.name},
            {"public_key", HexEncode(info.public_key)}, {"key_id", KeyId(info.public_key)},
            {"created", FormatTime(info.created)}, {"passphrase", info.encrypted}};
  return d;
}

Result<FileDescription> DescribeContainer(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(ContainerFileInfo info, ReadContainerFileInfo(file));
  FileDescription d;
  Line(d.text, "file", "soft container");
  Line(d.text, "serial", info.serial);
  Line(d.text, "created", FormatTime(info.created));
  Line(d.text, "container key", KeyId(info.sig_public_key));
  Line(d.text, "device binding", std::to_string(info.binding.threshold) + " of " +
                                     std::to_string(info.binding.count) + " properties");
  d.json = {{"kind", "container"}, {"serial", info.serial}, {"created", FormatTime(info.created)},
            {"container_key", KeyId(info.sig_public_key)},
            {"threshold", info.binding.threshold}, {"count", info.binding.count}};
  auto props = container::ReadDeviceProperties();
  if (props.ok()) {
    std::string report;
    for (const auto& line : container::MatchReport(info.binding, *props)) {
      report += (report.empty() ? "" : ", ") + line;
    }
    Line(d.text, "on this device", report);
    auto opened = DecodeContainerFile(file, *props);
    Line(d.text, "opens here", opened.ok() ? "yes" : "no: " + opened.status().ToString());
    d.json["opens_here"] = opened.ok();
    d.json["properties"] = report;
  }
  return d;
}

}  // namespace

std::string DescribeOperation(const model::Operation& op) {
  using namespace model::op;
  return std::visit(
      [](const auto& body) -> std::string {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AddFirmItem>) {
          return "add firm item '" + body.name + "' with key " + KeyId(body.public_key);
        } else if constexpr (std::is_same_v<T, AddProduct>) {
          return "add " + model::DescribeProductItem(body.item);
        } else if constexpr (std::is_same_v<T, ModifyProduct>) {
          model::ProductItem scratch;
          scratch.product_code = body.product_code;
          std::string changes;
          for (const auto& c : model::ApplyPatch(scratch, body.patch)) {
            changes += (changes.empty() ? "" : "; ") + c;
          }
          return "modify product " + std::to_string(body.product_code) +
                 (changes.empty() ? "" : ": " + changes);
        } else if constexpr (std::is_same_v<T, DeleteProduct>) {
          return "delete product " + std::to_string(body.product_code);
        } else if constexpr (std::is_same_v<T, SetUnits>) {
          return "set units of " + std::to_string(body.product_code) + " to " + std::to_string(body.units);
        } else if constexpr (std::is_same_v<T, AddUnits>) {
          return "add " + std::to_string(body.delta) + " units to " + std::to_string(body.product_code);
        } else {
          return "set expiration of " + std::to_string(body.product_code) + " to " +
                 FormatTime(body.expiration);
        }
      },
      op.body);
}

Result<FileDescription> DescribeFile(ByteSpan file, ContainerStore* store) {
  LICET_ASSIGN_OR_RETURN(format::Envelope env, format::ParseEnvelope(file));
  switch (env.kind) {
    case format::FileKind::kContext:
    case format::FileKind::kReceipt:
      return DescribeContext(file);
    case format::FileKind::kUpdate:
      return DescribeUpdate(file, store);
    case format::FileKind::kFirmKey:
      return DescribeFirmKey(file);
    case format::FileKind::kContainer:
      return DescribeContainer(file);
    case format::FileKind::kCredential:
      break;
  }
  return Error(ErrorCode::kUnsupportedVersion,
               std::string("this licet cannot show ") + format::FileKindName(env.kind) + " files yet");
}

}  // namespace licet::engine
