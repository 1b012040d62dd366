// Shared helpers for the theory tests: seeded random weights and type conversion. Header-only, test-only.
#pragma once

#include "theory/theory.hpp"

#include <random>

namespace superpose::test {

/// Random rational W (d×n) with entries k/q, k ∈ [−4, 4], q ∈ [1, 5]: small, exact, reproducible.
inline Matrix<Rational> random_rational_weights(int d, int n, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> num(-4, 4), den(1, 5);
  Matrix<Rational> W(d, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < d; ++i) W(i, j) = Rational(num(rng), den(rng));
  return W;
}

/// Random Gaussian W (d×n) scaled by `scale`, in double.
inline Matrix<double> random_gaussian_weights(int d, int n, double scale, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, scale);
  Matrix<double> W(d, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < d; ++i) W(i, j) = g(rng);
  return W;
}

/// x^k for an integer k ≥ 0, exact, by repeated multiplication (independent of any library pow).
inline Rational pw(const Rational& x, int k) {
  Rational r = 1;
  for (int i = 0; i < k; ++i) r *= x;
  return r;
}

/// A = WᵀW formed entry by entry in exact arithmetic (an independent check on the engine's GEMM).
inline Matrix<Rational> gram(const Matrix<Rational>& W) {
  const Eigen::Index n = W.cols();
  Matrix<Rational> A(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      Rational s = 0;
      for (Eigen::Index k = 0; k < W.rows(); ++k) s += W(k, i) * W(k, j);
      A(i, j) = s;
    }
  return A;
}

template <class T>
Matrix<T> convert(const Matrix<Rational>& W) {
  Matrix<T> out(W.rows(), W.cols());
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) out(i, j) = from_rational<T>(W(i, j));
  return out;
}

/// |a − b| / |b| as a double (b ≠ 0), computed in Real100.
template <class T>
double rel_err(const T& a, const Rational& b) {
  Real100 A(a), B(b);
  return static_cast<double>(abs(A - B) / abs(B));
}

}  // namespace superpose::test
