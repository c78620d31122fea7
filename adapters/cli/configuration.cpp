#include "adapters/cli/configuration.hpp"

#include <ostream>

namespace xyp::cli {

std::optional<configuration> load_configuration(const std::filesystem::path& profile,
                                                const std::filesystem::path& calendars,
                                                std::string_view command, std::ostream& err) {
  try {
    return configuration{load_policy(profile), working_calendar::load_directory(calendars)};
  } catch (const std::exception& e) {
    err << "xinyipi " << command << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace xyp::cli
