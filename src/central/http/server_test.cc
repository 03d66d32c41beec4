// The Beast server over real sockets on 127.0.0.1.
#include "central/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "central/http/client.h"
#include "central/http/log.h"

namespace licet::central::http {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions o = {}) {
    ASSERT_TRUE(InitLogging(getenv("LOGS") ? "debug" : "off", "text").ok());
    o.listen = "127.0.0.1:0";
    auto s = HttpServer::Create(o, [this](const HttpRequest& r) { return Handle(r); });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    server_->Start();
  }

  HttpResponse Handle(const HttpRequest& r) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    if (r.path == "/remote") {
      HttpResponse resp;
      resp.body = r.remote_ip;
      return resp;
    }
    if (r.path == "/slow") std::this_thread::sleep_for(300ms);
    HttpResponse resp;
    resp.body = r.method + " " + r.path + " ?" + r.query + " " + r.body + " id=" + r.request_id;
    resp.content_type = "text/plain";
    ++handled_;
    return resp;
  }

  Result<ClientResponse> Call(ClientRequest req) {
    return HttpCall("127.0.0.1", server_->port(), req);
  }

  // Sends raw bytes and returns everything the server answers until it closes.
  std::string Raw(const std::string& bytes) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket sock(ioc);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(sock, boost::asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (true) {
      size_t n = sock.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(ServerTest, ServesRequestsAndEchoesTheRequestId) {
  Start();
  ClientRequest req;
  req.method = "POST";
  req.target = "/a/b?x=1";
  req.body = "hello";
  req.headers = {{"X-Request-Id", "my-id_1.2"}};
  auto r = Call(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /a/b ?x=1 hello id=my-id_1.2");
  ASSERT_NE(r->Header("x-request-id"), nullptr);
  EXPECT_EQ(*r->Header("x-request-id"), "my-id_1.2");
  // An unsafe request id is replaced by a generated one.
  req.headers = {{"X-Request-Id", "bad id; rm -rf"}};
  r = Call(req);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->Header("x-request-id"), nullptr);
  EXPECT_EQ(r->Header("x-request-id")->size(), 16u);
}

TEST_F(ServerTest, XForwardedForIsBelievedOnlyFromTrustedProxies) {
  Start();  // no trusted proxies: the header is ignored
  ClientRequest req;
  req.target = "/remote";
  req.headers = {{"X-Forwarded-For", "203.0.113.1"}};
  auto r = Call(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "127.0.0.1");
}

TEST_F(ServerTest, BehindATrustedProxyTheForwardedClientIsSeen) {
  ServerOptions o;
  auto t = TrustedProxies::Parse("127.0.0.0/8");
  ASSERT_TRUE(t.ok());
  o.trusted_proxies = *t;
  Start(o);
  ClientRequest req;
  req.target = "/remote";
  req.headers = {{"X-Forwarded-For", "192.0.2.99, 203.0.113.1"}};
  auto r = Call(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "203.0.113.1");
  req.headers = {{"X-Forwarded-For", "203.0.113.1:80"}};  // malformed: the peer
  r = Call(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "127.0.0.1");
}

TEST_F(ServerTest, BodyLimitGives413) {
  ServerOptions o;
  o.body_limit = 100;
  Start(o);
  ClientRequest req;
  req.method = "POST";
  req.body = std::string(101, 'x');
  auto r = Call(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->content_type, "application/problem+json");
  EXPECT_NE(r->body.find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(ServerTest, MalformedRequestGives400) {
  Start();
  std::string answer = Raw("GARBAGE\x01 / HTTP/1.1\r\n\r\n");
  EXPECT_NE(answer.find("400"), std::string::npos) << answer;
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  std::string answer =
      Raw("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(answer.find("GET /one"), std::string::npos);
  EXPECT_NE(answer.find("GET /two"), std::string::npos);
}

TEST_F(ServerTest, HandlerExceptionsBecome500) {
  Start();
  ClientRequest req;
  req.target = "/throw";
  auto r = Call(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("\"code\":\"internal\""), std::string::npos);
}

TEST_F(ServerTest, SilentClientsAreDisconnectedAfterTheReadTimeout) {
  ServerOptions o;
  o.read_timeout = 1s;
  Start(o);
  auto start = std::chrono::steady_clock::now();
  std::string answer = Raw("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(ServerTest, GracefulStopFinishesRequestsInProgress) {
  Start();
  std::thread client([&] {
    ClientRequest req;
    req.target = "/slow";
    auto r = Call(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  });
  std::this_thread::sleep_for(100ms);
  server_->Stop(5s);
  client.join();
  EXPECT_EQ(handled_.load(), 1);
  ClientRequest req;
  EXPECT_FALSE(Call(req).ok()) << "no longer accepting";
}

TEST_F(ServerTest, ManyConcurrentClients) {
  ServerOptions o;
  o.workers = 4;
  Start(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&] {
      ClientRequest req;
      auto r = Call(req);
      if (r.ok() && r->status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST(ListenAddressTest, Parses) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:22480")->port, 22480);
  EXPECT_EQ(ParseListenAddress("[::1]:0")->host, "::1");
  EXPECT_FALSE(ParseListenAddress("localhost:1").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:65536").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:").ok());
  EXPECT_FALSE(ParseListenAddress(":80").ok());
}

}  // namespace
}  // namespace licet::central::http
