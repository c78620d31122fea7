// The positive control of the walls: a domain file includes the domain.
#include "engine/domain/outbound.hpp"
#include "engine/domain/policy.hpp"
