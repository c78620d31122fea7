// The positive control: the traffic generator sees the runtime (the in-memory engine) and the
// domain.
#include "engine/domain/calendar.hpp"
#include "engine/runtime/memory_runtime.hpp"
#include "engine/runtime/processor.hpp"
