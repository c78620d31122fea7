#include "engine/runtime/processor.hpp"

#include <algorithm>
#include <charconv>

#include "engine/domain/json_writer.hpp"
#include "engine/domain/partition.hpp"
#include "workflows/credit_approval.hpp"

namespace xyp {
namespace {

commit_unit dead(std::string cause, std::string_view raw, dead_letter_code code,
                 std::string detail) {
  commit_unit unit;
  unit.cause = std::move(cause);
  unit.dead = dead_letter{std::string(raw), code, std::move(detail)};
  return unit;
}

std::string_view type_name_of(const workflows::case_input& input) {
  struct namer {
    std::string_view operator()(const apply_data&) const {
      return to_string(event_type::case_apply);
    }
    std::string_view operator()(const accept_data&) const {
      return to_string(event_type::case_accept);
    }
    std::string_view operator()(const supplement_data&) const {
      return to_string(event_type::case_supplement);
    }
    std::string_view operator()(const decide_data&) const {
      return to_string(event_type::case_decide);
    }
    std::string_view operator()(const withdraw_data&) const {
      return to_string(event_type::case_withdraw);
    }
    std::string_view operator()(const terminate_data&) const {
      return to_string(event_type::case_terminate);
    }
    std::string_view operator()(const verify_data&) const {
      return to_string(event_type::case_verify);
    }
    std::string_view operator()(const feedback_data&) const {
      return to_string(event_type::case_feedback);
    }
    std::string_view operator()(const workflows::facilitation_revoked&) const {
      return to_string(event_type::credit_update);
    }
    std::string_view operator()(const workflows::clock_due&) const { return "clock.due"; }
  };
  return std::visit(namer{}, input);
}

workflows::case_input case_input_of(const event_data& data) {
  return std::visit(
      [](const auto& d) -> workflows::case_input {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, credit_update_data> ||
                      std::is_same_v<T, clock_advance_data>) {
          // Not case events; the processor routes them elsewhere.
          return workflows::clock_due{};
        } else {
          return d;
        }
      },
      data);
}

// The case's row in the 信易批 register (000 attachment 1): entered on the day the applicant was
// served under credit approval, at the level the scheme granted, and completed as the case ends.
// Its number and values go beside the text as facts: the store keys and keeps its ledger by them.
outbound_event ledger_row(const case_record& r, const jurisdiction_policy& policy,
                          std::uint32_t partition) {
  const matter* m = policy.find_matter(r.matter);
  const instant day = r.applied_at.value_or(instant{});
  ledger_facts facts;
  facts.no = *r.ledger_no;
  auto& v = facts.row;
  v.case_id = r.case_id;
  v.date = format_date(shanghai_date(day));
  v.name = r.applicant.name;
  v.credit_level = r.register_level;
  v.contact = r.applicant.contact;
  v.matter = m ? m->name : r.matter;
  v.matter_code = r.matter;
  v.department = r.department;
  if (r.result) v.result = std::string(to_string(*r.result));
  if (r.satisfaction) v.satisfaction = std::string(to_string(*r.satisfaction));
  json_members row;
  row.set("no", facts.no)
      .set("partition", partition)
      .set("case_id", v.case_id)
      .set("date", v.date)
      .set("name", v.name)
      .set("credit_level", v.credit_level)
      .set("contact", v.contact)
      .set("matter", v.matter)
      .set("matter_code", v.matter_code)
      .set("department", v.department);
  if (v.result) {
    row.set("result", *v.result);
  } else {
    row.set("result", nullptr);
  }
  if (v.satisfaction) {
    row.set("satisfaction", *v.satisfaction);
  } else {
    row.set("satisfaction", nullptr);
  }
  outbound_event e;
  e.type = "ledger.entry";
  e.data = row.text();
  e.facts = std::move(facts);
  return e;
}

// Adds one step's results for one case to the unit: the record with its history and version,
// the transition first, then what the actions recorded, then the ledger row.
void add_case_step(commit_unit& unit, const case_record& before, bool is_new, case_record after,
                   workflows::case_effects effects, std::string_view type, instant at,
                   const jurisdiction_policy& policy, std::uint32_t partition,
                   std::uint64_t fingerprint = 0) {
  const std::optional<case_state> from =
      is_new ? std::nullopt : std::optional<case_state>(before.state);
  auto emit = [&](std::string out_type, json_text data, outbound_facts facts = {}) {
    unit.outbound.push_back(outbound_event{"", std::move(out_type), after.applicant_id,
                                           after.case_id, at, unit.cause, std::move(data),
                                           std::move(facts)});
  };
  if (is_new || before.state != after.state) {
    json_members transition;
    if (from) {
      transition.set("from", to_string(*from));
    } else {
      transition.set("from", nullptr);
    }
    transition.set("to", to_string(after.state))
        .set("track", to_string(after.track_used))
        .set("privileges", after.privileges);
    emit("case.transitioned", transition.text(), transition_facts{from, after.state});
  }
  for (auto& [out_type, data] : effects.outbound) emit(std::move(out_type), std::move(data));
  if (effects.ledger_changed) {
    if (!after.ledger_no) after.ledger_no = ++unit.ledger_after;
    auto row = ledger_row(after, policy, partition);
    emit(std::move(row.type), std::move(row.data), std::move(row.facts));
  }
  // A closed case has nothing left to escalate: what was raised stays in its history, shut.
  if (is_final(after.state) || (after.state == case_state::approved && !after.needs_verification)) {
    for (auto& e : after.escalations) e.open = false;
  }
  for (auto& t : effects.timers_set) unit.timers_set.push_back(std::move(t));
  for (auto& t : effects.timers_cancelled) unit.timers_cancelled.push_back(std::move(t));
  after.history.push_back(
      history_entry{unit.cause, std::string(type), at, from, after.state, fingerprint});
  after.version = before.version + 1;
  unit.cases.push_back(case_write{std::move(after), is_new ? 0 : before.version});
}

// Outbound ids derive from the cause, so that replaying the same input gives the same ids.
void number_outbound(commit_unit& unit) {
  std::size_t n = 0;
  for (auto& o : unit.outbound) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, ++n).ptr;
    o.id.reserve(unit.cause.size() + 1 + static_cast<std::size_t>(end - digits));
    o.id.assign(unit.cause).push_back('/');
    o.id.append(digits, end);
  }
}

std::string describe_refusal(std::string_view type, case_state state) {
  return std::string(type) + " is not allowed for a case in state " + std::string(to_string(state));
}

}  // namespace

case_processor::case_processor(const jurisdiction_policy& policy, const working_calendar& calendar,
                               clock_mode mode, processor_options options)
    : policy_(policy), calendar_(calendar), mode_(mode), options_(options) {}

commit_unit case_processor::repeated(const inbound_event& event, std::string_view raw,
                                     std::uint64_t applied_with) const {
  // 0: applied before fingerprints were kept; nothing to compare, so the repeat stays silent.
  if (applied_with != 0 && applied_with != envelope_fingerprint(raw)) {
    return dead(event.id, raw, dead_letter_code::id_conflict,
                "event id " + event.id + " was already applied with a different envelope");
  }
  commit_unit unit;
  unit.cause = event.id;
  unit.ignored = true;
  return unit;
}

commit_unit case_processor::apply_raw(std::string_view raw, const partition_view& view) const {
  auto parsed = parse_envelope(raw);
  if (auto* refused = std::get_if<rejection>(&parsed)) {
    return dead("", raw, refused->code, std::move(refused->detail));
  }
  return apply(std::get<inbound_event>(parsed), raw, view);
}

commit_unit case_processor::apply(const inbound_event& event, std::string_view raw,
                                  const partition_view& view) const {
  if (const auto applied_with = view.applied_fingerprint(event.id)) {
    return repeated(event, raw, *applied_with);
  }
  // Only with the system clock is "now" the time the world is at: the simulated clock lags the
  // events it is fed (it moves by clock.advance alone), so an event ahead of it is normal there.
  if (mode_ == clock_mode::system && options_.future_margin.count() >= 0 &&
      event.at > view.now() + options_.future_margin) {
    return dead(event.id, raw, dead_letter_code::schema_violation,
                "field at is " + format_rfc3339(event.at) + ", more than " +
                    std::to_string(options_.future_margin.count()) +
                    " seconds after the engine's clock (" + format_rfc3339(view.now()) +
                    "): an event cannot come from the future");
  }
  commit_unit unit;
  try {
    switch (event.type) {
      case event_type::clock_advance: {
        if (mode_ != clock_mode::simulated) {
          return dead(event.id, raw, dead_letter_code::schema_violation,
                      "clock.advance is accepted only when the engine runs the simulated clock");
        }
        unit.cause = event.id;
        const auto to = std::get<clock_advance_data>(event.data).to;
        if (const auto refused = clock_beyond_calendar(to, calendar_)) {
          return dead(event.id, raw, dead_letter_code::schema_violation, *refused);
        }
        unit.clock_to = std::max(to, view.now());  // time never runs backwards
        break;
      }
      case event_type::credit_update:
        unit = apply_credit_update(event, raw, view);
        break;
      default:
        unit = apply_case_event(event, raw, view);
        break;
    }
  } catch (const calendar_error& e) {
    return dead(event.id, raw, dead_letter_code::schema_violation,
                std::string("a deadline of this event cannot be computed: ") + e.what());
  } catch (const std::exception& e) {
    // A defect, not bad input; still a dead letter, never a crash loop.
    return dead(event.id, raw, dead_letter_code::invalid_transition,
                std::string("the engine could not apply this event: ") + e.what());
  }
  if (!unit.dead) {
    unit.applied_event = event.id;
    unit.applied_fingerprint = envelope_fingerprint(raw);
  }
  number_outbound(unit);
  return unit;
}

commit_unit case_processor::apply_credit_update(const inbound_event& event, std::string_view raw,
                                                const partition_view& view) const {
  const std::uint64_t fingerprint = envelope_fingerprint(raw);
  const auto& data = std::get<credit_update_data>(event.data);
  commit_unit unit;
  unit.cause = event.id;
  unit.ledger_before = unit.ledger_after = view.ledger_count();
  const auto previous = view.find_credit(event.applicant_id);
  if (previous && previous->as_of > event.at) return unit;  // an older report arriving late

  credit_snapshot credit{true,
                         data.grade,
                         data.score,
                         data.tax_incentive_card,
                         data.blacklisted,
                         data.key_review,
                         data.source,
                         event.at};
  unit.credit = std::make_pair(event.applicant_id, credit);

  const bool revokes = (credit.blacklisted && policy_.blacklisted_revokes_open_cases) ||
                       (credit.key_review && policy_.key_review_revokes_open_cases);
  if (!revokes) return unit;
  auto case_ids = view.case_ids_of(event.applicant_id);
  std::sort(case_ids.begin(), case_ids.end());  // a stable order, so replays match
  const std::string reason = credit.blacklisted ? "the applicant was blacklisted"
                                                : "the applicant became a key review target";
  for (const auto& case_id : case_ids) {
    const case_record* record = view.peek_case(case_id);
    if (!record || !is_pending_decision(record->state)) continue;
    if (record->privileges.empty() && record->track_used == track::standard) continue;
    const matter* m = policy_.find_matter(record->matter);
    if (!m) continue;  // a case from another profile's catalogue: nothing this policy can revoke
    workflows::case_effects effects;
    const workflows::step_context step{policy_, calendar_, *m, credit, event.id, event.at};
    if (auto after = workflows::step_credit_approval(
            *record, false, workflows::facilitation_revoked{reason}, step, effects)) {
      add_case_step(unit, *record, false, std::move(*after), std::move(effects), "credit.update",
                    event.at, policy_, view.partition(), fingerprint);
    }
  }
  return unit;
}

commit_unit case_processor::apply_case_event(const inbound_event& event, std::string_view raw,
                                             const partition_view& view) const {
  // The case as the view holds it, not a copy: the machine's working copy is the only one made.
  const case_record* existing = view.peek_case(event.case_id);
  const bool is_new = event.type == event_type::case_apply;
  if (is_new && existing) {
    return dead(event.id, raw, dead_letter_code::duplicate_case,
                "case " + event.case_id + " already exists");
  }
  if (!is_new && !existing) {
    return dead(event.id, raw, dead_letter_code::unknown_case,
                "no case " + event.case_id + " is known");
  }
  if (existing && existing->applicant_id != event.applicant_id) {
    return dead(event.id, raw, dead_letter_code::schema_violation,
                "case " + event.case_id + " belongs to another applicant");
  }
  const std::string& matter_code =
      is_new ? std::get<apply_data>(event.data).matter : existing->matter;
  const matter* m = policy_.find_matter(matter_code);
  if (!m) {
    return dead(event.id, raw, dead_letter_code::unknown_matter,
                "matter " + matter_code + " is not in the " + policy_.id + " catalogue");
  }

  case_record fresh;
  if (!existing) {
    fresh.case_id = event.case_id;
    fresh.applicant_id = event.applicant_id;
  }
  const case_record& before = existing ? *existing : fresh;
  const credit_snapshot credit = view.find_credit(event.applicant_id).value_or(credit_snapshot{});
  workflows::case_effects effects;
  const workflows::step_context step{policy_, calendar_, *m, credit, event.id, event.at};
  const auto input = case_input_of(event.data);
  auto after = workflows::step_credit_approval(before, is_new, input, step, effects);
  if (!after) {
    return dead(event.id, raw, dead_letter_code::invalid_transition,
                describe_refusal(type_name_of(input), before.state));
  }
  commit_unit unit;
  unit.cause = event.id;
  unit.ledger_before = unit.ledger_after = view.ledger_count();
  add_case_step(unit, before, is_new, std::move(*after), std::move(effects), to_string(event.type),
                event.at, policy_, view.partition(), envelope_fingerprint(raw));
  return unit;
}

commit_unit case_processor::fire(const timer_entry& timer, const partition_view& view) const {
  commit_unit unit;
  unit.cause = timer.id;
  unit.consumed_timer = timer.id;
  unit.ledger_before = unit.ledger_after = view.ledger_count();
  const case_record* record = view.peek_case(timer.case_id);
  if (!record) {
    unit.ignored = true;
    return unit;
  }
  const case_record& before = *record;
  const auto clock = std::find_if(before.clocks.begin(), before.clocks.end(), [&](const auto& c) {
    return c.timer_id == timer.id && c.status == clock_status::armed;
  });
  if (clock == before.clocks.end()) {
    unit.ignored = true;  // cancelled or met while the timer waited
    return unit;
  }
  case_record after = before;
  after.clocks[static_cast<std::size_t>(clock - before.clocks.begin())].status =
      clock_status::fired;
  const matter* m = policy_.find_matter(before.matter);
  workflows::case_effects effects;
  try {
    if (m) {
      const workflows::step_context step{policy_,       calendar_, *m,
                                         before.credit, timer.id,  timer.due};
      if (auto stepped = workflows::step_credit_approval(
              after, false, workflows::clock_due{timer.kind, timer.due}, step, effects)) {
        after = std::move(*stepped);
      }
    }
  } catch (const std::exception& e) {
    // The timer is consumed either way; what went wrong stays visible as a dead letter.
    unit.dead = dead_letter{to_json(timer).dump(), dead_letter_code::invalid_transition,
                            std::string("timer could not fire: ") + e.what()};
  }
  add_case_step(unit, before, false, std::move(after), std::move(effects),
                "clock." + std::string(to_string(timer.kind)), timer.due, policy_,
                view.partition());
  number_outbound(unit);
  return unit;
}

commit_unit case_processor::recalendar(const timer_entry& timer, const partition_view& view) const {
  commit_unit unit;
  unit.cause = timer.id + "/recalendar";
  unit.ledger_before = unit.ledger_after = view.ledger_count();
  unit.ignored = true;
  const case_record* record = view.peek_case(timer.case_id);
  if (!record) return unit;
  const auto clock = std::find_if(record->clocks.begin(), record->clocks.end(), [&](const auto& c) {
    return c.timer_id == timer.id && c.status == clock_status::armed;
  });
  // A clock from before the base was kept (working_days 0) cannot be counted again.
  if (clock == record->clocks.end() || !clock->provisional || clock->working_days <= 0) {
    return unit;
  }
  working_deadline now_due;
  try {
    now_due = calendar_.deadline_after(clock->counted_from, clock->working_days);
  } catch (const std::exception&) {
    return unit;  // the calendar no longer reaches it: the clock keeps its provisional due
  }
  if (now_due.due == clock->due && now_due.provisional) return unit;

  case_record after = *record;
  auto& old_clock = after.clocks[static_cast<std::size_t>(clock - record->clocks.begin())];
  unit.ignored = false;
  if (now_due.due == old_clock.due) {
    old_clock.provisional = false;  // confirmed by the notice: nothing moves
  } else {
    const instant previous = old_clock.due;
    old_clock.status = clock_status::cancelled;
    case_clock moved = old_clock;
    moved.status = clock_status::armed;
    moved.due = now_due.due;
    moved.provisional = now_due.provisional;
    ++after.timer_seq;
    moved.timer_id = after.case_id + "/t" + std::to_string(after.timer_seq) + "/" +
                     std::string(to_string(moved.kind));
    unit.timers_cancelled.push_back(old_clock.timer_id);
    unit.timers_set.push_back(
        timer_entry{moved.timer_id, after.case_id, after.applicant_id, moved.kind, moved.due});
    const std::string_view contract_clock = contract_clock_name(moved.kind);
    for (auto& e : after.escalations) {
      if (e.open && e.due == previous && contract_clock_name(e.clock) == contract_clock) {
        e.due = moved.due;
        e.provisional = moved.provisional;
      }
    }
    const instant at = view.now();
    after.history.push_back(
        history_entry{unit.cause, "calendar.loaded", at, after.state, after.state});
    // The decision warning is the engine's own reminder, not a due time anyone was told of: it
    // moves quietly with its clock.
    if (moved.kind != clock_kind::decision_warning) {
      json_members data;
      data.set("kind", "deadline_changed")
          .set("detail", "the year's holiday notice is loaded: the deadline is counted again on it")
          .set("clock", contract_clock)
          .set("previous_due_at", format_rfc3339(previous))
          .set("due_at", format_rfc3339(moved.due));
      if (moved.provisional) data.set("provisional", true);
      unit.outbound.push_back(outbound_event{
          "", "case.notice", after.applicant_id, after.case_id, at, unit.cause, data.text(), {}});
    }
    after.clocks.push_back(std::move(moved));
  }
  after.version = record->version + 1;
  unit.cases.push_back(case_write{std::move(after), record->version});
  number_outbound(unit);
  return unit;
}

std::optional<std::string> clock_beyond_calendar(instant to, const working_calendar& calendar) {
  std::chrono::year last{0};
  try {
    last = calendar.last_year();
  } catch (const calendar_error&) {
    return std::nullopt;  // no calendar at all: nothing to compare with
  }
  if (shanghai_date(to).year() <= last) return std::nullopt;
  return "data.to is " + format_rfc3339(to) + ", after " + std::to_string(static_cast<int>(last)) +
         ", the last year the calendars cover (provisional years included): the clock cannot "
         "move where no deadline can be counted";
}

}  // namespace xyp
