#include "network/discovery.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/crypto.h"

namespace licet::network {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

DiscoveryAnswer Answer(size_t serials = 2) {
  DiscoveryAnswer a;
  a.nonce = Bytes(kDiscoveryNonceSize, 4);
  a.port = 22450;
  for (size_t i = 0; i < serials; ++i) a.serials.push_back("130-" + std::to_string(1000000 + i));
  a.fingerprint = Bytes(32, 9);
  return a;
}

TEST(DiscoveryCodecTest, ProbeRoundTripAndSize) {
  const Bytes nonce(kDiscoveryNonceSize, 1);
  const Bytes probe = EncodeDiscoveryProbe(nonce);
  EXPECT_GE(probe.size(), kDiscoveryProbeSize);
  EXPECT_LE(probe.size(), kDiscoveryProbeSize + 8);
  auto parsed = ParseDiscoveryProbe(probe);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, nonce);
}

TEST(DiscoveryCodecTest, ProbeRejectsShortOrMalformed) {
  // An unpadded probe is refused: answering it would amplify.
  json small{{"licet", "probe"},
             {"v", 1},
             {"nonce", json::binary(Bytes(16, 1))},
             {"pad", json::binary(Bytes())}};
  EXPECT_FALSE(ParseDiscoveryProbe(json::to_cbor(small)).ok());
  auto padded = [](json m) {
    m["pad"] = json::binary(Bytes(kDiscoveryProbeSize, 0));
    return json::to_cbor(m);
  };
  EXPECT_TRUE(ParseDiscoveryProbe(padded(small)).ok());
  json wrong = small;
  wrong["v"] = 2;
  EXPECT_FALSE(ParseDiscoveryProbe(padded(wrong)).ok());
  wrong = small;
  wrong["nonce"] = json::binary(Bytes(15, 1));
  EXPECT_FALSE(ParseDiscoveryProbe(padded(wrong)).ok());
  wrong = small;
  wrong["extra"] = 1;
  EXPECT_FALSE(ParseDiscoveryProbe(padded(wrong)).ok());
  wrong = small;
  wrong["licet"] = "server";
  EXPECT_FALSE(ParseDiscoveryProbe(padded(wrong)).ok());
  Bytes huge = padded(small);
  huge.resize(kMaxDiscoveryDatagram + 1, 0);
  EXPECT_FALSE(ParseDiscoveryProbe(huge).ok());
  Bytes trailing = padded(small);
  trailing.push_back(0);
  EXPECT_FALSE(ParseDiscoveryProbe(trailing).ok());
}

TEST(DiscoveryCodecTest, AnswerRoundTripNeverLargerThanTheProbe) {
  auto bytes = EncodeDiscoveryAnswer(Answer(), kDiscoveryProbeSize);
  ASSERT_TRUE(bytes.ok());
  auto parsed = ParseDiscoveryAnswer(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->port, 22450);
  EXPECT_EQ(parsed->serials, Answer().serials);
  EXPECT_EQ(parsed->fingerprint, Bytes(32, 9));
  // Too many serials: at most 8, and only as many as fit the size given.
  auto eight = EncodeDiscoveryAnswer(Answer(20), kDiscoveryProbeSize);
  ASSERT_TRUE(eight.ok());
  EXPECT_LE(eight->size(), kDiscoveryProbeSize);
  EXPECT_EQ(ParseDiscoveryAnswer(*eight)->serials.size(), kMaxDiscoverySerials);
  auto tight = EncodeDiscoveryAnswer(Answer(8), 120);
  ASSERT_TRUE(tight.ok());
  EXPECT_LE(tight->size(), 120u);
  EXPECT_LT(ParseDiscoveryAnswer(*tight)->serials.size(), 8u);
  EXPECT_FALSE(EncodeDiscoveryAnswer(Answer(), 40).ok());
}

TEST(DiscoveryCodecTest, AnswerRejectsMalformed) {
  json good = json::from_cbor(*EncodeDiscoveryAnswer(Answer(), kDiscoveryProbeSize));
  auto bad = [&](const char* key, json value) {
    json m = good;
    m[key] = std::move(value);
    return ParseDiscoveryAnswer(json::to_cbor(m)).ok();
  };
  EXPECT_FALSE(bad("port", 0));
  EXPECT_FALSE(bad("port", 70000));
  EXPECT_FALSE(bad("port", -1));
  EXPECT_FALSE(bad("fingerprint", json::binary(Bytes(31, 0))));
  EXPECT_FALSE(bad("serials", json::array({std::string(33, 'a')})));
  EXPECT_FALSE(bad("serials", json::array({"a b"})));
  EXPECT_FALSE(bad("serials", json::array({1})));
  EXPECT_FALSE(bad("serials", json::array({"1", "2", "3", "4", "5", "6", "7", "8", "9"})));
  EXPECT_FALSE(bad("licet", "probe"));
  EXPECT_FALSE(bad("extra", true));
  EXPECT_FALSE(ParseDiscoveryAnswer(Bytes{0xa0}).ok());
  EXPECT_FALSE(ParseDiscoveryAnswer(Bytes()).ok());
}

TEST(DiscoveryRateLimiterTest, LimitsPerSourceAndOverall) {
  DiscoveryRateLimiter limiter(2, 5, 100);
  auto t = std::chrono::steady_clock::now();
  EXPECT_TRUE(limiter.Allow("10.0.0.1", t));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", t));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", t));  // its burst is spent
  EXPECT_TRUE(limiter.Allow("10.0.0.2", t));
  EXPECT_TRUE(limiter.Allow("10.0.0.3", t));
  EXPECT_TRUE(limiter.Allow("10.0.0.4", t));
  EXPECT_FALSE(limiter.Allow("10.0.0.5", t));  // the overall budget is spent
  t += std::chrono::seconds(1);
  EXPECT_TRUE(limiter.Allow("10.0.0.1", t));  // refilled
}

TEST(DiscoveryOrderTest, PinnedFirstThenByAddress) {
  std::vector<DiscoveredServer> found = {
      {{"10.0.0.9", 22450}, {}, Bytes(32, 1)},
      {{"10.0.0.2", 22450}, {}, Bytes(32, 2)},
      {{"10.0.0.5", 22450}, {}, Bytes(32, 3)},
  };
  auto order = OrderDiscovered(found, {Bytes(32, 3)});
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0].host, "10.0.0.5");
  EXPECT_EQ(order[1].host, "10.0.0.2");
  EXPECT_EQ(order[2].host, "10.0.0.9");
}

// A responder and a probe over loopback (broadcast needs a real network: test_network_netns).
TEST(DiscoveryLoopbackTest, ProbeFindsTheResponder) {
  asio::io_context io;
  DiscoveryResponder responder(io, [] {
    DiscoveryAnswer a = Answer(1);
    a.port = 4242;
    return a;
  });
  ASSERT_TRUE(responder.Listen("127.0.0.1", 0).ok());
  responder.Start();
  std::promise<std::vector<DiscoveredServer>> result;
  DiscoveryOptions options;
  options.port = responder.port();
  options.targets = {"127.0.0.1"};
  options.wait_ms = 200;
  DiscoverServers(io, options, [&](std::vector<DiscoveredServer> found) {
    result.set_value(std::move(found));
    responder.Stop();
  });
  std::thread t([&] { io.run(); });
  auto found = result.get_future().get();
  t.join();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].address.host, "127.0.0.1");
  EXPECT_EQ(found[0].address.port, 4242);
  EXPECT_EQ(found[0].fingerprint, Bytes(32, 9));
  EXPECT_EQ(responder.answered(), 1u);
}

TEST(DiscoveryLoopbackTest, GarbageAndFloodsGetNoAnswer) {
  asio::io_context io;
  DiscoveryResponder responder(io, [] { return Answer(1); });
  ASSERT_TRUE(responder.Listen("127.0.0.1", 0).ok());
  responder.Start();
  std::thread t([&] { io.run(); });
  asio::io_context client_io;
  asio::ip::udp::socket s(client_io, asio::ip::udp::v4());
  const asio::ip::udp::endpoint server(asio::ip::make_address("127.0.0.1"), responder.port());
  s.send_to(asio::buffer(Bytes(600, 0xff)), server);  // not CBOR
  s.send_to(asio::buffer(Bytes(10, 0xa0)), server);   // too short
  const Bytes probe = EncodeDiscoveryProbe(Bytes(kDiscoveryNonceSize, 3));
  for (int i = 0; i < 50; ++i) s.send_to(asio::buffer(probe), server);
  for (int i = 0; i < 100 && responder.answered() + responder.dropped() < 52; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  responder.Stop();
  t.join();
  EXPECT_GE(responder.answered(), 1u);
  EXPECT_LE(responder.answered(), 6u);  // the burst of one source, not 50
  EXPECT_EQ(responder.answered() + responder.dropped(), 52u);
}

}  // namespace
}  // namespace licet::network
