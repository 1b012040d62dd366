// Certified enclosures of the exact gain (theory/theory.hpp, enclose_gain): the engine's moment-convolution route
// in MPFI interval arithmetic. One translation unit for the Interval type, like the other scalar types.
#include "theory/detail/engine_impl.hpp"

namespace superpose {

GainEnclosure enclose_gain(const Matrix<Rational>& Wq, int m, const Law& law, const Rational& p, int threads) {
  check_power(m);
  check_probability(p);
  detail::check_weights(Wq);
  const Eigen::Index d = Wq.rows(), n = Wq.cols();
  Matrix<Interval> W(d, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index k = 0; k < d; ++k) W(k, j) = interval_from_rational(Wq(k, j));
  const Interval pi = interval_from_rational(p);
  detail::Binomials<Interval> binom(2 * m);
  detail::CoordinateLaw<Interval> x(law, pi, m, binom);
  std::vector<Interval> Ci(n), Di(n);
  // Rows one at a time (no comparisons of intervals anywhere: Boost's MPFI comparisons throw on overlap).
  const int nt = detail::engine_threads(threads, n, d * 8);
  detail::parallel_for(n, nt, [&](Eigen::Index i) {
    std::vector<Interval> col(n);
    for (Eigen::Index j = 0; j < n; ++j) {
      Interval s(0);
      for (Eigen::Index k = 0; k < d; ++k) s += W(k, i) * W(k, j);
      col[j] = s;
    }
    detail::ConvolutionRow<Interval> row(m, binom, x);
    row.run(col.data(), n, i, false, static_cast<Interval*>(nullptr));
    Ci[i] = row.fin.C;
    Di[i] = row.fin.D;
  });
  GainEnclosure e;
  e.C = Interval(0);
  e.D = Interval(0);
  for (Eigen::Index i = 0; i < n; ++i) {
    e.C += Ci[i];
    e.D += Di[i];
  }
  e.gain = Interval(2) * e.C - e.D;
  e.zero_loss = pi * Interval(static_cast<long>(n)) * interval_from_rational(law.moment(2));
  e.loss = e.zero_loss - e.gain;
  e.convolution_rows = static_cast<int>(n);
  return e;
}

}  // namespace superpose
