#include "adapters/http/server.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "adapters/common/log.hpp"

namespace xyp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace detail {

// One connection; touched only on its own strand.
struct session {
  session(tcp::socket socket, asio::ip::address peer)
      : stream(std::move(socket)), peer(std::move(peer)) {}
  beast::tcp_stream stream;
  asio::ip::address peer;
  bool busy = false;      // a request is being answered
  bool stopping = false;  // the server is stopping: no further request on this connection
};

}  // namespace detail

namespace {

constexpr std::size_t header_limit = 16 * 1024;
constexpr std::size_t drain_limit = 4 * 1024 * 1024;
constexpr auto drain_time = std::chrono::seconds(2);

bool is_parse_error(const error_code& ec) {
  static const auto& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  return ec.category() == category && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

// Writes a final error response and closes, reading (and discarding) what the client is still
// sending for a moment first: closing with unread bytes would reset the connection and the
// client might never see the response.
asio::awaitable<void> refuse(detail::session& s, response res, std::chrono::milliseconds timeout) {
  res.keep_alive(false);
  res.prepare_payload();
  error_code ec;
  s.stream.expires_after(timeout);
  co_await bhttp::async_write(s.stream, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  s.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  s.stream.expires_after(std::min<std::chrono::milliseconds>(timeout, drain_time));
  std::array<char, 16 * 1024> sink{};
  std::size_t drained = 0;
  while (!ec && drained < drain_limit) {
    drained += co_await s.stream.async_read_some(asio::buffer(sink),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

std::optional<listen_address> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return std::nullopt;
  }
  return listen_address{std::string(host), static_cast<std::uint16_t>(value)};
}

server::server(asio::any_io_executor executor, server_options options, case_queries& queries,
               event_sink& sink, metrics::registry& registry, status_probe probe,
               const health_board* health)
    : strand_(asio::make_strand(std::move(executor))),
      options_(std::move(options)),
      api_(options_, queries, sink, registry, std::move(probe), health),
      acceptor_(strand_),
      drained_(strand_) {
  const auto address = asio::ip::make_address(
      options_.address == "localhost" ? std::string("127.0.0.1") : options_.address);
  const tcp::endpoint where(address, options_.port);
  acceptor_.open(where.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(where);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

server::~server() {
  error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> server::run() {
  co_await asio::co_spawn(strand_, accept_loop(), asio::use_awaitable);
}

void server::stop() {
  if (stopping_.exchange(true)) return;
  asio::post(strand_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> server::accept_loop() {
  log::info("http listening", {{"address", options_.address}, {"port", port_}});
  while (!stopping_) {
    error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::make_strand(strand_.get_inner_executor()),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // Out of descriptors and the like: say so, and do not spin.
      log::warn("http accept failed", {{"error", ec.message()}});
      drained_.expires_after(std::chrono::milliseconds(100));
      co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const auto peer = socket.remote_endpoint(ec);
    if (ec) {
      socket.close(ec);
      continue;
    }
    std::shared_ptr<detail::session> s;
    std::uint64_t id = 0;
    {
      // Refused before anything is read: a client holding its address's share of connections
      // (slow headers, or just many) cannot take the slots other clients, health probes
      // included, need.
      const std::lock_guard lock(sessions_mutex_);
      auto& held = per_address_[peer.address()];
      if (sessions_.size() < options_.max_connections &&
          (options_.max_connections_per_address == 0 ||
           held < options_.max_connections_per_address)) {
        ++held;
        id = next_id_++;
        s = std::make_shared<detail::session>(std::move(socket), peer.address());
        sessions_.emplace(id, s);
      } else if (held == 0) {
        per_address_.erase(peer.address());
      }
    }
    if (!s) {
      socket.close(ec);
      continue;
    }
    asio::co_spawn(s->stream.get_executor(), serve(s), [this, id](std::exception_ptr failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          log::error("http connection failed", {{"error", e.what()}});
        }
      }
      session_ended(id);
    });
  }

  // Idle connections close now; requests under way get the grace window.
  auto open = [this] {
    const std::lock_guard lock(sessions_mutex_);
    return !sessions_.empty();
  };
  close_sessions(false);
  if (open()) {
    error_code ec;
    drained_.expires_after(options_.shutdown_grace);
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  close_sessions(true);
  while (open()) {
    // Each session ends promptly once closed (a store call in flight has its own timeout).
    error_code ec;
    drained_.expires_after(std::chrono::seconds(1));
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  log::info("http stopped");
}

void server::close_sessions(bool force) {
  std::vector<std::shared_ptr<detail::session>> all;
  {
    const std::lock_guard lock(sessions_mutex_);
    for (const auto& [id, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) {
    asio::post(s->stream.get_executor(), [s, force] {
      s->stopping = true;
      if (force || !s->busy) {
        error_code ignored;
        s->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        s->stream.close();
      }
    });
  }
}

void server::session_ended(std::uint64_t id) {
  bool drained = false;
  {
    const std::lock_guard lock(sessions_mutex_);
    if (const auto found = sessions_.find(id); found != sessions_.end()) {
      const auto held = per_address_.find(found->second->peer);
      if (held != per_address_.end() && --held->second == 0) per_address_.erase(held);
      sessions_.erase(found);
    }
    drained = sessions_.empty() && stopping_;
  }
  if (drained) asio::post(strand_, [this] { drained_.cancel(); });
}

asio::awaitable<void> server::serve(std::shared_ptr<detail::session> s) {
  beast::flat_buffer buffer;
  for (;;) {
    s->busy = false;
    if (s->stopping) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(header_limit);
    // The headers have header_timeout (a trickle of header bytes is cut off there), the whole
    // request read_timeout.
    const auto started = std::chrono::steady_clock::now();
    s->stream.expires_after(std::min(options_.header_timeout, options_.read_timeout));
    error_code ec;
    co_await bhttp::async_read_header(s->stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      s->stream.expires_after(
          std::max(options_.read_timeout - spent, std::chrono::milliseconds(1)));
      co_await bhttp::async_read(s->stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == bhttp::error::body_limit) {
      co_await refuse(*s,
                      error_response(413, "payload_too_large",
                                     "the body is larger than " +
                                         std::to_string(options_.max_body_bytes) + " bytes"),
                      options_.write_timeout);
      break;
    }
    if (ec == bhttp::error::header_limit) {
      co_await refuse(*s, error_response(431, "headers_too_large", "the headers are too large"),
                      options_.write_timeout);
      break;
    }
    if (is_parse_error(ec)) {
      co_await refuse(*s, error_response(400, "bad_request", "the request is not valid HTTP/1.1"),
                      options_.write_timeout);
      break;
    }
    if (ec) break;  // closed, timed out, reset: nothing to answer
    s->busy = true;
    response res = co_await api_.handle(parser.release());
    if (s->stopping) res.keep_alive(false);
    s->stream.expires_after(options_.write_timeout);
    co_await bhttp::async_write(s->stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  error_code ignored;
  s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  s->stream.close();
}

}  // namespace xyp::http
