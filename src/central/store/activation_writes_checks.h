// Checks of the activation path's combined statements (Tx::GetTicketBundle,
// Tx::StartActivation, Tx::RecordActivation), shared by the SQLite tests (store_test)
// and the PostgreSQL ones (postgres_database_test), where RecordActivation is a server-side
// function sent with the COMMIT: both backends must give the same answers and rows.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "central/store/store.h"

namespace licet::central::store::checks {

inline NewActivation SampleActivation(const std::string& ticket, const std::string& serial,
                                      uint64_t expected, uint64_t from, uint64_t to) {
  NewActivation n;
  n.activation = {ticket, serial, 6000020, from, to, 500};
  n.expected_issued_fuc = expected;
  for (uint64_t fuc = from + 1; fuc <= to; ++fuc) {
    n.licenses.emplace_back(static_cast<uint32_t>(301009 + fuc - from), fuc);
  }
  n.sealed_ops = Bytes{7, 0, 7};
  n.reason = "activation";
  n.audit.id = "evt-" + ticket + "-" + serial;
  n.audit.event = "ticket.activated";
  n.audit.actor = "test";
  n.audit.detail = "{\"via\":\"activation\"}";
  return n;
}

inline void CheckActivationWrites(Store& store) {
  // Firm 6000020 with one product row (301010) of the two its tickets name.
  Status st = store.Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    LICET_RETURN_IF_ERROR(tx.InsertFirm({6000020, "Writes", Bytes(32, 4), Bytes{5, 6}, 3}));
    LICET_RETURN_IF_ERROR(tx.InsertProduct({6000020, 301010, "P", Bytes{1, 2, 3}, 4}));
    LICET_RETURN_IF_ERROR(tx.InsertOrder({"o-w", 6000020, "req-w", Bytes{1}, "{}", 1}));
    for (const auto& [code, allowed] :
         std::vector<std::pair<std::string, uint32_t>>{{"RA1", 2}, {"RA2", 5}, {"RA0", 1}}) {
      TicketRecord t;
      t.code = code;
      t.order_id = "o-w";
      t.firm_code = 6000020;
      t.rights.activations_allowed = allowed;
      t.products = {301010, 301011};
      LICET_RETURN_IF_ERROR(tx.InsertTicket(t));
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();

  // The ticket, its firm and the product rows that exist, in one statement.
  st = store.Transact(TxMode::kRead, [&](Tx& tx) -> Status {
    LICET_ASSIGN_OR_RETURN(auto b, tx.GetTicketBundle("RA1"));
    EXPECT_TRUE(b.has_value());
    if (!b) return Status::Ok();
    EXPECT_EQ(b->ticket.products, (std::vector<uint32_t>{301010, 301011}));
    EXPECT_EQ(b->ticket.rights.activations_allowed, 2u);
    EXPECT_TRUE(b->firm.has_value());
    if (b->firm) {
      EXPECT_EQ(b->firm->name, "Writes");
      EXPECT_EQ(b->firm->sealed_secrets, (Bytes{5, 6}));
      EXPECT_EQ(b->firm->created_at, 3);
    }
    EXPECT_EQ(b->products.size(), 1u);
    if (!b->products.empty()) {
      EXPECT_EQ(b->products[0].product_code, 301010u);
      EXPECT_EQ(b->products[0].sealed_template, (Bytes{1, 2, 3}));
    }
    LICET_ASSIGN_OR_RETURN(auto none, tx.GetTicketBundle("NOPE"));
    EXPECT_FALSE(none.has_value());
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();

  // The start of an activation in one call: the bundle, the pin (a second sight keeps the
  // pinned keys) and the container's row for the ticket's firm; no such ticket: nullopt.
  st = store.Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    ContainerRecord seen{"130-77", Bytes(32, 1), Bytes(32, 2), kContainerActive, "", "{}", 9, 9};
    LICET_ASSIGN_OR_RETURN(auto first, tx.StartActivation("RA1", seen, 9));
    EXPECT_TRUE(first.has_value());
    if (!first) return Status::Ok();
    EXPECT_EQ(first->bundle.ticket.code, "RA1");
    EXPECT_EQ(first->bundle.products.size(), 1u);
    EXPECT_EQ(first->container.sig_public_key, Bytes(32, 2));
    EXPECT_EQ(first->container_firm.firm_code, 6000020u);
    EXPECT_EQ(first->container_firm.issued_fuc, 0u);
    seen.sig_public_key = Bytes(32, 9);
    LICET_ASSIGN_OR_RETURN(auto again, tx.StartActivation("RA2", seen, 10));
    EXPECT_TRUE(again.has_value());
    if (!again) return Status::Ok();
    EXPECT_EQ(again->container.sig_public_key, Bytes(32, 2)) << "a second sight replaced the key";
    EXPECT_EQ(again->container.last_seen, 10);
    EXPECT_EQ(again->container_firm.serial, "130-77");
    LICET_ASSIGN_OR_RETURN(auto none, tx.StartActivation("NOPE", seen, 11));
    EXPECT_FALSE(none.has_value());
    for (const char* serial : {"130-78", "130-79"}) {
      ContainerRecord c{serial, Bytes(32, 1), Bytes(32, 2), kContainerActive, "", "{}", 9, 9};
      LICET_RETURN_IF_ERROR(tx.StartActivation("RA0", c, 9).status());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();

  // A new activation: every row written, the count left known after the commit.
  ActivationsLeft left;
  st = store.Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    return tx.RecordActivation(SampleActivation("RA1", "130-77", 0, 1, 3), &left);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(left.value(), std::optional<uint32_t>(1));
  st = store.Transact(TxMode::kRead, [&](Tx& tx) -> Status {
    EXPECT_EQ((*tx.GetTicket("RA1"))->activations_used, 1u);
    EXPECT_EQ((*tx.GetContainerFirm("130-77", 6000020))->issued_fuc, 3u);
    auto licenses = *tx.ListLicensesOfContainer("130-77");
    EXPECT_EQ(licenses.size(), 2u);
    if (licenses.size() == 2) {
      EXPECT_EQ(licenses[0].product_code, 301010u);
      EXPECT_EQ(licenses[0].fuc, 2u);
      EXPECT_EQ(licenses[1].product_code, 301011u);
      EXPECT_EQ(licenses[1].state, "activated");
      EXPECT_FALSE(licenses[1].confirmed_at.has_value());
    }
    auto ranges = *tx.ListRanges("130-77", 6000020);
    EXPECT_EQ(ranges.size(), 1u);
    if (!ranges.empty()) {
      EXPECT_EQ(ranges[0].fuc_from, 1u);
      EXPECT_EQ(ranges[0].fuc_to, 3u);
      EXPECT_EQ(ranges[0].sealed_ops, (Bytes{7, 0, 7}));
      EXPECT_EQ(ranges[0].ticket_code, std::optional<std::string>("RA1"));
    }
    auto activation = *tx.GetActivation("RA1", "130-77");
    EXPECT_TRUE(activation.has_value() && activation->fuc_to == 3 && activation->created_at == 500);
    auto audit = *tx.ListAudit(0, "", 100, 6000020u);
    EXPECT_EQ(audit.size(), 1u);
    if (!audit.empty()) {
      EXPECT_EQ(audit[0].event, "ticket.activated");
      EXPECT_EQ(audit[0].at, 500);
      EXPECT_EQ(audit[0].ticket_code, std::optional<std::string>("RA1"));
      EXPECT_EQ(audit[0].serial, std::optional<std::string>("130-77"));
      EXPECT_EQ(audit[0].detail, "{\"via\":\"activation\"}");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();

  // A stale compare-and-set (issued_fuc is 3 now) is kBusy, and spends nothing.
  st = store.Transact(
      TxMode::kWrite,
      [&](Tx& tx) -> Status {
        return tx.RecordActivation(SampleActivation("RA2", "130-77", 0, 1, 2), &left);
      },
      /*max_attempts=*/1);
  EXPECT_EQ(st.code(), ErrorCode::kBusy) << st.ToString();

  // The last activation of RA0, then none left: kNoMoreLicenses, nothing written.
  st = store.Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    return tx.RecordActivation(SampleActivation("RA0", "130-78", 0, 1, 2), &left);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(left.value(), std::optional<uint32_t>(0));
  st = store.Transact(TxMode::kWrite, [&](Tx& tx) -> Status {
    return tx.RecordActivation(SampleActivation("RA0", "130-79", 0, 1, 2), &left);
  });
  EXPECT_EQ(st.code(), ErrorCode::kNoMoreLicenses) << st.ToString();

  st = store.Transact(TxMode::kRead, [&](Tx& tx) -> Status {
    EXPECT_EQ((*tx.GetTicket("RA2"))->activations_used, 0u) << "a failed write spent";
    EXPECT_EQ((*tx.GetTicket("RA0"))->activations_used, 1u);
    EXPECT_FALSE(tx.GetActivation("RA0", "130-79")->has_value());
    EXPECT_TRUE(tx.ListLicensesOfContainer("130-79")->empty());
    EXPECT_EQ((*tx.GetContainerFirm("130-79", 6000020))->issued_fuc, 0u);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
}

}  // namespace licet::central::store::checks
