// A domain file that includes the runtime: must not compile.
#include "engine/runtime/commit_unit.hpp"
