#pragma once
// Where the engine keeps what, in Redis. The contract fixes events, out and dead; every other key
// is the engine's own business, under the same {n} hash tag so one partition is one Cluster slot
// and one script can touch all of it.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/partition.hpp"

namespace xyp::redis {

inline constexpr std::string_view consumer_group = "engine";

// The keys of one partition.
class partition_keys {
 public:
  partition_keys(std::string_view prefix, std::uint32_t partition)
      : base_(partition_key_prefix(prefix, partition)), partition_(partition) {}

  std::uint32_t partition() const { return partition_; }

  // Contract keys.
  std::string events() const { return base_ + "events"; }  // inbound stream, group "engine"
  std::string out() const { return base_ + "out"; }        // outbound stream, field event
  std::string dead() const { return base_ + "dead"; }      // fields event, error, detail

  // Hash {v: version, doc: case record JSON}.
  std::string case_key(std::string_view case_id) const {
    return base_ + "case:" + std::string(case_id);
  }
  // String: credit snapshot JSON.
  std::string credit(std::string_view applicant) const {
    return base_ + "credit:" + std::string(applicant);
  }
  // Set of the applicant's case ids.
  std::string applicant_cases(std::string_view applicant) const {
    return base_ + "applicant:" + std::string(applicant);
  }
  // Sorted set: applied event id -> commit time (ms); trimmed to the dedupe window.
  std::string applied() const { return base_ + "applied"; }
  // Sorted set: timer id -> due (ms since the epoch); hash: timer id -> timer JSON.
  std::string timers() const { return base_ + "timers"; }
  std::string timer_info() const { return base_ + "timer"; }
  // Hash: ledger (entries handed out), clock (simulated time, ms).
  std::string meta() const { return base_ + "meta"; }

  // Back-office indexes, kept by the commit script; each a sorted set of case ids scored by the
  // case's application time (ms), so that listings page by (score, id).
  std::string by_state(std::string_view state) const {
    return base_ + "idx:state:" + std::string(state);
  }
  std::string by_department(std::string_view department) const {
    return base_ + "idx:dept:" + std::string(department);
  }
  std::string by_matter(std::string_view matter) const {
    return base_ + "idx:matter:" + std::string(matter);
  }
  std::string overdue() const {
    return base_ + "idx:overdue";
  }  // cases with an open overdue escalation
  std::string all_cases() const { return base_ + "idx:all"; }
  // Sorted set of open escalations: member "<case_id>|<clock kind>|<level>", score raised-at (ms).
  std::string escalations() const { return base_ + "escalations"; }
  // Hash: ledger no -> ledger row JSON (latest version); sorted set: no scored by yyyymmdd.
  std::string ledger() const { return base_ + "ledger"; }
  std::string ledger_by_date() const { return base_ + "ledger:by_date"; }

 private:
  std::string base_;
  std::uint32_t partition_;
};

}  // namespace xyp::redis
