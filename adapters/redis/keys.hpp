#pragma once
// Where the engine keeps what, in Redis. The contract fixes events, out and dead; every other key
// is the engine's own business, under the same {n} hash tag so one partition is one Cluster slot
// and one script can touch all of it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/redis/layout.hpp"  // the members and scores the keys hold
#include "engine/domain/partition.hpp"

namespace xyp::redis {

inline constexpr std::string_view consumer_group = "engine";

// The layout of the engine's own keys. `P:layout` holds it; a Redis with engine keys and no such
// marker (or another value) holds a layout this engine would misread, and is refused at start.
inline constexpr std::string_view layout_version = "2";
inline std::string layout_key(std::string_view prefix) {
  return std::string(prefix) + ":layout";
}

// The engines serving the prefix's partitions (internal, docs/contract.md): a sorted set of
// engine (lease owner) ids scored by the Redis time in ms at which each one's membership lapses,
// renewed by every engine with its leases. The engines share the partitions fairly by it.
inline std::string engines_key(std::string_view prefix) {
  return std::string(prefix) + ":engines";
}

// Cases live in per-partition hashes, `case_buckets` of them, field case id -> stored case; a
// case's bucket is crc32(case_id) mod case_buckets. Changing it changes the layout version.
inline constexpr std::uint32_t case_buckets = 4096;
std::uint32_t case_bucket(std::string_view case_id);

// Applicants live in per-partition hashes too, `applicant_buckets` of them, field applicant id ->
// stored record (engine/domain/applicant_record: credit and the ids of its cases not closed). The
// bucket is FNV-1a of the id mod applicant_buckets: the partition is crc32 of the same id, and a
// bucket from crc32 as well would leave most buckets of a partition empty when the partition count
// shares a factor with the bucket count. 16,384 buckets keep ~50 applicants per bucket at 850,000
// applicants in one partition, well within `hash-max-listpack-entries` (128); a bucket stays a
// listpack while its records also fit `hash-max-listpack-value` (docs/operations.md).
inline constexpr std::uint32_t applicant_buckets = 16384;
std::uint32_t applicant_bucket(std::string_view applicant_id);

// A SCAN MATCH pattern for every key that starts with `literal` (a prefix whose glob characters,
// * ? [ ] and \, are escaped so that they match only themselves).
std::string keys_starting_with(std::string_view literal);

// The keys of one partition.
class partition_keys {
 public:
  partition_keys(std::string_view prefix, std::uint32_t partition)
      : base_(partition_key_prefix(prefix, partition)), partition_(partition) {}

  std::uint32_t partition() const { return partition_; }
  // What every key of the partition starts with: "<prefix>:{<n>}:".
  const std::string& base() const { return base_; }

  // Contract keys.
  std::string events() const { return base_ + "events"; }  // inbound stream, group "engine"
  std::string out() const { return base_ + "out"; }        // outbound stream, field event
  std::string dead() const { return base_ + "dead"; }      // fields event, error, detail

  // Hash: case id -> stored case (engine/domain/case_codec), for the cases of one bucket.
  std::string case_bucket_key(std::uint32_t bucket) const {
    return base_ + "c:" + std::to_string(bucket);
  }
  std::string case_key(std::string_view case_id) const {
    return case_bucket_key(case_bucket(case_id));
  }
  // The partition's owner: "<owner id> <epoch>", with a TTL; epoch: a counter bumped by every
  // acquisition, never reset (the fencing token's monotonic half).
  std::string lease() const { return base_ + "lease"; }
  std::string epoch() const { return base_ + "epoch"; }
  // Hash: applicant id -> stored applicant record (engine/domain/applicant_record), for the
  // applicants of one bucket.
  std::string applicant_bucket_key(std::uint32_t bucket) const {
    return base_ + "a:" + std::to_string(bucket);
  }
  std::string applicant_key(std::string_view applicant) const {
    return applicant_bucket_key(applicant_bucket(applicant));
  }
  // Keys of earlier builds of layout 2, one pair per applicant: a string with the credit snapshot
  // as JSON and a set of its case ids. The first acquisition of a partition by this build moves
  // them into records (adapters/redis/applicant_migration) and deletes them; nothing else reads
  // them.
  std::string old_credit(std::string_view applicant) const {
    return base_ + "credit:" + std::string(applicant);
  }
  std::string old_applicant_cases(std::string_view applicant) const {
    return base_ + "applicant:" + std::string(applicant);
  }
  // Hash per UTC day of commit time ("applied:<yyyymmdd>"): applied ids of events that are not
  // case events (credit.update) -> the applied envelope's fingerprint (decimal), to tell a repeat
  // from an id_conflict. A case event's id is found in its case's history. A fetch asks every day
  // the dedupe window touches; a day wholly older than the window is deleted whole.
  std::string applied_day(std::chrono::sys_days day) const;
  // Earlier builds' pair, read while it exists and trimmed until empty, never written: a sorted
  // set of the same ids -> commit time (ms), and a hash of their fingerprints (an id applied
  // before fingerprints were kept has none).
  std::string applied() const { return base_ + "applied"; }
  std::string applied_fingerprints() const { return base_ + "applied:fp"; }
  // Sorted set: timer_member() -> time_score(due) (layout.hpp).
  std::string timers() const { return base_ + "timers"; }
  // Hash: ledger (entries handed out), clock (simulated time, ms), position (the newest
  // committed inbound entry id: where a destroyed consumer group is created again),
  // applicant_records (1 once the partition's applicants are records: old_credit and
  // old_applicant_cases keys moved).
  std::string state() const { return base_ + "state"; }
  // Keys of the previous layout (version 1): their presence without a layout marker means a
  // Redis this engine must not read.
  std::string old_meta() const { return base_ + "meta"; }
  std::string old_timer_info() const { return base_ + "timer"; }

  // Back-office indexes, kept by the commit script; each a sorted set of case ids scored by the
  // case's application time (ms), so that listings page by (score, id). Every case is in exactly
  // one state index and one matter index: all cases are the union of the state indexes, a
  // department's cases the union of its matters' indexes (a matter has one department), so
  // neither has an index of its own.
  std::string by_state(std::string_view state) const {
    return base_ + "idx:state:" + std::string(state);
  }
  std::string by_matter(std::string_view matter) const {
    return base_ + "idx:matter:" + std::string(matter);
  }
  std::string overdue() const {
    return base_ + "idx:overdue";
  }  // cases with an open overdue escalation
  // Indexes of all cases and of a department's cases, written by earlier builds of layout 2 and
  // neither written nor read since: left in a Redis they are dead weight (docs/operations.md says
  // how to delete them).
  std::string old_all_cases() const { return base_ + "idx:all"; }
  std::string old_by_department(std::string_view department) const {
    return base_ + "idx:dept:" + std::string(department);
  }
  // Sorted set of open escalations: escalation_member() -> time_score(raised at) (layout.hpp).
  std::string escalations() const { return base_ + "escalations"; }
  // Hash: ledger no -> the row's latest version (engine/domain/ledger_record; rows written by
  // builds before it are JSON, first byte `{`, and still read); sorted set: no -> date_score(row
  // date).
  std::string ledger() const { return base_ + "ledger"; }
  std::string ledger_by_date() const { return base_ + "ledger:by_date"; }

 private:
  std::string base_;
  std::uint32_t partition_;
};

}  // namespace xyp::redis
