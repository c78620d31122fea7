// The positive control: the HTTP adapter includes itself, the runtime, the domain and the log.
#include "adapters/common/log.hpp"
#include "adapters/http/auth.hpp"
#include "engine/domain/time.hpp"
#include "engine/runtime/processor.hpp"
