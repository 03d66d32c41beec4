#include "network/wire.h"

#include <exception>
#include <optional>

#include "network/wire_fields.h"
#include "protocol/protocol.h"

namespace licet::network {
namespace {

using nlohmann::json;

using wire_fields::AsUint;
using wire_fields::Bad;
using wire_fields::Binary;
using wire_fields::Text;

Result<uint64_t> Uint(const json& m, const char* key, std::optional<uint64_t> fallback,
                      uint64_t max) {
  return wire_fields::Uint(m, key, fallback, 0, max);
}

Result<NetOp> ParseOp(const std::string& op) {
  if (op == "hello") return NetOp::kHello;
  if (op == "access") return NetOp::kAccess;
  if (op == "release") return NetOp::kRelease;
  if (op == "heartbeat") return NetOp::kHeartbeat;
  if (op == "status") return NetOp::kStatus;
  if (op == "crypt") return NetOp::kCrypt;
  if (op == "unit") return NetOp::kUnit;
  if (op == "borrow") return NetOp::kBorrow;
  if (op == "borrow_return") return NetOp::kBorrowReturn;
  return Error(ErrorCode::kProtocolError, "unknown op '" + op.substr(0, 32) + "'");
}

Status ParseHello(const json& m, HelloRequest& h) {
  LICET_ASSIGN_OR_RETURN(uint64_t version, Uint(m, "version", std::nullopt, UINT32_MAX));
  h.version = static_cast<uint32_t>(version);
  auto id = m.find("client_id");
  if (id == m.end() || !id->is_binary() || id->get_binary().size() != kClientIdSize) {
    return Bad("client_id", "must be " + std::to_string(kClientIdSize) + " bytes");
  }
  h.client_id.assign(id->get_binary().begin(), id->get_binary().end());
  LICET_ASSIGN_OR_RETURN(h.host, Text(m, "host", true, kMaxNameSize));
  LICET_ASSIGN_OR_RETURN(h.machine, Text(m, "machine", true, kMaxNameSize));
  if (h.machine.empty()) return Bad("machine", "must not be empty");
  return Status::Ok();
}

Status ParseAccess(const json& m, AccessRequest& a) {
  LICET_ASSIGN_OR_RETURN(uint64_t firm, Uint(m, "firm_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t product, Uint(m, "product_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, Uint(m, "feature_code", 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t mode, Uint(m, "mode", 1, 8));
  LICET_ASSIGN_OR_RETURN(a.user, Text(m, "user", false, kMaxNameSize));
  LICET_ASSIGN_OR_RETURN(a.reclaim, Uint(m, "reclaim", 0, UINT64_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t release_date, Uint(m, "release_date", 0, INT64_MAX));
  a.release_date = static_cast<int64_t>(release_date);
  if (auto key = m.find("firm_key"); key != m.end()) {
    if (!key->is_binary() || key->get_binary().size() != model::kPublicKeySize) {
      return Bad("firm_key", "must be " + std::to_string(model::kPublicKeySize) + " bytes");
    }
    a.firm_key.assign(key->get_binary().begin(), key->get_binary().end());
  }
  if (firm == 0 || product == 0) {
    return Error(ErrorCode::kInvalidArgument, "firm_code and product_code must not be 0");
  }
  if (mode != 1 && mode != 2 && mode != 4 && mode != 8) {
    return Bad("mode", "must be 1, 2, 4 or 8");
  }
  a.firm_code = static_cast<uint32_t>(firm);
  a.product_code = static_cast<uint32_t>(product);
  a.feature_code = static_cast<uint32_t>(feature);
  a.mode = static_cast<model::AccessMode>(mode);
  return Status::Ok();
}

// --- crypt and unit (Engineer G) ---

constexpr size_t kIvSize = 12;
constexpr size_t kTagSize = 16;

Status ParseCrypt(const json& m, ServerRequest& r) {
  LICET_ASSIGN_OR_RETURN(r.lease, Uint(m, "lease", std::nullopt, UINT64_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t op, Uint(m, "crypt_op", std::nullopt, 3));
  if (op == 0) return Bad("crypt_op", "must be 1, 2 or 3");
  CryptRequest& c = r.crypt;
  c.op = static_cast<NetCryptOp>(op);
  LICET_ASSIGN_OR_RETURN(uint64_t feature, Uint(m, "feature_code", 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t code, Uint(m, "encryption_code", 0, UINT32_MAX));
  c.feature_code = static_cast<uint32_t>(feature);
  c.encryption_code = static_cast<uint32_t>(code);
  LICET_ASSIGN_OR_RETURN(c.iv, Binary(m, "iv", kIvSize, kIvSize));
  if (c.op == NetCryptOp::kDecrypt) {
    LICET_ASSIGN_OR_RETURN(c.tag, Binary(m, "tag", kTagSize, kTagSize));
  } else if (m.contains("tag")) {
    return Bad("tag", "is only for crypt_op 2 (decrypt)");
  }
  LICET_ASSIGN_OR_RETURN(c.data, Binary(m, "data", 0, kMaxNetworkCryptData));
  return Status::Ok();
}

Status ParseUnit(const json& m, ServerRequest& r) {
  LICET_ASSIGN_OR_RETURN(r.lease, Uint(m, "lease", std::nullopt, UINT64_MAX));
  LICET_ASSIGN_OR_RETURN(r.decrement, Uint(m, "decrement", std::nullopt, UINT64_MAX));
  if (r.decrement == 0) return Bad("decrement", "must be at least 1");
  return Status::Ok();
}

Status ParseItemOpResponse(const json& m, NetOp op, ClientResponse& r) {
  if (op == NetOp::kUnit) {
    LICET_ASSIGN_OR_RETURN(r.remaining, Uint(m, "remaining", std::nullopt, UINT64_MAX));
    return Status::Ok();
  }
  LICET_ASSIGN_OR_RETURN(r.data, Binary(m, "data", 0, kMaxNetworkCryptData));
  if (m.contains("tag")) {
    LICET_ASSIGN_OR_RETURN(r.tag, Binary(m, "tag", kTagSize, kTagSize));
  }
  return Status::Ok();
}

// --- end crypt and unit ---

Result<ServerRequest> ParseUnchecked(const json& m) {
  if (!m.is_object()) return Error(ErrorCode::kProtocolError, "a request is a CBOR map");
  ServerRequest r;
  auto id = m.find("id");
  auto op = m.find("op");
  std::optional<uint64_t> id_value;
  if (id != m.end()) id_value = AsUint(*id);
  if (!id_value || op == m.end() || !op->is_string()) {
    return Error(ErrorCode::kProtocolError, "a request needs an unsigned 'id' and a text 'op'");
  }
  r.id = *id_value;
  LICET_ASSIGN_OR_RETURN(r.op, ParseOp(op->get_ref<const std::string&>()));
  switch (r.op) {
    case NetOp::kHello:
      LICET_RETURN_IF_ERROR(ParseHello(m, r.hello));
      break;
    case NetOp::kAccess:
      LICET_RETURN_IF_ERROR(ParseAccess(m, r.access));
      break;
    case NetOp::kRelease: {
      LICET_ASSIGN_OR_RETURN(r.lease, Uint(m, "lease", std::nullopt, UINT64_MAX));
      break;
    }
    case NetOp::kCrypt:
      LICET_RETURN_IF_ERROR(ParseCrypt(m, r));
      break;
    case NetOp::kUnit:
      LICET_RETURN_IF_ERROR(ParseUnit(m, r));
      break;
    case NetOp::kBorrow:  // borrow_wire.cc
      LICET_RETURN_IF_ERROR(ParseBorrowRequest(m, r.borrow));
      break;
    case NetOp::kBorrowReturn:
      LICET_RETURN_IF_ERROR(ParseBorrowReturnRequest(m, r.borrow_return));
      break;
    case NetOp::kHeartbeat:
    case NetOp::kStatus:
      break;
  }
  return r;
}

}  // namespace

const char* NetOpName(NetOp op) {
  switch (op) {
    case NetOp::kHello:
      return "hello";
    case NetOp::kAccess:
      return "access";
    case NetOp::kRelease:
      return "release";
    case NetOp::kHeartbeat:
      return "heartbeat";
    case NetOp::kStatus:
      return "status";
    case NetOp::kCrypt:
      return "crypt";
    case NetOp::kUnit:
      return "unit";
    case NetOp::kBorrow:
      return "borrow";
    case NetOp::kBorrowReturn:
      return "borrow_return";
  }
  return "?";
}

Result<ServerRequest> ParseServerRequest(const json& message) {
  try {
    return ParseUnchecked(message);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kProtocolError, std::string("malformed request: ") + e.what());
  }
}

json EncodeHello(uint64_t id, const HelloRequest& h) {
  return json{{"id", id},
              {"op", "hello"},
              {"version", h.version},
              {"client_id", json::binary(h.client_id)},
              {"host", h.host},
              {"machine", h.machine}};
}

json EncodeAccess(uint64_t id, const AccessRequest& a) {
  json m{{"id", id},
         {"op", "access"},
         {"firm_code", a.firm_code},
         {"product_code", a.product_code},
         {"mode", static_cast<int>(a.mode)}};
  if (a.feature_code != 0) m["feature_code"] = a.feature_code;
  if (!a.user.empty()) m["user"] = a.user;
  if (a.reclaim != 0) m["reclaim"] = a.reclaim;
  if (a.release_date > 0) m["release_date"] = a.release_date;
  if (!a.firm_key.empty()) m["firm_key"] = json::binary(a.firm_key);
  return m;
}

json EncodeRelease(uint64_t id, uint64_t lease) {
  return json{{"id", id}, {"op", "release"}, {"lease", lease}};
}
json EncodeHeartbeat(uint64_t id) { return json{{"id", id}, {"op", "heartbeat"}}; }
json EncodeStatusRequest(uint64_t id) { return json{{"id", id}, {"op", "status"}}; }

Result<json> EncodeCrypt(uint64_t id, uint64_t lease, const CryptRequest& c) {
  if (c.data.size() > kMaxNetworkCryptData) {
    return Error(ErrorCode::kInvalidArgument,
                 "a crypt on a network license takes at most " +
                     std::to_string(kMaxNetworkCryptData) + " bytes per call (this one has " +
                     std::to_string(c.data.size()) + "); split the buffer or use a local license");
  }
  if (c.iv.size() != kIvSize) return Bad("iv", "must be 12 bytes");
  if (c.op == NetCryptOp::kDecrypt && c.tag.size() != kTagSize)
    return Bad("tag", "must be 16 bytes");
  json m{{"id", id},
         {"op", "crypt"},
         {"lease", lease},
         {"crypt_op", static_cast<int>(c.op)},
         {"iv", json::binary(c.iv)},
         {"data", json::binary(c.data)}};
  if (c.feature_code != 0) m["feature_code"] = c.feature_code;
  if (c.encryption_code != 0) m["encryption_code"] = c.encryption_code;
  if (c.op == NetCryptOp::kDecrypt) m["tag"] = json::binary(c.tag);
  return m;
}

json EncodeUnit(uint64_t id, uint64_t lease, uint64_t decrement) {
  return json{{"id", id}, {"op", "unit"}, {"lease", lease}, {"decrement", decrement}};
}

Result<ClientResponse> ParseClientResponse(const json& m, NetOp op) {
  try {
    if (!m.is_object()) return Error(ErrorCode::kProtocolError, "a response is a CBOR map");
    ClientResponse r;
    auto id = m.find("id");
    std::optional<uint64_t> id_value;
    if (id != m.end()) id_value = AsUint(*id);
    if (!id_value) return Error(ErrorCode::kProtocolError, "a response needs an unsigned 'id'");
    r.id = *id_value;
    auto code = m.find("code");
    std::optional<uint64_t> code_value;
    if (code != m.end()) code_value = AsUint(*code);
    if (!code_value || *code_value > 999) {
      return Error(ErrorCode::kProtocolError, "a response needs a 'code' from 0 to 999");
    }
    if (*code_value != 0) {
      auto message = Text(m, "message", false, 1024);
      r.status = Status(static_cast<ErrorCode>(*code_value),
                        message.ok() ? *message : std::string("(unreadable message)"));
      return r;
    }
    switch (op) {
      case NetOp::kHello: {
        LICET_ASSIGN_OR_RETURN(uint64_t t, Uint(m, "lease_timeout", std::nullopt, 86400));
        r.lease_timeout = static_cast<int64_t>(t);
        break;
      }
      case NetOp::kAccess: {
        LICET_ASSIGN_OR_RETURN(r.grant.lease, Uint(m, "lease", std::nullopt, UINT64_MAX));
        LICET_ASSIGN_OR_RETURN(r.grant.serial, Text(m, "serial", true, 32));
        LICET_ASSIGN_OR_RETURN(uint64_t q, Uint(m, "license_quantity", 0, UINT32_MAX));
        LICET_ASSIGN_OR_RETURN(uint64_t t, Uint(m, "lease_timeout", 0, 86400));
        r.grant.license_quantity = static_cast<uint32_t>(q);
        r.grant.lease_timeout = static_cast<int64_t>(t);
        if (r.grant.lease == 0) return Bad("lease", "must not be 0");
        if (auto item = m.find("item"); item != m.end()) {
          if (!item->is_object()) return Bad("item", "must be a map");
          r.grant.item = *item;
        }
        break;
      }
      case NetOp::kHeartbeat: {
        LICET_ASSIGN_OR_RETURN(r.leases, Uint(m, "leases", 0, UINT64_MAX));
        break;
      }
      case NetOp::kStatus: {
        auto rows = m.find("leases");
        if (rows == m.end() || !rows->is_array()) return Bad("leases", "must be an array");
        r.status_table = *rows;
        break;
      }
      case NetOp::kCrypt:
      case NetOp::kUnit:
        LICET_RETURN_IF_ERROR(ParseItemOpResponse(m, op, r));
        break;
      case NetOp::kBorrow:  // borrow_wire.cc
        LICET_RETURN_IF_ERROR(ParseBorrowGrant(m, r.borrow));
        break;
      case NetOp::kBorrowReturn:
        break;
      case NetOp::kRelease:
        break;
    }
    return r;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kProtocolError, std::string("malformed response: ") + e.what());
  }
}

}  // namespace licet::network
