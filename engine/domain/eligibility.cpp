#include "engine/domain/eligibility.hpp"

#include <algorithm>

namespace xyp {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool tier_matches(const credit_tier& tier, const credit_snapshot& credit) {
  if (std::find(tier.grades.begin(), tier.grades.end(), credit.grade) != tier.grades.end()) {
    return true;
  }
  if (credit.score && tier.score_min && *credit.score >= *tier.score_min &&
      (!tier.score_max || *credit.score <= *tier.score_max)) {
    return true;
  }
  return tier.tax_incentive_card && credit.tax_incentive_card;
}

std::string first_shared(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& item : a) {
    if (contains(b, item)) return item;
  }
  return {};
}

}  // namespace

const credit_tier* tier_for(const jurisdiction_policy& policy, const credit_snapshot& credit) {
  if (!credit.known || credit.blacklisted || credit.key_review) return nullptr;
  for (const auto& tier : policy.tiers) {
    if (tier_matches(tier, credit)) return &tier;
  }
  return nullptr;
}

eligibility assess_eligibility(const jurisdiction_policy& policy, const matter& m,
                               applicant_kind kind, const credit_snapshot& credit, bool opted_in,
                               bool commitment_signed, channel via) {
  eligibility e;
  const bool kind_served = std::find(policy.applicant_kinds.begin(), policy.applicant_kinds.end(),
                                     kind) != policy.applicant_kinds.end();
  const credit_tier* tier = kind_served ? tier_for(policy, credit) : nullptr;
  if (tier) e.tier = tier->name;
  const auto excluded = first_shared(m.categories, policy.excluded_categories);

  if (!opted_in) {
    e.reason = "not_opted_in";
    e.detail = "the applicant did not opt in to credit approval";
  } else if (!commitment_signed) {
    e.reason = "commitment_not_signed";
    e.detail = "no signed credit commitment";
  } else if (std::find(policy.credit_channels.begin(), policy.credit_channels.end(), via) ==
             policy.credit_channels.end()) {
    e.reason = "channel_not_allowed";
    e.detail = "credit approval is not offered through this channel";
  } else if (!kind_served) {
    e.reason = "applicant_kind_not_served";
    e.detail = kind == applicant_kind::person ? "the scheme does not serve persons"
                                              : "the scheme serves persons only, not enterprises";
  } else if (!excluded.empty()) {
    e.reason = "matter_excluded";
    e.detail = "the matter is excluded from credit approval (" + excluded + ")";
  } else if (credit.blacklisted) {
    e.reason = "blacklisted";
    e.detail = "the applicant is blacklisted";
  } else if (credit.key_review) {
    e.reason = "key_review";
    e.detail = "the applicant is a key review target";
  } else if (!tier) {
    e.reason = "below_tier";
    e.detail = credit.known ? "credit grade below the lowest tier" : "no credit record known";
  }
  if (!e.reason.empty()) return e;

  const bool deficiency_excluded =
      !first_shared(m.categories, policy.deficiency_excluded_categories).empty();
  for (const auto& p : tier->privileges) {
    if (p == privilege_notify_and_commit && !m.notify_and_commit) continue;
    if (p == privilege_deficiency_acceptance && (!m.deficiency_acceptance || deficiency_excluded)) {
      continue;
    }
    e.privileges.push_back(p);
  }
  if (e.privileges.empty()) {
    e.reason = "no_privilege";
    e.detail = "the tier grants nothing for this matter";
    return e;
  }
  e.credit_approval = true;
  e.detail = "credit approval applies at tier " + tier->name;
  return e;
}

std::vector<std::string> still_missing(const std::vector<std::string>& owed,
                                       const std::vector<std::string>& handed_in) {
  std::vector<std::string> missing;
  for (const auto& item : owed) {
    if (!contains(handed_in, item)) missing.push_back(item);
  }
  return missing;
}

std::vector<std::string> merged(std::vector<std::string> a, const std::vector<std::string>& b) {
  for (const auto& item : b) {
    if (!contains(a, item)) a.push_back(item);
  }
  return a;
}

intake_plan plan_intake(const matter& m, const std::vector<std::string>& privileges,
                        const std::vector<std::string>& handed_in) {
  intake_plan plan;
  plan.commitment = contains(privileges, privilege_notify_and_commit);
  const auto required = merged(m.main_materials, m.auxiliary_materials);
  for (const auto& item : still_missing(required, handed_in)) {
    if (plan.commitment && contains(m.commitment_replaces, item)) {
      plan.replaced_by_commitment.push_back(item);
    } else {
      plan.missing.push_back(item);
    }
  }
  if (plan.missing.empty()) {
    plan.outcome = intake_outcome::complete;
    return plan;
  }
  const bool only_deferrable =
      std::all_of(plan.missing.begin(), plan.missing.end(),
                  [&](const auto& item) { return contains(m.deferrable, item); });
  plan.outcome = only_deferrable && contains(privileges, privilege_deficiency_acceptance)
                     ? intake_outcome::deficient
                     : intake_outcome::needs_correction;
  return plan;
}

}  // namespace xyp
