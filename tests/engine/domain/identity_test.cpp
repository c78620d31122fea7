#include "engine/domain/identity.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace xyp;

// Every valid literal below was checked by hand or is a published example. For instance
// 11010519491231002X (GB 11643-1999, appendix A): the digits times 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8
// 4 2 sum to 167, 167 mod 11 = 2, and "10X98765432"[2] is X. And 91350100M000100Y43: values
// 9 1 3 5 0 1 0 0 21 0 0 0 1 0 0 30 4 times 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 sum to
// 1640, 1640 mod 31 = 28, 31 - 28 = 3.

TEST_CASE("the standard examples of GB 11643 are valid resident ids") {
  CHECK(valid_resident_id("11010519491231002X"));
  CHECK(valid_resident_id("440524188001010014"));
  CHECK(resident_id_check_char("11010519491231002") == 'X');
  CHECK(resident_id_check_char("44052418800101001") == '4');
}

TEST_CASE(
    "a resident id whose weighted sum is a multiple of 11 ends in 1, and one leaving 1 ends "
    "in 0") {
  // 167 - 2 = 165 = 15 * 11.
  CHECK(valid_resident_id("110105194912310011"));
  // 167 - 2*2 + 7*2 = 177 = 16 * 11 + 1.
  CHECK(valid_resident_id("110105194912310070"));
}

TEST_CASE("a resident id with a wrong check character is invalid") {
  CHECK_FALSE(valid_resident_id("110105194912310021"));
  CHECK_FALSE(valid_resident_id("440524188001010015"));
}

TEST_CASE(
    "a resident id is refused with a lower-case x, a letter in its body, or the wrong "
    "length") {
  CHECK_FALSE(valid_resident_id("11010519491231002x"));
  CHECK_FALSE(valid_resident_id("1101051949123100AX"));
  CHECK_FALSE(valid_resident_id("11010519491231002"));
  CHECK_FALSE(valid_resident_id("11010519491231002X0"));
  CHECK_FALSE(valid_resident_id(""));
  CHECK(resident_id_check_char("1101051949123100A") == '\0');
  CHECK(resident_id_check_char("1101051949") == '\0');
}

TEST_CASE(
    "a resident id whose date of birth is not a real date is invalid even with the right "
    "check character") {
  // Check characters computed for these bodies, so only the date is wrong.
  CHECK_FALSE(valid_resident_id("110105194902300020"));  // 30 February 1949
  CHECK_FALSE(valid_resident_id("110105194913310021"));  // month 13
  CHECK_FALSE(valid_resident_id("110105190002290025"));  // 1900 was not a leap year
  CHECK(valid_resident_id("110105200002290021"));        // 2000 was
}

TEST_CASE("published unified social credit codes are valid") {
  CHECK(valid_social_credit_code("91350100M000100Y43"));
  CHECK(valid_social_credit_code("91110108551385082Q"));
  CHECK(valid_social_credit_code("91440300708461136T"));
  CHECK(valid_social_credit_code("91110000802100433B"));
  CHECK(social_credit_check_char("91350100M000100Y4") == '3');
  CHECK(social_credit_check_char("91110108551385082") == 'Q');
}

TEST_CASE("a unified social credit code whose weighted sum is a multiple of 31 ends in 0") {
  // 9 + 3 + 27 + 135 + 26 + 7*20 + 3*30 + 9*28 = 682 = 22 * 31.
  CHECK(valid_social_credit_code("913501007000000390"));
  CHECK(social_credit_check_char("91350100700000039") == '0');
}

TEST_CASE("a unified social credit code with a wrong check character is invalid") {
  CHECK_FALSE(valid_social_credit_code("91350100M000100Y44"));
  // The sample id in CONTRACT.md's envelope example: its check character would be 3.
  CHECK_FALSE(valid_social_credit_code("91370400MA3C1234X5"));
  CHECK(valid_social_credit_code("91370400MA3C1234X3"));
}

TEST_CASE(
    "a unified social credit code is refused with a letter outside its alphabet, a "
    "lower-case letter, or a letter in the region code") {
  CHECK_FALSE(valid_social_credit_code("91350100M000100I43"));
  CHECK_FALSE(valid_social_credit_code("91350100m000100y43"));
  // The check character Y is right for this body, but positions 3-8 must be digits.
  CHECK(social_credit_check_char("9135A100M000100Y4") == 'Y');
  CHECK_FALSE(valid_social_credit_code("9135A100M000100Y4Y"));
  CHECK(social_credit_check_char("91350100M000100I4") == '\0');
  CHECK_FALSE(valid_social_credit_code("91350100M000100Y4"));
}

TEST_CASE("an applicant id is either kind of id") {
  CHECK(valid_applicant_id("11010519491231002X"));
  CHECK(valid_applicant_id("91350100M000100Y43"));
  CHECK_FALSE(valid_applicant_id("91350100M000100Y44"));
  CHECK_FALSE(valid_applicant_id("110105194912310021"));
  CHECK_FALSE(valid_applicant_id("not an id"));
}

TEST_CASE("the check-character helpers agree with the validators") {
  const char* bodies[] = {"11010519491231002", "44052418800101001", "32010219900307123"};
  for (const char* body : bodies) {
    std::string id = body;
    id += resident_id_check_char(body);
    CHECK(valid_resident_id(id));
  }
  const char* codes[] = {"91350100M000100Y4", "12100000400000770", "9144030070846113T"};
  for (const char* body : codes) {
    std::string code = body;
    code += social_credit_check_char(body);
    CHECK(valid_social_credit_code(code));
  }
}
