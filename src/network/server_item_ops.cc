// Crypt, units and the start of a usage period on the network server (server_item_ops.h), and
// its discovery responder (discovery.h).
// The server checks that the lease is the client's, then hands over to its owner's ItemOps;
// the answer may come from a worker thread.
#include <spdlog/spdlog.h>

#include "network/server.h"
#include "protocol/protocol.h"

namespace licet::network {

using nlohmann::json;

void Server::HandleAsync(ClientRef& client, const std::string& address, const ServerRequest& r,
                         Reply reply) {
  switch (r.op) {
    case NetOp::kCrypt:
      return HandleCrypt(client, r, std::move(reply));
    case NetOp::kUnit:
      return HandleUnit(client, r, std::move(reply));
    case NetOp::kAccess: {
      FollowUp follow_up;
      json granted = Handle(client, address, r, item_ops_.first_use ? &follow_up : nullptr);
      if (!follow_up.first_use) return reply(std::move(granted));
      return StartUsagePeriod(client, r.id, follow_up, std::move(granted), std::move(reply));
    }
    default:
      return reply(Handle(client, address, r));
  }
}

void Server::HandleCrypt(ClientRef client, const ServerRequest& r, Reply reply) {
  if (!item_ops_.crypt) {
    return reply(protocol::ErrorResponse(
        r.id, Error(ErrorCode::kInvalidArgument, "this network server does not crypt")));
  }
  Result<LeaseTarget> target = [&] {
    std::lock_guard<std::mutex> lock(table_mu_);
    return table_.TargetOf(client, r.lease);
  }();
  if (!target.ok()) return reply(protocol::ErrorResponse(r.id, target.status()));
  auto answer = item_ops_.crypt(*target, r.crypt);
  if (!answer.ok()) {
    return reply(protocol::ErrorResponse(r.id, answer.status().WithContext("network server")));
  }
  json resp = protocol::OkResponse(r.id);
  resp["data"] = json::binary(std::move(answer->data));
  if (!answer->tag.empty()) resp["tag"] = json::binary(std::move(answer->tag));
  reply(std::move(resp));
}

void Server::HandleUnit(ClientRef client, const ServerRequest& r, Reply reply) {
  if (!item_ops_.units) {
    return reply(protocol::ErrorResponse(
        r.id, Error(ErrorCode::kInvalidArgument, "this network server does not count units")));
  }
  Result<LeaseTarget> target = [&] {
    std::lock_guard<std::mutex> lock(table_mu_);
    return table_.TargetOf(client, r.lease);
  }();
  if (!target.ok()) return reply(protocol::ErrorResponse(r.id, target.status()));
  item_ops_.units(
      *target, r.decrement, [id = r.id, reply = std::move(reply)](Result<uint64_t> remaining) {
        if (!remaining.ok()) {
          return reply(
              protocol::ErrorResponse(id, remaining.status().WithContext("network server")));
        }
        json resp = protocol::OkResponse(id);
        resp["remaining"] = *remaining;
        reply(std::move(resp));
      });
}

void Server::StartUsagePeriod(ClientRef client, uint64_t id, const FollowUp& follow_up,
                              json granted, Reply reply) {
  // As for a local access: the period's start is on disk before the client may run, else a
  // crash would restart the period.
  item_ops_.first_use(follow_up.target, [this, client, id, follow_up, granted = std::move(granted),
                                         reply = std::move(reply)](Result<json> item) mutable {
    if (item.ok()) {
      if (item->is_object()) granted["item"] = std::move(*item);
      spdlog::info("network: usage period of product {} of firm {} in container {} started",
                   follow_up.target.product_code, follow_up.target.firm_code,
                   follow_up.target.serial);
      return reply(std::move(granted));
    }
    spdlog::warn("network: cannot start the usage period: {}", item.status().ToString());
    {
      std::unique_lock<std::mutex> lock(table_mu_);
      // Nobody will use or release this lease: the client hears of a refusal.
      (void)table_.Release(client, follow_up.lease);
      LogLeaseEnd(lock, follow_up.lease, "the usage period could not be started");
    }
    reply(protocol::ErrorResponse(id, item.status().WithContext("network server")));
  });
}

Status Server::EnableDiscovery(const std::string& host, DiscoveryResponder::Describe describe) {
  discovery_ = std::make_unique<DiscoveryResponder>(io_, [this, describe = std::move(describe)] {
    DiscoveryAnswer answer = describe();
    answer.port = port_;
    return answer;
  });
  Status st = discovery_->Listen(host, port_);
  if (!st.ok()) discovery_.reset();
  return st;
}

}  // namespace licet::network
