// The network server's borrow and borrow_return (docs/NETWORK.md "Borrowing"). A loan is
// judged as an access would be (access rules, the item's checks, reservations, seats), plus
// the item's borrow rules; the seat it takes is then held by the BorrowTable rather than by a
// lease, so it survives the client's silence and a server restart.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "network/server.h"
#include "protocol/protocol.h"

namespace licet::network {

using nlohmann::json;

namespace {

constexpr int64_t kDay = 86400;

std::string ProductName(uint32_t firm_code, uint32_t product_code) {
  return "product " + std::to_string(product_code) + " of firm " + std::to_string(firm_code);
}

UsageEvent LoanEvent(const char* event, const BorrowRecord& r, std::string client_id,
                     const std::string& address, uint64_t lease, std::string reason) {
  UsageEvent e;
  e.event = event;
  e.firm_code = r.firm_code;
  e.product_code = r.product_code;
  e.client = std::move(client_id);
  e.host = r.host;
  e.user = r.user;
  e.mode = "borrowed";
  e.lease = lease;
  e.reason = std::move(reason);
  e.address = address;
  return e;
}

uint64_t NewBorrowId() {
  for (;;) {
    Bytes b = crypto::RandomBytes(8);
    uint64_t id = 0;
    for (uint8_t byte : b) id = (id << 8) | byte;
    if (id != 0) return id;
  }
}

}  // namespace

Status Server::EnableBorrowing(BorrowIssuer issuer, const std::string& table_path, Env* env,
                               const Clock* clock) {
  auto table = std::make_unique<BorrowTable>(table_path, env, clock);
  LICET_RETURN_IF_ERROR(table->Load());
  std::lock_guard<std::mutex> lock(table_mu_);
  borrow_issuer_ = std::move(issuer);
  borrows_ = std::move(table);
  return Status::Ok();
}

void Server::SubtractBorrowed(ItemSpec& spec, uint32_t firm_code, uint32_t product_code) {
  if (!borrows_) return;
  const uint32_t lent = borrows_->Active(firm_code, product_code, spec.serial);
  spec.license_quantity -= std::min(spec.license_quantity, lent);
}

json Server::HandleBorrow(ClientRef client, const std::string& address, const ServerRequest& r) {
  const BorrowRequest& b = r.borrow;
  const std::string what = ProductName(b.firm_code, b.product_code);
  if (!borrows_ || !borrow_issuer_.lookup || !borrow_issuer_.sign) {
    return protocol::ErrorResponse(
        r.id, Error(ErrorCode::kBorrowNotAllowed, "this network server does not lend seats"));
  }
  Requester who{address, {}, b.user};
  {
    std::lock_guard<std::mutex> lock(table_mu_);
    who.host = table_.HostOf(client);
  }
  Status allowed = options_.rules.Check(who);
  Result<BorrowOffer> offer =
      allowed.ok() ? borrow_issuer_.lookup(b) : Result<BorrowOffer>(allowed);
  if (offer.ok() && !offer->rules.allowed()) {
    offer = Error(ErrorCode::kBorrowNotAllowed,
                  "the network server's " + what + " may not be borrowed (it has no borrow rules)");
  }
  if (offer.ok() && b.days > offer->rules.max_days) {
    offer =
        Error(ErrorCode::kBorrowTooLong,
              "a borrow of " + what + " may last at most " + std::to_string(offer->rules.max_days) +
                  " day(s), not " + std::to_string(b.days) + "; ask for fewer --days");
  }
  std::unique_lock<std::mutex> lock(table_mu_);
  const UnixTime now = borrows_->clock().Now();
  BorrowRecord record;
  Result<Bytes> entry = offer.ok() ? Result<Bytes>(Bytes()) : Result<Bytes>(offer.status());
  if (entry.ok()) {
    ItemSpec spec = offer->spec;
    const uint32_t lent = borrows_->Active(b.firm_code, b.product_code, spec.serial);
    if (lent >= offer->rules.max_seats) {
      entry = Error(ErrorCode::kBorrowNotAllowed, "all " + std::to_string(offer->rules.max_seats) +
                                                    " borrowable seat(s) of " + what +
                                                    " are lent out; try again after a "
                                                    "return or expiry");
    }
    if (entry.ok()) {
      // A trial access as this client: the same seat count, exclusive rules and reservations
      // as a network access, without keeping a lease.
      spec.reservations = options_.rules.ReservationsFor(b.firm_code, b.product_code, who);
      SubtractBorrowed(spec, b.firm_code, b.product_code);
      auto trial = table_.Acquire(client, b.firm_code, b.product_code, spec,
                                  model::AccessMode::kUserLimit, b.user, 0);
      if (!trial.ok()) {
        entry = trial.status();
      } else {
        (void)table_.Release(client, trial->lease);
      }
    }
    if (entry.ok()) {
      record.id = NewBorrowId();
      record.firm_code = b.firm_code;
      record.product_code = b.product_code;
      record.feature_code = b.feature_code;
      record.serial = spec.serial;
      record.client_serial = b.client_serial;
      record.client_sig_key = b.client_sig_key;
      record.host = who.host;
      record.user = b.user;
      record.address = address;
      record.issued = now;
      record.until = now + static_cast<int64_t>(b.days) * kDay;
      if (offer->expiration != 0) record.until = std::min(record.until, offer->expiration);
      if (record.until <= now) {
        entry = Error(ErrorCode::kExpired, "the network server's " + what + " has expired");
      }
    }
    if (entry.ok()) entry = borrow_issuer_.sign(b, record);
    if (entry.ok() && entry->size() > kMaxBorrowEntrySize) {
      entry = Error(ErrorCode::kInternal, "the borrow entry is too large");
    }
    if (entry.ok()) {
      Status added = borrows_->Add(record);
      if (!added.ok()) {
        spdlog::error("network: {}", added.ToString());
        entry = added;
      }
    }
  }
  const std::string client_id = table_.ClientIdHexOf(client);
  if (!entry.ok()) {
    ++counters_.denied;
    table_.RecordDenial(client, b.firm_code, b.product_code, b.user, entry.status());
    if (usage_log_ != nullptr) {
      BorrowRecord refused;
      refused.firm_code = b.firm_code;
      refused.product_code = b.product_code;
      refused.host = who.host;
      refused.user = b.user;
      UsageEvent e = LoanEvent("deny", refused, client_id, address, 0, entry.status().message());
      lock.unlock();
      LogUsage(e);
    }
    return protocol::ErrorResponse(r.id, entry.status());
  }
  lock.unlock();
  spdlog::info("network: {} lent to container {} ({}\\{}) until {} (loan {})", what,
               record.client_serial, record.host, record.user, FormatTime(record.until), record.id);
  if (usage_log_ != nullptr) {
    LogUsage(
        LoanEvent("grant", record, client_id, address, record.id,
                  "borrowed by " + record.client_serial + " until " + FormatTime(record.until)));
  }
  json resp = protocol::OkResponse(r.id);
  resp["borrow_id"] = record.id;
  resp["until"] = record.until;
  resp["serial"] = record.serial;
  resp["entry"] = json::binary(std::move(*entry));
  return resp;
}

json Server::HandleBorrowReturn(ClientRef client, const std::string& address,
                                const ServerRequest& r) {
  const BorrowReturnRequest& b = r.borrow_return;
  if (!borrows_) {
    return protocol::ErrorResponse(
        r.id, Error(ErrorCode::kBorrowNotAllowed, "this network server does not lend seats"));
  }
  std::unique_lock<std::mutex> lock(table_mu_);
  table_.Touch(client);
  auto record = borrows_->Find(b.borrow_id);
  if (!record.ok()) return protocol::ErrorResponse(r.id, record.status());
  // Only the container the seat was lent to may give it back.
  Status proof =
      crypto::Ed25519Verify(record->client_sig_key, BorrowReturnMessage(b.borrow_id), b.proof);
  if (!proof.ok()) {
    return protocol::ErrorResponse(
        r.id, Error(ErrorCode::kBadSignature,
                    "the return proof for loan " + std::to_string(b.borrow_id) +
                        " is not signed by container " + record->client_serial));
  }
  auto removed = borrows_->Remove(b.borrow_id);
  if (!removed.ok()) return protocol::ErrorResponse(r.id, removed.status());
  const std::string client_id = table_.ClientIdHexOf(client);
  lock.unlock();
  spdlog::info("network: loan {} of {} returned by container {}", removed->id,
               ProductName(removed->firm_code, removed->product_code), removed->client_serial);
  if (usage_log_ != nullptr) {
    LogUsage(LoanEvent("release", *removed, client_id, address, removed->id, "returned"));
  }
  return protocol::OkResponse(r.id);
}

}  // namespace licet::network
