#pragma once
// Where the configuration (profiles, calendars, the sample day, example tokens) is found, wherever
// the binary is installed. main() gathers the candidates; this chooses among them.
#include <filesystem>
#include <optional>

namespace xyp::cli {

struct config_candidates {
  std::optional<std::filesystem::path> option;       // --config-dir
  std::optional<std::filesystem::path> environment;  // XYP_CONFIG_DIR
  std::filesystem::path executable;                  // this program's own file
  std::filesystem::path source_dir;                  // compiled in: the developer's fallback
};

// The first of: the option, the environment variable (either used as given), the installed
// tree's <exe dir>/../share/xinyipi when it holds profiles/, and the source folder.
std::filesystem::path find_config_dir(const config_candidates& candidates);

}  // namespace xyp::cli
