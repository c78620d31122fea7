#include "bench/bench_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace xyp::bench {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Between fork and exec only async-signal-safe calls: everything is prepared before.
struct exec_args {
  explicit exec_args(const std::vector<std::string>& args) : strings(args) {
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

[[noreturn]] void exec_in_child(const exec_args& args, int out_fd, int err_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null_in = ::open("/dev/null", O_RDONLY);
  if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
  if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
  // Our Redis sockets (hiredis does not set CLOEXEC) must not stay open in the child.
  ::close_range(3, ~0U, 0);
  ::execvp(args.pointers[0], args.pointers.data());
  static constexpr char failed[] = "exec failed\n";
  [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, failed, sizeof failed - 1);
  ::_exit(127);
}

int open_output(const std::filesystem::path& file) {
  if (file.empty()) return -1;
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open " + file.string());
  return fd;
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const std::filesystem::path& out,
                             const std::filesystem::path& err) {
  const exec_args args(argv);
  const int out_fd = open_output(out);
  const int err_fd = err == out ? out_fd : open_output(err);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) exec_in_child(args, out_fd, err_fd, parent);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0 && err_fd != out_fd) ::close(err_fd);
  pid_ = pid;
}

child_process::~child_process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool child_process::running() {
  if (status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  return !status_;
}

int child_process::wait() {
  if (status_) return *status_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  status_ = status;
  return status;
}

int child_process::stop(int signal, std::chrono::seconds limit) {
  if (!running()) return *status_;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      return wait();
    }
    // Waiting for a process to end.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return *status_;
}

std::string run_and_capture(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe");
  const exec_args args(argv);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) exec_in_child(args, pipe_fds[1], pipe_fds[1], parent);
  ::close(pipe_fds[1]);
  std::string out;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv.front() + " failed: " + out);
  }
  return out;
}

std::optional<std::int64_t> proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoll(line.substr(field.size() + 1));
    }
  }
  return std::nullopt;
}

namespace {

std::optional<double> stat_cpu_seconds(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string word; fields >> word;) f.push_back(word);
  if (f.size() < 13) return std::nullopt;
  // Fields 14 and 15 of proc(5), utime and stime, are the 12th and 13th after the name.
  return static_cast<double>(std::stoull(f[11]) + std::stoull(f[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<double> cpu_seconds(pid_t pid) {
  return stat_cpu_seconds("/proc/" + std::to_string(pid) + "/stat");
}

std::optional<double> thread_cpu_seconds(pid_t pid, pid_t tid) {
  return stat_cpu_seconds("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                          "/stat");
}

std::optional<double> run_queue_seconds(pid_t pid) {
  // schedstat: time on a CPU, time runnable but waiting for one (both ns), timeslices run.
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  std::uint64_t on_cpu = 0, waiting = 0;
  if (!(in >> on_cpu >> waiting)) return std::nullopt;
  return static_cast<double>(waiting) / 1e9;
}

}  // namespace xyp::bench
