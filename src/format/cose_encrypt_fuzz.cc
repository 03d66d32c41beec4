// Decrypts arbitrary bytes as COSE_Encrypt with a fixed X25519 key. Nothing may crash, and
// the only outcomes are the documented codes.
#include <cstdlib>

#include "format/cose.h"
#include "format/fuzz_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  static const SecretBytes kPrivate = format::fuzz::X25519PrivateKey();
  static const Bytes kAad = format::fuzz::ExternalAad();
  auto plaintext = format::CoseDecryptX25519(ByteSpan(data, size), kAad, kPrivate);
  if (!plaintext.ok()) {
    const ErrorCode code = plaintext.status().code();
    if (code != ErrorCode::kCorruptData && code != ErrorCode::kUnsupportedVersion &&
        code != ErrorCode::kDecryptFailed) {
      abort();
    }
  }
  return 0;
}
