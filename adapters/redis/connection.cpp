#include "adapters/redis/connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "adapters/common/log.hpp"

namespace xyp::redis {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using wait_type = asio::posix::descriptor_base::wait_type;

std::chrono::milliseconds backoff::next() noexcept {
  const auto now = next_;
  next_ = std::min(next_ * 2, cap_);
  return now;
}

namespace {

// The one place a hiredis error code becomes an errc. `reached` says whether the context ever got
// through to the server: the same I/O error means "cannot connect" before and "lost" after. Code 0
// is no hiredis error at all: this process closed the context.
error to_error(int hiredis_code, std::string_view detail, bool reached, std::string_view peer) {
  const std::string what(detail.empty() ? std::string_view("closed by this client") : detail);
  const std::string where(peer);
  switch (hiredis_code) {
    case REDIS_ERR_PROTOCOL:
      return error(errc::protocol,
                   "redis " + where + " sent a reply hiredis cannot parse: " + what);
    case 0:
    case REDIS_ERR_IO:
    case REDIS_ERR_EOF:
    case REDIS_ERR_OTHER:
    case REDIS_ERR_OOM:
    default:
      if (!reached)
        return error(errc::connect_failed, "cannot connect to redis " + where + ": " + what);
      return error(errc::connection_lost, "connection to redis " + where + " lost: " + what);
  }
}

std::string describe(const endpoint& where) {
  const bool ipv6 = where.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
}

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// hiredis matches each reply to the oldest waiting callback. Commands that answer more than once
// (or not at all) would hand later replies to the wrong caller, or trip hiredis's asserts.
void require_request_response(const std::vector<std::string>& command) {
  if (command.empty()) throw std::invalid_argument("a redis command needs at least its name");
  if (command.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("a redis command cannot have more than INT_MAX arguments");
  }
  const std::string& name = command.front();
  for (const char* refused : {"subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                              "punsubscribe", "sunsubscribe", "monitor"}) {
    if (same_word(name, refused)) {
      throw std::invalid_argument(name + " is not request/response; this connection refuses it");
    }
  }
  if (same_word(name, "client") && command.size() > 1 && same_word(command[1], "reply")) {
    throw std::invalid_argument("CLIENT REPLY would unpair replies from commands; refused");
  }
}

// Owns a redisAsyncContext. release() is for when hiredis frees the context itself, after a
// connection error; it says so through the event-library cleanup hook.
class async_context {
 public:
  async_context() = default;
  explicit async_context(redisAsyncContext* ac) noexcept : ac_(ac) {}
  async_context(async_context&& other) noexcept : ac_(std::exchange(other.ac_, nullptr)) {}
  async_context& operator=(async_context&& other) noexcept {
    if (this != &other) {
      reset();
      ac_ = std::exchange(other.ac_, nullptr);
    }
    return *this;
  }
  async_context(const async_context&) = delete;
  async_context& operator=(const async_context&) = delete;
  ~async_context() { reset(); }

  redisAsyncContext* get() const noexcept { return ac_; }
  explicit operator bool() const noexcept { return ac_ != nullptr; }
  void release() noexcept { ac_ = nullptr; }
  // hiredis calls every pending reply callback with NULL, then the cleanup hook, then frees. The
  // pointer is cleared first, so those callbacks already see the context as gone.
  void reset() noexcept {
    if (auto* ac = std::exchange(ac_, nullptr)) redisAsyncFree(ac);
  }

 private:
  redisAsyncContext* ac_ = nullptr;
};

}  // namespace

namespace detail {

// Where a hiredis callback leaves an outcome for the coroutine awaiting it. The timer only parks
// the coroutine: the callback cancels it to wake it, and its expiry, if any, is the deadline.
struct waiter {
  explicit waiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}

  void finish() noexcept {
    if (done) return;
    done = true;
    timer.cancel();
  }
  void fail(error why) noexcept {
    if (done) return;
    failure = std::move(why);
    finish();
  }

  asio::steady_timer timer;
  bool done = false;
  std::optional<error> failure;
};

// Commands queued together and the replies that have come back for them, in order.
struct batch : waiter {
  batch(const asio::any_io_executor& executor, std::size_t count)
      : waiter(executor), expected(count) {
    replies.reserve(count);
  }

  std::size_t expected;
  std::size_t unanswered = 0;  // hiredis callbacks still to come; the last frees their holder
  std::vector<reply> replies;
};

}  // namespace detail

namespace {

using detail::batch;
using detail::waiter;

enum class wake { done, deadline, cancelled };

// Waits for the waiter's outcome. On deadline or cancellation the waiter is marked done, so an
// outcome that arrives later is dropped rather than stored.
asio::awaitable<wake> park(waiter& w) {
  if (w.done) co_return wake::done;
  boost::system::error_code ec;
  try {
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  } catch (const boost::system::system_error&) {
    // The coroutine was cancelled before it could wait (throw_if_cancelled).
    ec = asio::error::operation_aborted;
  }
  if (w.done) co_return wake::done;
  w.done = true;
  co_return ec == asio::error::operation_aborted ? wake::cancelled : wake::deadline;
}

// Whether SIGPIPE would kill the process: hiredis writes with write(2), so a write to a peer that
// has reset the connection raises it.
bool sigpipe_is_fatal() {
  struct sigaction current {};
  return sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL;
}

// Blocks SIGPIPE on this thread for the length of a write, and swallows the one the write raised
// (one that was pending before is left alone).
class sigpipe_blocked {
 public:
  sigpipe_blocked() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    was_pending_ = pending();
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~sigpipe_blocked() {
    if (!was_pending_ && pending()) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

 private:
  static bool pending() noexcept {
    sigset_t set;
    sigemptyset(&set);
    return sigpending(&set) == 0 && sigismember(&set, SIGPIPE) == 1;
  }

  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

}  // namespace

namespace detail {

// One hiredis context and the Asio descriptor that watches its socket: our event-library adapter.
// Wait handlers in flight hold it by shared_ptr, so a wake-up that comes after hiredis freed the
// context finds the context gone instead of finding freed memory.
class link : public std::enable_shared_from_this<link> {
 public:
  link(asio::any_io_executor executor, std::string peer)
      : executor_(std::move(executor)), peer_(std::move(peer)) {}
  ~link() { close(); }
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // Takes a context whose connect(2) is under way and starts watching its socket; `connecting` is
  // finished by hiredis's connect callback, or failed when the context ends first.
  void attach(async_context context, std::shared_ptr<waiter> connecting) {
    assert(!context_ && context);
    redisAsyncContext* ac = context.get();
    socket_.emplace(executor_, ac->c.fd);
    context_ = std::move(context);
    connecting_ = std::move(connecting);
    guard_writes_ = sigpipe_is_fatal();

    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = &link::add_read;
    ac->ev.delRead = &link::del_read;
    ac->ev.addWrite = &link::add_write;
    ac->ev.delWrite = &link::del_write;
    ac->ev.cleanup = &link::cleanup;
    // hiredis learns that connect(2) ended from the first write (or read) readiness; setting the
    // connect callback makes it ask for the write side.
    redisAsyncSetConnectCallback(ac, &link::on_connect);
    add_read(this);
  }

  // Queues the batch's commands and writes them (what the socket does not take now, on
  // writability).
  void send(const std::shared_ptr<batch>& b,
            const std::vector<std::vector<std::string>>& commands) {
    assert(context_);
    std::size_t widest = 0;
    for (const auto& command : commands) widest = std::max(widest, command.size());
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(widest);
    lengths.reserve(widest);
    queue_all(b, commands.size(), [&](std::size_t i, void* holder) {
      argv.clear();
      lengths.clear();
      for (const auto& arg : commands[i]) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
      }
      return redisAsyncCommandArgv(context_.get(), &link::on_reply, holder,
                                   static_cast<int>(argv.size()), argv.data(), lengths.data());
    });
  }

  // Queues commands already encoded in the protocol, one reply each, and writes them.
  void send_formatted(const std::shared_ptr<batch>& b, const std::vector<std::string_view>& each) {
    assert(context_);
    queue_all(b, each.size(), [&](std::size_t i, void* holder) {
      return redisAsyncFormattedCommand(context_.get(), &link::on_reply, holder, each[i].data(),
                                        each[i].size());
    });
  }

  // Hands `count` commands of one batch to hiredis (`queue(i, holder)` the i-th, returning
  // REDIS_OK or not) and writes them. One holder for the whole batch: every callback reaches the
  // batch through it, the last frees it. Nothing here throws until the loop is over; a command
  // hiredis refuses fails the batch.
  template <class Queue>
  void queue_all(const std::shared_ptr<batch>& b, std::size_t count, Queue&& queue) {
    auto* holder = new std::shared_ptr<batch>(b);
    bool refused = false;
    for (std::size_t i = 0; i < count && !refused; ++i) {
      ++b->unanswered;
      if (queue(i, holder) != REDIS_OK) {
        --b->unanswered;
        refused = true;
      }
    }
    if (b->unanswered == 0) delete holder;
    if (!refused) {
      write_now();
      return;
    }
    b->fail(error(errc::connection_lost,
                  "connection to redis " + peer_ + " lost: hiredis refused a command"));
  }

  // Writes what hiredis holds now rather than when the executor next turns: a caller that goes
  // on computing after sending (the pipelined commit) would otherwise keep the command from
  // Redis until its next co_await. What the socket does not take is written on writability.
  void write_now() {
    if (!connected_ || !want_write_ || !context_) return;
    if (guard_writes_) {
      sigpipe_blocked blocked;
      redisAsyncHandleWrite(context_.get());
    } else {
      redisAsyncHandleWrite(context_.get());
    }
  }

  // Frees the context now; commands waiting for replies fail with connection_lost.
  void close() noexcept { context_.reset(); }

  bool open() const noexcept { return static_cast<bool>(context_); }
  bool connected() const noexcept { return connected_; }
  const std::string& peer() const noexcept { return peer_; }
  const std::string& ended_because() const noexcept { return ended_because_; }

 private:
  static link& of(const redisAsyncContext* ac) noexcept { return *static_cast<link*>(ac->data); }

  // The event-library hooks hiredis calls. They only record interest and start waits.
  static void add_read(void* self) noexcept {
    auto& l = *static_cast<link*>(self);
    l.want_read_ = true;
    l.watch(wait_type::wait_read);
  }
  static void del_read(void* self) noexcept { static_cast<link*>(self)->want_read_ = false; }
  static void add_write(void* self) noexcept {
    auto& l = *static_cast<link*>(self);
    l.want_write_ = true;
    l.watch(wait_type::wait_write);
  }
  static void del_write(void* self) noexcept { static_cast<link*>(self)->want_write_ = false; }
  // hiredis is freeing the context, on our request or after an error, and will close the fd.
  static void cleanup(void* self) noexcept { static_cast<link*>(self)->on_cleanup(); }

  static void on_connect(const redisAsyncContext* ac, int status) noexcept {
    link& l = of(ac);
    if (!l.connecting_) return;
    if (status == REDIS_OK) {
      l.connected_ = l.reached_ = true;
      l.connecting_->finish();
    } else {
      l.connecting_->fail(to_error(ac->c.err, ac->c.errstr, false, l.peer_));
    }
    l.connecting_.reset();
  }

  static void on_reply(redisAsyncContext* ac, void* r, void* privdata) noexcept {
    auto* holder = static_cast<std::shared_ptr<batch>*>(privdata);
    batch& b = **holder;
    if (!b.done) {
      if (r != nullptr) {
        b.replies.push_back(to_reply(*static_cast<const redisReply*>(r)));
        if (b.replies.size() == b.expected) b.finish();
      } else {
        // hiredis is freeing the context with this command unanswered.
        const link& l = of(ac);
        b.fail(to_error(ac->c.err, ac->c.err != 0 ? ac->c.errstr : "", l.reached_, l.peer_));
      }
    }
    if (--b.unanswered == 0) delete holder;
  }

  void watch(wait_type w) {
    bool& waiting = w == wait_type::wait_read ? read_waiting_ : write_waiting_;
    if (waiting || !socket_) return;
    waiting = true;
    socket_->async_wait(
        w, [self = shared_from_this(), w](boost::system::error_code ec) { self->on_ready(w, ec); });
  }

  void on_ready(wait_type w, boost::system::error_code ec) {
    const bool reading = w == wait_type::wait_read;
    (reading ? read_waiting_ : write_waiting_) = false;
    if (ec == asio::error::operation_aborted || !context_) return;  // hiredis let go of the fd
    if (!(reading ? want_read_ : want_write_)) return;
    if (reading) {
      redisAsyncHandleRead(context_.get());
    } else if (guard_writes_) {
      sigpipe_blocked blocked;
      redisAsyncHandleWrite(context_.get());
    } else {
      redisAsyncHandleWrite(context_.get());
    }
    // hiredis asks again by itself, except while connect(2) is still in progress.
    if (context_ && (reading ? want_read_ : want_write_)) watch(w);
  }

  void on_cleanup() noexcept {
    if (redisAsyncContext* ac = context_.get()) {
      // hiredis frees the context itself: the connection failed.
      ended_because_ = ac->c.err != 0 ? ac->c.errstr : "connection closed";
      context_.release();
    } else if (ended_because_.empty()) {
      ended_because_ = "closed by this client";
    }
    connected_ = false;
    if (socket_) {
      // hiredis owns the fd and closes it after this hook: stop watching, do not close.
      boost::system::error_code ignored;
      socket_->cancel(ignored);
      socket_->release();
      socket_.reset();
    }
    if (connecting_) {
      connecting_->fail(to_error(0, ended_because_, false, peer_));
      connecting_.reset();
    }
  }

  asio::any_io_executor executor_;
  std::string peer_;
  async_context context_;
  std::optional<asio::posix::stream_descriptor> socket_;
  std::shared_ptr<waiter> connecting_;
  std::string ended_because_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  bool connected_ = false;
  bool reached_ = false;  // the server was reached once: later failures are losses
  bool guard_writes_ = true;
};

struct connection_state {
  explicit connection_state(asio::any_io_executor e) : executor(std::move(e)) {}

  asio::any_io_executor executor;
  std::shared_ptr<link> current;  // the context of the latest connect(); it may have ended
  std::string peer;               // of the latest connect(), for messages
  std::uint64_t waits = 0;        // connection::waits()
};

}  // namespace detail

namespace {

using state_ref = std::weak_ptr<detail::connection_state>;

[[noreturn]] void throw_cancelled() {
  throw boost::system::system_error(asio::error::operation_aborted);
}

error not_connected(const detail::connection_state* s) {
  if (s == nullptr || s->peer.empty()) {
    return error(errc::connection_lost, "not connected to redis: connect() has not succeeded");
  }
  std::string why = s->current ? s->current->ended_because() : std::string();
  if (why.empty()) why = "connect() has not succeeded";
  return error(errc::connection_lost, "not connected to redis " + s->peer + ": " + why);
}

// The coroutines hold the connection's state weakly and never across a suspension, so a connection
// destroyed (or moved) while they wait is never touched again.
asio::awaitable<void> open(state_ref weak, endpoint where, milliseconds timeout) {
  const std::string peer = describe(where);
  const std::string unreachable = "cannot connect to redis " + peer + ": ";
  asio::any_io_executor executor;
  {
    auto s = weak.lock();
    if (!s) throw error(errc::connect_failed, unreachable + "the connection was destroyed");
    executor = s->executor;
    s->peer = peer;
    if (auto previous = std::exchange(s->current, nullptr)) previous->close();
  }

  // hiredis would resolve a host name with a blocking getaddrinfo: do it here instead.
  std::string address = where.host;
  boost::system::error_code ec;
  asio::ip::make_address(where.host, ec);
  if (ec) {
    asio::ip::tcp::resolver resolver(executor);
    auto found = co_await resolver.async_resolve(where.host, std::to_string(where.port),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) throw_cancelled();
    if (ec) throw error(errc::connect_failed, unreachable + ec.message());
    if (found.empty()) throw error(errc::connect_failed, unreachable + "the name has no address");
    address = found.begin()->endpoint().address().to_string();
  }

  auto connecting = std::make_shared<waiter>(executor);
  connecting->timer.expires_after(timeout);
  std::shared_ptr<detail::link> attempt;
  {
    auto s = weak.lock();
    if (!s) throw error(errc::connect_failed, unreachable + "the connection was destroyed");
    async_context context(redisAsyncConnect(address.c_str(), where.port));
    if (!context) throw error(errc::connect_failed, unreachable + "out of memory");
    if (context.get()->c.err != 0) {
      throw to_error(context.get()->c.err, context.get()->c.errstr, false, peer);
    }
    attempt = std::make_shared<detail::link>(executor, peer);
    attempt->attach(std::move(context), connecting);
    if (auto previous = std::exchange(s->current, attempt)) previous->close();
  }

  const wake woke = co_await park(*connecting);
  if (woke == wake::done) {
    if (connecting->failure) throw *connecting->failure;
    co_return;
  }
  attempt->close();
  if (woke == wake::cancelled) throw_cancelled();
  throw error(errc::timeout,
              unreachable + "no connection within " + std::to_string(timeout.count()) + " ms");
}

asio::awaitable<std::vector<reply>> round_trip(state_ref weak,
                                               std::vector<std::vector<std::string>> commands,
                                               std::optional<milliseconds> timeout) {
  for (const auto& command : commands) require_request_response(command);
  if (commands.empty()) co_return std::vector<reply>{};

  std::shared_ptr<batch> b;
  std::string peer;
  {
    auto s = weak.lock();
    const std::shared_ptr<detail::link> l = s ? s->current : nullptr;
    if (!l || !l->open()) throw not_connected(s.get());
    peer = l->peer();
    b = std::make_shared<batch>(s->executor, commands.size());
    if (timeout) b->timer.expires_after(*timeout);
    l->send(b, commands);
    if (!b->done) ++s->waits;
  }

  const wake woke = co_await park(*b);
  if (woke == wake::done) {
    if (b->failure) throw *b->failure;
    co_return std::move(b->replies);
  }
  if (woke == wake::cancelled) throw_cancelled();
  throw error(errc::timeout, "redis " + peer + " did not answer " +
                                 std::to_string(commands.size()) + " command(s) within " +
                                 std::to_string(timeout->count()) + " ms");
}

// Sends now; sent_command::get() awaits the reply.
template <class Send>
std::pair<std::shared_ptr<batch>, std::string> start(const state_ref& weak, std::size_t replies,
                                                     Send&& send) {
  auto s = weak.lock();
  const std::shared_ptr<detail::link> l = s ? s->current : nullptr;
  if (!l || !l->open()) throw not_connected(s.get());
  auto b = std::make_shared<batch>(s->executor, replies);
  send(*l, b);
  return {std::move(b), l->peer()};
}

asio::awaitable<reply> round_trip_one(state_ref weak, std::vector<std::string> args,
                                      std::optional<milliseconds> timeout) {
  std::vector<std::vector<std::string>> one;
  one.push_back(std::move(args));
  auto replies = co_await round_trip(std::move(weak), std::move(one), timeout);
  co_return std::move(replies.front());
}

asio::awaitable<void> keep_connecting(state_ref weak, endpoint where, milliseconds attempt_timeout,
                                      backoff delays) {
  const std::string peer = describe(where);
  std::string reported;  // the failure last logged
  std::size_t failures = 0;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    const auto cancellation = co_await asio::this_coro::cancellation_state;
    if (cancellation.cancelled() != asio::cancellation_type::none || weak.expired()) {
      throw_cancelled();
    }
    try {
      co_await open(weak, where, attempt_timeout);
      if (failures > 0) {
        log::info("redis reachable again", {{"redis", peer}, {"failed_attempts", failures}});
      }
      co_return;
    } catch (const error& e) {
      if (weak.expired()) throw_cancelled();
      ++failures;
      if (reported != e.what()) {
        reported = e.what();
        log::warn("redis unreachable, retrying with backoff",
                  {{"redis", peer}, {"error", reported}});
      }
    }
    pause.expires_after(delays.next());
    co_await pause.async_wait(asio::use_awaitable);
  }
}

}  // namespace

connection::connection(asio::any_io_executor executor)
    : state_(std::make_shared<detail::connection_state>(std::move(executor))) {}

connection::~connection() {
  close();
}

connection::connection(connection&& other) noexcept = default;

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::move(other.state_);
  }
  return *this;
}

const asio::any_io_executor& connection::get_executor() const noexcept {
  assert(state_ && "use of a moved-from redis::connection");
  return state_->executor;
}

asio::awaitable<void> connection::connect(endpoint where, milliseconds timeout) {
  return open(state_, std::move(where), timeout);
}

asio::awaitable<void> connection::connect_with_backoff(endpoint where, milliseconds attempt_timeout,
                                                       backoff delays) {
  return keep_connecting(state_, std::move(where), attempt_timeout, delays);
}

asio::awaitable<reply> connection::command(std::vector<std::string> args,
                                           std::optional<milliseconds> timeout) {
  return round_trip_one(state_, std::move(args), timeout);
}

asio::awaitable<std::vector<reply>> connection::pipeline(
    std::vector<std::vector<std::string>> commands, std::optional<milliseconds> timeout) {
  return round_trip(state_, std::move(commands), timeout);
}

sent_command connection::send(const std::vector<std::string>& args) {
  require_request_response(args);
  auto [b, peer] = start(state_, 1, [&](detail::link& l, const std::shared_ptr<batch>& b) {
    l.send(b, std::vector<std::vector<std::string>>{args});
  });
  return sent_command(std::move(b), std::move(peer), state_);
}

sent_command connection::send_formatted(const resp_commands& commands) {
  const auto each = commands.commands();
  if (each.empty()) throw std::invalid_argument("send_formatted: no commands");
  auto [b, peer] =
      start(state_, each.size(),
            [&](detail::link& l, const std::shared_ptr<batch>& b) { l.send_formatted(b, each); });
  return sent_command(std::move(b), std::move(peer), state_);
}

asio::awaitable<reply> sent_command::get() {
  auto replies = co_await get_all();
  co_return std::move(replies.front());
}

asio::awaitable<std::vector<reply>> sent_command::get_all(std::optional<milliseconds> timeout) {
  if (!batch_) throw std::logic_error("sent_command::get() on an empty or awaited command");
  const auto b = std::move(batch_);
  if (!b->done) {
    if (timeout) b->timer.expires_after(*timeout);
    if (const auto s = state_.lock()) ++s->waits;
  }
  const wake woke = co_await park(*b);
  if (woke == wake::cancelled) throw_cancelled();
  if (woke == wake::deadline) {
    throw error(errc::timeout, "redis " + peer_ + " did not answer " + std::to_string(b->expected) +
                                   " command(s) within " + std::to_string(timeout->count()) +
                                   " ms");
  }
  if (b->failure) throw *b->failure;
  if (b->replies.size() < b->expected) {
    throw error(errc::connection_lost, "connection to redis " + peer_ + " lost before a reply");
  }
  co_return std::move(b->replies);
}

bool connection::connected() const noexcept {
  return state_ && state_->current && state_->current->connected();
}

std::uint64_t connection::waits() const noexcept {
  return state_ ? state_->waits : 0;
}

void connection::close() noexcept {
  if (state_ && state_->current) state_->current->close();
}

}  // namespace xyp::redis
