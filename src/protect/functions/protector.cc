#include "protect/functions/protector.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "protect/elf/elf_file.h"
#include "protect/key/key_scheme.h"

namespace licet::protect::functions {
namespace {

constexpr uint64_t kPage = elf::kPageSize;
constexpr uint32_t kShtProgbits = 1;
constexpr uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExecinstr = 0x4;
constexpr uint32_t kPtLoad = 1, kPfX = 1;
constexpr char kPlaceholder[8] = {'L', 'I', 'C', 'E', 'T', 'P', 'R', '0'};

Status Invalid(std::string message) { return Error(ErrorCode::kInvalidArgument, std::move(message)); }

// "licet_fn_<decimal>" -> the feature code; nullopt for other names (licet_fn_desc, ...).
std::optional<uint32_t> FeatureOf(const std::string& name) {
  const size_t prefix = std::strlen(kSectionPrefix);
  if (name.size() <= prefix || name.compare(0, prefix, kSectionPrefix) != 0) return std::nullopt;
  std::string digits = name.substr(prefix);
  if (digits.size() > 10 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

Status CheckRegion(const elf::ElfFile& elf, const elf::Section& s) {
  const std::string what = "section " + s.name;
  if (s.type != kShtProgbits || (s.flags & (kShfAlloc | kShfExecinstr)) != (kShfAlloc | kShfExecinstr) ||
      (s.flags & kShfWrite) != 0) {
    return Invalid(what + " is not read-only code");
  }
  if (s.size == 0) return Invalid(what + " is empty");
  if (s.addr % kPage != 0 || s.offset % kPage != 0) {
    return Invalid(what + " does not start on a page (compile with LICET_PROTECTED from licet/protect.h)");
  }
  const elf::Segment* seg = elf.LoadSegmentFor(s.addr);
  if (seg == nullptr || seg->type != kPtLoad || (seg->flags & kPfX) == 0 ||
      s.addr + s.size > seg->vaddr + seg->filesz || s.offset - seg->offset != s.addr - seg->vaddr) {
    return Invalid(what + " is not inside an executable segment");
  }
  const uint64_t span_end = (s.addr + s.size + kPage - 1) / kPage * kPage;
  for (const elf::Section& o : elf.sections()) {
    if (&o == &s || (o.flags & kShfAlloc) == 0 || o.size == 0) continue;
    if (o.addr < span_end && s.addr < o.addr + o.size) {
      return Invalid(what + " shares a page with section " + o.name +
                     ": link licet::protect_functions after the objects with protected "
                     "functions, so that its page padding follows them");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ProtectedRegion>> ProtectFunctions(Bytes& file, const engine::FirmKey& firm,
                                                      const FunctionsOptions& options) {
  if (!options.ip_protection) {
    if (options.product_code == 0) return Invalid("--product-code is required and not 0");
    if (firm.firm_code == 0) return Invalid("the firm key has no firm code");
  }
  LICET_ASSIGN_OR_RETURN(elf::ElfFile elf, elf::ElfFile::Parse(file));
  const elf::Section* desc = elf.FindSection(kDescriptorSection);
  if (desc == nullptr) {
    return Invalid("no " + std::string(kDescriptorSection) +
                   " section: link the program with licet::protect_functions");
  }
  if (desc->type != kShtProgbits || desc->size < sizeof(key::Descriptor) || desc->offset % 8 != 0 ||
      desc->offset > file.size() || file.size() - desc->offset < sizeof(key::Descriptor)) {
    return Invalid("the descriptor space of the runtime is malformed");
  }
  if (std::memcmp(file.data() + desc->offset, key::kMagic, 8) == 0) {
    return Invalid("the file is protected already");
  }
  if (std::memcmp(file.data() + desc->offset, kPlaceholder, 8) != 0) {
    return Invalid("the descriptor space of the runtime is not the expected placeholder");
  }
  // Sections by address; one key slot per feature code.
  std::vector<std::pair<const elf::Section*, uint32_t>> regions;
  for (const elf::Section& s : elf.sections()) {
    if (auto feature = FeatureOf(s.name)) {
      LICET_RETURN_IF_ERROR(CheckRegion(elf, s));
      regions.emplace_back(&s, *feature);
    }
  }
  if (regions.empty()) {
    return Invalid("no protected functions (sections licet_fn_<feature>) in the file");
  }
  std::sort(regions.begin(), regions.end(),
            [](const auto& a, const auto& b) { return a.first->addr < b.first->addr; });
  if (regions.size() > key::kMaxRanges) return Invalid("too many protected sections");

  key::Descriptor d =
      options.ip_protection
          ? key::NewDescriptor(key::Mode::kIpProtection, key::Kind::kFunctions, 0, 0)
          : key::NewDescriptor(key::Mode::kLicense, key::Kind::kFunctions, firm.firm_code,
                               options.product_code);
  d.where = options.where;
  d.access_mode = options.access_mode;
  d.check_interval_seconds = 0;  // the runtime re-validates at each unlock after a lock
  LICET_RETURN_IF_ERROR(key::SetText(d.product_name, options.product_name)
                            .WithContext("--product-name"));
  LICET_RETURN_IF_ERROR(key::SetText(d.activation_hint, options.activation_hint)
                            .WithContext("--activation-hint"));
  std::map<uint32_t, uint32_t> slot_of;  // feature -> slot
  std::vector<SecretBytes> cks;
  cks.reserve(key::kMaxKeys);
  for (const auto& [section, feature] : regions) {
    if (slot_of.count(feature) == 0) {
      if (cks.size() == key::kMaxKeys) {
        return Invalid("more than " + std::to_string(key::kMaxKeys) + " feature codes");
      }
      cks.push_back(key::RandomContentKey());
      LICET_ASSIGN_OR_RETURN(
          uint32_t slot,
          options.ip_protection
              ? key::AddIpSlot(d, feature, AsBytes(std::string_view(kIpMaterial)), cks.back())
              : key::AddLicenseSlot(d, firm.firm_secret, feature, cks.back()));
      slot_of[feature] = slot;
    }
    LICET_RETURN_IF_ERROR(key::AddRange(d, section->addr, section->offset, section->size,
                                        /*PROT_READ|PROT_EXEC*/ 5, slot_of[feature])
                              .status());
  }
  std::vector<ProtectedRegion> report;
  for (uint32_t i = 0; i < d.range_count; ++i) {
    const uint32_t slot = d.ranges[i].key_index;
    LICET_RETURN_IF_ERROR(key::EncryptRange(d, i, file, cks[slot]));
    report.push_back({d.keys[slot].feature_code, d.ranges[i].vaddr, d.ranges[i].length,
                      d.keys[slot].encryption_code});
  }
  std::vector<const SecretBytes*> ck_ptrs;
  for (const SecretBytes& ck : cks) ck_ptrs.push_back(&ck);
  LICET_RETURN_IF_ERROR(key::SealFile(d, file, desc->offset, ck_ptrs));
  return report;
}

}  // namespace licet::protect::functions
