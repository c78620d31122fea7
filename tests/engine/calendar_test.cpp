#include "engine/calendar.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/policy.hpp"
#include "engine/time.hpp"

using namespace xyp;
using namespace std::chrono;

// Every expected date below was worked out by hand from the State Council notices for 2025 and
// 2026 (the "source" of each file in config/calendars), never by running the calendar itself.

namespace {

const working_calendar& shipped_calendar() {
  static const working_calendar calendar =
      working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  return calendar;
}

instant at(const std::string& rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

// The deadline k working days after the given time, as the contract would print it.
std::string deadline(const std::string& from, int k) {
  return format_rfc3339(shipped_calendar().add_working_days(at(from), k));
}

int between(const std::string& a, const std::string& b) {
  return shipped_calendar().working_days_between(at(a), at(b));
}

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "xyp-calendar-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(path_ / name);
    out << text;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A well-formed year to break one field of at a time.
nlohmann::json year_2026() {
  return nlohmann::json::parse(R"({
    "year": 2026,
    "source": "test",
    "holidays": [{"name": "元旦", "dates": ["2026-01-01", "2026-01-02", "2026-01-03"]}],
    "make_up_working_days": [{"name": "元旦", "date": "2026-01-04"}]
  })");
}

}  // namespace

TEST_CASE("the shipped calendar covers 2025 and 2026", "[calendar]") {
  CHECK(shipped_calendar().first_year() == year{2025});
  CHECK(shipped_calendar().last_year() == year{2026});
  CHECK(shipped_calendar().covers(2025y / January / 1));
  CHECK(shipped_calendar().covers(2026y / December / 31));
  CHECK_FALSE(shipped_calendar().covers(2024y / December / 31));
  CHECK_FALSE(shipped_calendar().covers(2027y / January / 1));
}

TEST_CASE("weekdays work, weekends rest, holidays rest and make-up weekend days work",
          "[calendar]") {
  const auto& cal = shipped_calendar();
  CHECK(cal.is_working_day(2026y / March / 11));           // an ordinary Wednesday
  CHECK_FALSE(cal.is_working_day(2026y / March / 14));     // an ordinary Saturday
  CHECK_FALSE(cal.is_working_day(2026y / March / 15));     // an ordinary Sunday
  CHECK_FALSE(cal.is_working_day(2025y / January / 1));    // 元旦, a Wednesday
  CHECK(cal.is_working_day(2025y / January / 26));         // 春节 make-up Sunday
  CHECK(cal.is_working_day(2025y / February / 8));         // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2025y / June / 2));       // 端午, a Monday
  CHECK_FALSE(cal.is_working_day(2025y / October / 8));    // 国庆·中秋, a Wednesday
  CHECK(cal.is_working_day(2025y / October / 11));         // make-up Saturday
  CHECK(cal.is_working_day(2026y / January / 4));          // 元旦 make-up Sunday
  CHECK(cal.is_working_day(2026y / February / 14));        // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / February / 23));  // 春节, a Monday
  CHECK(cal.is_working_day(2026y / February / 24));
  CHECK(cal.is_working_day(2026y / February / 28));         // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / April / 6));       // 清明, a Monday
  CHECK_FALSE(cal.is_working_day(2026y / May / 5));         // 劳动节, a Tuesday
  CHECK(cal.is_working_day(2026y / May / 9));               // make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / September / 25));  // 中秋, a Friday
  CHECK(cal.is_working_day(2026y / September / 20));        // 国庆 make-up Sunday
  CHECK(cal.is_working_day(2026y / October / 10));          // 国庆 make-up Saturday
}

TEST_CASE("in an ordinary week a deadline counts weekdays and skips the weekend", "[calendar]") {
  // Wednesday 2026-03-11: Thu 12, Fri 13, then Mon 16.
  CHECK(deadline("2026-03-11T10:00:00+08:00", 1) == "2026-03-12T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 2) == "2026-03-13T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 3) == "2026-03-16T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 10) == "2026-03-25T23:59:59+08:00");
  // A case received on a Saturday starts counting on Monday.
  CHECK(deadline("2026-03-14T10:00:00+08:00", 1) == "2026-03-16T23:59:59+08:00");
  CHECK(between("2026-03-11T10:00:00+08:00", "2026-03-25T09:00:00+08:00") == 10);
}

TEST_CASE(
    "a deadline across Spring Festival 2026 skips the nine days off and counts both "
    "make-up Saturdays",
    "[calendar]") {
  // Thu 2026-02-12: Fri 13 (1), Sat 14 make-up (2), 15-23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
  CHECK(deadline("2026-02-12T09:00:00+08:00", 5) == "2026-02-26T23:59:59+08:00");
  CHECK(deadline("2026-02-12T09:00:00+08:00", 2) == "2026-02-14T23:59:59+08:00");
  CHECK(deadline("2026-02-12T09:00:00+08:00", 3) == "2026-02-24T23:59:59+08:00");
  // Thu 2026-02-26: Fri 27 (1), Sat 28 make-up (2), Mon 2 March (3).
  CHECK(deadline("2026-02-26T09:00:00+08:00", 2) == "2026-02-28T23:59:59+08:00");
  CHECK(deadline("2026-02-26T09:00:00+08:00", 3) == "2026-03-02T23:59:59+08:00");
  // Received on the first day off: Tue 24 is the first working day.
  CHECK(deadline("2026-02-15T09:00:00+08:00", 1) == "2026-02-24T23:59:59+08:00");
  CHECK(between("2026-02-12T09:00:00+08:00", "2026-02-26T09:00:00+08:00") == 5);
}

TEST_CASE(
    "a deadline across National Day 2025 skips the eight days off and counts the make-up "
    "days",
    "[calendar]") {
  // Fri 2025-09-26: Sun 28 make-up (1), Mon 29 (2), Tue 30 (3), 1-8 October off, Thu 9 (4).
  CHECK(deadline("2025-09-26T09:00:00+08:00", 1) == "2025-09-28T23:59:59+08:00");
  CHECK(deadline("2025-09-26T09:00:00+08:00", 3) == "2025-09-30T23:59:59+08:00");
  CHECK(deadline("2025-09-26T09:00:00+08:00", 4) == "2025-10-09T23:59:59+08:00");
  // Tue 2025-09-30: Thu 9 (1), Fri 10 (2), Sat 11 make-up (3), Mon 13 (4).
  CHECK(deadline("2025-09-30T09:00:00+08:00", 3) == "2025-10-11T23:59:59+08:00");
  CHECK(deadline("2025-09-30T09:00:00+08:00", 4) == "2025-10-13T23:59:59+08:00");
  CHECK(between("2025-09-30T09:00:00+08:00", "2025-10-13T09:00:00+08:00") == 4);
}

TEST_CASE(
    "a deadline across Mid-Autumn and National Day 2026 counts the make-up Sunday and "
    "Saturday",
    "[calendar]") {
  // Fri 2026-09-18: Sat 19 off, Sun 20 make-up (1).
  CHECK(deadline("2026-09-18T09:00:00+08:00", 1) == "2026-09-20T23:59:59+08:00");
  // Thu 2026-09-24: 25-27 Mid-Autumn, Mon 28 (1), Tue 29 (2), Wed 30 (3), 1-7 October off,
  // Thu 8 (4), Fri 9 (5), Sat 10 make-up (6), Mon 12 (7).
  CHECK(deadline("2026-09-24T09:00:00+08:00", 1) == "2026-09-28T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 4) == "2026-10-08T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 6) == "2026-10-10T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 7) == "2026-10-12T23:59:59+08:00");
  CHECK(between("2026-09-24T09:00:00+08:00", "2026-10-12T09:00:00+08:00") == 7);
}

TEST_CASE("a deadline crosses from 2025 into 2026 over the New Year holiday", "[calendar]") {
  // Mon 2025-12-29: Tue 30 (1), Wed 31 (2), 1-3 January off, Sun 4 make-up (3), Mon 5 (4),
  // Tue 6 (5).
  CHECK(deadline("2025-12-29T09:00:00+08:00", 2) == "2025-12-31T23:59:59+08:00");
  CHECK(deadline("2025-12-29T09:00:00+08:00", 3) == "2026-01-04T23:59:59+08:00");
  CHECK(deadline("2025-12-29T09:00:00+08:00", 5) == "2026-01-06T23:59:59+08:00");
  CHECK(between("2025-12-29T09:00:00+08:00", "2026-01-06T09:00:00+08:00") == 5);
}

TEST_CASE("zero working days is the end of the same Shanghai date, even a holiday", "[calendar]") {
  CHECK(deadline("2026-02-15T09:00:00+08:00", 0) == "2026-02-15T23:59:59+08:00");
  CHECK(deadline("2026-03-11T00:00:00+08:00", 0) == "2026-03-11T23:59:59+08:00");
}

TEST_CASE("a deadline ends at 23:59:59 Shanghai time, which is 15:59:59 UTC", "[calendar]") {
  const auto end = shipped_calendar().add_working_days(at("2026-03-11T10:00:00+08:00"), 1);
  CHECK(end == at("2026-03-12T15:59:59Z"));
  CHECK(end == instant{sys_days{2026y / March / 12} + hours{15} + minutes{59} + seconds{59}});
}

TEST_CASE("an instant late in the UTC day counts from the next Shanghai date", "[calendar]") {
  // 16:30 UTC on Thu 12 February is 00:30 on Fri 13 February in Shanghai; the first working day
  // after Friday is the make-up Saturday, not Friday itself.
  CHECK(deadline("2026-02-12T16:30:00Z", 1) == "2026-02-14T23:59:59+08:00");
  CHECK(deadline("2026-02-12T15:59:59Z", 1) == "2026-02-13T23:59:59+08:00");
  CHECK(between("2026-02-12T15:00:00Z", "2026-02-12T16:30:00Z") == 1);
}

TEST_CASE("no working days lie between a time and one on the same date or earlier", "[calendar]") {
  CHECK(between("2026-03-11T09:00:00+08:00", "2026-03-11T18:00:00+08:00") == 0);
  CHECK(between("2026-03-11T09:00:00+08:00", "2026-03-02T18:00:00+08:00") == 0);
  // Only the days after the start are counted, so a start on a holiday counts nothing for itself.
  CHECK(between("2026-02-15T09:00:00+08:00", "2026-02-24T09:00:00+08:00") == 1);
}

TEST_CASE("a date outside the loaded years is refused with the years the calendar covers",
          "[calendar]") {
  const auto& cal = shipped_calendar();
  CHECK_THROWS_MATCHES(
      cal.is_working_day(2027y / January / 4), calendar_error,
      Catch::Message("2027-01-04 is outside the working-day calendar (2025-2026)"));
  CHECK_THROWS_AS(cal.is_working_day(2024y / December / 31), calendar_error);
  // Mon 2026-12-28: Tue 29 (1), Wed 30 (2), Thu 31 (3); a fourth day would fall in 2027.
  CHECK(deadline("2026-12-28T09:00:00+08:00", 3) == "2026-12-31T23:59:59+08:00");
  CHECK_THROWS_MATCHES(
      cal.add_working_days(at("2026-12-28T09:00:00+08:00"), 4), calendar_error,
      Catch::Message("2027-01-01 is outside the working-day calendar (2025-2026)"));
  CHECK_THROWS_MATCHES(
      cal.working_days_between(at("2026-12-28T09:00:00+08:00"), at("2027-01-04T09:00:00+08:00")),
      calendar_error, Catch::Message("2027-01-01 is outside the working-day calendar (2025-2026)"));
  CHECK_THROWS_MATCHES(
      cal.working_days_between(at("2024-12-30T09:00:00+08:00"), at("2025-01-03T09:00:00+08:00")),
      calendar_error, Catch::Message("2024-12-31 is outside the working-day calendar (2025-2026)"));
}

TEST_CASE(
    "counting needs only the days after the start, so a start on 31 December 2024 is "
    "accepted",
    "[calendar]") {
  // 1 January 2025 is 元旦; Thu 2 January is the first working day.
  CHECK(deadline("2024-12-31T09:00:00+08:00", 1) == "2025-01-02T23:59:59+08:00");
  CHECK(deadline("2027-03-01T09:00:00+08:00", 0) == "2027-03-01T23:59:59+08:00");
}

TEST_CASE("a gap between loaded years is refused, not counted as days off", "[calendar]") {
  working_calendar cal;
  auto y2025 = year_2026();
  y2025["year"] = 2025;
  y2025["holidays"] = nlohmann::json::array();
  y2025["make_up_working_days"] = nlohmann::json::array();
  auto y2027 = y2025;
  y2027["year"] = 2027;
  cal.add_year(y2025, "a.json");
  cal.add_year(y2027, "b.json");
  CHECK_THROWS_MATCHES(
      cal.add_working_days(at("2025-12-30T09:00:00+08:00"), 2), calendar_error,
      Catch::Message("2026-01-01 is outside the working-day calendar (2025, 2027)"));
  CHECK(cal.is_working_day(2027y / January / 1));  // no holidays in this test year
}

TEST_CASE("an empty calendar refuses every date", "[calendar]") {
  const working_calendar cal;
  CHECK_THROWS_AS(cal.is_working_day(2026y / March / 11), calendar_error);
  CHECK_THROWS_AS(cal.add_working_days(at("2026-03-11T09:00:00+08:00"), 1), calendar_error);
  CHECK_THROWS_AS(cal.first_year(), calendar_error);
}

TEST_CASE("a negative working-day count is a programming error", "[calendar]") {
  CHECK_THROWS_AS(shipped_calendar().add_working_days(at("2026-03-11T09:00:00+08:00"), -1),
                  std::invalid_argument);
}

TEST_CASE("a calendar file with a bad field is refused naming the file and the field",
          "[calendar]") {
  using Catch::Matchers::Contains;
  working_calendar cal;

  SECTION("a holiday date outside its year") {
    auto doc = year_2026();
    doc["holidays"][0]["dates"][1] = "2027-01-02";
    CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2026.json"), config_error,
                         Catch::Message("cn-2026.json: holidays[0].dates[1]: "
                                        "2027-01-02 is not in 2026"));
  }
  SECTION("a malformed date") {
    auto doc = year_2026();
    doc["holidays"][0]["dates"][0] = "2026-1-01";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: holidays[0].dates[0]:") && Contains("2026-1-01"));
  }
  SECTION("an impossible date") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-02-29";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: make_up_working_days[0].date:"));
  }
  SECTION("a date that is both a holiday and a make-up day") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-01-03";
    CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2026.json"), config_error,
                         Catch::Message("cn-2026.json: make_up_working_days[0].date: "
                                        "2026-01-03 is also listed as a holiday"));
  }
  SECTION("a make-up day on a weekday") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-01-05";
    CHECK_THROWS_WITH(
        cal.add_year(doc, "cn-2026.json"),
        Contains("cn-2026.json: make_up_working_days[0].date:") && Contains("weekday"));
  }
  SECTION("a year that is not a number") {
    auto doc = year_2026();
    doc["year"] = "2026";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"), Contains("cn-2026.json: year:"));
  }
  SECTION("a misspelt key") {
    auto doc = year_2026();
    doc["make_up_days"] = doc["make_up_working_days"];
    doc.erase("make_up_working_days");
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: make_up_days: is not a calendar field"));
  }
  SECTION("a missing source") {
    auto doc = year_2026();
    doc.erase("source");
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"), Contains("cn-2026.json: source:"));
  }
  // A refused year adds nothing.
  CHECK_FALSE(cal.covers(2026y / January / 5));
}

TEST_CASE("the same year in two files is refused naming both files", "[calendar]") {
  const temp_dir dir;
  dir.write("a-2026.json", year_2026().dump());
  dir.write("b-2026.json", year_2026().dump());
  const std::string second = (dir.path() / "b-2026.json").string();
  const std::string first = (dir.path() / "a-2026.json").string();
  CHECK_THROWS_MATCHES(working_calendar::load_directory(dir.path()), config_error,
                       Catch::Message(second + ": year: 2026 is already loaded from " + first));
}

TEST_CASE("a calendar file that is not JSON is refused naming the file", "[calendar]") {
  const temp_dir dir;
  dir.write("cn-2026.json", "{\"year\": 2026,");
  CHECK_THROWS_WITH(
      working_calendar::load_directory(dir.path()),
      Catch::Matchers::StartsWith((dir.path() / "cn-2026.json").string() + ": is not valid JSON"));
}

TEST_CASE("a calendar directory without calendar files is refused", "[calendar]") {
  const temp_dir dir;
  dir.write("README.txt", "not a calendar");
  CHECK_THROWS_AS(working_calendar::load_directory(dir.path()), config_error);
  CHECK_THROWS_AS(working_calendar::load_directory(dir.path() / "missing"), config_error);
}
