#include "bench/api_load.hpp"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "support/http_client.hpp"

namespace xyp::bench {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t length = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string random_token() {
  std::random_device random;
  std::string token = "bench-";
  for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[random() % 16];
  return token;
}

// Core-seconds the machine's cores have been busy since boot, whoever ran (/proc/stat's first
// line: user, nice, system, irq, softirq, steal; not idle or iowait).
double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) return 0;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double clock_seconds(clockid_t clock) {
  timespec t{};
  ::clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[at];
}

// The clients: each sends its requests in turn at its share of the rate, a new connection each
// (as a browser or a monitor polling the back office does), until `stop`.
struct api_clients {
  std::mutex lock;
  std::vector<double> all_ms, healthz_ms;
  std::uint64_t overloaded = 0, healthz_degraded = 0, failed = 0;

  asio::awaitable<void> client(std::uint16_t port, std::string token,
                               std::vector<std::string> targets, std::chrono::microseconds period,
                               std::size_t first, const std::atomic<bool>& stop) {
    asio::steady_timer pace(co_await asio::this_coro::executor);
    auto next = std::chrono::steady_clock::now() + period * static_cast<long>(first % 97) / 97;
    for (std::size_t k = first; !stop.load(); ++k) {
      pace.expires_at(next);
      co_await pace.async_wait(asio::use_awaitable);
      next += period;
      const std::string target = targets[k % targets.size()];
      std::optional<std::string> auth;
      if (target != "/healthz") auth = token;
      const auto started = std::chrono::steady_clock::now();
      unsigned status = 0;
      try {
        const auto r = co_await test::http_call(port, bhttp::verb::get, target, auth);
        status = r.status;
      } catch (const std::exception&) {
      }
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      std::lock_guard guard(lock);
      if (status == 0) {
        ++failed;
        continue;
      }
      if (status == 503) ++(target == "/healthz" ? healthz_degraded : overloaded);
      all_ms.push_back(ms);
      if (target == "/healthz") healthz_ms.push_back(ms);
    }
  }
};

// Whether the server answers /healthz at all (a coroutine of its own: a lambda's captures would
// be gone before it runs).
asio::awaitable<void> answers(std::uint16_t port, std::shared_ptr<bool> up) {
  try {
    co_await test::http_call(port, bhttp::verb::get, "/healthz");
    *up = true;
  } catch (const std::exception&) {
  }
}

}  // namespace

api_drain drain_beside_api(const api_load_options& o, const std::string& prefix,
                           std::uint64_t entries, bool with_load) {
  const auto tokens = o.work / "api-tokens.json";
  const std::string token = random_token();
  std::ofstream(tokens) << R"({"tokens":[{"token":")" << token
                        << R"(","role":"supervisor","name":"bench","id":"bench"}]})";
  const std::uint16_t http_port = free_port();
  // Every client comes from 127.0.0.1: the per-address cap (32 by default) is lifted, as 200
  // clients would come from many addresses in a real service centre.
  std::vector<std::string> argv{o.xinyipi.string(),
                                "run",
                                "--redis",
                                "redis://127.0.0.1:" + std::to_string(o.redis_port),
                                "--prefix",
                                prefix,
                                "--partitions",
                                std::to_string(o.partitions),
                                "--batch",
                                std::to_string(o.batch),
                                "--clock",
                                "simulated",
                                "--profile",
                                o.profile.string(),
                                "--calendars",
                                o.calendars.string(),
                                "--http",
                                "127.0.0.1:" + std::to_string(http_port),
                                "--tokens",
                                tokens.string(),
                                "--max-connections",
                                "1024",
                                "--max-connections-per-address",
                                "0",
                                "--log-level",
                                "warn"};
  argv.insert(argv.end(), o.run_args.begin(), o.run_args.end());
  const auto log = o.work / (prefix + ".run.log");
  sync_client c(o.redis_port);
  const double redis_before = cpu_seconds(o.redis_pid).value_or(0);
  const double redis_waited_before = run_queue_seconds(o.redis_pid).value_or(0);
  const double bench_before = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
  const double machine_before = machine_busy_seconds();
  const auto started = monotonic_ns();
  child_process engine(argv, log, log);

  std::atomic<bool> stop{false};
  api_clients clients;
  std::thread load;
  if (with_load) {
    std::vector<std::string> targets{"/healthz", "/api/v1/cases?limit=20", "/api/v1/escalations",
                                     "/api/v1/summary"};
    for (std::size_t i = 0; i < std::min<std::size_t>(o.case_ids.size(), 4); ++i) {
      targets.push_back("/api/v1/cases/" + o.case_ids[i]);
    }
    const auto period = std::chrono::microseconds(
        static_cast<long>(1e6 * static_cast<double>(o.clients) / o.requests_per_s));
    load = std::thread([&, targets, period] {
      asio::io_context io;
      // Wait for the server before the clock of the load starts.
      for (int i = 0; i < 500; ++i) {
        auto up = std::make_shared<bool>(false);
        asio::co_spawn(io, answers(http_port, up), asio::detached);
        io.run();
        io.restart();
        if (*up) break;
        std::this_thread::sleep_for(10ms);
      }
      for (std::size_t k = 0; k < o.clients; ++k) {
        asio::co_spawn(io, clients.client(http_port, token, targets, period, k, stop),
                       asio::detached);
      }
      io.run();
    });
  }

  // Polling another process's progress, as the other figures do.
  std::uint64_t read = 0, pending = 1;
  const auto deadline = std::chrono::steady_clock::now() + 170s;
  while (read < entries || pending > 0) {
    if (!engine.running()) throw std::runtime_error("the engine ended early; see " + log.string());
    if (std::chrono::steady_clock::now() > deadline) {
      stop = true;
      if (load.joinable()) load.join();
      throw std::runtime_error("the drain did not finish within the bench's 3 minutes");
    }
    std::this_thread::sleep_for(20ms);
    read = 0;
    pending = 0;
    for (std::uint32_t n = 0; n < o.partitions; ++n) {
      const redis::partition_keys k(prefix, n);
      const auto groups = c.command({"XINFO", "GROUPS", k.events()});
      if (groups.is_error() || groups.elements().empty()) {
        pending = 1;
        continue;
      }
      const auto& g = groups.elements().front().elements();
      for (std::size_t i = 0; i + 1 < g.size(); i += 2) {
        const auto& name = g[i].as_string();
        if (name == "entries-read" && g[i + 1].is_integer()) {
          read += static_cast<std::uint64_t>(g[i + 1].as_integer());
        }
        if (name == "pending") pending += static_cast<std::uint64_t>(g[i + 1].as_integer());
      }
    }
  }
  const auto done = monotonic_ns();
  api_drain r;
  // The CPU of the drain, read before anything stops: the engine's figures are its whole life.
  r.cpu.machine_busy = machine_busy_seconds() - machine_before;
  const double engine_total = cpu_seconds(engine.pid()).value_or(0);
  r.cpu.engine_main = thread_cpu_seconds(engine.pid(), engine.pid()).value_or(0);
  r.cpu.engine_other = engine_total - r.cpu.engine_main;
  r.cpu.engine_waited = run_queue_seconds(engine.pid()).value_or(0);
  r.cpu.redis = cpu_seconds(o.redis_pid).value_or(0) - redis_before;
  r.cpu.redis_waited = run_queue_seconds(o.redis_pid).value_or(0) - redis_waited_before;
  r.cpu.bench = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - bench_before;
  if (load.joinable()) {
    clockid_t clock{};
    if (::pthread_getcpuclockid(load.native_handle(), &clock) == 0) {
      r.cpu.clients = clock_seconds(clock);
    }
  }
  stop = true;
  if (load.joinable()) load.join();
  engine.stop(SIGTERM, 30s);

  r.seconds = static_cast<double>(done - started) / 1e9;
  r.events_per_s = static_cast<double>(entries) / r.seconds;
  r.requests = clients.all_ms.size();
  r.overloaded = clients.overloaded;
  r.healthz_degraded = clients.healthz_degraded;
  r.failed = clients.failed;
  r.p50_ms = percentile(clients.all_ms, 0.50);
  r.p99_ms = percentile(clients.all_ms, 0.99);
  r.healthz_p99_ms = percentile(clients.healthz_ms, 0.99);
  r.all_ms = std::move(clients.all_ms);
  r.healthz_ms = std::move(clients.healthz_ms);
  return r;
}

}  // namespace xyp::bench
