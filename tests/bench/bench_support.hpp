#pragma once
// What the benchmark needs around the engine: child processes (the engine, redis-benchmark); and
// the memory figures of a process.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/redis_client.hpp"

namespace xyp::bench {

// The tests' blocking Redis client (tests/support/redis_client.hpp), for producers, readers and
// probes.
using sync_client = test::redis_client;

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
// The same for one thread of a process (/proc/<pid>/task/<tid>/stat).
std::optional<double> thread_cpu_seconds(pid_t pid, pid_t tid);
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
