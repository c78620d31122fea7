#pragma once
#include <stdexcept>

namespace xyp {

// A configuration (a profile, a calendar year) that cannot be used; the message names the file
// and the field.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace xyp
