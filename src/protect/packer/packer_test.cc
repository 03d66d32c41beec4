#include "protect/packer/packer.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>

#include "common/env.h"
#include "protect/key/key_scheme.h"
#include "protect/stub/stub_blob.h"
#include "protect/stub/stub_layout.h"

namespace licet::protect::packer {
namespace {

Bytes SelfBytes() {
  Result<Bytes> data = Env::Default().ReadFile("/proc/self/exe", elf::kMaxFileSize);
  EXPECT_TRUE(data.ok());
  return data.ok() ? *data : Bytes();
}

ProtectOptions IpOptions() {
  ProtectOptions o;
  o.kind = key::Kind::kExecutable;
  o.mode = key::Mode::kIpProtection;
  o.product_name = "test";
  return o;
}

TEST(RangesTest, RangesArePageAlignedAndAvoidWhatLdSoReads) {
  Bytes data = SelfBytes();
  Result<elf::ElfFile> f = elf::ElfFile::Parse(data);
  ASSERT_TRUE(f.ok());
  Result<std::vector<PlainRange>> ranges = FindRanges(*f, key::kMaxRanges);
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_FALSE(ranges->empty());
  uint64_t prev_end = 0;
  for (const PlainRange& r : *ranges) {
    EXPECT_EQ(r.vaddr % elf::kPageSize, 0u);
    EXPECT_EQ(r.file_offset % elf::kPageSize, 0u);
    EXPECT_EQ(r.length % elf::kPageSize, 0u);
    EXPECT_GE(r.vaddr, prev_end);
    prev_end = r.vaddr + r.length;
    const elf::Segment* seg = f->LoadSegmentFor(r.vaddr);
    ASSERT_NE(seg, nullptr);
    EXPECT_EQ(seg->flags & PF_W, 0u);
    for (const elf::Segment& s : f->segments()) {
      if (s.type == PT_DYNAMIC || s.type == PT_GNU_RELRO || s.type == PT_INTERP ||
          s.type == PT_NOTE) {
        EXPECT_TRUE(s.vaddr + s.memsz <= r.vaddr || s.vaddr >= r.vaddr + r.length);
      }
    }
  }
}

TEST(PackerTest, ProtectsAnExecutableAndRefusesTwice) {
  Bytes data = SelfBytes();
  ProtectReport report;
  Result<Bytes> out = Protect(data, IpOptions(), SecretBytes(), stub::StubBlob(), &report);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(report.entry_hook, "e_entry");
  EXPECT_GT(report.bytes_encrypted, 0u);
  Result<elf::ElfFile> f = elf::ElfFile::Parse(*out);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(IsProtected(*f));
  EXPECT_EQ(f->entry(), report.stub_vaddr + stub::kExeEntryOffset);
  // The ranges changed, nothing else of the original text did.
  for (const PlainRange& r : report.ranges) {
    EXPECT_NE(std::memcmp(out->data() + r.file_offset, data.data() + r.file_offset, r.length), 0);
  }
  // PT_LOADs stay sorted, PT_PHDR lies inside one.
  uint64_t last = 0;
  for (const elf::Segment& s : f->segments()) {
    if (s.type == PT_LOAD) {
      EXPECT_GE(s.vaddr, last);
      last = s.vaddr;
    }
    if (s.type == PT_PHDR) {
      EXPECT_NE(f->LoadSegmentFor(s.vaddr), nullptr);
    }
  }
  // The descriptor parses strictly.
  Result<key::Descriptor> d = key::ParseDescriptor(
      ByteSpan(out->data() + report.descriptor_offset, sizeof(key::Descriptor)));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->range_count, report.ranges.size());
  EXPECT_EQ(d->file_size, out->size());

  ProtectReport again;
  EXPECT_EQ(Protect(*out, IpOptions(), SecretBytes(), stub::StubBlob(), &again).status().code(),
            ErrorCode::kAlreadyExists);
}

TEST(PackerTest, RefusesWrongKindsAndInputs) {
  Bytes data = SelfBytes();
  ProtectReport report;
  ProtectOptions lib = IpOptions();
  lib.kind = key::Kind::kLibrary;
  EXPECT_EQ(Protect(data, lib, SecretBytes(), stub::StubBlob(), &report).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Protect(ToBytes("#!/bin/sh\n"), IpOptions(), SecretBytes(), stub::StubBlob(), &report)
                .status()
                .code(),
            ErrorCode::kCorruptData);
  Bytes bad_stub(stub::StubBlob().begin(), stub::StubBlob().end());
  bad_stub[stub::kPatchOffset] ^= 1;
  EXPECT_EQ(Protect(data, IpOptions(), SecretBytes(), bad_stub, &report).status().code(),
            ErrorCode::kInternal);
  // License mode needs a 32-byte firm secret.
  ProtectOptions lic = IpOptions();
  lic.mode = key::Mode::kLicense;
  lic.firm_code = 6000010;
  lic.product_code = 1;
  EXPECT_FALSE(Protect(data, lic, SecretBytes(), stub::StubBlob(), &report).ok());
  Result<Bytes> ok = Protect(data, lic, SecretBytes(32), stub::StubBlob(), &report);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(PackerTest, StubBlobIsPositionIndependentAndHasItsEntries) {
  ByteSpan blob = stub::StubBlob();
  ASSERT_GT(blob.size(), stub::kIpMaterialOffset);
  EXPECT_EQ(blob[stub::kExeEntryOffset], 0xe9);  // jmp rel32
  EXPECT_EQ(blob[stub::kLibEntryOffset], 0xe9);
  EXPECT_EQ(std::memcmp(blob.data() + stub::kPatchOffset, stub::kPatchMagic, 8), 0);
}

}  // namespace
}  // namespace licet::protect::packer
