// licet_crypt through the real liblicet.so against a real licetd (in-process, on a temp
// socket): every size from 0 to LICET_CRYPT_MAX_LEN on both paths (socket below 16 KiB, shared
// memory with progress from there on) gives what crypto::AesGcmEncrypt / AesCtrXor give with
// the key licetd derives, and failures leave the caller's buffer as the C API promises.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "crypto/crypto.h"
#include "daemon/crypt_key.h"
#include "daemon/server_fixture.h"
#include "licet/licet.h"

namespace licet::daemon::testing {
namespace {

constexpr uint32_t kEncryptionCode = 42;

class CryptLicetdTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    StartDaemon();
    setenv("LICET_SOCKET", config_.socket.c_str(), 1);
    licet_access_params p = LICET_ACCESS_PARAMS_INIT;
    p.firm_code = kFirm;
    p.product_code = 201010;
    ASSERT_EQ(licet_access(&p, &handle_), LICET_OK) << licet_errmsg();
  }
  void TearDown() override {
    licet_release(handle_);
    StopDaemon();  // the shared connection notices and reconnects in the next test
    unsetenv("LICET_SOCKET");
    ServerTest::TearDown();
  }
  SecretBytes Key() const {
    engine::ContainerStore store(config_.home);
    auto container = store.Open(serial_);
    EXPECT_TRUE(container.ok());
    return *DeriveCryptKey(*container->state.FindProduct(kFirm, 201010),
                           ItemKey{serial_, kFirm, 201010}, 0, kEncryptionCode);
  }
  static licet_crypt_params Params(uint8_t iv_byte) {
    licet_crypt_params p = LICET_CRYPT_PARAMS_INIT;
    p.encryption_code = kEncryptionCode;
    std::fill(std::begin(p.iv), std::end(p.iv), iv_byte);
    return p;
  }

  licet_handle* handle_ = nullptr;
};

TEST_F(CryptLicetdTest, EveryOpAtEverySizeEqualsOpenSsl) {
  const SecretBytes key = Key();
  std::mt19937 random(3);
  for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{4095}, size_t{16384}, size_t{65536},
                      size_t{65536 + 5}, size_t{1} << 20, LICET_CRYPT_MAX_LEN}) {
    SCOPED_TRACE(size);
    Bytes plain(size);
    for (uint8_t& b : plain) b = static_cast<uint8_t>(random());
    licet_crypt_params p = Params(static_cast<uint8_t>(size));
    const Bytes iv(std::begin(p.iv), std::end(p.iv));

    Bytes buf = plain;
    ASSERT_EQ(licet_crypt(handle_, LICET_CRYPT_ENCRYPT, &p, buf.data(), size), LICET_OK)
        << licet_errmsg();
    Bytes got = buf;
    got.insert(got.end(), std::begin(p.tag), std::end(p.tag));
    EXPECT_TRUE(got == *crypto::AesGcmEncrypt(key.span(), iv, {}, plain));

    // A wrong tag: refused, and the buffer still holds the ciphertext (no plaintext).
    const Bytes cipher = buf;
    licet_crypt_params bad = p;
    bad.tag[15] ^= 0x40;
    EXPECT_EQ(licet_crypt(handle_, LICET_CRYPT_DECRYPT, &bad, buf.data(), size),
              LICET_ERROR_DECRYPT_FAILED);
    EXPECT_TRUE(buf == cipher);

    ASSERT_EQ(licet_crypt(handle_, LICET_CRYPT_DECRYPT, &p, buf.data(), size), LICET_OK)
        << licet_errmsg();
    EXPECT_TRUE(buf == plain);

    // Direct mode: AES-256-CTR from iv || 0.
    ASSERT_EQ(licet_crypt(handle_, LICET_CRYPT_DIRECT, &p, buf.data(), size), LICET_OK);
    Bytes ctr = plain;
    std::array<uint8_t, crypto::kCtrBlockSize> counter{};
    std::copy(iv.begin(), iv.end(), counter.begin());
    ASSERT_TRUE(crypto::AesCtrXor(key.span(), counter, ctr).ok());
    EXPECT_TRUE(buf == ctr);
  }
}

TEST_F(CryptLicetdTest, RefusedCallsLeaveTheBufferAlone) {
  Bytes buf(LICET_CRYPT_MAX_LEN + 1, 7);
  const Bytes before = buf;
  licet_crypt_params p = Params(1);
  EXPECT_EQ(licet_crypt(handle_, LICET_CRYPT_ENCRYPT, &p, buf.data(), buf.size()),
            LICET_ERROR_INVALID_ARGUMENT);
  // A feature that is not licensed: licetd refuses before it starts.
  p.feature_code = 0x80;
  EXPECT_EQ(licet_crypt(handle_, LICET_CRYPT_ENCRYPT, &p, buf.data(), 65536),
            LICET_ERROR_FEATURE_MISSING);
  EXPECT_TRUE(buf == before);
}

TEST_F(CryptLicetdTest, ManyCallsInARowStayCorrect) {
  // Back to back, as the benchmark calls it: licetd's poll after each crypt picks the next
  // request up; every result must still be the right one.
  const SecretBytes key = Key();
  Bytes plain(65536, 0x5a);
  for (int i = 0; i < 200; ++i) {
    licet_crypt_params p = Params(static_cast<uint8_t>(i));
    Bytes buf = plain;
    ASSERT_EQ(licet_crypt(handle_, LICET_CRYPT_ENCRYPT, &p, buf.data(), buf.size()), LICET_OK)
        << licet_errmsg();
    if (i % 50 == 0) {
      Bytes got = buf;
      got.insert(got.end(), std::begin(p.tag), std::end(p.tag));
      EXPECT_TRUE(
          got == *crypto::AesGcmEncrypt(key.span(), Bytes(12, static_cast<uint8_t>(i)), {}, plain));
    }
  }
}

}  // namespace
}  // namespace licet::daemon::testing
