#include "daemon/lan_access.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "common/env.h"

namespace licet::daemon {

using nlohmann::json;

LanAccess::LanAccess(std::shared_ptr<network::Client> client) : client_(std::move(client)) {}

LanAccess::~LanAccess() { client_->Close(); }

void LanAccess::Request(const network::AccessRequest& request, Done done) {
  client_->Access(request, std::move(done));
}

HandleId LanAccess::Register(ConnectionId connection, network::TicketId ticket,
                             const network::Grant& grant) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandleId handle = next_handle_++;
  handles_[handle] = Held{connection, ticket, grant.serial, grant.item};
  return handle;
}

void LanAccess::Drop(network::TicketId ticket) {
  client_->Release(ticket, [](Status) {});
}

Status LanAccess::Release(ConnectionId connection, HandleId handle) {
  network::TicketId ticket = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(handle);
    if (it == handles_.end() || it->second.connection != connection) {
      return Error(ErrorCode::kInvalidArgument,
                   "handle " + std::to_string(handle) + " is not open on this connection");
    }
    ticket = it->second.ticket;
    handles_.erase(it);
  }
  // The answer is not awaited: the seat is the server's business from here, and a lost
  // release only means the server frees the seat at the lease timeout.
  client_->Release(ticket, [](Status) {});
  return Status::Ok();
}

Result<std::pair<std::string, json>> LanAccess::Info(ConnectionId connection, HandleId handle) {
  network::TicketId ticket = 0;
  std::pair<std::string, json> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(handle);
    if (it == handles_.end() || it->second.connection != connection) {
      return Error(ErrorCode::kInvalidArgument,
                   "handle " + std::to_string(handle) + " is not open on this connection");
    }
    ticket = it->second.ticket;
    out = {it->second.serial, it->second.item};
  }
  LICET_RETURN_IF_ERROR(client_->TicketStatus(ticket));
  return out;
}

Result<network::TicketId> LanAccess::TicketOf(ConnectionId connection, HandleId handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end() || it->second.connection != connection) {
    return Error(ErrorCode::kInvalidArgument,
                 "handle " + std::to_string(handle) + " is not open on this connection");
  }
  return it->second.ticket;
}

void LanAccess::Crypt(ConnectionId connection, HandleId handle, network::CryptRequest request,
                      network::Client::CryptDone done) {
  auto ticket = TicketOf(connection, handle);
  if (!ticket.ok()) return done(ticket.status());
  client_->Crypt(*ticket, std::move(request), std::move(done));
}

void LanAccess::Units(ConnectionId connection, HandleId handle, uint64_t decrement,
                      network::Client::UnitsDone done) {
  auto ticket = TicketOf(connection, handle);
  if (!ticket.ok()) return done(ticket.status());
  client_->Units(*ticket, decrement, std::move(done));
}

void LanAccess::CloseConnection(ConnectionId connection) {
  std::vector<network::TicketId> tickets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = handles_.begin(); it != handles_.end();) {
      if (it->second.connection == connection) {
        tickets.push_back(it->second.ticket);
        it = handles_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (network::TicketId t : tickets) client_->Release(t, [](Status) {});
}

json LanAccess::StatusJson() {
  size_t n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = handles_.size();
  }
  return json{
      {"server", client_->connected_server()}, {"handles", n}, {"held", client_->held_tickets()}};
}

void LanAccess::QueryServer(std::function<void(Result<json>)> done) {
  client_->QueryStatus(std::move(done));
}

std::string LocalHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string LocalMachineIdentity() {
  auto id = Env::Default().ReadFile("/etc/machine-id", 256);
  if (id.ok()) {
    std::string s(id->begin(), id->end());
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    if (!s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos) return s;
  }
  return LocalHostName();
}

std::string UserName(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(4096);
  if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return "uid:" + std::to_string(uid);
}

}  // namespace licet::daemon
