#include "container/fingerprint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "container/fingerprint_parse.h"

namespace licet::container {
namespace {

using internal::CpuSignatureFromCpuinfo;
using internal::NormalizeHexIdentifier;
using internal::NormalizeSerial;

TEST(FingerprintParseTest, TrimStripsWhitespaceAndNul) {
  EXPECT_EQ(internal::Trim(std::string_view(" \tab c\n\0", 8)), "ab c");
  EXPECT_EQ(internal::Trim(""), "");
  EXPECT_EQ(internal::Trim(" \n "), "");
}

TEST(FingerprintParseTest, HexIdentifiersAreLowerCasedAndTrimmed) {
  EXPECT_EQ(NormalizeHexIdentifier("3D1219C7C4C5404AAA1F6D2A48ADFDA4\n"),
            "3d1219c7c4c5404aaa1f6d2a48adfda4");
  EXPECT_EQ(NormalizeHexIdentifier("  02:FC:00:00:00:01 "), "02:fc:00:00:00:01");
  EXPECT_EQ(NormalizeHexIdentifier("4C4C4544-0034-3510-8052-B4C04F4E3232"),
            "4c4c4544-0034-3510-8052-b4c04f4e3232");
  EXPECT_EQ(NormalizeHexIdentifier("00:00:00:00:00:01"), "00:00:00:00:00:01");
}

TEST(FingerprintParseTest, PlaceholdersAreAbsent) {
  for (const char* raw :
       {"", " \n", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "00000000-0000-0000-0000-000000000000", "00000000000000000000000000000000",
        "uninitialized\n", "--", "0"}) {
    EXPECT_EQ(NormalizeHexIdentifier(raw), std::nullopt) << raw;
  }
}

TEST(FingerprintParseTest, SerialsKeepCaseAndCollapseSpaces) {
  EXPECT_EQ(NormalizeSerial("  WD-WX11  A2B3\t\n"), "WD-WX11 A2B3");
  EXPECT_EQ(NormalizeSerial(std::string_view("S4EVNX0R\0\0", 10)), "S4EVNX0R");
  EXPECT_EQ(NormalizeSerial(" \n"), std::nullopt);
}

constexpr const char* kX86Cpuinfo =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "cpu family\t: 6\n"
    "model\t\t: 85\n"
    "model name\t: Intel(R) Xeon(R) Gold 6230   CPU @ 2.10GHz\n"
    "stepping\t: 7\n"
    "cpu MHz\t\t: 2095.078\n"
    "\n"
    "processor\t: 1\n"
    "vendor_id\t: GenuineIntel\n"
    "cpu family\t: 6\n"
    "model\t\t: 85\n"
    "model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n"
    "stepping\t: 7\n"
    "cpu MHz\t\t: 1200.000\n";

TEST(FingerprintParseTest, X86CpuSignature) {
  EXPECT_EQ(CpuSignatureFromCpuinfo(kX86Cpuinfo),
            "x86;vendor_id=GenuineIntel;cpu family=6;model=85;stepping=7;"
            "model name=Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
}

TEST(FingerprintParseTest, ArmCpuSignature) {
  const char* cpuinfo =
      "processor\t: 0\n"
      "BogoMIPS\t: 243.75\n"
      "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\n"
      "CPU implementer\t: 0x41\n"
      "CPU architecture: 8\n"
      "CPU variant\t: 0x3\n"
      "CPU part\t: 0xd0c\n"
      "CPU revision\t: 1\n"
      "\n"
      "processor\t: 1\n"
      "CPU implementer\t: 0x42\n";
  EXPECT_EQ(CpuSignatureFromCpuinfo(cpuinfo),
            "arm;CPU implementer=0x41;CPU architecture=8;CPU variant=0x3;CPU part=0xd0c;"
            "CPU revision=1");
}

TEST(FingerprintParseTest, UnknownCpuinfoIsAbsent) {
  EXPECT_EQ(CpuSignatureFromCpuinfo(""), std::nullopt);
  EXPECT_EQ(CpuSignatureFromCpuinfo("processor : 0\ncpu : POWER9\n"), std::nullopt);
  EXPECT_EQ(CpuSignatureFromCpuinfo("vendor_id :   \n"), std::nullopt);
  EXPECT_EQ(CpuSignatureFromCpuinfo(std::string(100000, ':')), std::nullopt);
  // Only the keys present are used; "model name" is not mistaken for "model".
  EXPECT_EQ(CpuSignatureFromCpuinfo("vendor_id : V\nmodel name : N\n"),
            "x86;vendor_id=V;model name=N");
}

TEST(FingerprintTest, KindNamesAndNumbers) {
  EXPECT_STREQ(PropertyKindName(PropertyKind::kMachineId), "machine-id");
  EXPECT_STREQ(PropertyKindName(PropertyKind::kDmiProductUuid), "dmi-uuid");
  EXPECT_STREQ(PropertyKindName(PropertyKind::kMacAddress), "mac");
  EXPECT_STREQ(PropertyKindName(PropertyKind::kRootDisk), "root-disk");
  EXPECT_STREQ(PropertyKindName(PropertyKind::kCpuSignature), "cpu");
  EXPECT_STREQ(PropertyKindName(static_cast<PropertyKind>(9)), "unknown");
  EXPECT_EQ(PropertyKindFromNumber(3), PropertyKind::kMacAddress);
  EXPECT_EQ(PropertyKindFromNumber(0), std::nullopt);
  EXPECT_EQ(PropertyKindFromNumber(6), std::nullopt);
  EXPECT_EQ(PropertyKindFromNumber(256 + 1), std::nullopt);
}

TEST(FingerprintTest, DigestIsShortStableAndHidesTheValue) {
  const DeviceProperty mac{PropertyKind::kMacAddress, {"02:fc:00:00:00:01"}};
  const std::string digest = PropertyDigest(mac);
  EXPECT_EQ(digest.size(), 16u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(digest, PropertyDigest(mac));
  EXPECT_EQ(digest.find("02fc"), std::string::npos);
  EXPECT_NE(digest, PropertyDigest({PropertyKind::kMachineId, {"02:fc:00:00:00:01"}}));
  EXPECT_NE(digest, PropertyDigest({PropertyKind::kMacAddress, {"02:fc:00:00:00:02"}}));
  EXPECT_NE(PropertyDigest({PropertyKind::kMacAddress, {"ab", "c"}}),
            PropertyDigest({PropertyKind::kMacAddress, {"a", "bc"}}));
}

// The real readers on this machine: we cannot know the values, only their shape. The fake
// device test (device_binding_namespace_test) checks the values themselves.
TEST(FingerprintTest, ReadsThisMachineConsistently) {
  auto props = ReadDeviceProperties();
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  std::set<PropertyKind> kinds;
  for (const DeviceProperty& prop : *props) {
    EXPECT_TRUE(kinds.insert(prop.kind).second) << "kind listed twice";
    ASSERT_FALSE(prop.values.empty()) << PropertyKindName(prop.kind);
    if (prop.kind != PropertyKind::kMacAddress) {
      EXPECT_EQ(prop.values.size(), 1u);
    }
    EXPECT_TRUE(std::is_sorted(prop.values.begin(), prop.values.end()));
    for (const std::string& value : prop.values) {
      EXPECT_FALSE(value.empty());
      EXPECT_EQ(value, internal::Trim(value));
      if (prop.kind == PropertyKind::kMacAddress || prop.kind == PropertyKind::kMachineId) {
        EXPECT_EQ(NormalizeHexIdentifier(value), value);
      }
    }
  }
  EXPECT_TRUE(std::is_sorted(props->begin(), props->end(),
                             [](const auto& a, const auto& b) { return a.kind < b.kind; }));
  // Reading twice gives the same answer.
  auto again = ReadDeviceProperties();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), props->size());
  for (size_t i = 0; i < props->size(); ++i) {
    EXPECT_EQ(PropertyDigest((*props)[i]), PropertyDigest((*again)[i]));
  }
}

}  // namespace
}  // namespace licet::container
