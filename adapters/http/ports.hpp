#pragma once
// What the HTTP API needs from the rest of the engine, as small abstract ports: reads of the
// back-office view, a way to submit an inbound event, and the store's health. The Redis adapter
// implements them (adapters/redis/read_model.hpp), the CLI wires that in (adapters/cli/
// back_office.cpp); tests fake them (tests/adapters/http/http_fake_ports_test.cpp). Nothing here
// names a store: a port that cannot answer throws store_unavailable.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"

namespace xyp::http {

// The port's error: the store could not answer (unreachable, too slow, or an answer the port
// cannot read). The API answers 503 unavailable; the text is for the log.
class store_unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A place in a case listing: listings run newest application first, by (applied ms, case id)
// descending; a page starts strictly after its position.
struct page_position {
  std::int64_t applied_ms = 0;
  std::string case_id;
  friend bool operator==(const page_position&, const page_position&) = default;
};

struct case_filter {
  std::optional<case_state> state;
  std::optional<std::string> department;
  std::optional<std::string> matter;
  bool overdue_only = false;
  std::size_t limit = 50;
  std::optional<page_position> after;
};

struct case_page {
  std::vector<case_record> cases;
  std::optional<page_position> next;   // absent on the last page
  std::optional<std::uint64_t> total;  // when it is known without a scan (at most one filter)
};

// One open escalation, with its case when the case could be read.
struct open_escalation {
  std::string case_id;
  std::string clock;  // the contract's clock name: decision, supplement, ...
  escalation_level level = escalation_level::warning;
  instant raised_at;
  std::uint32_t partition = 0;
  std::optional<case_record> record;
};

// A row of the registration ledger (000 attachment 1), as the commit script stores it.
struct ledger_row {
  std::uint32_t partition = 0;
  std::uint64_t no = 0;  // unique within its partition
  std::string case_id;   // empty in rows written before rows named their case
  std::string date;      // yyyy-mm-dd
  std::string name;
  std::string credit_level;
  std::string contact;
  std::string matter;  // the matter's name
  std::string matter_code;
  std::string department;
  std::string result;
  std::optional<std::string> satisfaction;
};

struct ledger_query {
  std::optional<std::chrono::year_month_day> from;  // inclusive
  std::optional<std::chrono::year_month_day> to;    // inclusive
  std::size_t max_rows = 50'000;
};

struct ledger_result {
  std::vector<ledger_row> rows;  // by date, then case id (then partition and number)
  bool truncated = false;        // more than max_rows matched
};

// Cases applied within a window of application times, for reports over whole cases.
struct applied_window {
  std::optional<instant> from;  // inclusive
  std::optional<instant> to;    // inclusive
  std::size_t max_cases = 100'000;
};

struct applied_cases {
  std::vector<case_record> cases;
  bool truncated = false;  // more than max_cases applied within the window
};

// A credit hook the engine published (outbound `credit.hook`).
struct credit_hook_item {
  std::string event_id;
  std::string case_id;
  instant at;
  std::string kind;
  std::string detail;
  std::string matter;
};

// What the escalation dashboard shows, read from the indexes in one go.
struct dashboard_summary {
  instant as_of;  // the engine's clock: the simulated one when it runs, else the system's
  std::uint64_t total_cases = 0;
  std::map<std::string, std::uint64_t> by_state;       // every contract state, zeros included
  std::map<std::string, std::uint64_t> by_department;  // every configured department
  std::uint64_t overdue_cases = 0;
  std::map<std::string, std::uint64_t> escalations_open;  // warning, overdue
  std::vector<open_escalation> nearing_decision;  // warnings on the decision clock, oldest first
  std::vector<case_record> overdue;               // cases with an open overdue escalation
  std::vector<case_record> awaiting_materials;    // accepted_deficient and supplement_overdue
  std::vector<credit_hook_item> credit_hooks;     // newest first
};

// Read side of the back office. Implementations throw store_unavailable when the store cannot
// answer; the API turns that into 503.
class case_queries {
 public:
  virtual ~case_queries() = default;
  // Every case stored under this id, one per partition that holds it: none, one, or (the same
  // id applied for under applicants of different partitions) several, in partition order.
  virtual boost::asio::awaitable<std::vector<case_record>> get_case(std::string case_id) = 0;
  virtual boost::asio::awaitable<case_page> list_cases(case_filter filter) = 0;
  // Open escalations, oldest first; of one level, or of both when level is nothing.
  virtual boost::asio::awaitable<std::vector<open_escalation>> escalations(
      std::optional<escalation_level> level, std::size_t limit) = 0;
  virtual boost::asio::awaitable<ledger_result> ledger(ledger_query query) = 0;
  // Lists in the summary hold at most list_limit entries each.
  virtual boost::asio::awaitable<dashboard_summary> summary(std::size_t list_limit) = 0;
  // Every partition's cases applied within the window (the effect report's input).
  virtual boost::asio::awaitable<applied_cases> cases_applied(applied_window window) = 0;
};

// Where an event went: the partitions whose stream received it.
struct submission {
  std::vector<std::uint32_t> partitions;
};

// Write side: hands a validated inbound event to the engine. Throws store_unavailable when the
// store cannot take it.
class event_sink {
 public:
  virtual ~event_sink() = default;
  // raw is the envelope text exactly as received; the engine validates it again and keeps it
  // verbatim for a dead letter.
  virtual boost::asio::awaitable<submission> submit(inbound_event event, std::string raw) = 0;
};

struct partition_status {
  std::uint32_t partition = 0;
  std::optional<std::int64_t> lag;  // entries not yet read by the group; unknown before a read
  std::int64_t pending = 0;         // read and not yet acknowledged
  std::int64_t timers_pending = 0;
};

// The store as /healthz and /metrics report it.
struct store_status {
  bool reachable = false;
  std::string detail;  // why not, when not
  std::vector<partition_status> partitions;
  std::map<std::string, std::int64_t> escalations_open;  // by level
  std::map<std::string, std::int64_t> cases_by_state;    // every contract state, zeros included
};

// Never throws: an unreachable store is a status.
using status_probe = std::function<boost::asio::awaitable<store_status>()>;

}  // namespace xyp::http
