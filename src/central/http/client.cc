#include "central/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace licet::central::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

const std::string* ClientResponse::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return &v;
  }
  return nullptr;
}

Result<ClientResponse> HttpCall(const std::string& host, uint16_t port, const ClientRequest& req,
                                std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(req.method), req.target, 11);
  request.set(bhttp::field::host, host);
  request.set(bhttp::field::connection, "close");
  if (!req.content_type.empty()) request.set(bhttp::field::content_type, req.content_type);
  for (const auto& [k, v] : req.headers) request.set(k, v);
  request.body() = req.body;
  request.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64u << 20);
  beast::error_code failure;
  const char* stage = "connect";
  // Async operations under one deadline (the stream's timer), run to completion here.
  stream.expires_after(timeout);
  beast::error_code addr_ec;
  auto address = net::ip::make_address(host, addr_ec);
  if (addr_ec) return Error(ErrorCode::kInvalidArgument, "not an IP address: " + host);
  stream.async_connect(tcp::endpoint(address, port), [&](beast::error_code ec) {
    if (ec) {
      failure = ec;
      return;
    }
    stage = "write";
    bhttp::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
      if (wec) {
        failure = wec;
        return;
      }
      stage = "read";
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
        if (rec) failure = rec;
        stage = "done";
      });
    });
  });
  ioc.run();
  if (failure) {
    return Error(ErrorCode::kUnavailable, std::string("HTTP ") + stage + " to " + host + ":" +
                                              std::to_string(port) + ": " + failure.message());
  }
  if (std::string(stage) != "done") return Error(ErrorCode::kProtocolError, "no response");
  auto res = parser.release();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-type") out.content_type = std::string(field.value());
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace licet::central::http
