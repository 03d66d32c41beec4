#include "protect/elf/elf_file.h"

#include <elf.h>
#include <gtest/gtest.h>

#include "common/env.h"

namespace licet::protect::elf {
namespace {

Bytes ReadSelf() {
  Result<Bytes> data = Env::Default().ReadFile("/proc/self/exe", kMaxFileSize);
  EXPECT_TRUE(data.ok());
  return data.ok() ? *data : Bytes();
}

TEST(ElfFileTest, ParsesThisTestBinary) {
  Bytes data = ReadSelf();
  Result<ElfFile> f = ElfFile::Parse(data);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->type() == ET_DYN || f->type() == ET_EXEC);
  EXPECT_NE(f->FindSection(".text"), nullptr);
  EXPECT_TRUE(f->is_dynamic());
  EXPECT_TRUE(f->has_interp());
  EXPECT_TRUE(f->VaddrToOffset(f->entry()).has_value());
  EXPECT_NE(f->LoadSegmentFor(f->entry()), nullptr);
}

TEST(ElfFileTest, RefusesNonElfAndTruncated) {
  EXPECT_EQ(ElfFile::Parse(ToBytes("#!/bin/sh\necho hi\n")).status().code(),
            ErrorCode::kCorruptData);
  Bytes data = ReadSelf();
  for (size_t n : {size_t{0}, size_t{16}, size_t{63}, size_t{64}, size_t{100}}) {
    Bytes cut(data.begin(), data.begin() + static_cast<long>(n));
    EXPECT_FALSE(ElfFile::Parse(cut).ok()) << n;
  }
  // Cut off the section headers at the end.
  Bytes cut(data.begin(), data.end() - 10);
  EXPECT_EQ(ElfFile::Parse(cut).status().code(), ErrorCode::kCorruptData);
}

TEST(ElfFileTest, RefusesOtherClassesAndMachines) {
  Bytes data = ReadSelf();
  Bytes c32 = data;
  c32[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(ElfFile::Parse(c32).status().code(), ErrorCode::kUnsupportedVersion);
  Bytes arm = data;
  Store16(arm.data() + offsetof(Elf64_Ehdr, e_machine), EM_AARCH64);
  EXPECT_EQ(ElfFile::Parse(arm).status().code(), ErrorCode::kUnsupportedVersion);
  Bytes rel = data;
  Store16(rel.data() + offsetof(Elf64_Ehdr, e_type), ET_REL);
  EXPECT_EQ(ElfFile::Parse(rel).status().code(), ErrorCode::kUnsupportedVersion);
}

TEST(ElfFileTest, RefusesHeadersOutsideTheFile) {
  Bytes data = ReadSelf();
  Bytes bad = data;
  Store64(bad.data() + offsetof(Elf64_Ehdr, e_phoff), ~uint64_t{0} - 8);
  EXPECT_EQ(ElfFile::Parse(bad).status().code(), ErrorCode::kCorruptData);
  bad = data;
  Store16(bad.data() + offsetof(Elf64_Ehdr, e_phnum), 0);
  EXPECT_EQ(ElfFile::Parse(bad).status().code(), ErrorCode::kCorruptData);
  bad = data;
  Store16(bad.data() + offsetof(Elf64_Ehdr, e_shstrndx), 0xfff0);
  EXPECT_EQ(ElfFile::Parse(bad).status().code(), ErrorCode::kCorruptData);
  // A PT_LOAD whose file part runs past the end.
  bad = data;
  uint64_t phoff = Load64(bad.data() + offsetof(Elf64_Ehdr, e_phoff));
  uint16_t phnum = Load16(bad.data() + offsetof(Elf64_Ehdr, e_phnum));
  for (uint16_t i = 0; i < phnum; ++i) {
    uint8_t* p = bad.data() + phoff + i * sizeof(Elf64_Phdr);
    if (Load32(p) == PT_LOAD) {
      Store64(p + offsetof(Elf64_Phdr, p_filesz), bad.size() * 2);
      break;
    }
  }
  EXPECT_EQ(ElfFile::Parse(bad).status().code(), ErrorCode::kCorruptData);
}

TEST(ElfFileTest, FindsIfuncRelocationsOfStaticLibc) {
  // Any parse of a real dynamic binary yields a (possibly empty) resolver list without error;
  // the list must only hold addresses inside a PT_LOAD.
  Bytes data = ReadSelf();
  Result<ElfFile> f = ElfFile::Parse(data);
  ASSERT_TRUE(f.ok());
  for (const Symbol& s : f->IfuncResolvers()) EXPECT_NE(f->LoadSegmentFor(s.value), nullptr);
}

}  // namespace
}  // namespace licet::protect::elf
