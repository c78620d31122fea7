#include "engine/domain/policy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "engine/domain/json_reader.hpp"

namespace xyp {
namespace {

using nlohmann::json;

// Material, category and privilege names: lowercase ASCII words joined by '_'.
bool is_snake_case(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '_') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Matter codes travel in events and URLs: ASCII letters, digits, '-', '_' and '.'.
bool is_matter_code(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// Reads one profile document. Every complaint is a config_error "<file>: <field path>: <what>".
class profile_reader : public json_reader {
 public:
  using json_reader::json_reader;

  jurisdiction_policy read(const json& root) const {
    object(root, "(top level)");
    known_keys(
        root, "",
        {"id", "name", "seed", "tiers", "excluded_categories", "deficiency_excluded_categories",
         "blacklisted_revokes_open_cases", "key_review_revokes_open_cases", "credit_channels",
         "applicant_kinds", "xinyipi_publicity", "clocks", "matters"});
    jurisdiction_policy policy;
    policy.id = text(member(root, "", "id"), "id");
    if (!is_matter_code(policy.id)) {
      fail("id", in_quotes(policy.id) + " must be ASCII letters, digits, '-', '_' or '.'");
    }
    policy.name = text(member(root, "", "name"), "name");
    policy.seed = text(member(root, "", "seed"), "seed");

    const auto& tiers = array(member(root, "", "tiers"), "tiers");
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      policy.tiers.push_back(tier(tiers[i], element("tiers", i)));
    }
    check_tiers_reachable(policy.tiers);

    policy.excluded_categories =
        names(member(root, "", "excluded_categories"), "excluded_categories");
    policy.deficiency_excluded_categories =
        names(member(root, "", "deficiency_excluded_categories"), "deficiency_excluded_categories");
    policy.blacklisted_revokes_open_cases =
        flag(member(root, "", "blacklisted_revokes_open_cases"), "blacklisted_revokes_open_cases");
    policy.key_review_revokes_open_cases =
        flag(member(root, "", "key_review_revokes_open_cases"), "key_review_revokes_open_cases");
    if (root.contains("credit_channels")) {
      policy.credit_channels = channels(root.at("credit_channels"), "credit_channels");
    }
    if (root.contains("applicant_kinds")) {
      policy.applicant_kinds = kinds(root.at("applicant_kinds"), "applicant_kinds");
    }
    if (root.contains("xinyipi_publicity")) {
      policy.xinyipi_publicity = flag(root.at("xinyipi_publicity"), "xinyipi_publicity");
    }
    if (root.contains("clocks")) policy.clocks = clocks(root.at("clocks"), "clocks");

    const auto& matters = array(member(root, "", "matters"), "matters");
    if (matters.empty()) fail("matters", "is empty: the catalogue needs at least one matter");
    std::map<std::string, std::size_t> first_index;
    for (std::size_t i = 0; i < matters.size(); ++i) {
      const auto path = element("matters", i);
      auto m = matter_entry(matters[i], path);
      if (const auto [it, fresh] = first_index.emplace(m.code, i); !fresh) {
        fail(child(path, "code"), "duplicate matter code " + in_quotes(m.code) + " (also " +
                                      element("matters", it->second) + ")");
      }
      auto code = m.code;
      policy.matters.emplace(std::move(code), std::move(m));
    }
    return policy;
  }

 private:
  int days(const json& value, const std::string& path, int minimum) const {
    const auto n = integer(value, path);
    if (n < 0) fail(path, "must not be negative (got " + std::to_string(n) + ")");
    if (n < minimum) fail(path, "must be at least " + std::to_string(minimum));
    if (n > 3650) fail(path, std::to_string(n) + " working days is more than ten years");
    return static_cast<int>(n);
  }

  // An array of distinct snake_case names (materials, categories, privileges).
  std::vector<std::string> names(const json& value, const std::string& path) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; const auto& item : array(value, path)) {
      const auto at = element(path, i++);
      auto name = text(item, at);
      if (!is_snake_case(name)) {
        fail(at, in_quotes(name) + " must be snake_case (lowercase ASCII letters, digits and '_')");
      }
      if (contains(out, name)) fail(at, in_quotes(name) + " is listed twice");
      out.push_back(std::move(name));
    }
    return out;
  }

  std::vector<applicant_kind> kinds(const json& value, const std::string& path) const {
    std::vector<applicant_kind> out;
    for (std::size_t i = 0; const auto& item : array(value, path)) {
      const auto at = element(path, i++);
      const auto k = name_of<applicant_kind>(item, at, "an applicant kind");
      if (std::find(out.begin(), out.end(), k) != out.end()) {
        fail(at, in_quotes(item.get<std::string>()) + " is listed twice");
      }
      out.push_back(k);
    }
    if (out.empty()) fail(path, "is empty: the scheme would serve nobody");
    return out;
  }

  std::vector<channel> channels(const json& value, const std::string& path) const {
    std::vector<channel> out;
    for (std::size_t i = 0; const auto& item : array(value, path)) {
      const auto at = element(path, i++);
      const auto c = name_of<channel>(item, at, "a channel");
      if (std::find(out.begin(), out.end(), c) != out.end()) {
        fail(at, in_quotes(item.get<std::string>()) + " is listed twice");
      }
      out.push_back(c);
    }
    if (out.empty()) fail(path, "is empty: credit approval would be open through no channel");
    return out;
  }

  std::optional<std::int64_t> optional_score(const json& value, const std::string& path) const {
    if (value.is_null()) return std::nullopt;
    return integer(value, path);
  }

  credit_tier tier(const json& value, const std::string& path) const {
    object(value, path);
    known_keys(value, path,
               {"name", "grades", "score_min", "score_max", "tax_incentive_card", "privileges"});
    credit_tier t;
    t.name = text(member(value, path, "name"), child(path, "name"));

    const auto grades_path = child(path, "grades");
    for (std::size_t i = 0; const auto& item : array(member(value, path, "grades"), grades_path)) {
      const auto at = element(grades_path, i++);
      const auto grade = name_of<credit_grade>(item, at, "a credit grade");
      if (std::find(t.grades.begin(), t.grades.end(), grade) != t.grades.end()) {
        fail(at, in_quotes(item.get<std::string>()) + " is listed twice");
      }
      t.grades.push_back(grade);
    }

    t.score_min = optional_score(member(value, path, "score_min"), child(path, "score_min"));
    t.score_max = optional_score(member(value, path, "score_max"), child(path, "score_max"));
    if (t.score_max && !t.score_min) {
      fail(child(path, "score_min"), "missing while score_max is set: a band needs a lower bound");
    }
    if (t.score_min && t.score_max && *t.score_min > *t.score_max) {
      fail(child(path, "score_min"), std::to_string(*t.score_min) + " is greater than score_max " +
                                         std::to_string(*t.score_max));
    }
    t.tax_incentive_card =
        flag(member(value, path, "tax_incentive_card"), child(path, "tax_incentive_card"));
    if (t.grades.empty() && !t.score_min && !t.tax_incentive_card) {
      fail(path, "no grade, score band or tax incentive card places an applicant in this tier");
    }

    const auto privileges_path = child(path, "privileges");
    t.privileges = names(member(value, path, "privileges"), privileges_path);
    // The engine acts on two privilege names; a near miss would silently grant nothing.
    for (std::size_t i = 0; i < t.privileges.size(); ++i) {
      for (const std::string_view acted_on :
           {privilege_notify_and_commit, privilege_deficiency_acceptance}) {
        const auto distance = edit_distance(t.privileges[i], acted_on);
        if (distance > 0 && distance <= 2) {
          fail(element(privileges_path, i), in_quotes(t.privileges[i]) +
                                                " looks like a misspelling of " +
                                                in_quotes(acted_on) + ", which the engine acts on");
        }
      }
    }
    return t;
  }

  // Tiers are tried best first; a grade, score or card a better tier already takes would never
  // reach a later one, which is a mistake in the file rather than a policy.
  void check_tiers_reachable(const std::vector<credit_tier>& tiers) const {
    constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
    constexpr auto highest = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      const auto& t = tiers[i];
      const auto path = element("tiers", i);
      for (std::size_t j = 0; j < i; ++j) {
        const auto& better = tiers[j];
        const auto better_path = element("tiers", j);
        const auto by = in_quotes(better.name) + " (" + better_path + ")";
        if (t.name == better.name) {
          fail(child(path, "name"),
               "duplicate tier name " + in_quotes(t.name) + " (also " + better_path + ")");
        }
        for (std::size_t g = 0; g < t.grades.size(); ++g) {
          if (std::find(better.grades.begin(), better.grades.end(), t.grades[g]) !=
              better.grades.end()) {
            fail(element(child(path, "grades"), g),
                 in_quotes(to_string(t.grades[g])) + " already places applicants in tier " + by);
          }
        }
        if (t.score_min && better.score_min) {
          const auto lo = *t.score_min, hi = t.score_max.value_or(highest);
          const auto better_lo = better.score_min.value_or(lowest);
          const auto better_hi = better.score_max.value_or(highest);
          if (lo <= better_hi && better_lo <= hi) {
            fail(child(path, "score_min"), "the score band overlaps the band of tier " + by);
          }
        }
        if (t.tax_incentive_card && better.tax_incentive_card) {
          fail(child(path, "tax_incentive_card"),
               "the card already places applicants in tier " + by);
        }
      }
    }
  }

  clock_settings clocks(const json& value, const std::string& path) const {
    object(value, path);
    known_keys(value, path,
               {"correction_notice_days", "supplement_days", "reminder_grace_days",
                "decision_warning_share", "verification_days", "publicity_days"});
    clock_settings c;
    const auto read_days = [&](const char* key, int& out) {
      if (value.contains(key)) out = days(value.at(key), child(path, key), 0);
    };
    read_days("correction_notice_days", c.correction_notice_days);
    read_days("supplement_days", c.supplement_days);
    read_days("reminder_grace_days", c.reminder_grace_days);
    read_days("verification_days", c.verification_days);
    read_days("publicity_days", c.publicity_days);
    if (value.contains("decision_warning_share")) {
      const auto& share = value.at("decision_warning_share");
      const auto share_path = child(path, "decision_warning_share");
      if (!share.is_number()) fail(share_path, "must be a number, not " + describe(share));
      c.decision_warning_share = share.get<double>();
      if (!(c.decision_warning_share > 0.0 && c.decision_warning_share < 1.0)) {
        fail(share_path, share.dump() + " is not between 0 and 1 (both excluded)");
      }
    }
    return c;
  }

  matter matter_entry(const json& value, const std::string& path) const {
    object(value, path);
    known_keys(value, path,
               {"code", "name", "department", "time_limit_days", "main_materials",
                "auxiliary_materials", "deferrable", "commitment_replaces", "notify_and_commit",
                "deficiency_acceptance", "on_the_spot", "categories"});
    matter m;
    const auto field = [&](const char* key) -> const json& { return member(value, path, key); };
    const auto at = [&](const char* key) { return child(path, key); };

    m.code = text(field("code"), at("code"));
    if (!is_matter_code(m.code)) {
      fail(at("code"), in_quotes(m.code) + " must be ASCII letters, digits, '-', '_' or '.'");
    }
    m.name = text(field("name"), at("name"));
    m.department = text(field("department"), at("department"));
    m.time_limit_days = days(field("time_limit_days"), at("time_limit_days"), 1);

    m.main_materials = names(field("main_materials"), at("main_materials"));
    m.auxiliary_materials = names(field("auxiliary_materials"), at("auxiliary_materials"));
    if (m.main_materials.empty()) {
      fail(at("main_materials"), m.auxiliary_materials.empty()
                                     ? "is empty, and so is auxiliary_materials: the matter has "
                                       "no materials"
                                     : "is empty: a matter needs at least one main material");
    }
    for (std::size_t i = 0; i < m.auxiliary_materials.size(); ++i) {
      if (contains(m.main_materials, m.auxiliary_materials[i])) {
        fail(element(at("auxiliary_materials"), i),
             in_quotes(m.auxiliary_materials[i]) + " is already one of the main_materials");
      }
    }

    m.deferrable = names(field("deferrable"), at("deferrable"));
    for (std::size_t i = 0; i < m.deferrable.size(); ++i) {
      if (!contains(m.auxiliary_materials, m.deferrable[i])) {
        fail(element(at("deferrable"), i),
             in_quotes(m.deferrable[i]) + " is not one of the matter's auxiliary_materials");
      }
    }
    m.commitment_replaces = names(field("commitment_replaces"), at("commitment_replaces"));
    for (std::size_t i = 0; i < m.commitment_replaces.size(); ++i) {
      const auto& item = m.commitment_replaces[i];
      if (!contains(m.main_materials, item) && !contains(m.auxiliary_materials, item)) {
        fail(element(at("commitment_replaces"), i),
             in_quotes(item) + " is not one of the matter's main_materials or auxiliary_materials");
      }
    }

    m.notify_and_commit = flag(field("notify_and_commit"), at("notify_and_commit"));
    m.deficiency_acceptance = flag(field("deficiency_acceptance"), at("deficiency_acceptance"));
    m.on_the_spot = flag(field("on_the_spot"), at("on_the_spot"));
    // The lists and the flags must tell the same story, or the flag quietly means nothing.
    if (m.deficiency_acceptance && m.deferrable.empty()) {
      fail(at("deficiency_acceptance"), "is true but no auxiliary material is deferrable");
    }
    if (!m.deficiency_acceptance && !m.deferrable.empty()) {
      fail(at("deferrable"), "lists materials but deficiency_acceptance is false");
    }
    if (!m.notify_and_commit && !m.commitment_replaces.empty()) {
      fail(at("commitment_replaces"), "lists materials but notify_and_commit is false");
    }

    m.categories = names(field("categories"), at("categories"));
    return m;
  }
};

}  // namespace

jurisdiction_policy load_policy(const std::filesystem::path& file) {
  const profile_reader reader(file.string());
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw config_error(file.string() + ": cannot be read: it is a directory");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error(file.string() + ": cannot be read: no such file or no permission");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw config_error(file.string() + ": cannot be read: input error");
  return reader.read(reader.parse(content.str()));
}

}  // namespace xyp
