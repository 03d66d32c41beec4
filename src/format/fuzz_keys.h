// Fixed keys shared by the fuzz targets and the test that writes their seed corpora, so that
// valid seeds verify and decrypt and the fuzzer can reach the code behind the cryptography.
// Test-only: never use these keys for anything else.
#ifndef LICET_FORMAT_FUZZ_KEYS_H_
#define LICET_FORMAT_FUZZ_KEYS_H_

#include "common/bytes.h"

namespace licet::format::fuzz {

// RFC 8032 §7.1 TEST 1 and RFC 7748 §6.1 (Alice): public test vectors.
inline SecretBytes Ed25519PrivateKey() {
  return SecretBytes(
      *HexDecode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
}
inline Bytes Ed25519PublicKey() {
  return *HexDecode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}
inline SecretBytes X25519PrivateKey() {
  return SecretBytes(
      *HexDecode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
}
inline Bytes X25519PublicKey() {
  return *HexDecode("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
}
// The external_aad the targets use: an update file's envelope header.
inline Bytes ExternalAad() { return *HexDecode("da4c430201"); }

}  // namespace licet::format::fuzz

#endif  // LICET_FORMAT_FUZZ_KEYS_H_
