#pragma once
// Structured logs: one JSON line per notable thing, on stderr, through spdlog. Callers pass ids
// (case, event, timer), never a contact, a name or an id number.
#include <string_view>

#include <nlohmann/json.hpp>

namespace xyp::log {

enum class level { debug, info, warn, error };

// Sets the lowest level written; "debug", "info", "warn" or "error".
void set_level(std::string_view name);

// Writes {"ts": ..., "level": ..., "msg": ..., <fields>} as one line.
void write(level lvl, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());

inline void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(level::info, msg, fields);
}
inline void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(level::warn, msg, fields);
}
inline void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(level::error, msg, fields);
}

}  // namespace xyp::log
