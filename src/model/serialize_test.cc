#include "model/serialize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/test_items.h"

namespace licet::model {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using testing::FullItem;
using testing::kJan2026;
using testing::kNov2027;

ContainerState FullState() {
  ContainerState state;
  FirmItem firm{.firm_code = 6000010, .name = "Example Firm", .public_key = Bytes(32, 7), .fuc = 9};
  firm.products = {FullItem(), ProductItem{.product_code = 201020}};
  state.firms = {firm, FirmItem{.firm_code = 6000011, .name = "", .public_key = Bytes(32, 8)}};
  state.certified_time = kJan2026;
  state.highest_time_seen = kJan2026 + 3600;
  return state;
}

std::vector<Operation> AllOperations() {
  ProductPatch patch;
  patch.feature_map = 7;
  patch.unit_counter = 9;
  patch.clear_expiration = true;
  patch.activation_time = kJan2026;
  patch.usage_period = 86400;
  patch.clear_maintenance_until = true;
  patch.license_quantity = 2;
  patch.access_modes = 1;
  patch.linger_time = 60;
  patch.text = "new";
  patch.protected_data = Bytes{9};
  patch.hidden_data = Bytes{8};
  patch.hidden_access_code = HashAccessCode(AsBytes("x"));
  patch.clear_checkpoint_days = true;
  patch.borrow = BorrowRules{.max_days = 1, .max_seats = 1};
  patch.modules = std::vector<ModuleItem>{{.product_code = 201013}};
  return {
      {.fuc = 1, .body = op::AddFirmItem{"Example Firm", Bytes(32, 7)}},
      {.fuc = 2, .body = op::AddProduct{FullItem()}},
      {.fuc = 3, .body = op::ModifyProduct{201010, patch}},
      {.fuc = 4, .body = op::ModifyProduct{201010, {}}},
      {.fuc = 5, .body = op::DeleteProduct{201010}},
      {.fuc = 6, .body = op::SetUnits{201010, UINT64_MAX}},
      {.fuc = 7, .body = op::AddUnits{201010, -5}},
      {.fuc = 8, .body = op::AddUnits{201010, INT64_MAX}},
      {.fuc = 9, .body = op::SetExpiration{201010, kNov2027}},
  };
}

json ThroughCbor(const json& j) {
  std::vector<uint8_t> cbor = json::to_cbor(j);
  return json::from_cbor(cbor, true, false);
}

// Decoding must refuse `j` with kCorruptData and a message containing `expected`.
template <typename Decode>
void ExpectRefused(Decode decode, const json& j, const std::string& expected) {
  Status st = Status::Ok();
  EXPECT_NO_THROW(st = decode(j).status()) << j.dump();
  EXPECT_EQ(st.code(), ErrorCode::kCorruptData) << j.dump();
  EXPECT_THAT(st.message(), HasSubstr(expected)) << j.dump();
}

TEST(SerializeTest, ProductItemRoundTripsWithEveryOption) {
  const ProductItem item = FullItem();
  json j = ToJson(item);
  EXPECT_TRUE(j["secret"].is_binary());
  EXPECT_TRUE(j["protected"].is_binary());
  EXPECT_TRUE(j["hidden"].is_binary());
  EXPECT_TRUE(j["expires"].is_number_unsigned());
  auto direct = ProductItemFromJson(j);
  ASSERT_TRUE(direct.ok()) << direct.status().message();
  EXPECT_EQ(*direct, item);
  auto cbor = ProductItemFromJson(ThroughCbor(j));
  ASSERT_TRUE(cbor.ok()) << cbor.status().message();
  EXPECT_EQ(*cbor, item);
}

TEST(SerializeTest, AbsentOptionalsAndDefaultsAreLeftOut) {
  ProductItem item{.product_code = 201020, .feature_map = 1};
  json j = ToJson(item);
  EXPECT_EQ(j, json({{"code", 201020}, {"features", 1}, {"quantity", 1}, {"modes", 7}}));
  auto back = ProductItemFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
  // quantity and modes take their defaults when absent.
  auto minimal = ProductItemFromJson(json{{"code", 201020}, {"features", 1}});
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(*minimal, item);
}

TEST(SerializeTest, ContainerStateRoundTrips) {
  const ContainerState state = FullState();
  json j = ToJson(state);
  auto back = ContainerStateFromJson(ThroughCbor(j));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, state);
  auto firm = FirmItemFromJson(ToJson(state.firms[0]));
  ASSERT_TRUE(firm.ok());
  EXPECT_EQ(*firm, state.firms[0]);
  auto module = ModuleItemFromJson(ToJson(state.firms[0].products[0].modules[0]));
  ASSERT_TRUE(module.ok());
  EXPECT_EQ(*module, state.firms[0].products[0].modules[0]);
}

TEST(SerializeTest, OperationsRoundTrip) {
  const std::vector<Operation> ops = AllOperations();
  json j = OperationsToJson(ops);
  EXPECT_EQ(j[2]["patch"]["clear"], json({"expires", "maintenance_until", "checkpoint_days"}));
  EXPECT_TRUE(j[6]["delta"].is_number_integer());
  auto back = OperationsFromJson(ThroughCbor(j));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, ops);
  for (const Operation& op : ops) {
    auto one = OperationFromJson(ToJson(op));
    ASSERT_TRUE(one.ok()) << one.status().message();
    EXPECT_EQ(*one, op);
  }
  auto patch = ProductPatchFromJson(ToJson(std::get<op::ModifyProduct>(ops[2].body).patch));
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(*patch, std::get<op::ModifyProduct>(ops[2].body).patch);
}

TEST(SerializeTest, RefusesWrongTypes) {
  json base = ToJson(FullState());
  struct Case {
    json::json_pointer pointer;
    json value;
    std::string expected;
  };
  const Case cases[] = {
      {json::json_pointer("/firms/0/products/1/features"), "3",
       "firms[0].products[1].features must be an unsigned integer"},
      {json::json_pointer("/firms/0/products/0/features"), -1,
       "firms[0].products[0].features must be an unsigned integer"},
      {json::json_pointer("/firms/0/products/0/features"), 1.5, "must be an unsigned integer"},
      {json::json_pointer("/firms/0/products/0/features"), 0x100000000ull,
       "features is 4294967296, at most 4294967295 allowed"},
      {json::json_pointer("/firms/0/products/0/expires"), kMaxTime + 1, "expires"},
      {json::json_pointer("/firms/0/products/0/text"), json::binary({'a'}),
       "text must be a text string"},
      {json::json_pointer("/firms/0/products/0/text"), std::string(257, 'a'), "257 bytes"},
      {json::json_pointer("/firms/0/products/0/text"), "\xff", "UTF-8"},
      {json::json_pointer("/firms/0/products/0/secret"), "secret", "must be a byte string"},
      {json::json_pointer("/firms/0/products/0/secret"), json::binary(Bytes(31)),
       "secret_data must be 32 bytes"},
      {json::json_pointer("/firms/0/products/0/modules/1/code"), true,
       "firms[0].products[0].modules[1].code must be an unsigned integer"},
      {json::json_pointer("/firms/0/products/0/modules"), json::object(), "must be an array"},
      {json::json_pointer("/firms/0/products/0/borrow"), json::array(), "must be a map"},
      {json::json_pointer("/firms/0/products/0/borrow/days"), nullptr, "borrow.days"},
      {json::json_pointer("/firms/0/products/0/quantity"), 0, "license_quantity"},
      {json::json_pointer("/firms/0/products/0/bogus"), 1, "unknown field 'bogus'"},
      {json::json_pointer("/firms/0/key"), json::binary(Bytes(33)), "firms[0].key is 33 bytes"},
      {json::json_pointer("/firms/0/products/1"), "product", "firms[0].products[1] must be a map"},
      {json::json_pointer("/firms/1/firm"), 6000010, "appears twice"},
      {json::json_pointer("/certified_time"), -5, "certified_time"},
  };
  for (const Case& c : cases) {
    json j = base;
    j[c.pointer] = c.value;
    ExpectRefused(ContainerStateFromJson, j, c.expected);
  }
  json missing = base;
  missing["firms"][0].erase("fuc");
  ExpectRefused(ContainerStateFromJson, missing, "firms[0].fuc is missing");
}

TEST(SerializeTest, RefusesHugeArrays) {
  json state = ToJson(FullState());
  json many_products = json::array();
  for (size_t i = 0; i <= kMaxProductsPerFirm; ++i) {
    many_products.push_back({{"code", 1 + i}, {"features", 0}});
  }
  state["firms"][0]["products"] = many_products;
  ExpectRefused(ContainerStateFromJson, state, "at most 1000");

  json item = ToJson(FullItem());
  item["modules"] = json::array();
  for (size_t i = 0; i <= kMaxModulesPerProduct; ++i) {
    item["modules"].push_back({{"code", 300000 + i}, {"features", 0}});
  }
  ExpectRefused(ProductItemFromJson, item, "modules has 65 elements");

  json ops = json::array();
  for (size_t i = 0; i <= kMaxOperations; ++i) {
    ops.push_back({{"fuc", i + 1}, {"op", "delete_product"}, {"code", 1}});
  }
  ExpectRefused(OperationsFromJson, ops, "at most 10000");
}

TEST(SerializeTest, RefusesBadOperations) {
  ExpectRefused(OperationsFromJson, json::object(), "must be an array");
  ExpectRefused(OperationFromJson, json{{"fuc", 1}, {"op", "drop_table"}},
                "unknown operation kind 'drop_table'");
  ExpectRefused(OperationFromJson, json{{"fuc", 1}, {"op", 3}}, "op must be a text string");
  ExpectRefused(OperationFromJson, json{{"fuc", 0}, {"op", "delete_product"}, {"code", 1}},
                "fuc must be at least 1");
  ExpectRefused(OperationFromJson, json{{"op", "delete_product"}, {"code", 1}}, "fuc is missing");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1}, {"op", "delete_product"}, {"code", 1}, {"units", 5}},
                "unknown field 'units'");
  ExpectRefused(OperationFromJson, json{{"fuc", 1}, {"op", "add_units"}, {"code", 1}},
                "delta is missing");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1}, {"op", "add_units"}, {"code", 1}, {"delta", 1e3}},
                "delta must be an integer");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1}, {"op", "add_units"}, {"code", 1}, {"delta", UINT64_MAX}},
                "signed 64-bit");
  ExpectRefused(OperationFromJson, json{{"fuc", 1}, {"op", "add_product"}, {"item", {{"code", 0}}}},
                "item.features is missing");
  ExpectRefused(OperationsFromJson,
                json::array({json{
                    {"fuc", 1}, {"op", "add_product"}, {"item", {{"code", 0}, {"features", 0}}}}}),
                "ops[0].item: product: product_code must not be 0");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1},
                     {"op", "modify_product"},
                     {"code", 1},
                     {"patch", {{"expires", 5}, {"clear", {"expires"}}}}},
                "both sets and clears expiration");
  ExpectRefused(
      OperationFromJson,
      json{{"fuc", 1}, {"op", "modify_product"}, {"code", 1}, {"patch", {{"clear", {"text"}}}}},
      "patch.clear element 0 must name a clearable field");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1},
                     {"op", "modify_product"},
                     {"code", 1},
                     {"patch", {{"clear", {"units", "units"}}}}},
                "names units twice");
  ExpectRefused(OperationFromJson,
                json{{"fuc", 1}, {"op", "modify_product"}, {"code", 1}, {"patch", {{"code", 5}}}},
                "unknown field 'code'");
  ExpectRefused(OperationFromJson, json{{"fuc", 1}, {"op", "add_firm_item"}, {"name", "x"}},
                "key is missing");
}

TEST(SerializeTest, NeverThrowsOnOddValues) {
  const json odd[] = {
      nullptr,
      true,
      3,
      -3,
      2.5,
      "text",
      json::binary({1, 2}),
      json::array(),
      json::object(),
      json::array({nullptr}),
      json{{"firms", nullptr}},
      json{{"firms", json::array({1})}},
      json{{"\xff\xfe", 1}},  // an invalid UTF-8 key must not break the message
  };
  for (const json& j : odd) {
    EXPECT_NO_THROW({
      EXPECT_FALSE(ContainerStateFromJson(j).ok());
      EXPECT_FALSE(FirmItemFromJson(j).ok());
      EXPECT_FALSE(ProductItemFromJson(j).ok());
      EXPECT_FALSE(ModuleItemFromJson(j).ok());
      EXPECT_FALSE(OperationFromJson(j).ok());
      (void)OperationsFromJson(j);  // [] is a valid empty list
      (void)ProductPatchFromJson(j);
    });
  }
  auto st = ProductItemFromJson(json{{"code", 1}, {"features", 1}, {"\xff\xfe", 1}}).status();
  EXPECT_THAT(st.message(), HasSubstr("unknown field '\\xff\\xfe'"));
  EXPECT_NO_THROW((void)json(st.message()).dump());
}

TEST(DisplayTest, ShowsTimesAndHidesSecrets) {
  ProductItem item = FullItem();
  json j = ToDisplayJson(item);
  EXPECT_EQ(j["product_code"], 201010);
  EXPECT_EQ(j["feature_map"], 3);
  EXPECT_EQ(j["feature_map_hex"], "0x3");
  EXPECT_EQ(j["expiration"], "2027-11-28T00:00:00Z");
  EXPECT_EQ(j["usage_period"], "30d");
  EXPECT_EQ(j["linger_time"], "5m");
  EXPECT_EQ(j["access_modes"], json({"user-limit", "no-user-limit"}));
  EXPECT_EQ(j["protected_data"], "010203");
  EXPECT_EQ(j["secret_data"], "set");
  EXPECT_FALSE(j.contains("hidden_data"));
  EXPECT_FALSE(j.contains("hidden_access_code"));
  EXPECT_EQ(j["modules"][0]["text"], "Extra");
  const std::string dumped = j.dump();
  EXPECT_THAT(dumped, ::testing::Not(HasSubstr("424242")));  // the secret's bytes
  EXPECT_THAT(dumped, ::testing::Not(HasSubstr("040506")));  // the hidden data

  item.secret_data = ItemSecret();
  EXPECT_EQ(ToDisplayJson(item)["secret_data"], "derived");

  ContainerState state = FullState();
  json s = ToDisplayJson(state);
  EXPECT_EQ(s["certified_time"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(s["firms"][0]["public_key"], HexEncode(Bytes(32, 7)));
  EXPECT_EQ(s["firms"][0]["products"].size(), 2u);
  EXPECT_TRUE(ToDisplayJson(ContainerState{})["certified_time"].is_null());

  item.text = "bad \xff utf8";  // never validated: must still dump
  EXPECT_NO_THROW((void)ToDisplayJson(item).dump());
}

TEST(DisplayTest, DescribesItems) {
  ProductItem item{.product_code = 201010,
                   .feature_map = 3,
                   .unit_counter = 100,
                   .expiration = kNov2027,
                   .text = "Sample App"};
  EXPECT_EQ(DescribeProductItem(item),
            "product 201010 'Sample App' (features 0x3, 100 units, expires 2027-11-28T00:00:00Z)");
  EXPECT_EQ(DescribeProductItem(ProductItem{.product_code = 7}), "product 7 (features 0x0)");
  EXPECT_EQ(DescribeModuleItem(ModuleItem{.product_code = 8, .feature_map = 1, .unit_counter = 1}),
            "module 8 (features 0x1, 1 unit)");
  item.text = "line\nbreak \x1b[31m 'q' \xff";
  EXPECT_THAT(DescribeProductItem(item), HasSubstr("'line\\nbreak \\x1b[31m \\'q\\' \\xff'"));
}

}  // namespace
}  // namespace licet::model
