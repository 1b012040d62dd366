// Double-interval enclosures (theory/theory.hpp, FastGainEncloser): every interval contains the exact rational
// value of the same W, p and law (the engine's Rational instantiation), for every law and both routes of the engine;
// it contains the MPFI enclosure's midpoint and is narrow at a moderate n; its rounding really is outward, whatever
// rounding mode the caller left set.
#define BOOST_TEST_MODULE double_interval
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

#include <cfenv>

using namespace superpose;

namespace {

// lo <= exact <= hi, read from the MPFI interval's (double) endpoints exactly.
bool contains(const Interval& x, const Rational& exact) { return interval_compare(x, exact) == 0; }

// The endpoints of x as exact rationals (MPFR's mpfr_get_q).
std::pair<Rational, Rational> ends(const Interval& x) {
  mpfr_t e;
  mpfr_init2(e, mpfi_get_prec(x.backend().data()));
  Rational lo, hi;
  mpfi_get_left(e, x.backend().data());
  mpfr_get_q(lo.backend().data(), e);
  mpfi_get_right(e, x.backend().data());
  mpfr_get_q(hi.backend().data(), e);
  mpfr_clear(e);
  return {lo, hi};
}
Rational lo(const Interval& x) { return ends(x).first; }
Rational hi(const Interval& x) { return ends(x).second; }
Rational mid(const Interval& x) { return (lo(x) + hi(x)) / 2; }

// Relative width (hi − lo)/|mid|.
double rel_width(const Interval& x) {
  return static_cast<double>(Real50(Rational((hi(x) - lo(x)) / abs(mid(x)))));
}

Matrix<Rational> exact_of(const Matrix<double>& W) {
  Matrix<Rational> out(W.rows(), W.cols());
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) out(i, j) = Rational(W(i, j));
  return out;
}

}  // namespace

// Small d, n, m, every law, both the cumulant route (sparse p) and the convolution route (dense p, heavy tails):
// the enclosure of C, D, the gain and the loss holds the exact rational value. W has entries k/q that are not
// doubles (enclosed by their neighbours) and, in the second half, double entries taken at their exact value.
BOOST_AUTO_TEST_CASE(contains_the_exact_gain_for_every_law) {
  std::mt19937_64 rng(23);
  int cases = 0, conv_cases = 0, cumulant_cases = 0;
  for (const char* law_name : {"gaussian", "rademacher", "uniform", "laplace", "discrete:1:100,20:1"})
    for (int m : {1, 3, 9})
      for (const char* p_text : {"1e-5", "0.3", "1"})
        for (bool rational_entries : {true, false}) {
          const Law law = Law::parse(law_name);
          const Matrix<Rational> W = rational_entries ? test::random_rational_weights(3, 6, rng)
                                                      : exact_of(test::random_gaussian_weights(3, 6, 0.7, rng));
          const Rational p = parse_rational(p_text, "p");
          const Evaluation<Rational> exact = evaluate(W, m, law, p);
          const GainEnclosure e = enclose_gain_fast(W, m, law, p);
          BOOST_TEST_INFO(law_name << " m=" << m << " p=" << p_text << " rational entries " << rational_entries);
          BOOST_TEST(contains(e.C, exact.C));
          BOOST_TEST(contains(e.D, exact.D));
          BOOST_TEST(contains(e.gain, exact.gain));
          BOOST_TEST(contains(e.loss, exact.loss));
          // Every row is at most kFastRowWidth wide (relative), so C and D are too.
          BOOST_TEST(rel_width(e.C) < kFastRowWidth);
          BOOST_TEST(rel_width(e.D) < kFastRowWidth);
          (e.convolution_rows > 0 ? conv_cases : cumulant_cases)++;
          ++cases;
        }
  BOOST_TEST(cases == 5 * 3 * 3 * 2);
  // Both routes were exercised (the cumulant recursion widens at p = 1 for heavy tails and large m).
  BOOST_TEST(conv_cases > 0);
  BOOST_TEST(cumulant_cases > 0);
}

// A W built once and enclosed at several p gives the same intervals as one-shot enclosures (the cache of power
// sums is p-independent), and a Matrix<double> W is taken at its exact binary value.
BOOST_AUTO_TEST_CASE(cached_power_sums_serve_every_p) {
  std::mt19937_64 rng(5);
  const Matrix<double> Wd = test::random_gaussian_weights(4, 9, 0.5, rng);
  const Matrix<Rational> Wq = exact_of(Wd);
  const Law law = Law::parse("gaussian");
  const FastGainEncloser enc(Wd, 3, 1);
  for (const char* p_text : {"1e-4", "1/7", "0.9"}) {
    const Rational p = parse_rational(p_text, "p");
    const GainEnclosure a = enc.at(law, p), b = enclose_gain_fast(Wq, 3, law, p, 2);
    BOOST_TEST_INFO("p = " << p_text);
    BOOST_TEST(lo(a.gain) == lo(b.gain));
    BOOST_TEST(hi(a.gain) == hi(b.gain));
    BOOST_TEST(contains(a.gain, evaluate(Wq, 3, law, p).gain));
  }
}

// At d = 10, n = 300 (several tiles of the engine, two threads) the enclosure contains the midpoint of MPFI's
// 55-digit enclosure and is narrow: relative width below 1e-12 for C and D and below 1e-11 for the gain.
BOOST_AUTO_TEST_CASE(agrees_with_mpfi_and_is_narrow_at_moderate_n) {
  std::mt19937_64 rng(8);
  const Matrix<Rational> W = exact_of(test::random_gaussian_weights(10, 300, 0.3, rng));
  const Law law = Law::parse("rademacher");
  for (const char* p_text : {"0.001", "0.05"}) {
    const Rational p = parse_rational(p_text, "p");
    const GainEnclosure fast = enclose_gain_fast(W, 3, law, p, 2);
    const GainEnclosure mpfi = enclose_gain(W, 3, law, p, 2);
    BOOST_TEST_INFO("p = " << p_text);
    BOOST_TEST(interval_digits(mpfi.gain) >= 40);
    BOOST_TEST(contains(fast.gain, mid(mpfi.gain)));
    BOOST_TEST(contains(fast.C, mid(mpfi.C)));
    BOOST_TEST(contains(fast.D, mid(mpfi.D)));
    BOOST_TEST(rel_width(fast.C) < 1e-12);
    BOOST_TEST(rel_width(fast.D) < 1e-12);
    BOOST_TEST(rel_width(fast.gain) < 1e-11);
  }
}

// Outward rounding is really in force: W = one row of 0.1 (its double, exact binary value 3602879701896397/2^55)
// makes every product and sum inexact, so the round-to-nearest result differs from the exact value. An
// implementation that ignored the rounding mode would return a point (lo = hi) off the exact value; here the exact
// value lies strictly inside. The same holds whatever rounding mode the caller set, and that mode is restored.
BOOST_AUTO_TEST_CASE(rounding_is_outward_whatever_the_callers_mode) {
  const Matrix<double> Wd = Matrix<double>::Constant(1, 5, 0.1);
  const Matrix<Rational> Wq = exact_of(Wd);
  const Law law = Law::parse("uniform");
  const Rational p(1, 3);
  const Evaluation<Rational> exact = evaluate(Wq, 3, law, p);
  for (int mode : {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO}) {
    BOOST_TEST_INFO("caller's rounding mode " << mode);
    BOOST_REQUIRE(std::fesetround(mode) == 0);
    const GainEnclosure e = FastGainEncloser(Wd, 3, 1).at(law, p);
    BOOST_TEST(std::fegetround() == mode);
    std::fesetround(FE_TONEAREST);
    BOOST_TEST(interval_compare(e.C, exact.C) == 0);
    BOOST_TEST(lo(e.C) < exact.C);
    BOOST_TEST(hi(e.C) > exact.C);
    BOOST_TEST(lo(e.D) < exact.D);
    BOOST_TEST(hi(e.D) > exact.D);
    BOOST_TEST(contains(e.gain, exact.gain));
  }
}

// The same check on a bare sum: ten times 1/10 (the double 0.1 exceeds 1/10) in the engine's arithmetic, through a
// 1×10 W of entries 1/10 read as rationals (each enclosed by its two neighbouring doubles): the zero loss p·n·μ₂
// is exact and the Gram diagonal 10·(1/10)² = 1/10 is enclosed strictly.
BOOST_AUTO_TEST_CASE(inexact_rational_entries_are_enclosed_not_rounded) {
  const Matrix<Rational> W = Matrix<Rational>::Constant(1, 10, Rational(1, 10));
  const Law law = Law::parse("rademacher");
  const Rational p(1);
  const GainEnclosure e = enclose_gain_fast(W, 1, law, p);
  const Evaluation<Rational> exact = evaluate(W, 1, law, p);
  BOOST_TEST(lo(e.C) < exact.C);
  BOOST_TEST(hi(e.C) > exact.C);
  BOOST_TEST(contains(e.gain, exact.gain));
  BOOST_TEST(interval_compare(e.zero_loss, Rational(10)) == 0);
}

// Bad input is refused as for the other engines: an entry outside double's range names itself.
BOOST_AUTO_TEST_CASE(entries_outside_double_range_are_refused) {
  Matrix<Rational> W = Matrix<Rational>::Constant(2, 3, Rational(1));
  W(1, 2) = parse_rational("1e400", "w");
  try {
    enclose_gain_fast(W, 3, Law::parse("gaussian"), Rational(1, 10));
    BOOST_FAIL("no error for an entry of 1e400");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("W(2,3)") != std::string::npos);
  }
  BOOST_CHECK_THROW(enclose_gain_fast(W, 2, Law::parse("gaussian"), Rational(1, 10)), InputError);
  BOOST_CHECK_THROW(enclose_gain_fast(Matrix<Rational>::Ones(2, 2), 3, Law::parse("gaussian"), Rational(0)), InputError);
}
