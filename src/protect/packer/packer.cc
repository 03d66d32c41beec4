#include "protect/packer/packer.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "protect/key/key_scheme.h"
#include "protect/stub/stub_layout.h"

namespace licet::protect::packer {
namespace {

using elf::kPageSize;
using elf::Load64;
using elf::Store32;
using elf::Store64;

uint64_t PageUp(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

Status Unsupported(const std::string& why) {
  return Error(ErrorCode::kUnsupportedVersion, "unsupported layout: " + why);
}

void WritePhdr(uint8_t* p, const elf::Segment& s) {
  Store32(p + offsetof(Elf64_Phdr, p_type), s.type);
  Store32(p + offsetof(Elf64_Phdr, p_flags), s.flags);
  Store64(p + offsetof(Elf64_Phdr, p_offset), s.offset);
  Store64(p + offsetof(Elf64_Phdr, p_vaddr), s.vaddr);
  Store64(p + offsetof(Elf64_Phdr, p_paddr), s.vaddr);
  Store64(p + offsetof(Elf64_Phdr, p_filesz), s.filesz);
  Store64(p + offsetof(Elf64_Phdr, p_memsz), s.memsz);
  Store64(p + offsetof(Elf64_Phdr, p_align), s.align);
}

// Checks that the file is of the kind the command protects.
Status CheckKind(const elf::ElfFile& f, key::Kind kind) {
  bool is_pie_or_lib = f.type() == ET_DYN;
  if (kind == key::Kind::kLibrary) {
    if (!is_pie_or_lib) {
      return Error(ErrorCode::kInvalidArgument, "not a shared object (use 'licet protect exe')");
    }
    if (f.has_interp()) {
      return Error(ErrorCode::kInvalidArgument,
                   "an executable, not a shared object (use 'licet protect exe')");
    }
    if (!f.FindDynamic(DT_INIT)) {
      return Unsupported("the shared object has no DT_INIT to hook");
    }
  } else if (kind == key::Kind::kExecutable) {
    // ET_EXEC, a PIE (PT_INTERP), or a static PIE (ET_DYN without PT_INTERP, DF_1_PIE set).
    if (is_pie_or_lib && !f.has_interp()) {
      std::optional<elf::DynamicEntry> flags = f.FindDynamic(DT_FLAGS_1);
      if (!flags || (flags->value & DF_1_PIE) == 0) {
        return Error(ErrorCode::kInvalidArgument,
                     "a shared object, not an executable (use 'licet protect lib')");
      }
    }
  } else {
    return Error(ErrorCode::kInvalidArgument, "kind must be executable or library");
  }
  return Status::Ok();
}

}  // namespace

bool IsProtected(const elf::ElfFile& f) {
  for (const elf::Segment& s : f.segments()) {
    if (s.type != PT_LOAD || s.filesz < stub::kPatchOffset + 8) continue;
    if (std::memcmp(f.bytes().data() + s.offset + stub::kPatchOffset, stub::kPatchMagic, 8) == 0) {
      return true;
    }
  }
  return false;
}

Result<Bytes> Protect(ByteSpan input, const ProtectOptions& o, const SecretBytes& firm_secret,
                      ByteSpan stub_blob, ProtectReport* report) {
  LICET_ASSIGN_OR_RETURN(elf::ElfFile f, elf::ElfFile::Parse(input));
  if (IsProtected(f)) {
    return Error(ErrorCode::kAlreadyExists, "the file is already protected by Licet");
  }
  LICET_RETURN_IF_ERROR(CheckKind(f, o.kind));
  if (stub_blob.size() < stub::kPatchOffset + sizeof(stub::StubPatch) ||
      std::memcmp(stub_blob.data() + stub::kPatchOffset, stub::kPatchMagic, 8) != 0) {
    return Error(ErrorCode::kInternal, "the decryptor blob is damaged");
  }
  LICET_ASSIGN_OR_RETURN(std::vector<PlainRange> ranges, FindRanges(f, key::kMaxRanges));

  // Layout: [original][pad][stub blob, R+X][pad][program headers + descriptor, R].
  uint64_t vend = 0;
  for (const elf::Segment& s : f.segments()) {
    if (s.type == PT_LOAD) vend = std::max(vend, s.vaddr + s.memsz);
  }
  const uint64_t stub_off = PageUp(input.size());
  const uint64_t stub_vaddr = PageUp(vend) + kPageSize;  // one guard page after the image
  const uint64_t data_off = PageUp(stub_off + stub_blob.size());
  const uint64_t data_vaddr = stub_vaddr + (data_off - stub_off);
  const size_t phnum = f.segments().size() + 2;
  const uint64_t phdr_size = phnum * sizeof(Elf64_Phdr);
  const uint64_t desc_off = data_off + ((phdr_size + 15) & ~uint64_t{15});
  const uint64_t desc_vaddr = data_vaddr + (desc_off - data_off);
  const uint64_t data_end = desc_off + sizeof(key::Descriptor);
  if (phnum > elf::kMaxProgramHeaders) return Unsupported("too many program headers");
  // Section headers for the two new segments (.licet_stub, .licet_data), so that strip and
  // objcopy keep their contents (and the decryptor can then report the stripped file).
  const elf::Section* old_names =
      f.sections().empty()
          ? nullptr
          : &f.sections()[elf::Load16(input.data() + offsetof(Elf64_Ehdr, e_shstrndx))];
  if (old_names == nullptr) return Unsupported("the file has no section headers");
  static constexpr char kNewNames[] = ".licet_stub\0.licet_data";
  const uint64_t names_off = data_end;
  const uint64_t names_size = old_names->size + sizeof(kNewNames);
  const uint64_t shdrs_off = (names_off + names_size + 7) & ~uint64_t{7};
  const size_t shnum = f.sections().size() + 2;
  if (shnum >= elf::kMaxSections) return Unsupported("too many sections");
  const uint64_t total = shdrs_off + shnum * sizeof(Elf64_Shdr);

  Bytes out(total, 0);
  std::memcpy(out.data(), input.data(), input.size());
  std::memcpy(out.data() + stub_off, stub_blob.data(), stub_blob.size());

  // New program header table: the old entries with PT_PHDR moved, the two new PT_LOADs
  // after the last PT_LOAD (they must stay sorted by address).
  elf::Segment stub_seg{PT_LOAD,          PF_R | PF_X,      stub_off, stub_vaddr,
                        stub_blob.size(), stub_blob.size(), kPageSize};
  elf::Segment data_seg{
      PT_LOAD, PF_R, data_off, data_vaddr, data_end - data_off, data_end - data_off, kPageSize};
  std::vector<elf::Segment> segs;
  size_t last_load = 0;
  for (size_t i = 0; i < f.segments().size(); ++i) {
    if (f.segments()[i].type == PT_LOAD) last_load = i;
  }
  for (size_t i = 0; i < f.segments().size(); ++i) {
    elf::Segment s = f.segments()[i];
    if (s.type == PT_PHDR) {
      s.offset = data_off;
      s.vaddr = data_vaddr;
      s.filesz = s.memsz = phdr_size;
      s.align = 8;
    }
    segs.push_back(s);
    if (i == last_load) {
      segs.push_back(stub_seg);
      segs.push_back(data_seg);
    }
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    WritePhdr(out.data() + data_off + i * sizeof(Elf64_Phdr), segs[i]);
  }
  Store64(out.data() + offsetof(Elf64_Ehdr, e_phoff), data_off);

  // New section name table and section header table at the end of the file.
  std::memcpy(out.data() + names_off, input.data() + old_names->offset, old_names->size);
  std::memcpy(out.data() + names_off + old_names->size, kNewNames, sizeof(kNewNames));
  const uint64_t old_shoff = f.shoff();
  const size_t old_shnum = f.sections().size();
  std::memcpy(out.data() + shdrs_off, input.data() + old_shoff, old_shnum * sizeof(Elf64_Shdr));
  const uint16_t shstrndx = elf::Load16(input.data() + offsetof(Elf64_Ehdr, e_shstrndx));
  uint8_t* names_hdr = out.data() + shdrs_off + shstrndx * sizeof(Elf64_Shdr);
  Store64(names_hdr + offsetof(Elf64_Shdr, sh_offset), names_off);
  Store64(names_hdr + offsetof(Elf64_Shdr, sh_size), names_size);
  auto add_section = [&](size_t index, uint32_t name, uint64_t flags, uint64_t addr, uint64_t off,
                         uint64_t size, uint64_t align) {
    uint8_t* sh = out.data() + shdrs_off + index * sizeof(Elf64_Shdr);
    Store32(sh + offsetof(Elf64_Shdr, sh_name), name);
    Store32(sh + offsetof(Elf64_Shdr, sh_type), SHT_PROGBITS);
    Store64(sh + offsetof(Elf64_Shdr, sh_flags), flags);
    Store64(sh + offsetof(Elf64_Shdr, sh_addr), addr);
    Store64(sh + offsetof(Elf64_Shdr, sh_offset), off);
    Store64(sh + offsetof(Elf64_Shdr, sh_size), size);
    Store64(sh + offsetof(Elf64_Shdr, sh_addralign), align);
  };
  const uint32_t name0 = static_cast<uint32_t>(old_names->size);
  add_section(old_shnum, name0, SHF_ALLOC | SHF_EXECINSTR, stub_vaddr, stub_off, stub_blob.size(),
              16);
  add_section(old_shnum + 1, name0 + 12, SHF_ALLOC, data_vaddr, data_off, data_end - data_off, 8);
  Store64(out.data() + offsetof(Elf64_Ehdr, e_shoff), shdrs_off);
  elf::Store16(out.data() + offsetof(Elf64_Ehdr, e_shnum), static_cast<uint16_t>(shnum));
  elf::Store16(out.data() + offsetof(Elf64_Ehdr, e_phnum), static_cast<uint16_t>(phnum));

  // Entry hook.
  stub::StubPatch patch{};
  std::memcpy(patch.magic, stub::kPatchMagic, 8);
  patch.stub_vaddr = stub_vaddr;
  patch.descriptor_vaddr = desc_vaddr;
  patch.descriptor_size = sizeof(key::Descriptor);
  patch.descriptor_file_offset = desc_off;
  patch.file_size = total;
  if (o.kind == key::Kind::kExecutable) {
    patch.kind = stub::kKindExe;
    patch.original_entry = f.entry();
    Store64(out.data() + offsetof(Elf64_Ehdr, e_entry), stub_vaddr + stub::kExeEntryOffset);
    report->entry_hook = "e_entry";
  } else {
    patch.kind = stub::kKindLib;
    std::optional<elf::DynamicEntry> init = f.FindDynamic(DT_INIT);
    patch.original_entry = init->value;
    Store64(out.data() + init->file_offset + 8, stub_vaddr + stub::kLibEntryOffset);
    report->entry_hook = "DT_INIT";
  }
  patch.stub_size = stub_blob.size();
  std::memcpy(out.data() + stub_off + stub::kPatchOffset, &patch, sizeof(patch));

  // Descriptor, keys and encryption.
  key::Descriptor d = key::NewDescriptor(o.mode, o.kind, o.firm_code, o.product_code);
  d.where = o.where;
  d.access_mode = o.access_mode;
  d.on_loss = static_cast<uint32_t>(o.on_loss);
  d.grace_seconds = o.grace_seconds;
  d.check_interval_seconds = o.mode == key::Mode::kLicense ? o.check_interval_seconds : 0;
  d.hardening = o.hardening;
  d.low_units = o.low_units;
  d.low_days = o.low_days;
  std::string name = o.product_name.empty() ? "product " + std::to_string(o.firm_code) + ":" +
                                                  std::to_string(o.product_code)
                                            : o.product_name;
  LICET_RETURN_IF_ERROR(key::SetText(d.product_name, name).WithContext("product name"));
  LICET_RETURN_IF_ERROR(key::SetText(d.activation_hint, o.activation_hint).WithContext("message"));
  SecretBytes ck = key::RandomContentKey();
  if (o.mode == key::Mode::kLicense) {
    LICET_ASSIGN_OR_RETURN(uint32_t slot, key::AddLicenseSlot(d, firm_secret, o.feature_code, ck));
    (void)slot;
  } else {
    LICET_ASSIGN_OR_RETURN(uint32_t slot,
                           key::AddIpSlot(d, o.feature_code,
                                          ByteSpan(stub_blob.data() + stub::kIpMaterialOffset,
                                                   stub_blob.size() - stub::kIpMaterialOffset),
                                          ck));
    (void)slot;
  }
  std::span<uint8_t> file(out.data(), out.size());
  uint64_t encrypted = 0;
  for (const PlainRange& r : ranges) {
    LICET_ASSIGN_OR_RETURN(uint32_t index,
                           key::AddRange(d, r.vaddr, r.file_offset, r.length, r.prot, 0));
    LICET_RETURN_IF_ERROR(key::EncryptRange(d, index, file, ck));
    encrypted += r.length;
  }
  LICET_RETURN_IF_ERROR(key::SealFile(d, file, desc_off, {&ck}));

  report->ranges = ranges;
  report->bytes_encrypted = encrypted;
  report->stub_size = stub_blob.size();
  report->stub_vaddr = stub_vaddr;
  report->descriptor_offset = desc_off;
  report->output_size = out.size();
  return out;
}

}  // namespace licet::protect::packer
