#pragma once
// What every engine-running subcommand loads first: a profile and the working-day calendar.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string_view>

#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"

namespace xyp::cli {

struct configuration {
  jurisdiction_policy policy;
  working_calendar calendar;
};

// Loads both; on failure writes "xinyipi <command>: <why>" to err and returns nothing (the caller
// exits with exit_config).
std::optional<configuration> load_configuration(const std::filesystem::path& profile,
                                                const std::filesystem::path& calendars,
                                                std::string_view command, std::ostream& err);

}  // namespace xyp::cli
