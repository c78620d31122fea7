// The HTTP adapter including the runtime's metrics: must not compile.
#include "adapters/metrics/runtime_metrics.hpp"
