#include "support/redis_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <optional>
#include <set>
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

// Waiting for processes and for gossip, not for simulated time to pass.
constexpr auto between_polls = 50ms;
constexpr auto command_timeout = 10s;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Runs a program to its end with its output in `log`; false (with why) when it fails or takes
// longer than `limit` (then it is killed).
bool run_program(const std::vector<std::string>& args, const fs::path& log,
                 std::chrono::milliseconds limit, std::string& why) {
  const pid_t pid = spawn(args, log);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) break;
    if (reaped < 0 && errno != EINTR) throw_errno("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      why = args.front() + " did not finish within " + std::to_string(limit.count()) + " ms";
      return false;
    }
    std::this_thread::sleep_for(between_polls);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  why = args.front() + (WIFEXITED(status)
                            ? " exited with status " + std::to_string(WEXITSTATUS(status))
                            : std::string(" was killed by a signal"));
  return false;
}

// One line of CLUSTER SLOTS: a range of slots, its master and replicas (ports).
struct slot_range {
  int first = 0;
  int last = 0;
  std::uint16_t master = 0;
  std::vector<std::uint16_t> replicas;
};

std::uint16_t port_of(const redis::reply& node) {
  return static_cast<std::uint16_t>(node.elements().at(1).as_integer());
}

// CLUSTER SLOTS of one node, sorted by first slot.
std::vector<slot_range> slots_seen_by(std::uint16_t port) {
  const auto answer = redis_client(port, command_timeout).command({"CLUSTER", "SLOTS"});
  if (!answer.is_array()) {
    throw std::runtime_error("CLUSTER SLOTS on 127.0.0.1:" + std::to_string(port) + " answered " +
                             answer.describe());
  }
  std::vector<slot_range> ranges;
  for (const auto& entry : answer.elements()) {
    const auto& fields = entry.elements();
    slot_range range;
    range.first = static_cast<int>(fields.at(0).as_integer());
    range.last = static_cast<int>(fields.at(1).as_integer());
    range.master = port_of(fields.at(2));
    for (std::size_t i = 3; i < fields.size(); ++i) range.replicas.push_back(port_of(fields[i]));
    ranges.push_back(std::move(range));
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const slot_range& a, const slot_range& b) { return a.first < b.first; });
  return ranges;
}

// The value of `field` in an INFO-style "field:value" text, or "".
std::string info_field(const std::string& text, const std::string& field) {
  const std::string key = field + ":";
  for (std::size_t at = 0; at < text.size();) {
    const auto end = std::min(text.find('\n', at), text.size());
    const std::string_view line(text.data() + at, end - at);
    if (line.starts_with(key)) {
      auto value = line.substr(key.size());
      if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
      return std::string(value);
    }
    at = end + 1;
  }
  return "";
}

std::string where(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

redis_cluster::member redis_cluster::start_node(std::uint16_t port, std::uint16_t bus_port) const {
  redis_server::options server;
  server.appendonly = true;
  server.port = port;
  server.dir = dir_ / ("node-" + std::to_string(port));
  const auto set = [&server](const char* name, std::string value) {
    server.extra_args.push_back(std::string("--") + name);
    server.extra_args.push_back(std::move(value));
  };
  set("cluster-enabled", "yes");
  set("cluster-config-file", "nodes.conf");
  set("cluster-node-timeout", std::to_string(options_.node_timeout.count()));
  // Explicit: the default, port + 10000, may be taken or beyond 65535.
  set("cluster-port", std::to_string(bus_port));
  set("maxmemory-policy", "noeviction");
  // A replica's first sync starts at once, not 5 s later.
  set("repl-diskless-sync-delay", "0");
  // CLUSTER SLOTS lists a replica only once its replication offset is not 0: after the master's
  // first write or PING to it (every 10 s by default).
  set("repl-ping-replica-period", "1");
  member m;
  m.server = std::make_unique<redis_server>(std::move(server));
  m.bus_port = bus_port;
  return m;
}

redis_cluster::redis_cluster() : redis_cluster(options{}) {}

redis_cluster::redis_cluster(options opts) : options_(opts) {
  if (options_.masters < 3) {
    throw std::invalid_argument("redis_cluster: redis-cli --cluster create needs 3 masters");
  }
  std::string pattern = (fs::temp_directory_path() / "xyp-cluster-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  dir_ = pattern;
  try {
    const auto count =
        static_cast<std::size_t>(options_.masters * (1 + options_.replicas_per_master));
    // Every client port and bus port distinct: the kernel may hand out a port again once the
    // probing socket is closed.
    std::set<std::uint16_t> taken;
    const auto fresh_port = [&taken] {
      for (;;) {
        const auto port = free_loopback_port();
        if (taken.insert(port).second) return port;
      }
    };
    for (std::size_t i = 0; i < count; ++i) {
      // Another process may take a probed port before the node binds it: then the node exits at
      // once, and is started again on other ports.
      for (int attempt = 1;; ++attempt) {
        try {
          nodes_.push_back(start_node(fresh_port(), fresh_port()));
          break;
        } catch (const std::runtime_error&) {
          if (attempt == 3) throw;
        }
      }
    }
    create();
  } catch (...) {
    for (auto& m : nodes_) m.server->kill();
    nodes_.clear();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

redis_cluster::~redis_cluster() {
  // The data is thrown away: SIGKILL is quicker than a shutdown that waits for replicas.
  for (auto& m : nodes_) {
    try {
      m.server->kill();
    } catch (...) {
      // A destructor cannot report; the server destructor tries again.
    }
  }
  nodes_.clear();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void redis_cluster::create() {
  std::vector<std::string> args = {find_program("redis-cli", "redis-tools").string(), "--cluster",
                                   "create"};
  for (const auto& m : nodes_) args.push_back(where(m.server->port()));
  args.insert(args.end(), {"--cluster-replicas", std::to_string(options_.replicas_per_master),
                           "--cluster-yes"});
  std::string why;
  if (!run_program(args, dir_ / "redis-cli.log", options_.settle_limit, why)) {
    fail("redis-cli --cluster create failed: " + why);
  }
  wait_for("the cluster to form", [this] {
    auto problem = disagreement(options_.replicas_per_master);
    if (!problem.empty()) return problem;
    const auto count = masters().size();
    if (count != static_cast<std::size_t>(options_.masters)) {
      return std::to_string(count) + " masters serve slots, not " +
             std::to_string(options_.masters);
    }
    return std::string();
  });
}

const redis_server& redis_cluster::node_on(std::uint16_t port) const {
  for (const auto& m : nodes_) {
    if (m.server->port() == port) return *m.server;
  }
  throw std::invalid_argument("redis_cluster: no node on port " + std::to_string(port));
}

redis_cluster::member& redis_cluster::member_on(std::uint16_t port) {
  for (auto& m : nodes_) {
    if (m.server->port() == port) return m;
  }
  throw std::invalid_argument("redis_cluster: no node on port " + std::to_string(port));
}

std::vector<std::uint16_t> redis_cluster::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& m : nodes_) out.push_back(m.server->port());
  return out;
}

std::uint16_t redis_cluster::any_running_port() const {
  for (const auto& m : nodes_) {
    if (m.server->running()) return m.server->port();
  }
  throw std::runtime_error("redis_cluster: no node is running");
}

std::uint16_t redis_cluster::port() const noexcept {
  for (const auto& m : nodes_) {
    if (m.server->running()) return m.server->port();
  }
  return nodes_.empty() ? 0 : nodes_.front().server->port();
}

std::string redis_cluster::url() const {
  return "redis://" + where(port());
}

redis::endpoint redis_cluster::endpoint() const {
  return redis::endpoint{"127.0.0.1", port()};
}

std::vector<std::uint16_t> redis_cluster::masters() const {
  std::set<std::uint16_t> found;
  for (const auto& range : slots_seen_by(any_running_port())) found.insert(range.master);
  return {found.begin(), found.end()};
}

std::uint16_t redis_cluster::master_of_slot(int slot) const {
  if (slot < 0 || slot >= slot_count) {
    throw std::invalid_argument("redis_cluster: no slot " + std::to_string(slot));
  }
  const auto port = any_running_port();
  for (const auto& range : slots_seen_by(port)) {
    if (range.first <= slot && slot <= range.last) return range.master;
  }
  throw std::runtime_error("redis_cluster: " + where(port) + " knows no master for slot " +
                           std::to_string(slot));
}

int redis_cluster::slot_of(std::string_view key) const {
  const auto answer = command(any_running_port(), {"CLUSTER", "KEYSLOT", std::string(key)});
  return static_cast<int>(answer.as_integer());
}

std::string redis_cluster::node_id(std::uint16_t port) const {
  const auto answer = command(port, {"CLUSTER", "MYID"});
  if (!answer.is_string()) {
    throw std::runtime_error("CLUSTER MYID on " + where(port) + " answered " + answer.describe());
  }
  return answer.as_string();
}

redis::reply redis_cluster::command(std::uint16_t port,
                                    const std::vector<std::string>& args) const {
  if (args.empty()) throw std::invalid_argument("redis_cluster::command: no command given");
  return redis_client(port, command_timeout).command(args);
}

std::string redis_cluster::disagreement(int replicas) const {
  std::optional<std::vector<slot_range>> first_view;
  std::uint16_t first_port = 0;
  for (const auto& m : nodes_) {
    if (!m.server->running()) continue;
    const auto port = m.server->port();
    const auto info = command(port, {"CLUSTER", "INFO"});
    if (!info.is_string()) return where(port) + " answers CLUSTER INFO with " + info.describe();
    const auto state = info_field(info.as_string(), "cluster_state");
    if (state != "ok") return where(port) + " says cluster_state:" + state;

    const auto view = slots_seen_by(port);
    int covered = 0;
    int next = 0;
    for (const auto& range : view) {
      if (range.first != next) {
        return where(port) + " has no master for slot " + std::to_string(next);
      }
      if (static_cast<int>(range.replicas.size()) < replicas) {
        return where(port) + " sees " + std::to_string(range.replicas.size()) + " replicas of " +
               where(range.master);
      }
      covered += range.last - range.first + 1;
      next = range.last + 1;
    }
    if (covered != slot_count) {
      return where(port) + " covers " + std::to_string(covered) + " slots";
    }
    if (!first_view) {
      first_view = view;
      first_port = port;
    } else {
      const auto same_masters =
          std::equal(view.begin(), view.end(), first_view->begin(), first_view->end(),
                     [](const slot_range& a, const slot_range& b) {
                       return a.first == b.first && a.last == b.last && a.master == b.master;
                     });
      if (!same_masters) return where(port) + " and " + where(first_port) + " disagree on the map";
    }

    const bool serves_slots = std::any_of(view.begin(), view.end(),
                                          [port](const slot_range& r) { return r.master == port; });
    if (!serves_slots) {
      const auto replication = command(port, {"INFO", "replication"});
      if (!replication.is_string()) return where(port) + " answers INFO with an error";
      const auto& text = replication.as_string();
      if (info_field(text, "role") != "slave") return where(port) + " serves no slot yet";
      if (info_field(text, "master_link_status") != "up") {
        return where(port) + " is not in sync with its master yet";
      }
    }
  }
  return "";
}

void redis_cluster::wait_for(const std::string& what,
                             const std::function<std::string()>& check) const {
  const auto deadline = std::chrono::steady_clock::now() + options_.settle_limit;
  std::string last = "not checked yet";
  for (;;) {
    try {
      last = check();
      if (last.empty()) return;
    } catch (const std::exception& e) {
      last = e.what();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(between_polls);
  }
  fail("redis_cluster: waited " + std::to_string(options_.settle_limit.count()) + " ms for " +
       what + "; last: " + last);
}

std::uint16_t redis_cluster::kill_master_of(int slot) {
  const auto old_master = master_of_slot(slot);
  member_on(old_master).server->kill();
  std::uint16_t new_master = 0;
  wait_for("a replica to replace " + where(old_master), [&] {
    auto problem = disagreement(0);
    if (!problem.empty()) return problem;
    new_master = master_of_slot(slot);
    if (new_master == old_master) return where(old_master) + " still serves the slot";
    return std::string();
  });
  return new_master;
}

void redis_cluster::restart(std::uint16_t port) {
  member_on(port).server->start();
  // disagreement() holds a node that serves no slot to being a replica in sync with its master.
  wait_for(where(port) + " to rejoin", [this] { return disagreement(0); });
}

void redis_cluster::move_slot(int slot, std::uint16_t to_port) {
  move_slot(slot, to_port, move_options{});
}

void redis_cluster::move_slot(int slot, std::uint16_t to_port, const move_options& how) {
  if (how.keys_per_round == 0) throw std::invalid_argument("move_slot: keys_per_round is 0");
  const auto from_port = master_of_slot(slot);
  if (from_port == to_port) return;
  const auto all_masters = masters();
  if (std::find(all_masters.begin(), all_masters.end(), to_port) == all_masters.end()) {
    throw std::invalid_argument("move_slot: " + where(to_port) + " is not a master");
  }
  const auto from_id = node_id(from_port);
  const auto to_id = node_id(to_port);
  const auto slot_text = std::to_string(slot);
  const auto step = [&](std::uint16_t port, std::vector<std::string> args) {
    const auto answer = command(port, args);
    std::string what;
    for (const auto& arg : args) what += arg + " ";
    if (!answer.is_status() || answer.as_string() != "OK") {
      fail("move_slot: " + what + "on " + where(port) + " answered " + answer.describe());
    }
  };
  step(to_port, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", from_id});
  step(from_port, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", to_id});

  std::size_t moved = 0;
  for (;;) {
    if (how.pause > 0ms) std::this_thread::sleep_for(how.pause);
    if (how.between_rounds) how.between_rounds(moved);
    const auto keys = command(
        from_port, {"CLUSTER", "GETKEYSINSLOT", slot_text, std::to_string(how.keys_per_round)});
    if (!keys.is_array()) {
      fail("move_slot: CLUSTER GETKEYSINSLOT on " + where(from_port) + " answered " +
           keys.describe());
    }
    if (keys.elements().empty()) break;
    std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to_port), "", "0",
                                        "5000",    "KEYS"};
    for (const auto& key : keys.elements()) migrate.push_back(key.as_string());
    const auto answer = command(from_port, migrate);
    // NOKEY: the keys expired or were deleted since GETKEYSINSLOT; the next round sees.
    const bool done =
        answer.is_status() && (answer.as_string() == "OK" || answer.as_string() == "NOKEY");
    if (!done) {
      fail("move_slot: MIGRATE of " + std::to_string(keys.elements().size()) + " keys to " +
           where(to_port) + " answered " + answer.describe());
    }
    moved += keys.elements().size();
  }

  // The target first (it takes the slot with a new epoch), then the source (it stops redirecting
  // with ASK), then the other masters, so nobody keeps an old owner until gossip reaches it.
  step(to_port, {"CLUSTER", "SETSLOT", slot_text, "NODE", to_id});
  step(from_port, {"CLUSTER", "SETSLOT", slot_text, "NODE", to_id});
  for (const auto port : all_masters) {
    if (port != to_port && port != from_port) {
      step(port, {"CLUSTER", "SETSLOT", slot_text, "NODE", to_id});
    }
  }
  wait_for("slot " + slot_text + " to move to " + where(to_port), [&] {
    auto problem = disagreement(0);
    if (!problem.empty()) return problem;
    if (master_of_slot(slot) != to_port) return "slot " + slot_text + " is not on the target yet";
    return std::string();
  });
}

std::string redis_cluster::log_tail(std::size_t lines) const {
  std::string out;
  for (const auto& m : nodes_) {
    out += "=== node " + where(m.server->port()) + (m.server->running() ? "" : " (stopped)") +
           "\n" + m.server->log_tail(lines);
  }
  std::string cli;
  for (const auto& line : last_lines(dir_ / "redis-cli.log", lines)) cli += line + "\n";
  if (!cli.empty()) out += "=== redis-cli --cluster create\n" + cli;
  return out;
}

void redis_cluster::fail(const std::string& what) const {
  throw std::runtime_error(what + "\n" + log_tail());
}

}  // namespace xyp::test
