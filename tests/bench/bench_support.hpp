#pragma once
// What the benchmark needs around the engine: a blocking Redis client for producers, readers and
// probes; child processes (the engine, redis-benchmark); and the memory figures of a process.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/reply.hpp"

struct redisContext;

namespace xyp::bench {

// One blocking hiredis connection to 127.0.0.1:port, owned by one thread. Throws
// std::runtime_error on an I/O failure; an error reply is returned as a reply.
class sync_client {
 public:
  explicit sync_client(std::uint16_t port);
  ~sync_client();
  sync_client(const sync_client&) = delete;
  sync_client& operator=(const sync_client&) = delete;

  redis::reply command(const std::vector<std::string>& args);
  // Sends every command in one write, then reads the replies in order.
  std::vector<redis::reply> pipeline(const std::vector<std::vector<std::string>>& commands);

  // For paced writers: queue commands, flush them in one write, read their replies later.
  void append(const std::vector<std::string>& args);
  void flush();
  redis::reply read_reply();

  // An INFO field ("used_memory") as a number.
  std::int64_t info_number(const std::string& section, const std::string& field);

 private:
  struct context_free {
    void operator()(redisContext* c) const noexcept;
  };
  std::unique_ptr<redisContext, context_free> context_;
  std::uint16_t port_;
};

// A child process with argv, stdout and stderr to files (or inherited when empty); killed with
// SIGKILL if still running when the owner goes away, and with its parent (PR_SET_PDEATHSIG).
class child_process {
 public:
  child_process(const std::vector<std::string>& argv, const std::filesystem::path& out,
                const std::filesystem::path& err);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends the signal and waits up to `limit` for the exit; SIGKILL after that. Returns the wait
  // status.
  int stop(int signal, std::chrono::seconds limit);
  int wait();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs a program to its end and returns what it wrote on stdout (stderr joins it).
std::string run_and_capture(const std::vector<std::string>& argv);

// A field of /proc/<pid>/status in kB (VmHWM, VmRSS); nullopt when the process is gone.
std::optional<std::int64_t> proc_status_kb(pid_t pid, const std::string& field);

// CPU time (user + system) a process has used so far, in seconds; nullopt when it is gone.
std::optional<double> cpu_seconds(pid_t pid);
// Seconds the process's main thread was ready to run but waited for a core (/proc/<pid>/schedstat):
// how much of a wall-clock figure the other work on the machine took.
std::optional<double> run_queue_seconds(pid_t pid);

// Nanoseconds on CLOCK_MONOTONIC (steady_clock), comparable between processes of one machine.
inline std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace xyp::bench
