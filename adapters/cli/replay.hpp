#pragma once
// `xinyipi replay`: a JSONL day through the in-memory runtime with the simulated clock; the
// outbound events as JSONL, then a summary. The same day under another profile is a policy
// what-if.
#include <cstdint>
#include <filesystem>
#include <iosfwd>

namespace xyp::cli {

struct replay_options {
  std::filesystem::path profile;
  std::filesystem::path events;
  std::filesystem::path calendars;
  std::uint32_t partitions = 1;
  bool summary_only = false;
};

// Returns the process exit code; errors in files are a message on err, never an exception.
int run_replay(const replay_options& options, std::ostream& out, std::ostream& err);

}  // namespace xyp::cli
