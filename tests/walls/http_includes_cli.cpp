// The HTTP adapter including the command line: must not compile.
#include "adapters/cli/replay.hpp"
