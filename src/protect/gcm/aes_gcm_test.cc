#include "protect/gcm/aes_gcm.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "common/bytes.h"
#include "crypto/crypto.h"

namespace licet::protect::gcm {
namespace {

Bytes Hex(const std::string& s) { return *HexDecode(s); }

struct Vector {
  const char* key;
  const char* iv;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

// The AES-256 cases with 96-bit IVs of the GCM specification (McGrew & Viega, test cases
// 13-16), which NIST's CAVP GCM files repeat.
const Vector kNist[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

class GcmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CpuSupported()) GTEST_SKIP() << "no AES-NI/PCLMULQDQ on this CPU";
  }
};

// Encrypts with the data and AAD cut at the given points.
Bytes EncryptSplit(const Key& key, ByteSpan iv, ByteSpan aad, ByteSpan pt, size_t aad_cut,
                   size_t pt_cut1, size_t pt_cut2, uint8_t tag[16]) {
  Stream s;
  Begin(key, iv.data(), &s);
  Aad(&s, aad.data(), aad_cut);
  Aad(&s, aad.data() + aad_cut, aad.size() - aad_cut);
  Bytes out(pt.size());
  Encrypt(&s, pt.data(), out.data(), pt_cut1);
  Encrypt(&s, pt.data() + pt_cut1, out.data() + pt_cut1, pt_cut2 - pt_cut1);
  Encrypt(&s, pt.data() + pt_cut2, out.data() + pt_cut2, pt.size() - pt_cut2);
  FinishTag(&s, tag);
  return out;
}

TEST_F(GcmTest, NistVectorsWholeAndPiecewise) {
  for (const Vector& v : kNist) {
    Bytes k = Hex(v.key), iv = Hex(v.iv), aad = Hex(v.aad), pt = Hex(v.plaintext);
    Key key;
    ExpandKey(k.data(), &key);
    for (size_t cut = 0; cut <= pt.size(); ++cut) {
      uint8_t tag[16];
      Bytes ct = EncryptSplit(key, iv, aad, pt, aad.size() / 3, cut / 2, cut, tag);
      EXPECT_EQ(HexEncode(ct), v.ciphertext) << "cut " << cut;
      EXPECT_EQ(HexEncode(ByteSpan(tag, 16)), v.tag) << "cut " << cut;
    }
    // Decrypt in place and check.
    Bytes buf = Hex(v.ciphertext);
    Bytes tag = Hex(v.tag);
    Stream s;
    Begin(key, iv.data(), &s);
    Aad(&s, aad.data(), aad.size());
    Decrypt(&s, buf.data(), buf.data(), buf.size());
    EXPECT_TRUE(FinishCheck(&s, tag.data()));
    EXPECT_EQ(buf, pt);
  }
}

TEST_F(GcmTest, TamperedTagAadOrDataFails) {
  const Vector& v = kNist[3];
  Bytes k = Hex(v.key), iv = Hex(v.iv);
  Key key;
  ExpandKey(k.data(), &key);
  for (int what = 0; what < 3; ++what) {
    Bytes aad = Hex(v.aad), ct = Hex(v.ciphertext), tag = Hex(v.tag);
    if (what == 0) tag[15] ^= 1;
    if (what == 1) aad[0] ^= 0x80;
    if (what == 2) ct[ct.size() - 1] ^= 1;
    Stream s;
    Begin(key, iv.data(), &s);
    Aad(&s, aad.data(), aad.size());
    Decrypt(&s, ct.data(), ct.data(), ct.size());
    EXPECT_FALSE(FinishCheck(&s, tag.data())) << what;
  }
}

TEST_F(GcmTest, AadAfterDataIsIgnoredNotMisauthenticated) {
  // Misuse must not produce the tag of a message whose AAD includes the late bytes.
  Bytes k(32, 7), iv(12, 1), pt(20, 3), aad(5, 9);
  Key key;
  ExpandKey(k.data(), &key);
  Stream s;
  Begin(key, iv.data(), &s);
  Bytes out(pt.size());
  Encrypt(&s, pt.data(), out.data(), pt.size());
  Aad(&s, aad.data(), aad.size());
  uint8_t tag[16];
  FinishTag(&s, tag);
  auto ref = crypto::AesGcmEncrypt(k, iv, {}, pt);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(Bytes(ref->end() - 16, ref->end()), Bytes(tag, tag + 16));
}

TEST_F(GcmTest, DifferentialAgainstOpenSsl) {
  std::mt19937_64 rng(12345);
  const size_t sizes[] = {0, 1, 15, 16, 17, 127, 128, 129, 255, 256, 1000, 4096, 65536 + 13};
  for (int round = 0; round < 400; ++round) {
    Bytes k = crypto::RandomBytes(32), iv = crypto::RandomBytes(12);
    size_t n = round < 13 ? sizes[round] : rng() % 3000;
    Bytes pt = crypto::RandomBytes(n), aad = crypto::RandomBytes(rng() % 70);
    auto ref = crypto::AesGcmEncrypt(k, iv, aad, pt);
    ASSERT_TRUE(ref.ok());
    Key key;
    ExpandKey(k.data(), &key);
    size_t c2 = n ? rng() % (n + 1) : 0, c1 = c2 ? rng() % (c2 + 1) : 0;
    size_t ac = aad.empty() ? 0 : rng() % (aad.size() + 1);
    uint8_t tag[16];
    Bytes ct = EncryptSplit(key, iv, aad, pt, ac, c1, c2, tag);
    ASSERT_EQ(Bytes(ref->begin(), ref->end() - 16), ct) << "n=" << n << " round " << round;
    ASSERT_EQ(Bytes(ref->end() - 16, ref->end()), Bytes(tag, tag + 16)) << "n=" << n;
    // Decrypt in many small random pieces, in place.
    Stream s;
    Begin(key, iv.data(), &s);
    Aad(&s, aad.data(), ac);
    Aad(&s, aad.data() + ac, aad.size() - ac);
    size_t at = 0;
    while (at < n) {
      size_t piece = std::min<size_t>(n - at, rng() % 300);
      Decrypt(&s, ct.data() + at, ct.data() + at, piece);
      at += piece;
    }
    ASSERT_TRUE(FinishCheck(&s, tag));
    ASSERT_EQ(ct, pt);
  }
}

TEST_F(GcmTest, WipeZeroes) {
  Key key;
  Bytes k(32, 0x5a);
  ExpandKey(k.data(), &key);
  Wipe(&key, sizeof key);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(&key);
  for (size_t i = 0; i < sizeof key; ++i) ASSERT_EQ(p[i], 0) << i;
}

// A rough floor, not a benchmark (bench/protect_gcm_bench measures): sanitizer and debug
// builds are slower, so only an absurdly low rate fails.
TEST_F(GcmTest, ThroughputIsNotAbsurd) {
  Bytes k(32, 1), iv(12, 2);
  Key key;
  ExpandKey(k.data(), &key);
  Bytes buf(8 << 20, 0x11);
  auto t0 = std::chrono::steady_clock::now();
  Stream s;
  Begin(key, iv.data(), &s);
  Decrypt(&s, buf.data(), buf.data(), buf.size());
  uint8_t tag[16];
  FinishTag(&s, tag);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double mbps = buf.size() / secs / 1e6;
  RecordProperty("MBps", std::to_string(static_cast<int>(mbps)));
  EXPECT_GT(mbps, 50.0);
}

}  // namespace
}  // namespace licet::protect::gcm
