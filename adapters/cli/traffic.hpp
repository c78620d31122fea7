#pragma once
// Realistic inbound traffic for a jurisdiction: the sample day, the crash tests' load and the
// benchmark's mix all come from here, deterministic for a seed.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/domain/time.hpp"

namespace xyp::cli {

struct traffic_options {
  std::uint32_t cases = 60;                                     // cases opened
  std::uint64_t seed = 20261123;                                // same seed, same bytes
  instant start = *parse_rfc3339("2026-11-23T08:30:00+08:00");  // a Monday
  double bad_input_share = 0.04;  // malformed, invalid, duplicated deliveries
  bool clock_events = true;       // clock.advance at each day's end (simulated clock)
  std::string id_prefix = "evt";  // event ids: <prefix>-<n>
  std::string case_prefix = "ZZ-2026-";
};

// JSONL lines (one envelope each, raw text; bad inputs included verbatim), in the order a
// producer would write them: by time, clock.advance closing each day. Each case is played
// through the engine on `calendar` as it is generated, and its next event chosen from the state
// and the timers the engine reports (adapters/cli/case_probe.hpp).
std::vector<std::string> generate_traffic(const jurisdiction_policy& policy,
                                          const working_calendar& calendar,
                                          const traffic_options& options);

}  // namespace xyp::cli
