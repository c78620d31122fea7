#pragma once
// The engine under test, as a process of its own: the real xyp::redis::runtime set up as
// `xinyipi run` sets it up, plus an observer that records what the benchmark measures. Run as
// `xyp_bench engine ...` by the bench itself, so that its memory is the engine's alone.
#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/runtime/processor.hpp"

namespace xyp::bench {

struct engine_child_options {
  std::uint16_t port = 0;
  std::string prefix = "xyp";
  std::uint32_t partitions = 1;
  std::size_t batch_size = 256;
  // The consumer name in the inbound streams' group; the cluster figure runs several engines at
  // once, each with its own.
  std::string consumer = "engine-1";
  clock_mode clock = clock_mode::simulated;
  std::filesystem::path profile;
  std::filesystem::path calendars;
  std::filesystem::path stats;  // where the figures go, as JSON, when SIGTERM stops the engine
};

// Serves until SIGTERM or SIGINT, then writes the stats file and returns the exit code.
int run_engine_child(const engine_child_options& options);

}  // namespace xyp::bench
