#pragma once
// `xinyipi replay`: a JSONL day through the in-memory runtime; the outbound events and the dead
// letters as JSONL, then a summary. The same day under another profile is a policy what-if.
#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include <nlohmann/json_fwd.hpp>

#include "engine/runtime/commit_unit.hpp"

namespace xyp::cli {

// What moves time: clock.advance lines only (simulated, the default, as the engine's simulated
// clock), or also each event's own `at` (events: a production log replays as it happened).
enum class replay_clock { simulated, events };

struct replay_options {
  std::filesystem::path profile;
  std::filesystem::path events;
  std::filesystem::path calendars;
  std::uint32_t partitions = 1;
  bool summary_only = false;
  bool strict = false;  // any dead letter makes the exit code exit_dead_letters
  replay_clock clock = replay_clock::simulated;
  bool progress = false;  // a progress line on err (main sets it when stderr is a terminal)
};

// A dead letter as replay prints it, one line beside the outbound envelopes:
// {"dead_letter": {"line", "event_id", "code", "detail"}} for an input line (event_id null when
// the line has none that can be read), {"dead_letter": {"line", "timer_id", "case_id", "due",
// "code", "detail"}} for a timer that failed; `line` is the input line being applied when it came.
nlohmann::json dead_letter_line(const commit_unit& unit, std::uint64_t line);

// Returns the process exit code; errors in files are a message on err, never an exception.
int run_replay(const replay_options& options, std::ostream& out, std::ostream& err);

}  // namespace xyp::cli
