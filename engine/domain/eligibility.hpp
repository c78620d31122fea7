#pragma once
// The policy's two questions, as pure functions: does credit approval apply to this application,
// and what does the intake review make of the materials handed in.
#include <string>
#include <vector>

#include "engine/domain/case_record.hpp"
#include "engine/domain/policy.hpp"

namespace xyp {

// Which tier a credit snapshot reaches under a policy; nullptr for none (below A, unknown credit,
// blacklisted or key review).
const credit_tier* tier_for(const jurisdiction_policy& policy, const credit_snapshot& credit);

struct eligibility {
  bool credit_approval = false;  // the credit track applies
  std::string tier;              // the tier reached, even when the track does not apply
  std::vector<std::string> privileges;
  std::string reason;  // why not, as a code: not_opted_in, commitment_not_signed, ...
  std::string detail;  // the same for people
};

// Apply (DOMAIN.md "The life of a case" 1): voluntary, a signed commitment, an applicant of a kind
// the scheme serves, a matter not excluded, an applicant neither blacklisted nor under key review,
// and a tier that grants something. Privileges the matter does not allow (notify-and-commit,
// deficiency acceptance) are dropped. A kind the scheme does not serve reaches no tier at all.
eligibility assess_eligibility(const jurisdiction_policy& policy, const matter& m,
                               applicant_kind kind, const credit_snapshot& credit, bool opted_in,
                               bool commitment_signed, channel via);

enum class intake_outcome { complete, deficient, needs_correction };

struct intake_plan {
  intake_outcome outcome = intake_outcome::needs_correction;
  std::vector<std::string> missing;                 // still owed after the commitment's share
  std::vector<std::string> replaced_by_commitment;  // certificates the commitment stands in for
  bool commitment = false;                          // notify-and-commit applies
};

// Accept (DOMAIN.md 2): what is missing of main and auxiliary materials; a commitment replaces
// the certificates the matter lists; only deferrable auxiliaries missing, with deficiency
// acceptance granted, is a deficiency acceptance; anything else needs a correction.
intake_plan plan_intake(const matter& m, const std::vector<std::string>& privileges,
                        const std::vector<std::string>& handed_in);

// Materials of `owed` not in `handed_in`, in `owed`'s order.
std::vector<std::string> still_missing(const std::vector<std::string>& owed,
                                       const std::vector<std::string>& handed_in);

// a ∪ b keeping a's order, then b's new items.
std::vector<std::string> merged(std::vector<std::string> a, const std::vector<std::string>& b);

}  // namespace xyp
