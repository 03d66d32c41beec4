#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace licet::crypto {
namespace {

Bytes Hex(const char* hex) { return *HexDecode(hex); }

TEST(CryptoTest, Sha256KnownAnswer) {
  Hash h = Sha256(AsBytes("abc"));
  EXPECT_EQ(HexEncode(h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 8032 section 7.1, TEST 1.
TEST(CryptoTest, Ed25519Rfc8032Vector) {
  SecretBytes priv(Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  Bytes pub = *Ed25519PublicFromPrivate(priv);
  EXPECT_EQ(HexEncode(pub), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Bytes sig = *Ed25519Sign(priv, {});
  EXPECT_EQ(HexEncode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(Ed25519Verify(pub, {}, sig).ok());
}

TEST(CryptoTest, Ed25519RejectsTampering) {
  KeyPair kp = *Ed25519Generate();
  Bytes msg = ToBytes("licence");
  Bytes sig = *Ed25519Sign(kp.private_key, msg);
  EXPECT_TRUE(Ed25519Verify(kp.public_key, msg, sig).ok());
  msg[0] ^= 1;
  EXPECT_EQ(Ed25519Verify(kp.public_key, msg, sig).code(), ErrorCode::kBadSignature);
  msg[0] ^= 1;
  KeyPair other = *Ed25519Generate();
  EXPECT_EQ(Ed25519Verify(other.public_key, msg, sig).code(), ErrorCode::kBadSignature);
  EXPECT_EQ(Ed25519Verify(kp.public_key, msg, ByteSpan(sig).subspan(1)).code(),
            ErrorCode::kBadSignature);
}

// RFC 7748 section 6.1.
TEST(CryptoTest, Ed25519SignerMatchesRfc8032AndOneShotSign) {
  SecretBytes priv(Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  auto signer = Ed25519Signer::Create(priv);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(HexEncode(signer->public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  // The same (reused) context signs again and again, each time correctly.
  for (int i = 0; i < 3; ++i) {
    Bytes sig = *signer->Sign({});
    EXPECT_EQ(HexEncode(sig),
              "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
              "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  }
  for (size_t n : {1, 64, 1000}) {
    Bytes msg = RandomBytes(n);
    Bytes sig = *signer->Sign(msg);
    EXPECT_EQ(sig, *Ed25519Sign(priv, msg));
    EXPECT_TRUE(Ed25519Verify(signer->public_key(), msg, sig).ok());
    msg[0] ^= 1;
    EXPECT_EQ(Ed25519Verify(signer->public_key(), msg, sig).code(), ErrorCode::kBadSignature);
  }
  // Moving keeps the key.
  Ed25519Signer moved = std::move(signer).value();
  EXPECT_EQ(*moved.Sign(ToBytes("x")), *Ed25519Sign(priv, ToBytes("x")));
}

TEST(CryptoTest, Ed25519SignerRefusesBadSeeds) {
  EXPECT_EQ(Ed25519Signer::Create(SecretBytes(31)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Signer::Create(SecretBytes(33)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Signer::Create(SecretBytes()).status().code(), ErrorCode::kInvalidArgument);
}

TEST(CryptoTest, Ed25519SignerIsThreadSafe) {
  KeyPair kp = *Ed25519Generate();
  auto signer = *Ed25519Signer::Create(kp.private_key);
  std::vector<std::thread> threads;
  std::vector<int> bad(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Bytes msg = ToBytes("thread " + std::to_string(t) + " message " + std::to_string(i));
        auto sig = signer.Sign(msg);
        if (!sig.ok() || !Ed25519Verify(kp.public_key, msg, *sig).ok()) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

TEST(CryptoTest, X25519Rfc7748Vector) {
  SecretBytes alice(Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  SecretBytes bob(Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  Bytes alice_pub = *X25519PublicFromPrivate(alice);
  Bytes bob_pub = *X25519PublicFromPrivate(bob);
  EXPECT_EQ(HexEncode(alice_pub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  SecretBytes k1 = *X25519SharedSecret(alice, bob_pub);
  SecretBytes k2 = *X25519SharedSecret(bob, alice_pub);
  EXPECT_EQ(HexEncode(k1.span()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_TRUE(ConstantTimeEqual(k1.span(), k2.span()));
}

TEST(CryptoTest, X25519RefusesSmallOrderPoint) {
  KeyPair kp = *X25519Generate();
  Bytes zero(32, 0);
  EXPECT_FALSE(X25519SharedSecret(kp.private_key, zero).ok());
}

// RFC 5869 test case 1.
TEST(CryptoTest, HkdfRfc5869Vector) {
  Bytes ikm(22, 0x0b);
  SecretBytes okm = *HkdfSha256(ikm, Hex("000102030405060708090a0b0c"),
                                Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  EXPECT_EQ(HexEncode(okm.span()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// NIST GCM test vector (gcmEncryptExtIV256, Count 0 with 128-bit plaintext).
// RFC 5869 A.3: empty salt and info.
TEST(CryptoTest, HkdfRfc5869EmptySaltAndInfo) {
  SecretBytes okm = *HkdfSha256(Bytes(22, 0x0b), {}, {}, 42);
  EXPECT_EQ(HexEncode(okm.span()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
  // Many threads derive at once (the HKDF algorithm is fetched once, shared).
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto again = HkdfSha256(Bytes(22, 0x0b), {}, {}, 42);
        if (!again.ok() || !ConstantTimeEqual(again->span(), okm.span())) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0);
}

// An empty input key is allowed by RFC 5869 (PRK = HMAC(salt, "")) and was accepted before;
// it takes the EVP_PKEY route. Both routes agree on a non-empty key.
TEST(CryptoTest, HkdfEmptyInputKey) {
  auto empty = HkdfSha256({}, ToBytes("salt"), ToBytes("info"), 32);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  // PRK = HMAC-SHA256("salt", ""), OKM = HMAC-SHA256(PRK, "info" || 0x01).
  EXPECT_EQ(HexEncode(empty->span()),
            "7aac7b8120501c2c8e1ee50e6cde135361e99ceb9d8d406ac528b9e9175614c0");
  auto one = HkdfSha256(Bytes{0}, ToBytes("salt"), ToBytes("info"), 32);
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(ConstantTimeEqual(empty->span(), one->span()));
}

TEST(CryptoTest, X25519EphemeralAgreesWithTheRecipient) {
  KeyPair recipient = *X25519Generate();
  auto a = X25519Ephemeral(recipient.public_key);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->public_key.size(), kKeySize);
  SecretBytes theirs = *X25519SharedSecret(recipient.private_key, a->public_key);
  EXPECT_TRUE(ConstantTimeEqual(a->shared_secret.span(), theirs.span()));
  auto b = X25519Ephemeral(recipient.public_key);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->public_key, b->public_key) << "the ephemeral key must be fresh every time";
  EXPECT_EQ(X25519Ephemeral(Bytes(31, 9)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(X25519Ephemeral(Bytes(32, 0)).ok()) << "a small-order point was accepted";
}

TEST(CryptoTest, AesGcmNistVector) {
  Bytes key = Hex("31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22");
  Bytes iv = Hex("0d18e06c7c725ac9e362e1ce");
  Bytes pt = Hex("2db5168e932556f8089a0622981d017d");
  Bytes ct = *AesGcmEncrypt(key, iv, {}, pt);
  EXPECT_EQ(HexEncode(ct), "fa4362189661d163fcd6a56d8bf0405ad636ac1bbedd5cc3ee727dc2ab4a9489");
  SecretBytes back = *AesGcmDecrypt(key, iv, {}, ct);
  EXPECT_EQ(HexEncode(back.span()), HexEncode(pt));
}

TEST(CryptoTest, AesGcmDetectsTamperingAndWrongAad) {
  Bytes key = RandomBytes(32), iv = RandomBytes(12);
  Bytes ct = *AesGcmEncrypt(key, iv, AsBytes("aad"), AsBytes("payload"));
  EXPECT_EQ(AesGcmDecrypt(key, iv, AsBytes("AAD"), ct).status().code(), ErrorCode::kDecryptFailed);
  ct[0] ^= 0x80;
  EXPECT_EQ(AesGcmDecrypt(key, iv, AsBytes("aad"), ct).status().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(AesGcmDecrypt(key, iv, {}, Bytes(3)).status().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(AesGcmEncrypt(Bytes(16), iv, {}, {}).status().code(), ErrorCode::kInvalidArgument);
}

// NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt); F.5.6 decrypts with the same keystream.
TEST(CryptoTest, AesCtrNistVector) {
  Bytes key = Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  Bytes counter = Hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const char* plain =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  const char* cipher =
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6";
  Bytes data = Hex(plain);
  ASSERT_TRUE(AesCtrXor(key, counter, data).ok());
  EXPECT_EQ(HexEncode(data), cipher);
  ASSERT_TRUE(AesCtrXor(key, counter, data).ok());
  EXPECT_EQ(HexEncode(data), plain);
  // A partial last block uses a prefix of the keystream.
  Bytes head = Hex(plain);
  head.resize(21);
  ASSERT_TRUE(AesCtrXor(key, counter, head).ok());
  EXPECT_EQ(HexEncode(head), std::string(cipher).substr(0, 42));
  EXPECT_EQ(AesCtrXor(Bytes(16), counter, data).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(AesCtrXor(key, Bytes(12), data).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(AesCtrXor(key, counter, {}).ok());
}

TEST(CryptoTest, RandomUniformStaysInRange) {
  for (int i = 0; i < 1000; ++i) EXPECT_LT(RandomUniform(7), 7u);
  EXPECT_NE(HexEncode(RandomBytes(16)), HexEncode(RandomBytes(16)));
}

TEST(CryptoTest, ScryptIsDeterministicPerSalt) {
  Bytes salt = ToBytes("saltsaltsaltsalt");
  SecretBytes a = *ScryptPassphrase("pass", salt, 32);
  SecretBytes b = *ScryptPassphrase("pass", salt, 32);
  SecretBytes c = *ScryptPassphrase("Pass", salt, 32);
  EXPECT_TRUE(ConstantTimeEqual(a.span(), b.span()));
  EXPECT_FALSE(ConstantTimeEqual(a.span(), c.span()));
}

}  // namespace
}  // namespace licet::crypto
