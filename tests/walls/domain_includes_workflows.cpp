// A domain file that includes a case machine: must not compile.
#include "workflows/credit_approval.hpp"
