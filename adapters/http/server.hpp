#pragma once
// The engine's HTTP server (Boost.Beast, C++20 coroutines): one strand per connection, bounded
// reads and writes, a body size limit, and a graceful stop. What each request means is api's.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/ip/address.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "adapters/http/api.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/options.hpp"
#include "adapters/http/ports.hpp"

namespace xyp::http {

namespace detail {
struct session;
}

// Usage: construct (binds and listens at once, so a taken port fails here, with
// std::system_error), co_spawn run() on the executor, call stop() from anywhere to end it; run()
// completes once every connection has ended. The ports, the registry and the options must
// outlive run().
class server {
 public:
  server(boost::asio::any_io_executor executor, server_options options, case_queries& queries,
         event_sink& sink, metrics::registry& registry, status_probe probe,
         const health_board* health = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // The port listened on: options.port, or the one picked for port 0.
  std::uint16_t port() const { return port_; }

  // Accepts until stop(). Connections idle between requests close at once; a request under way
  // gets shutdown_grace to finish, then its connection is closed.
  boost::asio::awaitable<void> run();

  // Thread-safe; idempotent.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<detail::session> s);
  void close_sessions(bool force);
  void session_ended(std::uint64_t id);

  boost::asio::strand<boost::asio::any_io_executor> strand_;  // acceptor and the session table
  server_options options_;
  http::api api_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  boost::asio::steady_timer drained_;
  std::atomic<bool> stopping_{false};

  std::mutex sessions_mutex_;  // guards sessions_ and next_id_; no I/O under it
  std::map<std::uint64_t, std::shared_ptr<detail::session>> sessions_;
  std::map<boost::asio::ip::address, std::size_t> per_address_;  // open connections by peer
  std::uint64_t next_id_ = 0;
};

}  // namespace xyp::http
