#include "crypto/aes_gcm_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

namespace licet::crypto {
namespace {

using Tag = std::array<uint8_t, kTagSize>;

// ciphertext || tag, as AesGcmEncrypt returns it.
Bytes WithTag(Bytes data, const Tag& tag) {
  data.insert(data.end(), tag.begin(), tag.end());
  return data;
}

TEST(AesGcmKeyTest, RefusesBadKeyAndNonceSizes) {
  EXPECT_EQ(AesGcmKey::Create(Bytes(16)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(AesGcmKey::Create(Bytes(33)).status().code(), ErrorCode::kInvalidArgument);
  auto key = AesGcmKey::Create(Bytes(32, 7));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->Begin(true, Bytes(11)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(key->Begin(true, Bytes(16)).code(), ErrorCode::kInvalidArgument);
}

TEST(AesGcmKeyTest, RefusesCallsOutOfOrder) {
  auto key = AesGcmKey::Create(Bytes(32, 7));
  ASSERT_TRUE(key.ok());
  Bytes data(16);
  Tag tag{};
  EXPECT_EQ(key->Update(data, data).code(), ErrorCode::kInternal);
  EXPECT_EQ(key->FinishEncrypt(tag).code(), ErrorCode::kInternal);
  ASSERT_TRUE(key->Begin(true, Bytes(12)).ok());
  EXPECT_EQ(key->FinishDecrypt(tag).code(), ErrorCode::kInternal);  // direction differs
  ASSERT_TRUE(key->Begin(true, Bytes(12)).ok());
  EXPECT_EQ(key->Update(data, std::span<uint8_t>(data.data(), 15)).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(key->FinishEncrypt(tag).ok());
  EXPECT_EQ(key->FinishEncrypt(tag).code(), ErrorCode::kInternal);  // the message is over
}

// Every size the crypt path meets, each a new message on the same key: the same bytes as the
// one-shot functions, whole and in uneven pieces, and back.
TEST(AesGcmKeyTest, MatchesOneShotFunctionsAtEverySize) {
  const Bytes raw_key = RandomBytes(kKeySize);
  auto key = AesGcmKey::Create(raw_key);
  ASSERT_TRUE(key.ok());
  for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{4095}, size_t{65536},
                      size_t{1} << 20, size_t{16} * 1024 * 1024 - 64 * 1024}) {
    SCOPED_TRACE(size);
    const Bytes nonce = RandomBytes(kNonceSize);
    const ByteSpan aad = size % 2 ? AsBytes("aad") : ByteSpan();
    const Bytes plain = RandomBytes(size);
    Bytes want = *AesGcmEncrypt(raw_key, nonce, aad, plain);

    Bytes whole = plain;
    Tag tag{};
    ASSERT_TRUE(key->EncryptInPlace(nonce, aad, whole, tag).ok());
    EXPECT_EQ(WithTag(whole, tag), want);

    Bytes pieces = plain;
    ASSERT_TRUE(key->Begin(true, nonce, aad).ok());
    for (size_t done = 0, step = 1; done < size; step = step * 3 + 5) {
      const size_t n = std::min(step, size - done);
      std::span<uint8_t> piece(pieces.data() + done, n);
      ASSERT_TRUE(key->Update(piece, piece).ok());
      done += n;
    }
    Tag piece_tag{};
    ASSERT_TRUE(key->FinishEncrypt(piece_tag).ok());
    EXPECT_EQ(WithTag(pieces, piece_tag), want);

    // Out of place, back to the plaintext.
    Bytes back(size);
    ASSERT_TRUE(key->Begin(false, nonce, aad).ok());
    ASSERT_TRUE(key->Update(whole, back).ok());
    ASSERT_TRUE(key->FinishDecrypt(tag).ok());
    EXPECT_EQ(back, plain);
  }
}

TEST(AesGcmKeyTest, WrongTagFailsAndZeroesTheData) {
  const Bytes raw_key = RandomBytes(kKeySize);
  const Bytes nonce = RandomBytes(kNonceSize);
  auto key = AesGcmKey::Create(raw_key);
  ASSERT_TRUE(key.ok());
  Bytes data = RandomBytes(4095);
  const Bytes plain = data;
  Tag tag{};
  ASSERT_TRUE(key->EncryptInPlace(nonce, {}, data, tag).ok());
  const Bytes cipher = data;

  Tag bad = tag;
  bad[5] ^= 1;
  EXPECT_EQ(key->DecryptInPlace(nonce, {}, data, bad).code(), ErrorCode::kDecryptFailed);
  EXPECT_TRUE(std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; }));

  data = cipher;  // wrong aad, wrong nonce: refused too
  EXPECT_EQ(key->DecryptInPlace(nonce, AsBytes("x"), data, tag).code(), ErrorCode::kDecryptFailed);
  data = cipher;
  EXPECT_EQ(key->DecryptInPlace(RandomBytes(kNonceSize), {}, data, tag).code(),
            ErrorCode::kDecryptFailed);

  data = cipher;  // a failure leaves the key usable
  ASSERT_TRUE(key->DecryptInPlace(nonce, {}, data, tag).ok());
  EXPECT_EQ(data, plain);
  // And another key does not open it.
  auto other = AesGcmKey::Create(RandomBytes(kKeySize));
  ASSERT_TRUE(other.ok());
  data = cipher;
  EXPECT_EQ(other->DecryptInPlace(nonce, {}, data, tag).code(), ErrorCode::kDecryptFailed);
}

TEST(AesGcmKeyTest, AbandonedMessageDoesNotLeakIntoTheNext) {
  const Bytes raw_key = RandomBytes(kKeySize);
  auto key = AesGcmKey::Create(raw_key);
  ASSERT_TRUE(key.ok());
  Bytes junk(100, 1);
  ASSERT_TRUE(key->Begin(true, Bytes(12, 1), AsBytes("aad")).ok());
  ASSERT_TRUE(key->Update(junk, junk).ok());  // never finished
  const Bytes nonce = RandomBytes(kNonceSize);
  Bytes data(64, 9);
  Tag tag{};
  ASSERT_TRUE(key->EncryptInPlace(nonce, {}, data, tag).ok());
  EXPECT_EQ(WithTag(data, tag), *AesGcmEncrypt(raw_key, nonce, {}, Bytes(64, 9)));
}

TEST(AesGcmKeyTest, MovedKeyKeepsWorking) {
  const Bytes raw_key = RandomBytes(kKeySize);
  auto created = AesGcmKey::Create(raw_key);
  ASSERT_TRUE(created.ok());
  AesGcmKey key = std::move(created).value();
  AesGcmKey moved = std::move(key);
  const Bytes nonce = RandomBytes(kNonceSize);
  Bytes data(32, 3);
  Tag tag{};
  ASSERT_TRUE(moved.EncryptInPlace(nonce, {}, data, tag).ok());
  EXPECT_EQ(WithTag(data, tag), *AesGcmEncrypt(raw_key, nonce, {}, Bytes(32, 3)));
}

}  // namespace
}  // namespace licet::crypto
