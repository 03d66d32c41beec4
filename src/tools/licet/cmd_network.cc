// licet network status: asks a network license server for its lease table over TLS, as a
// client licetd would (the server is trusted by pinned fingerprint or CA, as in licetd's
// [network.client]), and prints the table a sysadmin expects.
#include "tools/licet/cmd_network.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "network/client.h"
#include "network/tls.h"

namespace licet::cli {
namespace {

using nlohmann::json;

struct StatusOptions {
  std::string server;        // --server, else the first of $LICET_SERVERS
  std::string fingerprints;  // --fingerprint, else $LICET_SERVER_FINGERPRINTS
  std::string ca;            // --ca, else $LICET_SERVER_CA
};

std::string Text(const json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

Status NetworkStatus(const Globals& g, const StatusOptions& o) {
  LICET_ASSIGN_OR_RETURN(network::ClientOptions options,
                         NetworkClientOptions(o.server, o.fingerprints, o.ca));
  // stdout carries the table or the JSON: the network library logs to stderr, warnings only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("licet"));
  spdlog::set_level(spdlog::level::warn);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  LICET_ASSIGN_OR_RETURN(auto client, network::Client::Create(io, options));
  std::thread runner([&io] { io.run(); });
  std::promise<Result<json>> answer;
  client->QueryStatus([&answer](Result<json> r) { answer.set_value(std::move(r)); });
  Result<json> rows = answer.get_future().get();
  client->Close();
  work.reset();
  runner.join();
  if (!rows.ok()) return rows.status();
  if (g.json) {
    std::printf("%s\n",
                json{{"server", options.servers.front().ToString()}, {"leases", *rows}}.dump(2).c_str());
    return Status::Ok();
  }
  std::printf("%-28s %-16s %-9s %-9s %-14s %-20s %-20s\n", "CLIENT", "CONTAINER", "FIRM", "PRODUCT",
              "MODE", "SINCE", "LAST HEARTBEAT");
  for (const json& row : *rows) {
    if (!row.is_object()) continue;
    std::printf("%-28s %-16s %-9s %-9s %-14s %-20s %-20s\n", Text(row, "client").c_str(),
                Text(row, "container").c_str(), Text(row, "firm_code").c_str(),
                Text(row, "product_code").c_str(), Text(row, "mode").c_str(),
                Text(row, "since").c_str(), Text(row, "last_heartbeat").c_str());
  }
  std::printf("%zu lease(s) on %s\n", rows->size(), options.servers.front().ToString().c_str());
  return Status::Ok();
}

}  // namespace

Result<network::ClientOptions> NetworkClientOptions(const std::string& servers_flag,
                                                    const std::string& fingerprints,
                                                    const std::string& ca) {
  std::string servers = servers_flag.empty() ? EnvValue("LICET_SERVERS") : servers_flag;
  if (servers.empty()) {
    return Error(ErrorCode::kServerNotFound,
                 "which network server? Give --server HOST[:PORT] or set LICET_SERVERS");
  }
  network::ClientOptions options;
  LICET_ASSIGN_OR_RETURN(options.servers, network::ParseServerList(servers));
  std::string pins = fingerprints.empty() ? EnvValue("LICET_SERVER_FINGERPRINTS") : fingerprints;
  for (size_t start = 0; start < pins.size();) {
    size_t comma = pins.find(',', start);
    std::string pin =
        pins.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!pin.empty()) {
      LICET_ASSIGN_OR_RETURN(Bytes fp, network::ParseFingerprint(pin));
      options.tls.pinned.push_back(fp);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  options.tls.ca_file = ca.empty() ? EnvValue("LICET_SERVER_CA") : ca;
  if (options.tls.pinned.empty() && options.tls.ca_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "how to trust the server? Give --fingerprint sha256:... (its licetd prints it "
                 "at start) or --ca FILE, or set LICET_SERVER_FINGERPRINTS or LICET_SERVER_CA");
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  options.host = host;
  options.machine = host;
  return options;
}

void RegisterNetworkCommands(CLI::App& app, Globals& g, Action* action) {
  CLI::App* network = app.add_subcommand("network", "network license servers");
  network->require_subcommand(1);
  auto o = std::make_shared<StatusOptions>();
  CLI::App* status = network->add_subcommand(
      "status",
      "the leases of a network license server: client (host\\user), container, firm "
      "item, product item, access mode, since, last heartbeat");
  status->add_option("--server", o->server, "HOST[:PORT] (default: the first of $LICET_SERVERS)");
  status->add_option("--fingerprint", o->fingerprints,
                     "pinned SHA-256 fingerprint(s) of the server certificate "
                     "($LICET_SERVER_FINGERPRINTS)");
  status->add_option("--ca", o->ca, "CA file of the server certificate ($LICET_SERVER_CA)");
  status->add_flag("--json", g.json, "print JSON");
  status->callback([&g, action, o] { *action = [&g, o] { return NetworkStatus(g, *o); }; });
  RegisterNetworkAuditCommand(*network, g, action);  // cmd_network_audit.cc
}

}  // namespace licet::cli
