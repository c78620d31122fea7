#pragma once
// `xinyipi whatif`: one day of events replayed in memory under each of several profiles, and what
// each policy made of it side by side (engine/domain/effect_report's policy_outcome): for a policy
// office weighing another jurisdiction's rules.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <vector>

namespace xyp::cli {

struct whatif_options {
  std::vector<std::filesystem::path> profiles;  // two or more
  std::filesystem::path events;
  std::filesystem::path calendars;
  std::uint32_t partitions = 1;
  bool json = false;  // --format json
};

// Returns the process exit code; a bad file is a message on err and exit_config or exit_io.
int run_whatif(const whatif_options& options, std::ostream& out, std::ostream& err);

}  // namespace xyp::cli
