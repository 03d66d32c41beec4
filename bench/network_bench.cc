// The network license server (docs/NETWORK.md): access+release over loopback TLS 1.3, one
// client's p50/p99 and the throughput of several pipelining clients, as ratios to a bare TLS
// request/response round trip (same frames, an echo server, same TLS settings) measured in the
// same run; and the memory of 100,000 concurrent leases (DESIGN §6).
//
//   build/bench/network_bench                 full run (about 15 s)
//   LICET_BENCH_SMOKE=1 build/bench/network_bench   CI smoke run (a second)
//
// The server runs in this process on its own io thread (as licetd with threads = 1); the
// clients are blocking TLS sockets on other threads, speaking the wire protocol directly, so
// that the figures are the server's and the network path's, not a client library's.
// Targets on 2 cores (issue 5): at least 20,000 access+release per second, p50 at most 3x the
// bare round trip, 100,000 leases in at most 256 MiB RSS. A miss is reported, not failed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "network/server.h"
#include "network/tls.h"
#include "network/wire.h"
#include "protocol/protocol.h"

namespace licet::bench {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kProduct = 13;

double PercentileUs(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  return v[i];
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// A blocking TLS client speaking length-prefixed CBOR frames.
class RawClient {
 public:
  RawClient(ssl::context& ctx, uint16_t port) : stream_(io_, ctx) {
    stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    stream_.next_layer().set_option(tcp::no_delay(true));
    stream_.handshake(ssl::stream_base::client);
  }
  void Send(const std::vector<json>& messages) {
    out_.clear();
    for (const json& m : messages) {
      Bytes f = protocol::EncodeFrame(m);
      out_.insert(out_.end(), f.begin(), f.end());
    }
    asio::write(stream_, asio::buffer(out_));
  }
  json Read() {
    uint8_t header[4];
    asio::read(stream_, asio::buffer(header, 4));
    size_t n = *protocol::DecodeFrameLength(ByteSpan(header, 4));
    body_.resize(n);
    asio::read(stream_, asio::buffer(body_));
    return *protocol::DecodeMessage(body_);
  }
  // Raw bytes for the echo baseline.
  void SendRaw(const Bytes& frame) { asio::write(stream_, asio::buffer(frame)); }
  void ReadRaw(Bytes& frame) { asio::read(stream_, asio::buffer(frame)); }

 private:
  asio::io_context io_;
  ssl::stream<tcp::socket> stream_;
  Bytes out_;
  Bytes body_;
};

// The baseline: a TLS server that echoes every byte, on the same kind of io thread.
class EchoServer {
 public:
  EchoServer(asio::io_context& io, ssl::context& ctx)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}), ctx_(ctx) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Conn : std::enable_shared_from_this<Conn> {
    Conn(tcp::socket s, ssl::context& c) : stream(std::move(s), c) {}
    void Start() {
      stream.async_handshake(ssl::stream_base::server, [self = shared_from_this()](auto ec) {
        if (!ec) self->Read();
      });
    }
    void Read() {
      stream.async_read_some(asio::buffer(buf), [self = shared_from_this()](auto ec, size_t n) {
        if (ec) return;
        asio::async_write(self->stream, asio::buffer(self->buf.data(), n),
                          [self](auto ec2, size_t) {
                            if (!ec2) self->Read();
                          });
      });
    }
    ssl::stream<tcp::socket> stream;
    std::array<uint8_t, 16384> buf{};
  };
  void Accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        std::make_shared<Conn>(std::move(s), ctx_)->Start();
      }
      Accept();
    });
  }
  tcp::acceptor acceptor_;
  ssl::context& ctx_;
};

json Hello(int n) {
  network::HelloRequest h;
  h.version = network::kNetworkProtocolVersion;
  h.client_id = Bytes(network::kClientIdSize, static_cast<uint8_t>(n + 1));
  h.host = "bench" + std::to_string(n);
  h.machine = h.host;
  return network::EncodeHello(0, h);
}

json Access(uint64_t id) {
  network::AccessRequest a;
  a.firm_code = kFirm;
  a.product_code = kProduct;
  a.user = "bench";
  return network::EncodeAccess(id, a);
}

uint64_t LeaseOf(const json& r) { return r.value("lease", uint64_t{0}); }

}  // namespace

int Main() {
  const bool smoke = std::getenv("LICET_BENCH_SMOKE") != nullptr;
  const int rounds = smoke ? 500 : 20000;
  const double throughput_seconds = smoke ? 0.3 : 3.0;
  const int leases_target = smoke ? 10000 : 100000;

  auto dir =
      std::filesystem::temp_directory_path() / ("licet-netbench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  network::ServerTlsConfig tls{(dir / "s.crt").string(), (dir / "s.key").string(), ""};
  if (Status st = network::EnsureServerCertificate(tls.cert_file, tls.key_file, "localhost");
      !st.ok()) {
    std::fprintf(stderr, "network_bench: %s\n", st.ToString().c_str());
    return 1;
  }
  network::ClientTlsConfig ctls;
  ctls.pinned.push_back(*network::CertificateFingerprint(tls.cert_file));
  auto client_ctx = network::MakeClientContext(ctls);
  auto echo_ctx = network::MakeServerContext(tls);

  asio::io_context io;
  network::ServerOptions options;
  options.tls = tls;
  json item{{"firm_code", kFirm}, {"product_code", kProduct}, {"license_quantity", 1000000}};
  network::Server server(
      io, options,
      [&item](const network::AccessRequest&) -> Result<network::ItemSpec> {
        return network::ItemSpec{"130-1", 1000000, 120, item};
      },
      &SystemClock::Get());
  if (Status st = server.Listen("127.0.0.1", 0); !st.ok()) {
    std::fprintf(stderr, "network_bench: %s\n", st.ToString().c_str());
    return 1;
  }
  server.Start();
  EchoServer echo(io, **echo_ctx);
  std::thread io_thread([&io] { io.run(); });

  // 1. One client in turns: bare TLS round trip (frames of an access request's size), then
  // access+release (two round trips through the server).
  RawClient bare(**client_ctx, echo.port());
  RawClient one(**client_ctx, server.port());
  one.Send({Hello(0)});
  one.Read();
  Bytes frame = protocol::EncodeFrame(Access(1));
  Bytes reply(frame.size());
  std::vector<double> bare_us, pair_us;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = SteadyClock::now();
    bare.SendRaw(frame);
    bare.ReadRaw(reply);
    auto t1 = SteadyClock::now();
    one.Send({Access(2)});
    uint64_t lease = LeaseOf(one.Read());
    one.Send({network::EncodeRelease(3, lease)});
    one.Read();
    auto t2 = SteadyClock::now();
    bare_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    pair_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  const double bare_p50 = PercentileUs(bare_us, 50), bare_p99 = PercentileUs(bare_us, 99);
  const double pair_p50 = PercentileUs(pair_us, 50), pair_p99 = PercentileUs(pair_us, 99);

  // 2. Throughput: clients on their own threads, each pipelining a window of accesses then
  // their releases, as a relay licetd multiplexes its applications.
  const int kClients = 4;
  const int kWindow = 32;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> pairs{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      RawClient cl(**client_ctx, server.port());
      cl.Send({Hello(100 + c)});
      cl.Read();
      std::vector<json> batch;
      std::vector<uint64_t> leases;
      while (!stop.load(std::memory_order_relaxed)) {
        batch.clear();
        for (int i = 0; i < kWindow; ++i) batch.push_back(Access(static_cast<uint64_t>(i + 1)));
        cl.Send(batch);
        leases.clear();
        for (int i = 0; i < kWindow; ++i) leases.push_back(LeaseOf(cl.Read()));
        batch.clear();
        for (int i = 0; i < kWindow; ++i)
          batch.push_back(
              network::EncodeRelease(static_cast<uint64_t>(i + 1), leases[static_cast<size_t>(i)]));
        cl.Send(batch);
        for (int i = 0; i < kWindow; ++i) cl.Read();
        pairs.fetch_add(kWindow, std::memory_order_relaxed);
      }
    });
  }
  auto t0 = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(throughput_seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double pairs_per_s = static_cast<double>(pairs.load()) / elapsed;
  // The bare baseline's throughput with the same clients and windows.
  stop = false;
  std::atomic<uint64_t> echoes{0};
  threads.clear();
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      RawClient cl(**client_ctx, echo.port());
      Bytes batch;
      for (int i = 0; i < kWindow; ++i) batch.insert(batch.end(), frame.begin(), frame.end());
      Bytes back(batch.size());
      while (!stop.load(std::memory_order_relaxed)) {
        cl.SendRaw(batch);
        cl.ReadRaw(back);
        echoes.fetch_add(kWindow, std::memory_order_relaxed);
      }
    });
  }
  t0 = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(throughput_seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double echo_per_s = static_cast<double>(echoes.load()) /
                            std::chrono::duration<double>(SteadyClock::now() - t0).count();

  // 3. Memory: leases held at once by 100 clients, the process's RSS before and after.
  const long rss_before = RssKiB();
  {
    std::vector<std::unique_ptr<RawClient>> holders;
    const int kHolders = 100;
    for (int c = 0; c < kHolders; ++c) {
      holders.push_back(std::make_unique<RawClient>(**client_ctx, server.port()));
      holders.back()->Send({Hello(1000 + c)});
      holders.back()->Read();
    }
    const int per = leases_target / kHolders;
    for (auto& h : holders) {
      for (int done = 0; done < per; done += 500) {
        std::vector<json> batch;
        for (int i = 0; i < 500 && done + i < per; ++i)
          batch.push_back(Access(static_cast<uint64_t>(i + 1)));
        h->Send(batch);
        for (size_t i = 0; i < batch.size(); ++i) h->Read();
      }
    }
  }
  const size_t held = server.StatusJson(0)["lease_count"].get<size_t>();
  const long rss_after = RssKiB();

  server.Stop();
  io.stop();
  io_thread.join();
  std::filesystem::remove_all(dir);

  const double p50_ratio = pair_p50 / bare_p50;
  std::printf("\n| measure | value | baseline | ratio |\n|---|---|---|---|\n");
  std::printf(
      "| access+release p50, 1 client | %.1f us | bare TLS round trip p50 %.1f us | %.2fx |\n",
      pair_p50, bare_p50, p50_ratio);
  std::printf(
      "| access+release p99, 1 client | %.1f us | bare TLS round trip p99 %.1f us | %.2fx |\n",
      pair_p99, bare_p99, pair_p99 / bare_p99);
  std::printf(
      "| access+release/s, %d clients x window %d | %.0f | bare TLS round trips/s %.0f | %.2f |\n",
      kClients, kWindow, pairs_per_s, echo_per_s, pairs_per_s / echo_per_s);
  std::printf(
      "| %zu concurrent leases | RSS %.1f MiB (+%.1f MiB) | 256 MiB target | %.0f bytes/lease |\n",
      held, static_cast<double>(rss_after) / 1024,
      static_cast<double>(rss_after - rss_before) / 1024,
      held ? static_cast<double>(rss_after - rss_before) * 1024 / static_cast<double>(held) : 0.0);
  const bool hit_rate = pairs_per_s >= 20000, hit_p50 = p50_ratio <= 3.0,
             hit_rss = rss_after <= 256 * 1024;
  std::printf(
      "\ntargets: >= 20,000 access+release/s: %s; p50 <= 3x bare: %s; 100k leases <= 256 MiB: "
      "%s%s\n",
      hit_rate ? "hit" : "MISS", hit_p50 ? "hit" : "MISS", hit_rss ? "hit" : "MISS",
      smoke ? " (smoke run: figures not meaningful)" : "");
  return held == static_cast<size_t>(leases_target) ? 0 : 1;
}

}  // namespace licet::bench

int main() { return licet::bench::Main(); }
