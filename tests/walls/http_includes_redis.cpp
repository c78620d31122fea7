// The HTTP adapter including the Redis adapter: must not compile. The HTTP side sees its ports
// (adapters/http/ports.hpp) and the port error, never a store; the read model implements them.
#include "adapters/redis/connection.hpp"
