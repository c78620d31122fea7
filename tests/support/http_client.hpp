#pragma once
// The HTTP tests' client: one request on its own connection to the server under test, on the
// test's io_context.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace xyp::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
  nlohmann::json doc() const { return nlohmann::json::parse(body); }
};

// Sends `body` (when there is one) with the given content type, and the bearer token when given.
inline boost::asio::awaitable<http_reply> http_call(std::uint16_t port,
                                                    boost::beast::http::verb verb,
                                                    std::string target,
                                                    std::optional<std::string> token = std::nullopt,
                                                    std::string body = {},
                                                    std::string content_type = "application/json") {
  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  boost::beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (token) req.set(bhttp::field::authorization, "Bearer " + *token);
  if (!body.empty()) {
    if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
    req.body() = std::move(body);
  }
  req.prepare_payload();
  co_await bhttp::async_write(stream, req, asio::use_awaitable);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
  auto res = parser.release();
  http_reply out;
  out.status = res.result_int();
  out.body = res.body();
  out.headers = res.base();
  co_return out;
}

}  // namespace xyp::test
