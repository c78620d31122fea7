// The one enum-name idiom (engine/domain/enum_names.hpp): every name read back is its enumerator,
// and the sentence listing the names is the table's order.
#include "engine/domain/enum_names.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"

using namespace xyp;

namespace {

template <class E>
void check_round_trip() {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < enum_count<E>; ++i) {
    const auto value = static_cast<E>(i);
    const auto name = to_string(value);
    INFO(name);
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(name).second);
    REQUIRE(from_name<E>(name).has_value());
    CHECK(*from_name<E>(name) == value);
  }
  CHECK_FALSE(from_name<E>("").has_value());
  CHECK_FALSE(from_name<E>("no such name").has_value());
}

}  // namespace

TEST_CASE("every named enum reads back each of its names as the enumerator it was written from") {
  check_round_trip<dead_letter_code>();
  check_round_trip<event_type>();
  check_round_trip<actor_role>();
  check_round_trip<credit_grade>();
  check_round_trip<applicant_kind>();
  check_round_trip<channel>();
  check_round_trip<verdict>();
  check_round_trip<outcome>();
  check_round_trip<withdraw_scope>();
  check_round_trip<verification_result>();
  check_round_trip<rating>();
  check_round_trip<case_state>();
  check_round_trip<track>();
  check_round_trip<clock_kind>();
  check_round_trip<clock_status>();
  check_round_trip<escalation_level>();
}

TEST_CASE("names are the contract's spelling, listed in declaration order") {
  CHECK(to_string(event_type::clock_advance) == "clock.advance");
  CHECK(to_string(credit_grade::A_plus) == "A+");
  CHECK(to_string(case_state::supplement_overdue) == "supplement_overdue");
  CHECK(from_name<rating>("very_unsatisfied") == rating::very_unsatisfied);
  CHECK(names_list<channel>() == "window, phone, online");
  CHECK(names_list<escalation_level>(" | ") == "warning | overdue");
  CHECK(enum_count<case_state> == 13);
  CHECK(case_state_count == 13);
}
