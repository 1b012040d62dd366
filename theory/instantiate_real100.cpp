// Explicit instantiation of the exact engine for superpose::Real100 (one scalar type per translation unit).
#include "theory/detail/engine_impl.hpp"

SUPERPOSE_INSTANTIATE_ENGINE(superpose::Real100)
