#pragma once
// The engine's outside world as it reads it: one partition's state. The in-memory store and the
// Redis runtime implement it; the processor never sees how.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/domain/case_record.hpp"

namespace xyp {

// Read access to one partition, as of the moment an event is applied.
class partition_view {
 public:
  virtual ~partition_view() = default;
  // The envelope_fingerprint an event id was applied with (0 when the store did not keep it);
  // nothing when the id was not applied.
  virtual std::optional<std::uint64_t> applied_fingerprint(const std::string& event_id) const = 0;
  virtual std::optional<case_record> find_case(const std::string& case_id) const = 0;
  // The case without a copy, valid until the view changes; null when there is none.
  virtual const case_record* peek_case(const std::string& case_id) const = 0;
  virtual std::optional<credit_snapshot> find_credit(const std::string& applicant_id) const = 0;
  // Every case id the applicant has in this partition, in no particular order.
  virtual std::vector<std::string> case_ids_of(const std::string& applicant_id) const = 0;
  virtual std::uint64_t ledger_count() const = 0;
  // Which partition this is: register numbers are unique within it, and its rows say so.
  virtual std::uint32_t partition() const = 0;
  // The partition's current time: the simulated clock, or the system clock.
  virtual instant now() const = 0;
};

}  // namespace xyp
