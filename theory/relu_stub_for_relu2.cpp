// STAND-IN, NOT FOR MAIN: minimal definitions of ValueLaw::parse/name, Problem::validate and Params::validate
// (theory/relu.hpp) so that branch relu2 (Elhage's metrics, the trainer, `relu train|metrics`) links before branch
// relu's theory/relu.cpp exists. The lead deletes this file at merge; theory/relu.cpp is the real implementation.
#include "theory/relu.hpp"

#include <cmath>

namespace superpose::relu {

ValueLaw ValueLaw::parse(std::string_view spec) {
  if (spec == "uniform01") return {};
  return ValueLaw{Law::parse(spec)};
}

std::string ValueLaw::name() const { return symmetric ? symmetric->name() : "uniform01"; }

void Problem::validate() const {
  if (d < 1) throw InputError("--d: the hidden width must be at least 1 (got " + std::to_string(d) + ")");
  if (n < 1) throw InputError("--n: the number of features must be at least 1 (got " + std::to_string(n) + ")");
  if (static_cast<int>(p.size()) != n || static_cast<int>(importance.size()) != n)
    throw InputError("--p, --importance: one value per feature expected (n = " + std::to_string(n) + ")");
  for (const Rational& q : p)
    if (!(q > 0 && q <= 1)) throw InputError("--p: feature probabilities must lie in (0, 1] (got " + q.str() + ")");
  for (const Rational& w : importance)
    if (!(w > 0)) throw InputError("--importance: importances must be > 0 (got " + w.str() + ")");
  if (k < 1 || k > 3) throw InputError("--k: the activation power must be 1, 2 or 3 (got " + std::to_string(k) + ")");
}

template <class T>
void Params<T>::validate(const Problem& problem) const {
  if (W.rows() != problem.d || W.cols() != problem.n || b.size() != problem.n ||
      (problem.tied ? W_dec.size() != 0 : (W_dec.rows() != problem.d || W_dec.cols() != problem.n)))
    throw InputError("parameters: shapes do not match d = " + std::to_string(problem.d) + ", n = " +
                     std::to_string(problem.n));
  if constexpr (std::is_same_v<T, double>)
    if (!W.allFinite() || !b.allFinite() || (W_dec.size() && !W_dec.allFinite()))
      throw InputError("parameters: every entry must be finite");
}

template struct Params<double>;

}  // namespace superpose::relu
