#include "adapters/redis/connection.hpp"

#include <hiredis/hiredis.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/resp.hpp"
#include "support/redis_server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using xyp::redis::cmd;
using xyp::redis::connection;
using xyp::redis::errc;
using xyp::redis::reply;
using xyp::test::redis_server;

constexpr auto connect_timeout = 5s;

// GCC 12 miscompiles two shapes these coroutines avoid: a co_await inside a Catch2 assertion
// (the macro repeats its expression in a dead branch, and GCC runs that co_await too), and a
// braced temporary inside a co_await expression (rejected for lists, destroyed twice for
// aggregates). Await into a named value first, then check it.

// How a spawned coroutine ended.
struct ending {
  bool done = false;
  std::exception_ptr failure;
};

std::shared_ptr<ending> spawn(asio::io_context& io, asio::awaitable<void> task) {
  auto end = std::make_shared<ending>();
  asio::co_spawn(io, std::move(task), [end](std::exception_ptr e) {
    end->done = true;
    end->failure = e;
  });
  return end;
}

// Runs the io_context until the task has completed (other work may remain), then rethrows what
// the task threw.
void run_until_done(asio::io_context& io, asio::awaitable<void> task) {
  const auto end = spawn(io, std::move(task));
  io.restart();
  while (!end->done) {
    if (io.run_one() == 0) FAIL("the io_context ran out of work before the test coroutine ended");
  }
  if (end->failure) std::rethrow_exception(end->failure);
}

// Lets the executor run other handlers until `end` is done: a yield, not a sleep.
asio::awaitable<void> until_done(const ending& end) {
  const auto executor = co_await asio::this_coro::executor;
  while (!end.done) co_await asio::post(executor, asio::use_awaitable);
}

// Coroutines spawned to run beside the test's own. They take the connection as a parameter, which
// lives in the coroutine frame; a lambda's captures would die with the lambda.
asio::awaitable<void> blocking_pop(connection& redis) {
  co_await redis.command(cmd("BLPOP", "never-filled", "0"));
}

asio::awaitable<void> two_pings(connection& redis) {
  std::vector<std::vector<std::string>> pings(2, cmd("PING"));
  co_await redis.pipeline(std::move(pings));
}

errc code_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const xyp::redis::error& e) {
    return static_cast<errc>(e.code().value());
  }
}

}  // namespace

TEST_CASE("a command sent to redis comes back with its reply", "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    CHECK(redis.connected());
    const reply set = co_await redis.command(cmd("SET", "greeting", "hello"));
    CHECK(set.is_status());
    CHECK(set.as_string() == "OK");
    const reply get = co_await redis.command(cmd("GET", "greeting"));
    CHECK(get.is_string());
    CHECK(get.as_string() == "hello");
    const reply missing = co_await redis.command(cmd("GET", "nothing-here"));
    CHECK(missing.is_nil());
    const reply counter = co_await redis.command(cmd("INCRBY", "counter", "41"));
    CHECK(counter.as_integer() == 41);
    const reply list = co_await redis.command(cmd("LRANGE", "nothing-here", "0", "-1"));
    CHECK(list.is_array());
    CHECK(list.elements().empty());
  }());
  CHECK(server.command(cmd("GET", "greeting")).as_string() == "hello");
}

TEST_CASE("keys and values holding NUL and CR LF bytes survive a round trip unchanged", "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  const std::string key("bin\0key\r\n", 9);
  const std::string value("\0\r\n$3\r\nabc\xff\0", 12);
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    co_await redis.command(cmd("SET", key, value));
    const reply got = co_await redis.command(cmd("GET", key));
    CHECK(got.as_string().size() == value.size());
    CHECK(got.as_string() == value);
    const reply length = co_await redis.command(cmd("STRLEN", key));
    CHECK(length.as_integer() == 12);
  }());
  CHECK(server.command(cmd("GET", key)).as_string() == value);
}

TEST_CASE("a pipeline of ten thousand commands returns every reply in order", "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  constexpr int count = 10'000;
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    std::vector<std::vector<std::string>> commands;
    for (int i = 0; i < count; ++i) commands.push_back({"INCR", "sequence"});
    const std::vector<reply> replies = co_await redis.pipeline(std::move(commands));
    REQUIRE(replies.size() == count);
    int out_of_order = 0;
    for (int i = 0; i < count; ++i) {
      if (replies[i].as_integer() != i + 1) ++out_of_order;
    }
    CHECK(out_of_order == 0);
  }());
  CHECK(server.command(cmd("GET", "sequence")).as_string() == std::to_string(count));
}

TEST_CASE("an error reply is a reply, not an exception, and the connection goes on", "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    const reply missing =
        co_await redis.command(cmd("EVALSHA", "0123456789abcdef0123456789abcdef01234567", "0"));
    REQUIRE(missing.is_error());
    CHECK(missing.error_message().starts_with("NOSCRIPT"));
    CHECK_THROWS_AS(missing.as_string(), xyp::redis::error);
    const reply pong = co_await redis.command(cmd("PING"));
    CHECK(pong.as_string() == "PONG");
  }());
}

TEST_CASE("connecting to a port nobody listens on fails with connect_failed naming host and port",
          "[redis]") {
  const std::uint16_t port = xyp::test::free_loopback_port();
  asio::io_context io;
  connection redis(io.get_executor());
  std::optional<xyp::redis::error> failure;
  run_until_done(io, [&]() -> asio::awaitable<void> {
    try {
      const xyp::redis::endpoint nobody{"127.0.0.1", port};
      co_await redis.connect(nobody, connect_timeout);
    } catch (const xyp::redis::error& e) {
      failure = e;
    }
  }());
  REQUIRE(failure);
  CHECK(failure->code() == errc::connect_failed);
  const std::string message = failure->what();
  CHECK(message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(message.find("Connection refused") != std::string::npos);
  CHECK_FALSE(redis.connected());
}

TEST_CASE("a command on a connection that never connected fails with connection_lost", "[redis]") {
  asio::io_context io;
  connection redis(io.get_executor());
  std::exception_ptr failure;
  run_until_done(io, [&]() -> asio::awaitable<void> {
    try {
      co_await redis.command(cmd("PING"));
    } catch (...) {
      failure = std::current_exception();
    }
  }());
  REQUIRE(failure);
  CHECK(code_of(failure) == errc::connection_lost);
}

TEST_CASE(
    "killing the server fails pending and later commands with connection_lost, and the "
    "connection comes back after a restart",
    "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    const reply stored = co_await redis.command(cmd("SET", "before", "1"));
    CHECK(stored.as_string() == "OK");

    // A command the server holds forever, still unanswered when it dies.
    const auto blocked = spawn(io, blocking_pop(redis));
    co_await asio::post(io, asio::use_awaitable);  // the BLPOP is queued
    server.kill();

    // Queued before the loss is noticed: fails with the pending one.
    std::exception_ptr queued;
    try {
      co_await redis.command(cmd("PING"));
    } catch (...) {
      queued = std::current_exception();
    }
    REQUIRE(queued);
    CHECK(code_of(queued) == errc::connection_lost);
    co_await until_done(*blocked);
    REQUIRE(blocked->failure);
    CHECK(code_of(blocked->failure) == errc::connection_lost);
    CHECK_FALSE(redis.connected());

    // Sent after the loss: fails at once.
    std::exception_ptr later;
    try {
      co_await redis.command(cmd("PING"));
    } catch (...) {
      later = std::current_exception();
    }
    REQUIRE(later);
    CHECK(code_of(later) == errc::connection_lost);

    server.start();
    co_await redis.connect(server.endpoint(), connect_timeout);
    CHECK(redis.connected());
    const reply pong = co_await redis.command(cmd("PING"));
    CHECK(pong.as_string() == "PONG");
  }());
}

TEST_CASE("destroying a connection with commands pending fails them with connection_lost",
          "[redis]") {
  redis_server server;
  asio::io_context io;
  std::vector<std::shared_ptr<ending>> pending;
  run_until_done(io, [&]() -> asio::awaitable<void> {
    auto redis = std::make_unique<connection>(io.get_executor());
    co_await redis->connect(server.endpoint(), connect_timeout);
    // Some unwritten, one held by the server; none answered yet.
    pending.push_back(spawn(io, blocking_pop(*redis)));
    for (int i = 0; i < 100; ++i) pending.push_back(spawn(io, two_pings(*redis)));
    // Let every coroutine queue its commands, and the first write happen.
    co_await asio::post(io, asio::use_awaitable);
    co_await asio::post(io, asio::use_awaitable);
    redis.reset();
    for (const auto& end : pending) co_await until_done(*end);
  }());
  REQUIRE(pending.size() == 101);
  for (const auto& end : pending) {
    REQUIRE(end->failure);
    CHECK(code_of(end->failure) == errc::connection_lost);
  }
}

TEST_CASE(
    "a command that misses its deadline fails with timeout, and its late reply is not "
    "taken for the next command's",
    "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    std::exception_ptr failure;
    try {
      co_await redis.command(cmd("BLPOP", "late", "0"), 20ms);
    } catch (...) {
      failure = std::current_exception();
    }
    REQUIRE(failure);
    CHECK(code_of(failure) == errc::timeout);
    CHECK(redis.connected());
    // The server answers the BLPOP now; that reply must be dropped, not handed to the GET.
    server.command(cmd("RPUSH", "late", "first"));
    const reply stored = co_await redis.command(cmd("SET", "after", "value"));
    CHECK(stored.as_string() == "OK");
    const reply fetched = co_await redis.command(cmd("GET", "after"));
    CHECK(fetched.as_string() == "value");
  }());
}

TEST_CASE("commands that break the reply order are refused before anything is sent", "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    const std::vector<std::vector<std::string>> order_breakers = {
        cmd("SUBSCRIBE", "news"), cmd("monitor"), cmd("CLIENT", "REPLY", "OFF"), cmd()};
    for (const auto& refused : order_breakers) {
      bool thrown = false;
      try {
        co_await redis.command(refused);
      } catch (const std::invalid_argument&) {
        thrown = true;
      }
      CHECK(thrown);
    }
    const reply pong = co_await redis.command(cmd("PING"));
    CHECK(pong.as_string() == "PONG");
  }());
}

TEST_CASE("connect_with_backoff returns once the server is back", "[redis]") {
  redis_server server;
  server.stop();
  asio::io_context io;
  connection redis(io.get_executor());
  const auto reconnecting =
      spawn(io, redis.connect_with_backoff(server.endpoint(), connect_timeout));
  io.restart();
  io.poll();  // the first attempt runs, against a stopped server
  CHECK_FALSE(reconnecting->done);
  server.start();
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await until_done(*reconnecting);
    CHECK(redis.connected());
    const reply pong = co_await redis.command(cmd("PING"));
    CHECK(pong.as_string() == "PONG");
  }());
  CHECK_FALSE(reconnecting->failure);
}

TEST_CASE("connect_with_backoff stops quietly when cancelled", "[redis]") {
  const std::uint16_t port = xyp::test::free_loopback_port();
  asio::io_context io;
  connection redis(io.get_executor());
  asio::cancellation_signal stop;
  auto end = std::make_shared<ending>();
  asio::co_spawn(io, redis.connect_with_backoff({"127.0.0.1", port}, connect_timeout),
                 asio::bind_cancellation_slot(stop.slot(), [end](std::exception_ptr e) {
                   end->done = true;
                   end->failure = e;
                 }));
  io.poll();
  CHECK_FALSE(end->done);
  stop.emit(asio::cancellation_type::terminal);
  while (!end->done && io.run_one() > 0) {
  }
  REQUIRE(end->done);
  REQUIRE(end->failure);
  try {
    std::rethrow_exception(end->failure);
  } catch (const boost::system::system_error& e) {
    CHECK(e.code() == asio::error::operation_aborted);
  }
  CHECK_FALSE(redis.connected());
}

TEST_CASE("backoff doubles from 50 ms up to a 2 s cap and starts over after a reset", "[redis]") {
  xyp::redis::backoff delays;
  std::vector<std::chrono::milliseconds> seen;
  for (int i = 0; i < 8; ++i) seen.push_back(delays.next());
  CHECK(seen == std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms, 400ms, 800ms, 1600ms,
                                                       2000ms, 2000ms});
  delays.reset();
  CHECK(delays.next() == 50ms);
}

TEST_CASE("a test redis restarted with appendonly keeps what was written before it stopped",
          "[redis]") {
  redis_server server(redis_server::options{.appendonly = true});
  CHECK(server.command(cmd("SET", "durable", "yes")).as_string() == "OK");
  const std::uint16_t port = server.port();
  server.stop();
  CHECK_FALSE(server.running());
  server.start();
  CHECK(server.port() == port);
  CHECK(server.url() == "redis://127.0.0.1:" + std::to_string(port));
  CHECK(server.command(cmd("GET", "durable")).as_string() == "yes");
}

TEST_CASE("commands built in one buffer are the protocol hiredis would have written", "[redis]") {
  const std::vector<std::string> args{"HSET", "k", "", std::string("a\0b\r\n", 5),
                                      std::string(70'000, 'x')};
  xyp::redis::resp_commands built;
  built.begin(args.size());
  for (const auto& a : args) built.arg(a);
  built.command("SET", "k", "v");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* expected = nullptr;
  const int length =
      redisFormatCommandArgv(&expected, static_cast<int>(args.size()), argv.data(), lengths.data());
  REQUIRE(length > 0);
  const auto each = built.commands();
  REQUIRE(each.size() == 2);
  CHECK(each[0] == std::string(expected, static_cast<std::size_t>(length)));
  redisFreeCommand(expected);
  CHECK(each[1] == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  // An integer argument is written in decimal.
  xyp::redis::resp_commands number;
  number.begin(1);
  number.arg(std::int64_t{-42});
  CHECK(number.text() == "*1\r\n$3\r\n-42\r\n");
}

TEST_CASE("commands sent before their replies are awaited are answered in the order sent",
          "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    xyp::redis::resp_commands incr;
    incr.begin(3);
    incr.arg("INCRBY");
    incr.arg("n");
    incr.arg(std::int64_t{5});
    incr.command("INCRBY", "n", "1");
    auto first = redis.send(cmd("SET", "n", "10"));
    auto second = redis.send_formatted(incr);
    auto third = redis.send(cmd("GET", "n"));
    // Awaited out of order: each still gets its own replies, the formatted ones all of theirs.
    const reply got = co_await third.get();
    const auto added = co_await second.get_all();
    const reply set = co_await first.get();
    CHECK(set.as_string() == "OK");
    REQUIRE(added.size() == 2);
    CHECK(added[0].as_integer() == 15);
    CHECK(added[1].as_integer() == 16);
    CHECK(got.as_string() == "16");
  }());
}

TEST_CASE("a command sent and not yet answered fails with connection_lost when the link drops",
          "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  std::exception_ptr failure;
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    auto held = redis.send(cmd("BLPOP", "never-filled", "0"));
    co_await asio::post(io, asio::use_awaitable);
    redis.close();
    try {
      co_await held.get();
    } catch (...) {
      failure = std::current_exception();
    }
  }());
  REQUIRE(failure);
  CHECK(code_of(failure) == errc::connection_lost);
}

TEST_CASE("sending on a connection that never connected fails at once with connection_lost",
          "[redis]") {
  asio::io_context io;
  connection redis(io.get_executor());
  try {
    redis.send(cmd("PING"));
    FAIL("send did not throw");
  } catch (const xyp::redis::error& e) {
    CHECK(static_cast<errc>(e.code().value()) == errc::connection_lost);
  }
}

TEST_CASE(
    "a sent command awaited with a deadline that passes fails with timeout, and its late reply "
    "is not taken for the next command's",
    "[redis]") {
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    auto held = redis.send(cmd("BLPOP", "late-sent", "0"));
    std::exception_ptr failure;
    try {
      co_await held.get_all(20ms);
    } catch (...) {
      failure = std::current_exception();
    }
    REQUIRE(failure);
    CHECK(code_of(failure) == errc::timeout);
    server.command(cmd("RPUSH", "late-sent", "first"));
    const reply fetched = co_await redis.command(cmd("LLEN", "late-sent"));
    CHECK(fetched.as_integer() == 0);  // the BLPOP took it; its reply went nowhere
  }());
}

TEST_CASE(
    "a command written behind a blocked stream read runs as soon as the read returns, by an "
    "entry or by its timeout",
    "[redis]") {
  // The runtime's idle wait relies on it: XREAD ... BLOCK with xyp_read right behind it.
  redis_server server;
  asio::io_context io;
  connection redis(io.get_executor());
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await redis.connect(server.endpoint(), connect_timeout);
    xyp::redis::resp_commands timed_out;
    timed_out.command("XREAD", "COUNT", "1", "BLOCK", "10", "STREAMS", "s", "0-0");
    timed_out.command("XLEN", "s");
    const auto nothing = co_await redis.send_formatted(timed_out).get_all(5s);
    REQUIRE(nothing.size() == 2);
    CHECK(nothing[0].is_nil());
    CHECK(nothing[1].as_integer() == 0);

    xyp::redis::resp_commands woken;
    woken.command("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "0-0");
    woken.command("XLEN", "s");
    auto sent = redis.send_formatted(woken);
    co_await asio::post(io, asio::use_awaitable);
    server.command(cmd("XADD", "s", "*", "event", "e"));
    const auto got = co_await sent.get_all(5s);
    REQUIRE(got.size() == 2);
    CHECK(got[0].is_array());
    CHECK(got[1].as_integer() == 1);
  }());
}
