#include "central/tests/load_driver.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "central/http/client.h"
#include "common/clock.h"
#include "crypto/crypto.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"
#include "model/operation.h"

namespace licet::central::load {

using nlohmann::json;

struct LoadDriver::Machine {
  std::string serial;
  Bytes context;
  std::optional<engine::SoftContainer> in_memory;  // unset: a container in options_.home
};

namespace {

// Device properties of the simulated machines: fixed, so in-memory containers do not
// depend on the machine running the driver.
std::vector<container::DeviceProperty> SimulatedProperties() {
  return {{container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
          {container::PropertyKind::kCpuSignature, {"load driver cpu"}},
          {container::PropertyKind::kRootDisk, {"load-driver-disk"}}};
}

// What engine::ImportUpdate does, on a container in memory.
Status ImportInMemory(engine::SoftContainer& c, ByteSpan update) {
  LICET_ASSIGN_OR_RETURN(auto header, engine::ReadUpdateFile(update));
  if (header.serial != c.serial) {
    return Error(ErrorCode::kWrongContainer, "update for " + header.serial + ", not " + c.serial);
  }
  if (const auto* f = c.state.FindFirm(header.firm_code)) {
    if (f->public_key != header.firm_public_key) {
      return Error(ErrorCode::kUntrustedSigner, "signed by another firm key");
    }
  }
  LICET_ASSIGN_OR_RETURN(auto ops, engine::OpenUpdateOperations(header, c));
  return model::ApplyOperations(c.state, header.firm_code, ops, header.certified_time).status();
}

std::string ProblemCode(const std::string& body) {
  json p = json::parse(body, nullptr, false);
  if (p.is_object() && p.contains("code") && p["code"].is_string()) return p["code"];
  return "";
}

}  // namespace

Result<Endpoint> ParseEndpoint(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error(ErrorCode::kInvalidArgument, "server '" + url + "' is not http://IP:PORT");
  }
  Endpoint e;
  e.host = rest.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(rest.data() + colon + 1, rest.data() + rest.size(), port);
  if (ec != std::errc() || end != rest.data() + rest.size() || port == 0 || port > 65535) {
    return Error(ErrorCode::kInvalidArgument, "server '" + url + "' has a bad port");
  }
  e.port = static_cast<uint16_t>(port);
  return e;
}

double LoadReport::Percentile(double p) const {
  std::vector<double> v;
  for (const auto& o : outcomes) {
    if (o.status != 0) v.push_back(o.latency_ms);
  }
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string LoadReport::ToJson() const {
  std::map<std::string, int> by_status, by_code;
  std::vector<std::string> failures;
  for (const auto& o : outcomes) {
    by_status[std::to_string(o.status)]++;
    if (!o.code.empty()) by_code[o.code]++;
    if (!o.error.empty() && failures.size() < 10) failures.push_back(o.serial + ": " + o.error);
  }
  json j = {{"requests", outcomes.size()},
            {"seconds", seconds},
            {"rate", rate()},
            {"answered_ok", answered_ok},
            {"new_activations", new_activations},
            {"unanswered", unanswered},
            {"verified", verified},
            {"verify_failures", verify_failures},
            {"by_status", by_status},
            {"by_code", by_code},
            {"latency_ms",
             {{"p50", Percentile(50)},
              {"p90", Percentile(90)},
              {"p99", Percentile(99)},
              {"max", Percentile(100)}}},
            {"first_errors", failures}};
  return j.dump(2);
}

LoadDriver::LoadDriver(const LoadOptions& options) : options_(options) {}
LoadDriver::~LoadDriver() = default;

Result<std::unique_ptr<LoadDriver>> LoadDriver::Prepare(const LoadOptions& options) {
  if (options.servers.empty() || options.tickets.empty() || options.containers < 1 ||
      options.concurrency < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "need a server, a ticket, at least one container and one thread");
  }
  std::unique_ptr<LoadDriver> d(new LoadDriver(options));
  const UnixTime now = SystemClock::Get().Now();
  if (options.home.empty()) {
    const auto props = SimulatedProperties();
    // Consecutive numbers from a random start: runs against the same database must not
    // reuse a serial with new keys (Central would refuse it as a forgery), and numbers drawn
    // one by one at random collide within a run of thousands (the birthday bound: about
    // 1 % for 6,000 of 2^31).
    constexpr uint64_t kNumbers = 0x7ffffffe;
    const uint64_t start = crypto::RandomUniform(kNumbers);
    for (int i = 0; i < options.containers; ++i) {
      auto number = static_cast<uint32_t>(1 + (start + static_cast<uint64_t>(i)) % kNumbers);
      LICET_ASSIGN_OR_RETURN(auto c, engine::CreateSoftContainer(number, props, 2, now));
      auto m = std::make_unique<Machine>();
      m->serial = c.serial;
      LICET_ASSIGN_OR_RETURN(m->context, engine::MakeContextFile(c, options.firm_code,
                                                                 format::FileKind::kContext, now));
      m->in_memory.emplace(std::move(c));
      d->machines_.push_back(std::move(m));
    }
  } else {
    engine::ContainerStore store(options.home);
    LICET_ASSIGN_OR_RETURN(auto serials, store.ListSerials());
    while (static_cast<int>(serials.size()) < options.containers) {
      LICET_ASSIGN_OR_RETURN(std::string s, store.Create());
      serials.push_back(s);
    }
    std::sort(serials.begin(), serials.end());
    for (int i = 0; i < options.containers; ++i) {
      auto m = std::make_unique<Machine>();
      m->serial = serials[static_cast<size_t>(i)];
      LICET_ASSIGN_OR_RETURN(auto c, store.Open(m->serial));
      LICET_ASSIGN_OR_RETURN(m->context, engine::MakeContextFile(c, options.firm_code,
                                                                 format::FileKind::kContext, now));
      d->machines_.push_back(std::move(m));
    }
  }
  return d;
}

LoadReport LoadDriver::Run() {
  const size_t n = machines_.size();
  LoadReport report;
  report.outcomes.resize(n);
  std::vector<std::string> bodies(n);
  std::atomic<size_t> next{0};

  // Every thread connects only once all are ready: "N at once" means at once.
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  const int threads = std::min<int>(options_.concurrency, static_cast<int>(n));
  std::atomic<int64_t> client_cpu_ns{0};
  auto thread_cpu_ns = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  };
  auto worker = [&] {
    {
      std::unique_lock lock(mu);
      ++ready;
      cv.notify_all();
      cv.wait(lock, [&] { return go; });
    }
    const int64_t cpu_start = thread_cpu_ns();
    for (size_t i = next++; i < n; i = next++) {
      const Machine& m = *machines_[i];
      Outcome& o = report.outcomes[i];
      o.serial = m.serial;
      const Endpoint& server = options_.servers[i % options_.servers.size()];
      http::ClientRequest req;
      req.method = "POST";
      req.target = "/api/v1/activations";
      req.content_type = "application/cbor";
      req.headers.emplace_back("Licet-Ticket", options_.tickets[i % options_.tickets.size()]);
      req.body.assign(m.context.begin(), m.context.end());
      auto start = std::chrono::steady_clock::now();
      auto res = http::HttpCall(server.host, server.port, req, options_.timeout);
      o.latency_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!res.ok()) {
        o.error = res.status().ToString();
        continue;
      }
      o.status = res->status;
      if (o.status == 200) {
        const std::string* fresh = res->Header("licet-new-activation");
        o.new_activation = fresh != nullptr && *fresh == "true";
        bodies[i] = std::move(res->body);
      } else {
        o.code = ProblemCode(res->body);
      }
    }
    client_cpu_ns += thread_cpu_ns() - cpu_start;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ready == threads; });
    go = true;
  }
  if (!options_.ready_file.empty()) std::ofstream(options_.ready_file).flush();
  auto start = std::chrono::steady_clock::now();
  cv.notify_all();
  for (auto& t : pool) t.join();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.client_cpu_seconds = static_cast<double>(client_cpu_ns.load()) / 1e9;

  std::optional<engine::ContainerStore> store;
  if (!options_.home.empty()) store.emplace(options_.home);
  int answered = 0;
  for (size_t i = 0; i < n; ++i) {
    Outcome& o = report.outcomes[i];
    if (o.status == 0) ++report.unanswered;
    if (o.status != 200) continue;
    ++report.answered_ok;
    if (o.new_activation) ++report.new_activations;
    if (options_.verify_every <= 0 || answered++ % options_.verify_every != 0) continue;
    Bytes update = ToBytes(bodies[i]);
    Status st = machines_[i]->in_memory ? ImportInMemory(*machines_[i]->in_memory, update)
                                        : engine::ImportUpdate(*store, update).status();
    if (st.ok()) {
      o.verified = true;
      ++report.verified;
    } else {
      o.error = "import: " + st.ToString();
      ++report.verify_failures;
    }
  }
  return report;
}

}  // namespace licet::central::load
