// Shared helpers for the ReLU-model tests (test_relu, test_relu_laws). Header-only, test-only.
#pragma once

#include "theory/relu.hpp"

namespace superpose::test {

/// The exact rationals of double parameters (each double is a dyadic rational): W, W_dec (when untied) and b.
inline relu::Params<Rational> to_rational(const relu::Params<double>& P) {
  relu::Params<Rational> Q;
  Q.W = P.W.unaryExpr([](double v) { return Rational(v); });
  if (P.W_dec.size()) Q.W_dec = P.W_dec.unaryExpr([](double v) { return Rational(v); });
  Q.b = P.b.unaryExpr([](double v) { return Rational(v); });
  return Q;
}

}  // namespace superpose::test
