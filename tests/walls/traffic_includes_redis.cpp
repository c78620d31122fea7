// The traffic generator including the Redis adapter: must not compile. It asks the in-memory
// engine (the runtime) what its cases are in, and links nothing else.
#include "adapters/redis/connection.hpp"
