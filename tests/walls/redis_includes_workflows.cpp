// An adapter that includes a case machine (the runtime links it PRIVATE): must not compile.
#include "workflows/credit_approval.hpp"
