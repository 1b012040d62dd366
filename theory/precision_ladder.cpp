// The precision ladder (theory.hpp, evaluate_with_ladder): double, MPFR-50, MPFR-100, exact rationals.
#include "theory/theory.hpp"
#include "theory/detail/ladder_rung.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace superpose {

int min_gain_digits(int digits) { return digits == 16 ? 8 : digits == 50 ? 30 : 60; }

std::string precision_name(int digits) {
  return digits == 16 ? "double" : digits == 0 ? "exact rationals" : "MPFR-" + std::to_string(digits);
}

double evaluation_memory_bytes(double d, double n, int m, int digits, bool with_gradient) {
  const double sz = scalar_bytes(digits), wide = digits == 16 ? sizeof(long double) : sz, tile = kEngineTile;
  double bytes = sz * (d * n * (with_gradient ? 2 : 1) + n * (m + 1) + n * n * m / (2 * tile)) + wide * n * (m + 4);
  if (with_gradient) bytes += std::min(sz * d * n * n / (2 * tile), 256e6 + 2 * sz * n * tile);
  return bytes;
}

void check_size_memory(double need, double d, double n, std::string_view what, std::string_view advice,
                       std::string_view flags) {
  char dn[32];
  std::snprintf(dn, sizeof dn, "%.3g", d * n);
  check_memory(need, flags, std::string(what) + " (d*n = " + dn + " weights)", advice);
}

namespace {

int next_digits(int digits) { return digits == 16 ? 50 : digits == 50 ? 100 : 0; }

template <class T, class Source>
T convert(const Source& x) {
  if constexpr (std::is_same_v<Source, Rational>) return from_rational<T>(x);
  else if constexpr (std::is_same_v<T, Rational>) return Rational(x);  // exact binary value
  else return T(x);                                                    // exact: MPFR-50/100 hold every double
}

template <class T, class Source>
Evaluation<T> evaluate_in(const Matrix<Source>& Ws, int m, const Law& law, const Rational& p, bool grad,
                          int threads) {
  Matrix<T> W(Ws.rows(), Ws.cols());
  for (Eigen::Index c = 0; c < Ws.cols(); ++c)
    for (Eigen::Index r = 0; r < Ws.rows(); ++r) W(r, c) = convert<T>(Ws(r, c));
  return evaluate(W, m, law, from_rational<T>(p), grad, threads);
}

}  // namespace

std::string out_of_double_range(const Matrix<Rational>& W, std::string_view name) {
  const Rational big(std::numeric_limits<double>::max()), tiny(std::numeric_limits<double>::min());
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      const Rational a = abs(W(i, j));
      if (a > big || (a != 0 && a < tiny))
        return std::string(name) + "(" + std::to_string(i + 1) + "," + std::to_string(j + 1) +
               ") = " + rational_to_decimal(W(i, j), 6);
    }
  return {};
}

int climb_precision_ladder(int digits, bool climb, const std::function<std::string(int)>& attempt,
                           std::string& note) {
  auto add = [&](const std::string& s) { note += (note.empty() ? "" : "; ") + s; };
  for (;;) {
    try {
      const std::string shortfall = attempt(digits);
      if (shortfall.empty() || !climb || digits == 0) break;
      add(shortfall);
    } catch (const PrecisionError& e) {
      if (digits == 0 || !climb) throw;
      add(precision_name(digits) + ": " + e.what());
    }
    digits = next_digits(digits);  // exact rationals (0) are the last resort and always correct
  }
  if (!note.empty()) note += "; recomputed in " + precision_name(digits);
  return digits;
}

template <class Source>
LadderEvaluation evaluate_with_ladder(const Matrix<Source>& W, int m, const Law& law, const Rational& p,
                                      bool with_gradient, int digits, bool climb, int threads) {
  if (digits != 16 && digits != 50 && digits != 100 && digits != 0)
    throw InputError("--digits " + std::to_string(digits) + ": unsupported precision (accepted: 16, 50, 100, exact)");
  check_power(m);
  check_probability(p);
  if constexpr (std::is_same_v<Source, double>) {
    // Before any conversion: GMP's mpq_set_d raises SIGFPE on NaN and infinity.
    for (Eigen::Index j = 0; j < W.cols(); ++j)
      for (Eigen::Index i = 0; i < W.rows(); ++i)
        if (!std::isfinite(W(i, j)))
          throw InputError("weights: W(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ") is NaN or infinite");
  }
  LadderEvaluation out;
  std::string note;
  if constexpr (!std::is_same_v<Source, double>) {
    if (digits == 16 && climb) {
      const std::string cell = out_of_double_range(W);
      if (!cell.empty()) {
        note = cell + " is outside the range of double";
        digits = 50;
      }
    }
  }
  out.digits = climb_precision_ladder(digits, climb, [&](int rung) -> std::string {
    std::string shortfall;
    auto run = [&]<class T>() {
      Evaluation<T> ev = evaluate_in<T>(W, m, law, p, with_gradient, threads);
      if constexpr (!is_exact_v<T>) shortfall = detail::rung_shortfall(rung, ev.gain_digits(), "gain");
      out.ev = std::move(ev);
    };
    detail::at_rung(rung, run);
    return shortfall;
  }, note);
  out.note = note;
  return out;
}

template LadderEvaluation evaluate_with_ladder<double>(const Matrix<double>&, int, const Law&, const Rational&, bool,
                                                       int, bool, int);
template LadderEvaluation evaluate_with_ladder<Rational>(const Matrix<Rational>&, int, const Law&, const Rational&,
                                                         bool, int, bool, int);

}  // namespace superpose
