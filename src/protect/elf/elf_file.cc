#include "protect/elf/elf_file.h"

#include <elf.h>

#include <cstring>

namespace licet::protect::elf {
namespace {

Status Corrupt(const std::string& what) {
  return Error(ErrorCode::kCorruptData, "malformed ELF file: " + what);
}

// True when [off, off + len) lies inside a buffer of `size` bytes, without overflow.
bool InBounds(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t Load64(const uint8_t* p) {
  return static_cast<uint64_t>(Load32(p)) | (static_cast<uint64_t>(Load32(p + 4)) << 32);
}
void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Result<ElfFile> ElfFile::Parse(ByteSpan data) {
  if (data.size() < sizeof(Elf64_Ehdr)) return Corrupt("shorter than an ELF header");
  if (data.size() > kMaxFileSize) {
    return Error(ErrorCode::kInvalidArgument, "file larger than 2 GiB");
  }
  const uint8_t* h = data.data();
  if (std::memcmp(h, ELFMAG, SELFMAG) != 0) return Corrupt("no ELF magic");
  if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB) {
    return Error(ErrorCode::kUnsupportedVersion, "not an ELF64 little-endian file");
  }
  if (h[EI_VERSION] != EV_CURRENT) return Corrupt("unknown ELF ident version");
  ElfFile f;
  f.type_ = Load16(h + offsetof(Elf64_Ehdr, e_type));
  uint16_t machine = Load16(h + offsetof(Elf64_Ehdr, e_machine));
  if (machine != EM_X86_64) return Error(ErrorCode::kUnsupportedVersion, "not an x86-64 ELF file");
  if (f.type_ != ET_EXEC && f.type_ != ET_DYN) {
    return Error(ErrorCode::kUnsupportedVersion, "not an executable or shared object");
  }
  if (Load32(h + offsetof(Elf64_Ehdr, e_version)) != EV_CURRENT) return Corrupt("bad e_version");
  if (Load16(h + offsetof(Elf64_Ehdr, e_ehsize)) != sizeof(Elf64_Ehdr))
    return Corrupt("bad e_ehsize");
  f.entry_ = Load64(h + offsetof(Elf64_Ehdr, e_entry));
  f.phoff_ = Load64(h + offsetof(Elf64_Ehdr, e_phoff));
  f.shoff_ = Load64(h + offsetof(Elf64_Ehdr, e_shoff));
  uint16_t phentsize = Load16(h + offsetof(Elf64_Ehdr, e_phentsize));
  uint16_t phnum = Load16(h + offsetof(Elf64_Ehdr, e_phnum));
  if (phnum == 0 || phnum > kMaxProgramHeaders) return Corrupt("program header count out of range");
  if (phentsize != sizeof(Elf64_Phdr)) return Corrupt("bad e_phentsize");
  if (!InBounds(f.phoff_, uint64_t{phnum} * sizeof(Elf64_Phdr), data.size())) {
    return Corrupt("program headers outside the file");
  }
  f.bytes_.assign(data.begin(), data.end());
  bool has_load = false;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint8_t* p = f.bytes_.data() + f.phoff_ + i * sizeof(Elf64_Phdr);
    Segment s;
    s.type = Load32(p + offsetof(Elf64_Phdr, p_type));
    s.flags = Load32(p + offsetof(Elf64_Phdr, p_flags));
    s.offset = Load64(p + offsetof(Elf64_Phdr, p_offset));
    s.vaddr = Load64(p + offsetof(Elf64_Phdr, p_vaddr));
    s.filesz = Load64(p + offsetof(Elf64_Phdr, p_filesz));
    s.memsz = Load64(p + offsetof(Elf64_Phdr, p_memsz));
    s.align = Load64(p + offsetof(Elf64_Phdr, p_align));
    if (!InBounds(s.offset, s.filesz, f.bytes_.size())) {
      return Corrupt("segment " + std::to_string(i) + " outside the file");
    }
    if (s.vaddr + s.memsz < s.vaddr) return Corrupt("segment address overflow");
    if (s.type == PT_LOAD) {
      has_load = true;
      if (s.filesz > s.memsz) return Corrupt("PT_LOAD filesz above memsz");
      if (!IsPowerOfTwo(s.align) || s.align < kPageSize) {
        return Error(ErrorCode::kUnsupportedVersion,
                     "unsupported layout: PT_LOAD alignment below the page size");
      }
      if ((s.offset % s.align) != (s.vaddr % s.align))
        return Corrupt("PT_LOAD offset/address mismatch");
    }
    f.segments_.push_back(s);
  }
  if (!has_load) return Corrupt("no PT_LOAD segment");
  LICET_RETURN_IF_ERROR(f.ParseSections());
  LICET_RETURN_IF_ERROR(f.ParseDynamic());
  return f;
}

Status ElfFile::ParseSections() {
  const uint8_t* h = bytes_.data();
  uint16_t shentsize = Load16(h + offsetof(Elf64_Ehdr, e_shentsize));
  uint16_t shnum = Load16(h + offsetof(Elf64_Ehdr, e_shnum));
  uint16_t shstrndx = Load16(h + offsetof(Elf64_Ehdr, e_shstrndx));
  if (shnum == 0) {
    if (shoff_ != 0) return Corrupt("e_shoff set with no sections");
    return Status::Ok();
  }
  if (shentsize != sizeof(Elf64_Shdr)) return Corrupt("bad e_shentsize");
  if (shnum > kMaxSections) return Corrupt("too many sections");
  if (!InBounds(shoff_, uint64_t{shnum} * sizeof(Elf64_Shdr), bytes_.size())) {
    return Corrupt("section headers outside the file");
  }
  if (shstrndx >= shnum) return Corrupt("e_shstrndx out of range");
  std::vector<uint32_t> name_offsets;
  for (uint16_t i = 0; i < shnum; ++i) {
    const uint8_t* p = h + shoff_ + i * sizeof(Elf64_Shdr);
    Section s;
    name_offsets.push_back(Load32(p + offsetof(Elf64_Shdr, sh_name)));
    s.type = Load32(p + offsetof(Elf64_Shdr, sh_type));
    s.flags = Load64(p + offsetof(Elf64_Shdr, sh_flags));
    s.addr = Load64(p + offsetof(Elf64_Shdr, sh_addr));
    s.offset = Load64(p + offsetof(Elf64_Shdr, sh_offset));
    s.size = Load64(p + offsetof(Elf64_Shdr, sh_size));
    s.link = Load32(p + offsetof(Elf64_Shdr, sh_link));
    s.info = Load32(p + offsetof(Elf64_Shdr, sh_info));
    s.entsize = Load64(p + offsetof(Elf64_Shdr, sh_entsize));
    if (s.type != SHT_NOBITS && s.type != SHT_NULL && !InBounds(s.offset, s.size, bytes_.size())) {
      return Corrupt("section " + std::to_string(i) + " outside the file");
    }
    if (s.link >= shnum) return Corrupt("section link out of range");
    sections_.push_back(std::move(s));
  }
  const Section& strtab = sections_[shstrndx];
  if (strtab.type != SHT_STRTAB) return Corrupt("section name table is not a string table");
  for (size_t i = 0; i < sections_.size(); ++i) {
    uint32_t off = name_offsets[i];
    if (off >= strtab.size) return Corrupt("section name outside the name table");
    const char* start = reinterpret_cast<const char*>(h + strtab.offset + off);
    const void* nul = std::memchr(start, 0, strtab.size - off);
    if (nul == nullptr) return Corrupt("unterminated section name");
    sections_[i].name.assign(start, static_cast<const char*>(nul));
  }
  return Status::Ok();
}

Status ElfFile::ParseDynamic() {
  for (const Segment& s : segments_) {
    if (s.type != PT_DYNAMIC) continue;
    if (s.filesz % sizeof(Elf64_Dyn) != 0) return Corrupt("PT_DYNAMIC size not a multiple of 16");
    size_t n = s.filesz / sizeof(Elf64_Dyn);
    if (n > kMaxDynamicEntries) return Corrupt("too many dynamic entries");
    bool terminated = false;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* p = bytes_.data() + s.offset + i * sizeof(Elf64_Dyn);
      DynamicEntry e;
      e.tag = static_cast<int64_t>(Load64(p));
      e.value = Load64(p + 8);
      e.file_offset = s.offset + i * sizeof(Elf64_Dyn);
      if (e.tag == DT_NULL) {
        terminated = true;
        break;
      }
      dynamic_.push_back(e);
    }
    if (!terminated) return Corrupt("dynamic section without DT_NULL");
    return Status::Ok();
  }
  return Status::Ok();
}

bool ElfFile::has_interp() const {
  for (const Segment& s : segments_) {
    if (s.type == PT_INTERP) return true;
  }
  return false;
}

std::optional<DynamicEntry> ElfFile::FindDynamic(int64_t tag) const {
  for (const DynamicEntry& e : dynamic_) {
    if (e.tag == tag) return e;
  }
  return std::nullopt;
}

const Section* ElfFile::FindSection(const std::string& name) const {
  for (const Section& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<uint64_t> ElfFile::VaddrToOffset(uint64_t vaddr) const {
  for (const Segment& s : segments_) {
    if (s.type == PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) {
      return s.offset + (vaddr - s.vaddr);
    }
  }
  return std::nullopt;
}

const Segment* ElfFile::LoadSegmentFor(uint64_t vaddr) const {
  for (const Segment& s : segments_) {
    if (s.type == PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.memsz) return &s;
  }
  return nullptr;
}

std::vector<Symbol> ElfFile::ReadSymbols(const Section& symtab) const {
  std::vector<Symbol> out;
  if (symtab.entsize != sizeof(Elf64_Sym)) return out;
  size_t n = symtab.size / sizeof(Elf64_Sym);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = bytes_.data() + symtab.offset + i * sizeof(Elf64_Sym);
    Symbol sym;
    sym.type = ELF64_ST_TYPE(p[offsetof(Elf64_Sym, st_info)]);
    sym.value = Load64(p + offsetof(Elf64_Sym, st_value));
    sym.size = Load64(p + offsetof(Elf64_Sym, st_size));
    uint16_t shndx = Load16(p + offsetof(Elf64_Sym, st_shndx));
    if (shndx == SHN_UNDEF || sym.value == 0) continue;
    out.push_back(sym);
  }
  return out;
}

std::vector<Symbol> ElfFile::FunctionSymbols() const {
  std::vector<Symbol> out;
  for (const Section& s : sections_) {
    if (s.type != SHT_SYMTAB && s.type != SHT_DYNSYM) continue;
    for (const Symbol& sym : ReadSymbols(s)) {
      if (sym.type == STT_FUNC || sym.type == STT_GNU_IFUNC) out.push_back(sym);
    }
  }
  return out;
}

std::vector<Symbol> ElfFile::IfuncResolvers() const {
  std::vector<Symbol> out;
  for (const Section& s : sections_) {
    if (s.type == SHT_SYMTAB || s.type == SHT_DYNSYM) {
      for (const Symbol& sym : ReadSymbols(s)) {
        if (sym.type == STT_GNU_IFUNC) out.push_back(sym);
      }
    } else if (s.type == SHT_RELA && s.entsize == sizeof(Elf64_Rela)) {
      size_t n = s.size / sizeof(Elf64_Rela);
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* p = bytes_.data() + s.offset + i * sizeof(Elf64_Rela);
        uint64_t info = Load64(p + offsetof(Elf64_Rela, r_info));
        if (ELF64_R_TYPE(info) == R_X86_64_IRELATIVE) {
          out.push_back(Symbol{Load64(p + offsetof(Elf64_Rela, r_addend)), 0, STT_GNU_IFUNC});
        }
      }
    }
  }
  return out;
}

}  // namespace licet::protect::elf
