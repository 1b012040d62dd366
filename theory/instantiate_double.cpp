// Explicit instantiation of the exact engine for double (one scalar type per translation unit).
#include "theory/detail/engine_impl.hpp"

SUPERPOSE_INSTANTIATE_ENGINE(double)
