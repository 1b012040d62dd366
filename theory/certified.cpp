// Certified values (theory/theory.hpp): the gain of a rational W, exact or enclosed, and the proved upper bounds
// evaluated from their closed forms at a rational p. Formulas: docs/theory.md §3–§5 (the same as theory/bounds.cpp,
// which evaluates them in floating point).
#include "theory/theory.hpp"
#include "theory/detail/engine_impl.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

namespace superpose {

CertifiedReal certified_gain(const Matrix<Rational>& W, int m, const Law& law, const Rational& p, int threads) {
  const double work = static_cast<double>(W.rows()) * static_cast<double>(W.cols()) * static_cast<double>(W.cols()) * m;
  if (work <= kExactGainBudget) return CertifiedReal::of(evaluate(W, m, law, p, false, threads).gain);
  return CertifiedReal::of(enclose_gain(W, m, law, p, threads).gain);
}

namespace {

// F is Rational (exact) or Interval (enclosure): both are fields closed under + − × ÷, and every formula below
// uses only those on rationals, so the Interval result contains the exact one.
template <class F>
F lift(const Rational& q) {
  if constexpr (std::is_same_v<F, Rational>) return q;
  else return interval_from_rational(q);
}

using detail::ipow;  // x^k, k >= 0, by squaring

// E[min(d, N)], N ~ Binomial(n, p): n·p if d >= n, else d − Σ_{j<d} (d − j)·C(n,j)·p^j·(1−p)^(n−j).
template <class F>
F expected_min(int d, int n, const Rational& p) {
  const F pf = lift<F>(p);
  if (d >= n) return F(pf * lift<F>(Rational(n)));
  const F q = lift<F>(Rational(1 - p));
  F sum = lift<F>(Rational(0));
  Rational binom = 1;  // C(n, j)
  for (int j = 0; j < d; ++j) {
    if (j > 0) binom = binom * (n - j + 1) / j;
    sum += lift<F>(Rational(binom * (d - j))) * ipow(pf, j) * ipow(q, n - j);
  }
  return F(lift<F>(Rational(d)) - sum);
}

template <class F>
F closed_form(const std::string& name, const Setting& s, const Rational& p, const FstarBracket& fstar_n) {
  const Rational mu2 = s.law.moment(2), c_mu = s.law.c_mu(s.m);
  const Rational rank_min = std::min(Rational(s.n), sym_dim(s.d, s.m));
  const F pf = lift<F>(p);
  if (name == "zero_loss") return lift<F>(p * s.n * mu2);
  if (name == "linear") return lift<F>(p * mu2 * std::min(s.d, s.n));
  if (name == "tensor_rank_upper") return lift<F>(p * mu2 * rank_min);
  if (name == "first_order_limit") return lift<F>(c_mu * fstar_n.upper * p);
  if (name == "gaussian_stein_upper") return F(lift<F>(c_mu) * expected_min<F>(s.d, s.n, p));
  if (name == "split_upper") {
    const F q = ipow(lift<F>(Rational(1 - p)), s.n - 1);  // probability that no other feature is active
    const Rational fmin = std::min(f_star(s.d, s.m), Rational(s.n));
    return F(pf * (q * lift<F>(Rational(c_mu * fmin)) + (lift<F>(Rational(1)) - q) * lift<F>(Rational(mu2 * rank_min))));
  }
  throw std::logic_error("certified_upper_bounds: no exact form for the proved bound " + name);
}

}  // namespace

std::vector<CertifiedBound> certified_upper_bounds(const Setting& s, const Rational& p, const FstarBracket& fstar_n) {
  check_probability(p);
  const bool exact =
      static_cast<double>(s.n) * static_cast<double>(numerator(p).str().size() + denominator(p).str().size()) <= 1e6;
  std::vector<CertifiedBound> out;
  for (const Bound<Real50>& b : closed_form_bounds(s, from_rational<Real50>(p), fstar_n)) {
    if (b.side == BoundSide::lower || b.side == BoundSide::limit) continue;
    if (b.status != BoundStatus::proved_in_paper && b.status != BoundStatus::proved_here) continue;
    out.push_back(CertifiedBound{b.name, b.status, b.citation,
                                 exact ? CertifiedReal::of(closed_form<Rational>(b.name, s, p, fstar_n))
                                       : CertifiedReal::of(closed_form<Interval>(b.name, s, p, fstar_n))});
  }
  return out;
}

}  // namespace superpose
