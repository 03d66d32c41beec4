#include "engine/update_file.h"

#include "crypto/crypto.h"
#include "format/cose.h"
#include "format/payload.h"
#include "model/checks.h"
#include "model/serialize.h"

namespace licet::engine {
namespace {

using nlohmann::json;

Bytes UpdateHeaderBytes() { return format::EnvelopeHeader(format::FileKind::kUpdate); }

// The external_aad of the sealed operations: envelope header || firm_code (4 bytes, big
// endian) || serial (UTF-8). It binds the operations to one firm and one container, so they
// cannot be re-signed under another firm's key (a firm a customer made for himself) and
// applied to that firm's item.
Bytes SealAad(uint32_t firm_code, const std::string& serial) {
  Bytes aad = UpdateHeaderBytes();
  for (int shift = 24; shift >= 0; shift -= 8) aad.push_back(static_cast<uint8_t>(firm_code >> shift));
  aad.insert(aad.end(), serial.begin(), serial.end());
  return aad;
}

std::string FirmName(uint32_t firm_code) { return "firm " + std::to_string(firm_code); }

Status FillProductSecrets(const FirmKey& firm, std::vector<model::Operation>& ops) {
  for (auto& op : ops) {
    if (auto* add = std::get_if<model::op::AddProduct>(&op.body)) {
      if (add->item.secret_data.empty()) {
        LICET_ASSIGN_OR_RETURN(SecretBytes secret,
                               model::DeriveProductSecret(firm.firm_secret, firm.firm_code,
                                                          add->item.product_code));
        add->item.secret_data = model::ItemSecret(std::move(secret));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Bytes> CreateUpdateFile(const FirmKey& firm, const ContainerContext& context,
                               std::vector<model::OperationBody> bodies, UnixTime certified_time) {
  if (bodies.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the update has no operation: add, modify or delete a product");
  }
  const ContextFirm* known = context.FindFirm(firm.firm_code);
  if (known == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 "the context does not list " + FirmName(firm.firm_code) +
                     ": make it with 'licet context --firm-code " + std::to_string(firm.firm_code) + "'");
  }
  uint64_t fuc = known->fuc;
  std::vector<model::Operation> ops;
  if (fuc == 0) {
    ops.push_back(model::Operation{++fuc, model::op::AddFirmItem{firm.name, firm.public_key}});
  }
  for (auto& body : bodies) ops.push_back(model::Operation{++fuc, std::move(body)});
  return CreateUpdateFileFromOperations(firm, context, std::move(ops), certified_time);
}

Result<Bytes> CreateUpdateFileFromOperations(const FirmKey& firm, const ContainerContext& context,
                                             std::vector<model::Operation> ops,
                                             UnixTime certified_time) {
  if (ops.empty()) return Error(ErrorCode::kInvalidArgument, "the update has no operation");
  const ContextFirm* known = context.FindFirm(firm.firm_code);
  if (known != nullptr && known->fuc > 0 &&
      !crypto::ConstantTimeEqual(known->public_key, firm.public_key)) {
    return Error(ErrorCode::kUntrustedSigner,
                 "container " + context.serial + " holds " + FirmName(firm.firm_code) +
                     " with another firm key than " + "this firm.key: it would refuse the update");
  }
  LICET_RETURN_IF_ERROR(FillProductSecrets(firm, ops));
  // The model checks order and contiguity again at import; checking here gives the vendor
  // the error instead of the customer.
  for (size_t i = 1; i < ops.size(); ++i) {
    if (ops[i].fuc != ops[i - 1].fuc + 1) {
      return Error(ErrorCode::kInvalidArgument, "operations must have consecutive FUCs");
    }
  }
  json sealed_payload = {{"ops", model::OperationsToJson(ops)}};
  Bytes plain = format::EncodePayload(sealed_payload);
  auto sealed = format::CoseEncryptX25519(plain, SealAad(firm.firm_code, context.serial),
                                          context.enc_public_key,
                                          AsBytes(context.serial));
  SecureWipe(plain.data(), plain.size());
  if (!sealed.ok()) return sealed.status();

  json payload = {{"serial", context.serial},
                  {"firm_code", firm.firm_code},
                  {"fuc_from", ops.front().fuc},
                  {"fuc_to", ops.back().fuc},
                  {"certified_time", certified_time},
                  {"firm_key", format::Binary(firm.public_key)},
                  {"recipient", format::Binary(context.enc_public_key)},
                  {"sealed", format::Binary(*sealed)}};
  const Bytes body = format::EncodePayload(payload);
  LICET_ASSIGN_OR_RETURN(Bytes signed_body,
                         firm.signer != nullptr
                             ? format::CoseSign1Sign(body, UpdateHeaderBytes(), *firm.signer)
                             : format::CoseSign1Sign(body, UpdateHeaderBytes(), firm.signing_key));
  return format::WrapEnvelope(format::FileKind::kUpdate, signed_body);
}

Result<UpdateHeader> ReadUpdateFile(ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(format::Envelope env,
                         format::ParseEnvelopeOfKind(file, format::FileKind::kUpdate));
  LICET_ASSIGN_OR_RETURN(format::CoseSign1 message, format::CoseSign1Parse(env.body));
  LICET_ASSIGN_OR_RETURN(json payload, format::DecodePayload(message.payload));
  UpdateHeader h;
  LICET_ASSIGN_OR_RETURN(h.firm_public_key, format::GetBinaryOfSize(payload, "firm_key", 32));
  LICET_RETURN_IF_ERROR(format::CoseSign1Verify(message, env.header, h.firm_public_key)
                            .WithContext("update file"));
  LICET_ASSIGN_OR_RETURN(h.serial, format::GetString(payload, "serial"));
  LICET_RETURN_IF_ERROR(ParseSerial(h.serial));
  LICET_ASSIGN_OR_RETURN(h.firm_code, format::GetUint32(payload, "firm_code"));
  LICET_ASSIGN_OR_RETURN(h.fuc_from, format::GetUint(payload, "fuc_from"));
  LICET_ASSIGN_OR_RETURN(h.fuc_to, format::GetUint(payload, "fuc_to"));
  LICET_ASSIGN_OR_RETURN(h.certified_time, format::GetInt(payload, "certified_time"));
  LICET_ASSIGN_OR_RETURN(h.recipient_key, format::GetBinaryOfSize(payload, "recipient", 32));
  LICET_ASSIGN_OR_RETURN(h.sealed, format::GetBinary(payload, "sealed"));
  if (h.firm_code == 0 || h.fuc_from == 0 || h.fuc_to < h.fuc_from) {
    return Error(ErrorCode::kCorruptData, "update file has an invalid firm code or FUC range");
  }
  return h;
}

Result<std::vector<model::Operation>> OpenUpdateOperations(const UpdateHeader& h,
                                                          const SoftContainer& c) {
  if (!crypto::ConstantTimeEqual(h.recipient_key, c.enc_public_key)) {
    return Error(ErrorCode::kWrongContainer,
                 "update was made for another container key than " + c.serial + "'s");
  }
  auto plain = format::CoseDecryptX25519(h.sealed, SealAad(h.firm_code, h.serial), c.enc_private_key);
  if (!plain.ok()) {
    return Error(plain.status().code(), "update for " + c.serial + " cannot be decrypted: " +
                                            plain.status().ToString());
  }
  LICET_ASSIGN_OR_RETURN(json sealed_payload, format::DecodePayload(plain->span()));
  LICET_ASSIGN_OR_RETURN(const json* ops_json, format::GetArray(sealed_payload, "ops"));
  auto ops = model::OperationsFromJson(*ops_json);
  format::WipeBinaries(sealed_payload);  // the operations may carry product secrets
  if (!ops.ok()) return ops.status();
  if (ops->empty() || ops->front().fuc != h.fuc_from || ops->back().fuc != h.fuc_to) {
    return Error(ErrorCode::kCorruptData, "update's operations do not match its FUC range");
  }
  return std::move(ops).value();
}

Result<ImportResult> ImportUpdate(ContainerStore& store, ByteSpan file) {
  LICET_ASSIGN_OR_RETURN(UpdateHeader h, ReadUpdateFile(file));
  auto serials = store.ListSerials();
  bool here = false;
  if (serials.ok()) {
    for (const auto& s : *serials) here = here || s == h.serial;
  }
  if (!here) {
    return Error(ErrorCode::kWrongContainer,
                 "update is for container " + h.serial +
                     ", which is not on this machine (see 'licet list')");
  }
  ImportResult result;
  result.serial = h.serial;
  Status st = store.Modify(h.serial, [&](SoftContainer& c) -> Result<bool> {
    const model::FirmItem* firm = c.state.FindFirm(h.firm_code);
    if (firm != nullptr && !crypto::ConstantTimeEqual(firm->public_key, h.firm_public_key)) {
      return Error(ErrorCode::kUntrustedSigner,
                   "update is signed by another key than the one container " + c.serial +
                       " trusts for " + FirmName(h.firm_code));
    }
    LICET_ASSIGN_OR_RETURN(std::vector<model::Operation> ops, OpenUpdateOperations(h, c));
    if (firm == nullptr && ops.front().fuc == 1) {
      // The first update of a firm introduces its key; it must be the key that signed it.
      // (A file starting later is refused by ApplyOperations: the firm item is missing.)
      const auto* add = std::get_if<model::op::AddFirmItem>(&ops.front().body);
      if (add == nullptr || !crypto::ConstantTimeEqual(add->public_key, h.firm_public_key)) {
        return Error(ErrorCode::kUntrustedSigner,
                     "update introduces " + FirmName(h.firm_code) + " with a key other than its signer's");
      }
    }
    LICET_ASSIGN_OR_RETURN(result.report,
                           model::ApplyOperations(c.state, h.firm_code, ops, h.certified_time));
    return result.report.applied > 0;
  });
  LICET_RETURN_IF_ERROR(st);
  return result;
}

}  // namespace licet::engine
