#include "central/engine/activation.h"

#include <variant>

#include "central/engine/history.h"
#include "central/engine/ticket_code.h"
#include "crypto/crypto.h"
#include "engine/context_file.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"

namespace licet::central::engine {
namespace {

using licet::engine::ContainerContext;
using licet::engine::FirmKey;
using nlohmann::json;

// A manipulation found inside a transaction: the flag is written and committed, then the
// request is refused with this status.
struct Flagged {
  Status refusal;
};

FirmReport ReportOf(const ContainerContext& ctx, uint32_t firm_code) {
  FirmReport r;
  if (const auto* f = ctx.FindFirm(firm_code)) {
    r.fuc = f->fuc;
    r.public_key = f->public_key;
    for (const auto& p : f->products) r.products.insert(p.product_code);
  }
  return r;
}

json ReportJson(uint32_t firm_code, const FirmReport& r) {
  return {{"firm_code", firm_code},
          {"fuc", r.fuc},
          {"public_key", HexEncode(r.public_key)},
          {"products", std::vector<uint32_t>(r.products.begin(), r.products.end())}};
}

Result<History> LoadHistory(store::Tx& tx, const Vault& vault,
                            const store::ContainerFirmRecord& cf) {
  History h;
  h.baseline_fuc = cf.baseline_fuc;
  h.baseline_products =
      std::set<uint32_t>(cf.baseline_products.begin(), cf.baseline_products.end());
  h.issued_fuc = cf.issued_fuc;
  // Every range ends at or below issued_fuc, and ranges at or below the baseline are not
  // needed: a container new to the firm (the common case) costs no query here.
  if (h.issued_fuc <= h.baseline_fuc) return h;
  LICET_ASSIGN_OR_RETURN(auto ranges, tx.ListRanges(cf.serial, cf.firm_code));
  for (const auto& r : ranges) {
    if (r.fuc_to <= h.baseline_fuc) continue;  // below the baseline: not needed
    LICET_ASSIGN_OR_RETURN(
        auto ops, vault.OpenOperations(r.serial, r.firm_code, r.fuc_from, r.fuc_to, r.sealed_ops));
    for (auto& op : ops) h.ops.push_back(std::move(op));
  }
  return h;
}

// Refuses containers a vendor blocked or that were flagged before.
Status CheckContainerState(const store::ContainerRecord& c) {
  if (c.state == store::kContainerBlocked) {
    return Error(ErrorCode::kAccessDenied,
                 "container " + c.serial + " is blocked by the vendor: " + c.state_reason);
  }
  if (c.state == store::kContainerManipulated) {
    return Error(ErrorCode::kManipulationDetected,
                 "container " + c.serial +
                     " is flagged 'manipulation detected' and waits for a vendor decision: " +
                     c.state_reason);
  }
  return Status::Ok();
}

// The container's keys are pinned at first sight (store::Tx::StartActivation); a known
// serial with other keys is a clone or a forgery. Nothing is recorded for it (the caller's
// transaction fails, so the pin's upserts roll back): the file proves only that its maker
// holds *some* key, and flagging the genuine container on such evidence would let anyone
// block it.
Status CheckPinnedKeys(const store::ContainerRecord& c, const ContainerContext& ctx) {
  if (!crypto::ConstantTimeEqual(c.sig_public_key, ctx.sig_public_key) ||
      !crypto::ConstantTimeEqual(c.enc_public_key, ctx.enc_public_key)) {
    return Error(ErrorCode::kUntrustedSigner,
                 "container " + ctx.serial +
                     " is known with other keys: this file comes from a copy or a forgery");
  }
  return Status::Ok();
}

// Writes the flag and the audit event; the caller commits and refuses.
Status FlagManipulation(store::Tx& tx, UnixTime now, const std::string& serial,
                        const std::string& reason, const json& report, const std::string& actor,
                        std::optional<uint32_t> firm_code) {
  LICET_RETURN_IF_ERROR(
      tx.SetContainerState(serial, store::kContainerManipulated, reason, report.dump()));
  return tx.AppendAudit(MakeAudit(now, "container.manipulation_detected", actor, firm_code,
                                  std::nullopt, serial, {{"reason", reason}, {"report", report}}));
}

Status ManipulationRefusal(const std::string& serial, const std::string& reason) {
  return Error(ErrorCode::kManipulationDetected,
               "container " + serial + ": manipulation detected (" + reason +
                   "); activations are refused until the vendor decides");
}

// What the ticket's products become in a container, in product-code order. `products`
// are the rows of the ticket's products that exist (store::TicketBundle).
Result<std::vector<model::ProductItem>> TicketItems(
    const TemplateCache& templates, const store::TicketRecord& ticket,
    const std::vector<store::ProductRecord>& products, UnixTime now) {
  std::vector<model::ProductItem> items;
  for (uint32_t code : ticket.products) {
    const store::ProductRecord* product = nullptr;
    for (const auto& p : products) {
      if (p.product_code == code) product = &p;
    }
    if (product == nullptr) {
      return Error(ErrorCode::kEntryNotFound, "product " + std::to_string(code) + " is gone");
    }
    LICET_ASSIGN_OR_RETURN(std::shared_ptr<const ProductTemplate> t, templates.Open(*product));
    LICET_ASSIGN_OR_RETURN(model::ProductItem item, Instantiate(*t, now));
    items.push_back(std::move(item));
  }
  return items;
}

struct IssueRequest {
  const FirmKey* firm = nullptr;
  const ContainerContext* ctx = nullptr;        // real, or made from the pinned keys (push)
  uint64_t container_fuc = 0;                   // what the container holds (n)
  const store::TicketRecord* ticket = nullptr;  // nullptr: send only what is pending
  const std::vector<store::ProductRecord>* products = nullptr;  // of the ticket
  std::string reason;                                           // "activation", "push"
  std::string actor;
  UnixTime now = 0;
};

// What a transaction decided to send: `out` without its file, and the operations that the
// file will carry (the missed ones n+1..m, then the new ones).
struct Issue {
  IssuedUpdate out;
  std::vector<model::Operation> ops;
  // A new activation's count of activations left, known once the transaction committed
  // (store::Tx::RecordActivation); shared so that it survives the Issue's moves.
  std::shared_ptr<store::ActivationsLeft> left;
};

// The common core of Activate and Push, inside the caller's transaction: spends, records,
// and chooses the operations of the update. The update file itself (X25519, AES-GCM,
// Ed25519) is made by BuildFile after the commit, outside the write transaction, which on
// SQLite is the one writer every activation waits for.
Result<Issue> IssueInTx(store::Tx& tx, const TemplateCache& templates, const Vault& vault,
                        const History& history, const IssueRequest& req) {
  const std::string& serial = req.ctx->serial;
  const uint32_t firm_code = req.firm->firm_code;
  IssuedUpdate out;
  out.serial = serial;
  out.firm_code = firm_code;
  std::vector<model::Operation> ops = OperationsAfter(history, req.container_fuc);
  std::vector<model::Operation> fresh;
  std::shared_ptr<store::ActivationsLeft> left;

  if (req.ticket != nullptr) {
    const store::TicketRecord& t = *req.ticket;
    out.products = t.products;
    // An activation of this ticket for this container issued a range, so a container
    // Central never issued for (issued_fuc 0) has none: no query for new containers.
    std::optional<store::ActivationRecord> existing;
    if (history.issued_fuc > 0) {
      LICET_ASSIGN_OR_RETURN(existing, tx.GetActivation(t.code, serial));
    }
    if (existing) {
      out.activations_left = t.rights.activations_allowed - t.activations_used;
      // Idempotent: nothing spent. A container that is up to date gets its own range again
      // (an import skips it as already applied), so the response is always an update.
      if (ops.empty()) {
        for (const auto& op : history.ops) {
          if (op.fuc >= existing->fuc_from && op.fuc <= existing->fuc_to) ops.push_back(op);
        }
      }
      if (ops.empty()) {
        return Error(ErrorCode::kInternal, "the history of this activation is not available");
      }
      LICET_RETURN_IF_ERROR(tx.AppendAudit(
          MakeAudit(req.now, "ticket.reactivated", req.actor, firm_code, t.code, serial,
                    {{"fuc_from", ops.front().fuc}, {"fuc_to", ops.back().fuc}})));
    } else {
      LICET_ASSIGN_OR_RETURN(std::set<uint32_t> held, ProductsAt(history, history.issued_fuc));
      for (uint32_t p : t.products) {
        if (held.count(p) > 0) {
          return Error(ErrorCode::kAlreadyExists,
                       "container " + serial + " already holds product " + std::to_string(p) +
                           " of firm " + std::to_string(firm_code));
        }
      }
      LICET_ASSIGN_OR_RETURN(auto items, TicketItems(templates, t, *req.products, req.now));
      // Everything the writes need is made first, so that they go to the database as one
      // call (store::Tx::RecordActivation: on PostgreSQL one function, sent with the COMMIT).
      store::NewActivation rec;
      uint64_t fuc = history.issued_fuc;
      if (fuc == 0) {
        fresh.push_back({++fuc, model::op::AddFirmItem{req.firm->name, req.firm->public_key}});
      }
      for (auto& item : items) {
        uint32_t code = item.product_code;
        fresh.push_back({++fuc, model::op::AddProduct{std::move(item)}});
        rec.licenses.emplace_back(code, fuc);
      }
      LICET_ASSIGN_OR_RETURN(rec.sealed_ops, vault.SealOperations(serial, firm_code, fresh));
      rec.activation = {t.code, serial, firm_code, fresh.front().fuc, fuc, req.now};
      rec.expected_issued_fuc = history.issued_fuc;
      rec.reason = req.reason;
      rec.audit = MakeAudit(req.now, "ticket.activated", req.actor, firm_code, t.code, serial,
                            {{"via", req.reason},
                             {"fuc_from", fresh.front().fuc},
                             {"fuc_to", fuc},
                             {"products", t.products}});
      left = std::make_shared<store::ActivationsLeft>();
      LICET_RETURN_IF_ERROR(tx.RecordActivation(rec, left.get()));
      out.new_activation = true;
      for (auto& op : fresh) ops.push_back(op);
    }
  }
  if (ops.empty()) {
    return Error(ErrorCode::kInvalidArgument, "nothing to send: container " + serial +
                                                  " has every update of firm " +
                                                  std::to_string(firm_code));
  }
  if (ops.size() > model::kMaxOperations) {
    return Error(ErrorCode::kInternal, "more than 10000 operations are pending");
  }
  out.fuc_from = ops.front().fuc;
  out.fuc_to = ops.back().fuc;
  return Issue{std::move(out), std::move(ops), std::move(left)};
}

// Makes the update file of a committed Issue. A failure here leaves the activation
// recorded but unanswered; asking again is idempotent and sends the same range.
Result<IssuedUpdate> BuildFile(Issue issue, const FirmKey& firm, const ContainerContext& ctx,
                               UnixTime now) {
  if (issue.left != nullptr) {
    std::optional<uint32_t> left = issue.left->value();
    if (!left) return Error(ErrorCode::kInternal, "the activations left were not returned");
    issue.out.activations_left = *left;
  }
  LICET_ASSIGN_OR_RETURN(issue.out.file, licet::engine::CreateUpdateFileFromOperations(
                                             firm, ctx, std::move(issue.ops), now));
  return std::move(issue.out);
}

// The spend failing shows only as kNoMoreLicenses from the store, possibly from the
// COMMIT: the refusal is worded here, with the ticket's figures.
Status NoActivationLeft(const std::string& code, uint32_t allowed) {
  return Error(ErrorCode::kNoMoreLicenses, "ticket " + MaskTicketCode(code) +
                                               " has no activation left (" +
                                               std::to_string(allowed) + " allowed)");
}

Status CheckContainerType(const store::TicketRecord& t, const std::string& serial) {
  if (t.rights.container_masks.empty()) return Status::Ok();
  LICET_ASSIGN_OR_RETURN(auto parsed, licet::engine::ParseSerial(serial));
  for (uint32_t m : t.rights.container_masks) {
    if (m == parsed.first) return Status::Ok();
  }
  return Error(
      ErrorCode::kPermissionDenied,
      "this ticket may not be activated in a container of mask " + std::to_string(parsed.first));
}

Status CheckTicketUsable(const store::TicketRecord& t) {
  if (t.state != "active") {
    return Error(ErrorCode::kAccessDenied, "the ticket is " + t.state);
  }
  return Status::Ok();
}

// Turns a transaction outcome into the result: a committed flag becomes its refusal.
template <typename T>
Result<T> Unwrap(Result<std::variant<T, Flagged>> outcome) {
  if (!outcome.ok()) return outcome.status();
  if (auto* f = std::get_if<Flagged>(&*outcome)) return f->refusal;
  return std::get<T>(std::move(*outcome));
}

}  // namespace

Result<std::shared_ptr<const FirmKey>> LicenseEngine::OpenFirm(store::Tx& tx,
                                                               uint32_t firm_code) const {
  LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(firm_code));
  if (!firm) return Error(ErrorCode::kFirmNotFound, "no firm " + std::to_string(firm_code));
  return OpenFirm(*firm);
}

Result<std::shared_ptr<const FirmKey>> LicenseEngine::OpenFirm(const store::FirmRecord& row) const {
  const store::FirmRecord* firm = &row;
  const uint32_t firm_code = row.firm_code;
  {
    std::lock_guard g(firms_mu_);
    auto it = firms_.find(firm_code);
    // The row is re-read in every transaction; the cached key serves only the very row it
    // was opened from (a firm re-created under another key opens again).
    if (it != firms_.end() && it->second.sealed == firm->sealed_secrets &&
        it->second.key->public_key == firm->public_key && it->second.key->name == firm->name &&
        it->second.key->created == firm->created_at) {
      return it->second.key;
    }
  }
  LICET_ASSIGN_OR_RETURN(FirmKey opened,
                         vault_.OpenFirmSecrets(firm->firm_code, firm->name, firm->public_key,
                                                firm->created_at, firm->sealed_secrets));
  LICET_ASSIGN_OR_RETURN(crypto::Ed25519Signer signer,
                         crypto::Ed25519Signer::Create(opened.signing_key));
  opened.signer = std::make_shared<const crypto::Ed25519Signer>(std::move(signer));
  auto key = std::make_shared<const FirmKey>(std::move(opened));
  std::lock_guard g(firms_mu_);
  firms_[firm_code] = CachedFirm{firm->sealed_secrets, key};
  return key;
}

Result<IssuedUpdate> LicenseEngine::Activate(std::string_view ticket_text, ByteSpan context_file,
                                             const std::string& actor) {
  LICET_ASSIGN_OR_RETURN(std::string code, ParseTicketCode(ticket_text));
  LICET_ASSIGN_OR_RETURN(ContainerContext ctx, licet::engine::ReadContextFile(context_file));
  if (ctx.kind != format::FileKind::kContext) {
    return Error(ErrorCode::kWrongFileKind, "expected a context file, got a receipt");
  }
  const UnixTime now = clock_.Now();
  using Outcome = std::variant<Issue, Flagged>;
  std::shared_ptr<const FirmKey> firm_key;  // of the attempt that committed
  uint32_t allowed = 0;                     // the ticket's activations, for a refusal
  auto outcome =
      store_.TransactResult<Outcome>(store::TxMode::kWrite, [&](store::Tx& tx) -> Result<Outcome> {
        // The ticket with its firm and products, the container pinned (and last_seen
        // raised) and its row for the ticket's firm, in one round trip; every refusal below
        // fails the transaction, which rolls the upserts back.
        const store::ContainerRecord seen{ctx.serial,
                                          ctx.enc_public_key,
                                          ctx.sig_public_key,
                                          store::kContainerActive,
                                          "",
                                          "{}",
                                          now,
                                          now};
        LICET_ASSIGN_OR_RETURN(auto start, tx.StartActivation(code, seen, now));
        if (!start) return Error(ErrorCode::kNotFound, "no such ticket");
        const store::TicketBundle* bundle = &start->bundle;
        const store::TicketRecord* ticket = &bundle->ticket;
        allowed = ticket->rights.activations_allowed;
        LICET_RETURN_IF_ERROR(CheckTicketUsable(*ticket));
        LICET_RETURN_IF_ERROR(CheckContainerType(*ticket, ctx.serial));
        if (!bundle->firm) {
          return Error(ErrorCode::kFirmNotFound, "no firm " + std::to_string(ticket->firm_code));
        }
        LICET_ASSIGN_OR_RETURN(std::shared_ptr<const FirmKey> firm_ptr, OpenFirm(*bundle->firm));
        const FirmKey& firm = *firm_ptr;
        LICET_RETURN_IF_ERROR(CheckPinnedKeys(start->container, ctx));
        LICET_RETURN_IF_ERROR(CheckContainerState(start->container));
        const store::ContainerFirmRecord& cf = start->container_firm;
        LICET_ASSIGN_OR_RETURN(History history, LoadHistory(tx, vault_, cf));
        FirmReport report = ReportOf(ctx, firm.firm_code);
        LICET_ASSIGN_OR_RETURN(auto contradiction,
                               FindContradiction(history, report, firm.public_key));
        if (contradiction) {
          json rep = {{"firms", json::array({ReportJson(firm.firm_code, report)})}};
          LICET_RETURN_IF_ERROR(
              FlagManipulation(tx, now, ctx.serial, *contradiction, rep, actor, firm.firm_code));
          return Outcome(Flagged{ManipulationRefusal(ctx.serial, *contradiction)});
        }
        // The context shows what the container holds: everything up to its FUC arrived.
        // (Both statements only ever raise, so skipping them when there is nothing to
        // raise is exact; licenses start at FUC 1.)
        if (report.fuc > cf.confirmed_fuc) {
          LICET_RETURN_IF_ERROR(tx.RaiseConfirmedFuc(ctx.serial, firm.firm_code, report.fuc));
        }
        if (report.fuc > 0) {
          LICET_RETURN_IF_ERROR(
              tx.ConfirmLicenses(ctx.serial, firm.firm_code, report.fuc, now).status());
        }
        IssueRequest req{&firm,        &ctx,  report.fuc, ticket, &bundle->products,
                         "activation", actor, now};
        LICET_ASSIGN_OR_RETURN(Issue issued, IssueInTx(tx, templates_, vault_, history, req));
        firm_key = firm_ptr;
        return Outcome(std::move(issued));
      });
  auto decided = Unwrap<Issue>(std::move(outcome));
  if (decided.ok()) return BuildFile(std::move(decided).value(), *firm_key, ctx, now);
  Result<IssuedUpdate> result = decided.status();
  if (result.status().code() == ErrorCode::kNoMoreLicenses) {
    result = NoActivationLeft(code, allowed);
  }
  if (!result.ok() && result.status().code() != ErrorCode::kNotFound &&
      result.status().code() != ErrorCode::kBusy) {
    // Refusals of a real ticket are license events too (and show attacks on it); failures
    // to record them must not hide the refusal itself.
    store_
        .Transact(store::TxMode::kWrite,
                  [&](store::Tx& tx) {
                    return tx.AppendAudit(MakeAudit(
                        now, "ticket.activation_refused", actor, std::nullopt, code, ctx.serial,
                        {{"code", ErrorCodeName(result.status().code())},
                         {"reason", result.status().message()}}));
                  })
        .IgnoreError();
  }
  return result;
}

Result<IssuedUpdate> LicenseEngine::Push(const std::string& serial, uint32_t firm_code,
                                         const std::optional<std::string>& ticket_text,
                                         const std::string& actor) {
  std::optional<std::string> code;
  if (ticket_text) {
    LICET_ASSIGN_OR_RETURN(code, ParseTicketCode(*ticket_text));
  }
  const UnixTime now = clock_.Now();
  std::shared_ptr<const FirmKey> firm_key;
  uint32_t allowed = 0;  // the ticket's activations, for a refusal
  ContainerContext ctx;  // the context the container would send if it were at its confirmed FUC
  auto decided =
      store_.TransactResult<Issue>(store::TxMode::kWrite, [&](store::Tx& tx) -> Result<Issue> {
        LICET_ASSIGN_OR_RETURN(auto container, tx.GetContainer(serial));
        if (!container) {
          return Error(ErrorCode::kContainerNotFound, "Central has never seen container " + serial +
                                                          ": activate it once with a context");
        }
        LICET_RETURN_IF_ERROR(CheckContainerState(*container));
        std::optional<store::TicketBundle> bundle;
        const store::TicketRecord* ticket = nullptr;
        if (code) {
          LICET_ASSIGN_OR_RETURN(bundle, tx.GetTicketBundle(*code));
          if (!bundle) return Error(ErrorCode::kNotFound, "no such ticket");
          ticket = &bundle->ticket;
          allowed = ticket->rights.activations_allowed;
          if (ticket->firm_code != firm_code) {
            return Error(ErrorCode::kInvalidArgument, "the ticket belongs to another firm");
          }
          LICET_RETURN_IF_ERROR(CheckTicketUsable(*ticket));
          LICET_RETURN_IF_ERROR(CheckContainerType(*ticket, serial));
        }
        LICET_ASSIGN_OR_RETURN(std::shared_ptr<const FirmKey> firm_ptr, OpenFirm(tx, firm_code));
        const FirmKey& firm = *firm_ptr;
        LICET_ASSIGN_OR_RETURN(auto cf, tx.EnsureContainerFirm(serial, firm_code));
        LICET_ASSIGN_OR_RETURN(History history, LoadHistory(tx, vault_, cf));
        ctx = ContainerContext();
        ctx.serial = serial;
        ctx.enc_public_key = container->enc_public_key;
        ctx.sig_public_key = container->sig_public_key;
        licet::engine::ContextFirm cfirm;
        cfirm.firm_code = firm_code;
        cfirm.fuc = cf.confirmed_fuc;
        if (cf.confirmed_fuc > 0) {
          cfirm.name = firm.name;
          cfirm.public_key = firm.public_key;
        }
        ctx.firms.push_back(std::move(cfirm));
        IssueRequest req{
            &firm, &ctx, cf.confirmed_fuc, ticket, bundle ? &bundle->products : nullptr, "push",
            actor, now};
        LICET_ASSIGN_OR_RETURN(Issue issued, IssueInTx(tx, templates_, vault_, history, req));
        if (!ticket) {
          LICET_RETURN_IF_ERROR(tx.AppendAudit(
              MakeAudit(now, "container.pushed", actor, firm_code, std::nullopt, serial,
                        {{"fuc_from", issued.out.fuc_from}, {"fuc_to", issued.out.fuc_to}})));
        }
        firm_key = firm_ptr;
        return issued;
      });
  if (!decided.ok()) {
    if (decided.status().code() == ErrorCode::kNoMoreLicenses && code) {
      return NoActivationLeft(*code, allowed);
    }
    return decided.status();
  }
  return BuildFile(std::move(decided).value(), *firm_key, ctx, now);
}

Result<ReceiptResult> LicenseEngine::AcceptReceipt(ByteSpan file, const std::string& actor) {
  LICET_ASSIGN_OR_RETURN(ContainerContext ctx, licet::engine::ReadContextFile(file));
  const UnixTime now = clock_.Now();
  using Outcome = std::variant<ReceiptResult, Flagged>;
  auto outcome =
      store_.TransactResult<Outcome>(store::TxMode::kWrite, [&](store::Tx& tx) -> Result<Outcome> {
        LICET_ASSIGN_OR_RETURN(auto container, tx.GetContainer(ctx.serial));
        if (!container) {
          return Error(ErrorCode::kContainerNotFound,
                       "Central has issued nothing to container " + ctx.serial);
        }
        if (!crypto::ConstantTimeEqual(container->sig_public_key, ctx.sig_public_key) ||
            !crypto::ConstantTimeEqual(container->enc_public_key, ctx.enc_public_key)) {
          return Error(ErrorCode::kUntrustedSigner,
                       "container " + ctx.serial + " is known with other keys");
        }
        LICET_RETURN_IF_ERROR(CheckContainerState(*container));
        ReceiptResult out;
        out.serial = ctx.serial;
        for (const auto& f : ctx.firms) {
          LICET_ASSIGN_OR_RETURN(auto firm, tx.GetFirm(f.firm_code));
          if (!firm) continue;  // another vendor's firm, or one managed elsewhere
          LICET_ASSIGN_OR_RETURN(auto cf, tx.EnsureContainerFirm(ctx.serial, f.firm_code));
          LICET_ASSIGN_OR_RETURN(History history, LoadHistory(tx, vault_, cf));
          FirmReport report = ReportOf(ctx, f.firm_code);
          LICET_ASSIGN_OR_RETURN(auto contradiction,
                                 FindContradiction(history, report, firm->public_key));
          if (contradiction) {
            json rep = {{"firms", json::array({ReportJson(f.firm_code, report)})}};
            LICET_RETURN_IF_ERROR(
                FlagManipulation(tx, now, ctx.serial, *contradiction, rep, actor, f.firm_code));
            return Outcome(Flagged{ManipulationRefusal(ctx.serial, *contradiction)});
          }
          LICET_RETURN_IF_ERROR(tx.RaiseConfirmedFuc(ctx.serial, f.firm_code, report.fuc));
          LICET_ASSIGN_OR_RETURN(int64_t n,
                                 tx.ConfirmLicenses(ctx.serial, f.firm_code, report.fuc, now));
          out.firms.push_back({f.firm_code, report.fuc, n});
          LICET_RETURN_IF_ERROR(tx.AppendAudit(
              MakeAudit(now, "container.receipt", actor, f.firm_code, std::nullopt, ctx.serial,
                        {{"fuc", report.fuc}, {"licenses_confirmed", n}})));
        }
        LICET_RETURN_IF_ERROR(tx.TouchContainer(ctx.serial, now));
        return Outcome(std::move(out));
      });
  return Unwrap<ReceiptResult>(std::move(outcome));
}

Status LicenseEngine::Decide(const std::string& serial, Decision decision, const std::string& note,
                             const std::string& actor) {
  const UnixTime now = clock_.Now();
  return store_.Transact(store::TxMode::kWrite, [&](store::Tx& tx) -> Status {
    LICET_ASSIGN_OR_RETURN(auto container, tx.GetContainer(serial));
    if (!container) return Error(ErrorCode::kContainerNotFound, "no container " + serial);
    if (decision == Decision::kBlock) {
      LICET_RETURN_IF_ERROR(tx.SetContainerState(serial, store::kContainerBlocked,
                                                 note.empty() ? "blocked" : note,
                                                 container->flagged_report));
    } else {
      if (container->state == store::kContainerManipulated) {
        // Accept the flagged report as each firm's new baseline.
        json report = json::parse(container->flagged_report, nullptr, false);
        if (report.is_object() && report.contains("firms") && report["firms"].is_array()) {
          for (const auto& f : report["firms"]) {
            if (!f.is_object() || !f.value("firm_code", json()).is_number_unsigned() ||
                !f.value("fuc", json()).is_number_unsigned() ||
                !f.value("products", json()).is_array()) {
              continue;
            }
            std::vector<uint32_t> products;
            for (const auto& p : f["products"]) {
              if (p.is_number_unsigned()) products.push_back(p.get<uint32_t>());
            }
            LICET_RETURN_IF_ERROR(tx.SetBaseline(serial, f["firm_code"].get<uint32_t>(),
                                                 f["fuc"].get<uint64_t>(), products));
          }
        }
      }
      LICET_RETURN_IF_ERROR(tx.SetContainerState(serial, store::kContainerActive,
                                                 note.empty() ? "released" : note, "{}"));
    }
    return tx.AppendAudit(
        MakeAudit(now, "container.decision", actor, std::nullopt, std::nullopt, serial,
                  {{"decision", decision == Decision::kBlock ? "block" : "release"},
                   {"note", note},
                   {"previous_state", container->state}}));
  });
}

}  // namespace licet::central::engine
