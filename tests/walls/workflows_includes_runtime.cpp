// A case machine that includes the runtime: must not compile.
#include "engine/runtime/processor.hpp"
