// Certified enclosures in double-interval arithmetic (theory/theory.hpp, FastGainEncloser): the one engine of
// theory/detail/engine_impl.hpp instantiated for boost::numeric::interval<double> with outward rounding done in
// hardware. The only translation unit that sees the interval type; compiled with -frounding-math and without
// -ffast-math (theory/CMakeLists.txt), so that the compiler neither folds nor reorders floating-point operations
// as if the rounding mode were to-nearest.
//
// Rounding. Boost.Interval's rounded_arith_opp computes every upper end in upward rounding and every lower end as
// the negation of an upward-rounded negated operation, so one mode, FE_UPWARD, serves both ends. The scalar type
// carries save_state_nothing (no mode switch per operation: that would cost two fesetround calls each); instead
// every task that computes with it holds an UpwardRounding object (Boost's save_state: saves the thread's mode,
// sets FE_UPWARD, restores the saved mode at the end), and checks before it ends that the mode is still upward.
// Conversions of rationals to doubles use GMP's integer arithmetic and exact comparisons, never the FPU.
#include "theory/detail/engine_impl.hpp"

#include <boost/numeric/interval.hpp>

#include <cfenv>
#include <cfloat>
#include <cmath>

#if defined(__FAST_MATH__)
#error "theory/instantiate_double_interval.cpp must not be compiled with -ffast-math"
#endif
static_assert(FLT_EVAL_METHOD == 0, "double-interval enclosures need double arithmetic without excess precision");

namespace superpose::detail {

namespace bi = boost::numeric::interval_lib;

/// C99 <fenv.h> rounding control without Boost's volatile store per operation: with FLT_EVAL_METHOD == 0 a double
/// result is already rounded to double in the current mode, and -frounding-math keeps the compiler from assuming
/// the mode.
struct FenvRounding : bi::detail::c99_rounding_control {
  static double force_rounding(const double& r) { return r; }
};
using UpwardArith = bi::rounded_arith_opp<double, FenvRounding>;
/// The enclosure scalar: its operations assume FE_UPWARD is set (see UpwardRounding).
using DoubleInterval =
    boost::numeric::interval<double, bi::policies<bi::save_state_nothing<UpwardArith>, bi::checking_base<double>>>;

/// Sets FE_UPWARD in this thread for its lifetime and restores the previous mode; verify() throws if the mode was
/// changed in between (by a library call, a signal handler, another component), since the intervals computed
/// since then cannot be vouched for.
class UpwardRounding {
 public:
  UpwardRounding() : saved_() {
    if (std::fegetround() != FE_UPWARD)
      throw std::logic_error("double-interval enclosure: this CPU refused to round upward (fesetround)");
  }
  UpwardRounding(const UpwardRounding&) = delete;
  UpwardRounding& operator=(const UpwardRounding&) = delete;
  static void verify() {
    if (std::fegetround() != FE_UPWARD)
      throw std::logic_error("double-interval enclosure: the floating-point rounding mode was changed during the "
                             "computation (expected upward); the enclosure is not returned");
  }

 private:
  bi::save_state<UpwardArith> saved_;  // saves the mode and sets upward (init()); restores it when destroyed
};

template <>
struct TaskRounding<DoubleInterval> {
  TaskRounding() = default;
  ~TaskRounding() noexcept(false) {
    if (std::uncaught_exceptions() == 0) UpwardRounding::verify();
  }
  UpwardRounding upward;
};

template <>
inline constexpr bool estimates_error_v<DoubleInterval> = false;

template <>
struct Square<DoubleInterval> {
  template <class E>
  static auto of(const E& e) {
    return e.unaryExpr([](const DoubleInterval& x) { return boost::numeric::square(x); });
  }
};

/// [lo, hi] with lo ≤ q ≤ hi, lo and hi neighbouring doubles (equal when q is a double). GMP truncates toward zero
/// with integer arithmetic and Rational(double) is exact, so the FPU's rounding mode plays no part. Throws
/// InputError naming `what` when |q| > DBL_MAX.
DoubleInterval outward(const Rational& q, const std::string& what) {
  static const Rational max_double(std::numeric_limits<double>::max());
  if (abs(q) > max_double)
    throw InputError(what + " = " + rational_to_decimal(q, 6) +
                     " is outside double's range, so the double-interval enclosure cannot hold it (use the MPFI "
                     "enclosure: superpose loss --certify)");
  const double t = mpq_get_d(q.backend().data());
  const Rational r(t);
  if (r == q) return DoubleInterval(t, t);
  if (r < q) return DoubleInterval(t, std::nextafter(t, std::numeric_limits<double>::infinity()));
  return DoubleInterval(std::nextafter(t, -std::numeric_limits<double>::infinity()), t);
}

template <>
DoubleInterval wide_from_rational<DoubleInterval>(const Rational& q) {
  return outward(q, "a moment of the law");
}

template <>
DoubleInterval abs_of<DoubleInterval>(const DoubleInterval& x) {
  return boost::numeric::abs(x);
}

/// The MPFI interval with the same (double) endpoints: exact, MPFI's precision holds every double.
Interval to_mpfi(const DoubleInterval& x, const char* what) {
  if (!std::isfinite(x.lower()) || !std::isfinite(x.upper()))
    throw PrecisionError(std::string("double-interval enclosure: ") + what +
                         " overflows double; use the MPFI enclosure (superpose loss --certify)");
  Interval out;
  mpfi_interv_d(out.backend().data(), x.lower(), x.upper());
  return out;
}

}  // namespace superpose::detail

namespace Eigen {
template <>
struct NumTraits<superpose::detail::DoubleInterval> {
  using Real = superpose::detail::DoubleInterval;
  using NonInteger = Real;
  using Nested = Real;
  using Literal = Real;
  enum { IsComplex = 0, IsInteger = 0, IsSigned = 1, RequireInitialization = 1, ReadCost = 2, AddCost = 4, MulCost = 8 };
  static int digits10() { return 15; }
  static Real epsilon() { return Real(std::numeric_limits<double>::epsilon()); }
  static Real dummy_precision() { return Real(1e-12); }
  static Real highest() { return Real(std::numeric_limits<double>::max()); }
  static Real lowest() { return Real(std::numeric_limits<double>::lowest()); }
};
namespace internal {
// boost::numeric::interval has a converting constructor from any type, so every Eigen expression would pass for a
// scalar in `expression * expression` (an ambiguous overload): only the interval itself is a scalar here.
template <class T>
struct promote_scalar_arg<superpose::detail::DoubleInterval, T, false> {};
}  // namespace internal
}  // namespace Eigen

namespace superpose {

using detail::DoubleInterval;

struct FastGainEncloser::Impl {
  int m = 0;
  int threads = 0;
  Matrix<DoubleInterval> W;
  Vector<DoubleInterval> diag;
  Matrix<DoubleInterval> off;

  void build() {
    detail::UpwardRounding upward;
    detail::power_sums(W, m, threads, diag, off);
    detail::UpwardRounding::verify();
  }
};

FastGainEncloser::FastGainEncloser(const Matrix<Rational>& Wq, int m, int threads) : impl_(std::make_unique<Impl>()) {
  check_power(m);
  detail::check_weights(Wq);
  impl_->m = m;
  impl_->threads = threads;
  impl_->W.resize(Wq.rows(), Wq.cols());
  for (Eigen::Index j = 0; j < Wq.cols(); ++j)
    for (Eigen::Index k = 0; k < Wq.rows(); ++k)
      impl_->W(k, j) = detail::outward(Wq(k, j), "W(" + std::to_string(k + 1) + "," + std::to_string(j + 1) + ")");
  impl_->build();
}

FastGainEncloser::FastGainEncloser(const Matrix<double>& W, int m, int threads) : impl_(std::make_unique<Impl>()) {
  check_power(m);
  detail::check_weights(W);
  impl_->m = m;
  impl_->threads = threads;
  impl_->W = W.unaryExpr([](double x) { return DoubleInterval(x, x); });
  impl_->build();
}

FastGainEncloser::~FastGainEncloser() = default;
FastGainEncloser::FastGainEncloser(FastGainEncloser&&) noexcept = default;
FastGainEncloser& FastGainEncloser::operator=(FastGainEncloser&&) noexcept = default;

GainEnclosure FastGainEncloser::at(const Law& law, const Rational& p) const {
  check_probability(p);
  const Impl& s = *impl_;
  const int m = s.m;
  const Eigen::Index n = s.diag.size(), d = s.W.rows();
  const DoubleInterval pi = detail::outward(p, "--p");
  std::vector<DoubleInterval> Ci(n), Di(n);
  std::vector<Eigen::Index> conv_rows;
  {
    detail::UpwardRounding upward;
    const detail::Binomials<DoubleInterval> binom(2 * m);  // integers below 2^53: exact
    const detail::CoordinateLaw<DoubleInterval> x(law, pi, m, binom);
    const int nt = detail::engine_threads(s.threads, n, d);
    // The cumulant route for every row; a row whose C_i or D_i comes out wider than kFastRowWidth (relative) is
    // redone by moment convolution, whose terms are all >= 0.
    std::vector<char> wide(n, 0);
    const Eigen::Index chunk = 256, nc = (n + chunk - 1) / chunk;
    detail::parallel_for(nc, nt, [&](Eigen::Index c) {
      const detail::TaskRounding<DoubleInterval> rounding;
      detail::CumulantRow<DoubleInterval> row(m, binom, x);
      for (Eigen::Index i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) {
        row.run(s.diag(i), [&](int k) { return s.off(i, k - 1); }, false);
        Ci[i] = row.fin.C;
        Di[i] = row.fin.D;
        auto too_wide = [](const DoubleInterval& v) {
          return !(v.lower() >= 0) || boost::numeric::width(v) > kFastRowWidth * v.upper();
        };
        wide[i] = too_wide(Ci[i]) || too_wide(Di[i]);
      }
    });
    for (Eigen::Index i = 0; i < n; ++i)
      if (wide[i]) conv_rows.push_back(i);
    detail::parallel_for(static_cast<Eigen::Index>(conv_rows.size()), nt, [&](Eigen::Index r) {
      const detail::TaskRounding<DoubleInterval> rounding;
      const Eigen::Index i = conv_rows[r];
      Vector<DoubleInterval> col(n);
      for (Eigen::Index j = 0; j < n; ++j) {
        DoubleInterval a(0);
        for (Eigen::Index k = 0; k < d; ++k) a += s.W(k, i) * s.W(k, j);
        col(j) = a;
      }
      detail::ConvolutionRow<DoubleInterval> row(m, binom, x);
      row.run(col.data(), n, i, false, static_cast<DoubleInterval*>(nullptr));
      Ci[i] = row.fin.C;
      Di[i] = row.fin.D;
    });
    detail::UpwardRounding::verify();
  }
  // The sums in MPFI (exact endpoints, outward), in row order.
  GainEnclosure e;
  e.C = Interval(0);
  e.D = Interval(0);
  for (Eigen::Index i = 0; i < n; ++i) {
    e.C += detail::to_mpfi(Ci[i], "C");
    e.D += detail::to_mpfi(Di[i], "D");
  }
  e.gain = Interval(2) * e.C - e.D;
  e.zero_loss = interval_from_rational(p * Rational(static_cast<long>(n)) * law.moment(2));
  e.loss = e.zero_loss - e.gain;
  e.convolution_rows = static_cast<int>(conv_rows.size());
  return e;
}

GainEnclosure enclose_gain_fast(const Matrix<Rational>& W, int m, const Law& law, const Rational& p, int threads) {
  return FastGainEncloser(W, m, threads).at(law, p);
}

}  // namespace superpose
