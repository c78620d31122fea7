// The Redis adapter including the HTTP adapter: must not compile.
#include "adapters/http/server.hpp"
