#include "protect/packer/ranges.h"

#include <elf.h>
#include <sys/mman.h>

#include <algorithm>
#include <set>
#include <string>

namespace licet::protect::packer {
namespace {

using elf::kPageSize;

uint64_t PageDown(uint64_t v) { return v & ~(kPageSize - 1); }
uint64_t PageUp(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

bool IsCandidateName(const std::string& n) {
  for (const char* exact : {".text", ".rodata", ".eh_frame", ".gcc_except_table", ".lrodata"}) {
    if (n == exact) return true;
  }
  return n.rfind(".text.", 0) == 0 || n.rfind(".rodata.", 0) == 0;
}

// Pages [first, last] covering [begin, end) are added to `pages`.
void AddPages(std::set<uint64_t>* pages, uint64_t begin, uint64_t end) {
  if (end <= begin) return;
  for (uint64_t p = PageDown(begin); p < end && pages->size() < (1u << 22); p += kPageSize) {
    pages->insert(p);
  }
}

// Direct call/jump targets (E8/E9 rel32) inside [begin, end) of the file image: a
// conservative over-approximation of what an IFUNC resolver may run (a false match only
// keeps one more page plain).
void AddCallTargets(const elf::ElfFile& f, uint64_t begin, uint64_t end,
                    std::vector<uint64_t>* out) {
  std::optional<uint64_t> off = f.VaddrToOffset(begin);
  if (!off || end <= begin) return;
  uint64_t n = std::min<uint64_t>(end - begin, f.bytes().size() - *off);
  const uint8_t* p = f.bytes().data() + *off;
  for (uint64_t i = 0; i + 5 <= n; ++i) {
    if (p[i] != 0xe8 && p[i] != 0xe9) continue;
    int32_t rel = static_cast<int32_t>(elf::Load32(p + i + 1));
    uint64_t target = begin + i + 5 + static_cast<int64_t>(rel);
    if (f.LoadSegmentFor(target) != nullptr) out->push_back(target);
  }
}

// Pages that must stay plain because code runs there before the decryptor: IFUNC resolvers
// (ld.so calls them while relocating) and, transitively up to a small depth, the
// functions they call directly.
std::set<uint64_t> ResolverPages(const elf::ElfFile& f) {
  std::set<uint64_t> pages;
  std::vector<elf::Symbol> funcs = f.FunctionSymbols();
  std::sort(funcs.begin(), funcs.end(),
            [](const elf::Symbol& a, const elf::Symbol& b) { return a.value < b.value; });
  auto size_of = [&](uint64_t addr) -> uint64_t {
    auto it = std::lower_bound(funcs.begin(), funcs.end(), addr,
                               [](const elf::Symbol& s, uint64_t v) { return s.value < v; });
    if (it != funcs.end() && it->value == addr && it->size != 0) return it->size;
    return 256;  // unknown size: keep a window plain
  };
  std::vector<uint64_t> todo;
  for (const elf::Symbol& r : f.IfuncResolvers()) todo.push_back(r.value);
  std::set<uint64_t> seen;
  for (int depth = 0; depth < 4 && !todo.empty(); ++depth) {
    std::vector<uint64_t> next;
    for (uint64_t addr : todo) {
      if (!seen.insert(addr).second || seen.size() > 4096) continue;
      uint64_t size = size_of(addr);
      AddPages(&pages, addr, addr + size);
      AddCallTargets(f, addr, addr + size, &next);
    }
    todo.swap(next);
  }
  return pages;
}

}  // namespace

Result<std::vector<PlainRange>> FindRanges(const elf::ElfFile& f, size_t max_ranges) {
  if (f.sections().empty()) {
    return Error(ErrorCode::kUnsupportedVersion,
                 "unsupported layout: the file has no section headers");
  }
  // Pages the kernel or ld.so read before the decryptor runs.
  std::set<uint64_t> plain = ResolverPages(f);
  for (const elf::Segment& s : f.segments()) {
    switch (s.type) {
      case PT_LOAD:
        // The ELF header's page, and the original program header table where it is mapped.
        if (s.offset == 0) AddPages(&plain, s.vaddr, s.vaddr + 1);
        if (f.phoff() >= s.offset && f.phoff() - s.offset < s.filesz) {
          uint64_t at = s.vaddr + (f.phoff() - s.offset);
          AddPages(&plain, at, at + f.segments().size() * sizeof(Elf64_Phdr));
        }
        break;
      case PT_DYNAMIC:
      case PT_INTERP:
      case PT_NOTE:
      case PT_TLS:
      case PT_GNU_RELRO:
      case PT_GNU_EH_FRAME:
      case PT_PHDR:
      case PT_GNU_PROPERTY:
        AddPages(&plain, s.vaddr, s.vaddr + s.memsz);
        break;
      default:
        break;
    }
  }
  // Every allocated section that is not a candidate keeps its pages plain.
  for (const elf::Section& sec : f.sections()) {
    if ((sec.flags & SHF_ALLOC) == 0 || sec.size == 0) continue;
    bool candidate = sec.type == SHT_PROGBITS && (sec.flags & (SHF_WRITE | SHF_TLS)) == 0 &&
                     IsCandidateName(sec.name);
    if (!candidate) AddPages(&plain, sec.addr, sec.addr + sec.size);
  }
  std::vector<PlainRange> ranges;
  for (const elf::Section& sec : f.sections()) {
    if ((sec.flags & SHF_ALLOC) == 0 || sec.type != SHT_PROGBITS ||
        (sec.flags & (SHF_WRITE | SHF_TLS)) != 0 || !IsCandidateName(sec.name)) {
      continue;
    }
    const elf::Segment* seg = f.LoadSegmentFor(sec.addr);
    if (seg == nullptr || (seg->flags & PF_W) != 0) continue;
    uint64_t begin = PageUp(sec.addr);
    uint64_t end = PageDown(std::min(sec.addr + sec.size, seg->vaddr + seg->filesz));
    uint32_t prot = ((seg->flags & PF_R) ? PROT_READ : 0) | ((seg->flags & PF_X) ? PROT_EXEC : 0);
    for (uint64_t p = begin; p < end; p += kPageSize) {
      if (plain.count(p) != 0) continue;
      if (!ranges.empty() && ranges.back().vaddr + ranges.back().length == p &&
          ranges.back().prot == prot && f.LoadSegmentFor(ranges.back().vaddr) == seg) {
        ranges.back().length += kPageSize;
      } else {
        ranges.push_back(PlainRange{p, seg->offset + (p - seg->vaddr), kPageSize, prot});
      }
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const PlainRange& a, const PlainRange& b) { return a.vaddr < b.vaddr; });
  // Merge neighbours that sections split (e.g. .rodata then .eh_frame on the next page).
  std::vector<PlainRange> merged;
  for (const PlainRange& r : ranges) {
    if (!merged.empty() && merged.back().vaddr + merged.back().length == r.vaddr &&
        merged.back().prot == r.prot &&
        merged.back().file_offset + merged.back().length == r.file_offset &&
        f.LoadSegmentFor(merged.back().vaddr) == f.LoadSegmentFor(r.vaddr)) {
      merged.back().length += r.length;
    } else {
      merged.push_back(r);
    }
  }
  if (merged.size() > max_ranges) {
    std::stable_sort(merged.begin(), merged.end(),
                     [](const PlainRange& a, const PlainRange& b) { return a.length > b.length; });
    merged.resize(max_ranges);
    std::sort(merged.begin(), merged.end(),
              [](const PlainRange& a, const PlainRange& b) { return a.vaddr < b.vaddr; });
  }
  if (merged.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "nothing to encrypt: no whole page of code or read-only data");
  }
  return merged;
}

}  // namespace licet::protect::packer
