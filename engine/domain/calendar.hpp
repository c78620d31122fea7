#pragma once
// China's working-day calendar, read from config/calendars/*.json (one State Council notice per
// year), and deadline arithmetic in working days on it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/domain/policy.hpp"
#include "engine/domain/time.hpp"

namespace xyp {

// A date the calendar has no schedule for: refused, never guessed.
class calendar_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A deadline and whether it rests on provisional days.
struct working_deadline {
  instant due;
  bool provisional = false;  // a day consulted lies in a year whose notice is not loaded
};

// China's working days: Monday to Friday, less statutory holidays, plus make-up working days
// (调休). A year with a State Council notice loaded has the notice's schedule; a year without one,
// from the first loaded year to provisional_years_ahead years after the last, is provisional:
// weekends and the regulation's holidays with their art. 6 substitutes (statutory_holidays.hpp),
// no make-up days. Years before the first loaded one are not covered.
class working_calendar {
 public:
  // How far past the last notice the calendar reaches. A deadline runs at most months into the
  // next year, and the next notice comes in November or December; two years leave a whole year
  // for a late notice before anything is refused.
  static constexpr int provisional_years_ahead = 2;

  // Reads every *.json file in dir (one per year). Throws config_error naming the file and field.
  static working_calendar load_directory(const std::filesystem::path& dir);

  // One year's schedule from parsed JSON; source_name goes into error messages. The year is
  // validated whole before anything is added, so a config_error leaves the calendar unchanged.
  // From 2025 a notice must keep the regulation's fixed days as days off: one that leaves one
  // out or makes it a working day is refused, naming the date.
  void add_year(const nlohmann::json& year_doc, const std::string& source_name);

  // Reads, validates and adds one year file (a notice loaded into a running engine).
  void add_year_file(const std::filesystem::path& file);

  // Validates a year file on its own, as add_year would; returns its year or throws
  // config_error naming the file and the date.
  static std::chrono::year check_year_file(const std::filesystem::path& file);

  // Loaded or provisional.
  bool covers(std::chrono::year_month_day day) const;
  // Covered without a notice.
  bool is_provisional(std::chrono::year y) const;

  // Throws calendar_error outside the covered years.
  bool is_working_day(std::chrono::year_month_day day) const;

  // The end (23:59:59+08:00) of the k-th working day after t's Shanghai date (k >= 1); k == 0
  // gives the end of t's own date, whatever the date. Only the days after t's date are consulted,
  // so each of them must be covered: throws calendar_error when the count leaves the covered
  // years, std::invalid_argument for k < 0.
  instant add_working_days(instant t, int k) const;
  // The same, saying whether any day consulted was provisional.
  working_deadline deadline_after(instant t, int k) const;

  // Working days strictly after a's Shanghai date up to and including b's date (0 if b's date is
  // not after a's). Throws calendar_error when any of those days is not covered.
  int working_days_between(instant a, instant b) const;

  // Throw calendar_error when no year is loaded. last_year() includes the provisional years;
  // last_notice_year() is the last year loaded from a notice.
  std::chrono::year first_year() const;
  std::chrono::year last_year() const;
  std::chrono::year last_notice_year() const;

 private:
  // What one year file contributed, kept so that a later file can be checked against it.
  struct year_schedule {
    std::string source_name;
    std::vector<std::chrono::sys_days> holidays;
    std::vector<std::chrono::sys_days> make_up_days;
  };

  void rebuild_tables();  // needs at least one year loaded
  std::optional<std::chrono::sys_days> first_uncovered(std::chrono::sys_days from,
                                                       std::chrono::sys_days to) const;
  std::int32_t working_through(std::int64_t index) const;
  [[noreturn]] void throw_outside(std::chrono::year_month_day day) const;
  std::string covered_years_text() const;

  std::map<int, year_schedule> years_;
  // Dense tables over every day from 1 January of the first year to 31 December of the last, so
  // that a deadline costs one binary search and a day lookup costs two array reads. For the day
  // at index i (days after first_day_): how many working days, and how many days of years not
  // loaded, fall in [first_day_, that day].
  std::chrono::sys_days first_day_{};
  std::vector<std::int32_t> working_through_;
  std::vector<std::int32_t> uncovered_through_;
  std::vector<std::int32_t> provisional_through_;
  std::chrono::year last_year_{0};  // the last covered year, provisional ones included
};

}  // namespace xyp
