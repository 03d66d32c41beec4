#include "protect/key/descriptor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "protect/key/key_scheme.h"

namespace licet::protect::key {
namespace {

Descriptor Valid() {
  Descriptor d = NewDescriptor(Mode::kLicense, Kind::kExecutable, 6000010, 201010);
  d.key_count = 1;
  d.range_count = 2;
  d.ranges[0] = Range{0x1000, 0x1000, 0x800, 5, 0, {}, {}, 0};
  d.ranges[1] = Range{0x3000, 0x3000, 0x100, 1, 0, {}, {}, 0};
  d.file_size = 0x8000;
  d.self_file_offset = 0x5000;
  return d;
}

Status Parse(const Descriptor& d) {
  return ParseDescriptor(ByteSpan(reinterpret_cast<const uint8_t*>(&d), sizeof d)).status();
}

TEST(DescriptorTest, ValidParses) { EXPECT_TRUE(Parse(Valid()).ok()) << Parse(Valid()).ToString(); }

TEST(DescriptorTest, SizeMustBeExact) {
  Descriptor d = Valid();
  Bytes b(reinterpret_cast<const uint8_t*>(&d), reinterpret_cast<const uint8_t*>(&d) + sizeof d);
  EXPECT_EQ(ParseDescriptor(ByteSpan(b).subspan(0, b.size() - 1)).status().code(),
            ErrorCode::kCorruptData);
  b.push_back(0);
  EXPECT_EQ(ParseDescriptor(b).status().code(), ErrorCode::kCorruptData);
  EXPECT_TRUE(ParseDescriptor(b, /*allow_trailing=*/true).ok());
  EXPECT_NE(ValidateDescriptor(nullptr, 0), nullptr);
}

TEST(DescriptorTest, OtherVersionIsUnsupported) {
  Descriptor d = Valid();
  d.version = 2;
  EXPECT_EQ(Parse(d).code(), ErrorCode::kUnsupportedVersion);
}

TEST(DescriptorTest, EveryBadFieldIsRefused) {
  const std::function<void(Descriptor&)> mutations[] = {
      [](Descriptor& d) { d.magic[7] = '2'; },
      [](Descriptor& d) { d.size -= 8; },
      [](Descriptor& d) { d.mode = 3; },
      [](Descriptor& d) { d.kind = 0; },
      [](Descriptor& d) { d.where = 4; },
      [](Descriptor& d) { d.access_mode = 3; },
      [](Descriptor& d) { d.on_loss = 2; },
      [](Descriptor& d) { d.hardening = 3; },
      [](Descriptor& d) { d.hardening = 1u << 8; },
      [](Descriptor& d) { d.firm_code = 0; },
      [](Descriptor& d) { d.ip_key[3] = 1; },
      [](Descriptor& d) { d.key_count = 0; },
      [](Descriptor& d) { d.key_count = kMaxKeys + 1; },
      [](Descriptor& d) { d.range_count = kMaxRanges + 1; },
      [](Descriptor& d) { d.reserved[0] = 1; },
      [](Descriptor& d) { std::memset(d.product_name, 'a', kNameSize); },
      [](Descriptor& d) { std::memset(d.activation_hint, 'a', kHintSize); },
      [](Descriptor& d) { d.keys[1].feature_code = 1; },  // unused slot not zero
      [](Descriptor& d) { d.keys[0].reserved[1] = 1; },
      [](Descriptor& d) { d.key_count = 2; },              // two slots, same feature 0
      [](Descriptor& d) { d.file_size = 1ULL << 50; },
      [](Descriptor& d) { d.self_file_offset = 0x7fff; },  // descriptor past the end
      [](Descriptor& d) { d.ranges[2].length = 1; },       // unused range not zero
      [](Descriptor& d) { d.ranges[0].length = 0; },
      [](Descriptor& d) { d.ranges[0].length = 0x2001; },  // overlaps the next in memory
      [](Descriptor& d) { d.ranges[1].vaddr = 0x800; },    // unsorted
      [](Descriptor& d) { d.ranges[1].file_offset = 0x7f80; },  // past the file end
      [](Descriptor& d) { d.ranges[1].file_offset = 0x1100; },  // overlaps in the file
      [](Descriptor& d) { d.ranges[1].file_offset = 0x5100; },  // overlaps the descriptor
      [](Descriptor& d) { d.ranges[0].prot = 8; },
      [](Descriptor& d) { d.ranges[0].key_index = 1; },
      [](Descriptor& d) { d.ranges[0].reserved = 1; },
      [](Descriptor& d) { d.ranges[0].file_offset = ~0ULL - 1; },
  };
  int i = 0;
  for (const auto& mutate : mutations) {
    Descriptor d = Valid();
    mutate(d);
    EXPECT_EQ(Parse(d).code(), ErrorCode::kCorruptData) << "mutation " << i;
    ++i;
  }
}

TEST(DescriptorTest, InvalidUtf8TextIsRefused) {
  Descriptor d = Valid();
  d.product_name[0] = static_cast<char>(0xc0);
  d.product_name[1] = static_cast<char>(0x80);
  EXPECT_EQ(Parse(d).code(), ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace licet::protect::key
