#include "format/envelope.h"

#include <string>

#include "format/cbor.h"

namespace licet::format {
namespace {

constexpr uint8_t kMagic[] = {0xda, 0x4c, 0x43};  // tag head with 4-byte argument, "LC"
constexpr uint8_t kFirstKind = 1;
constexpr uint8_t kLastKind = 6;
// Bodies hold payloads directly or inside COSE byte strings; this is generous for both.
constexpr CborLimits kBodyLimits{.max_depth = 32, .max_items = size_t{1} << 20};

std::string WithArticle(const char* name) {
  const char c = name[0];
  const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return std::string(vowel ? "an " : "a ") + name;
}

std::string KnownKinds() {
  std::string out;
  for (uint8_t k = kFirstKind; k <= kLastKind; ++k) {
    if (!out.empty()) out += ", ";
    out += FileKindName(static_cast<FileKind>(k));
  }
  return out;
}

Status Truncated(const std::string& where) {
  return Error(ErrorCode::kCorruptData, "Licet file is truncated (" + where + ")");
}

}  // namespace

const char* FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kContext:
      return "context";
    case FileKind::kUpdate:
      return "update";
    case FileKind::kReceipt:
      return "receipt";
    case FileKind::kFirmKey:
      return "firm key";
    case FileKind::kContainer:
      return "container";
    case FileKind::kCredential:
      return "credential";
  }
  return "unknown";
}

Bytes EnvelopeHeader(FileKind kind) {
  return Bytes{kMagic[0], kMagic[1], kMagic[2], static_cast<uint8_t>(kind), kFormatVersion};
}

Bytes WrapEnvelope(FileKind kind, ByteSpan body) {
  Bytes out = EnvelopeHeader(kind);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<Envelope> ParseEnvelope(ByteSpan file) {
  if (file.empty()) return Truncated("the file is empty");
  for (size_t i = 0; i < sizeof(kMagic); ++i) {
    if (i == file.size()) return Truncated("it ends inside the header");
    if (file[i] != kMagic[i]) {
      return Error(ErrorCode::kCorruptData,
                   "not a Licet file (it does not start with the Licet header)");
    }
  }
  if (file.size() < kEnvelopeHeaderSize) return Truncated("it ends inside the header");
  const uint8_t kind = file[3];
  const uint8_t version = file[4];
  if (kind < kFirstKind || kind > kLastKind) {
    return Error(ErrorCode::kUnsupportedVersion, "unknown Licet file kind " + std::to_string(kind) +
                                                     " (this licet understands " + KnownKinds() +
                                                     ")");
  }
  const char* name = FileKindName(static_cast<FileKind>(kind));
  if (version > kFormatVersion) {
    return Error(ErrorCode::kUnsupportedVersion,
                 std::string("this ") + name + " file has format version " +
                     std::to_string(version) + "; this licet reads version " +
                     std::to_string(kFormatVersion) + ", upgrade licet");
  }
  if (version == 0) {
    return Error(ErrorCode::kUnsupportedVersion,
                 std::string("this ") + name + " file has format version 0, which never existed");
  }
  const ByteSpan body = file.subspan(kEnvelopeHeaderSize);
  if (body.empty()) return Truncated("it has no body");
  Status valid = CborValidate(body, kBodyLimits);
  if (!valid.ok()) {
    // A body cut short is the common case (an interrupted copy): say so plainly.
    if (valid.message().find("truncated") != std::string::npos) {
      return Truncated(std::string("the ") + name + " file's body ends early: " + valid.message());
    }
    return valid.WithContext(std::string("malformed ") + name + " file");
  }
  Envelope envelope;
  envelope.kind = static_cast<FileKind>(kind);
  envelope.version = version;
  envelope.header.assign(file.begin(), file.begin() + kEnvelopeHeaderSize);
  envelope.body.assign(body.begin(), body.end());
  return envelope;
}

Result<Envelope> ParseEnvelopeOfKind(ByteSpan file, FileKind expected) {
  LICET_ASSIGN_OR_RETURN(Envelope envelope, ParseEnvelope(file));
  if (envelope.kind != expected) {
    return Error(ErrorCode::kWrongFileKind, "expected " + WithArticle(FileKindName(expected)) +
                                                " file, got " +
                                                WithArticle(FileKindName(envelope.kind)) + " file");
  }
  return envelope;
}

}  // namespace licet::format
