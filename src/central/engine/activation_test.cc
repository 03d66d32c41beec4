// The activation engine over a real SQLite database and real containers (in memory: the
// container engine's own files are tested by src/engine; here what matters is that the
// updates Central makes verify, decrypt and apply in a genuine container).
#include "central/engine/activation.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <thread>

#include "central/engine/ticket_code.h"
#include "central/store/open.h"
#include "crypto/crypto.h"
#include "engine/context_file.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"

namespace licet::central::engine {
namespace {

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kApp = 201010;
constexpr uint32_t kPlugin = 201020;
constexpr uint32_t kExtra = 201030;
constexpr UnixTime kNow = 1800000000;

using licet::engine::SoftContainer;

SoftContainer NewContainer(uint32_t number) {
  std::vector<container::DeviceProperty> props{
      {container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
      {container::PropertyKind::kCpuSignature, {"test cpu"}},
      {container::PropertyKind::kRootDisk, {"disk-1"}}};
  auto c = licet::engine::CreateSoftContainer(number, props, 2, kNow);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

Bytes ContextOf(const SoftContainer& c, format::FileKind kind = format::FileKind::kContext) {
  auto file = licet::engine::MakeContextFile(c, kFirm, kind, kNow);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return *file;
}

// What ImportUpdate does, on a container in memory.
Result<model::ApplyReport> Import(SoftContainer& c, ByteSpan update) {
  LICET_ASSIGN_OR_RETURN(auto header, licet::engine::ReadUpdateFile(update));
  if (header.serial != c.serial) return Error(ErrorCode::kWrongContainer, "other serial");
  if (const auto* f = c.state.FindFirm(header.firm_code)) {
    if (f->public_key != header.firm_public_key) {
      return Error(ErrorCode::kUntrustedSigner, "other firm key");
    }
  }
  LICET_ASSIGN_OR_RETURN(auto ops, licet::engine::OpenUpdateOperations(header, c));
  return model::ApplyOperations(c.state, header.firm_code, ops, header.certified_time);
}

std::set<uint32_t> Products(const SoftContainer& c) {
  std::set<uint32_t> out;
  if (const auto* f = c.state.FindFirm(kFirm)) {
    for (const auto& p : f->products) out.insert(p.product_code);
  }
  return out;
}

class ActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licet-central-engine-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = *store::OpenAndMigrate(*store::ParseDatabaseUrl(dir_ + "/central.db"), 4, kNow);
    store_ = std::make_unique<store::Store>(*db_);
    vault_ = std::make_unique<Vault>(*Vault::FromHex(std::string(64, '1')));
    catalog_ = std::make_unique<Catalog>(*store_, *vault_, clock_);
    engine_ = std::make_unique<LicenseEngine>(*store_, *vault_, *catalog_, clock_);
    ASSERT_TRUE(catalog_->CreateFirm(kFirm, "Sample Company", "test").ok());
    for (uint32_t code : {kApp, kPlugin, kExtra}) {
      ProductTemplate t;
      t.item.product_code = code;
      t.item.feature_map = 0x3;
      t.item.unit_counter = 100;
      t.expires_after = 365 * 86400;
      ASSERT_TRUE(
          catalog_->CreateProduct(kFirm, "Product " + std::to_string(code), t, "test").ok());
    }
  }
  void TearDown() override {
    engine_.reset();
    catalog_.reset();
    store_.reset();
    db_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  std::string Ticket(std::vector<uint32_t> products, uint32_t activations = 1,
                     std::vector<uint32_t> masks = {}) {
    OrderRequest r;
    r.request_id = "req-" + std::to_string(++orders_);
    r.firm_code = kFirm;
    OrderItem item;
    item.products = std::move(products);
    item.rights.activations_allowed = activations;
    item.rights.container_masks = std::move(masks);
    r.items.push_back(item);
    r.request_hash = Bytes{static_cast<uint8_t>(orders_)};
    auto order = catalog_->CreateOrder(r, "test");
    EXPECT_TRUE(order.ok()) << order.status().ToString();
    return order->tickets.at(0).code;
  }

  Result<IssuedUpdate> Activate(const std::string& ticket, const SoftContainer& c) {
    return engine_->Activate(ticket, ContextOf(c), "test");
  }

  void ActivateAndImport(const std::string& ticket, SoftContainer& c) {
    auto issued = Activate(ticket, c);
    ASSERT_TRUE(issued.ok()) << issued.status().ToString();
    auto report = Import(c, issued->file);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }

  store::ContainerRecord Container(const std::string& serial) {
    return *store_->TransactResult<store::ContainerRecord>(
        store::TxMode::kRead, [&](store::Tx& tx) -> Result<store::ContainerRecord> {
          LICET_ASSIGN_OR_RETURN(auto c, tx.GetContainer(serial));
          if (!c) return Error(ErrorCode::kNotFound, "none");
          return *c;
        });
  }

  std::string dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<LicenseEngine> engine_;
  int orders_ = 0;
};

TEST_F(ActivationTest, TemplateCacheServesOnlyTheBytesItOpened) {
  auto product = store_->TransactResult<std::optional<store::ProductRecord>>(
      store::TxMode::kRead, [](store::Tx& tx) { return tx.GetProduct(kFirm, kApp); });
  ASSERT_TRUE(product.ok() && product->has_value());
  store::ProductRecord row = **product;
  TemplateCache cache(*catalog_);
  auto first = cache.Open(row);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)->item.product_code, kApp);
  EXPECT_EQ((*first)->item.unit_counter, std::optional<uint64_t>(100));
  auto again = cache.Open(row);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "the second open did not come from the cache";
  // Other bytes under the same key are opened, not served from the cache: a tampered row
  // fails as the vault says, and a product re-created with another template opens anew.
  store::ProductRecord tampered = row;
  tampered.sealed_template.back() ^= 1;
  EXPECT_FALSE(cache.Open(tampered).ok());
  ProductTemplate other;
  other.item.product_code = kApp;
  other.item.feature_map = 0x7;
  auto resealed = vault_->SealTemplate(kFirm, kApp, EncodeTemplate(other));
  ASSERT_TRUE(resealed.ok()) << resealed.status().ToString();
  store::ProductRecord changed = row;
  changed.sealed_template = *resealed;
  auto reopened = cache.Open(changed);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->item.feature_map, 0x7u);
  EXPECT_NE(reopened->get(), first->get());
}

TEST_F(ActivationTest, ActivationIssuesAnUpdateThatImports) {
  SoftContainer c = NewContainer(1);
  std::string ticket = Ticket({kApp, kPlugin});
  auto issued = Activate(ticket, c);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(issued->new_activation);
  EXPECT_EQ(issued->fuc_from, 1u);
  EXPECT_EQ(issued->fuc_to, 3u);
  EXPECT_EQ(issued->activations_left, 0u);
  auto header = licet::engine::ReadUpdateFile(issued->file);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->certified_time, kNow) << "certified time is the server's";
  ASSERT_TRUE(Import(c, issued->file).ok());
  EXPECT_EQ(Products(c), (std::set<uint32_t>{kApp, kPlugin}));
  const auto* item = c.state.FindProduct(kFirm, kApp);
  EXPECT_EQ(item->expiration, kNow + 365 * 86400);
  // The product secret is the one derived from the firm secret (the protection tool's).
  EXPECT_EQ(item->secret_data.size(), 32u);
}

TEST_F(ActivationTest, ReactivatingForTheSameContainerSpendsNothing) {
  SoftContainer c = NewContainer(2);
  std::string ticket = Ticket({kApp});
  ActivateAndImport(ticket, c);
  auto again = Activate(ticket, c);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->new_activation);
  auto report = Import(c, again->file);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->already_applied());
  // Before importing: the repeat carries the missed operations.
  SoftContainer fresh = NewContainer(3);
  std::string t2 = Ticket({kApp});
  auto first = Activate(t2, fresh);
  ASSERT_TRUE(first.ok());
  auto repeat = Activate(t2, fresh);
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->new_activation);
  ASSERT_TRUE(Import(fresh, repeat->file).ok());
  EXPECT_EQ(Products(fresh), (std::set<uint32_t>{kApp}));
}

TEST_F(ActivationTest, ExhaustedTicketIsRefused) {
  std::string ticket = Ticket({kApp}, 1);
  SoftContainer a = NewContainer(4);
  SoftContainer b = NewContainer(5);
  ActivateAndImport(ticket, a);
  auto refused = Activate(ticket, b);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNoMoreLicenses);
  EXPECT_EQ(Products(b), (std::set<uint32_t>{}));
}

TEST_F(ActivationTest, MissedUpdatesAreCombined) {
  SoftContainer c = NewContainer(6);
  ActivateAndImport(Ticket({kApp}), c);          // FUC 1..2, imported
  Bytes old_context = ContextOf(c);              // FUC 2
  auto missed = Activate(Ticket({kPlugin}), c);  // FUC 3, never imported
  ASSERT_TRUE(missed.ok());
  // The old context again: the new update carries FUC 3 and the new product at FUC 4.
  auto combined = engine_->Activate(Ticket({kExtra}), old_context, "test");
  ASSERT_TRUE(combined.ok()) << combined.status().ToString();
  EXPECT_EQ(combined->fuc_from, 3u);
  EXPECT_EQ(combined->fuc_to, 4u);
  ASSERT_TRUE(Import(c, combined->file).ok());
  EXPECT_EQ(Products(c), (std::set<uint32_t>{kApp, kPlugin, kExtra}));
  // The late original is harmless.
  EXPECT_TRUE(Import(c, missed->file)->already_applied());
}

TEST_F(ActivationTest, ReplayedContextFromBeforeTheFirstImport) {
  SoftContainer c = NewContainer(7);
  Bytes at_zero = ContextOf(c);
  ActivateAndImport(Ticket({kApp}), c);
  auto issued = engine_->Activate(Ticket({kPlugin}), at_zero, "test");
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->fuc_from, 1u);
  ASSERT_TRUE(Import(c, issued->file).ok());
  EXPECT_EQ(Products(c), (std::set<uint32_t>{kApp, kPlugin}));
}

TEST_F(ActivationTest, ContradictionFlagsTheContainerUntilAVendorDecision) {
  SoftContainer c = NewContainer(8);
  ActivateAndImport(Ticket({kApp}), c);
  // A container that claims a product Central never issued (a patched container).
  SoftContainer forged = std::move(c);
  model::ProductItem stolen;
  stolen.product_code = 999;
  forged.state.FindFirm(kFirm)->products.push_back(stolen);
  auto refused = engine_->Activate(Ticket({kPlugin}), ContextOf(forged), "test");
  EXPECT_EQ(refused.status().code(), ErrorCode::kManipulationDetected);
  EXPECT_EQ(Container(forged.serial).state, store::kContainerManipulated);
  // Every further activation is refused, even with an honest context.
  forged.state.FindFirm(kFirm)->products.pop_back();
  EXPECT_EQ(engine_->Activate(Ticket({kPlugin}), ContextOf(forged), "test").status().code(),
            ErrorCode::kManipulationDetected);
  // The vendor releases it: the flagged report ({kApp, 999} at FUC 2) becomes the baseline.
  ASSERT_TRUE(engine_->Decide(forged.serial, Decision::kRelease, "checked", "test").ok());
  forged.state.FindFirm(kFirm)->products.push_back(stolen);
  auto ok = engine_->Activate(Ticket({kPlugin}), ContextOf(forged), "test");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(Import(forged, ok->file).ok());
  // Blocking refuses for good.
  ASSERT_TRUE(engine_->Decide(forged.serial, Decision::kBlock, "fraud", "test").ok());
  EXPECT_EQ(engine_->Activate(Ticket({kExtra}), ContextOf(forged), "test").status().code(),
            ErrorCode::kAccessDenied);
}

TEST_F(ActivationTest, FucAboveWhatWasIssuedIsManipulation) {
  SoftContainer c = NewContainer(9);
  ActivateAndImport(Ticket({kApp}), c);
  c.state.FindFirm(kFirm)->fuc = 7;
  EXPECT_EQ(engine_->Activate(Ticket({kPlugin}), ContextOf(c), "test").status().code(),
            ErrorCode::kManipulationDetected);
}

TEST_F(ActivationTest, AnotherKeyForAKnownSerialIsRefusedWithoutFlagging) {
  SoftContainer c = NewContainer(10);
  ActivateAndImport(Ticket({kApp}), c);
  SoftContainer clone = NewContainer(10);  // same serial, other keys
  auto refused = Activate(Ticket({kPlugin}), clone);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUntrustedSigner);
  EXPECT_EQ(Container(c.serial).state, store::kContainerActive);
}

TEST_F(ActivationTest, ContainerTypesAndBadInput) {
  SoftContainer c = NewContainer(11);
  EXPECT_EQ(Activate(Ticket({kApp}, 1, {140}), c).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(Activate(Ticket({kApp}, 1, {130, 140}), c).ok());
  EXPECT_EQ(Activate(GenerateTicketCode(), c).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Activate("not a ticket", c).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(engine_->Activate(Ticket({kApp}), Bytes{1, 2, 3}, "test").ok());
  Bytes tampered = ContextOf(c);
  tampered[tampered.size() - 3] ^= 1;
  EXPECT_EQ(engine_->Activate(Ticket({kApp}), tampered, "test").status().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(engine_->Activate(Ticket({kApp}), ContextOf(c, format::FileKind::kReceipt), "test")
                .status()
                .code(),
            ErrorCode::kWrongFileKind);
}

TEST_F(ActivationTest, SameProductFromTwoTicketsIsRefused) {
  SoftContainer c = NewContainer(12);
  ActivateAndImport(Ticket({kApp}), c);
  std::string second = Ticket({kApp});
  EXPECT_EQ(Activate(second, c).status().code(), ErrorCode::kAlreadyExists);
  // Nothing was spent.
  auto status = catalog_->GetTicketStatus(second);
  EXPECT_EQ(status->ticket.activations_used, 0u);
}

TEST_F(ActivationTest, ReceiptsConfirmLicenses) {
  SoftContainer c = NewContainer(13);
  std::string ticket = Ticket({kApp, kPlugin});
  ActivateAndImport(ticket, c);
  auto result = engine_->AcceptReceipt(ContextOf(c, format::FileKind::kReceipt), "test");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->firms.size(), 1u);
  EXPECT_EQ(result->firms[0].fuc, 3u);
  EXPECT_EQ(result->firms[0].licenses_confirmed, 2);
  SoftContainer unknown = NewContainer(14);
  EXPECT_EQ(engine_->AcceptReceipt(ContextOf(unknown, format::FileKind::kReceipt), "test")
                .status()
                .code(),
            ErrorCode::kContainerNotFound);
}

TEST_F(ActivationTest, PushToAKnownContainer) {
  SoftContainer c = NewContainer(15);
  ActivateAndImport(Ticket({kApp}), c);
  ASSERT_TRUE(engine_->AcceptReceipt(ContextOf(c, format::FileKind::kReceipt), "test").ok());
  EXPECT_EQ(engine_->Push(c.serial, kFirm, std::nullopt, "test").status().code(),
            ErrorCode::kInvalidArgument)
      << "nothing pending";
  auto pushed = engine_->Push(c.serial, kFirm, Ticket({kPlugin}), "test");
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  ASSERT_TRUE(Import(c, pushed->file).ok());
  EXPECT_EQ(Products(c), (std::set<uint32_t>{kApp, kPlugin}));
  // Unconfirmed: a push without a ticket resends it.
  auto resend = engine_->Push(c.serial, kFirm, std::nullopt, "test");
  ASSERT_TRUE(resend.ok());
  EXPECT_TRUE(Import(c, resend->file)->already_applied());
  EXPECT_EQ(engine_->Push("130-424242", kFirm, std::nullopt, "test").status().code(),
            ErrorCode::kContainerNotFound);
}

// Many requests racing for one ticket: exactly `allowed` win, the rest get kNoMoreLicenses.
TEST_F(ActivationTest, ConcurrentActivationsNeverOverspend) {
  constexpr int kRequests = 60;
  std::string ticket = Ticket({kApp}, 10);
  std::vector<Bytes> contexts;
  for (int i = 0; i < kRequests; ++i) contexts.push_back(ContextOf(NewContainer(1000 + i)));
  std::atomic<int> won{0}, exhausted{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      auto r = engine_->Activate(ticket, contexts[i], "test");
      if (r.ok()) {
        ++won;
      } else if (r.status().code() == ErrorCode::kNoMoreLicenses) {
        ++exhausted;
      } else {
        ++other;
        ADD_FAILURE() << r.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 10);
  EXPECT_EQ(exhausted.load(), kRequests - 10);
  EXPECT_EQ(catalog_->GetTicketStatus(ticket)->ticket.activations_used, 10u);
}

// On SQLite, concurrent activations share transactions (store/group_commit.h). Refused
// activations run between the good ones, after writing (the container is pinned, its firm
// row made) and then failing: each is rolled back alone, the others commit and import.
TEST_F(ActivationTest, FailingActivationsInAGroupCommitDoNotAffectTheOthers) {
  ASSERT_NE(store_->group_committer(), nullptr);
  constexpr int kGood = 24, kExhausted = 8, kWrongType = 4;
  std::string good_ticket = Ticket({kApp}, kGood);
  std::string spent_ticket = Ticket({kPlugin}, 1);
  SoftContainer first = NewContainer(900);
  ActivateAndImport(spent_ticket, first);
  std::string cloud_only = Ticket({kExtra}, 100, {140});
  struct Job {
    std::string ticket;
    SoftContainer container;
    Bytes context;
    Status result;
    Bytes update;
  };
  std::vector<Job> jobs;
  for (int i = 0; i < kGood + kExhausted + kWrongType; ++i) {
    const std::string& t = i % 3 == 1 && i / 3 < kExhausted   ? spent_ticket
                           : i % 3 == 2 && i / 3 < kWrongType ? cloud_only
                                                              : good_ticket;
    jobs.push_back({t, NewContainer(2000 + i), {}, Status::Ok(), {}});
    jobs.back().context = ContextOf(jobs.back().container);
  }
  const int64_t batches0 = store_->group_committer()->batches();
  const int64_t members0 = store_->group_committer()->members();
  std::vector<std::thread> threads;
  for (auto& job : jobs) {
    threads.emplace_back([&] {
      auto r = engine_->Activate(job.ticket, job.context, "test");
      job.result = r.status();
      if (r.ok()) job.update = r->file;
    });
  }
  for (auto& t : threads) t.join();
  int good = 0, exhausted = 0, wrong_type = 0;
  for (auto& job : jobs) {
    const std::string serial = job.container.serial;
    if (job.ticket == good_ticket) {
      ASSERT_TRUE(job.result.ok()) << serial << ": " << job.result.ToString();
      ASSERT_TRUE(Import(job.container, job.update).ok()) << serial;
      EXPECT_EQ(Products(job.container), std::set<uint32_t>{kApp});
      ++good;
      continue;
    }
    if (job.ticket == spent_ticket) {
      EXPECT_EQ(job.result.code(), ErrorCode::kNoMoreLicenses) << job.result.ToString();
      ++exhausted;
    } else {
      EXPECT_EQ(job.result.code(), ErrorCode::kPermissionDenied) << job.result.ToString();
      ++wrong_type;
    }
    // Nothing of a refused activation stays: not even the container it pinned first.
    auto row = store_->TransactResult<std::optional<store::ContainerRecord>>(
        store::TxMode::kRead, [&](store::Tx& tx) { return tx.GetContainer(serial); });
    ASSERT_TRUE(row.ok());
    EXPECT_FALSE(row->has_value()) << "refused " << serial << " left its container row";
  }
  EXPECT_EQ(good, kGood);
  EXPECT_EQ(exhausted, kExhausted);
  EXPECT_EQ(wrong_type, kWrongType);
  EXPECT_EQ(catalog_->GetTicketStatus(good_ticket)->ticket.activations_used, uint32_t{kGood});
  EXPECT_EQ(catalog_->GetTicketStatus(spent_ticket)->ticket.activations_used, 1u);
  // Every activation and refusal audit is a write; some of them shared a transaction.
  const int64_t members = store_->group_committer()->members() - members0;
  const int64_t batches = store_->group_committer()->batches() - batches0;
  EXPECT_GE(members, static_cast<int64_t>(jobs.size()));
  EXPECT_LT(batches, members) << "no two activations shared a commit";
}

TEST_F(ActivationTest, OrdersAreIdempotent) {
  OrderRequest r;
  r.request_id = "erp-42";
  r.firm_code = kFirm;
  r.items.push_back({{kApp}, 3, {}});
  r.request_hash = Bytes{1};
  auto first = catalog_->CreateOrder(r, "test");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->tickets.size(), 3u);
  auto again = catalog_->CreateOrder(r, "test");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  ASSERT_EQ(again->tickets.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(again->tickets[i].code, first->tickets[i].code);
  r.request_hash = Bytes{2};
  EXPECT_EQ(catalog_->CreateOrder(r, "test").status().code(), ErrorCode::kAlreadyExists);
  r.request_id = "erp-43";
  r.items[0].products = {424242};
  EXPECT_EQ(catalog_->CreateOrder(r, "test").status().code(), ErrorCode::kEntryNotFound);
}

}  // namespace
}  // namespace licet::central::engine
