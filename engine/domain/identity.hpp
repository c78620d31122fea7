#pragma once
// Applicant ids: the 18-character resident identity number of a person (GB 11643-1999) and the
// unified social credit code of an enterprise or other organisation (GB 32100-2015), each checked
// by its check character. Letters are upper case only: the id is also the partition key, and a
// lower-case twin would land in another partition.
#include <string_view>

namespace xyp {

// GB 11643-1999: 17 digits, then a check character [0-9X] by ISO 7064 MOD 11-2; positions 7-14
// must be a real calendar date (the date of birth).
bool valid_resident_id(std::string_view id);

// GB 32100-2015: 18 characters of "0123456789ABCDEFGHJKLMNPQRTUWXY", positions 3-8 digits (the
// administrative division of the registering authority), the last a check character by MOD 31.
bool valid_social_credit_code(std::string_view code);

// Either of the above.
bool valid_applicant_id(std::string_view id);

// The check character for the first 17 characters of first17 (any further characters are
// ignored), or '\0' when there are fewer than 17 or one is outside the id's alphabet. For tests
// and sample data generators.
char resident_id_check_char(std::string_view first17);
char social_credit_check_char(std::string_view first17);

}  // namespace xyp
