// superpose/theory/relu.hpp: the ReLU toy model of superposition of Elhage et al. (2022), "Toy Models of
// Superposition" (transformer-circuits.pub/2022/toy_model), beside the power model of theory/theory.hpp.
//
// Contract
// --------
// * Notation: n features, d hidden width (Elhage's m is our d; in the power model m is the activation power),
//   p_i the probability that feature i is active (Elhage's "sparsity" S is 1 − p), importance I_i > 0.
// * Model: x̂ = act(W_decᵀ W x + b) with act(t) = ReLU(t)^k, k ∈ {1, 2, 3}; tied when W_dec = W (Elhage's choice).
// * Input law: x_i = β_i·v_i with β_i ~ Bernoulli(p_i) and v_i i.i.d. from the value law, all independent. The value
//   law is uniform on [0, 1] (Elhage's notebook, spec "uniform01") or one of the symmetric laws of theory.hpp
//   (Law::parse specs: gaussian, rademacher, uniform, laplace, discrete:...).
// * Loss: L(W, b) = Σ_i I_i·E(x_i − x̂_i)² (a sum over features; Elhage's notebook reports it divided by n).
// * Shapes: W and W_dec are d×n (column i is feature i's embedding), b has n entries.
// * Errors: InputError (core/core.hpp) for invalid settings or parameters, thrown by validate() before any work.
#pragma once

#include "theory/theory.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace superpose::relu {

/// The value law of an active feature: uniform on [0, 1] (Elhage) or a symmetric Law of theory.hpp.
struct ValueLaw {
  std::optional<Law> symmetric;  // nullopt: uniform on [0, 1]
  /// Parses "uniform01" or a Law spec. Throws InputError naming the accepted values.
  static ValueLaw parse(std::string_view spec);
  std::string name() const;  // "uniform01" or the Law's canonical spec
};

/// A setting of the ReLU model: sizes, per-feature probabilities and importances, value law, activation power.
struct Problem {
  int d = 0, n = 0;
  std::vector<Rational> p;           // n entries in (0, 1], exact as typed
  std::vector<Rational> importance;  // n entries > 0, exact as typed
  ValueLaw law;
  int k = 1;                         // activation ReLU(t)^k, k ∈ {1, 2, 3}
  bool tied = true;                  // false: a separate decoder W_dec
  /// Throws InputError (one line, naming the bad field and the accepted values) unless d ≥ 1, n ≥ 1, sizes of p and
  /// importance equal n, p_i ∈ (0, 1], I_i > 0, k ∈ {1, 2, 3}.
  void validate() const;
};

/// The parameters (W, W_dec, b) in scalar type T (double, Real50, Rational).
template <class T>
struct Params {
  Matrix<T> W;      // d×n encoder (also the decoder when tied)
  Matrix<T> W_dec;  // d×n decoder when untied; 0×0 when tied
  Vector<T> b;      // n biases
  /// Throws InputError unless the shapes match the problem (W_dec empty exactly when tied) and entries are finite.
  void validate(const Problem& problem) const;
};

}  // namespace superpose::relu
