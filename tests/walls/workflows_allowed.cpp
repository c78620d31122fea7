// The positive control: a case machine includes itself and the domain.
#include "engine/domain/calendar.hpp"
#include "workflows/credit_approval.hpp"
