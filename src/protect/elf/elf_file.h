// A strict reader of ELF64 little-endian x86-64 files (executables and shared objects), the
// input of `licet protect exe|lib`. Every offset, size and count is checked against the file
// before use, so a truncated or hostile file gets kCorruptData, never a crash; limits bound
// the number of headers, sections and dynamic entries.
#ifndef LICET_PROTECT_ELF_ELF_FILE_H_
#define LICET_PROTECT_ELF_ELF_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::protect::elf {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr size_t kMaxProgramHeaders = 256;
inline constexpr size_t kMaxSections = 65280;  // below SHN_LORESERVE: no extended numbering
inline constexpr size_t kMaxDynamicEntries = 4096;
inline constexpr size_t kMaxFileSize = size_t{1} << 31;

struct Segment {
  uint32_t type = 0;
  uint32_t flags = 0;  // PF_R | PF_W | PF_X
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;
};

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;  // SHF_*
  uint64_t addr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t entsize = 0;
};

struct DynamicEntry {
  int64_t tag = 0;
  uint64_t value = 0;
  uint64_t file_offset = 0;  // where this entry's 16 bytes lie in the file
};

struct Symbol {
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;  // STT_*
};

// An ELF file held in memory. Parse() checks the whole structure once; the accessors then
// trust it. Copyable (holds the bytes).
class ElfFile {
 public:
  // Parses `data` (copied). kCorruptData for a malformed file, kUnsupportedVersion for a
  // well-formed ELF that is not ELF64 LSB x86-64 ET_EXEC/ET_DYN; messages are one line.
  static Result<ElfFile> Parse(ByteSpan data);

  const Bytes& bytes() const { return bytes_; }
  uint16_t type() const { return type_; }  // ET_EXEC or ET_DYN
  uint64_t entry() const { return entry_; }
  uint64_t phoff() const { return phoff_; }
  uint64_t shoff() const { return shoff_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<Section>& sections() const { return sections_; }
  const std::vector<DynamicEntry>& dynamic() const { return dynamic_; }
  bool has_interp() const;
  bool is_dynamic() const { return !dynamic_.empty(); }

  // The first dynamic entry with `tag`, if any.
  std::optional<DynamicEntry> FindDynamic(int64_t tag) const;
  // The section named `name`, if any.
  const Section* FindSection(const std::string& name) const;
  // The file offset that holds virtual address `vaddr` (inside some PT_LOAD's file part).
  std::optional<uint64_t> VaddrToOffset(uint64_t vaddr) const;
  // The PT_LOAD holding `vaddr` in its memory image.
  const Segment* LoadSegmentFor(uint64_t vaddr) const;

  // Resolver addresses that run before any code of ours can: the addends of
  // R_X86_64_IRELATIVE relocations (in SHT_RELA sections) and STT_GNU_IFUNC symbols (in
  // .symtab and .dynsym), each with its symbol size when known (0 otherwise).
  std::vector<Symbol> IfuncResolvers() const;
  // Function symbols of .symtab and .dynsym (for following calls out of resolvers).
  std::vector<Symbol> FunctionSymbols() const;

 private:
  ElfFile() = default;
  Status ParseSections();
  Status ParseDynamic();
  std::vector<Symbol> ReadSymbols(const Section& symtab) const;

  Bytes bytes_;
  uint16_t type_ = 0;
  uint64_t entry_ = 0;
  uint64_t phoff_ = 0;
  uint64_t shoff_ = 0;
  std::vector<Segment> segments_;
  std::vector<Section> sections_;
  std::vector<DynamicEntry> dynamic_;
};

// Little-endian field access on a byte buffer; callers check bounds first.
uint16_t Load16(const uint8_t* p);
uint32_t Load32(const uint8_t* p);
uint64_t Load64(const uint8_t* p);
void Store16(uint8_t* p, uint16_t v);
void Store32(uint8_t* p, uint32_t v);
void Store64(uint8_t* p, uint64_t v);

}  // namespace licet::protect::elf

#endif  // LICET_PROTECT_ELF_ELF_FILE_H_
