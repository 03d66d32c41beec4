// licet-central-load: fires activations at License Central from many simulated machines
// at once and prints a JSON report (tests/load_driver.h). For the end-to-end tests and for
// trying a deployment:
//
//   licet-central-load --server http://127.0.0.1:22480 --ticket T --firm-code 6000010
//                      --containers 200 --concurrency 200 [--home DIR]
//
// Exits 0 once every request has an outcome (refusals and unreachable servers included:
// the report counts them); 1 when the machines cannot be prepared; 2 for bad usage.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "central/tests/load_driver.h"

int main(int argc, char** argv) {
  using namespace licet::central::load;
  CLI::App cli{"licet-central-load: concurrent activations against License Central"};
  std::vector<std::string> servers;
  LoadOptions o;
  int timeout_ms = 30000;
  cli.add_option("--server", servers, "http://IP:PORT (repeat for round-robin)")->required();
  cli.add_option("--ticket", o.tickets, "ticket (repeat: request i uses ticket i mod n)")
      ->required();
  cli.add_option("--firm-code", o.firm_code, "firm of the tickets")->required();
  cli.add_option("--containers", o.containers, "simulated machines, one request each")
      ->check(CLI::Range(1, 100000));
  cli.add_option("--concurrency", o.concurrency, "client threads (default: --containers)")
      ->check(CLI::Range(1, 1000));
  cli.add_option("--home", o.home, "real containers in this ContainerStore (default: in memory)");
  cli.add_option("--verify-every", o.verify_every, "import every Nth answer (0: none)");
  cli.add_option("--timeout-ms", timeout_ms, "per request");
  cli.add_option("--ready-file", o.ready_file, "created when the requests start");
  CLI11_PARSE(cli, argc, argv);
  if (cli.count("--concurrency") == 0) o.concurrency = std::min(o.containers, 1000);
  o.timeout = std::chrono::milliseconds(timeout_ms);
  for (const auto& s : servers) {
    auto e = ParseEndpoint(s);
    if (!e.ok()) {
      std::fprintf(stderr, "licet-central-load: %s\n", e.status().ToString().c_str());
      return 2;
    }
    o.servers.push_back(*e);
  }
  auto driver = LoadDriver::Prepare(o);
  if (!driver.ok()) {
    std::fprintf(stderr, "licet-central-load: %s\n", driver.status().ToString().c_str());
    return 1;
  }
  LoadReport report = (*driver)->Run();
  std::printf("%s\n", report.ToJson().c_str());
  return 0;
}
