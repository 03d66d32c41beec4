// licet activate: the activation wizard without a GUI (DESIGN §2, docs/CENTRAL.md).
//
//   online:  licet activate --server URL --ticket T [--serial S]
//            ticket status -> context of the container -> POST /api/v1/activations ->
//            import the update -> a receipt back to Central (best effort)
//   offline: licet activate --ticket T --offline -o FILE.context [--serial S]
//            writes the context and says where to take it; `licet import` takes the answer
//
// Without --serial the container is the only one of this machine, or a new soft container
// when there is none.
#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "central/http/client.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/update_file.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

using nlohmann::json;

// The containers the wizard works on. Today: the container files of this machine through
// engine::ContainerStore. When licetd runs, the lead swaps this for its local API; nothing
// else in this file touches containers.
class LocalContainers {
 public:
  explicit LocalContainers(const std::string& home) : store_(home) {}

  // The container to activate: `serial`, else the only one, else a new soft container.
  // `*created` tells the caller that it made one.
  Result<std::string> Choose(const std::string& serial, bool* created) {
    *created = false;
    if (serial.empty()) {
      LICET_ASSIGN_OR_RETURN(auto serials, store_.ListSerials());
      if (serials.empty()) {
        LICET_ASSIGN_OR_RETURN(std::string made, store_.Create());
        *created = true;
        return made;
      }
    }
    return store_.ResolveSerial(serial);
  }

  // A signed context (or receipt) of the container, for one firm or all of them.
  Result<Bytes> Context(const std::string& serial, std::optional<uint32_t> firm,
                        format::FileKind kind) {
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store_.Open(serial));
    return engine::MakeContextFile(c, firm, kind, store_.clock().Now());
  }

  Result<engine::ImportResult> Import(ByteSpan update) {
    return engine::ImportUpdate(store_, update);
  }

 private:
  engine::ContainerStore store_;
};

struct ServerUrl {
  std::string text;  // as given, for messages
  std::string host;  // name or address (IPv6 without brackets)
  uint16_t port = 80;
  std::string base;  // path prefix without a trailing slash
};

Result<ServerUrl> ParseServerUrl(const std::string& url) {
  ServerUrl out;
  out.text = url;
  if (url.rfind("https://", 0) == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "https:// is not supported yet by licet activate: use http:// (Central itself "
                 "serves plain HTTP behind a TLS proxy), or activate offline with --offline");
  }
  if (url.rfind("http://", 0) != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "server '" + url + "' is not an http://HOST[:PORT] URL");
  }
  std::string rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.base.empty() && out.base.back() == '/') out.base.pop_back();
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "server '" + url + "': unclosed [");
    }
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Error(ErrorCode::kInvalidArgument, "server '" + url + "': bad port");
      }
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.host.find('@') != std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "server '" + url + "' has no host");
  }
  if (!port.empty() || authority.back() == ':') {
    auto p = ParseNumber(port, 65535, "port");
    if (!p.ok() || *p == 0) {
      return Error(ErrorCode::kInvalidArgument, "server '" + url + "': bad port");
    }
    out.port = static_cast<uint16_t>(*p);
  }
  return out;
}

// The addresses `host` resolves to, as text.
Result<std::vector<std::string>> Resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return Error(ErrorCode::kUnavailable,
                 "cannot resolve '" + host + "': " + std::string(::gai_strerror(rc)));
  }
  std::vector<std::string> out;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0,
                      NI_NUMERICHOST) == 0) {
      out.emplace_back(text);
    }
  }
  ::freeaddrinfo(list);
  if (out.empty()) return Error(ErrorCode::kUnavailable, "'" + host + "' has no address");
  return out;
}

// One request to Central. Tries each address of the host until one accepts the connection
// (a request that reached a server is never sent twice).
Result<central::http::ClientResponse> Call(const ServerUrl& server, central::http::ClientRequest req) {
  LICET_ASSIGN_OR_RETURN(auto addresses, Resolve(server.host));
  req.target = server.base + req.target;
  bool bracket = server.host.find(':') != std::string::npos;
  req.headers.emplace_back("Host", (bracket ? "[" + server.host + "]" : server.host) + ":" +
                                       std::to_string(server.port));
  Status last;
  for (const std::string& address : addresses) {
    auto res = central::http::HttpCall(address, server.port, req);
    if (res.ok()) return res;
    last = res.status();
    if (last.message().rfind("HTTP connect", 0) != 0) break;
  }
  return Error(ErrorCode::kUnavailable,
               "cannot reach License Central at " + server.text + " (" + last.message() + ")");
}

// Text from the server for a one-line message: no control characters, bounded.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

// A problem response (RFC 9457) as a one-line Status: the engine's error code when Central
// sent it, the detail as the message.
Status ProblemStatus(const central::http::ClientResponse& res, const std::string& what) {
  json p = json::parse(res.body, nullptr, false);
  std::string detail, code;
  ErrorCode error = ErrorCode::kInternal;
  if (p.is_object()) {
    if (p.contains("detail") && p["detail"].is_string()) detail = p["detail"].get<std::string>();
    if (p.contains("code") && p["code"].is_string()) code = p["code"].get<std::string>();
    // The frozen numbers of common/status.h are small; anything else is not ours.
    if (p.contains("licet_error") && p["licet_error"].is_number_unsigned() &&
        p["licet_error"].get<uint64_t>() < 1000) {
      error = static_cast<ErrorCode>(p["licet_error"].get<uint64_t>());
    }
  }
  detail = detail.empty() ? "HTTP " + std::to_string(res.status) : OneLine(detail);
  switch (res.status) {
    case 404:
      if (code == "not_found") return Error(ErrorCode::kNotFound, what + " is unknown to Central");
      break;
    case 409:
      if (code == "no_more_licenses") {
        return Error(ErrorCode::kNoMoreLicenses, what + ": the ticket is exhausted (" + detail + ")");
      }
      break;
    case 429: {
      const std::string* after = res.Header("retry-after");
      return Error(ErrorCode::kBusy,
                   what + ": Central limits requests from this address; retry in " +
                       (after != nullptr ? OneLine(*after) + " s" : "a minute"));
    }
    default:
      if (res.status >= 500) {
        return Error(ErrorCode::kUnavailable, what + ": Central failed (" + detail + ")");
      }
  }
  if (error == ErrorCode::kInternal) {
    error = res.status == 404 ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument;
  }
  return Error(error, what + ": " + detail);
}

std::string UrlEscape(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct TicketStatus {
  std::string ticket;  // formatted by Central
  uint32_t firm_code = 0;
  std::string firm_name;
  std::string products;  // "201010 Sample App, 201020 Plugin"
  int64_t activations_left = 0;
};

Result<TicketStatus> GetTicketStatus(const ServerUrl& server, const std::string& ticket) {
  central::http::ClientRequest req;
  req.target = "/api/v1/tickets/" + UrlEscape(ticket) + "/status";
  req.headers.emplace_back("Accept", "application/json");
  LICET_ASSIGN_OR_RETURN(auto res, Call(server, req));
  if (res.status != 200) return ProblemStatus(res, "ticket " + ticket);
  json j = json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.value("firm_code", json()).is_number_unsigned() ||
      !j.value("state", json()).is_string()) {
    return Error(ErrorCode::kProtocolError, "Central's ticket status is not what licet expects");
  }
  TicketStatus s;
  s.ticket = j.value("ticket", json()).is_string() ? j["ticket"].get<std::string>() : ticket;
  s.firm_code = j["firm_code"].get<uint32_t>();
  if (j.value("firm_name", json()).is_string()) s.firm_name = j["firm_name"].get<std::string>();
  if (j.value("activations_left", json()).is_number_integer()) {
    s.activations_left = j["activations_left"].get<int64_t>();
  }
  if (j.value("products", json()).is_array()) {
    for (const auto& p : j["products"]) {
      if (!p.is_object() || !p.value("product_code", json()).is_number_unsigned()) continue;
      if (!s.products.empty()) s.products += ", ";
      s.products += std::to_string(p["product_code"].get<uint32_t>());
      if (p.value("name", json()).is_string()) s.products += " " + p["name"].get<std::string>();
    }
  }
  if (std::string state = j["state"].get<std::string>(); state != "active") {
    return Error(ErrorCode::kAccessDenied, "ticket " + s.ticket + " is " + state);
  }
  return s;
}

struct ActivateOptions {
  std::string server;
  std::string ticket;
  std::string serial;
  std::string firm_code;  // offline only: restrict the context to this firm
  bool offline = false;
  std::string output;
};

Status Online(const Globals& g, const ActivateOptions& o) {
  LICET_ASSIGN_OR_RETURN(ServerUrl server, ParseServerUrl(o.server));
  // The ticket first: a typo or an unknown ticket is reported before anything changes here.
  LICET_ASSIGN_OR_RETURN(TicketStatus status, GetTicketStatus(server, o.ticket));
  LocalContainers containers(g.home);
  bool created = false;
  LICET_ASSIGN_OR_RETURN(std::string serial, containers.Choose(o.serial, &created));
  if (created) std::printf("created soft container %s\n", serial.c_str());
  LICET_ASSIGN_OR_RETURN(Bytes context,
                         containers.Context(serial, status.firm_code, format::FileKind::kContext));

  central::http::ClientRequest req;
  req.method = "POST";
  req.target = "/api/v1/activations";
  req.content_type = "application/cbor";
  req.headers.emplace_back("Licet-Ticket", o.ticket);
  req.body.assign(context.begin(), context.end());
  LICET_ASSIGN_OR_RETURN(auto res, Call(server, req));
  if (res.status != 200) return ProblemStatus(res, "activation of ticket " + status.ticket);
  Bytes update = ToBytes(res.body);
  auto imported = containers.Import(update);
  if (!imported.ok()) {
    // The activation is spent on Central and the answer is safe there: the same command
    // again fetches it again without spending anything.
    std::string kept = serial + ".update";
    Status saved = WriteOutput(kept, update, 0600);
    return imported.status().WithContext(
        "Central answered but the update did not import" +
        (saved.ok() ? " (kept in " + kept + "; running this command again is safe)"
                    : std::string(" (running this command again is safe)")));
  }
  const model::ApplyReport& r = imported->report;
  const std::string* fresh = res.Header("licet-new-activation");
  const std::string* left = res.Header("licet-activations-left");
  std::printf("%s ticket %s (%s%s%s) in container %s\n",
              fresh != nullptr && *fresh == "false" ? "re-activated" : "activated",
              status.ticket.c_str(), status.firm_name.c_str(),
              status.products.empty() ? "" : ": ", status.products.c_str(), serial.c_str());
  if (r.already_applied()) {
    std::printf("container %s already held this update (firm %u at FUC %llu); nothing changed\n",
                serial.c_str(), r.firm_code, static_cast<unsigned long long>(r.fuc_after));
  } else {
    std::printf("container %s: firm %u FUC %llu -> %llu\n", serial.c_str(), r.firm_code,
                static_cast<unsigned long long>(r.fuc_before),
                static_cast<unsigned long long>(r.fuc_after));
    for (const auto& change : r.changes) std::printf("  %s\n", change.c_str());
  }
  if (left != nullptr) std::printf("activations left on the ticket: %s\n", left->c_str());

  // Tell Central what the container now holds; the licenses are already here, so a
  // failure is only worth a warning.
  auto receipt = containers.Context(serial, status.firm_code, format::FileKind::kReceipt);
  if (receipt.ok()) {
    central::http::ClientRequest rr;
    rr.method = "POST";
    rr.target = "/api/v1/receipts";
    rr.content_type = "application/cbor";
    rr.body.assign(receipt->begin(), receipt->end());
    auto sent = Call(server, rr);
    if (!sent.ok() || sent->status != 200) {
      std::fprintf(stderr, "licet: warning: the receipt did not reach Central (%s); the "
                           "licenses are installed\n",
                   sent.ok() ? ProblemStatus(*sent, "receipt").message().c_str()
                             : sent.status().message().c_str());
    }
  }
  return Status::Ok();
}

Status Offline(const Globals& g, const ActivateOptions& o) {
  if (o.output.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--offline needs -o FILE.context");
  }
  std::optional<uint32_t> firm;
  if (!o.firm_code.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.firm_code, 0xffffffff, "firm code"));
    firm = static_cast<uint32_t>(code);
  }
  std::string central = "http://CENTRAL";
  if (!o.server.empty()) {
    LICET_RETURN_IF_ERROR(ParseServerUrl(o.server).status());
    central = o.server;
    while (!central.empty() && central.back() == '/') central.pop_back();
  }
  LocalContainers containers(g.home);
  bool created = false;
  LICET_ASSIGN_OR_RETURN(std::string serial, containers.Choose(o.serial, &created));
  if (created) std::printf("created soft container %s\n", serial.c_str());
  LICET_ASSIGN_OR_RETURN(Bytes context,
                         containers.Context(serial, firm, format::FileKind::kContext));
  LICET_RETURN_IF_ERROR(WriteOutput(o.output, context));
  if (o.output == "-") return Status::Ok();
  const std::string update = serial + ".update";
  std::printf(
      "wrote the activation request of container %s to %s\n"
      "Take it with the ticket to the vendor's License Central, from any machine:\n"
      "  curl -F ticket=%s -F context=@%s -o %s %s/api/v1/activations/offline\n"
      "or have the vendor run:\n"
      "  licet-central activate-offline --ticket %s --context %s -o %s\n"
      "then bring %s back here and run:\n"
      "  licet import %s\n",
      serial.c_str(), o.output.c_str(), o.ticket.c_str(), o.output.c_str(), update.c_str(),
      central.c_str(), o.ticket.c_str(), o.output.c_str(), update.c_str(), update.c_str(),
      update.c_str());
  return Status::Ok();
}

}  // namespace

void RegisterActivateCommand(CLI::App& app, Globals& g, Action* action) {
  auto o = std::make_shared<ActivateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "activate", "activate a ticket from License Central into a container of this machine");
  cmd->add_option("--server", o->server, "License Central, http://HOST[:PORT]")
      ->envname("LICET_CENTRAL_URL");
  cmd->add_option("--ticket", o->ticket, "the ticket (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)")->required();
  cmd->add_option("--serial", o->serial,
                  "container serial (default: the only one; a new soft container if none)");
  cmd->add_flag("--offline", o->offline,
                "write the request to -o FILE.context for Central instead of calling it");
  cmd->add_option("-o,--output", o->output, "--offline: the context file to write");
  cmd->add_option("--firm-code", o->firm_code,
                  "--offline: report only this firm (default: every firm in the container)");
  cmd->callback([&g, action, o] {
    *action = [&g, o]() -> Status {
      // It goes into a header and a URL: letters, digits, dashes (Central forgives the rest).
      for (char c : o->ticket) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
          return Error(ErrorCode::kInvalidArgument,
                       "a ticket has letters, digits and dashes only (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)");
        }
      }
      if (o->offline) return Offline(g, *o);
      if (!o->output.empty() || !o->firm_code.empty()) {
        return Error(ErrorCode::kInvalidArgument, "-o and --firm-code go with --offline");
      }
      if (o->server.empty()) {
        return Error(ErrorCode::kInvalidArgument,
                     "no server: give --server http://HOST:PORT (or $LICET_CENTRAL_URL), "
                     "or activate with --offline -o FILE.context");
      }
      return Online(g, *o);
    };
  });
}

}  // namespace licet::cli
