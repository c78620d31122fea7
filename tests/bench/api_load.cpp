#include "bench/api_load.hpp"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fstream>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"

namespace xyp::bench {
namespace {

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
// (as a browser or a monitor polling the back office does), until `stop`. They stand for
// browsers on other machines yet share this machine's two cores with the engine and Redis, so
// they are kept as cheap as a client can be: one thread, epoll, non-blocking sockets, each
// request's bytes composed once, the answer read up to its Content-Length and not parsed further
// (the Beast client they replace cost about as much CPU per request as the server's answer).
class api_clients {
 public:
  api_clients(std::uint16_t port, const std::string& token, const std::vector<std::string>& targets,
              std::size_t count, std::chrono::microseconds period)
      : period_(period), epoll_(::epoll_create1(EPOLL_CLOEXEC)), clients_(count) {
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    address_.sin_family = AF_INET;
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address_.sin_port = htons(port);
    for (const auto& t : targets) {
      // The bytes the Beast client sent: request line, Host, the token but to /healthz.
      std::string r = "GET " + t + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      if (t != "/healthz") r += "Authorization: Bearer " + token + "\r\n";
      requests_.push_back({std::move(r) + "\r\n", t == "/healthz"});
    }
  }
  ~api_clients() {
    for (auto& c : clients_) close_socket(c);
    ::close(epoll_);
  }
  api_clients(const api_clients&) = delete;
  api_clients& operator=(const api_clients&) = delete;

  std::vector<double> all_ms, healthz_ms;
  std::uint64_t overloaded = 0, healthz_degraded = 0, failed = 0;

  // Runs the clients until `stop`; what is under way then is dropped uncounted.
  void run(const std::atomic<bool>& stop) {
    const auto start = clock::now();
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i].k = i;
      clients_[i].next = start + period_ * static_cast<long>(i % 97) / 97;
      idle_.push({clients_[i].next, i});
    }
    std::array<epoll_event, 256> events{};
    while (!stop.load()) {
      auto now = clock::now();
      while (!idle_.empty() && idle_.top().first <= now) {
        const auto i = idle_.top().second;
        idle_.pop();
        send_next(i, now);
      }
      int wait_ms = 10;
      if (!idle_.empty()) {
        const auto until = std::chrono::ceil<std::chrono::milliseconds>(idle_.top().first - now);
        wait_ms = static_cast<int>(std::clamp<long>(until.count(), 0, 10));
      }
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      for (int e = 0; e < n; ++e) on_ready(events[e].data.u64, events[e].events);
    }
  }

 private:
  using clock = std::chrono::steady_clock;
  struct request_bytes {
    std::string bytes;
    bool healthz = false;
  };
  struct client {
    int fd = -1;
    std::size_t k = 0;  // its next request: targets in turn
    clock::time_point next, started;
    std::size_t sent = 0;
    std::string in;
  };

  void close_socket(client& c) {
    if (c.fd >= 0) ::close(c.fd);  // closing removes it from the epoll set
    c.fd = -1;
  }

  void send_next(std::size_t i, clock::time_point now) {
    auto& c = clients_[i];
    c.started = now;
    c.sent = 0;
    c.in.clear();
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return done(i, 0);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) != 0 &&
        errno != EINPROGRESS) {
      return done(i, 0);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = i;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return done(i, 0);
  }

  void on_ready(std::size_t i, std::uint32_t events) {
    auto& c = clients_[i];
    if (c.fd < 0) return;
    const auto& request = requests_[c.k % requests_.size()].bytes;
    if (c.sent < request.size() && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      const auto n = ::send(c.fd, request.data() + c.sent, request.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) return done(i, 0);
      if (n > 0) c.sent += static_cast<std::size_t>(n);
    }
    if (c.sent < request.size() || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    char buffer[16 * 1024];
    for (;;) {
      const auto n = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        c.in.append(buffer, static_cast<std::size_t>(n));
        if (const auto status = complete(c.in)) return done(i, *status);
        continue;
      }
      if (n < 0 && errno == EAGAIN) return;
      return done(i, 0);  // closed or reset before the whole answer
    }
  }

  // The status of a whole answer (headers and Content-Length bytes of body), else nullopt.
  static std::optional<unsigned> complete(const std::string& in) {
    const auto end = in.find("\r\n\r\n");
    if (end == std::string::npos || in.size() < 12) return std::nullopt;
    std::size_t length = 0;
    for (std::size_t at = in.find("\r\n"); at < end; at = in.find("\r\n", at + 2)) {
      static constexpr std::string_view name = "content-length:";
      if (end - at < name.size() + 2) break;
      bool same = true;
      for (std::size_t j = 0; j < name.size() && same; ++j) {
        same = std::tolower(static_cast<unsigned char>(in[at + 2 + j])) == name[j];
      }
      if (!same) continue;
      std::size_t p = at + 2 + name.size();
      while (p < end && in[p] == ' ') ++p;
      std::from_chars(in.data() + p, in.data() + end, length);
      break;
    }
    if (in.size() < end + 4 + length) return std::nullopt;
    unsigned status = 0;
    std::from_chars(in.data() + 9, in.data() + 12, status);
    return status;
  }

  void done(std::size_t i, unsigned status) {
    auto& c = clients_[i];
    close_socket(c);
    const auto now = clock::now();
    const bool healthz = requests_[c.k % requests_.size()].healthz;
    ++c.k;
    c.next += period_;
    idle_.push({c.next, i});
    if (status == 0) {
      ++failed;
      return;
    }
    if (status == 503) ++(healthz ? healthz_degraded : overloaded);
    const double ms = std::chrono::duration<double, std::milli>(now - c.started).count();
    all_ms.push_back(ms);
    if (healthz) healthz_ms.push_back(ms);
  }

  std::chrono::microseconds period_;
  int epoll_;
  sockaddr_in address_{};
  std::vector<request_bytes> requests_;
  std::vector<client> clients_;
  using due = std::pair<clock::time_point, std::size_t>;
  std::priority_queue<due, std::vector<due>, std::greater<>> idle_;
};

// Whether the server takes connections yet.
bool listening(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool up = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return up;
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
  std::optional<api_clients> clients;  // made and run on the load's thread
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
      // Wait for the server before the clock of the load starts.
      for (int i = 0; i < 500 && !listening(http_port); ++i) std::this_thread::sleep_for(10ms);
      clients.emplace(http_port, token, targets, o.clients, period);
      clients->run(stop);
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
  if (clients) {
    r.requests = clients->all_ms.size();
    r.overloaded = clients->overloaded;
    r.healthz_degraded = clients->healthz_degraded;
    r.failed = clients->failed;
    r.p50_ms = percentile(clients->all_ms, 0.50);
    r.p99_ms = percentile(clients->all_ms, 0.99);
    r.healthz_p99_ms = percentile(clients->healthz_ms, 0.99);
    r.all_ms = std::move(clients->all_ms);
    r.healthz_ms = std::move(clients->healthz_ms);
  }
  return r;
}

}  // namespace xyp::bench
