#include "adapters/cli/traffic.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapters/cli/case_probe.hpp"
#include "engine/domain/case_record.hpp"
#include "engine/domain/eligibility.hpp"
#include "engine/domain/identity.hpp"

namespace xyp::cli {
namespace {

namespace chr = std::chrono;
// Keys in the contract's order, so that the lines read like CONTRACT.md's example.
using json = nlohmann::ordered_json;

// The years config/calendars covers. Every event, and every deadline the engine computes from
// one, must fall inside them: the engine refuses to guess a working day it has no schedule for.
constexpr chr::year first_covered_year{2025};
constexpr chr::year last_covered_year{2026};

constexpr int office_opens = 8 * 3600 + 30 * 60;    // 08:30
constexpr int office_closes = 17 * 3600 + 30 * 60;  // 17:30
constexpr int last_arrival = 17 * 3600;             // 17:00: the window still reviews it today
constexpr int day_closes = 18 * 3600;               // the clock.advance closing each day
constexpr int tail_calendar_days = 45;              // after the last event, for the clocks
constexpr std::uint32_t cases_per_day = 60;         // a service centre's day
constexpr int max_prefix_bytes = 100;               // ids stay within the contract's 128 characters

// ---------------------------------------------------------------------------------------------
// Randomness. Only the raw output of std::mt19937_64 is used, which the standard fixes bit for
// bit; the std:: distributions are implementation-defined, so these helpers replace them. Two
// draws never share one expression: the order C++ evaluates arguments in is unspecified.
class dice {
 public:
  explicit dice(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), by rejection so that no value is favoured.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % n;
    std::uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
  }

  // Uniform in [lo, hi]; lo when hi < lo.
  int between(int lo, int hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  bool chance(double p) { return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < p; }

  // An index drawn with the given integer weights.
  std::size_t weighted(std::initializer_list<unsigned> weights) {
    return weighted(std::vector<unsigned>(weights));
  }
  std::size_t weighted(const std::vector<unsigned>& weights) {
    std::uint64_t total = 0;
    for (const auto w : weights) total += w;
    std::uint64_t x = below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

  template <class Container>
  const auto& pick(const Container& items) {
    return items[static_cast<std::size_t>(below(items.size()))];
  }

  std::uint64_t raw() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------------------------
// Office time: working days (Monday to Friday) counted from the first one on or after the start,
// through the last one of the covered years, and seconds after midnight in Shanghai.

struct moment {
  int day = 0;     // working-day index
  int second = 0;  // since Shanghai midnight
};

class office_days {
 public:
  explicit office_days(instant start) {
    const auto local = start + shanghai_offset;
    const auto start_date = chr::floor<chr::days>(local);
    const chr::year year = chr::year_month_day{start_date}.year();
    if (year < first_covered_year || year > last_covered_year) {
      throw std::invalid_argument("traffic start " + format_rfc3339(start) +
                                  " lies outside the calendar's years 2025-2026");
    }
    // The first day opens at the start's own time; a start after the last arrival of a day
    // moves to the next working day.
    const auto time_of_day = static_cast<int>(chr::ceil<chr::seconds>(local - start_date).count());
    auto date = start_date;
    if (time_of_day > last_arrival) date += chr::days{1};
    const chr::sys_days end{last_covered_year / chr::December / 31};
    for (; date <= end; date += chr::days{1}) {
      if (is_weekday(date)) dates_.push_back(date);
    }
    if (dates_.empty()) {
      throw std::invalid_argument("traffic start " + format_rfc3339(start) +
                                  " leaves no working day before the end of 2026");
    }
    if (dates_.front() == start_date) first_open_ = std::max(office_opens, time_of_day);
  }

  int last() const { return static_cast<int>(dates_.size()) - 1; }
  chr::sys_days date(int day) const { return dates_[static_cast<std::size_t>(day)]; }
  int opens(int day) const { return day == 0 ? first_open_ : office_opens; }

  // Around a clock.advance at `fire` (18:00): the last working day whose office hours come
  // before it (-1 when none), and the first whose hours come after it (past last() when none).
  int last_on_or_before(instant fire) const {
    const auto date = chr::floor<chr::days>(fire + shanghai_offset);
    return static_cast<int>(std::upper_bound(dates_.begin(), dates_.end(), date) - dates_.begin()) -
           1;
  }
  int first_after(instant fire) const { return last_on_or_before(fire) + 1; }

  instant at(moment m) const { return at(date(m.day), m.second); }
  static instant at(chr::sys_days date, int second) {
    return instant{date + chr::seconds{second} - shanghai_offset};
  }

 private:
  static bool is_weekday(chr::sys_days date) {
    const chr::weekday wd{date};
    return wd != chr::Saturday && wd != chr::Sunday;
  }

  std::vector<chr::sys_days> dates_;
  int first_open_ = office_opens;
};

// ---------------------------------------------------------------------------------------------
// Who applies.

struct credit_profile {
  credit_grade grade = credit_grade::D;
  std::optional<std::int64_t> score;
  bool tax_incentive_card = false;
  bool blacklisted = false;
  bool key_review = false;
};

struct applicant {
  std::string id;
  applicant_kind kind = applicant_kind::person;
  std::string name;
  std::string contact;
  std::optional<credit_profile> credit;     // nothing: the credit system never reported
  std::optional<moment> reported;           // when its credit.update came
  std::optional<std::size_t> report_event;  // that credit.update, among the planned events
  int cases = 0;
  std::size_t returning_slot = 0;  // its place among the applicants who may apply again
};

const std::vector<std::string_view> person_regions{"410404", "410402", "410411", "370402",
                                                   "370481", "152183", "370781", "110105"};
const std::vector<std::string_view> surnames{"王", "李", "张", "刘", "陈", "杨", "赵",
                                             "黄", "周", "吴", "徐", "孙", "胡", "朱",
                                             "高", "林", "何", "郭", "马", "罗"};
const std::vector<std::string_view> given_names{
    "伟", "芳", "娜", "秀英", "敏", "静",   "丽", "强", "磊", "军",   "洋",   "勇",   "艳",
    "杰", "娟", "涛", "明",   "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕"};
const std::vector<std::string_view> trade_names{"鑫源", "宏达", "华泰", "瑞丰", "恒信", "金穗",
                                                "德润", "永盛", "佳禾", "润泽", "兴隆", "广汇",
                                                "天成", "博远", "嘉和", "正元"};
const std::vector<std::string_view> industries{"餐饮管理",     "商贸",     "建筑工程", "物流",
                                               "人力资源服务", "医药连锁", "文化传媒", "环保科技",
                                               "化工",         "酒店管理", "农业开发", "机械制造"};
constexpr std::string_view credit_code_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

std::string digits(dice& d, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += static_cast<char>('0' + d.below(10));
  return out;
}

std::string two_digits(int value) {
  return std::string{static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)};
}

// GB 11643: region, a real date of birth, a sequence number, the check character.
std::string resident_id(dice& d) {
  std::string id(d.pick(person_regions));
  id += std::to_string(d.between(1955, 2004));
  id += two_digits(d.between(1, 12));
  id += two_digits(d.between(1, 28));
  id += digits(d, 3);
  return id + resident_id_check_char(id);
}

// GB 32100: registering authority (9: industry and commerce) and kind (1 enterprise, 2
// individual business), region, organisation code, the check character.
std::string social_credit_code(dice& d) {
  std::string id = d.chance(0.85) ? "91" : "92";
  id += d.pick(person_regions);
  for (int i = 0; i < 9; ++i) id += credit_code_alphabet[d.below(credit_code_alphabet.size())];
  return id + social_credit_check_char(id);
}

std::string mobile_number(dice& d) {
  static const std::vector<std::string_view> prefixes{"13", "15", "17", "18", "19"};
  std::string number(d.pick(prefixes));
  return number + digits(d, 9);
}

// A score on the 0-1000 scale consistent with the grade, Zaozhuang's 榴花分 bands at the top
// (AA 800-899, AAA 900 and above).
std::int64_t score_for(credit_grade grade, dice& d) {
  switch (grade) {
    case credit_grade::AAA:
      return d.between(900, 985);
    case credit_grade::AA:
      return d.between(800, 899);
    case credit_grade::A_plus:
      return d.between(760, 799);
    case credit_grade::A:
      return d.between(730, 759);
    case credit_grade::A_minus:
      return d.between(700, 729);
    case credit_grade::B:
      return d.between(600, 699);
    case credit_grade::C:
      return d.between(500, 599);
    case credit_grade::D:
      return d.between(350, 499);
  }
  return 0;
}

// AAA 15%, AA 25%, A+/A/A- 30%, B/C/D 20%, nothing reported 10%; 3% blacklisted, 2% key review.
std::optional<credit_profile> draw_credit(applicant_kind kind, dice& d) {
  static const std::vector<credit_grade> grades{
      credit_grade::AAA,     credit_grade::AA, credit_grade::A_plus, credit_grade::A,
      credit_grade::A_minus, credit_grade::B,  credit_grade::C,      credit_grade::D};
  const auto drawn = d.weighted({10, 15, 25, 10, 10, 10, 10, 6, 4});
  if (drawn == 0) return std::nullopt;
  credit_profile c;
  c.grade = grades[drawn - 1];
  if (d.chance(0.03)) {
    c.blacklisted = true;
    c.grade = d.chance(0.7) ? credit_grade::D : credit_grade::C;
  } else if (d.chance(0.02)) {
    c.key_review = true;
  }
  if (kind == applicant_kind::person || d.chance(0.7)) c.score = score_for(c.grade, d);
  if (kind == applicant_kind::enterprise) {
    const bool good = c.grade <= credit_grade::A_minus;
    c.tax_incentive_card = d.chance(good ? 0.3 : c.grade == credit_grade::B ? 0.1 : 0.0);
  }
  return c;
}

json credit_data(const credit_profile& c) {
  json data{{"grade", to_string(c.grade)}};
  if (c.score) data["score"] = *c.score;
  data["tax_incentive_card"] = c.tax_incentive_card;
  data["blacklisted"] = c.blacklisted;
  data["key_review"] = c.key_review;
  data["source"] = "公共信用信息平台";
  return data;
}

// ---------------------------------------------------------------------------------------------
// What applicants hand in.

enum class material_gap { none, deferrable, replaceable, main, deferrable_and_replaceable };

std::vector<std::string> drop_some(std::vector<std::string> all,
                                   const std::vector<std::string>& candidates, dice& d) {
  if (candidates.empty()) return all;
  const auto forced = d.below(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i != forced && !d.chance(0.4)) continue;
    all.erase(std::remove(all.begin(), all.end(), candidates[i]), all.end());
  }
  return all;
}

std::vector<std::string> handed_in(const matter& m, material_gap gap, dice& d) {
  auto all = merged(m.main_materials, m.auxiliary_materials);
  std::vector<std::string> optional_mains;
  for (const auto& item : m.main_materials) {
    if (item != "application_form") optional_mains.push_back(item);
  }
  const auto& deferrable = m.deferrable.empty() ? m.auxiliary_materials : m.deferrable;
  switch (gap) {
    case material_gap::none:
      return all;
    case material_gap::deferrable:
      return drop_some(std::move(all), deferrable, d);
    case material_gap::replaceable:
      return drop_some(std::move(all),
                       m.commitment_replaces.empty() ? deferrable : m.commitment_replaces, d);
    case material_gap::main:
      if (optional_mains.empty()) return all;
      all.erase(std::find(all.begin(), all.end(), d.pick(optional_mains)));
      return all;
    case material_gap::deferrable_and_replaceable:
      return drop_some(drop_some(std::move(all), deferrable, d), m.commitment_replaces, d);
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Planned lines: events first, ids and text at the end, in time order.

enum class flaw {
  none,
  truncated,
  unknown_type,
  missing_field,
  wrong_type,
  bad_check_digit,
  duplicate_delivery,
};

struct planned_event {
  instant at;
  std::uint64_t seq = 0;  // creation order: ties in time keep it
  std::string type;
  std::string applicant_id;
  std::string case_id;
  std::string actor_id;
  std::string_view role;
  json data;
  flaw defect = flaw::none;
  std::size_t original = 0;   // duplicate_delivery: the event delivered again
  std::uint64_t variant = 0;  // which field a defect hits, or where a line is cut
  // The envelope's text without its id, written once when the engine is asked about the event:
  // the line is `{"id":<id>,` and the rest of it. Empty for bad input and the clock.
  std::string body;
};

// The envelope of a planned event, under the given id.
json envelope(const planned_event& e, std::string id) {
  json envelope{{"id", std::move(id)}, {"type", e.type}};
  if (!e.applicant_id.empty()) envelope["applicant_id"] = e.applicant_id;
  if (!e.case_id.empty()) envelope["case_id"] = e.case_id;
  envelope["at"] = format_rfc3339(e.at);
  envelope["actor"] = {{"id", e.actor_id}, {"role", e.role}};
  envelope["data"] = e.data;
  return envelope;
}

// The envelope under `id` from its text without one.
std::string with_id(std::string_view id, const std::string& body) {
  std::string line = "{\"id\":" + json(id).dump() + ",";
  line.append(body, 1);
  return line;
}

// The data field every event type requires, for defects aimed at it.
std::string_view required_data_key(std::string_view type) {
  if (type == "credit.update") return "grade";
  if (type == "case.apply") return "matter";
  if (type == "case.accept") return "verdict";
  if (type == "case.supplement") return "materials";
  if (type == "case.decide") return "outcome";
  if (type == "case.withdraw") return "scope";
  if (type == "case.terminate") return "reason";
  if (type == "case.verify") return "result";
  if (type == "case.feedback") return "rating";
  return "to";
}

json wrong_type_for(const json& value) {
  if (value.is_string()) return 42;
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + item.get<std::string>();
    return joined;
  }
  return "42";
}

// A valid id with its check character replaced by another of its kind's check characters: the
// same length and alphabet, refused only by the check (and never by chance a valid id of the
// other kind).
std::string with_bad_check_char(const std::string& id, std::uint64_t variant) {
  const std::string_view check_chars =
      valid_resident_id(id) ? std::string_view("0123456789X") : credit_code_alphabet;
  std::string bad = id;
  for (std::size_t i = 0; i < check_chars.size(); ++i) {
    bad.back() = check_chars[(variant + i) % check_chars.size()];
    if (!valid_applicant_id(bad)) return bad;
  }
  return bad;
}

void apply_defect(json& envelope, const planned_event& e) {
  auto& data = envelope["data"];
  const std::string key(required_data_key(e.type));
  switch (e.defect) {
    case flaw::unknown_type: {
      static const std::vector<std::string_view> types{"case.reopen", "case.approve",
                                                       "credit.query", "case.appeal"};
      envelope["type"] = types[e.variant % types.size()];
      return;
    }
    case flaw::missing_field:
      switch (e.variant % 4) {
        case 0:
          envelope.erase("at");
          return;
        case 1:
          envelope.erase("applicant_id");
          return;
        case 2:
          envelope.erase("data");
          return;
        default:
          data.erase(key);
          return;
      }
    case flaw::wrong_type:
      if (e.variant % 3 == 0) {
        envelope["at"] = static_cast<std::int64_t>(e.at.time_since_epoch().count());
      } else {
        data[key] = wrong_type_for(data[key]);
      }
      return;
    case flaw::bad_check_digit:
      envelope["applicant_id"] = with_bad_check_char(e.applicant_id, e.variant);
      return;
    default:
      return;
  }
}

// A line cut short, as a producer that died mid-write leaves it; cut between characters, so the
// text stays valid UTF-8.
std::string truncated(const std::string& line, std::uint64_t variant) {
  const std::size_t from = line.size() / 3;
  std::size_t cut = from + static_cast<std::size_t>(variant % (line.size() - from - 1));
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0u) == 0x80u) --cut;
  return line.substr(0, cut);
}

// ---------------------------------------------------------------------------------------------
// The generator.

class traffic_plan {
 public:
  traffic_plan(const jurisdiction_policy& policy, const working_calendar& calendar,
               const traffic_options& options)
      : policy_(policy),
        options_(options),
        dice_(options.seed),
        days_(options.start),
        probe_(policy, calendar) {
    check_options();
    for (const auto& [code, m] : policy_.matters) {
      matters_.push_back(&m);
      excluded_.push_back(excluded(m));
    }
    int least_needed = std::numeric_limits<int>::max();
    for (const auto* m : matters_) least_needed = std::min(least_needed, days_needed(*m));
    if (matters_.empty() || days_.last() - least_needed < 0) {
      throw std::invalid_argument(
          "traffic starting " + format_rfc3339(options.start) +
          " leaves too few working days before the end of 2026 for a case's deadlines");
    }
    const auto wanted = static_cast<int>(
        (static_cast<std::uint64_t>(options.cases) + cases_per_day - 1) / cases_per_day);
    arrival_days_ = std::clamp(wanted, 1, days_.last() - least_needed + 1);
  }

  std::vector<std::string> lines() {
    for (std::uint32_t n = 0; n < options_.cases; ++n) {
      const auto day = static_cast<int>(static_cast<std::uint64_t>(n) * arrival_days_ /
                                        std::max<std::uint32_t>(options_.cases, 1));
      plan_case(n, day);
    }
    if (events_.empty()) return {};
    const std::size_t good = events_.size();
    const std::size_t clocks = plan_clock();
    plan_bad_input(good, good + clocks);
    return render();
  }

 private:
  // -- options and budget -----------------------------------------------------------------------

  void check_options() const {
    if (!(options_.bad_input_share >= 0.0 && options_.bad_input_share <= 0.5)) {
      throw std::invalid_argument("bad_input_share must lie between 0 and 0.5");
    }
    if (options_.id_prefix.empty() || options_.id_prefix.size() > max_prefix_bytes ||
        options_.case_prefix.size() > max_prefix_bytes) {
      throw std::invalid_argument(
          "id_prefix must be 1 to 100 bytes and case_prefix at most 100 bytes");
    }
  }

  bool excluded(const matter& m) const {
    for (const auto& c : m.categories) {
      if (std::find(policy_.excluded_categories.begin(), policy_.excluded_categories.end(), c) !=
          policy_.excluded_categories.end()) {
        return true;
      }
    }
    return false;
  }

  // Working days after its arrival that a case of this matter may need for the deadlines the
  // engine computes: deemed acceptance then the time limit, a supplement deadline and its grace,
  // a verification window, a publicity report.
  int days_needed(const matter& m) const {
    const auto& k = policy_.clocks;
    return std::max({k.correction_notice_days + m.time_limit_days, 1 + m.time_limit_days,
                     1 + k.supplement_days + k.reminder_grace_days, 1 + k.verification_days,
                     1 + k.publicity_days});
  }

  int last_day() const { return days_.last(); }

  // The case's next step, on `day` or later, after `t`; nothing when that leaves the calendar.
  std::optional<moment> step(const moment& t, int day) {
    if (day <= t.day) {
      day = t.day;
      const int lo = t.second + 60;
      const int hi = std::min(office_closes, t.second + 3 * 3600);
      if (lo <= hi) return moment{day, dice_.between(lo, hi)};
      ++day;
    }
    if (day > last_day()) return std::nullopt;
    return moment{day, dice_.between(days_.opens(day), office_closes - 1)};
  }

  // -- emitting ---------------------------------------------------------------------------------

  std::size_t emit(moment when, std::string type, const applicant& who, std::string case_id,
                   std::string actor_id, std::string_view role, json data) {
    planned_event e;
    e.at = days_.at(when);
    e.seq = events_.size();
    e.type = std::move(type);
    e.applicant_id = who.id;
    e.case_id = std::move(case_id);
    e.actor_id = std::move(actor_id);
    e.role = role;
    e.data = std::move(data);
    events_.push_back(std::move(e));
    const auto index = events_.size() - 1;
    probe(index);
    // The event that ended the case, for bad input aimed at a closed case.
    const auto* r = probe_.record();
    if (r != nullptr && is_final(r->state) && !case_facts_.empty() &&
        !case_facts_.back().closing_event) {
      case_facts_.back().closing_event = index;
    }
    return index;
  }

  // Applies a planned event in the engine that plays the current case. The engine refusing an
  // event the generator meant as good traffic is a defect of the generator.
  void probe(std::size_t index) {
    auto& e = events_[index];
    if (e.body.empty()) {
      auto whole = envelope(e, "");
      whole.erase("id");
      e.body = whole.dump();
    }
    const auto refused = probe_.apply(with_id("probe-" + std::to_string(e.seq), e.body), e.at);
    if (refused) {
      throw std::logic_error("the engine refused generated " + e.type + " for " + e.case_id + ": " +
                             *refused);
    }
  }

  std::string staff(std::string_view role, int count) {
    return std::string(role) + "-" + two_digits(dice_.between(1, count));
  }

  std::string case_id(std::uint64_t number) const {
    std::string digits = std::to_string(number);
    if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
    return options_.case_prefix + digits;
  }

  // -- applicants -------------------------------------------------------------------------------

  applicant new_applicant() {
    applicant a;
    a.kind = dice_.chance(0.7) ? applicant_kind::person : applicant_kind::enterprise;
    do {
      a.id = a.kind == applicant_kind::person ? resident_id(dice_) : social_credit_code(dice_);
    } while (!ids_.insert(a.id).second);
    if (a.kind == applicant_kind::person) {
      a.name = dice_.pick(surnames);
      a.name += dice_.pick(given_names);
    } else {
      a.name = dice_.pick(trade_names);
      a.name += dice_.pick(industries);
      a.name += "有限公司";
    }
    a.contact = mobile_number(dice_);
    a.credit = draw_credit(a.kind, dice_);
    return a;
  }

  // One applicant in four comes back with another matter; the rest are new.
  std::size_t choose_applicant(int day, int& arrival) {
    arrival = dice_.between(days_.opens(day) + 300, last_arrival);
    if (!returning_.empty() && dice_.chance(0.25)) {
      const auto slot = static_cast<std::size_t>(dice_.below(returning_.size()));
      const auto& who = applicants_[returning_[slot]];
      // Its credit report must come before this application too.
      if (!who.reported || who.reported->day < day) return returning_[slot];
      const int after_report = who.reported->second + 60;
      if (after_report <= last_arrival) {
        arrival = std::max(arrival, dice_.between(after_report, last_arrival));
        return returning_[slot];
      }
    }
    applicants_.push_back(new_applicant());
    applicants_.back().returning_slot = returning_.size();
    returning_.push_back(applicants_.size() - 1);
    return applicants_.size() - 1;
  }

  // Swaps the applicant out of returning_ in constant time.
  void stop_returning(std::size_t who) {
    const std::size_t slot = applicants_[who].returning_slot;
    const std::size_t moved = returning_.back();
    returning_[slot] = moved;
    applicants_[moved].returning_slot = slot;
    returning_.pop_back();
  }

  const matter& choose_matter(int day) {
    std::vector<unsigned> weights;
    for (std::size_t i = 0; i < matters_.size(); ++i) {
      const bool fits = day + days_needed(*matters_[i]) <= last_day();
      weights.push_back(!fits ? 0u : excluded_[i] ? 1u : 3u);
    }
    return *matters_[dice_.weighted(weights)];
  }

  channel choose_channel(bool credit_track) {
    static const std::vector<channel> all{channel::window, channel::online, channel::phone};
    std::vector<unsigned> weights{60, 25, 15};
    if (credit_track && dice_.chance(0.9)) {
      // Most who opt in come through a channel the policy offers credit approval on.
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& allowed = policy_.credit_channels;
        if (std::find(allowed.begin(), allowed.end(), all[i]) == allowed.end()) weights[i] = 0;
      }
      if (weights[0] + weights[1] + weights[2] == 0) weights[0] = 1;
    }
    return all[dice_.weighted(weights)];
  }

  // -- one case ---------------------------------------------------------------------------------
  //
  // Each case is played through the real engine (case_probe) as it is planned: every event is
  // applied there first, and the next one is chosen from the state and the timers the engine
  // reports. The generator knows what applicants and officials do, never what the rules make of
  // it.

  // What bad input aimed at a case needs to know of it.
  struct case_facts {
    std::size_t apply_event = 0;
    std::optional<std::size_t> closing_event;  // the event that ended it, if one did
  };

  enum class way_out { none, withdraw_application, withdraw_credit_track, terminate };
  enum class intake_verdict { accept, reject, none_in_time };

  struct case_plan {
    std::size_t who = 0;
    std::string id;
    const matter* m = nullptr;
    moment t;            // its latest event so far
    int not_before = 0;  // a working day its next step may not precede (a timer must fire)
    std::size_t apply_event = 0;
  };

  std::string_view channel_name(channel c) {
    return c == channel::window ? "window" : c == channel::online ? "online" : "phone";
  }

  // The case as the engine holds it after the events so far.
  const case_record& record() const {
    const auto* r = probe_.record();
    if (r == nullptr) throw std::logic_error("the engine holds no case the generator applied for");
    return *r;
  }
  case_state state() const { return record().state; }
  bool pending() const { return is_pending_decision(state()); }

  // The working day of the last events a timer's clock.advance comes after, and the first one
  // that comes after it.
  int last_day_before(instant fire) const { return days_.last_on_or_before(fire); }
  int first_day_after(instant fire) const { return days_.first_after(fire); }

  void plan_case(std::uint32_t n, int day) {
    case_plan c;
    int arrival = 0;
    c.who = choose_applicant(day, arrival);
    c.id = case_id(n + 1);
    c.m = &choose_matter(day);
    auto& who = applicants_[c.who];
    ++who.cases;
    const moment applied{day, arrival};
    probe_.start(c.id);

    if (who.credit && !who.reported) {
      who.reported = moment{day, dice_.between(days_.opens(day), arrival - 60)};
      who.report_event = emit(*who.reported, "credit.update", who, "", "credit-platform", "system",
                              credit_data(*who.credit));
    } else if (who.report_event) {
      // A returning applicant: the engine hears of its credit as it did for its first case.
      probe(*who.report_event);
    }

    const bool opted_in = dice_.chance(0.8);
    const bool signed_commitment = opted_in && dice_.chance(0.9);
    const channel via = choose_channel(opted_in);
    const auto gap = static_cast<material_gap>(dice_.weighted({45, 20, 15, 10, 10}));
    const auto materials = handed_in(*c.m, gap, dice_);
    const bool at_window = via == channel::window;
    case_facts_.push_back({events_.size(), std::nullopt});
    c.apply_event = emit(applied, "case.apply", who, c.id, at_window ? staff("clerk", 12) : who.id,
                         at_window ? "clerk" : "applicant",
                         {{"matter", c.m->code},
                          {"applicant",
                           {{"kind", who.kind == applicant_kind::person ? "person" : "enterprise"},
                            {"name", who.name},
                            {"contact", who.contact}}},
                          {"channel", channel_name(via)},
                          {"credit_track", opted_in},
                          {"commitment_signed", signed_commitment},
                          {"materials", materials}});
    c.t = applied;

    // Ways out before the decision: withdrawal (5%) and termination (2%), before or after the
    // intake review.
    const auto exit = static_cast<way_out>(dice_.weighted({93, 3, 2, 2}));
    const bool exit_early = dice_.chance(0.3);
    if (exit != way_out::none && exit_early && !leave(c, exit)) return;

    // The intake review: 88% accepted, 4% rejected, 8% no verdict in time.
    const auto intake = static_cast<intake_verdict>(dice_.weighted({88, 4, 8}));
    if (intake == intake_verdict::reject) {
      const auto at = step(c.t, day + dice_.between(0, 1));
      if (!at) return;
      c.t = *at;
      const auto clerk = staff("clerk", 12);
      const auto reason = dice_.pick(std::vector<std::string_view>{
          "申请事项不属于本机关职权范围", "申请人不具备申请资格", "依法不需要取得行政许可"});
      emit(c.t, "case.accept", who, c.id, clerk, "clerk",
           {{"materials", record().materials}, {"verdict", "reject"}, {"reason", reason}});
      return;
    }
    if (intake == intake_verdict::none_in_time) {
      if (!wait_for_timers(c)) return;
    } else {
      const auto at = step(c.t, day + (dice_.chance(0.6) ? 0 : 1));
      if (!at) return;
      c.t = *at;
      emit(c.t, "case.accept", who, c.id, staff("clerk", 12), "clerk",
           {{"materials", record().materials}, {"verdict", "accept"}});
    }

    // A few applicants are blacklisted while a case with facilitation is open.
    if (pending() && !record().privileges.empty() && who.cases == 1 && dice_.chance(0.05)) {
      blacklist(c);
    }
    if (exit != way_out::none && !exit_early && pending() && !leave(c, exit)) return;

    if (state() == case_state::accepted_deficient) supply_deferred(c);
    if (state() == case_state::correction_required) supply_corrections(c);
    if (state() == case_state::accepted) decide(c);
    if (state() == case_state::approved && record().needs_verification) verify(c);
    const auto end = state();
    const bool decided = end == case_state::approved || end == case_state::denied ||
                         end == case_state::verified || end == case_state::revoked;
    if (decided && dice_.chance(0.5)) feedback(c);
  }

  // Withdrawal or termination; false when the case ended.
  bool leave(case_plan& c, way_out exit) {
    const auto& who = applicants_[c.who];
    const auto at = step(c.t, std::max(c.t.day + dice_.between(0, 3), c.not_before));
    if (!at) return false;
    c.t = *at;
    if (exit == way_out::terminate) {
      const auto supervisor = staff("supervisor", 3);
      const auto reason = dice_.pick(
          std::vector<std::string_view>{"申请人主体资格已依法终止", "申请事项依法不再需要许可",
                                        "因不可抗力导致行政许可事项无法办理"});
      emit(c.t, "case.terminate", who, c.id, supervisor, "supervisor", {{"reason", reason}});
      return false;
    }
    // Only a case served with facilitation has a credit track to leave.
    const bool whole = exit == way_out::withdraw_application || record().privileges.empty();
    emit(c.t, "case.withdraw", who, c.id, who.id, "applicant",
         {{"scope", whole ? "application" : "credit_track"},
          {"reason", whole ? "申请人主动撤回申请" : "申请人自愿退出信用承诺审批"}});
    return pending();
  }

  // No verdict in time: the file waits for the engine's timers to move the case on (art. 32's
  // deemed acceptance), and the next step comes on a working day after that. False when the
  // calendar has no such day or nothing would move the case.
  bool wait_for_timers(case_plan& c) {
    const auto before = state();
    for (const auto& firing : probe_.forecast(last_clock())) {
      if (firing.state_after == before) continue;
      c.not_before = first_day_after(firing.at);
      if (c.not_before > last_day()) return false;
      probe_.advance_to(days_.at({c.not_before, days_.opens(c.not_before)}));
      return true;
    }
    return false;
  }

  void blacklist(case_plan& c) {
    auto& who = applicants_[c.who];
    const auto at = step(c.t, std::max(c.t.day + dice_.between(0, 2), c.not_before));
    if (!at) return;
    c.t = *at;
    credit_profile worse;
    worse.grade = credit_grade::D;
    worse.score = score_for(credit_grade::D, dice_);
    worse.blacklisted = true;
    who.credit = worse;
    stop_returning(c.who);
    emit(c.t, "credit.update", who, "", "credit-platform", "system", credit_data(worse));
  }

  // Materials handed in later, on `day` or after but no later than `latest`; false when no room
  // is left or the engine no longer expects them.
  bool supplement(case_plan& c, int day, std::vector<std::string> items, int latest) {
    const auto at = step(c.t, std::max(day, c.not_before));
    if (!at || at->day > latest) return false;
    probe_.advance_to(days_.at(*at));
    if (!pending() || record().missing.empty()) return false;
    c.t = *at;
    const auto& who = applicants_[c.who];
    const bool online = dice_.chance(0.5);  // uploaded by the applicant, or handed in at the window
    emit(c.t, "case.supplement", who, c.id, online ? who.id : staff("clerk", 12),
         online ? "applicant" : "clerk", {{"materials", items}});
    return true;
  }

  // Part of the missing materials, at least one and not all.
  std::vector<std::string> some_of(const std::vector<std::string>& missing) {
    std::vector<std::string> part{missing.front()};
    for (std::size_t i = 1; i + 1 < missing.size(); ++i) {
      if (dice_.chance(0.5)) part.push_back(missing[i]);
    }
    return part;
  }

  // Deficiency acceptance (容缺受理): on time, after the reminder, in parts, or never. The engine
  // says when its timers would move the case on (the reminder, then the default).
  void supply_deferred(case_plan& c) {
    const auto firings = state_changes(c);
    const int due = firings.size() > 0 ? last_day_before(firings[0].at) : last_day();
    const int reminded = firings.size() > 0 ? first_day_after(firings[0].at) : last_day() + 1;
    // The last day a supplement comes before the next change (the default).
    const int last_chance = firings.size() > 1 ? last_day_before(firings[1].at) : last_day();
    const auto habit = dice_.weighted({60, 10, 10, 5, 15});
    const bool can_split = record().missing.size() > 1;
    switch (habit) {
      case 0:  // on time
        supplement(c, dice_.between(c.t.day, std::max(c.t.day, due)), record().missing,
                   std::min(due, last_chance));
        return;
      case 1:  // part on time, the rest after the reminder
        if (can_split) {
          const int day = dice_.between(c.t.day, std::max(c.t.day, due));
          if (!supplement(c, day, some_of(record().missing), due)) return;
        }
        [[fallthrough]];
      case 2:  // all after the reminder
        supplement(c, dice_.between(reminded, std::max(reminded, last_chance)), record().missing,
                   last_chance);
        return;
      case 3:  // part, then nothing: the case defaults
        if (can_split) {
          const int day = dice_.between(c.t.day, std::max(c.t.day, due));
          supplement(c, day, some_of(record().missing), due);
        }
        return;
      default:  // never: reminder, then default
        return;
    }
  }

  // The firings that change the case's state if nothing else happens, in order.
  std::vector<timer_firing> state_changes(const case_plan& c) const {
    std::vector<timer_firing> changes;
    auto last = state();
    for (const auto& firing : probe_.forecast(last_clock())) {
      if (firing.at <= days_.at(c.t)) continue;
      if (firing.state_after != last) changes.push_back(firing);
      last = firing.state_after;
    }
    return changes;
  }

  // Correction required: every missing material listed at once; most come back with them.
  void supply_corrections(case_plan& c) {
    const auto habit = dice_.weighted({70, 10, 20});
    if (habit == 2) return;  // never came back
    if (habit == 1 && record().missing.size() > 1) {
      const int day = c.t.day + dice_.between(0, 3);
      if (!supplement(c, day, some_of(record().missing), last_day())) return;
    }
    supplement(c, c.t.day + dice_.between(0, 5), record().missing, last_day());
  }

  // The working day before a clock of the case fires, and the first one after; nothing when the
  // clock is not armed.
  std::optional<std::pair<int, int>> clock_days(clock_kind kind) const {
    const auto* clock = record().armed_clock(kind);
    if (clock == nullptr) return std::nullopt;
    const auto fire = case_probe::firing_time(clock->due);
    return std::pair{last_day_before(fire), first_day_after(fire)};
  }

  // The decision: mostly before the engine's warning, some after it, some overdue; 85% approve.
  void decide(case_plan& c) {
    const int earliest = std::max(c.t.day, c.not_before);
    const auto warning = clock_days(clock_kind::decision_warning);
    const auto limit = clock_days(clock_kind::decision);
    const int last_calm = warning ? warning->first : limit ? limit->first : earliest + 5;
    const int warned = warning ? warning->second : earliest;
    const int last_in_time = limit ? limit->first : last_calm;
    const int overdue = limit ? limit->second : last_in_time + 1;
    int day = earliest;
    switch (dice_.weighted({70, 15, 15})) {
      case 0:
        day = dice_.between(earliest, last_calm);
        break;
      case 1:
        day = dice_.between(std::max(earliest, warned), last_in_time);
        break;
      default:
        day = std::max(earliest, overdue) + dice_.between(0, 3);
        break;
    }
    const bool approve = dice_.chance(0.85);
    const auto at = step(c.t, std::min(day, last_day()));
    if (!at) return;
    c.t = *at;
    const auto& who = applicants_[c.who];
    const auto reviewer = staff("reviewer", 6);
    const auto reason =
        approve
            ? dice_.pick(std::vector<std::string_view>{"材料齐全，符合法定条件",
                                                       "经审查符合许可条件", "现场核查合格"})
            : dice_.pick(std::vector<std::string_view>{
                  "现场核查不符合许可条件", "经营场所不符合要求", "申请材料内容与实际情况不符"});
    emit(c.t, "case.decide", who, c.id, reviewer, "reviewer",
         {{"outcome", approve ? "approve" : "deny"}, {"reason", reason}});
  }

  // The post-approval check of a commitment: 85% checked within the engine's verification window
  // (85% kept), the rest never, so the window escalates.
  void verify(case_plan& c) {
    if (!dice_.chance(0.85)) return;
    const bool kept = dice_.chance(0.85);
    const auto window = clock_days(clock_kind::verification);
    const int latest = std::min(last_day(), window ? window->first : c.t.day + 1);
    const auto at = step(c.t, dice_.between(c.t.day + 1, latest));
    if (!at || at->day > latest) return;
    c.t = *at;
    const auto& who = applicants_[c.who];
    emit(c.t, "case.verify", who, c.id, staff("inspector", 5), "inspector",
         {{"result", kept ? "fulfilled" : "breached"},
          {"note", kept ? "现场核查，承诺事项已履行" : "核查发现承诺内容与实际不符"}});
  }

  void feedback(case_plan& c) {
    const auto at = step(c.t, c.t.day + dice_.between(0, 5));
    if (!at) return;
    c.t = *at;
    static const std::vector<std::string_view> ratings{"very_satisfied", "satisfied", "basic",
                                                       "unsatisfied", "very_unsatisfied"};
    json data{{"rating", ratings[dice_.weighted({45, 35, 12, 6, 2})]}};
    if (dice_.chance(0.3)) {
      data["comment"] = dice_.pick(std::vector<std::string_view>{
          "办事效率高", "窗口人员服务热情", "信用承诺审批省了不少时间", "等待时间较长",
          "希望网上办理更便捷"});
    }
    const auto& who = applicants_[c.who];
    emit(c.t, "case.feedback", who, c.id, who.id, "applicant", std::move(data));
  }

  // The last clock.advance the traffic can hold: the calendar's last day.
  instant last_clock() const {
    return office_days::at(chr::sys_days{last_covered_year / chr::December / 31}, day_closes);
  }

  // -- the clock --------------------------------------------------------------------------------

  // 18:00 of every calendar day from the first to the last event's, then day by day until the
  // clocks come due, within the calendar's years. Returns how many lines it planned.
  std::size_t plan_clock() {
    if (!options_.clock_events) return 0;
    instant last = events_.front().at;
    for (const auto& e : events_) last = std::max(last, e.at);
    const chr::sys_days first_day = days_.date(0);
    const chr::sys_days last_event_day = chr::floor<chr::days>(last + shanghai_offset);
    const chr::sys_days end = std::min(last_event_day + chr::days{tail_calendar_days},
                                       chr::sys_days{last_covered_year / chr::December / 31});
    std::size_t planned = 0;
    for (auto day = first_day; day <= end; day += chr::days{1}) {
      planned_event e;
      e.at = office_days::at(day, day_closes);
      e.seq = events_.size();
      e.type = "clock.advance";
      e.actor_id = "scheduler";
      e.role = "system";
      e.data = {{"to", format_rfc3339(e.at)}};
      events_.push_back(std::move(e));
      ++planned;
    }
    return planned;
  }

  // -- bad input --------------------------------------------------------------------------------

  enum class bad_kind {
    truncated,
    unknown_type,
    missing_field,
    wrong_type,
    bad_check_digit,
    unknown_case,
    duplicate_case,
    invalid_transition,
    duplicate_delivery,
    unknown_matter,
  };
  static constexpr std::size_t bad_kinds = 10;

  // About bad_input_share of all lines: broken envelopes, refused events, a repeated delivery.
  // The kinds are dealt from a shuffled deck, so that every ten bad lines hold each kind once.
  // Drawn after the good traffic, so the good traffic is the same whatever the share.
  void plan_bad_input(std::size_t good, std::size_t lines) {
    const double share = options_.bad_input_share;
    const auto count =
        static_cast<std::size_t>(std::llround(static_cast<double>(lines) * share / (1 - share)));
    std::uint64_t spare_case = static_cast<std::uint64_t>(options_.cases) + 1;
    std::vector<bad_kind> deck;
    for (std::size_t i = 0; i < count; ++i) {
      if (deck.empty()) {
        for (std::size_t k = 0; k < bad_kinds; ++k) deck.push_back(static_cast<bad_kind>(k));
        for (std::size_t k = deck.size() - 1; k > 0; --k) {
          std::swap(deck[k], deck[static_cast<std::size_t>(dice_.below(k + 1))]);
        }
      }
      const bad_kind kind = deck.back();
      deck.pop_back();
      const auto anchor = static_cast<std::size_t>(dice_.below(good));
      const auto& facts = dice_.pick(case_facts_);
      events_.push_back(bad_event(kind, anchor, facts, spare_case));
    }
  }

  planned_event bad_event(bad_kind kind, std::size_t anchor, const case_facts& facts,
                          std::uint64_t& spare_case) {
    const auto& apply = events_[facts.apply_event];
    // Most are the anchor event sent again with a defect, a little later the same day.
    planned_event e = events_[anchor];
    e.body.clear();  // its own text, defect included
    e.seq = events_.size();
    e.at = later_same_day(e.at);
    e.variant = dice_.raw();
    switch (kind) {
      case bad_kind::truncated:
        e.defect = flaw::truncated;
        return e;
      case bad_kind::unknown_type:
        e.defect = flaw::unknown_type;
        return e;
      case bad_kind::missing_field:
        e.defect = flaw::missing_field;
        return e;
      case bad_kind::wrong_type:
        e.defect = flaw::wrong_type;
        return e;
      case bad_kind::bad_check_digit:
        e.defect = flaw::bad_check_digit;
        return e;
      case bad_kind::duplicate_delivery:
        e.defect = flaw::duplicate_delivery;
        e.original = anchor;
        return e;
      case bad_kind::unknown_case:
        e.type = "case.decide";
        e.case_id = case_id(spare_case++);
        e.actor_id = staff("reviewer", 6);
        e.role = "reviewer";
        e.data = {{"outcome", "approve"}};
        return e;
      default:
        break;
    }
    // The rest concern one case, through its apply.
    e = apply;
    e.body.clear();
    e.seq = events_.size();
    switch (kind) {
      case bad_kind::duplicate_case:  // the same case id applied for again
        e.at = later_same_day(apply.at);
        return e;
      case bad_kind::unknown_matter:  // a matter the catalogue does not hold
        e.at = later_same_day(apply.at);
        e.case_id = case_id(spare_case++);
        e.data["matter"] = unknown_matter();
        return e;
      default:  // invalid_transition: a decision the case's state does not allow
        e.type = "case.decide";
        e.actor_id = staff("reviewer", 6);
        e.role = "reviewer";
        e.data = {{"outcome", "approve"}, {"reason", "经审查符合许可条件"}};
        if (facts.closing_event && dice_.chance(0.7)) {
          e.at = later_same_day(events_[*facts.closing_event].at);  // the case has ended
        }  // else at the very instant of the apply: before any intake review
        return e;
    }
  }

  instant later_same_day(instant at) {
    const auto local = at + shanghai_offset;
    const auto midnight = chr::floor<chr::days>(local);
    const auto second = static_cast<int>(chr::floor<chr::seconds>(local - midnight).count());
    const int later = std::min(office_closes, second + dice_.between(1, 900));
    return office_days::at(midnight, std::max(second, later));
  }

  std::string unknown_matter() const {
    std::string code = "FIREWORKS-WHOLESALE";
    while (policy_.find_matter(code)) code += "-X";
    return code;
  }

  // -- text -------------------------------------------------------------------------------------

  std::string event_id(std::uint64_t n) const {
    std::string digits = std::to_string(n);
    if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
    return options_.id_prefix + "-" + digits;
  }

  std::vector<std::string> render() {
    std::vector<std::size_t> order(events_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // seq is unique, so this order is total and every standard library sorts alike.
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const auto& x = events_[a];
      const auto& y = events_[b];
      return x.at != y.at ? x.at < y.at : x.seq < y.seq;
    });
    std::vector<std::string> lines;
    lines.reserve(order.size());
    std::vector<std::size_t> line_of(events_.size());
    std::uint64_t n = 0;
    for (const auto i : order) {
      const auto& e = events_[i];
      line_of[i] = lines.size();
      if (e.defect == flaw::duplicate_delivery) {
        lines.push_back(lines[line_of[e.original]]);
        continue;
      }
      if (!e.body.empty()) {
        lines.push_back(with_id(event_id(++n), e.body));
        continue;
      }
      auto whole = envelope(e, event_id(++n));
      apply_defect(whole, e);
      auto text = whole.dump();
      lines.push_back(e.defect == flaw::truncated ? truncated(text, e.variant) : std::move(text));
    }
    return lines;
  }

  // -- state --------------------------------------------------------------------------------------

  const jurisdiction_policy& policy_;
  const traffic_options& options_;
  dice dice_;
  office_days days_;
  int arrival_days_ = 1;
  std::vector<const matter*> matters_;  // the catalogue in code order
  std::vector<bool> excluded_;          // from credit approval, by the same index
  std::vector<applicant> applicants_;
  std::vector<std::size_t> returning_;  // applicants who may apply again
  std::unordered_set<std::string> ids_;
  std::vector<case_facts> case_facts_;
  std::vector<planned_event> events_;
  case_probe probe_;
};

}  // namespace

std::vector<std::string> generate_traffic(const jurisdiction_policy& policy,
                                          const working_calendar& calendar,
                                          const traffic_options& options) {
  return traffic_plan(policy, calendar, options).lines();
}

}  // namespace xyp::cli
