// Explicit instantiation of the exact engine for superpose::Rational (one scalar type per translation unit).
#include "theory/detail/engine_impl.hpp"

SUPERPOSE_INSTANTIATE_ENGINE(superpose::Rational)

namespace superpose {

std::vector<Rational> gain_polynomial(const Matrix<Rational>& W, int m, const Law& law) {
  check_power(m);
  RowPowerSums<Rational> sums = row_power_sums(W, m);
  // Values at p = 0, 1, ..., m (the gain is a polynomial of degree <= m with g(0) = 0).
  std::vector<Rational> xs(m + 1), ys(m + 1);
  for (int k = 0; k <= m; ++k) {
    xs[k] = k;
    ys[k] = k == 0 ? Rational(0) : gain_terms(sums, law, Rational(k)).gain();
  }
  // Newton divided differences, then expansion of the Newton form into monomial coefficients.
  std::vector<Rational> dd = ys;
  for (int j = 1; j <= m; ++j)
    for (int k = m; k >= j; --k) dd[k] = (dd[k] - dd[k - 1]) / (xs[k] - xs[k - j]);
  std::vector<Rational> coef(m + 1, Rational(0));  // Horner: coef = dd[m]; coef = coef*(p - x_k) + dd[k]
  coef[0] = dd[m];
  for (int k = m - 1; k >= 0; --k) {
    for (int j = m; j >= 1; --j) coef[j] = coef[j - 1] - xs[k] * coef[j];
    coef[0] = dd[k] - xs[k] * coef[0];
  }
  if (coef[0] != 0) throw std::logic_error("gain_polynomial: nonzero constant term");
  return std::vector<Rational>(coef.begin() + 1, coef.end());
}

}  // namespace superpose
