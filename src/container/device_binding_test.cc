#include "container/device_binding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/crypto.h"

namespace licet::container {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<DeviceProperty> FiveProperties() {
  return {
      {PropertyKind::kMachineId, {"3d1219c7c4c5404aaa1f6d2a48adfda4"}},
      {PropertyKind::kDmiProductUuid, {"4c4c4544-0034-3510-8052-b4c04f4e3232"}},
      {PropertyKind::kMacAddress, {"02:fc:00:00:00:01", "52:54:00:12:34:56"}},
      {PropertyKind::kRootDisk, {"S4EVNX0R123456"}},
      {PropertyKind::kCpuSignature, {"x86;vendor_id=AuthenticAMD;cpu family=26"}},
  };
}

void Change(std::vector<DeviceProperty>& props, PropertyKind kind) {
  for (DeviceProperty& prop : props) {
    if (prop.kind == kind) prop.values = {"changed-" + prop.values.front()};
  }
}

void Remove(std::vector<DeviceProperty>& props, PropertyKind kind) {
  props.erase(std::remove_if(props.begin(), props.end(),
                             [kind](const DeviceProperty& p) { return p.kind == kind; }),
              props.end());
}

std::vector<DeviceProperty>::iterator Find(std::vector<DeviceProperty>& props, PropertyKind kind) {
  return std::find_if(props.begin(), props.end(),
                      [kind](const DeviceProperty& p) { return p.kind == kind; });
}

class DeviceBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto binding = BindToDevice(master_, FiveProperties());
    ASSERT_TRUE(binding.ok()) << binding.status().ToString();
    binding_ = std::move(binding).value();
  }

  void ExpectOpens(const std::vector<DeviceProperty>& props) {
    auto secret = UnbindFromDevice(binding_, props);
    ASSERT_TRUE(secret.ok()) << secret.status().ToString();
    EXPECT_TRUE(crypto::ConstantTimeEqual(secret->span(), master_.span()));
  }

  SecretBytes master_ = crypto::RandomSecret(kBindingSecretSize);
  DeviceBinding binding_;
};

TEST_F(DeviceBindingTest, LayoutOfFiveProperties) {
  EXPECT_EQ(binding_.count, 5);
  EXPECT_EQ(binding_.threshold, 4);      // default n-1
  ASSERT_EQ(binding_.slots.size(), 6u);  // two MACs, one slot each
  std::vector<int> xs;
  for (const ShareSlot& slot : binding_.slots) {
    xs.push_back(slot.x);
    EXPECT_EQ(slot.salt.size(), kShareSaltSize);
    EXPECT_EQ(slot.nonce.size(), kShareNonceSize);
    EXPECT_EQ(slot.ciphertext.size(), kShareCiphertextSize);
  }
  EXPECT_THAT(xs, ElementsAre(1, 2, 3, 3, 4, 5));
  EXPECT_EQ(binding_.slots[2].kind, PropertyKind::kMacAddress);
  EXPECT_EQ(binding_.slots[3].kind, PropertyKind::kMacAddress);
  EXPECT_TRUE(ValidateDeviceBinding(binding_).ok());
}

TEST_F(DeviceBindingTest, SameDeviceOpens) { ExpectOpens(FiveProperties()); }

TEST_F(DeviceBindingTest, OneChangedOrMissingPropertyStillOpens) {
  for (PropertyKind kind : kAllPropertyKinds) {
    SCOPED_TRACE(PropertyKindName(kind));
    auto changed = FiveProperties();
    Change(changed, kind);
    ExpectOpens(changed);
    auto removed = FiveProperties();
    Remove(removed, kind);
    ExpectOpens(removed);
  }
}

TEST_F(DeviceBindingTest, TwoChangedPropertiesFail) {
  auto props = FiveProperties();
  Change(props, PropertyKind::kMachineId);
  Change(props, PropertyKind::kRootDisk);
  auto secret = UnbindFromDevice(binding_, props);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), ErrorCode::kDeviceMismatch);
  EXPECT_EQ(secret.status().message(),
            "container is bound to another device (3 of 5 device properties match, 4 needed)");

  auto nothing = UnbindFromDevice(binding_, {});
  EXPECT_EQ(nothing.status().message(),
            "container is bound to another device (0 of 5 device properties match, 4 needed)");
}

TEST_F(DeviceBindingTest, OneMatchingNicIsEnoughForTheMacVote) {
  // One of two NICs replaced, and another property changed too: MAC still counts.
  auto props = FiveProperties();
  Find(props, PropertyKind::kMacAddress)->values = {"02:fc:00:00:00:01", "aa:bb:cc:dd:ee:ff"};
  Change(props, PropertyKind::kCpuSignature);
  ExpectOpens(props);

  // One of two NICs removed, a USB NIC added.
  props = FiveProperties();
  Find(props, PropertyKind::kMacAddress)->values = {"52:54:00:12:34:56", "00:e0:4c:68:00:01"};
  Change(props, PropertyKind::kMachineId);
  ExpectOpens(props);

  // Both NICs replaced is one changed property; with a second change it fails.
  props = FiveProperties();
  Find(props, PropertyKind::kMacAddress)->values = {"aa:bb:cc:dd:ee:ff"};
  ExpectOpens(props);
  Change(props, PropertyKind::kRootDisk);
  EXPECT_EQ(UnbindFromDevice(binding_, props).status().code(), ErrorCode::kDeviceMismatch);
}

TEST_F(DeviceBindingTest, MacsBeyondTheLimitAreLeftOut) {
  auto props = FiveProperties();
  std::vector<std::string>& macs = Find(props, PropertyKind::kMacAddress)->values;
  macs.clear();
  for (int i = 0; i < 40; ++i) macs.push_back("02:00:00:00:00:" + std::to_string(10 + i));
  auto binding = BindToDevice(master_, props);
  ASSERT_TRUE(binding.ok());
  EXPECT_EQ(binding->slots.size(), 4 + kMaxValuesPerProperty);
}

TEST_F(DeviceBindingTest, ResultIsTheSameWhicheverExtraPropertiesMatch) {
  // Replace the share of the highest index (cpu, x = 5) by a validly encrypted wrong one, as
  // someone who knows the CPU value could. With x = 1..4 matching, x = 5 is never used.
  ShareSlot& cpu = binding_.slots.back();
  ASSERT_EQ(cpu.x, 5);
  Bytes context = ToBytes("licet device share v1");
  context.push_back(static_cast<uint8_t>(PropertyKind::kCpuSignature));
  context.push_back(5);
  const std::string value = FiveProperties()[4].values[0];
  SecretBytes key = *crypto::HkdfSha256(AsBytes(value), cpu.salt, context, 32);
  cpu.ciphertext =
      *crypto::AesGcmEncrypt(key.span(), cpu.nonce, context, crypto::RandomSecret(32).span());
  for (int i = 0; i < 3; ++i) ExpectOpens(FiveProperties());
  // With machine-id changed the tampered share is needed: a wrong but repeatable result.
  auto props = FiveProperties();
  Change(props, PropertyKind::kMachineId);
  auto first = UnbindFromDevice(binding_, props);
  auto second = UnbindFromDevice(binding_, props);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(crypto::ConstantTimeEqual(first->span(), master_.span()));
  EXPECT_TRUE(crypto::ConstantTimeEqual(first->span(), second->span()));
}

TEST_F(DeviceBindingTest, TamperedOrMovedSlotsDoNotMatch) {
  DeviceBinding tampered = binding_;
  tampered.slots[0].ciphertext[0] ^= 1;  // machine-id
  tampered.slots[5].nonce[0] ^= 1;       // cpu
  EXPECT_EQ(UnbindFromDevice(tampered, FiveProperties()).status().code(),
            ErrorCode::kDeviceMismatch);

  // Swapping the kinds of two slots (with their x) breaks the AAD and key binding.
  DeviceBinding swapped = binding_;
  std::swap(swapped.slots[0].kind, swapped.slots[5].kind);
  std::swap(swapped.slots[0].x, swapped.slots[5].x);
  auto props = FiveProperties();
  Find(props, PropertyKind::kMachineId)->values = FiveProperties()[4].values;
  Find(props, PropertyKind::kCpuSignature)->values = FiveProperties()[0].values;
  EXPECT_EQ(UnbindFromDevice(swapped, props).status().code(), ErrorCode::kDeviceMismatch);
}

TEST_F(DeviceBindingTest, MatchReportNamesKindsNeverValues) {
  auto props = FiveProperties();
  Change(props, PropertyKind::kDmiProductUuid);
  Remove(props, PropertyKind::kRootDisk);
  EXPECT_THAT(MatchReport(binding_, props),
              ElementsAre("machine-id: matches", "dmi-uuid: changed", "mac: matches",
                          "root-disk: absent", "cpu: matches", "3 of 5 match, 4 needed"));
  auto matches = MatchDeviceProperties(binding_, props);
  ASSERT_EQ(matches.size(), 5u);
  EXPECT_EQ(matches[1].kind, PropertyKind::kDmiProductUuid);
  EXPECT_EQ(matches[1].state, MatchState::kChanged);
  EXPECT_EQ(matches[3].state, MatchState::kAbsent);

  DeviceBinding broken = binding_;
  broken.threshold = 9;
  EXPECT_TRUE(MatchDeviceProperties(broken, props).empty());
  EXPECT_THAT(MatchReport(broken, props), ElementsAre("device binding is invalid"));
}

TEST(DeviceBindingBindTest, ThresholdDefaultsAndLimits) {
  SecretBytes master = crypto::RandomSecret(32);
  auto props = FiveProperties();
  EXPECT_EQ(BindToDevice(master, {props[0], props[1]})->threshold, 2);
  EXPECT_EQ(BindToDevice(master, {props[0], props[1], props[2]})->threshold, 2);
  EXPECT_EQ(BindToDevice(master, {props[0], props[1], props[2], props[3]})->threshold, 3);

  auto strict = BindToDevice(master, props, 5);
  ASSERT_TRUE(strict.ok());
  auto one_changed = props;
  Change(one_changed, PropertyKind::kCpuSignature);
  EXPECT_EQ(UnbindFromDevice(*strict, one_changed).status().message(),
            "container is bound to another device (4 of 5 device properties match, 5 needed)");

  auto loose = BindToDevice(master, props, 2);
  ASSERT_TRUE(loose.ok());
  auto three_changed = props;
  Change(three_changed, PropertyKind::kMachineId);
  Change(three_changed, PropertyKind::kMacAddress);
  Change(three_changed, PropertyKind::kRootDisk);
  EXPECT_TRUE(
      crypto::ConstantTimeEqual(UnbindFromDevice(*loose, three_changed)->span(), master.span()));

  for (int bad : {1, 6, -1, 255}) {
    EXPECT_EQ(BindToDevice(master, props, bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(DeviceBindingBindTest, FewerThanTwoPropertiesRefused) {
  SecretBytes master = crypto::RandomSecret(32);
  auto one =
      BindToDevice(master, {{PropertyKind::kMachineId, {"abc"}}, {PropertyKind::kMacAddress, {}}});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(one.status().message(),
            "a soft container needs at least 2 device properties; found machine-id; "
            "missing: dmi-uuid, mac, root-disk, cpu");
  auto none = BindToDevice(master, {});
  EXPECT_THAT(none.status().message(), HasSubstr("found none"));
}

TEST(DeviceBindingBindTest, BadArgumentsRefused) {
  auto props = FiveProperties();
  EXPECT_EQ(BindToDevice(crypto::RandomSecret(16), props).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(BindToDevice(SecretBytes(), props).status().code(), ErrorCode::kInvalidArgument);
  SecretBytes master = crypto::RandomSecret(32);
  auto twice = props;
  twice.push_back(props[0]);
  EXPECT_THAT(BindToDevice(master, twice).status().message(), HasSubstr("given twice"));
  auto empty_value = props;
  empty_value[2].values.push_back("");
  EXPECT_EQ(BindToDevice(master, empty_value).status().code(), ErrorCode::kInvalidArgument);
  auto unknown = props;
  unknown.push_back({static_cast<PropertyKind>(9), {"x"}});
  EXPECT_EQ(BindToDevice(master, unknown).status().code(), ErrorCode::kInvalidArgument);
}

TEST(DeviceBindingBindTest, ShareIndexesFollowKindOrder) {
  SecretBytes master = crypto::RandomSecret(32);
  auto props = FiveProperties();
  std::reverse(props.begin(), props.end());
  auto binding = BindToDevice(master, props);
  ASSERT_TRUE(binding.ok());
  EXPECT_EQ(binding->slots.front().kind, PropertyKind::kMachineId);
  EXPECT_EQ(binding->slots.front().x, 1);
  EXPECT_EQ(binding->slots.back().kind, PropertyKind::kCpuSignature);
  EXPECT_EQ(binding->slots.back().x, 5);
}

TEST_F(DeviceBindingTest, JsonRoundTripThroughCbor) {
  const json j = DeviceBindingToJson(binding_);
  const std::vector<uint8_t> cbor = json::to_cbor(j);
  const json back = json::from_cbor(cbor, true, false);
  ASSERT_FALSE(back.is_discarded());
  auto parsed = DeviceBindingFromJson(back);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->threshold, binding_.threshold);
  EXPECT_EQ(parsed->count, binding_.count);
  ASSERT_EQ(parsed->slots.size(), binding_.slots.size());
  for (size_t i = 0; i < parsed->slots.size(); ++i) {
    EXPECT_EQ(parsed->slots[i].kind, binding_.slots[i].kind);
    EXPECT_EQ(parsed->slots[i].x, binding_.slots[i].x);
    EXPECT_EQ(parsed->slots[i].salt, binding_.slots[i].salt);
    EXPECT_EQ(parsed->slots[i].nonce, binding_.slots[i].nonce);
    EXPECT_EQ(parsed->slots[i].ciphertext, binding_.slots[i].ciphertext);
  }
  binding_ = std::move(parsed).value();
  ExpectOpens(FiveProperties());
  // Without the CBOR step too.
  EXPECT_TRUE(DeviceBindingFromJson(j).ok());
}

// Applies `edit` to the JSON of a good binding and expects kCorruptData naming `field`.
class HostileJsonTest : public DeviceBindingTest {
 protected:
  template <typename Edit>
  void ExpectRefused(Edit edit, const std::string& field) {
    json j = DeviceBindingToJson(binding_);
    edit(j);
    auto parsed = DeviceBindingFromJson(j);
    ASSERT_FALSE(parsed.ok()) << j.dump();
    EXPECT_EQ(parsed.status().code(), ErrorCode::kCorruptData);
    EXPECT_THAT(parsed.status().message(), HasSubstr(field)) << parsed.status().message();
  }
};

TEST_F(HostileJsonTest, WrongShapes) {
  for (const json& j :
       {json(), json(5), json("x"), json::array(), json::object(), json::binary({1, 2, 3})}) {
    EXPECT_EQ(DeviceBindingFromJson(j).status().code(), ErrorCode::kCorruptData) << j.dump();
  }
  ExpectRefused([](json& j) { j.erase("threshold"); }, "threshold");
  ExpectRefused([](json& j) { j["extra"] = 1; }, "unexpected keys");
  ExpectRefused([](json& j) { j["threshold"] = -1; }, "threshold: must be a non-negative integer");
  ExpectRefused([](json& j) { j["threshold"] = 2.5; }, "threshold: must be a non-negative integer");
  ExpectRefused([](json& j) { j["threshold"] = "4"; }, "threshold: must be a non-negative integer");
  ExpectRefused([](json& j) { j["threshold"] = 1; }, "threshold must be between 2 and count");
  ExpectRefused([](json& j) { j["threshold"] = 6; }, "threshold must be between 2 and count");
  ExpectRefused([](json& j) { j["threshold"] = 1ull << 40; }, "threshold: must be at most 255");
  ExpectRefused([](json& j) { j["count"] = 1; }, "count must be between 2 and 255");
  ExpectRefused([](json& j) { j["count"] = 6; }, "no slot for share index 6");
  ExpectRefused([](json& j) { j["count"] = 300; }, "count: must be at most 255");
  ExpectRefused([](json& j) { j["slots"] = json::object(); }, "slots");
  ExpectRefused([](json& j) { j["slots"] = json::array(); }, "slots");
  ExpectRefused(
      [](json& j) {
        json slot = j["slots"][0];
        for (int i = 0; i < 70; ++i) j["slots"].push_back(slot);
      },
      "slots");
}

TEST_F(HostileJsonTest, WrongSlots) {
  ExpectRefused([](json& j) { j["slots"][1] = 7; }, "slots[1]");
  ExpectRefused([](json& j) { j["slots"][1].erase("nonce"); }, "slots[1]");
  ExpectRefused([](json& j) { j["slots"][1]["more"] = 0; }, "slots[1]");
  ExpectRefused([](json& j) { j["slots"][1]["kind"] = 9; }, "slots[1].kind: unknown");
  ExpectRefused([](json& j) { j["slots"][1]["kind"] = 0; }, "slots[1].kind: unknown");
  ExpectRefused([](json& j) { j["slots"][1]["kind"] = -2; }, "slots[1].kind");
  ExpectRefused([](json& j) { j["slots"][1]["x"] = 0; }, "slots[1].x: must be between 1 and count");
  ExpectRefused([](json& j) { j["slots"][1]["x"] = 6; }, "slots[1].x: must be between 1 and count");
  ExpectRefused([](json& j) { j["slots"][1]["x"] = 256; }, "slots[1].x: must be at most 255");
  ExpectRefused([](json& j) { j["slots"][1]["salt"] = json::binary(Bytes(15)); }, "slots[1].salt");
  ExpectRefused([](json& j) { j["slots"][1]["nonce"] = json::array({1, 2}); }, "slots[1].nonce");
  ExpectRefused([](json& j) { j["slots"][1]["nonce"] = json::binary(Bytes(16)); },
                "slots[1].nonce");
  ExpectRefused([](json& j) { j["slots"][1]["ciphertext"] = json::binary(Bytes(47)); },
                "slots[1].ciphertext");
  ExpectRefused([](json& j) { j["slots"][1]["ciphertext"] = "text"; }, "slots[1].ciphertext");
  // Two kinds on one index, one kind on two indexes, an index with no slot.
  ExpectRefused([](json& j) { j["slots"][1]["x"] = 1; }, "slots[1].x: each property kind");
  ExpectRefused([](json& j) { j["slots"][3]["x"] = 4; }, "slots[3].x: each property kind");
  ExpectRefused([](json& j) { j["slots"].erase(j["slots"].begin()); }, "share index 1");
}

TEST_F(DeviceBindingTest, UnbindValidatesHandMadeBindings) {
  DeviceBinding bad = binding_;
  bad.slots[0].salt.pop_back();
  EXPECT_EQ(UnbindFromDevice(bad, FiveProperties()).status().code(), ErrorCode::kCorruptData);
  bad = binding_;
  bad.count = 0;
  EXPECT_EQ(UnbindFromDevice(bad, FiveProperties()).status().code(), ErrorCode::kCorruptData);
  bad = binding_;
  bad.slots.clear();
  EXPECT_EQ(UnbindFromDevice(bad, FiveProperties()).status().code(), ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace licet::container
