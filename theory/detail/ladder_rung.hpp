// Internal to theory/: the one mapping from a rung of the precision ladder (climb_precision_ladder, theory.hpp) to its
// scalar type, and the one wording of a rung that kept too few digits. Used by the power model's ladder
// (precision_ladder.cpp) and the ReLU model's (relu.cpp).
#pragma once

#include "theory/theory.hpp"

#include <string>
#include <string_view>

namespace superpose::detail {

/// Calls f.template operator()<T>() with T = double, Real50, Real100 for rung 16, 50, 100 and Rational otherwise.
template <class F>
void at_rung(int rung, F&& f) {
  if (rung == 16) f.template operator()<double>();
  else if (rung == 50) f.template operator()<Real50>();
  else if (rung == 100) f.template operator()<Real100>();
  else f.template operator()<Rational>();
}

/// "" when `kept` correct digits of `what` meet min_gain_digits(rung), else the reason to climb, one phrase.
inline std::string rung_shortfall(int rung, int kept, std::string_view what) {
  if (kept >= min_gain_digits(rung)) return "";
  return precision_name(rung) + " kept only " + std::to_string(kept) + " correct digits of the " + std::string(what);
}

}  // namespace superpose::detail
