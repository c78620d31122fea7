#include "adapters/cli/config_location.hpp"

#include <system_error>

namespace xyp::cli {

std::filesystem::path find_config_dir(const config_candidates& candidates) {
  if (candidates.option && !candidates.option->empty()) return *candidates.option;
  if (candidates.environment && !candidates.environment->empty()) return *candidates.environment;
  if (!candidates.executable.empty()) {
    // cmake --install puts the binary in <prefix>/bin and the configuration in
    // <prefix>/share/xinyipi.
    const auto installed = candidates.executable.parent_path().parent_path() / "share" / "xinyipi";
    std::error_code ec;
    if (std::filesystem::is_directory(installed / "profiles", ec)) return installed;
  }
  return candidates.source_dir;
}

}  // namespace xyp::cli
