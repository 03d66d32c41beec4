// Which bytes of an ELF file `licet protect exe|lib` may encrypt: the code and read-only
// data that run or are read only after the decryptor, never what the kernel or ld.so
// touch before it (headers, interpreter, notes, dynamic linking tables, RELRO and writable
// segments, IFUNC resolvers). Page granular, because the plaintext is mapped back page by
// page. docs/PROTECTION.md "What is encrypted" is the specification.
#ifndef LICET_PROTECT_PACKER_RANGES_H_
#define LICET_PROTECT_PACKER_RANGES_H_

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "protect/elf/elf_file.h"

namespace licet::protect::packer {

struct PlainRange {
  uint64_t vaddr = 0;        // page aligned
  uint64_t file_offset = 0;  // page aligned, congruent to vaddr
  uint64_t length = 0;       // a multiple of the page size, > 0
  uint32_t prot = 0;         // PROT_READ | PROT_EXEC as the segment maps it
};

// The encryptable ranges of `f`, sorted by vaddr, at most `max_ranges` (smaller ranges are
// dropped when there are more). Sections named .text, .rodata, .eh_frame and
// .gcc_except_table (and their .text.* / .rodata.* variants) in non-writable PT_LOADs are
// candidates; the pages of IFUNC resolvers and of the functions they call directly stay
// plain. kInvalidArgument "nothing to encrypt" when no whole page qualifies, or
// kUnsupportedVersion when the file has no section headers.
Result<std::vector<PlainRange>> FindRanges(const elf::ElfFile& f, size_t max_ranges);

}  // namespace licet::protect::packer

#endif  // LICET_PROTECT_PACKER_RANGES_H_
