// The progress word of a shared-memory crypt (docs/PROTOCOL.md "Progress of a shared-memory
// crypt") against an in-process licetd: results equal to crypto::AesGcmEncrypt at every size,
// hostile words refused, a word the client scribbles on while licetd works, and the poll for
// the next request after a crypt (session.cc) when the client goes away.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "crypto/crypto.h"
#include "daemon/crypt_key.h"
#include "daemon/server_fixture.h"

namespace licet::daemon::testing {
namespace {

constexpr uint64_t kWordOffset = 0;  // the layout liblicet uses: the word, then data from 64
constexpr uint64_t kDataOffset = 64;
constexpr uint32_t kEncryptionCode = 42;

class ShmProgressTest : public ShmServerTest {
 protected:
  void SetUp() override {
    ShmServerTest::SetUp();
    StartDaemon();
    client_ = Client();
    json access = Access(*client_);
    ASSERT_EQ(access["code"], 0);
    handle_ = access["handle"];
    auto region = protocol::ShmRegion::Create(protocol::kMaxShmSize);
    ASSERT_TRUE(region.ok());
    region_ = std::move(region).value();
    // Attach the region with an empty crypt.
    json attach = ShmCrypt(*client_, Request(1), 0, 0, region_->fd(), region_->size());
    ASSERT_EQ(attach["code"], 0) << attach.dump();
  }

  json Request(int op) const {
    return {{"handle", handle_},
            {"crypt_op", op},
            {"encryption_code", kEncryptionCode},
            {"iv", json::binary(Bytes(12, 0x21))}};
  }
  // A crypt of [kDataOffset, + length) that asks for progress at `word`.
  json Streamed(json request, uint64_t length, json word = kWordOffset) {
    request["shm_progress"] = std::move(word);
    return ShmCrypt(*client_, std::move(request), kDataOffset, length);
  }
  SecretBytes Key() const {
    engine::ContainerStore store(config_.home);
    auto container = store.Open(serial_);
    EXPECT_TRUE(container.ok());
    const model::ProductItem* item = container->state.FindProduct(kFirm, 201010);
    EXPECT_NE(item, nullptr);
    return *DeriveCryptKey(*item, ItemKey{serial_, kFirm, 201010}, 0, kEncryptionCode);
  }
  std::span<uint8_t> Data(size_t length) const {
    return region_->bytes().subspan(kDataOffset, length);
  }

  std::unique_ptr<TestClient> client_;
  uint64_t handle_ = 0;
  std::unique_ptr<protocol::ShmRegion> region_;
};

uint64_t LoadWord(const protocol::ShmRegion& region, uint64_t offset) {
  return region.Counter(offset, {}, "word").value().Load();
}

TEST_F(ShmProgressTest, AnswerSaysLicetdsCpuWhenTheClientSaysItsOwn) {
  json with_cpu = Request(1);
  with_cpu["cpu"] = 12345;  // another CPU than licetd's: licetd polls after answering
  json r = Streamed(with_cpu, 4096);
  ASSERT_EQ(r["code"], 0) << r.dump();
  ASSERT_TRUE(r["cpu"].is_number_unsigned());
  EXPECT_LT(r["cpu"].get<uint64_t>(), 4096u);
  json hostile = Request(1);
  hostile["cpu"] = "zero";  // ignored: a hint, never an error
  r = Streamed(hostile, 4096);
  EXPECT_EQ(r["code"], 0) << r.dump();
  EXPECT_FALSE(r.contains("cpu"));
  EXPECT_FALSE(Streamed(Request(1), 4096).contains("cpu"));
}

TEST_F(ShmProgressTest, HelloOffersProgress) {
  json hello = client_->Call({{"op", "hello"}, {"version", 1}});
  EXPECT_EQ(hello["shm"], true);
  EXPECT_EQ(hello["shm_progress"], true);
}

TEST_F(ShmProgressTest, ResultsEqualAesGcmAtEverySizeAndTheWordReachesTheLength) {
  const SecretBytes key = Key();
  const Bytes iv(12, 0x21);
  auto word = *region_->Counter(kWordOffset, {}, "word");
  std::mt19937 random(7);
  // 0, 1, a block, under a page, the benchmark's 64 KiB, 1 MiB (a worker runs it) and the
  // largest licet_crypt buffer.
  for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{4095}, size_t{65536},
                      size_t{1} << 20, size_t{16} * 1024 * 1024 - 64 * 1024}) {
    SCOPED_TRACE(size);
    Bytes plain(size);
    for (uint8_t& b : plain) b = static_cast<uint8_t>(random());
    Bytes want = *crypto::AesGcmEncrypt(key.span(), iv, {}, plain);

    std::copy(plain.begin(), plain.end(), Data(size).begin());
    word.Store(0xdeadbeefdeadbeef);  // licetd only writes the word, never trusts it
    json enc = Streamed(Request(1), size);
    ASSERT_EQ(enc["code"], 0) << enc.dump();
    EXPECT_EQ(word.Load(), size);
    ASSERT_TRUE(enc["tag"].is_binary());
    Bytes got(Data(size).begin(), Data(size).end());
    const auto& tag = enc["tag"].get_binary();
    got.insert(got.end(), tag.begin(), tag.end());
    EXPECT_TRUE(got == want);

    json dec = Request(2);
    dec["tag"] = enc["tag"];
    word.Store(0);
    json back = Streamed(dec, size);
    ASSERT_EQ(back["code"], 0) << back.dump();
    EXPECT_EQ(word.Load(), size);
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), Data(size).begin()));

    // A wrong tag: code 6, and the range (which licetd decrypted piece by piece) is zeroed.
    if (size == 0) continue;
    std::copy(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(size), Data(size).begin());
    Bytes bad_tag(tag.begin(), tag.end());
    bad_tag[0] ^= 1;
    dec["tag"] = json::binary(bad_tag);
    EXPECT_EQ(Streamed(dec, size)["code"], 6);
    auto range = Data(size);
    EXPECT_TRUE(std::all_of(range.begin(), range.end(), [](uint8_t b) { return b == 0; }));
  }
  // Over the limit of the region: refused.
  EXPECT_EQ(Streamed(Request(1), region_->size() - kDataOffset + 1)["code"], 1);
  // Direct mode: the whole length at once.
  word.Store(0);
  EXPECT_EQ(Streamed(Request(3), 100000)["code"], 0);
  EXPECT_EQ(word.Load(), 100000u);
}

TEST_F(ShmProgressTest, HostileWordsAreRefusedBeforeAnythingChanges) {
  const size_t size = 4096;
  Bytes plain(size, 0x5a);
  std::copy(plain.begin(), plain.end(), Data(size).begin());
  const uint64_t end = region_->size();
  for (json word : {json(3), json(4), json(60), json(64), json(64 + 4088), json(end - 4), json(end),
                    json(UINT64_MAX), json(-8), json("0"), json(json::binary(Bytes(8)))}) {
    SCOPED_TRACE(word.dump());
    json r = Streamed(Request(1), size, word);
    EXPECT_EQ(r["code"], 1) << r.dump();
    EXPECT_NE(r.value("message", "").find("shm_progress"), std::string::npos) << r.dump();
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), Data(size).begin()));
  }
  // Without shared memory for the data.
  json over_socket = Request(1);
  over_socket["op"] = "crypt";
  over_socket["data"] = json::binary(plain);
  over_socket["shm_progress"] = 0;
  EXPECT_EQ(client_->Call(over_socket)["code"], 1);
  // Right after the data, and at the region's last word: fine.
  EXPECT_EQ(Streamed(Request(1), size, kDataOffset + size)["code"], 0);
  EXPECT_EQ(LoadWord(*region_, kDataOffset + size), size);
  EXPECT_EQ(Streamed(Request(3), size, end - 8)["code"], 0);
  EXPECT_EQ(LoadWord(*region_, end - 8), size);
  EXPECT_EQ(client_->Call({{"op", "info"}, {"handle", handle_}})["code"], 0);
}

TEST_F(ShmProgressTest, ClientScribblingOnTheWordOnlySpoilsItsOwnView) {
  const size_t size = size_t{1} << 20;
  Bytes plain(size, 0x33);
  std::copy(plain.begin(), plain.end(), Data(size).begin());
  Bytes want = *crypto::AesGcmEncrypt(Key().span(), Bytes(12, 0x21), {}, plain);
  auto word = *region_->Counter(kWordOffset, {}, "word");
  std::atomic<bool> stop{false};
  std::thread scribbler([&] {
    for (uint64_t v = 1; !stop.load(std::memory_order_relaxed); v = v * 6364136223846793005u + 1) {
      word.Store(v);
    }
  });
  json enc = Streamed(Request(1), size);
  stop = true;
  scribbler.join();
  ASSERT_EQ(enc["code"], 0) << enc.dump();
  EXPECT_TRUE(std::equal(Data(size).begin(), Data(size).end(), want.begin()));
}

TEST_F(ShmProgressTest, SessionPollingForTheNextCryptSeesAClose) {
  // The only seat is this client's; it closes right after a crypt answer, while licetd polls
  // its socket for the next crypt: the close must still free the seat at once.
  json request = Request(1);
  request["cpu"] = 12345;
  ASSERT_EQ(Streamed(request, 65536)["code"], 0);
  client_->Close();
  json access;
  for (int i = 0; i < 100; ++i) {
    access = Access(*Client());
    if (access["code"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(access["code"], 0) << access.dump();
}

TEST_F(ShmProgressTest, CryptsBackToBackAndAfterAPauseAreAllServed) {
  // Quick requests meet the poll after a crypt; slow ones find it over (then the session
  // skips polling for a few crypts) and are read from epoll as usual. Another client is
  // served in between.
  auto other = Client();
  json request = Request(1);
  request["cpu"] = 12345;  // not licetd's CPU: it polls after each answer
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(Streamed(request, 65536)["code"], 0);
    if (i % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (i % 7 == 0) {
      EXPECT_EQ(other->Call({{"op", "hello"}, {"version", 1}})["code"], 0);
    }
  }
  EXPECT_EQ(client_->Call({{"op", "info"}, {"handle", handle_}})["code"], 0);
}

}  // namespace
}  // namespace licet::daemon::testing
