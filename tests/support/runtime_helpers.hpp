#pragma once
// What the Redis runtime's tests share: the sample day's lines, writing lines to the streams,
// and an observer that counts what the runtime commits and stops it once every stream entry
// written has been committed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::test {

// The Shilong profile, the calendars and a processor on the simulated clock: the engine most
// runtime tests run.
struct simulated_engine {
  jurisdiction_policy policy = load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  working_calendar calendar = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  case_processor processor{policy, calendar, clock_mode::simulated};
};

// A runtime's options on the test's Redis: its prefix and partition count, a 20 ms idle wait.
inline redis::runtime_options runtime_options_for(const redis_server& server, std::string prefix,
                                                  std::uint32_t partitions) {
  redis::runtime_options o;
  o.server = server.endpoint();
  o.prefix = std::move(prefix);
  o.partitions = partitions;
  o.block = std::chrono::milliseconds(20);
  return o;
}

// config/samples/day.jsonl, one envelope a line; its first `at_most` lines.
inline std::vector<std::string> sample_day(std::size_t at_most = SIZE_MAX) {
  std::ifstream in(XYP_CONFIG_DIR "/samples/day.jsonl");
  std::vector<std::string> lines;
  for (std::string line; lines.size() < at_most && std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Writes the lines to their partitions' streams as `xinyipi submit` does; the entries written.
inline std::uint64_t submit(const redis::runtime_options& o,
                            const std::vector<std::string>& lines) {
  boost::asio::io_context io;
  auto written = boost::asio::co_spawn(io, redis::submit_lines(o, lines), boost::asio::use_future);
  io.run();
  return written.get();
}

// Stops the runtime once it has committed as many stream entries as were written.
class counting_observer : public redis::runtime_observer {
 public:
  counting_observer(redis::runtime*& engine, std::uint64_t expected)
      : engine_(engine), expected_(expected) {}
  void committed(std::uint32_t, const commit_unit& unit, redis::commit_status status) override {
    if (unit.consumed_timer.empty()) ++entries;
    // A repeat in the same batch is caught by the overlay, one in a later batch by the script.
    if (unit.ignored || status == redis::commit_status::duplicate) ++duplicates;
    if (entries >= expected_ && engine_) engine_->stop();
  }
  void conflict(std::uint32_t) override { ++conflicts; }
  std::uint64_t entries = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t conflicts = 0;

 private:
  redis::runtime*& engine_;
  std::uint64_t expected_;
};

// Runs the engine until it has committed `expected` stream entries: {entries, repeats, conflicts}.
inline std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> run_until_committed(
    const case_processor& processor, const redis::runtime_options& o, std::uint64_t expected) {
  boost::asio::io_context io;
  redis::runtime* handle = nullptr;
  counting_observer observer(handle, expected);
  redis::runtime engine(io.get_executor(), processor, o, observer);
  handle = &engine;
  boost::asio::co_spawn(io, engine.run(), boost::asio::detached);
  io.run();
  return {observer.entries, observer.duplicates, observer.conflicts};
}

}  // namespace xyp::test
