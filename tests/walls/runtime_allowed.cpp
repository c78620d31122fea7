// The positive control: the runtime includes the case machines (its .cpp files drive them).
#include "engine/runtime/processor.hpp"
#include "workflows/credit_approval.hpp"
