// Client::Borrow and Client::BorrowReturn: one request each over the client's connection
// (borrow_wire.h). A loan is not a ticket: nothing to reclaim after a reconnect, the server
// keeps it in its borrow table.
#include "network/client.h"

namespace licet::network {

namespace asio = boost::asio;

void Client::Borrow(BorrowRequest request, BorrowDone done) {
  asio::dispatch(strand_, [self = shared_from_this(), request = std::move(request),
                           done = std::move(done)]() mutable {
    Pending p = MakePending(NetOp::kBorrow, EncodeBorrow(0, request));
    p.done = [done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status());
      if (!r->status.ok()) return done(r->status);
      done(std::move(r->borrow));
    };
    self->Submit(std::move(p));
  });
}

void Client::BorrowReturn(BorrowReturnRequest request, Done done) {
  asio::dispatch(strand_, [self = shared_from_this(), request = std::move(request),
                           done = std::move(done)]() mutable {
    Pending p = MakePending(NetOp::kBorrowReturn, EncodeBorrowReturn(0, request));
    p.done = [done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status());
      done(r->status);
    };
    self->Submit(std::move(p));
  });
}

}  // namespace licet::network
