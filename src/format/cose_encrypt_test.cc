#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.h"
#include "format/cbor.h"
#include "format/cose.h"

namespace licet::format {
namespace {

using ::testing::HasSubstr;

Bytes Hex(const std::string& hex) { return *HexDecode(hex); }

CborValue& Entry(CborValue& map, int64_t key) {
  for (auto& [k, v] : map.map()) {
    if (k.AsInt64() == key) return v;
  }
  ADD_FAILURE() << "no key " << key;
  return map;
}

Bytes Reencode(const CborValue& v) { return CborEncode(v); }

TEST(CoseEncryptTest, KdfContextBuiltByHand) {
  // RFC 9053 §5.2 COSE_KDF_Context for A256GCM under ECDH-ES + HKDF-256.
  const Bytes by_hand =
      Hex("84"            // array(4)
          "03"            // AlgorithmID: A256GCM
          "83f6f6f6"      // PartyUInfo [nil, nil, nil]
          "83f6f6f6"      // PartyVInfo [nil, nil, nil]
          "82"            // SuppPubInfo
          "190100"        //   keyDataLength 256
          "44a1013818");  //   protected {1: -25}
  EXPECT_EQ(HexEncode(CoseKdfContext(kCoseAlgA256Gcm, 256, Hex("a1013818"))), HexEncode(by_hand));
  // RFC 9052 §5.3 Enc_structure.
  EXPECT_EQ(HexEncode(CoseEncStructure(Hex("a10103"), Hex("da4c430201"))),
            "83"                // array(3)
            "67456e6372797074"  // "Encrypt"
            "43a10103"          // protected {1: 3}
            "45da4c430201");    // external_aad
}

// Decrypts one of our messages with nothing but the RFC's recipe and the raw primitives.
TEST(CoseEncryptTest, DecryptsByHandFromTheRfcRecipe) {
  crypto::KeyPair recipient = *crypto::X25519Generate();
  const Bytes aad = Hex("da4c430201");
  const Bytes plaintext = ToBytes("update operations");
  Bytes message = *CoseEncryptX25519(plaintext, aad, recipient.public_key, ToBytes("130-1"));

  CborValue tree = *CborDecode(message);
  ASSERT_TRUE(tree.is_tag());
  EXPECT_EQ(tree.tag(), 96u);
  CborArray& parts = tree.tagged().array();
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].bytes(), Hex("a10103"));
  const Bytes iv = parts[1].Find(5)->bytes();
  ASSERT_EQ(parts[3].array().size(), 1u);
  const CborArray& recipient_layer = parts[3].array()[0].array();
  EXPECT_EQ(recipient_layer[0].bytes(), Hex("a1013818"));
  EXPECT_EQ(recipient_layer[1].Find(4)->bytes(), ToBytes("130-1"));
  const CborValue& key = *recipient_layer[1].Find(-1);
  EXPECT_EQ(*key.Find(1)->AsInt64(), 1);   // OKP
  EXPECT_EQ(*key.Find(-1)->AsInt64(), 4);  // X25519
  EXPECT_TRUE(recipient_layer[2].bytes().empty());

  SecretBytes shared = *crypto::X25519SharedSecret(recipient.private_key, key.Find(-2)->bytes());
  SecretBytes cek = *crypto::HkdfSha256(shared.span(), {},
                                        Hex("8403"
                                            "83f6f6f6"
                                            "83f6f6f6"
                                            "82190100"
                                            "44a1013818"),
                                        32);
  SecretBytes back = *crypto::AesGcmDecrypt(cek.span(), iv,
                                            Hex("83"
                                                "67456e6372797074"
                                                "43a10103"
                                                "45da4c430201"),
                                            parts[2].bytes());
  EXPECT_EQ(HexEncode(back.span()), HexEncode(plaintext));
  // Maps are written in canonical order: kid (4) before the ephemeral key (-1).
  EXPECT_EQ(*recipient_layer[1].map()[0].first.AsInt64(), 4);
}

// cose-wg/Examples X25519-tests/x25519-hkdf-256-direct.json: ECDH-ES + HKDF-256 with X25519,
// made by another implementation. Its content algorithm is A128GCM, which Licet does not use
// (and crypto:: has no AES-128), so the test checks every step up to the content key.
TEST(CoseEncryptTest, CoseWgX25519HkdfKnownAnswer) {
  const Bytes message =
      Hex("D8608443A10101A1054C9862E02EC874A0DF9FB123385824D2B07042F7BA47C61646CCA83AB97FD23AF21F0D"
          "2AC75DCB47A9FC293015D8F098AE9C1B818344A1013818A220A30101200421582072FC171C21BF5C682C64D2"
          "EF3A71AC877B40013D3754F63D4C3C3A965F1BA77604485832353531392D3140");
  const SecretBytes recipient_private(
      Hex("00a943daa2e38b2edbf0da0434eaaec6016fe25dcd5ecacbc07dc30300567655"));
  const SecretBytes ephemeral_private(
      Hex("1A553C409EF9DBB9249D91C464E68D9B092B20CAA028CEEC05D0F86FC314CA82"));

  auto parsed = CoseEncryptParse(message);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->content_alg, kCoseAlgA128Gcm);
  EXPECT_EQ(parsed->recipient_alg, kCoseAlgEcdhEsHkdf256);
  EXPECT_EQ(parsed->ephemeral_curve, 4);
  EXPECT_EQ(parsed->kid, ToBytes("X25519-1"));
  EXPECT_EQ(parsed->iv, Hex("9862E02EC874A0DF9FB12338"));
  EXPECT_EQ(parsed->ephemeral_public_key, *crypto::X25519PublicFromPrivate(ephemeral_private));

  SecretBytes shared = *crypto::X25519SharedSecret(recipient_private, parsed->ephemeral_public_key);
  EXPECT_EQ(HexEncode(shared.span()),
            "c2e9009387087408523b5603d1ba5245fd95758d656c4440a82c34db45cd0d5e");
  const Bytes context =
      CoseKdfContext(parsed->content_alg, 128, parsed->recipient_protected_header);
  EXPECT_EQ(HexEncode(context), "840183f6f6f683f6f6f682188044a1013818");
  SecretBytes cek = *crypto::HkdfSha256(shared.span(), {}, context, 16);
  EXPECT_EQ(HexEncode(cek.span()), "52291de41342ac0ac2e31867a1423acb");
  EXPECT_EQ(HexEncode(CoseEncStructure(parsed->protected_header, {})),
            "8367456e637279707443a1010140");
  auto decrypted = CoseDecryptX25519(message, {}, recipient_private);
  EXPECT_EQ(decrypted.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_THAT(decrypted.status().message(), HasSubstr("content algorithm 1"));
}

class CoseEncryptTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = *crypto::X25519Generate();
    message_ = *CoseEncryptX25519(plaintext_, aad_, keys_.public_key, ToBytes("kid"));
    tree_ = *CborDecode(message_);
  }
  ErrorCode Decrypt(const Bytes& message) {
    auto plaintext = CoseDecryptX25519(message, aad_, keys_.private_key);
    if (plaintext.ok()) {
      EXPECT_EQ(HexEncode(plaintext->span()), HexEncode(plaintext_));
    }
    return plaintext.status().code();
  }
  CborArray& parts() { return tree_.tagged().array(); }
  CborArray& recipient() { return parts()[3].array()[0].array(); }
  CborValue& ephemeral_key() { return Entry(recipient()[1], -1); }

  crypto::KeyPair keys_;
  Bytes plaintext_ = ToBytes("firm 6000010: add product 13 with 100 units");
  Bytes aad_ = Hex("da4c430201");
  Bytes message_;
  CborValue tree_;
};

TEST_F(CoseEncryptTamperTest, RoundTrip) {
  EXPECT_EQ(Decrypt(message_), ErrorCode::kOk);
  CoseEncrypt parsed = *CoseEncryptParse(message_);
  EXPECT_EQ(parsed.content_alg, kCoseAlgA256Gcm);
  EXPECT_EQ(parsed.recipient_alg, kCoseAlgEcdhEsHkdf256);
  EXPECT_EQ(parsed.iv.size(), 12u);
  EXPECT_EQ(parsed.ciphertext.size(), plaintext_.size() + 16);
  EXPECT_EQ(parsed.kid, ToBytes("kid"));
  // A fresh ephemeral key and IV every time.
  Bytes again = *CoseEncryptX25519(plaintext_, aad_, keys_.public_key, ToBytes("kid"));
  EXPECT_NE(again, message_);
  EXPECT_NE(CoseEncryptParse(again)->ephemeral_public_key, parsed.ephemeral_public_key);
}

TEST_F(CoseEncryptTamperTest, EmptyPlaintextAndNoKid) {
  Bytes message = *CoseEncryptX25519({}, {}, keys_.public_key, {});
  EXPECT_TRUE(CoseEncryptParse(message)->kid.empty());
  EXPECT_EQ(CborDecode(message)->tagged().array()[3].array()[0].array()[1].Find(4), nullptr);
  SecretBytes back = *CoseDecryptX25519(message, {}, keys_.private_key);
  EXPECT_TRUE(back.empty());
}

TEST_F(CoseEncryptTamperTest, WrongKey) {
  crypto::KeyPair other = *crypto::X25519Generate();
  auto result = CoseDecryptX25519(message_, aad_, other.private_key);
  EXPECT_EQ(result.status().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(CoseDecryptX25519(message_, aad_, SecretBytes(Bytes(31, 1))).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(CoseEncryptTamperTest, WrongAad) {
  EXPECT_EQ(CoseDecryptX25519(message_, Hex("da4c430101"), keys_.private_key).status().code(),
            ErrorCode::kDecryptFailed);
  EXPECT_EQ(CoseDecryptX25519(message_, {}, keys_.private_key).status().code(),
            ErrorCode::kDecryptFailed);
}

TEST_F(CoseEncryptTamperTest, CiphertextFlipped) {
  parts()[2].bytes()[0] ^= 1;
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
}

TEST_F(CoseEncryptTamperTest, TagFlipped) {
  parts()[2].bytes().back() ^= 1;
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
}

TEST_F(CoseEncryptTamperTest, IvFlipped) {
  Entry(parts()[1], 5).bytes()[3] ^= 1;
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
}

TEST_F(CoseEncryptTamperTest, ProtectedHeaderChanged) {
  parts()[0] = CborValue::ByteString(Hex("a201030300"));  // still A256GCM, other bytes
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
  parts()[0] = CborValue::ByteString(Hex("a10101"));  // A128GCM
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kUnsupportedVersion);
}

TEST_F(CoseEncryptTamperTest, RecipientProtectedHeaderChanged) {
  recipient()[0] =
      CborValue::ByteString(Hex("a2013818206161"));  // {1: -25, -1: "a"} (wrong bucket)
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kCorruptData);
  recipient()[0] =
      CborValue::ByteString(Hex("a201381803f6"));  // {1: -25, 3: null}: KDF input differs
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
  recipient()[0] = CborValue::ByteString(Hex("a1013819"));  // ECDH-ES + HKDF-512
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kUnsupportedVersion);
}

TEST_F(CoseEncryptTamperTest, EphemeralKeyChanged) {
  Entry(ephemeral_key(), -2).bytes()[0] ^= 1;
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
  Entry(ephemeral_key(), -2) = CborValue::ByteString(Bytes(32, 0));  // small order
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kDecryptFailed);
  Entry(ephemeral_key(), -2) = CborValue::ByteString(Bytes(31, 9));
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kCorruptData);
  Entry(ephemeral_key(), -1) = CborValue::Int(6);  // Ed25519 is no key agreement curve
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kUnsupportedVersion);
  Entry(ephemeral_key(), 1) = CborValue::Int(2);  // EC2
  EXPECT_EQ(Decrypt(Reencode(tree_)), ErrorCode::kUnsupportedVersion);
}

TEST_F(CoseEncryptTamperTest, StructureRefused) {
  auto code_of = [&](const CborValue& v) {
    return CoseDecryptX25519(CborEncode(v), aad_, keys_.private_key).status().code();
  };
  EXPECT_EQ(code_of(CborValue::Tag(16, tree_.tagged())), ErrorCode::kCorruptData);  // Encrypt0
  CborValue t = tree_;
  t.tagged().array()[3].array().push_back(t.tagged().array()[3].array()[0]);
  EXPECT_EQ(code_of(t), ErrorCode::kUnsupportedVersion);  // two recipients
  t = tree_;
  t.tagged().array()[3].array().clear();
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);
  t = tree_;
  t.tagged().array()[3].array()[0].array().push_back(CborValue::Array({}));
  EXPECT_EQ(code_of(t), ErrorCode::kUnsupportedVersion);  // nested recipients
  t = tree_;
  t.tagged().array()[3].array()[0].array()[2] = CborValue::ByteString(Bytes(40, 1));
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);  // a wrapped key where none belongs
  t = tree_;
  Entry(t.tagged().array()[1], 5) = CborValue::ByteString(Bytes(16, 1));
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);  // IV size
  t = tree_;
  t.tagged().array()[1] = CborValue::Map({});
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);  // no IV
  t = tree_;
  t.tagged().array()[2] = CborValue::Null();
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);  // detached
  t = tree_;
  t.tagged().array()[0] = CborValue::ByteString(Hex("a20103028101"));
  EXPECT_EQ(code_of(t), ErrorCode::kUnsupportedVersion);  // crit
  t = tree_;
  t.tagged().array()[3].array()[0].array()[1].map().clear();
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);  // no ephemeral key

  for (size_t n = 0; n < message_.size(); ++n) {
    EXPECT_EQ(CoseEncryptParse(ByteSpan(message_.data(), n)).status().code(),
              ErrorCode::kCorruptData)
        << n;
  }
}

TEST(CoseEncryptTest, RefusesBadRecipientKeys) {
  EXPECT_EQ(CoseEncryptX25519(ToBytes("x"), {}, Bytes(31, 1), {}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CoseEncryptX25519(ToBytes("x"), {}, Bytes(32, 0), {}).status().code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace licet::format
