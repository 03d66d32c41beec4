#include "format/envelope.h"

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

void ExpectError(const Bytes& file, ErrorCode code, const std::string& message_part) {
  auto parsed = ParseEnvelope(file);
  ASSERT_FALSE(parsed.ok()) << HexEncode(file);
  EXPECT_EQ(parsed.status().code(), code) << parsed.status().message();
  EXPECT_THAT(parsed.status().message(), HasSubstr(message_part));
}

TEST(EnvelopeTest, HeaderBytes) {
  EXPECT_EQ(HexEncode(EnvelopeHeader(FileKind::kContext)), "da4c430101");
  EXPECT_EQ(HexEncode(EnvelopeHeader(FileKind::kUpdate)), "da4c430201");
  EXPECT_EQ(HexEncode(EnvelopeHeader(FileKind::kCredential)), "da4c430601");
  EXPECT_EQ(EnvelopeHeader(FileKind::kReceipt).size(), kEnvelopeHeaderSize);
}

TEST(EnvelopeTest, RoundTripAndIsPlainCbor) {
  const Bytes body = Hex("a2616101616282f6f5");
  const Bytes file = WrapEnvelope(FileKind::kReceipt, body);
  auto parsed = ParseEnvelope(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->kind, FileKind::kReceipt);
  EXPECT_EQ(parsed->version, kFormatVersion);
  EXPECT_EQ(parsed->header, EnvelopeHeader(FileKind::kReceipt));
  EXPECT_EQ(parsed->body, body);
  // Any CBOR tool reads a Licet file as one tagged item.
  CborValue item = *CborDecode(file);
  EXPECT_EQ(item.tag(), 0x4c430301u);
  EXPECT_EQ(CborEncode(item.tagged()), body);
}

TEST(EnvelopeTest, KindNames) {
  EXPECT_STREQ(FileKindName(FileKind::kContext), "context");
  EXPECT_STREQ(FileKindName(FileKind::kUpdate), "update");
  EXPECT_STREQ(FileKindName(FileKind::kReceipt), "receipt");
  EXPECT_STREQ(FileKindName(FileKind::kFirmKey), "firm key");
  EXPECT_STREQ(FileKindName(FileKind::kContainer), "container");
  EXPECT_STREQ(FileKindName(FileKind::kCredential), "credential");
  EXPECT_STREQ(FileKindName(static_cast<FileKind>(9)), "unknown");
}

TEST(EnvelopeTest, NotALicetFile) {
  ExpectError(Hex("00"), ErrorCode::kCorruptData, "not a Licet file");
  ExpectError(Hex("a0"), ErrorCode::kCorruptData, "not a Licet file");
  ExpectError(Hex("da4c440101a0"), ErrorCode::kCorruptData, "not a Licet file");
  ExpectError(ToBytes("{\"json\": true}"), ErrorCode::kCorruptData, "not a Licet file");
  ExpectError(Hex("d84c"), ErrorCode::kCorruptData, "not a Licet file");
}

TEST(EnvelopeTest, Truncated) {
  ExpectError({}, ErrorCode::kCorruptData, "truncated");
  ExpectError(Hex("da"), ErrorCode::kCorruptData, "truncated");
  ExpectError(Hex("da4c43"), ErrorCode::kCorruptData, "truncated");
  ExpectError(Hex("da4c4302"), ErrorCode::kCorruptData, "truncated");
  ExpectError(Hex("da4c430201"), ErrorCode::kCorruptData, "truncated");
  // A real signed file cut at every offset.
  crypto::KeyPair keys = *crypto::Ed25519Generate();
  const Bytes file = WrapEnvelope(
      FileKind::kContext,
      *CoseSign1Sign(ToBytes("payload"), EnvelopeHeader(FileKind::kContext), keys.private_key));
  ASSERT_TRUE(ParseEnvelope(file).ok());
  for (size_t n = 0; n < file.size(); ++n) {
    ExpectError(Bytes(file.begin(), file.begin() + n), ErrorCode::kCorruptData, "truncated");
  }
}

TEST(EnvelopeTest, UnknownKind) {
  ExpectError(Hex("da4c430901a0"), ErrorCode::kUnsupportedVersion,
              "unknown Licet file kind 9 (this licet understands context, update, receipt, "
              "firm key, container, credential)");
  ExpectError(Hex("da4c430001a0"), ErrorCode::kUnsupportedVersion, "unknown Licet file kind 0");
  ExpectError(Hex("da4c43ff01"), ErrorCode::kUnsupportedVersion, "kind 255");
}

TEST(EnvelopeTest, NewerVersion) {
  ExpectError(Hex("da4c430202a0"), ErrorCode::kUnsupportedVersion,
              "update file has format version 2; this licet reads version 1, upgrade licet");
  ExpectError(Hex("da4c4301ff"), ErrorCode::kUnsupportedVersion, "version 255");
  ExpectError(Hex("da4c430100a0"), ErrorCode::kUnsupportedVersion, "version 0");
}

TEST(EnvelopeTest, MalformedBody) {
  ExpectError(Hex("da4c430101a000"), ErrorCode::kCorruptData, "trailing");
  ExpectError(Hex("da4c430101f93c00"), ErrorCode::kCorruptData, "malformed context file");
  ExpectError(Hex("da4c4301015f4100ff"), ErrorCode::kCorruptData, "indefinite");
  Bytes deep = EnvelopeHeader(FileKind::kUpdate);
  deep.resize(deep.size() + 100000, 0x81);
  deep.push_back(0);
  ExpectError(deep, ErrorCode::kCorruptData, "nesting");
}

TEST(EnvelopeTest, OfKind) {
  const Bytes update = WrapEnvelope(FileKind::kUpdate, Hex("a0"));
  auto wrong = ParseEnvelopeOfKind(update, FileKind::kContext);
  EXPECT_EQ(wrong.status().code(), ErrorCode::kWrongFileKind);
  EXPECT_EQ(wrong.status().message(), "expected a context file, got an update file");
  EXPECT_EQ(ParseEnvelopeOfKind(WrapEnvelope(FileKind::kReceipt, Hex("a0")), FileKind::kUpdate)
                .status()
                .message(),
            "expected an update file, got a receipt file");
  EXPECT_TRUE(ParseEnvelopeOfKind(update, FileKind::kUpdate).ok());
  // Corruption wins over kind: the file is not what anyone expected.
  EXPECT_EQ(ParseEnvelopeOfKind(Hex("00"), FileKind::kUpdate).status().code(),
            ErrorCode::kCorruptData);
}

// The header as external_aad: a body signed as one kind does not verify as another.
TEST(EnvelopeTest, HeaderBindsKindIntoSignature) {
  crypto::KeyPair keys = *crypto::Ed25519Generate();
  const Bytes body =
      *CoseSign1Sign(ToBytes("payload"), EnvelopeHeader(FileKind::kContext), keys.private_key);
  Envelope as_context = *ParseEnvelope(WrapEnvelope(FileKind::kContext, body));
  EXPECT_TRUE(CoseSign1Open(as_context.body, as_context.header, keys.public_key).ok());
  Envelope as_receipt = *ParseEnvelope(WrapEnvelope(FileKind::kReceipt, body));
  EXPECT_EQ(CoseSign1Open(as_receipt.body, as_receipt.header, keys.public_key).status().code(),
            ErrorCode::kBadSignature);
}

}  // namespace
}  // namespace licet::format
