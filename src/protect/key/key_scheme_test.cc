#include "protect/key/key_scheme.h"

#include <gtest/gtest.h>

#include <cstring>

#include "crypto/crypto.h"
#include "model/items.h"

namespace licet::protect::key {
namespace {

constexpr uint32_t kFirm = 6000010, kProduct = 201010;

class KeySchemeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gcm::CpuSupported()) GTEST_SKIP() << "no AES-NI";
    // Everything below derives keys: fail cleanly (not crash) if HKDF itself is broken.
    ASSERT_TRUE(crypto::HkdfSha256(firm_secret_.span(), {}, {}, 32).ok());
  }
  SecretBytes firm_secret_ = crypto::RandomSecret(32);
};

TEST_F(KeySchemeTest, CryptKeyIsLicetdDerivation) {
  auto ps = model::DeriveProductSecret(firm_secret_, kFirm, kProduct);
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  uint8_t info[16] = {0, 0x5b, 0x8d, 0x8a, 0, 0x03, 0x11, 0x32, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef};
  auto expected = crypto::HkdfSha256(ps->span(), AsBytes("licet crypt v1"), ByteSpan(info, 16), 32);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  auto k = CryptKey(*ps, kFirm, kProduct, 7, 0xdeadbeef);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_TRUE(crypto::ConstantTimeEqual(k->span(), expected->span()));
  EXPECT_EQ(CryptKey(SecretBytes(16), 1, 1, 0, 0).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(KeySchemeTest, WrapUnwrapRoundTripAndWrongKeyFails) {
  ASSERT_TRUE(model::DeriveProductSecret(firm_secret_, kFirm, kProduct).ok());
  SecretBytes ck = RandomContentKey();
  auto w = WrapContentKey(firm_secret_, kFirm, kProduct, 3, 42, ck);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  SecretBytes ps = *model::DeriveProductSecret(firm_secret_, kFirm, kProduct);
  auto back = UnwrapContentKey(*CryptKey(ps, kFirm, kProduct, 3, 42), *w);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(crypto::ConstantTimeEqual(back->span(), ck.span()));
  // Another feature or encryption code: another key, the tag fails.
  EXPECT_EQ(UnwrapContentKey(*CryptKey(ps, kFirm, kProduct, 4, 42), *w).status().code(),
            ErrorCode::kDecryptFailed);
  EXPECT_EQ(UnwrapContentKey(*CryptKey(ps, kFirm, kProduct, 3, 43), *w).status().code(),
            ErrorCode::kDecryptFailed);
  EXPECT_EQ(WrapContentKey(firm_secret_, kFirm, kProduct, 3, 42, SecretBytes(31)).status().code(),
            ErrorCode::kInvalidArgument);
}

// A synthetic protected file: 3 ranges under 2 features, descriptor at offset 0x2000.
struct Protected {
  Bytes original, file;
  Descriptor d;
  SecretBytes ck0, ck1;
};

Protected MakeFile(const SecretBytes& firm_secret) {
  Protected p;
  p.original = crypto::RandomBytes(0x6000);
  p.file = p.original;
  p.d = NewDescriptor(Mode::kLicense, Kind::kFunctions, kFirm, kProduct);
  EXPECT_TRUE(SetText(p.d.product_name, "Sample Product ü").ok());
  EXPECT_TRUE(SetText(p.d.activation_hint, "licet activate XXXXX").ok());
  p.ck0 = RandomContentKey();
  p.ck1 = RandomContentKey();
  EXPECT_EQ(*AddLicenseSlot(p.d, firm_secret, 0, p.ck0), 0u);
  EXPECT_EQ(*AddLicenseSlot(p.d, firm_secret, 5, p.ck1), 1u);
  EXPECT_EQ(*AddRange(p.d, 0x401000, 0x1000, 0x1000, 5, 0), 0u);
  EXPECT_EQ(*AddRange(p.d, 0x403000, 0x3000, 0x800, 5, 1), 1u);
  EXPECT_EQ(*AddRange(p.d, 0x404000, 0x4000, 0x1234, 1, 0), 2u);
  const SecretBytes* cks[] = {&p.ck0, &p.ck1, &p.ck0};
  for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(EncryptRange(p.d, i, p.file, *cks[i]).ok());
  Status st = SealFile(p.d, p.file, 0x2000, {&p.ck0, &p.ck1});
  EXPECT_TRUE(st.ok()) << st.ToString();
  return p;
}

SecretBytes Unwrap(const SecretBytes& firm_secret, const Descriptor& d, uint32_t slot) {
  SecretBytes ps = *model::DeriveProductSecret(firm_secret, d.firm_code, d.product_code);
  WrappedKey w;
  std::memcpy(w.iv.data(), d.keys[slot].wrap_iv, 12);
  std::memcpy(w.tag.data(), d.keys[slot].wrap_tag, 16);
  std::memcpy(w.wrapped.data(), d.keys[slot].wrapped, 32);
  return *UnwrapContentKey(
      *CryptKey(ps, d.firm_code, d.product_code, d.keys[slot].feature_code,
                d.keys[slot].encryption_code),
      w);
}

TEST_F(KeySchemeTest, ProtectedFileChecksAndDecrypts) {
  Protected p = MakeFile(firm_secret_);
  auto d = ParseDescriptor(ByteSpan(p.file).subspan(0x2000, sizeof(Descriptor)));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_STREQ(d->product_name, "Sample Product ü");
  for (uint32_t slot = 0; slot < 2; ++slot) {
    SecretBytes ck = Unwrap(firm_secret_, *d, slot);
    gcm::Key key;
    gcm::ExpandKey(ck.data(), &key);
    EXPECT_TRUE(CheckFile(*d, slot, key, p.file.data(), p.file.size())) << slot;
    for (uint32_t i = 0; i < d->range_count; ++i) {
      const Range& r = d->ranges[i];
      Bytes buf(p.file.begin() + r.file_offset, p.file.begin() + r.file_offset + r.length);
      bool ok = DecryptRange(*d, i, key, buf.data(), buf.data());
      EXPECT_EQ(ok, r.key_index == slot) << i;
      if (ok) {
        EXPECT_EQ(0, std::memcmp(buf.data(), p.original.data() + r.file_offset, r.length));
      }
    }
  }
}

TEST_F(KeySchemeTest, AnyPatchedByteFailsTheFileCheckOrTheRange) {
  Protected p = MakeFile(firm_secret_);
  SecretBytes ck = Unwrap(firm_secret_, p.d, 0);
  gcm::Key key;
  gcm::ExpandKey(ck.data(), &key);
  // Outside the ranges (plain code, headers, the descriptor, its own tag).
  const size_t tag0 = 0x2000 + offsetof(Descriptor, keys) + offsetof(KeySlot, file_tag);
  for (size_t at : {size_t{0}, size_t{0x2000 + 20}, tag0, size_t{0x2fff}, size_t{0x5fff}}) {
    Bytes f = p.file;
    f[at] ^= 1;
    Descriptor d;
    std::memcpy(&d, f.data() + 0x2000, sizeof d);
    EXPECT_FALSE(CheckFile(d, 0, key, f.data(), f.size())) << at;
  }
  // Inside a range: the range's tag fails and the plaintext is wiped.
  Bytes f = p.file;
  f[0x1000 + 77] ^= 0x10;
  Bytes buf(f.begin() + 0x1000, f.begin() + 0x2000);
  EXPECT_FALSE(DecryptRange(p.d, 0, key, buf.data(), buf.data()));
  EXPECT_EQ(buf, Bytes(0x1000, 0));
  // A truncated (stripped) file.
  Bytes shorter(p.file.begin(), p.file.end() - 1);
  EXPECT_FALSE(CheckFile(p.d, 0, key, shorter.data(), shorter.size()));
}

TEST_F(KeySchemeTest, IpModeUnwrapsWithTheRightMaterialOnly) {
  Descriptor d = NewDescriptor(Mode::kIpProtection, Kind::kExecutable, 0, 0);
  SecretBytes ck = RandomContentKey();
  Bytes material = ToBytes("stub code bytes");
  ASSERT_TRUE(AddIpSlot(d, 0, material, ck).ok());
  EXPECT_FALSE(AddLicenseSlot(d, firm_secret_, 1, ck).ok());
  uint8_t out[32];
  IpUnwrap(d, 0, material.data(), material.size(), out);
  EXPECT_TRUE(crypto::ConstantTimeEqual(ByteSpan(out, 32), ck.span()));
  material[0] ^= 1;
  IpUnwrap(d, 0, material.data(), material.size(), out);
  EXPECT_FALSE(crypto::ConstantTimeEqual(ByteSpan(out, 32), ck.span()));
}

TEST_F(KeySchemeTest, BuilderRefusesBadInput) {
  Descriptor d = NewDescriptor(Mode::kLicense, Kind::kExecutable, kFirm, kProduct);
  SecretBytes ck = RandomContentKey();
  EXPECT_FALSE(AddRange(d, 0, 0, 16, 5, 0).ok());  // no slot yet
  ASSERT_TRUE(AddLicenseSlot(d, firm_secret_, 0, ck).ok());
  EXPECT_FALSE(AddLicenseSlot(d, firm_secret_, 0, ck).ok());  // feature repeats
  ASSERT_TRUE(AddRange(d, 0x2000, 0x2000, 16, 5, 0).ok());
  EXPECT_FALSE(AddRange(d, 0x1000, 0x1000, 16, 5, 0).ok());  // out of order
  EXPECT_FALSE(SetText(d.product_name, std::string(64, 'x')).ok());
  EXPECT_FALSE(SetText(d.product_name, "\xff\xfe").ok());
  Bytes file(0x3000);
  EXPECT_FALSE(SealFile(d, file, 0x2ff0, {&ck}).ok());  // no room
  EXPECT_FALSE(SealFile(d, file, 0x1ff8, {&ck}).ok());  // overlaps the range
  EXPECT_FALSE(SealFile(d, file, 0, {}).ok());          // a key missing
  EXPECT_TRUE(SealFile(d, file, 0, {&ck}).ok());
}

}  // namespace
}  // namespace licet::protect::key
