#pragma once
// A Redis connection for the engine's executors: hiredis speaks the protocol, Asio waits on the
// socket, C++20 coroutines await the replies.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "adapters/redis/redis_url.hpp"
#include "adapters/redis/reply.hpp"
#include "adapters/redis/resp.hpp"

namespace xyp::redis {

namespace detail {
struct connection_state;
struct batch;
}  // namespace detail

// A command on its way whose reply is awaited later, so that work can go on while Redis runs it.
// Commands sent after it on the same connection are answered after it. Await reply() once; a
// sent_command dropped unawaited discards its reply.
class sent_command {
 public:
  sent_command() = default;
  bool valid() const noexcept { return static_cast<bool>(batch_); }
  // The reply; throws like connection::command (connection_lost when the connection dropped).
  // Of several commands sent together, the first's.
  boost::asio::awaitable<reply> get();
  // The replies of all the commands sent together, in order. With a timeout, fails with
  // errc::timeout when they have not all come in time (later replies stay matched, as command()).
  boost::asio::awaitable<std::vector<reply>> get_all(
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

 private:
  friend class connection;
  sent_command(std::shared_ptr<detail::batch> b, std::string peer,
               std::weak_ptr<detail::connection_state> state)
      : batch_(std::move(b)), peer_(std::move(peer)), state_(std::move(state)) {}
  std::shared_ptr<detail::batch> batch_;
  std::string peer_;
  std::weak_ptr<detail::connection_state> state_;
};

// How long a reconnect loop waits before its next attempt: 50 ms, doubling up to 2 s; back to
// the start after a success.
class backoff {
 public:
  constexpr backoff() = default;
  constexpr backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap)
      : first_(first), cap_(cap), next_(first) {}

  // The delay to wait now; the one after it is twice as long, up to the cap.
  std::chrono::milliseconds next() noexcept;
  void reset() noexcept { next_ = first_; }

 private:
  std::chrono::milliseconds first_{50};
  std::chrono::milliseconds cap_{2000};
  std::chrono::milliseconds next_{50};
};

// A command's arguments from strings, string_views and literals: `cmd("HGET", key, field)`. Prefer
// it to a braced list in coroutines: GCC 12 rejects any braced initializer list inside a co_await
// expression ("array used as initializer"), so `co_await c.command({"GET", key})` does not build.
template <class... Args>
std::vector<std::string> cmd(Args&&... args) {
  std::vector<std::string> out;
  out.reserve(sizeof...(Args));
  (out.emplace_back(std::forward<Args>(args)), ...);
  return out;
}

// One connection to one Redis server, owned by one executor (a strand, or an io_context run by one
// thread): every call, every co_await and the destructor happen there. Move-only.
//
// Failures throw redis::error. When the connection drops, is closed, or the object is destroyed,
// every command still waiting for its reply fails with errc::connection_lost, and so does every
// later one until connect() succeeds again on the same object. An error reply from the server is
// not a failure: it is a reply whose is_error() is true. Cancelling an awaiting coroutine (Asio
// per-operation cancellation) ends it with boost::system::system_error(operation_aborted).
//
// Commands must be request/response: SUBSCRIBE and friends, MONITOR and CLIENT REPLY are refused
// with std::invalid_argument, because they break the one-reply-per-command order hiredis's
// callbacks rely on. The process should ignore SIGPIPE; the connection also guards its own writes.
class connection {
 public:
  explicit connection(boost::asio::any_io_executor executor);
  ~connection();
  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const boost::asio::any_io_executor& get_executor() const noexcept;

  // Connects, replacing any previous connection (its pending commands fail with connection_lost).
  // Throws errc::connect_failed ("cannot connect to redis 127.0.0.1:6390: Connection refused"),
  // or errc::timeout when `timeout` passes first. Host names are resolved without blocking the
  // executor; the deadline covers the TCP connect, not the name lookup.
  boost::asio::awaitable<void> connect(endpoint where, std::chrono::milliseconds timeout);

  // Calls connect() until it succeeds, waiting `delays` between attempts, and returns connected.
  // Writes one line to stderr when the server becomes unreachable (and when the reason changes),
  // one when it is back. Stops with system_error(operation_aborted) when cancelled or when the
  // connection is destroyed meanwhile.
  boost::asio::awaitable<void> connect_with_backoff(endpoint where,
                                                    std::chrono::milliseconds attempt_timeout,
                                                    backoff delays = {});

  // Sends one command, binary-safe: each argument is sent with its length. With a timeout, fails
  // with errc::timeout when no reply came in time; the command may still run on the server, and its
  // late reply is discarded, so later replies stay matched to their commands.
  boost::asio::awaitable<reply> command(
      std::vector<std::string> args,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Sends one command now and returns without waiting for its reply. Throws connection_lost when
  // not connected.
  sent_command send(const std::vector<std::string>& args);

  // Sends commands already encoded in the protocol (see resp_commands), for a batch of many
  // commands built in one buffer instead of thousands of strings; one reply each, in order.
  sent_command send_formatted(const resp_commands& commands);

  // Queues every command, writes them in one go and returns their replies in order. Fails as a
  // whole if the connection drops before the last reply; some commands may have run by then.
  boost::asio::awaitable<std::vector<reply>> pipeline(
      std::vector<std::vector<std::string>> commands,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // True from a successful connect() until the connection drops or is closed. A drop is noticed
  // when the executor next handles the socket, not at the moment the server goes away.
  bool connected() const noexcept;

  // Drops the connection now; pending commands fail with errc::connection_lost.
  void close() noexcept;

  // How many times a caller has waited for replies that had not all come yet (command, pipeline,
  // sent_command::get): the round trips its callers saw, since the connection object was made.
  // Replies already in when they are awaited (sent behind others) count nothing.
  std::uint64_t waits() const noexcept;

 private:
  std::shared_ptr<detail::connection_state> state_;
};

}  // namespace xyp::redis
