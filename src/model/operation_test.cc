#include "model/operation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace licet::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint32_t kFirm = 6000010;
constexpr UnixTime kJan2026 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr UnixTime kJun2026 = 1780272000;  // 2026-06-01T00:00:00Z
constexpr UnixTime kNov2027 = 1827360000;  // 2027-11-28T00:00:00Z

ProductItem SampleApp() {
  ProductItem item;
  item.product_code = 201010;
  item.feature_map = 0x3;
  item.unit_counter = 100;
  item.expiration = kNov2027;
  item.text = "Sample App";
  item.modules = {{.product_code = 201011, .feature_map = 1, .unit_counter = 5}};
  return item;
}

// FUC 1: the firm item; FUC 2: Sample App.
std::vector<Operation> FirstUpdate() {
  return {
      {.fuc = 1, .body = op::AddFirmItem{"Example Firm", Bytes(kPublicKeySize, 7)}},
      {.fuc = 2, .body = op::AddProduct{SampleApp()}},
  };
}

ContainerState StateAtFuc(uint64_t fuc) {
  ContainerState state;
  std::vector<Operation> ops = FirstUpdate();
  for (uint64_t f = 3; f <= fuc; ++f) {
    ops.push_back({.fuc = f, .body = op::AddUnits{201010, 1}});
  }
  auto report = ApplyOperations(state, kFirm, ops, kJan2026);
  EXPECT_TRUE(report.ok()) << report.status().message();
  return state;
}

TEST(ApplyOperationsTest, CreatesFirmAndProduct) {
  ContainerState state;
  auto report = ApplyOperations(state, kFirm, FirstUpdate(), kJan2026);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->firm_code, kFirm);
  EXPECT_EQ(report->fuc_before, 0u);
  EXPECT_EQ(report->fuc_after, 2u);
  EXPECT_EQ(report->applied, 2);
  EXPECT_EQ(report->skipped, 0);
  EXPECT_FALSE(report->already_applied());
  EXPECT_THAT(report->changes,
              ElementsAre("added firm item 6000010 'Example Firm'",
                          "added product 201010 'Sample App' (features 0x3, 100 units, "
                          "expires 2027-11-28T00:00:00Z, 1 module)"));
  const FirmItem* firm = state.FindFirm(kFirm);
  ASSERT_NE(firm, nullptr);
  EXPECT_EQ(firm->fuc, 2u);
  EXPECT_EQ(firm->name, "Example Firm");
  ASSERT_NE(firm->FindProduct(201010), nullptr);
  EXPECT_EQ(*firm->FindProduct(201010), SampleApp());
  EXPECT_EQ(state.certified_time, kJan2026);
  EXPECT_EQ(state.highest_time_seen, kJan2026);
}

TEST(ApplyOperationsTest, ModifiesDeletesAndCountsUnits) {
  ContainerState state = StateAtFuc(2);
  ProductPatch patch;
  patch.feature_map = 0x7;
  patch.clear_expiration = true;
  patch.license_quantity = 3;
  patch.text = "Sample App Pro";
  std::vector<Operation> ops = {
      {.fuc = 3, .body = op::ModifyProduct{201010, patch}},
      {.fuc = 4, .body = op::SetUnits{201010, 150}},
      {.fuc = 5, .body = op::AddUnits{201010, -50}},
      {.fuc = 6, .body = op::AddUnits{201011, 10}},  // a module's counter
      {.fuc = 7, .body = op::SetExpiration{201010, kNov2027}},
      {.fuc = 8, .body = op::AddProduct{ProductItem{.product_code = 201020}}},
      {.fuc = 9, .body = op::DeleteProduct{201020}},
  };
  auto report = ApplyOperations(state, kFirm, ops, kJun2026);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->applied, 7);
  EXPECT_EQ(report->fuc_after, 9u);
  EXPECT_THAT(report->changes,
              ElementsAre("modified product 201010: features 0x3 -> 0x7; expiration "
                          "2027-11-28T00:00:00Z -> none; license quantity 1 -> 3; text "
                          "'Sample App' -> 'Sample App Pro'",
                          "units of 201010: 100 -> 150", "units of 201010: 150 -> 100",
                          "units of module 201011 (of 201010): 5 -> 15",
                          "expiration of 201010: none -> 2027-11-28T00:00:00Z",
                          "added product 201020 (features 0x0)", "deleted product 201020"));
  const ProductItem* item = state.FindProduct(kFirm, 201010);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->feature_map, 0x7u);
  EXPECT_EQ(item->unit_counter, 100u);
  EXPECT_EQ(item->modules[0].unit_counter, 15u);
  EXPECT_EQ(item->expiration, kNov2027);
  EXPECT_EQ(item->license_quantity, 3u);
  EXPECT_EQ(state.FindProduct(kFirm, 201020), nullptr);
  EXPECT_EQ(state.FindFirm(kFirm)->fuc, 9u);  // deletion advanced the FUC too
  EXPECT_EQ(state.certified_time, kJun2026);
}

TEST(ApplyOperationsTest, ReapplyIsSkippedAndChangesNothing) {
  ContainerState state;
  ASSERT_TRUE(ApplyOperations(state, kFirm, FirstUpdate(), kJan2026).ok());
  const ContainerState before = state;
  auto again = ApplyOperations(state, kFirm, FirstUpdate(), kJan2026);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->skipped, 2);
  EXPECT_TRUE(again->already_applied());
  EXPECT_TRUE(again->changes.empty());
  EXPECT_EQ(again->fuc_before, 2u);
  EXPECT_EQ(again->fuc_after, 2u);
  EXPECT_EQ(state, before);
}

TEST(ApplyOperationsTest, OldFileDoesNotLowerCertifiedTime) {
  ContainerState state;
  ASSERT_TRUE(ApplyOperations(state, kFirm, FirstUpdate(), kJun2026).ok());
  ASSERT_TRUE(ApplyOperations(state, kFirm, FirstUpdate(), kJan2026).ok());
  EXPECT_EQ(state.certified_time, kJun2026);
  EXPECT_EQ(state.highest_time_seen, kJun2026);
}

TEST(ApplyOperationsTest, OlderFileAfterANewerOneIsHarmless) {
  ContainerState state;
  ASSERT_TRUE(ApplyOperations(state, kFirm, FirstUpdate(), kJan2026).ok());
  std::vector<Operation> second = {{.fuc = 3, .body = op::SetUnits{201010, 7}},
                                   {.fuc = 4, .body = op::AddUnits{201010, 3}}};
  ASSERT_TRUE(ApplyOperations(state, kFirm, second, kJun2026).ok());
  const ContainerState before = state;
  // Imported out of order: the first file again, then just FUC 3 of the second.
  auto first_again = ApplyOperations(state, kFirm, FirstUpdate(), kJan2026);
  ASSERT_TRUE(first_again.ok());
  EXPECT_TRUE(first_again->already_applied());
  auto part = ApplyOperations(state, kFirm, std::span(second).first(1), kJun2026);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->skipped, 1);
  EXPECT_EQ(state, before);
  EXPECT_EQ(state.FindProduct(kFirm, 201010)->unit_counter, 10u);
}

TEST(ApplyOperationsTest, OverlappingFileAppliesOnlyTheNewPart) {
  ContainerState state = StateAtFuc(3);  // units 101
  std::vector<Operation> ops = {
      {.fuc = 2, .body = op::AddProduct{SampleApp()}},  // applied before: would fail now
      {.fuc = 3, .body = op::AddUnits{201010, 1}},
      {.fuc = 4, .body = op::AddUnits{201010, 10}},
      {.fuc = 5, .body = op::AddUnits{201010, 100}},
  };
  auto report = ApplyOperations(state, kFirm, ops, kJan2026);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->skipped, 2);
  EXPECT_EQ(report->applied, 2);
  EXPECT_EQ(state.FindProduct(kFirm, 201010)->unit_counter, 211u);
}

TEST(ApplyOperationsTest, GapIsRefusedAndNamesTheMissingRange) {
  ContainerState state = StateAtFuc(3);
  const ContainerState before = state;
  std::vector<Operation> ops = {
      {.fuc = 6, .body = op::SetUnits{201010, 1}},
      {.fuc = 7, .body = op::SetUnits{201010, 2}},
  };
  auto report = ApplyOperations(state, kFirm, ops, kJun2026);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kFucGap);
  EXPECT_EQ(report.status().message(),
            "updates for firm 6000010 are missing: the container is at FUC 3, this file starts "
            "at FUC 6 (import the updates for FUC 4..5 first, or ask for a new update)");
  EXPECT_EQ(state, before);  // certified time unchanged too

  ops = {{.fuc = 5, .body = op::SetUnits{201010, 1}}};
  report = ApplyOperations(state, kFirm, ops, kJun2026);
  ASSERT_EQ(report.status().code(), ErrorCode::kFucGap);
  EXPECT_THAT(report.status().message(), HasSubstr("for FUC 4 first"));
}

TEST(ApplyOperationsTest, RefusesUnorderedOrNonContiguousOperations) {
  ContainerState state = StateAtFuc(2);
  const ContainerState before = state;
  std::vector<Operation> ops = {
      {.fuc = 3, .body = op::SetUnits{201010, 1}},
      {.fuc = 5, .body = op::SetUnits{201010, 2}},
  };
  EXPECT_EQ(ApplyOperations(state, kFirm, ops, kJun2026).status().code(), ErrorCode::kCorruptData);
  ops = {
      {.fuc = 4, .body = op::SetUnits{201010, 1}},
      {.fuc = 3, .body = op::SetUnits{201010, 2}},
  };
  EXPECT_EQ(ApplyOperations(state, kFirm, ops, kJun2026).status().code(), ErrorCode::kCorruptData);
  ops = {{.fuc = 0, .body = op::SetUnits{201010, 1}}};
  EXPECT_EQ(ApplyOperations(state, kFirm, ops, kJun2026).status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(state, before);
}

TEST(ApplyOperationsTest, UnknownFirmNeedsItsFirstUpdate) {
  ContainerState state;
  std::vector<Operation> ops = {{.fuc = 3, .body = op::SetUnits{201010, 1}}};
  auto report = ApplyOperations(state, kFirm, ops, kJan2026);
  EXPECT_EQ(report.status().code(), ErrorCode::kFirmNotFound);
  EXPECT_THAT(report.status().message(), HasSubstr("firm 6000010"));

  ops = {{.fuc = 1, .body = op::AddProduct{SampleApp()}}};
  EXPECT_EQ(ApplyOperations(state, kFirm, ops, kJan2026).status().code(), ErrorCode::kFirmNotFound);
  EXPECT_EQ(ApplyOperations(state, kFirm, {}, kJan2026).status().code(), ErrorCode::kFirmNotFound);
  EXPECT_TRUE(state.firms.empty());
  EXPECT_EQ(state.certified_time, 0);
}

TEST(ApplyOperationsTest, EmptyUpdateRefreshesCertifiedTimeOnly) {
  ContainerState state = StateAtFuc(2);
  auto report = ApplyOperations(state, kFirm, {}, kJun2026);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->applied, 0);
  EXPECT_FALSE(report->already_applied());
  EXPECT_EQ(state.FindFirm(kFirm)->fuc, 2u);
  EXPECT_EQ(state.certified_time, kJun2026);
}

TEST(ApplyOperationsTest, FailingOperationLeavesStateUnchanged) {
  ContainerState state = StateAtFuc(2);
  const ContainerState before = state;
  std::vector<Operation> ops = {
      {.fuc = 3, .body = op::SetUnits{201010, 500}},
      {.fuc = 4, .body = op::DeleteProduct{201099}},  // no such product
      {.fuc = 5, .body = op::SetUnits{201010, 600}},
  };
  auto report = ApplyOperations(state, kFirm, ops, kJun2026);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kEntryNotFound);
  EXPECT_THAT(report.status().message(), HasSubstr("FUC 4"));
  EXPECT_THAT(report.status().message(), HasSubstr("product 201099"));
  EXPECT_EQ(state, before);
}

TEST(ApplyOperationsTest, RefusesInvalidOperations) {
  ContainerState state = StateAtFuc(2);
  const ContainerState before = state;
  auto apply = [&](OperationBody body) {
    std::vector<Operation> ops = {{.fuc = 3, .body = std::move(body)}};
    return ApplyOperations(state, kFirm, ops, kJun2026).status();
  };
  EXPECT_EQ(apply(op::AddProduct{SampleApp()}).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(apply(op::AddProduct{ProductItem{.product_code = 201011}}).code(),
            ErrorCode::kAlreadyExists);  // a module's code
  ProductItem clash{.product_code = 201030};
  clash.modules = {{.product_code = 201011}};
  EXPECT_EQ(apply(op::AddProduct{clash}).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(
      apply(op::AddProduct{ProductItem{.product_code = 201040, .license_quantity = 0}}).code(),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(apply(op::AddFirmItem{"Again", Bytes(kPublicKeySize, 1)}).code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(apply(op::ModifyProduct{201099, {}}).code(), ErrorCode::kEntryNotFound);
  EXPECT_EQ(apply(op::SetUnits{201099, 1}).code(), ErrorCode::kEntryNotFound);

  Status below = apply(op::AddUnits{201010, -101});
  EXPECT_EQ(below.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(below.message(), HasSubstr("below 0"));
  EXPECT_EQ(apply(op::AddUnits{201010, INT64_MIN}).code(), ErrorCode::kInvalidArgument);
  ProductPatch huge;
  huge.unit_counter = UINT64_MAX;
  EXPECT_TRUE(apply(op::ModifyProduct{201010, huge}).ok());
  state = before;
  std::vector<Operation> overflow = {{.fuc = 3, .body = op::ModifyProduct{201010, huge}},
                                     {.fuc = 4, .body = op::AddUnits{201010, 1}}};
  EXPECT_THAT(ApplyOperations(state, kFirm, overflow, kJun2026).status().message(),
              HasSubstr("overflow"));

  ProductPatch no_counter;
  no_counter.clear_unit_counter = true;
  std::vector<Operation> add_to_none = {{.fuc = 3, .body = op::ModifyProduct{201010, no_counter}},
                                        {.fuc = 4, .body = op::AddUnits{201010, 1}}};
  EXPECT_EQ(ApplyOperations(state, kFirm, add_to_none, kJun2026).status().code(),
            ErrorCode::kInvalidArgument);

  // Modules inherit the expiration: setting one on a module is refused.
  EXPECT_THAT(apply(op::SetExpiration{201011, kNov2027}).message(), HasSubstr("inherits"));

  ProductPatch both;
  both.expiration = kNov2027;
  both.clear_expiration = true;
  EXPECT_EQ(apply(op::ModifyProduct{201010, both}).code(), ErrorCode::kInvalidArgument);

  ProductPatch inverted;
  inverted.activation_time = kNov2027 + 1;  // after the expiration
  EXPECT_THAT(apply(op::ModifyProduct{201010, inverted}).message(), HasSubstr("activation_time"));

  ProductPatch module_clash;
  module_clash.modules =
      std::vector<ModuleItem>{{.product_code = 201011}, {.product_code = 201011}};
  EXPECT_EQ(apply(op::ModifyProduct{201010, module_clash}).code(), ErrorCode::kInvalidArgument);

  EXPECT_EQ(state, before);
}

TEST(ApplyOperationsTest, ModuleCodesStayUniqueAcrossProducts) {
  ContainerState state = StateAtFuc(2);
  ProductPatch patch;
  patch.modules = std::vector<ModuleItem>{{.product_code = 201021}};
  std::vector<Operation> ops = {
      {.fuc = 3, .body = op::AddProduct{ProductItem{.product_code = 201020}}},
      {.fuc = 4, .body = op::ModifyProduct{201020, patch}},
      // Sample App may not take its sibling's module code.
      {.fuc = 5, .body = op::ModifyProduct{201010, patch}},
  };
  auto report = ApplyOperations(state, kFirm, ops, kJun2026);
  EXPECT_EQ(report.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(report.status().message(), HasSubstr("FUC 5"));
  ops.pop_back();
  EXPECT_TRUE(ApplyOperations(state, kFirm, ops, kJun2026).ok());
  // A product keeps its own module codes when its module list is replaced.
  ProductPatch same;
  same.modules = std::vector<ModuleItem>{{.product_code = 201011, .feature_map = 9}};
  std::vector<Operation> keep = {{.fuc = 5, .body = op::ModifyProduct{201010, same}}};
  auto kept = ApplyOperations(state, kFirm, keep, kJun2026);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_THAT(kept->changes, ElementsAre("modified product 201010: modules replaced (1 -> 1)"));
}

TEST(ApplyOperationsTest, OperationsRenewCheckpoint) {
  ContainerState state = StateAtFuc(2);
  ProductItem item{.product_code = 201050, .checkpoint_days = 30};
  std::vector<Operation> ops = {{.fuc = 3, .body = op::AddProduct{item}}};
  ASSERT_TRUE(ApplyOperations(state, kFirm, ops, kJan2026).ok());
  EXPECT_EQ(state.FindProduct(kFirm, 201050)->last_checkpoint, kJan2026);

  ops = {{.fuc = 4, .body = op::ModifyProduct{201050, {}}}};
  auto report = ApplyOperations(state, kFirm, ops, kJun2026);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(state.FindProduct(kFirm, 201050)->last_checkpoint, kJun2026);
  EXPECT_THAT(report->changes,
              ElementsAre("modified product 201050: checkpoint renewed at 2026-06-01T00:00:00Z"));

  ProductPatch clear;
  clear.clear_checkpoint_days = true;
  ops = {{.fuc = 5, .body = op::ModifyProduct{201050, clear}}};
  ASSERT_TRUE(ApplyOperations(state, kFirm, ops, kJun2026).ok());
  EXPECT_FALSE(state.FindProduct(kFirm, 201050)->last_checkpoint.has_value());
}

TEST(ApplyOperationsTest, ClearingUsagePeriodClearsItsStart) {
  ProductItem item;
  item.usage_period = 86400;
  item.usage_started = kJan2026;
  ProductPatch patch;
  patch.clear_usage_period = true;
  std::vector<std::string> changes = ApplyPatch(item, patch);
  EXPECT_THAT(changes, ElementsAre("usage period 1d -> none"));
  EXPECT_FALSE(item.usage_started.has_value());
  EXPECT_TRUE(ApplyPatch(item, ProductPatch{}).empty());
}

TEST(OperationTest, KindAndProductCode) {
  Operation a{.fuc = 1, .body = op::AddFirmItem{}};
  Operation b{.fuc = 2, .body = op::AddProduct{SampleApp()}};
  Operation c{.fuc = 3, .body = op::SetExpiration{201010, 0}};
  EXPECT_EQ(a.kind(), OperationKind::kAddFirmItem);
  EXPECT_EQ(b.kind(), OperationKind::kAddProduct);
  EXPECT_EQ(c.kind(), OperationKind::kSetExpiration);
  EXPECT_EQ(a.product_code(), 0u);
  EXPECT_EQ(b.product_code(), 201010u);
  EXPECT_EQ(c.product_code(), 201010u);
  for (int k = 0; k <= 6; ++k) {
    auto kind = static_cast<OperationKind>(k);
    EXPECT_EQ(ParseOperationKind(OperationKindName(kind)), kind);
  }
  EXPECT_FALSE(ParseOperationKind("drop_table").has_value());
}

}  // namespace
}  // namespace licet::model
