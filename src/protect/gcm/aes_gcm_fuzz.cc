// Differential fuzzer: the freestanding GCM against OpenSSL (through src/crypto) on
// fuzzer-chosen keys, IVs, AAD, data and piece boundaries, encrypting and decrypting.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.h"
#include "crypto/crypto.h"
#include "protect/gcm/aes_gcm.h"

using namespace licet;  // NOLINT: fuzz harness

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace gcm = protect::gcm;
  // Layout: key 32 | iv 12 | aad_len 1 | cut1 2 | cut2 2 | flip 1 | rest: aad then data.
  if (size < 50 || !gcm::CpuSupported()) return 0;
  ByteSpan key(data, 32), iv(data + 32, 12);
  size_t aad_len = data[44];
  size_t cut1 = data[45] | (data[46] << 8), cut2 = data[47] | (data[48] << 8);
  uint8_t flip = data[49];
  ByteSpan rest(data + 50, size - 50);
  if (aad_len > rest.size()) aad_len = rest.size();
  ByteSpan aad = rest.subspan(0, aad_len), pt = rest.subspan(aad_len);
  cut2 = pt.empty() ? 0 : cut2 % (pt.size() + 1);
  cut1 = cut2 == 0 ? 0 : cut1 % (cut2 + 1);

  auto ref = crypto::AesGcmEncrypt(key, iv, aad, pt);
  if (!ref.ok()) abort();
  gcm::Key k;
  gcm::ExpandKey(key.data(), &k);
  gcm::Stream s;
  gcm::Begin(k, iv.data(), &s);
  gcm::Aad(&s, aad.data(), aad_len / 2);
  gcm::Aad(&s, aad.data() + aad_len / 2, aad_len - aad_len / 2);
  Bytes ct(pt.begin(), pt.end());
  gcm::Encrypt(&s, ct.data(), ct.data(), cut1);
  gcm::Encrypt(&s, ct.data() + cut1, ct.data() + cut1, cut2 - cut1);
  gcm::Encrypt(&s, ct.data() + cut2, ct.data() + cut2, ct.size() - cut2);
  uint8_t tag[16];
  gcm::FinishTag(&s, tag);
  if (!std::equal(ct.begin(), ct.end(), ref->begin())) abort();
  if (!std::equal(tag, tag + 16, ref->end() - 16)) abort();

  // Decrypt, optionally with one flipped bit somewhere: must fail exactly when flipped.
  Bytes buf = ct;
  bool tamper = (flip & 0x80) && !buf.empty();
  if (tamper) buf[flip % buf.size()] ^= 1;
  gcm::Begin(k, iv.data(), &s);
  gcm::Aad(&s, aad.data(), aad_len);
  gcm::Decrypt(&s, buf.data(), buf.data(), cut2);
  gcm::Decrypt(&s, buf.data() + cut2, buf.data() + cut2, buf.size() - cut2);
  bool ok = gcm::FinishCheck(&s, tag);
  if (ok == tamper) abort();
  if (!tamper && !std::equal(buf.begin(), buf.end(), pt.begin())) abort();
  return 0;
}
