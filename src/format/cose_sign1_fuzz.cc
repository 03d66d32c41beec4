// Parses arbitrary bytes as COSE_Sign1 and verifies them against a fixed key (the seeds are
// signed with it, so mutations reach the verification). Parse and Open must agree.
#include <cstdlib>

#include "format/cose.h"
#include "format/fuzz_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::format;
  static const licet::Bytes kPublic = fuzz::Ed25519PublicKey();
  static const licet::Bytes kAad = fuzz::ExternalAad();
  auto parsed = CoseSign1Parse(licet::ByteSpan(data, size));
  if (!parsed.ok()) return 0;
  if (parsed->signature.size() != 64) abort();
  if (CoseSign1Verify(*parsed, kAad, kPublic).ok() &&
      parsed->protected_header == licet::Bytes{0xa1, 0x01, 0x27}) {
    auto opened = CoseSign1Open(licet::ByteSpan(data, size), kAad, kPublic);
    if (!opened.ok() || *opened != parsed->payload) abort();
  }
  return 0;
}
