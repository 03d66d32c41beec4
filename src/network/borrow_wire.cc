#include "network/borrow_wire.h"

#include <exception>
#include <optional>

#include "network/wire_fields.h"

namespace licet::network {
namespace {

using nlohmann::json;

using wire_fields::Bad;
using wire_fields::Binary;
using wire_fields::Text;
using wire_fields::Uint;

Status ParseBorrowUnchecked(const json& m, BorrowRequest& r) {
  LICET_ASSIGN_OR_RETURN(uint64_t firm, Uint(m, "firm_code", std::nullopt, 1, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t product, Uint(m, "product_code", std::nullopt, 1, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, Uint(m, "feature_code", 0, 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t days, Uint(m, "days", std::nullopt, 1, kMaxBorrowRequestDays));
  LICET_ASSIGN_OR_RETURN(r.client_serial, Text(m, "serial", true, kMaxBorrowSerialSize));
  if (r.client_serial.empty()) return Bad("serial", "must not be empty");
  LICET_ASSIGN_OR_RETURN(r.client_sig_key, Binary(m, "sig_key", kBorrowKeySize, kBorrowKeySize));
  LICET_ASSIGN_OR_RETURN(r.client_enc_key, Binary(m, "enc_key", kBorrowKeySize, kBorrowKeySize));
  LICET_ASSIGN_OR_RETURN(r.user, Text(m, "user", false, 255));
  r.firm_code = static_cast<uint32_t>(firm);
  r.product_code = static_cast<uint32_t>(product);
  r.feature_code = static_cast<uint32_t>(feature);
  r.days = static_cast<uint32_t>(days);
  return Status::Ok();
}

}  // namespace

Bytes BorrowReturnMessage(uint64_t borrow_id) {
  static constexpr char kContext[] = "licet-borrow-return-v1";
  Bytes out(kContext, kContext + sizeof kContext - 1);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(borrow_id >> shift));
  }
  return out;
}

Status ParseBorrowRequest(const json& m, BorrowRequest& out) {
  try {
    return ParseBorrowUnchecked(m, out);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, std::string("malformed borrow: ") + e.what());
  }
}

Status ParseBorrowReturnRequest(const json& m, BorrowReturnRequest& out) {
  try {
    LICET_ASSIGN_OR_RETURN(out.borrow_id, Uint(m, "borrow_id", std::nullopt, 1, UINT64_MAX));
    LICET_ASSIGN_OR_RETURN(out.proof, Binary(m, "proof", kBorrowProofSize, kBorrowProofSize));
    return Status::Ok();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, std::string("malformed borrow_return: ") + e.what());
  }
}

Status ParseBorrowGrant(const json& m, BorrowGrant& out) {
  try {
    LICET_ASSIGN_OR_RETURN(out.borrow_id, Uint(m, "borrow_id", std::nullopt, 1, UINT64_MAX));
    LICET_ASSIGN_OR_RETURN(uint64_t until, Uint(m, "until", std::nullopt, 1, INT64_MAX));
    out.until = static_cast<UnixTime>(until);
    LICET_ASSIGN_OR_RETURN(out.entry, Binary(m, "entry", 1, kMaxBorrowEntrySize));
    return Status::Ok();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, std::string("malformed borrow answer: ") + e.what());
  }
}

json EncodeBorrow(uint64_t id, const BorrowRequest& r) {
  json m{{"id", id},
         {"op", "borrow"},
         {"firm_code", r.firm_code},
         {"product_code", r.product_code},
         {"days", r.days},
         {"serial", r.client_serial},
         {"sig_key", json::binary(r.client_sig_key)},
         {"enc_key", json::binary(r.client_enc_key)}};
  if (r.feature_code != 0) m["feature_code"] = r.feature_code;
  if (!r.user.empty()) m["user"] = r.user;
  return m;
}

json EncodeBorrowReturn(uint64_t id, const BorrowReturnRequest& r) {
  return json{{"id", id},
              {"op", "borrow_return"},
              {"borrow_id", r.borrow_id},
              {"proof", json::binary(r.proof)}};
}

}  // namespace licet::network
