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

// RFC 8032 §7.1 TEST 1, also the key of the cose-wg EdDSA examples.
const char kEdPrivate[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char kEdPublic[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char kContent[] = "546869732069732074686520636f6e74656e742e";  // "This is the content."

Bytes Reencode(const CborValue& v) { return CborEncode(v); }

// RFC 9052 §4.4 written out by hand: Sig_structure = [context, body_protected, external_aad,
// payload] with context "Signature1".
TEST(CoseSign1Test, SigStructureBuiltByHand) {
  const Bytes aad = Hex("da4c430201");
  const Bytes by_hand =
      Hex("84"                                            // array(4)
          "6a5369676e617475726531"                        // text(10) "Signature1"
          "43a10127"                                      // bstr(3) protected {1: -8}
          "45da4c430201"                                  // bstr(5) external_aad
          "54546869732069732074686520636f6e74656e742e");  // bstr(20) payload
  EXPECT_EQ(HexEncode(CoseSign1SigStructure(Hex("a10127"), aad, Hex(kContent))),
            HexEncode(by_hand));

  SecretBytes key(Hex(kEdPrivate));
  Bytes message = *CoseSign1Sign(Hex(kContent), aad, key);
  CoseSign1 parsed = *CoseSign1Parse(message);
  EXPECT_EQ(parsed.protected_header, Hex("a10127"));
  EXPECT_EQ(parsed.payload, Hex(kContent));
  // The signature is an ordinary Ed25519 signature over the hand-built bytes.
  EXPECT_TRUE(crypto::Ed25519Verify(Hex(kEdPublic), by_hand, parsed.signature).ok());
  // Ed25519 is deterministic, so the whole message is known.
  Bytes expected = Hex("d28443a10127a054546869732069732074686520636f6e74656e742e5840");
  Bytes signature = *crypto::Ed25519Sign(key, by_hand);
  expected.insert(expected.end(), signature.begin(), signature.end());
  EXPECT_EQ(HexEncode(message), HexEncode(expected));
  // A prepared signer makes the very same message.
  auto signer = crypto::Ed25519Signer::Create(key);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(HexEncode(*CoseSign1Sign(Hex(kContent), aad, *signer)), HexEncode(expected));
}

// cose-wg/Examples eddsa-examples/eddsa-sig-01.json: a COSE_Sign1 made by another
// implementation, with an extra protected header (content type 0) and a kid.
TEST(CoseSign1Test, CoseWgEddsaSig01KnownAnswer) {
  const Bytes message = Hex(
      "D28445A201270300A10442313154546869732069732074686520636F6E74656E742E58407142FD2FF96D56DB85"
      "BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB8711497DFA751BF40B58B3BCC32300B1487F3DB34085EE"
      "F013BF08F4A44D6FEF0D");
  const Bytes to_be_signed =
      Hex("846A5369676E61747572653145A2012703004054546869732069732074686520636F6E74656E742E");
  auto parsed = CoseSign1Parse(message);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->protected_header, Hex("A201270300"));
  EXPECT_EQ(parsed->payload, Hex(kContent));
  EXPECT_EQ(CoseSign1SigStructure(parsed->protected_header, {}, parsed->payload), to_be_signed);
  EXPECT_TRUE(CoseSign1Verify(*parsed, {}, Hex(kEdPublic)).ok());
  EXPECT_EQ(*crypto::Ed25519Sign(SecretBytes(Hex(kEdPrivate)), to_be_signed), parsed->signature);
  EXPECT_EQ(*CoseSign1Open(message, {}, Hex(kEdPublic)), Hex(kContent));
  EXPECT_EQ(CoseSign1Open(message, Hex("00"), Hex(kEdPublic)).status().code(),
            ErrorCode::kBadSignature);
}

class CoseSign1TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = *crypto::Ed25519Generate();
    message_ = *CoseSign1Sign(payload_, aad_, keys_.private_key);
    tree_ = *CborDecode(message_);
  }
  ErrorCode Verify(const Bytes& message) {
    auto payload = CoseSign1Open(message, aad_, keys_.public_key);
    if (payload.ok()) {
      EXPECT_EQ(*payload, payload_);
    }
    return payload.status().code();
  }
  CborArray& parts() { return tree_.tagged().array(); }

  crypto::KeyPair keys_;
  Bytes payload_ = ToBytes("licence for firm 6000010, product 13");
  Bytes aad_ = Hex("da4c430201");
  Bytes message_;
  CborValue tree_;
};

TEST_F(CoseSign1TamperTest, Untouched) { EXPECT_EQ(Verify(message_), ErrorCode::kOk); }

TEST_F(CoseSign1TamperTest, PayloadFlipped) {
  parts()[2].bytes()[5] ^= 0x01;
  EXPECT_EQ(Verify(Reencode(tree_)), ErrorCode::kBadSignature);
}

TEST_F(CoseSign1TamperTest, SignatureFlipped) {
  parts()[3].bytes()[63] ^= 0x80;
  EXPECT_EQ(Verify(Reencode(tree_)), ErrorCode::kBadSignature);
}

TEST_F(CoseSign1TamperTest, ProtectedHeaderAlgChanged) {
  parts()[0] = CborValue::ByteString(Hex("a10126"));  // ES256
  auto parsed = CoseSign1Parse(Reencode(tree_));
  EXPECT_EQ(parsed.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_THAT(parsed.status().message(), HasSubstr("algorithm -7 is not supported"));
  parts()[0] = CborValue::ByteString(Hex("a101654564445341"));  // {1: "EdDSA"}
  EXPECT_EQ(Verify(Reencode(tree_)), ErrorCode::kUnsupportedVersion);
}

TEST_F(CoseSign1TamperTest, ProtectedHeaderExtendedStillEdDsa) {
  parts()[0] = CborValue::ByteString(Hex("a201270300"));  // {1: -8, 3: 0}: signed bytes differ
  EXPECT_EQ(Verify(Reencode(tree_)), ErrorCode::kBadSignature);
}

TEST_F(CoseSign1TamperTest, OtherKeyOrOtherAad) {
  crypto::KeyPair other = *crypto::Ed25519Generate();
  EXPECT_EQ(CoseSign1Open(message_, aad_, other.public_key).status().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(CoseSign1Open(message_, Hex("da4c430101"), keys_.public_key).status().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(CoseSign1Open(message_, aad_, Bytes(31, 1)).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(CoseSign1TamperTest, StructureRefused) {
  auto code_of = [&](const CborValue& v) { return CoseSign1Parse(CborEncode(v)).status().code(); };
  EXPECT_EQ(code_of(tree_.tagged()), ErrorCode::kCorruptData);  // untagged
  EXPECT_EQ(code_of(CborValue::Tag(98, tree_.tagged())), ErrorCode::kCorruptData);
  CborValue t = tree_;
  t.tagged().array().pop_back();
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);
  t = tree_;
  t.tagged().array()[2] = CborValue::Null();  // detached payload
  EXPECT_THAT(CoseSign1Parse(CborEncode(t)).status().message(), HasSubstr("detached"));
  t = tree_;
  t.tagged().array()[3].bytes().pop_back();
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);
  t = tree_;
  t.tagged().array()[0] = CborValue::ByteString(Hex("a20127028101"));  // crit: [1]
  EXPECT_EQ(code_of(t), ErrorCode::kUnsupportedVersion);
  t = tree_;
  t.tagged().array()[1] = CborValue::Map({{CborValue::Int(1), CborValue::Int(-8)}});
  EXPECT_THAT(CoseSign1Parse(CborEncode(t)).status().message(), HasSubstr("both"));
  t = tree_;
  t.tagged().array()[0] = CborValue::ByteString({});  // no algorithm at all
  EXPECT_THAT(CoseSign1Parse(CborEncode(t)).status().message(), HasSubstr("no algorithm"));
  t = tree_;
  t.tagged().array()[0] = CborValue::ByteString(Hex("01"));  // not a map
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);
  t = tree_;
  t.tagged().array()[0] = CborValue::ByteString(Hex("a1012700"));  // trailing byte inside
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);
  t = tree_;
  t.tagged().array()[1] = CborValue::Array({});
  EXPECT_EQ(code_of(t), ErrorCode::kCorruptData);

  Bytes trailing = message_;
  trailing.push_back(0);
  EXPECT_EQ(CoseSign1Parse(trailing).status().code(), ErrorCode::kCorruptData);
  for (size_t n = 0; n < message_.size(); ++n) {
    EXPECT_EQ(CoseSign1Parse(ByteSpan(message_.data(), n)).status().code(), ErrorCode::kCorruptData)
        << n;
  }
}

}  // namespace
}  // namespace licet::format
