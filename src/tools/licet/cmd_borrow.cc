// licet borrow: asks a network license server for a seat for N days, over TLS as `licet
// network status` does, and installs the signed borrow entry into a soft container of this
// machine (through ContainerStore's lock and atomic write; a running licetd sees the new file
// on its next access). Each loan is also recorded in HOME/borrow/<borrow_id>.json with the
// server it came from, so that `licet borrow return` can give it back and `licet borrow list`
// can show it.
#include "tools/licet/cmd_borrow.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/env.h"
#include "crypto/crypto.h"
#include "engine/borrow_entry.h"
#include "engine/container_store.h"
#include "network/client.h"
#include "network/tls.h"
#include "tools/licet/cmd_network.h"

namespace licet::cli {
namespace {

using nlohmann::json;

struct BorrowOptions {
  std::string server;        // --server, else the first of $LICET_SERVERS
  std::string fingerprints;  // --fingerprint, else $LICET_SERVER_FINGERPRINTS
  std::string ca;            // --ca, else $LICET_SERVER_CA
  std::string firm_code;
  std::string product_code;
  std::string feature_code;
  std::string days = "7";
  std::string serial;  // --serial: the container to borrow into
  std::string user;    // --user: for the server's table and rules (default: $USER)
};

// A loan as this machine keeps it: HOME/borrow/<id>.json.
struct LocalLoan {
  uint64_t borrow_id = 0;
  std::string server;  // host:port it came from
  std::string serial;  // the container it is installed in
  uint32_t firm_code = 0;
  uint32_t product_code = 0;
  UnixTime until = 0;
  Bytes entry;
};

std::string LoanDir(const Globals& g) { return JoinPath(g.home, "borrow"); }

json LoanJson(const LocalLoan& l) {
  return json{{"borrow_id", l.borrow_id},
              {"server", l.server},
              {"serial", l.serial},
              {"firm_code", l.firm_code},
              {"product_code", l.product_code},
              {"until", FormatTime(l.until)},
              {"until_unix", l.until},
              {"entry", HexEncode(l.entry)}};
}

Result<LocalLoan> LoanFromFile(ByteSpan bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error(ErrorCode::kCorruptData, "not JSON");
  try {
    LocalLoan l;
    l.borrow_id = j.at("borrow_id").get<uint64_t>();
    l.server = j.at("server").get<std::string>();
    l.serial = j.at("serial").get<std::string>();
    l.firm_code = j.at("firm_code").get<uint32_t>();
    l.product_code = j.at("product_code").get<uint32_t>();
    l.until = j.at("until_unix").get<UnixTime>();
    LICET_ASSIGN_OR_RETURN(l.entry, HexDecode(j.at("entry").get<std::string>()));
    return l;
  } catch (const json::exception& e) {
    return Error(ErrorCode::kCorruptData, e.what());
  }
}

std::string LoanPath(const Globals& g, uint64_t id) {
  return JoinPath(LoanDir(g), std::to_string(id) + ".json");
}

Result<std::vector<LocalLoan>> ReadLoans(const Globals& g) {
  std::vector<LocalLoan> loans;
  Env& env = Env::Default();
  if (!env.FileExists(LoanDir(g))) return loans;
  LICET_ASSIGN_OR_RETURN(auto names, env.ListDirectory(LoanDir(g)));
  for (const std::string& name : names) {
    if (name.size() < 6 || name.substr(name.size() - 5) != ".json") continue;
    const std::string path = JoinPath(LoanDir(g), name);
    auto bytes = env.ReadFile(path, 1 << 20);
    if (!bytes.ok()) return bytes.status();
    auto loan = LoanFromFile(*bytes);
    if (!loan.ok()) return loan.status().WithContext(path);
    loans.push_back(std::move(*loan));
  }
  return loans;
}

// A one-shot TLS client to `servers` (flags, else the environment), trusted like `licet
// network status`.
Result<network::ClientOptions> ClientOptionsFor(const std::string& servers_flag,
                                                const BorrowOptions& o) {
  return NetworkClientOptions(servers_flag, o.fingerprints, o.ca);
}

// Runs `call` on a fresh network client and waits for its answer.
template <typename T, typename Call>
Result<T> OneShot(network::ClientOptions options, Call call) {
  // stdout carries the answer: the network library logs to stderr, warnings only.
  if (!spdlog::get("licet")) spdlog::set_default_logger(spdlog::stderr_color_mt("licet"));
  spdlog::set_level(spdlog::level::warn);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  LICET_ASSIGN_OR_RETURN(auto client, network::Client::Create(io, std::move(options)));
  std::thread runner([&io] { io.run(); });
  std::promise<Result<T>> answer;
  call(*client, [&answer](Result<T> r) { answer.set_value(std::move(r)); });
  Result<T> r = answer.get_future().get();
  client->Close();
  work.reset();
  runner.join();
  return r;
}

std::string UserName(const BorrowOptions& o) {
  if (!o.user.empty()) return o.user;
  std::string u = EnvValue("USER");
  return u.empty() ? "uid:" + std::to_string(::getuid()) : u;
}

Status Borrow(const Globals& g, const BorrowOptions& o) {
  if (o.firm_code.empty() || o.product_code.empty()) {
    return Error(ErrorCode::kInvalidArgument, "give --firm-code and --product-code");
  }
  network::BorrowRequest request;
  LICET_ASSIGN_OR_RETURN(uint64_t firm, ParseNumber(o.firm_code, UINT32_MAX, "--firm-code"));
  LICET_ASSIGN_OR_RETURN(uint64_t product,
                         ParseNumber(o.product_code, UINT32_MAX, "--product-code"));
  LICET_ASSIGN_OR_RETURN(
      uint64_t feature,
      ParseNumber(o.feature_code.empty() ? "0" : o.feature_code, UINT32_MAX, "--feature-code"));
  LICET_ASSIGN_OR_RETURN(uint64_t days,
                         ParseNumber(o.days, network::kMaxBorrowRequestDays, "--days"));
  if (firm == 0 || product == 0 || days == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "--firm-code, --product-code and --days must not be 0");
  }
  request.firm_code = static_cast<uint32_t>(firm);
  request.product_code = static_cast<uint32_t>(product);
  request.feature_code = static_cast<uint32_t>(feature);
  request.days = static_cast<uint32_t>(days);
  request.user = UserName(o);

  // The container: --serial, else the only one, else a new soft container (as activate does).
  engine::ContainerStore store(g.home);
  std::string serial = o.serial;
  bool created = false;
  if (serial.empty()) {
    LICET_ASSIGN_OR_RETURN(auto serials, store.ListSerials());
    if (serials.empty()) {
      LICET_ASSIGN_OR_RETURN(serial, store.Create());
      created = true;
    }
  }
  LICET_ASSIGN_OR_RETURN(serial, store.ResolveSerial(serial));
  {
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store.Open(serial));
    if (c.state.FindProduct(request.firm_code, request.product_code) != nullptr) {
      return Error(ErrorCode::kAlreadyExists, "container " + serial + " already holds product " +
                                                  o.product_code + " of firm " + o.firm_code +
                                                  "; nothing to borrow ('licet borrow list')");
    }
    request.client_serial = c.serial;
    request.client_sig_key = c.sig_public_key;
    request.client_enc_key = c.enc_public_key;
  }
  LICET_ASSIGN_OR_RETURN(network::ClientOptions options, ClientOptionsFor(o.server, o));
  const std::string server = options.servers.front().ToString();
  auto grant = OneShot<network::BorrowGrant>(
      options, [&](network::Client& c, auto done) { c.Borrow(request, std::move(done)); });
  if (!grant.ok()) return grant.status().WithContext("cannot borrow from " + server);

  LocalLoan loan{grant->borrow_id,     server,       serial,      request.firm_code,
                 request.product_code, grant->until, grant->entry};
  // The record first: a loan installed without it could not be returned early.
  LICET_RETURN_IF_ERROR(Env::Default().CreateDirectories(LoanDir(g), 0700));
  const std::string path = LoanPath(g, loan.borrow_id);
  const std::string text = LoanJson(loan).dump(2) + "\n";
  LICET_RETURN_IF_ERROR(Env::Default().WriteFileAtomic(
      path, ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 0600));
  Status installed = store.Modify(serial, [&](engine::SoftContainer& c) -> Result<bool> {
    LICET_ASSIGN_OR_RETURN(engine::BorrowEntry e,
                           engine::OpenBorrowEntry(grant->entry, c, store.clock().Now()));
    if (e.borrow_id != grant->borrow_id || e.firm_code != request.firm_code ||
        e.product_code != request.product_code) {
      return Error(ErrorCode::kCorruptData, "the server's entry is not the loan it announced");
    }
    LICET_RETURN_IF_ERROR(engine::InstallBorrowedItem(c, e));
    return true;
  });
  if (!installed.ok()) {
    // Give the seat back at once rather than leave it lent to nobody.
    (void)Env::Default().RemoveFile(path);
    auto c = store.Open(serial);
    if (c.ok()) {
      auto proof =
          crypto::Ed25519Sign(c->sig_private_key, network::BorrowReturnMessage(loan.borrow_id));
      if (proof.ok()) {
        network::BorrowReturnRequest back{loan.borrow_id, *proof};
        (void)OneShot<bool>(options, [&](network::Client& cl, auto done) {
          cl.BorrowReturn(
              back, [done](Status s) { done(s.ok() ? Result<bool>(true) : Result<bool>(s)); });
        });
      }
    }
    return installed.WithContext("cannot install the borrowed license");
  }
  if (g.json) {
    json j = LoanJson(loan);
    j.erase("entry");
    j["created_container"] = created;
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (created) std::printf("created soft container %s\n", serial.c_str());
  std::printf("borrowed product %u of firm %u from %s into container %s until %s (loan %llu)\n",
              loan.product_code, loan.firm_code, server.c_str(), serial.c_str(),
              FormatTime(loan.until).c_str(), static_cast<unsigned long long>(loan.borrow_id));
  return Status::Ok();
}

Status Return(const Globals& g, const BorrowOptions& o) {
  LICET_ASSIGN_OR_RETURN(uint64_t firm, ParseNumber(o.firm_code, UINT32_MAX, "--firm-code"));
  LICET_ASSIGN_OR_RETURN(uint64_t product,
                         ParseNumber(o.product_code, UINT32_MAX, "--product-code"));
  LICET_ASSIGN_OR_RETURN(auto loans, ReadLoans(g));
  const LocalLoan* loan = nullptr;
  for (const LocalLoan& l : loans) {
    if (l.firm_code == firm && l.product_code == product &&
        (o.serial.empty() || o.serial == l.serial)) {
      loan = &l;
    }
  }
  if (loan == nullptr) {
    return Error(ErrorCode::kEntryNotFound, "no borrowed product " + o.product_code + " of firm " +
                                                o.firm_code +
                                                " on this machine ('licet borrow list')");
  }
  engine::ContainerStore store(g.home);
  // The license leaves this machine before the server frees the seat: never both at once.
  Status removed = store.Modify(loan->serial, [&](engine::SoftContainer& c) -> Result<bool> {
    return engine::RemoveBorrowedItem(c, loan->firm_code, loan->product_code);
  });
  if (!removed.ok()) return removed.WithContext("cannot remove the borrowed license");
  const std::string path = LoanPath(g, loan->borrow_id);
  if (loan->until <= store.clock().Now()) {
    (void)Env::Default().RemoveFile(path);  // the server dropped it at `until`
    std::printf("the loan had expired; removed it\n");
    return Status::Ok();
  }
  LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store.Open(loan->serial));
  LICET_ASSIGN_OR_RETURN(
      Bytes proof,
      crypto::Ed25519Sign(c.sig_private_key, network::BorrowReturnMessage(loan->borrow_id)));
  LICET_ASSIGN_OR_RETURN(network::ClientOptions options,
                         ClientOptionsFor(o.server.empty() ? loan->server : o.server, o));
  network::BorrowReturnRequest back{loan->borrow_id, proof};
  auto answer = OneShot<bool>(options, [&](network::Client& cl, auto done) {
    cl.BorrowReturn(back,
                    [done](Status s) { done(s.ok() ? Result<bool>(true) : Result<bool>(s)); });
  });
  if (!answer.ok() && answer.status().code() != ErrorCode::kEntryNotFound) {
    return answer.status().WithContext(
        "the license is removed from this machine, but " + loan->server +
        " was not told; run 'licet borrow return' again when it is reachable (else the seat "
        "comes back by itself at " +
        FormatTime(loan->until) + ")");
  }
  (void)Env::Default().RemoveFile(path);
  if (g.json) {
    std::printf("%s\n",
                json{{"returned", loan->borrow_id}, {"server", loan->server}}.dump(2).c_str());
  } else {
    std::printf("returned product %u of firm %u to %s\n", loan->product_code, loan->firm_code,
                loan->server.c_str());
  }
  return Status::Ok();
}

Status List(const Globals& g) {
  LICET_ASSIGN_OR_RETURN(auto loans, ReadLoans(g));
  const UnixTime now = SystemClock::Get().Now();
  if (g.json) {
    json rows = json::array();
    for (const LocalLoan& l : loans) {
      json j = LoanJson(l);
      j.erase("entry");
      j["state"] = l.until > now ? "active" : "expired";
      rows.push_back(std::move(j));
    }
    std::printf("%s\n", json{{"borrows", rows}}.dump(2).c_str());
    return Status::Ok();
  }
  std::printf("%-9s %-9s %-16s %-24s %-20s %-8s %s\n", "FIRM", "PRODUCT", "CONTAINER", "SERVER",
              "UNTIL", "STATE", "LOAN");
  for (const LocalLoan& l : loans) {
    std::printf("%-9u %-9u %-16s %-24s %-20s %-8s %llu\n", l.firm_code, l.product_code,
                l.serial.c_str(), l.server.c_str(), FormatTime(l.until).c_str(),
                l.until > now ? "active" : "expired", static_cast<unsigned long long>(l.borrow_id));
  }
  std::printf("%zu borrowed license(s)\n", loans.size());
  return Status::Ok();
}

void AddTrustOptions(CLI::App* cmd, BorrowOptions& o) {
  cmd->add_option("--fingerprint", o.fingerprints,
                  "pinned SHA-256 fingerprint(s) of the server certificate "
                  "($LICET_SERVER_FINGERPRINTS)");
  cmd->add_option("--ca", o.ca, "CA file of the server certificate ($LICET_SERVER_CA)");
}

}  // namespace

void RegisterBorrowCommands(CLI::App& app, Globals& g, Action* action) {
  auto o = std::make_shared<BorrowOptions>();
  CLI::App* borrow = app.add_subcommand(
      "borrow",
      "take a network seat into this machine's soft container for some days (works without "
      "the server until it expires or is returned)");
  borrow->require_subcommand(0, 1);
  borrow->add_option("--server", o->server, "HOST[:PORT] (default: the first of $LICET_SERVERS)");
  AddTrustOptions(borrow, *o);
  borrow->add_option("--firm-code", o->firm_code, "firm code");
  borrow->add_option("--product-code", o->product_code, "product code");
  borrow->add_option("--feature-code", o->feature_code, "feature bits needed (default 0)");
  borrow->add_option("--days", o->days, "days to borrow for (default 7; at most the item's limit)");
  borrow->add_option("--serial", o->serial,
                     "the container to borrow into (default: the only one; "
                     "a new one when there is none)");
  borrow->add_option("--user", o->user, "user name for the server's table (default $USER)");
  borrow->add_flag("--json", g.json, "print JSON");

  CLI::App* ret = borrow->add_subcommand("return", "give a borrowed seat back to its server early");
  ret->add_option("--firm-code", o->firm_code, "firm code")->required();
  ret->add_option("--product-code", o->product_code, "product code")->required();
  ret->add_option("--serial", o->serial, "the container (when several hold the product)");
  ret->add_option("--server", o->server, "HOST[:PORT] (default: the server it was borrowed from)");
  AddTrustOptions(ret, *o);
  ret->add_flag("--json", g.json, "print JSON");
  ret->callback([&g, action, o] { *action = [&g, o] { return Return(g, *o); }; });

  CLI::App* list = borrow->add_subcommand("list", "the borrowed licenses of this machine");
  list->add_flag("--json", g.json, "print JSON");
  list->callback([&g, action] { *action = [&g] { return List(g); }; });

  borrow->callback([&g, action, o, ret, list] {
    if (ret->parsed() || list->parsed()) return;
    *action = [&g, o] { return Borrow(g, *o); };
  });
}

}  // namespace licet::cli
