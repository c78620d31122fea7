// A domain file that includes an adapter: must not compile.
#include "adapters/common/log.hpp"
