// The envelope every Licet file starts with: 5 bytes that say what the file is.
//
// A Licet file is one CBOR item: tag number 0x4C43KKVV ("LC" = Licet, KK = file kind,
// VV = format version) wrapping the file body, so its first bytes are always
//     DA 4C 43 KK VV
// (the head of a tag with a 4-byte argument), followed by the body, one CBOR item. Tools that
// know nothing of Licet still see a well-formed CBOR document.
//
// Signed and encrypted files pass EnvelopeHeader(kind) as COSE external_aad, so a body cannot
// be moved into a file of another kind or version without breaking its signature.
#ifndef LICET_FORMAT_ENVELOPE_H_
#define LICET_FORMAT_ENVELOPE_H_

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::format {

// Numbers are frozen: they are written into every file. Add kinds, never renumber.
enum class FileKind : uint8_t {
  kContext = 1,     // .context: a container's request
  kUpdate = 2,      // .update: Central's (or a vendor's) answer for one container and firm
  kReceipt = 3,     // .receipt: a context made right after an import
  kFirmKey = 4,     // firm.key: a vendor's firm key and firm secret
  kContainer = 5,   // a soft container's file
  kCredential = 6,  // .credential: access to a cloud container
};

// The format version this build writes, and the newest it reads.
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kEnvelopeHeaderSize = 5;

// "context", "update", "receipt", "firm key", "container", "credential"; "unknown" for a
// value outside the enum.
const char* FileKindName(FileKind kind);

// The 5-byte header DA 4C 43 KK VV for `kind` at kFormatVersion.
Bytes EnvelopeHeader(FileKind kind);

// EnvelopeHeader(kind) followed by `body`, which must be exactly one CBOR item.
Bytes WrapEnvelope(FileKind kind, ByteSpan body);

struct Envelope {
  FileKind kind = FileKind::kContext;
  uint8_t version = 0;
  Bytes header;  // the 5 bytes, for use as external_aad
  Bytes body;    // one well-formed CBOR item (checked by ParseEnvelope)
};

// Splits a file into header and body. Errors, in the order they are checked:
//   kCorruptData "not a Licet file" when the file does not start with DA 4C 43;
//   kCorruptData "... truncated" when the file ends inside the header or the body;
//   kUnsupportedVersion for a kind this build does not know, or a version other than
//     1..kFormatVersion (the message says to upgrade licet when the version is newer);
//   kCorruptData when the body is not exactly one well-formed CBOR item (cbor.h rules,
//     nesting up to 32, at most 2^20 items).
Result<Envelope> ParseEnvelope(ByteSpan file);

// ParseEnvelope, then kWrongFileKind ("expected a context file, got an update file") when the
// kind is not `expected`.
Result<Envelope> ParseEnvelopeOfKind(ByteSpan file, FileKind expected);

}  // namespace licet::format

#endif  // LICET_FORMAT_ENVELOPE_H_
