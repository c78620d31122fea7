#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "support/child_process.hpp"
#include "support/redis_client.hpp"

namespace xyp::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto startup_limit = 10s;
constexpr auto shutdown_limit = 10s;
constexpr auto between_attempts = 10ms;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A file descriptor, closed when it goes out of scope.
class fd_owner {
 public:
  explicit fd_owner(int fd) noexcept : fd_(fd) {}
  ~fd_owner() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_owner(const fd_owner&) = delete;
  fd_owner& operator=(const fd_owner&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::uint16_t free_loopback_port() {
  fd_owner s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw_errno("bind 127.0.0.1:0");
  }
  socklen_t length = sizeof address;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw_errno("getsockname");
  }
  return ntohs(address.sin_port);
}

redis_server::redis_server() : redis_server(options{}) {}

redis_server::redis_server(options opts) : options_(std::move(opts)) {
  port_ = options_.port != 0 ? options_.port : free_loopback_port();
  if (options_.dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "xyp-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
    dir_ = pattern;
  } else {
    dir_ = options_.dir;
    fs::create_directories(dir_);
  }
  try {
    start();
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

redis_server::~redis_server() {
  try {
    stop();
  } catch (...) {
    // A destructor cannot report; the process is reaped or killed either way.
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string redis_server::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_);
}

redis::endpoint redis_server::endpoint() const {
  return redis::endpoint{"127.0.0.1", port_};
}

void redis_server::start() {
  if (running()) throw std::logic_error("redis_server::start: the server is already running");
  spawn();
  wait_until_ready();
}

void redis_server::stop() {
  signal_and_reap(SIGTERM);
}

void redis_server::kill() {
  signal_and_reap(SIGKILL);
}

void redis_server::spawn() {
  const fs::path program = find_program("redis-server", "redis-server");
  std::vector<std::string> args = {
      program.string(),
      "--port",
      std::to_string(port_),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir_.string(),
      "--save",
      "",
      "--appendonly",
      options_.appendonly ? "yes" : "no",
      "--daemonize",
      "no",
      "--logfile",
      (dir_ / "redis.log").string(),
  };
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = test::spawn(args, dir_ / "stdout.log");
}

void redis_server::wait_until_ready() {
  const auto deadline = std::chrono::steady_clock::now() + startup_limit;
  std::string last_problem = "no answer yet";
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server on 127.0.0.1:" + std::to_string(port_) + " " +
                               describe_status(status) + " while starting\n" + log_tail());
    }
    try {
      const auto pong = redis_client(port_, std::chrono::milliseconds(200)).command({"PING"});
      if (pong.is_status() && pong.as_string() == "PONG") return;
      // Answers such as "LOADING" mean the server is up but not ready yet.
      last_problem = pong.is_error() ? pong.error_message() : "an answer other than PONG";
    } catch (const std::runtime_error& e) {
      last_problem = e.what();
    }
    // Waiting for a process to start, not for simulated time to pass.
    std::this_thread::sleep_for(between_attempts);
  }
  const std::string tail = log_tail();
  signal_and_reap(SIGKILL);
  throw std::runtime_error("redis-server on 127.0.0.1:" + std::to_string(port_) +
                           " did not answer PING within 10 s (" + last_problem + ")\n" + tail);
}

void redis_server::signal_and_reap(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + shutdown_limit;
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(pid_, &status, signal == SIGKILL ? 0 : WNOHANG);
    if (reaped == pid_) break;
    if (reaped < 0 && errno != EINTR) break;  // not our child any more; nothing to reap
    if (reaped == 0 && std::chrono::steady_clock::now() >= deadline) {
      // A clean shutdown that hangs is not worth failing the run for.
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    if (reaped == 0) std::this_thread::sleep_for(between_attempts);
  }
  pid_ = -1;
}

redis::reply redis_server::command(const std::vector<std::string>& args) const {
  if (args.empty()) throw std::invalid_argument("redis_server::command: no command given");
  return redis_client(port_, std::chrono::seconds(10)).command(args);
}

std::string redis_server::log_tail(std::size_t lines) const {
  std::string out;
  for (const char* name : {"redis.log", "stdout.log"}) {
    const auto tail = last_lines(dir_ / name, lines);
    if (tail.empty()) continue;
    out += "--- last lines of " + (dir_ / name).string() + "\n";
    for (const auto& line : tail) out += line + "\n";
  }
  return out.empty() ? "(redis-server wrote no log)\n" : out;
}

}  // namespace xyp::test
