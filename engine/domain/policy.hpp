#pragma once
// A jurisdiction's credit-approval policy: who qualifies for which tier, what each tier grants,
// the deadlines, and the matter catalogue. Parsed once at start from config/profiles/*.json.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/domain/config_error.hpp"
#include "engine/domain/event.hpp"

namespace xyp {

// Privilege names the engine itself acts on; every other privilege is carried through as text.
inline constexpr const char* privilege_notify_and_commit = "notify_and_commit";
inline constexpr const char* privilege_deficiency_acceptance = "deficiency_acceptance";

// One credit tier (e.g. "AA"), and how an applicant reaches it.
struct credit_tier {
  std::string name;
  std::vector<credit_grade> grades;       // grades that place an applicant in this tier
  std::optional<std::int64_t> score_min;  // a personal score band, inclusive
  std::optional<std::int64_t> score_max;  // inclusive; absent: no upper bound
  bool tax_incentive_card = false;        // holding the card places an applicant here
  std::vector<std::string> privileges;    // what the tier grants
};

// One matter (事项) of the catalogue.
struct matter {
  std::string code;
  std::string name;
  std::string department;
  int time_limit_days = 20;  // promised limit, working days
  std::vector<std::string> main_materials;
  std::vector<std::string> auxiliary_materials;
  std::vector<std::string> deferrable;           // auxiliaries that may come later (容缺)
  std::vector<std::string> commitment_replaces;  // certificates a signed commitment replaces
  bool notify_and_commit = false;
  bool deficiency_acceptance = false;
  bool on_the_spot = false;             // decided at once when complete
  std::vector<std::string> categories;  // e.g. "public_safety"; see the exclusions
};

// The deadlines a profile sets, in working days unless said otherwise.
struct clock_settings {
  int correction_notice_days = 5;       // Administrative Licensing Law art. 32
  int supplement_days = 10;             // deficiency acceptance: materials due
  int reminder_grace_days = 5;          // after the reminder (催告), before default
  double decision_warning_share = 0.8;  // warning when this share of the limit has passed
  int verification_days = 20;           // notify-and-commit: window for the post-approval check
  int publicity_days = 7;               // 双公示: report due after the decision
};

struct jurisdiction_policy {
  std::string id;                  // "shilong"
  std::string name;                // "石龙镇"
  std::string seed;                // the policy document it reads, e.g. "003"
  std::vector<credit_tier> tiers;  // best first; an applicant gets the first tier that matches
  // Categories of matters excluded from credit approval altogether, and from deficiency
  // acceptance only.
  std::vector<std::string> excluded_categories;
  std::vector<std::string> deficiency_excluded_categories;
  // Blacklisted and key-review applicants get no facilitation; open cases lose what they had.
  bool blacklisted_revokes_open_cases = true;
  bool key_review_revokes_open_cases = true;
  // Channels through which credit approval may be used; Shilong allows the hall only (003 二(三)).
  std::vector<channel> credit_channels{channel::window, channel::phone, channel::online};
  // Who the scheme is for; Zaozhuang's (000) serves 诚信个人, persons only.
  std::vector<applicant_kind> applicant_kinds{applicant_kind::person, applicant_kind::enterprise};
  // 001: a case handled under credit approval is publicised as such when decided (a
  // publicity.report with scheme xinyipi beside the 双公示 report).
  bool xinyipi_publicity = false;
  clock_settings clocks;
  std::map<std::string, matter> matters;  // by code

  const matter* find_matter(const std::string& code) const {
    const auto it = matters.find(code);
    return it == matters.end() ? nullptr : &it->second;
  }
};

// Reads and validates a profile. Throws config_error naming the file and the offending field.
jurisdiction_policy load_policy(const std::filesystem::path& file);

}  // namespace xyp
