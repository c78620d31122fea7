#include "workflows/credit_approval.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <boost/mpl/insert_range.hpp>
#include <boost/mpl/vector.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>
#include <boost/version.hpp>

#include "engine/domain/eligibility.hpp"
#include "engine/domain/json_writer.hpp"

namespace xyp::workflows {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::none;
using msm::front::Row;

// ---------------------------------------------------------------------------------------------
// Events. Each wraps the contract's data; the timer events are what the machine knows of time.
// An event carrying the contract's data for it; one type per kind of data.
template <class Data>
struct carrying {
  const Data& data;
};
using apply_event = carrying<apply_data>;
using intake_review = carrying<accept_data>;
using materials_handed_in = carrying<supplement_data>;
using decision_taken = carrying<decide_data>;
using withdrawal = carrying<withdraw_data>;
using termination = carrying<terminate_data>;
using verification = carrying<verify_data>;
using feedback_given = carrying<feedback_data>;
using credit_revoked = carrying<facilitation_revoked>;
struct correction_notice_due {};
struct supplement_due {};
struct supplement_grace_due {};
struct decision_warning_due {};
struct decision_due {};
struct verification_due {};

// What actions and guards work on: the record, the policy, and the effects they record.
struct machine_context {
  case_record& record;
  const step_context& step;
  case_effects& effects;
};

// ---------------------------------------------------------------------------------------------
// Effects as data: notices, clocks, escalations, hooks. No I/O, no clock reads.

// An outbound event's data is written as text here, once (issue 7: no DOM on the hot path); the
// members are written sorted by key, as the contract's consumers have always received them.
void publish(machine_context& c, std::string type, const json_members& data) {
  c.effects.outbound.emplace_back(std::move(type), data.text());
}

void notify(machine_context& c, std::string_view kind, std::string detail,
            json_members extra = {}) {
  extra.set("kind", kind).set("detail", std::move(detail));
  publish(c, "case.notice", extra);
}

// A hook for the applicant's credit record (004 3.4) and its downgrade; `extra` adds the
// kind's own fields (grade and score, the commitment and its due time).
void credit_hook(machine_context& c, std::string_view kind, std::string detail,
                 json_members extra = {}) {
  extra.set("kind", kind).set("detail", std::move(detail)).set("matter", c.record.matter);
  if (!extra.contains("tier")) extra.set("tier", c.record.tier);
  publish(c, "credit.hook", extra);
}

// The case's row in the 信易批 register (000 attachment 1) is new or has changed; a case that
// was never served under credit approval has no row.
void touch_register(machine_context& c) {
  if (!c.record.register_level.empty()) c.effects.ledger_changed = true;
}

// Every end of a case has its result, in the record and in the register.
void close_with(machine_context& c, case_state result) {
  c.record.result = result;
  touch_register(c);
}

// A commitment the case now stands on: the signed notify-and-commit commitment that replaced
// certificates or carries the case's track, recorded when the case is accepted on it.
bool commitment_in_force(const case_record& r) {
  return r.track_used == track::commitment || !r.replaced_by_commitment.empty();
}

void record_commitment_made(machine_context& c) {
  if (!commitment_in_force(c.record)) return;
  credit_hook(c, "commitment_made",
              "the applicant's signed commitment stands in for certificates (告知承诺)",
              json_members().set("commitment", "notify_and_commit"));
}

working_deadline working_days_after(machine_context& c, instant from, int days) {
  return c.step.calendar.deadline_after(from, days);
}

// A due time as the contract writes it: under `key`, and `"provisional": true` beside it when it
// was counted over a year whose notice is not loaded (contract 1.1).
void put_due(json_members& data, std::string_view key, instant due, bool provisional) {
  data.set(key, format_rfc3339(due));
  if (provisional) data.set("provisional", true);
}

// Arms a clock due `days` working days after `from`, keeping what it was counted from so that
// a newer calendar can count it again. Returns the deadline.
working_deadline arm_clock(machine_context& c, clock_kind kind, instant from, int days) {
  auto& r = c.record;
  const working_deadline d = working_days_after(c, from, days);
  ++r.timer_seq;
  std::string id =
      r.case_id + "/t" + std::to_string(r.timer_seq) + "/" + std::string(to_string(kind));
  r.clocks.push_back(case_clock{id, kind, d.due, clock_status::armed, from, days, d.provisional});
  c.effects.timers_set.push_back(
      timer_entry{std::move(id), r.case_id, r.applicant_id, kind, d.due});
  return d;
}

// Whether the clock whose timer is firing now was counted provisionally.
bool firing_clock_provisional(const machine_context& c) {
  for (const auto& k : c.record.clocks) {
    if (k.timer_id == c.step.cause) return k.provisional;
  }
  return false;
}

void close_escalations(machine_context& c, std::string_view contract_clock) {
  for (auto& e : c.record.escalations) {
    if (e.open && contract_clock_name(e.clock) == contract_clock) e.open = false;
  }
}

// Cancels the armed clocks of these kinds; a clock met closes its escalations too.
void cancel_clocks(machine_context& c, std::initializer_list<clock_kind> kinds) {
  for (auto& clock : c.record.clocks) {
    if (clock.status != clock_status::armed) continue;
    if (std::find(kinds.begin(), kinds.end(), clock.kind) == kinds.end()) continue;
    clock.status = clock_status::cancelled;
    c.effects.timers_cancelled.push_back(clock.timer_id);
  }
  for (auto kind : kinds) close_escalations(c, contract_clock_name(kind));
}

void cancel_all_clocks(machine_context& c) {
  cancel_clocks(
      c, {clock_kind::correction_notice, clock_kind::supplement, clock_kind::supplement_grace,
          clock_kind::decision_warning, clock_kind::decision, clock_kind::verification});
}

void escalate(machine_context& c, escalation_level level, clock_kind clock, instant due,
              bool provisional) {
  c.record.escalations.push_back(
      escalation_record{level, clock, due, c.step.at, true, provisional});
  json_members data;
  data.set("level", to_string(level)).set("clock", contract_clock_name(clock));
  put_due(data, "due_at", due, provisional);
  data.set("department", c.record.department).set("matter", c.record.matter);
  publish(c, "escalation.raised", data);
}

// The promised time limit runs from acceptance (art. 42), which for a deemed acceptance is the
// day the materials were received (art. 32); a warning at the configured share of it.
void start_decision_clocks(machine_context& c, instant accepted) {
  const auto& m = c.step.matter_def;
  c.record.accepted_at = accepted;
  const instant due = working_days_after(c, accepted, m.time_limit_days).due;
  const int warning_days =
      static_cast<int>(std::floor(m.time_limit_days * c.step.policy.clocks.decision_warning_share));
  if (working_days_after(c, accepted, warning_days).due < due) {
    arm_clock(c, clock_kind::decision_warning, accepted, warning_days);
  }
  arm_clock(c, clock_kind::decision, accepted, m.time_limit_days);
}

// The privileges a case actually used: the labels its tier granted, notify-and-commit only when a
// commitment carried the case, deficiency acceptance only when materials were deferred.
std::vector<std::string> privileges_used(const case_record& r) {
  std::vector<std::string> used;
  for (const auto& p : r.privileges) {
    if (p == privilege_notify_and_commit && !commitment_in_force(r)) continue;
    if (p == privilege_deficiency_acceptance && r.track_used != track::deficiency) continue;
    used.push_back(p);
  }
  return used;
}

// The 双公示 report of a decision (002); where the profile asks for it (001), a case still under
// credit approval is publicised as a 信易批 case too, with its tier and the privileges used.
void publish_decision(machine_context& c, std::string_view decision) {
  auto& r = c.record;
  const auto due_by = working_days_after(c, c.step.at, c.step.policy.clocks.publicity_days);
  json_members report;
  report.set("decision", decision).set("decided_at", format_rfc3339(c.step.at));
  put_due(report, "due_by", due_by.due, due_by.provisional);
  report.set("matter", r.matter).set("department", r.department).set("scheme", "shuang_gongshi");
  publish(c, "publicity.report", report);
  if (c.step.policy.xinyipi_publicity && !r.tier.empty()) {
    report.set("scheme", "xinyipi").set("tier", r.tier).set("privileges", privileges_used(r));
    publish(c, "publicity.report", report);
  }
}

// Approval: the decision, its publicity, and for a commitment the post-approval check.
void approve(machine_context& c, std::string detail) {
  auto& r = c.record;
  cancel_clocks(c,
                {clock_kind::decision_warning, clock_kind::decision, clock_kind::correction_notice,
                 clock_kind::supplement, clock_kind::supplement_grace});
  r.decided_at = c.step.at;
  close_with(c, case_state::approved);
  r.missing.clear();
  notify(c, "decision", std::move(detail), json_members().set("outcome", "approve"));
  publish_decision(c, "approve");
  r.needs_verification = r.track_used == track::commitment || !r.replaced_by_commitment.empty();
  if (r.needs_verification) {
    arm_clock(c, clock_kind::verification, c.step.at, c.step.policy.clocks.verification_days);
  }
}

// ---------------------------------------------------------------------------------------------
// Guards: pure predicates with policy-level names. A guard that tests more than one thing is built
// from the guards it tests (all_of, not_), so that its name and its definition say all of it.

template <class Fsm>
machine_context& ctx(Fsm& fsm) {
  return *fsm.context_;
}

template <class... Guards>
struct all_of {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt& e, Fsm& fsm, S& s, T& t) const {
    return (Guards{}(e, fsm, s, t) && ...);
  }
};
template <class Guard>
struct not_ {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt& e, Fsm& fsm, S& s, T& t) const {
    return !Guard{}(e, fsm, s, t);
  }
};

// What the clerk reviewed is what the case has: the review's list replaces what was claimed.
intake_plan plan_for(machine_context& c, const accept_data& review) {
  return plan_intake(c.step.matter_def, c.record.privileges, review.materials);
}

// The event's own answer: its data member equals the value the rule names.
template <auto Member, auto Value>
struct event_says {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt& e, Fsm&, S&, T&) const {
    return e.data.*Member == Value;
  }
};
using verdict_accepts = event_says<&accept_data::decision, verdict::accept>;
using verdict_rejects = event_says<&accept_data::decision, verdict::reject>;
using outcome_is_approve = event_says<&decide_data::result, outcome::approve>;
using outcome_is_deny = event_says<&decide_data::result, outcome::deny>;
using scope_is_application = event_says<&withdraw_data::scope, withdraw_scope::application>;
using scope_is_credit_track = event_says<&withdraw_data::scope, withdraw_scope::credit_track>;
using verification_finds_kept = event_says<&verify_data::result, verification_result::fulfilled>;
using verification_finds_broken = event_says<&verify_data::result, verification_result::breached>;

// The intake plan for the materials as reviewed has this outcome (eligibility's plan_intake: a
// deficient outcome is one the tier and the matter allow).
template <intake_outcome Outcome>
struct review_finds {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt& e, Fsm& fsm, S&, T&) const {
    return plan_for(ctx(fsm), e.data).outcome == Outcome;
  }
};

// A matter decided on the spot, for an applicant whose tier grants notify-and-commit.
struct decided_on_the_spot {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt&, Fsm& fsm, S&, T&) const {
    const auto& c = ctx(fsm);
    return c.step.matter_def.on_the_spot && c.record.has_privilege(privilege_notify_and_commit);
  }
};

using accepted_complete_decided_later =
    all_of<verdict_accepts, review_finds<intake_outcome::complete>, not_<decided_on_the_spot>>;
using accepted_complete_decided_on_the_spot =
    all_of<verdict_accepts, review_finds<intake_outcome::complete>, decided_on_the_spot>;
using accepted_deficient_as_tier_and_matter_allow =
    all_of<verdict_accepts, review_finds<intake_outcome::deficient>>;
using accepted_needing_correction =
    all_of<verdict_accepts, review_finds<intake_outcome::needs_correction>>;

// Nothing the case owes is missing once these materials are in.
struct supplement_completes_materials {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt& e, Fsm& fsm, S&, T&) const {
    return still_missing(ctx(fsm).record.missing, e.data.materials).empty();
  }
};
using supplement_completes_decided_later =
    all_of<supplement_completes_materials, not_<decided_on_the_spot>>;
using supplement_completes_decided_on_the_spot =
    all_of<supplement_completes_materials, decided_on_the_spot>;
using supplement_leaves_some_missing = not_<supplement_completes_materials>;

// Facilitation ends: would the case then owe materials, the deferred ones or the certificates its
// commitment stood in for? Before the intake review it owes none (the review lists them).
struct fall_back_leaves_materials_owed {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt&, Fsm& fsm, S&, T&) const {
    const auto& r = ctx(fsm).record;
    return !r.missing.empty() || !r.replaced_by_commitment.empty();
  }
};
using fall_back_leaves_nothing_owed = not_<fall_back_leaves_materials_owed>;
using leaves_credit_track_owing_materials =
    all_of<scope_is_credit_track, fall_back_leaves_materials_owed>;
using leaves_credit_track_owing_nothing =
    all_of<scope_is_credit_track, fall_back_leaves_nothing_owed>;

struct awaiting_verification {
  template <class Evt, class Fsm, class S, class T>
  bool operator()(const Evt&, Fsm& fsm, S&, T&) const {
    return ctx(fsm).record.needs_verification;
  }
};
using awaited_verification_finds_kept = all_of<awaiting_verification, verification_finds_kept>;
using awaited_verification_finds_broken = all_of<awaiting_verification, verification_finds_broken>;

// ---------------------------------------------------------------------------------------------
// Actions: they change the record and record effects; nothing else. One action per meaning; a
// row that means several things in turn runs them in_turn.

template <class... Actions>
struct in_turn {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt& e, Fsm& fsm, S& s, T& t) const {
    (Actions{}(e, fsm, s, t), ...);
  }
};

struct open_case {
  template <class Fsm, class S, class T>
  void operator()(const apply_event& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    auto& r = c.record;
    const auto& m = c.step.matter_def;
    r.applicant = e.data.applicant;
    r.matter = m.code;
    r.department = m.department;
    r.credit_track = e.data.credit_track;
    r.commitment_signed = e.data.commitment_signed;
    r.credit = c.step.credit;
    r.materials = e.data.materials;
    r.applied_at = c.step.at;
    const auto verdict =
        assess_eligibility(c.step.policy, m, e.data.applicant.kind, c.step.credit,
                           e.data.credit_track, e.data.commitment_signed, e.data.via);
    r.tier = verdict.credit_approval ? verdict.tier : "";
    r.privileges = verdict.privileges;
    r.eligibility_reason = verdict.reason;
    r.track_used = track::standard;
    notify(c, "eligibility", verdict.detail,
           json_members()
               .set("eligible", verdict.credit_approval)
               .set("tier", verdict.tier)
               .set("reason", verdict.reason)
               .set("privileges", verdict.privileges)
               .set("track", verdict.credit_approval ? "credit" : "standard"));
    const auto& credit = c.step.credit;
    json_members queried;
    if (credit.known) {
      queried.set("grade", to_string(credit.grade));
    } else {
      queried.set("grade", nullptr);
    }
    if (credit.score) {
      queried.set("score", *credit.score);
    } else {
      queried.set("score", nullptr);
    }
    queried.set("tier", verdict.tier);
    credit_hook(c, "credit_queried", "public credit checked at application", std::move(queried));
    // 000 六.(一): an eligible applicant served under credit approval is entered in the register.
    if (verdict.credit_approval) {
      r.register_level = verdict.tier;
      touch_register(c);
    }
    // Art. 32: the intake verdict is due within the correction-notice period.
    arm_clock(c, clock_kind::correction_notice, c.step.at,
              c.step.policy.clocks.correction_notice_days);
  }
};

// The intake verdict came: the correction-notice clock is met, whatever the verdict.
void intake_done(machine_context& c, const accept_data& review) {
  cancel_clocks(c, {clock_kind::correction_notice});
  c.record.materials = review.materials;
}

void apply_plan(machine_context& c, const intake_plan& plan) {
  auto& r = c.record;
  r.missing = plan.missing;
  r.replaced_by_commitment = plan.replaced_by_commitment;
  r.track_used = plan.outcome == intake_outcome::deficient ? track::deficiency
                 : plan.commitment                         ? track::commitment
                                                           : track::standard;
}

struct reject_application {
  template <class Fsm, class S, class T>
  void operator()(const intake_review& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    intake_done(c, e.data);
    cancel_all_clocks(c);
    c.record.missing.clear();
    close_with(c, case_state::rejected);
    notify(c, "decision", "application not accepted: " + e.data.reason,
           json_members().set("outcome", "reject"));
  }
};

struct accept_case {
  template <class Fsm, class S, class T>
  void operator()(const intake_review& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    intake_done(c, e.data);
    apply_plan(c, plan_for(c, e.data));
    start_decision_clocks(c, c.step.at);
    record_commitment_made(c);
  }
};

struct approve_on_the_spot {
  template <class Fsm, class S, class T>
  void operator()(const intake_review& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    intake_done(c, e.data);
    apply_plan(c, plan_for(c, e.data));
    c.record.accepted_at = c.step.at;
    record_commitment_made(c);
    approve(c, "approved on the spot under notify-and-commit");
  }
};

struct accept_with_deficiency {
  template <class Fsm, class S, class T>
  void operator()(const intake_review& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    intake_done(c, e.data);
    apply_plan(c, plan_for(c, e.data));
    start_decision_clocks(c, c.step.at);
    schedule_supplement_deadline(c);
    record_commitment_made(c);
  }
  // The applicant's written promise to supply the missing materials by the deadline (004).
  static void schedule_supplement_deadline(machine_context& c) {
    const auto due =
        arm_clock(c, clock_kind::supplement, c.step.at, c.step.policy.clocks.supplement_days);
    json_members extra;
    extra.set("missing", c.record.missing);
    put_due(extra, "due_at", due.due, due.provisional);
    notify(c, "correction_required",
           "accepted with deficiency: the missing materials are due by the deadline",
           std::move(extra));
    json_members promise;
    promise.set("commitment", "deficiency");
    put_due(promise, "due_at", due.due, due.provisional);
    promise.set("missing", c.record.missing);
    credit_hook(c, "commitment_made",
                "the applicant promised in writing to supply the missing materials (容缺受理)",
                std::move(promise));
  }
};

struct require_correction {
  template <class Fsm, class S, class T>
  void operator()(const intake_review& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    intake_done(c, e.data);
    apply_plan(c, plan_for(c, e.data));
    c.record.track_used = c.record.privileges.empty() ? track::standard : c.record.track_used;
    notify(c, "correction_required", "these materials are missing, all listed at once",
           json_members().set("missing", c.record.missing).set("due_at", nullptr));
  }
};

// Art. 32: no intake verdict within the period means accepted on receipt.
struct deem_accepted {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    const case_clock* clock = nullptr;
    for (const auto& k : c.record.clocks) {
      if (k.kind == clock_kind::correction_notice) clock = &k;
    }
    const instant due = clock ? clock->due : c.step.at;
    const bool provisional = clock && clock->provisional;
    c.record.missing.clear();
    // Accepted on receipt, on the track the applicant qualified for at apply.
    c.record.track_used =
        c.record.has_privilege(privilege_notify_and_commit) ? track::commitment : track::standard;
    notify(c, "deemed_accepted",
           "no correction notice within the period: the application counts as accepted on receipt");
    escalate(c, escalation_level::overdue, clock_kind::correction_notice, due, provisional);
    // Art. 42 counts from acceptance, and art. 32 dates it on receipt: not the deemed moment.
    start_decision_clocks(c, c.record.applied_at.value_or(c.step.at));
    record_commitment_made(c);
  }
};

struct record_materials {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt& e, Fsm& fsm, S&, T&) const {
    auto& r = ctx(fsm).record;
    r.materials = merged(r.materials, e.data.materials);
    r.missing = still_missing(r.missing, e.data.materials);
  }
};

// The materials are complete: the supplement clocks are met, and the promised time limit runs
// (from now, unless it already runs).
struct resume_decision_clocks {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_clocks(c, {clock_kind::supplement, clock_kind::supplement_grace});
    if (!c.record.armed_clock(clock_kind::decision)) start_decision_clocks(c, c.step.at);
  }
};

// A case that waited for a correction is accepted now, on its commitment if it has one.
struct record_commitment {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    record_commitment_made(ctx(fsm));
  }
};

// A written promise kept by its deadline is fulfilled (004 3.4); one kept only after the
// reminder is not.
struct credit_deficiency_promise_kept {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    credit_hook(ctx(fsm), "commitment_fulfilled",
                "the missing materials were supplied by the deadline",
                json_members().set("commitment", "deficiency"));
  }
};

struct approve_on_complete_materials {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    approve(ctx(fsm), "materials complete: approved on the spot under notify-and-commit");
  }
};

// The materials handed in complete the case, at each stage with its own meaning.
using accept_corrected_case = in_turn<record_materials, resume_decision_clocks, record_commitment>;
using approve_corrected_case =
    in_turn<record_materials, record_commitment, approve_on_complete_materials>;
using cure_deficiency_in_time =
    in_turn<record_materials, resume_decision_clocks, credit_deficiency_promise_kept>;
using cure_deficiency_in_time_and_approve =
    in_turn<record_materials, credit_deficiency_promise_kept, approve_on_complete_materials>;
using cure_deficiency_after_reminder = in_turn<record_materials, resume_decision_clocks>;
using cure_deficiency_after_reminder_and_approve =
    in_turn<record_materials, approve_on_complete_materials>;

struct send_supplement_reminder {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    const bool supplement_provisional = firing_clock_provisional(c);
    const auto grace = arm_clock(c, clock_kind::supplement_grace, c.step.at,
                                 c.step.policy.clocks.reminder_grace_days);
    json_members extra;
    extra.set("missing", c.record.missing);
    put_due(extra, "due_at", grace.due, grace.provisional);
    notify(c, "supplement_reminder",
           "the supplement deadline has passed: hand in the missing materials by the new date or "
           "the case defaults",
           std::move(extra));
    escalate(c, escalation_level::warning, clock_kind::supplement, c.step.at,
             supplement_provisional);
  }
};

struct default_deficiency {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    const bool provisional = firing_clock_provisional(c);
    cancel_all_clocks(c);
    escalate(c, escalation_level::overdue, clock_kind::supplement_grace, c.step.at, provisional);
    close_with(c, case_state::defaulted);
    credit_hook(c, "deficiency_defaulted",
                "missing materials not supplied after the reminder: blacklist and downgrade");
  }
};

struct raise_decision_warning {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    const auto* due = c.record.armed_clock(clock_kind::decision);
    escalate(c, escalation_level::warning, clock_kind::decision_warning, due ? due->due : c.step.at,
             due ? due->provisional : firing_clock_provisional(c));
  }
};

struct raise_decision_overdue {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    escalate(ctx(fsm), escalation_level::overdue, clock_kind::decision, ctx(fsm).step.at,
             firing_clock_provisional(ctx(fsm)));
  }
};

struct raise_verification_overdue {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    escalate(ctx(fsm), escalation_level::overdue, clock_kind::verification, ctx(fsm).step.at,
             firing_clock_provisional(ctx(fsm)));
  }
};

struct approve_case {
  template <class Fsm, class S, class T>
  void operator()(const decision_taken& e, Fsm& fsm, S&, T&) const {
    approve(ctx(fsm), e.data.reason.empty() ? "approved" : e.data.reason);
  }
};

struct deny_case {
  template <class Fsm, class S, class T>
  void operator()(const decision_taken& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_all_clocks(c);
    c.record.decided_at = c.step.at;
    close_with(c, case_state::denied);
    notify(c, "decision", e.data.reason.empty() ? "denied" : "denied: " + e.data.reason,
           json_members().set("outcome", "deny"));
    publish_decision(c, "deny");
  }
};

struct confirm_commitment_kept {
  template <class Fsm, class S, class T>
  void operator()(const verification& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_all_clocks(c);
    close_with(c, case_state::verified);
    credit_hook(c, "commitment_fulfilled",
                "commitment verified as kept: counts toward the applicant's credit" +
                    (e.data.note.empty() ? std::string() : ": " + e.data.note),
                json_members().set("commitment", "notify_and_commit"));
  }
};

struct revoke_for_broken_commitment {
  template <class Fsm, class S, class T>
  void operator()(const verification& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_all_clocks(c);
    close_with(c, case_state::revoked);
    credit_hook(c, "commitment_breached",
                "commitment found broken on verification: blacklist, downgrade, and report to the "
                "credit website" +
                    (e.data.note.empty() ? std::string() : ": " + e.data.note),
                json_members().set("commitment", "notify_and_commit"));
    publish_decision(c, "revoke");
  }
};

struct withdraw_application {
  template <class Fsm, class S, class T>
  void operator()(const withdrawal& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_all_clocks(c);
    c.record.missing.clear();
    close_with(c, case_state::withdrawn);
    notify(c, "withdrawn", e.data.reason.empty() ? "application withdrawn" : e.data.reason,
           json_members().set("scope", "application"));
  }
};

struct terminate_case {
  template <class Fsm, class S, class T>
  void operator()(const termination& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    cancel_all_clocks(c);
    c.record.missing.clear();
    close_with(c, case_state::terminated);
    notify(c, "terminated", e.data.reason);
  }
};

// Facilitation ends (withdrawal from the credit track, or revocation): the case continues on
// the standard track; the certificates the commitment stood in for are owed again, beside any
// deferred materials, and a deficiency's supplement clocks stop.
struct fall_back_to_standard_track {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    auto& r = c.record;
    r.missing = merged(r.missing, r.replaced_by_commitment);
    r.replaced_by_commitment.clear();
    r.privileges.clear();
    r.tier.clear();
    r.credit_track = false;
    r.track_used = track::standard;
    cancel_clocks(c, {clock_kind::supplement, clock_kind::supplement_grace});
  }
};

// Owing materials, the case is not accepted any more: the decision clock stops until they are
// complete.
struct stop_decision_clocks {
  template <class Evt, class Fsm, class S, class T>
  void operator()(const Evt&, Fsm& fsm, S&, T&) const {
    cancel_clocks(ctx(fsm), {clock_kind::decision_warning, clock_kind::decision});
  }
};

constexpr std::string_view fell_back =
    "credit approval ended: the case continues on the standard track";

json_members credit_track_scope() {
  return json_members().set("scope", "credit_track");
}

json_members credit_track_scope_and_owed(const case_record& r) {
  return credit_track_scope().set("missing", r.missing).set("due_at", nullptr);
}

// The applicant is told the credit track is left as asked.
struct confirm_credit_track_left {
  template <class Fsm, class S, class T>
  void operator()(const withdrawal&, Fsm& fsm, S&, T&) const {
    notify(ctx(fsm), "withdrawn", std::string(fell_back), credit_track_scope());
  }
};
// ... and what the case now owes, listed at once.
struct confirm_credit_track_left_listing_owed {
  template <class Fsm, class S, class T>
  void operator()(const withdrawal&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    notify(c, "withdrawn", std::string(fell_back), credit_track_scope_and_owed(c.record));
  }
};
// Facilitation was taken away: the applicant is told what the case now owes, listed at once.
struct require_owed_materials {
  template <class Fsm, class S, class T>
  void operator()(const credit_revoked&, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    notify(c, "correction_required", std::string(fell_back), credit_track_scope_and_owed(c.record));
  }
};

struct push_facilitation_revoked_hook {
  template <class Fsm, class S, class T>
  void operator()(const credit_revoked& e, Fsm& fsm, S&, T&) const {
    credit_hook(ctx(fsm), "facilitation_revoked",
                "facilitation withdrawn from an open case: " + e.data.reason);
  }
};

using leave_credit_track = in_turn<fall_back_to_standard_track, confirm_credit_track_left>;
using leave_credit_track_owing_materials =
    in_turn<fall_back_to_standard_track, stop_decision_clocks,
            confirm_credit_track_left_listing_owed>;
// The hook goes first: it names the tier the applicant had, which falling back clears.
using lose_facilitation = in_turn<push_facilitation_revoked_hook, fall_back_to_standard_track>;
using lose_facilitation_owing_materials =
    in_turn<push_facilitation_revoked_hook, fall_back_to_standard_track, stop_decision_clocks,
            require_owed_materials>;

struct record_satisfaction {
  template <class Fsm, class S, class T>
  void operator()(const feedback_given& e, Fsm& fsm, S&, T&) const {
    auto& c = ctx(fsm);
    c.record.satisfaction = e.data.value;
    touch_register(c);
  }
};

// ---------------------------------------------------------------------------------------------
// The machine.

// Tables joined in order into one: MPL spells a vector of at most 20 types (its default), so the
// table is written as its policy sections, each a vector of its own.
template <class... Tables>
struct joined;
template <class Table>
struct joined<Table> {
  using type = Table;
};
template <class First, class Second, class... Rest>
struct joined<First, Second, Rest...>
    : joined<typename mpl::insert_range<First, typename mpl::end<First>::type, Second>::type,
             Rest...> {};

struct credit_approval_ : msm::front::state_machine_def<credit_approval_> {
  explicit credit_approval_(machine_context* context) : context_(context) {}

  // Actions throw calendar_error when a deadline leaves the calendar: let it reach the caller.
  using no_exception_thrown = int;
  using no_message_queue = int;

  struct fresh : msm::front::state<> {};  // no case yet: never persisted
  struct applied : msm::front::state<> {};
  struct correction_required : msm::front::state<> {};
  struct accepted : msm::front::state<> {};
  struct accepted_deficient : msm::front::state<> {};
  struct supplement_overdue : msm::front::state<> {};
  struct approved : msm::front::state<> {};
  struct denied : msm::front::state<> {};
  struct rejected : msm::front::state<> {};
  struct withdrawn : msm::front::state<> {};
  struct terminated : msm::front::state<> {};
  struct defaulted : msm::front::state<> {};
  struct revoked : msm::front::state<> {};
  struct verified : msm::front::state<> {};
  using initial_state = fresh;

  // clang-format off
  using intake_table = mpl::vector<
    //    Start                Event                   Next                 Action                              Guard
    // 1. Apply: voluntary, with a signed commitment; credit is checked at once.
    Row < fresh,               apply_event,            applied,             open_case,                          none >,
    // 2. Intake review (art. 32: a verdict is due within the correction-notice period).
    Row < applied,             intake_review,          rejected,            reject_application,                 verdict_rejects >,
    Row < applied,             intake_review,          accepted,            accept_case,                        accepted_complete_decided_later >,
    Row < applied,             intake_review,          approved,            approve_on_the_spot,                accepted_complete_decided_on_the_spot >,
    Row < applied,             intake_review,          accepted_deficient,  accept_with_deficiency,             accepted_deficient_as_tier_and_matter_allow >,
    Row < applied,             intake_review,          correction_required, require_correction,                 accepted_needing_correction >,
    Row < applied,             correction_notice_due,  accepted,            deem_accepted,                      none >,
    Row < applied,             materials_handed_in,    none,                record_materials,                   none >,
    // Correction: every missing material listed at once; a new review or the materials cure it.
    Row < correction_required, intake_review,          rejected,            reject_application,                 verdict_rejects >,
    Row < correction_required, intake_review,          accepted,            accept_case,                        accepted_complete_decided_later >,
    Row < correction_required, intake_review,          approved,            approve_on_the_spot,                accepted_complete_decided_on_the_spot >,
    Row < correction_required, intake_review,          accepted_deficient,  accept_with_deficiency,             accepted_deficient_as_tier_and_matter_allow >,
    Row < correction_required, intake_review,          correction_required, require_correction,                 accepted_needing_correction >,
    Row < correction_required, materials_handed_in,    accepted,            accept_corrected_case,              supplement_completes_decided_later >,
    Row < correction_required, materials_handed_in,    approved,            approve_corrected_case,             supplement_completes_decided_on_the_spot >,
    Row < correction_required, materials_handed_in,    none,                record_materials,                   supplement_leaves_some_missing >
  >;
  using decision_table = mpl::vector<
    //    Start                Event                   Next                 Action                              Guard
    // 3. Decide within the promised limit; escalations as the limit nears and passes.
    Row < accepted,            decision_taken,         approved,            approve_case,                       outcome_is_approve >,
    Row < accepted,            decision_taken,         denied,              deny_case,                          outcome_is_deny >,
    Row < accepted,            decision_warning_due,   none,                raise_decision_warning,             none >,
    Row < accepted,            decision_due,           none,                raise_decision_overdue,             none >,
    // Deficiency acceptance (容缺受理): materials by the deadline, a reminder, then default.
    Row < accepted_deficient,  materials_handed_in,    accepted,            cure_deficiency_in_time,            supplement_completes_decided_later >,
    Row < accepted_deficient,  materials_handed_in,    approved,            cure_deficiency_in_time_and_approve, supplement_completes_decided_on_the_spot >,
    Row < accepted_deficient,  materials_handed_in,    none,                record_materials,                   supplement_leaves_some_missing >,
    Row < accepted_deficient,  supplement_due,         supplement_overdue,  send_supplement_reminder,           none >,
    Row < accepted_deficient,  decision_warning_due,   none,                raise_decision_warning,             none >,
    Row < accepted_deficient,  decision_due,           none,                raise_decision_overdue,             none >,
    Row < supplement_overdue,  materials_handed_in,    accepted,            cure_deficiency_after_reminder,     supplement_completes_decided_later >,
    Row < supplement_overdue,  materials_handed_in,    approved,            cure_deficiency_after_reminder_and_approve, supplement_completes_decided_on_the_spot >,
    Row < supplement_overdue,  materials_handed_in,    none,                record_materials,                   supplement_leaves_some_missing >,
    Row < supplement_overdue,  supplement_grace_due,   defaulted,           default_deficiency,                 none >,
    Row < supplement_overdue,  decision_warning_due,   none,                raise_decision_warning,             none >,
    Row < supplement_overdue,  decision_due,           none,                raise_decision_overdue,             none >
  >;
  // 4. Before the decision, whatever its stage, a case may be withdrawn, leave the credit track or
  // lose it (falling back to the standard track, and owing the materials that then lack), or be
  // terminated. Written once, added for each pending state below.
  template <class Pending>
  using every_pending_case = mpl::vector<
    //    Start                Event                   Next                 Action                              Guard
    Row < Pending,             withdrawal,             withdrawn,           withdraw_application,               scope_is_application >,
    Row < Pending,             withdrawal,             none,                leave_credit_track,                 leaves_credit_track_owing_nothing >,
    Row < Pending,             withdrawal,             correction_required, leave_credit_track_owing_materials, leaves_credit_track_owing_materials >,
    Row < Pending,             credit_revoked,         none,                lose_facilitation,                  fall_back_leaves_nothing_owed >,
    Row < Pending,             credit_revoked,         correction_required, lose_facilitation_owing_materials,  fall_back_leaves_materials_owed >,
    Row < Pending,             termination,            terminated,          terminate_case,                     none >
  >;
  using after_table = mpl::vector<
    //    Start                Event                   Next                 Action                              Guard
    // 5. Afterwards: a notify-and-commit approval is verified; a broken commitment is revoked.
    Row < approved,            verification,           verified,            confirm_commitment_kept,            awaited_verification_finds_kept >,
    Row < approved,            verification,           revoked,             revoke_for_broken_commitment,       awaited_verification_finds_broken >,
    Row < approved,            verification_due,       none,                raise_verification_overdue,         none >,
    // 6. Satisfaction feedback on any ended case goes into its register row (000 六.(三)).
    Row < approved,            feedback_given,         none,                record_satisfaction,                none >,
    Row < denied,              feedback_given,         none,                record_satisfaction,                none >,
    Row < verified,            feedback_given,         none,                record_satisfaction,                none >,
    Row < revoked,             feedback_given,         none,                record_satisfaction,                none >,
    Row < rejected,            feedback_given,         none,                record_satisfaction,                none >,
    Row < withdrawn,           feedback_given,         none,                record_satisfaction,                none >,
    Row < terminated,          feedback_given,         none,                record_satisfaction,                none >,
    Row < defaulted,           feedback_given,         none,                record_satisfaction,                none >
  >;
  // clang-format on
  using transition_table =
      joined<intake_table, decision_table, every_pending_case<applied>,
             every_pending_case<correction_required>, every_pending_case<accepted>,
             every_pending_case<accepted_deficient>, every_pending_case<supplement_overdue>,
             after_table>::type;

  // Not allowed in this state: the caller turns it into an invalid_transition dead letter.
  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {
    refused_ = true;
  }
  template <class Fsm, class Event>
  void exception_caught(const Event&, Fsm&, std::exception&) {
    refused_ = true;
  }

  machine_context* context_;
  bool refused_ = false;
};

using credit_approval = msm::back::state_machine<credit_approval_>;
using transition_table = credit_approval::stt;

template <class State>
constexpr int id_of() {
  return msm::back::get_state_id<transition_table, State>::value;
}

// The machine's state ids in the contract's state order; MSM numbers states by table order, so
// the record keeps the name and this table translates.
const std::array<int, case_state_count>& state_ids() {
  static const std::array<int, case_state_count> ids{
      id_of<credit_approval_::applied>(),
      id_of<credit_approval_::correction_required>(),
      id_of<credit_approval_::accepted>(),
      id_of<credit_approval_::accepted_deficient>(),
      id_of<credit_approval_::supplement_overdue>(),
      id_of<credit_approval_::approved>(),
      id_of<credit_approval_::denied>(),
      id_of<credit_approval_::rejected>(),
      id_of<credit_approval_::withdrawn>(),
      id_of<credit_approval_::terminated>(),
      id_of<credit_approval_::defaulted>(),
      id_of<credit_approval_::revoked>(),
      id_of<credit_approval_::verified>(),
  };
  return ids;
}

std::optional<case_state> state_of_id(int id) {
  const auto& ids = state_ids();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == id) return static_cast<case_state>(i);
  }
  return std::nullopt;
}

// Sets a started machine into a persisted state. MSM has no public way to: Boost 1.81's
// state_machine keeps the active state's id, one int per region, in its own array, to which
// current_state() hands out a const pointer, and dispatches every event on it. That is an
// implementation detail, hence the pin below; "restoring each contract state puts the machine in
// it" (tests/workflows/restore_state_test.cpp) fails if it stops being true.
static_assert(BOOST_VERSION == 108100,
              "restore() writes Boost.MSM 1.81's active-state array: check it against this Boost");
static_assert(credit_approval::nr_regions::value == 1, "restore() sets one region");

void restore(credit_approval& machine, case_state state) {
  const_cast<int*>(machine.current_state())[0] = state_ids()[static_cast<int>(state)];
}

template <class Event>
bool dispatch(credit_approval& machine, const Event& event) {
  const auto handled = machine.process_event(event);
  return handled == msm::back::HANDLED_TRUE && !machine.refused_;
}

bool dispatch_clock(credit_approval& machine, clock_kind kind) {
  switch (kind) {
    case clock_kind::correction_notice:
      return dispatch(machine, correction_notice_due{});
    case clock_kind::supplement:
      return dispatch(machine, supplement_due{});
    case clock_kind::supplement_grace:
      return dispatch(machine, supplement_grace_due{});
    case clock_kind::decision_warning:
      return dispatch(machine, decision_warning_due{});
    case clock_kind::decision:
      return dispatch(machine, decision_due{});
    case clock_kind::verification:
      return dispatch(machine, verification_due{});
  }
  return false;
}

}  // namespace

std::optional<case_record> step_credit_approval(const case_record& record, bool is_new,
                                                const case_input& input, const step_context& step,
                                                case_effects& effects) {
  // Work on a copy so that a refused input leaves the caller's record and effects untouched.
  case_record working = record;
  case_effects recorded;
  machine_context context{working, step, recorded};
  credit_approval machine(&context);
  machine.start();
  if (!is_new) restore(machine, record.state);
  const bool applied = std::visit(
      [&](const auto& data) -> bool {
        using T = std::decay_t<decltype(data)>;
        if constexpr (std::is_same_v<T, clock_due>) {
          return !is_new && dispatch_clock(machine, data.kind);
        } else {
          // A new case takes only an application; an existing one never does.
          if (is_new != std::is_same_v<T, apply_data>) return false;
          return dispatch(machine, carrying<T>{data});
        }
      },
      input);
  if (!applied) return std::nullopt;
  const auto state = state_of_id(machine.current_state()[0]);
  assert(state && "the machine left the contract's states");
  working.state = *state;
  for (auto& o : recorded.outbound) effects.outbound.push_back(std::move(o));
  for (auto& t : recorded.timers_set) effects.timers_set.push_back(std::move(t));
  for (auto& t : recorded.timers_cancelled) effects.timers_cancelled.push_back(std::move(t));
  effects.ledger_changed = effects.ledger_changed || recorded.ledger_changed;
  return working;
}

bool run_credit_approval(case_record& record, bool is_new, const case_input& input,
                         const step_context& step, case_effects& effects) {
  auto next = step_credit_approval(record, is_new, input, step, effects);
  if (!next) return false;
  record = std::move(*next);
  return true;
}

}  // namespace xyp::workflows
