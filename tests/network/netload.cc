// licet-netload: a load driver for the network license server. Each simulated client has its
// own TLS connection and its own client identity (client id and machine), as separate client
// machines would.
//
//   licet-netload race|hold --server HOST:PORT --fingerprint sha256:HEX --firm F --product P
//                 [--clients N] [--mode 1|2|4|8] [--heartbeat S] [--release-after-ms MS]
//
// race: every client asks for one seat at the same moment; prints one line
//       "granted=G denied=D held_max=H codes=CODE:COUNT,..." once every answer is in, where
//       held_max is the most seats this driver's clients held at once (counted client-side);
//       then holds the granted seats until stdin closes or says "release", releases them
//       and prints "released".
// hold: like race, then prints "held=H connected=C" every 200 ms (H: tickets still held,
//       C: clients connected to a server) until stdin closes.
// Exit 0 on a completed run, 2 on bad usage.
#include <poll.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "network/client.h"
#include "network/tls.h"

namespace {

using namespace licet;
namespace asio = boost::asio;

int Usage() {
  std::fprintf(stderr,
               "usage: licet-netload race|hold --server H:P --fingerprint FP --firm F "
               "--product P [--clients N] [--mode M] [--heartbeat S]\n");
  return 2;
}

// True when stdin has a line or is closed (without blocking longer than `ms`).
bool StdinSignalled(int ms) {
  pollfd p{0, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  // stdout is the protocol with the test: the library's log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("netload"));
  spdlog::set_level(spdlog::level::warn);
  std::string command = argv[1];
  std::string server, fingerprint;
  uint32_t firm = 0, product = 0;
  int clients = 1, mode = 1, heartbeat = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--server")
      server = value;
    else if (flag == "--fingerprint")
      fingerprint = value;
    else if (flag == "--firm")
      firm = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    else if (flag == "--product")
      product = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    else if (flag == "--clients")
      clients = std::atoi(value.c_str());
    else if (flag == "--mode")
      mode = std::atoi(value.c_str());
    else if (flag == "--heartbeat")
      heartbeat = std::atoi(value.c_str());
    else
      return Usage();
  }
  if ((command != "race" && command != "hold") || server.empty() || firm == 0 || product == 0 ||
      clients < 1 || clients > 20000) {
    return Usage();
  }
  auto address = network::ParseServerAddress(server);
  auto pin = network::ParseFingerprint(fingerprint);
  if (!address.ok() || !pin.ok()) {
    std::fprintf(stderr, "licet-netload: %s\n",
                 (!address.ok() ? address.status() : pin.status()).ToString().c_str());
    return 2;
  }

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::shared_ptr<network::Client>> pool;
  for (int i = 0; i < clients; ++i) {
    network::ClientOptions o;
    o.servers.push_back(*address);
    o.tls.pinned.push_back(*pin);
    o.host = "netload-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    o.machine = o.host;
    o.heartbeat_interval = heartbeat;
    o.connect_timeout = 30;
    o.request_timeout = 30;
    auto c = network::Client::Create(io, o);
    if (!c.ok()) {
      std::fprintf(stderr, "licet-netload: %s\n", c.status().ToString().c_str());
      return 2;
    }
    pool.push_back(*c);
  }
  std::thread runner([&io] { io.run(); });

  std::mutex mu;
  std::map<int, int> codes;
  std::vector<network::TicketId> tickets(static_cast<size_t>(clients), 0);
  std::atomic<int> answered{0}, granted{0}, held{0}, held_max{0};
  for (int i = 0; i < clients; ++i) {
    network::AccessRequest a;
    a.firm_code = firm;
    a.product_code = product;
    a.mode = static_cast<model::AccessMode>(mode);
    a.user = "load";
    pool[static_cast<size_t>(i)]->Access(
        a, [&, i](Result<network::TicketId> t, const network::Grant&) {
          if (t.ok()) {
            tickets[static_cast<size_t>(i)] = *t;
            ++granted;
            int now = ++held;
            int seen = held_max.load();
            while (now > seen && !held_max.compare_exchange_weak(seen, now)) {
            }
          } else {
            std::lock_guard<std::mutex> lock(mu);
            ++codes[static_cast<int>(t.status().code())];
          }
          ++answered;
        });
  }
  while (answered.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::string code_text;
  for (const auto& [code, count] : codes) {
    code_text +=
        (code_text.empty() ? "" : ",") + std::to_string(code) + ":" + std::to_string(count);
  }
  std::printf("granted=%d denied=%d held_max=%d codes=%s\n", granted.load(),
              clients - granted.load(), held_max.load(), code_text.c_str());
  std::fflush(stdout);

  if (command == "hold") {
    while (!StdinSignalled(200)) {
      size_t still = 0, connected = 0;
      for (auto& c : pool) {
        still += c->held_tickets();
        connected += c->connected_server().empty() ? 0 : 1;
      }
      std::printf("held=%zu connected=%zu\n", still, connected);
      std::fflush(stdout);
    }
  } else {
    while (!StdinSignalled(1000)) {
    }
  }
  std::atomic<int> released{0};
  int to_release = 0;
  for (int i = 0; i < clients; ++i) {
    if (tickets[static_cast<size_t>(i)] == 0) continue;
    ++to_release;
    pool[static_cast<size_t>(i)]->Release(tickets[static_cast<size_t>(i)],
                                          [&](Status) { ++released; });
  }
  for (int i = 0; i < 2000 && released.load() < to_release; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("released\n");
  std::fflush(stdout);
  for (auto& c : pool) c->Close();
  work.reset();
  io.stop();
  runner.join();
  return 0;
}
