// The Store: every query License Central makes, written once in portable SQL over a
// Database (store/sql.h), so that SQLite and PostgreSQL share it. A backend only implements
// Database and Connection.
//
// All reads and writes go through a transaction: Store::Transact runs a function with a Tx
// and commits when it returns OK, rolls back otherwise, and retries the whole function when
// the backend reports kBusy (a lost race). The function must therefore be safe to run more
// than once: no side effects outside the Tx until it returns.
#ifndef LICET_CENTRAL_STORE_STORE_H_
#define LICET_CENTRAL_STORE_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "central/store/group_commit.h"
#include "central/store/records.h"
#include "central/store/sql.h"
#include "common/status.h"

namespace licet::central::store {

// A ticket with the catalog rows an activation of it needs, read in one statement
// (Tx::GetTicketBundle).
struct TicketBundle {
  TicketRecord ticket;
  std::optional<FirmRecord> firm;       // nullopt: the ticket's firm is gone
  std::vector<ProductRecord> products;  // those of ticket.products that exist, ascending
};

// What Tx::StartActivation read and made.
struct ActivationStart {
  TicketBundle bundle;
  ContainerRecord container;           // the stored row: its keys are the pinned ones
  ContainerFirmRecord container_firm;  // (serial, the ticket's firm); locked on PostgreSQL
};

// The writes of a new activation (Tx::RecordActivation).
struct NewActivation {
  // The activation row: ticket, container, firm, its FUC range and time. Every other row
  // takes its ticket, serial, firm and time from here.
  ActivationRecord activation;
  // The compare-and-set of the container's issued FUC: it must still be this, and becomes
  // activation.fuc_to.
  uint64_t expected_issued_fuc = 0;
  // The licenses made, as (product_code, fuc); state 'activated'.
  std::vector<std::pair<uint32_t, uint64_t>> licenses;
  Bytes sealed_ops;    // the range activation.fuc_from..fuc_to, sealed (engine/vault.h)
  std::string reason;  // of the range: "activation", "push"
  // The audit event: only its id, event, actor and detail are used.
  AuditRecord audit;
};

// The activations a ticket has left after Tx::RecordActivation.
class ActivationsLeft {
 public:
  // nullopt until the statement ran; on PostgreSQL it runs with the COMMIT, so the value
  // is certain once the transaction committed.
  std::optional<uint32_t> value() const;

 private:
  friend class Tx;
  std::vector<Row> rows_;
};

// One open transaction. Lookups return nullopt when the row does not exist; inserts of a
// key that exists return kAlreadyExists (decided by ON CONFLICT DO NOTHING, never by a
// failing statement). Lists are in key order and start after `after` (exclusive), for
// cursor pagination.
//
// The exceptions are the writes of the activation path's tail, which nothing reads back:
// InsertLicense, InsertRange, InsertActivation and AppendAudit go through
// Connection::ExecuteLater, so on PostgreSQL they travel with the next statement or the
// COMMIT in one round trip. Their error (kAlreadyExists, or kBusy for a range or an
// activation a concurrent request inserted first) may therefore come from this call or
// from a later call of the same Tx, Commit included; either way the transaction fails.
class Tx {
 public:
  explicit Tx(Connection& conn) : conn_(conn) {}
  Connection& connection() { return conn_; }

  // ---- settings ----
  Result<std::optional<std::string>> GetSetting(const std::string& name);
  // Inserts unless present; returns the value now stored.
  Result<std::string> PutSettingIfAbsent(const std::string& name, const std::string& value);

  // ---- firms, API keys, products ----
  Status InsertFirm(const FirmRecord& firm);
  Result<std::optional<FirmRecord>> GetFirm(uint32_t firm_code);
  // Firms with code > after, ascending; only `only_firm` when set.
  Result<std::vector<FirmRecord>> ListFirms(uint32_t after, int limit,
                                            std::optional<uint32_t> only_firm);

  Status InsertApiKey(const ApiKeyRecord& key);
  Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(ByteSpan secret_hash);
  Result<std::vector<ApiKeyRecord>> ListApiKeys();
  // kNotFound when there is no such key; revoking twice keeps the first time.
  Status RevokeApiKey(const std::string& id, UnixTime now);

  Status InsertProduct(const ProductRecord& product);
  Result<std::optional<ProductRecord>> GetProduct(uint32_t firm_code, uint32_t product_code);
  Result<std::vector<ProductRecord>> ListProducts(uint32_t firm_code, uint32_t after, int limit);

  // ---- orders, tickets, activations, licenses ----
  Status InsertOrder(const OrderRecord& order);
  Result<std::optional<OrderRecord>> GetOrder(const std::string& id);
  Result<std::optional<OrderRecord>> GetOrderByRequestId(uint32_t firm_code,
                                                         const std::string& request_id);
  // Inserts the ticket and its ticket_products rows.
  Status InsertTicket(const TicketRecord& ticket);
  Result<std::optional<TicketRecord>> GetTicket(const std::string& code);
  // GetTicket, GetFirm of its firm and GetProduct of each of its products in one statement.
  Result<std::optional<TicketBundle>> GetTicketBundle(const std::string& code);
  Result<std::vector<TicketRecord>> ListTicketsOfOrder(const std::string& order_id);
  // The one statement that spends an activation:
  //   UPDATE tickets SET activations_used = activations_used + 1
  //   WHERE code = ? AND state = 'active' AND activations_used < activations_allowed
  // Returns false when nothing is left (or the ticket is not active). Atomic on its own, so
  // concurrent transactions, in this process or on other instances, never overspend.
  Result<bool> SpendActivation(const std::string& code);
  // The same statement with RETURNING: the activations left after spending one, or nullopt
  // when nothing was left (or the ticket is not active). One round trip instead of two.
  Result<std::optional<uint32_t>> SpendActivationLeft(const std::string& code);

  // The writes of a new activation, in this order: SpendActivationLeft (kNoMoreLicenses
  // when nothing is left), InsertLicense of each license, AdvanceIssuedFuc (kBusy when
  // another transaction moved it first), InsertRange, InsertActivation, AppendAudit. The
  // portable statements on SQLite; on PostgreSQL one call of the server-side function of
  // migration 0002, held back like ExecuteLater and sent with the COMMIT, so that its
  // failure (kNoMoreLicenses, or kBusy for a lost compare-and-set or a row a concurrent
  // twin inserted first) may come from a later call of this Tx, Commit included. `*left`
  // (which must outlive the transaction) receives the activations the ticket has left.
  Status RecordActivation(const NewActivation& a, ActivationsLeft* left);

  Result<std::optional<ActivationRecord>> GetActivation(const std::string& ticket_code,
                                                        const std::string& serial);
  Status InsertActivation(const ActivationRecord& activation);
  Result<std::vector<ActivationRecord>> ListActivationsOfTicket(const std::string& ticket_code);

  Status InsertLicense(const LicenseRecord& license);
  Result<std::vector<LicenseRecord>> ListLicensesOfTicket(const std::string& ticket_code);
  Result<std::vector<LicenseRecord>> ListLicensesOfContainer(const std::string& serial);
  // Marks the container's licenses of the firm with fuc <= up_to confirmed; returns how many
  // changed.
  Result<int64_t> ConfirmLicenses(const std::string& serial, uint32_t firm_code, uint64_t up_to,
                                  UnixTime now);

  // ---- containers and their history ----
  // Pins the keys at first sight: inserts the container unless the serial is known, then
  // returns the stored record (whose keys the caller compares with what it was shown).
  Result<ContainerRecord> PinContainer(const ContainerRecord& seen);
  // PinContainer and TouchContainer in one statement (an upsert with RETURNING): inserts
  // `seen` at first sight, else raises the known row's last_seen to `now`; returns the
  // stored record.
  Result<ContainerRecord> PinAndTouchContainer(const ContainerRecord& seen, UnixTime now);
  // The reads and upserts that start an activation, in one round trip on PostgreSQL:
  // GetTicketBundle(ticket_code), PinAndTouchContainer(seen, now) and
  // EnsureContainerFirm(seen.serial, the ticket's firm). nullopt when there is no such
  // ticket. The upserts run whatever the caller then finds (a revoked ticket, other keys
  // pinned for the serial, a blocked container): it must fail the transaction on any such
  // refusal, so that they are rolled back.
  Result<std::optional<ActivationStart>> StartActivation(const std::string& ticket_code,
                                                         const ContainerRecord& seen, UnixTime now);
  Result<std::optional<ContainerRecord>> GetContainer(const std::string& serial);
  Status SetContainerState(const std::string& serial, const std::string& state,
                           const std::string& reason, const std::string& report_json);
  Status TouchContainer(const std::string& serial, UnixTime now);

  // The (serial, firm) row, created with zeros when absent.
  Result<ContainerFirmRecord> EnsureContainerFirm(const std::string& serial, uint32_t firm_code);
  Result<std::optional<ContainerFirmRecord>> GetContainerFirm(const std::string& serial,
                                                              uint32_t firm_code);
  Result<std::vector<ContainerFirmRecord>> ListContainerFirms(const std::string& serial);
  // Compare-and-set of the issued FUC: false when another transaction moved it first (the
  // caller's view is stale; Transact's retry re-reads it).
  Result<bool> AdvanceIssuedFuc(const std::string& serial, uint32_t firm_code, uint64_t expected,
                                uint64_t new_fuc);
  // Raises confirmed_fuc to `fuc` if it is lower.
  Status RaiseConfirmedFuc(const std::string& serial, uint32_t firm_code, uint64_t fuc);
  // Sets baseline (fuc, products) and raises issued_fuc to at least `fuc`.
  Status SetBaseline(const std::string& serial, uint32_t firm_code, uint64_t fuc,
                     const std::vector<uint32_t>& products);

  Status InsertRange(const FucRangeRecord& range);
  // Ranges of (serial, firm), ascending by fuc_from.
  Result<std::vector<FucRangeRecord>> ListRanges(const std::string& serial, uint32_t firm_code);

  // ---- audit, idempotency ----
  Status AppendAudit(const AuditRecord& event);
  // Events after (at, id), ascending; only those of `only_firm` when set.
  Result<std::vector<AuditRecord>> ListAudit(UnixTime after_at, const std::string& after_id,
                                             int limit, std::optional<uint32_t> only_firm);

  Result<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& api_key_id,
                                                          const std::string& key);
  // Stores the response unless one is stored (a concurrent twin won): kAlreadyExists then.
  Status PutIdempotency(const IdempotencyRecord& record);

  // SELECT 1: the database answers.
  Status Ping();

 private:
  // GetTicketBundle's statement through Connection::QueryLater, and its rows decoded.
  Status QueryTicketBundleLater(const std::string& code, std::vector<Row>* rows);
  static std::optional<TicketBundle> TicketBundleOf(const std::vector<Row>& rows);

  Result<std::vector<Row>> Query(std::string_view sql, std::vector<SqlValue> params);
  Result<int64_t> Exec(std::string_view sql, std::vector<SqlValue> params);
  // Connection::ExecuteLater: the write may fail only at a later call of this Tx.
  Status ExecLater(std::string_view sql, std::vector<SqlValue> params,
                   ErrorCode on_unique_violation);

  Connection& conn_;
};

// How write transactions reach the database.
enum class WriteMode {
  kAuto,         // group commit on SQLite (one writer), a transaction each on PostgreSQL
  kGroupCommit,  // store/group_commit.h: concurrent writes share one transaction and fsync
  kEach,         // one database transaction (and, on SQLite, one fsync) per Transact
};

class Store {
 public:
  // `db` must outlive the Store.
  explicit Store(Database& db, WriteMode mode = WriteMode::kAuto);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `fn` in a transaction (see the file comment). Retries up to `max_attempts` times
  // on kBusy with a short randomised backoff; returns fn's error otherwise. `fn` returns
  // Status; use the Result overload below to carry a value out.
  //
  // With group commit, a kWrite `fn` runs inside a SAVEPOINT of a transaction shared with
  // other callers, on another thread (the batch's leader): it must not call Transact
  // itself, and its effects are rolled back alone when it fails. Either way Transact
  // returns OK only once the changes are committed (durable).
  Status Transact(TxMode mode, const std::function<Status(Tx&)>& fn, int max_attempts = 8);

  template <typename T>
  Result<T> TransactResult(TxMode mode, const std::function<Result<T>(Tx&)>& fn) {
    std::optional<T> out;
    Status st = Transact(mode, [&](Tx& tx) -> Status {
      out.reset();
      auto r = fn(tx);
      if (!r.ok()) return r.status();
      out.emplace(std::move(r).value());
      return Status::Ok();
    });
    if (!st.ok()) return st;
    return std::move(*out);
  }

  Database& database() { return db_; }
  // The group committer, or nullptr when every write has its own transaction.
  const GroupCommitter* group_committer() const { return group_.get(); }

 private:
  Status TransactOnce(TxMode mode, const std::function<Status(Tx&)>& fn);

  Database& db_;
  std::unique_ptr<GroupCommitter> group_;
};

// A new random identifier: `prefix` followed by 20 lower-case base32 characters (100 bits).
std::string NewId(std::string_view prefix);

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_STORE_H_
