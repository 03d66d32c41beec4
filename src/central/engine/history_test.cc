#include "central/engine/history.h"

#include <gtest/gtest.h>

namespace licet::central::engine {
namespace {

model::Operation Add(uint64_t fuc, uint32_t code) {
  model::ProductItem item;
  item.product_code = code;
  return {fuc, model::op::AddProduct{item}};
}

History Sample() {
  // FUC 1 firm item, 2 add A, 3 add B, 4 delete A, 5 units of B.
  History h;
  h.issued_fuc = 5;
  h.ops = {{1, model::op::AddFirmItem{"F", Bytes(32, 1)}},
           Add(2, 100),
           Add(3, 200),
           {4, model::op::DeleteProduct{100}},
           {5, model::op::SetUnits{200, 7}}};
  return h;
}

FirmReport Report(uint64_t fuc, std::set<uint32_t> products) {
  return FirmReport{fuc, fuc > 0 ? Bytes(32, 1) : Bytes{}, std::move(products)};
}

TEST(HistoryTest, ProductsAtEachFuc) {
  History h = Sample();
  EXPECT_EQ(*ProductsAt(h, 0), (std::set<uint32_t>{}));
  EXPECT_EQ(*ProductsAt(h, 2), (std::set<uint32_t>{100}));
  EXPECT_EQ(*ProductsAt(h, 3), (std::set<uint32_t>{100, 200}));
  EXPECT_EQ(*ProductsAt(h, 4), (std::set<uint32_t>{200}));
  EXPECT_EQ(*ProductsAt(h, 5), (std::set<uint32_t>{200}));
  EXPECT_FALSE(ProductsAt(h, 6).ok());
}

TEST(HistoryTest, HoleInHistoryIsCorruptData) {
  History h = Sample();
  h.ops.erase(h.ops.begin() + 2);
  EXPECT_EQ(ProductsAt(h, 4).status().code(), ErrorCode::kCorruptData);
}

TEST(HistoryTest, BaselineReplacesOlderHistory) {
  History h;
  h.baseline_fuc = 10;
  h.baseline_products = {7};
  h.issued_fuc = 11;
  h.ops = {Add(11, 8)};
  EXPECT_EQ(*ProductsAt(h, 10), (std::set<uint32_t>{7}));
  EXPECT_EQ(*ProductsAt(h, 11), (std::set<uint32_t>{7, 8}));
  EXPECT_FALSE(ProductsAt(h, 9).ok());
  auto found = FindContradiction(h, Report(9, {7}), Bytes(32, 1));
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
}

TEST(HistoryTest, ConsistentReportsPass) {
  History h = Sample();
  for (auto [fuc, products] : std::vector<std::pair<uint64_t, std::set<uint32_t>>>{
           {0, {}}, {2, {100}}, {3, {100, 200}}, {5, {200}}}) {
    auto found = FindContradiction(h, Report(fuc, products), Bytes(32, 1));
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value()) << fuc << ": " << **found;
  }
}

TEST(HistoryTest, ContradictionsAreFound) {
  History h = Sample();
  // Above what was issued.
  EXPECT_TRUE(FindContradiction(h, Report(6, {200}), Bytes(32, 1))->has_value());
  // A product Central deleted at FUC 4 still there at FUC 5.
  EXPECT_TRUE(FindContradiction(h, Report(5, {100, 200}), Bytes(32, 1))->has_value());
  // A product never issued.
  EXPECT_TRUE(FindContradiction(h, Report(3, {100, 200, 300}), Bytes(32, 1))->has_value());
  // A product missing.
  EXPECT_TRUE(FindContradiction(h, Report(3, {100}), Bytes(32, 1))->has_value());
  // Another firm key.
  EXPECT_TRUE(FindContradiction(h, Report(3, {100, 200}), Bytes(32, 2))->has_value());
  // FUC 0 with products.
  EXPECT_TRUE(FindContradiction(h, Report(0, {100}), Bytes(32, 1))->has_value());
}

TEST(HistoryTest, OperationsAfterAreWhatWasMissed) {
  History h = Sample();
  auto missed = OperationsAfter(h, 2);
  ASSERT_EQ(missed.size(), 3u);
  EXPECT_EQ(missed.front().fuc, 3u);
  EXPECT_EQ(missed.back().fuc, 5u);
  EXPECT_TRUE(OperationsAfter(h, 5).empty());
}

}  // namespace
}  // namespace licet::central::engine
