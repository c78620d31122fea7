#pragma once
// The command line's exit codes, one meaning each, as the README lists them.
namespace xyp::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 2;         // wrong arguments
inline constexpr int exit_config = 3;        // a profile or calendar that cannot be used
inline constexpr int exit_io = 4;            // a file that cannot be read or written
inline constexpr int exit_redis = 5;         // Redis unreachable or unfit (eviction policy)
inline constexpr int exit_dead_letters = 6;  // replay --strict: the input had dead letters
inline constexpr int exit_internal = 70;     // a defect: reported, never a stack trace

}  // namespace xyp::cli
