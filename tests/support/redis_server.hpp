#pragma once
// A redis-server of the test's own: a free loopback port, a temporary directory, a real process.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/redis/redis_url.hpp"
#include "adapters/redis/reply.hpp"

namespace xyp::test {

// A loopback TCP port nobody listened on a moment ago (bound to 127.0.0.1:0, then closed).
std::uint16_t free_loopback_port();

// What the engine tests need of the Redis under them, one server or a Cluster (redis_cluster):
// where an engine and a client are pointed, and where logs and files go.
class redis_target {
 public:
  virtual ~redis_target() = default;
  virtual std::uint16_t port() const = 0;  // a node's port: any running node of a Cluster
  virtual std::string url() const = 0;     // "redis://127.0.0.1:P" of that node
  virtual redis::endpoint endpoint() const = 0;
  virtual const std::filesystem::path& dir() const noexcept = 0;
  virtual std::string log_tail(std::size_t lines = 20) const = 0;
};

// Starts redis-server on construction and waits until it answers PING; stops it and removes its
// directory on destruction. stop()/kill() then start() restart it on the same port and directory,
// so with appendonly the data written before survives. Not thread-safe; one test owns it.
class redis_server final : public redis_target {
 public:
  struct options {
    bool appendonly = false;
    // 0: a free loopback port of its own.
    std::uint16_t port = 0;
    // Empty: a temporary directory of its own. Otherwise this directory (created if missing); it
    // is removed on destruction all the same.
    std::filesystem::path dir{};
    // Appended to the command line, e.g. {"--cluster-enabled", "yes"}.
    std::vector<std::string> extra_args{};
  };

  redis_server();
  explicit redis_server(options opts);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const noexcept override { return port_; }
  std::string url() const override;  // "redis://127.0.0.1:P"
  redis::endpoint endpoint() const override;
  const std::filesystem::path& dir() const noexcept override { return dir_; }
  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }  // -1 while stopped

  // Spawns the server again on the same port and directory, and waits for PING. Throws
  // std::runtime_error (with the end of the server's log) when it does not come up within ~10 s.
  void start();
  // SIGTERM, then waits for the process: a clean shutdown, the AOF flushed.
  void stop();
  // SIGKILL, then waits for the process: a crash.
  void kill();

  // Sends one command on a redis_client of its own, for assertions. Throws std::runtime_error
  // when the server cannot be reached; an error reply is returned as a reply.
  redis::reply command(const std::vector<std::string>& args) const;

  // The last lines of the server's log and of its stdout/stderr.
  std::string log_tail(std::size_t lines = 20) const override;

 private:
  void spawn();
  void wait_until_ready();
  void signal_and_reap(int signal);

  options options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace xyp::test
