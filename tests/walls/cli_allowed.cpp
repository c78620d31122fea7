// The positive control: the command line (the composition root's library) sees every adapter.
#include "adapters/cli/replay.hpp"
#include "adapters/http/server.hpp"
#include "adapters/metrics/runtime_metrics.hpp"
#include "adapters/redis/runtime.hpp"
