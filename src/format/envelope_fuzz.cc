// Parses arbitrary bytes as a Licet file, then its body as a payload, as a COSE_Sign1 (whose
// payload is decoded too) and as a COSE_Encrypt: the path every file kind takes.
#include <cstdlib>

#include "format/cose.h"
#include "format/envelope.h"
#include "format/fuzz_keys.h"
#include "format/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  using namespace licet::format;
  static const Bytes kPublic = fuzz::Ed25519PublicKey();
  static const SecretBytes kPrivate = fuzz::X25519PrivateKey();
  auto envelope = ParseEnvelope(ByteSpan(data, size));
  if (!envelope.ok()) return 0;
  if (envelope->header.size() != kEnvelopeHeaderSize) abort();
  if (ParseEnvelopeOfKind(ByteSpan(data, size), envelope->kind).status().code() != ErrorCode::kOk) {
    abort();
  }
  auto payload = DecodePayload(envelope->body);
  if (payload.ok()) {
    // Reading fields of hostile payloads must not throw either.
    (void)GetUint(*payload, "firm_code");
    (void)GetOptionalString(*payload, "text");
    (void)GetOptionalArray(*payload, "items");
    (void)GetBinary(*payload, "public_key");
    if (!payload->is_object()) abort();
  }
  auto signed_payload = CoseSign1Open(envelope->body, envelope->header, kPublic);
  if (signed_payload.ok()) (void)DecodePayload(*signed_payload);
  auto secret = CoseDecryptX25519(envelope->body, envelope->header, kPrivate);
  if (secret.ok()) (void)DecodePayload(secret->span());
  return 0;
}
