#include "adapters/common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "engine/domain/time.hpp"

namespace xyp::log {
namespace {

// One logger, created on first use; the pattern is the bare message, which is already JSON.
spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_logger_mt("xinyipi");
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(level lvl) {
  switch (lvl) {
    case level::debug:
      return spdlog::level::debug;
    case level::info:
      return spdlog::level::info;
    case level::warn:
      return spdlog::level::warn;
    case level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* name_of(level lvl) {
  switch (lvl) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

}  // namespace

void set_level(std::string_view name) {
  logger().set_level(spdlog::level::from_str(std::string(name)));
}

void write(level lvl, std::string_view msg, const nlohmann::json& fields) {
  auto& l = logger();
  if (!l.should_log(to_spdlog(lvl))) return;
  nlohmann::json line = {
      {"ts", format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now()))},
      {"level", name_of(lvl)},
      {"msg", msg}};
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) line[k] = v;
  }
  l.log(to_spdlog(lvl), "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace xyp::log
