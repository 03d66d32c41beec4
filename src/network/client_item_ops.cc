// Crypt and units on the lease of a held ticket, and discovery before a connect (client.h).
// Crypt and units are ordinary requests on the client's connection; like an access, they wait
// for a connection when there is none.
#include "network/client.h"

namespace licet::network {

namespace asio = boost::asio;

Result<uint64_t> Client::LeaseOf(TicketId ticket) const {
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) {
    return Error(ErrorCode::kInvalidArgument, "no network ticket " + std::to_string(ticket));
  }
  if (!it->second.lost.ok()) return it->second.lost;
  if (it->second.lease == 0) {
    return Error(ErrorCode::kUnavailable, "the network seat is being reclaimed; try again");
  }
  return it->second.lease;
}

void Client::Crypt(TicketId ticket, CryptRequest request, CryptDone done) {
  asio::dispatch(strand_, [self = shared_from_this(), ticket, request = std::move(request),
                           done = std::move(done)]() mutable {
    auto lease = self->LeaseOf(ticket);
    if (!lease.ok()) return done(lease.status());
    auto message = EncodeCrypt(0, *lease, request);
    if (!message.ok()) return done(message.status());
    Pending p = MakePending(NetOp::kCrypt, std::move(*message));
    p.done = [done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status());
      if (!r->status.ok()) return done(r->status);
      done(CryptAnswer{std::move(r->data), std::move(r->tag)});
    };
    self->Submit(std::move(p));
  });
}

void Client::Units(TicketId ticket, uint64_t decrement, UnitsDone done) {
  asio::dispatch(strand_,
                 [self = shared_from_this(), ticket, decrement, done = std::move(done)]() mutable {
                   auto lease = self->LeaseOf(ticket);
                   if (!lease.ok()) return done(lease.status());
                   Pending p = MakePending(NetOp::kUnit, EncodeUnit(0, *lease, decrement));
                   p.done = [done = std::move(done)](Result<ClientResponse> r) {
                     if (!r.ok()) return done(r.status());
                     if (!r->status.ok()) return done(r->status);
                     done(r->remaining);
                   };
                   self->Submit(std::move(p));
                 });
}

void Client::Rediscover() {
  options_.discover([self = shared_from_this()](std::vector<ServerAddress> found) {
    asio::dispatch(self->strand_, [self, found = std::move(found)]() mutable {
      self->options_.servers = std::move(found);
      self->TryServer(0, self->options_.servers.empty()
                             ? "no network license server answered the discovery probe"
                             : "");
    });
  });
}

}  // namespace licet::network
