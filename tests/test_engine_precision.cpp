// double, MPFR-50 and MPFR-100 evaluations against the exact rational value of the same W and p.
// Tolerances: relative error of C and D below 1e-13 (double), 1e-45 (50 digits), 1e-95 (100 digits); the gain,
// a difference 2C - D, is held to the same tolerances relative to its condition scale 2|C| + |D|.
#define BOOST_TEST_MODULE engine_precision
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

using namespace superpose;

namespace superpose {
// p is converted from the user's decimal text directly, as the CLI does.
template <class T>
T parse_as(const char* text) {
  return from_rational<T>(parse_rational(text, "p"));
}
}  // namespace superpose

namespace {

template <class T>
void check_type(double tol) {
  std::mt19937_64 rng(7);
  int cases = 0;
  for (const char* law_name : {"rademacher", "gaussian", "uniform", "laplace", "discrete:1/2:1,2:3"})
    for (int m : {1, 3, 5})
      for (int n : {3, 17, 60})
        for (const char* p_text : {"1e-6", "1/100", "1/3", "1"}) {
          Law law = Law::parse(law_name);
          Matrix<Rational> W = test::random_rational_weights(n < 10 ? 2 : 4, n, rng);
          Rational p = parse_rational(p_text, "p");
          Evaluation<Rational> exact = evaluate(W, m, law, p);
          Evaluation<T> approx = evaluate(test::convert<T>(W), m, law, parse_as<T>(p_text));
          BOOST_TEST_INFO(law_name << " m=" << m << " n=" << n << " p=" << p_text);
          BOOST_TEST(test::rel_err(approx.C, exact.C) < tol);
          BOOST_TEST(test::rel_err(approx.D, exact.D) < tol);
          Rational scale = abs(Rational(2) * exact.C) + abs(exact.D);
          BOOST_TEST(static_cast<double>(abs(Real100(approx.gain) - Real100(exact.gain)) / Real100(scale)) < tol);
          ++cases;
        }
  BOOST_TEST(cases == 5 * 3 * 3 * 4);
}

}  // namespace

BOOST_AUTO_TEST_CASE(double_within_1e_13) { check_type<double>(1e-13); }
BOOST_AUTO_TEST_CASE(mpfr50_within_1e_45) { check_type<Real50>(1e-45); }
BOOST_AUTO_TEST_CASE(mpfr100_within_1e_95) { check_type<Real100>(1e-95); }

// Large powers up to kMaxPower, including a row with one dominant diagonal entry and rows dominated by one
// off-diagonal entry (where the cumulant recursion cancels and the engine must switch to moment convolution).
// Held to the engine's contract: 1e-12 (double) and 1e-45 (MPFR-50) relative for C and D, against exact rationals.
BOOST_AUTO_TEST_CASE(large_powers_to_contract) {
  std::mt19937_64 rng(8);
  int convolution_cases = 0;
  for (const char* law_name : {"rademacher", "uniform", "gaussian", "laplace", "discrete:1:100,20:1"})
    for (int m : {7, 9, 11, 15, 21})
      for (int hard : {0, 1, 2})
        for (const char* p_text : {"1/100", "1/2", "1"}) {
          Law law = Law::parse(law_name);
          Matrix<Rational> W = test::random_rational_weights(3, 12, rng);
          if (hard == 1) {  // column 0 nearly alone: A_00 = 0.9^2 dominates its row
            W.col(0) << Rational(9, 10), 0, 0;
            for (int j = 1; j < 12; ++j) W.col(j) /= 20;
          } else if (hard == 2) {  // columns 0 and 1 nearly parallel and large: A_01 dominates rows 0 and 1
            W /= 10;
            W.col(0) << 1, Rational(1, 8), 0;
            W.col(1) << 1, 0, Rational(1, 8);
          }
          Rational p = parse_rational(p_text, "p");
          Evaluation<Rational> exact = evaluate(W, m, law, p);
          Evaluation<double> a = evaluate(test::convert<double>(W), m, law, from_rational<double>(p));
          Evaluation<Real50> b = evaluate(test::convert<Real50>(W), m, law, from_rational<Real50>(p));
          BOOST_TEST_INFO(law_name << " m=" << m << " p=" << p_text << " hard=" << hard);
          BOOST_TEST(test::rel_err(a.D, exact.D) < 1e-12);
          BOOST_TEST(test::rel_err(a.C, exact.C) < 1e-12);
          BOOST_TEST(test::rel_err(b.D, exact.D) < 1e-45);
          BOOST_TEST(test::rel_err(b.C, exact.C) < 1e-45);
          // The error estimate covers the error.
          BOOST_TEST(test::rel_err(a.D, exact.D) <= std::max(a.rel_error, 1e-15));
          BOOST_TEST(test::rel_err(a.C, exact.C) <= std::max(a.rel_error, 1e-15));
          convolution_cases += a.convolution_rows > 0;
        }
  BOOST_TEST_MESSAGE(convolution_cases << " cases used the moment-convolution route");
  BOOST_TEST(convolution_cases > 0);  // both routes are exercised
  BOOST_CHECK_NO_THROW(check_power(kMaxPower));
  BOOST_CHECK_THROW(check_power(kMaxPower + 2), InputError);
  BOOST_CHECK_THROW(check_power(2), InputError);
}

// The gradient of both routes against the exact rational gradient (the Rational engine takes the cumulant route
// everywhere, exactly), at large m and p = 1 where double rows switch to convolution.
BOOST_AUTO_TEST_CASE(gradient_of_both_routes_against_exact) {
  std::mt19937_64 rng(9);
  for (const char* law_name : {"rademacher", "laplace", "gaussian"})
    for (int m : {3, 9, 21})
      for (const char* p_text : {"1/1000", "1"}) {
        Law law = Law::parse(law_name);
        Matrix<Rational> W = test::random_rational_weights(3, 9, rng) / 4;
        W.col(0) << 1, Rational(1, 8), 0;
        W.col(1) << 1, 0, Rational(1, 8);
        Rational p = parse_rational(p_text, "p");
        Evaluation<Rational> exact = evaluate(W, m, law, p, true);
        Evaluation<double> a = evaluate(test::convert<double>(W), m, law, from_rational<double>(p), true);
        Real100 num = 0, den = 0;
        for (Eigen::Index k = 0; k < W.size(); ++k) {
          const Real100 e(exact.grad.data()[k]);
          num += (Real100(a.grad.data()[k]) - e) * (Real100(a.grad.data()[k]) - e);
          den += e * e;
        }
        BOOST_TEST_INFO(law_name << " m=" << m << " p=" << p_text << " convolution rows " << a.convolution_rows);
        BOOST_TEST(static_cast<double>(sqrt(num / den)) < 1e-11);
      }
}

// Several tiles (n > kEngineTile), several threads: the result is the exact value to the contract, and it is the
// same bit for bit whatever the thread count.
BOOST_AUTO_TEST_CASE(tiled_and_threaded_results_do_not_depend_on_threads) {
  std::mt19937_64 rng(10);
  const int d = 6, n = 2 * kEngineTile + 37;
  Matrix<Rational> Wq = test::random_rational_weights(d, n, rng) / 8;
  Law law = Law::parse("gaussian");
  Rational p(1, 50);
  Evaluation<Rational> exact = evaluate(Wq, 3, law, p);
  const Matrix<double> W = test::convert<double>(Wq);
  Evaluation<double> one = evaluate(W, 3, law, 0.02, true, 1);
  BOOST_TEST(test::rel_err(one.C, exact.C) < 1e-12);
  BOOST_TEST(test::rel_err(one.D, exact.D) < 1e-12);
  for (int threads : {2, 3, 5}) {
    Evaluation<double> t = evaluate(W, 3, law, 0.02, true, threads);
    BOOST_TEST(t.C == one.C);
    BOOST_TEST(t.D == one.D);
    BOOST_TEST((t.grad.array() == one.grad.array()).all());
  }
}

// Values outside double's range are refused with PrecisionError (never printed as inf, NaN or 0), and MPFR-50
// computes them.
BOOST_AUTO_TEST_CASE(out_of_range_values_are_refused_in_double) {
  Matrix<double> W(1, 2);
  W << 1e200, 1e200;
  BOOST_CHECK_THROW(evaluate(W, 3, Law::parse("rademacher"), 0.1), PrecisionError);
  Matrix<double> tiny(1, 2);
  tiny << 1e-60, 1e-60;
  BOOST_CHECK_THROW(evaluate(tiny, 3, Law::parse("rademacher"), 0.1), PrecisionError);
  Matrix<double> one = Matrix<double>::Ones(1, 2);
  BOOST_CHECK_THROW(evaluate(one, 3, Law::parse("discrete:1e200:1"), 0.1), PrecisionError);
  BOOST_CHECK_THROW(evaluate(one, 3, Law::parse("discrete:1e-400:1"), 0.1), PrecisionError);
  BOOST_CHECK_THROW(evaluate(one, 3, Law::parse("rademacher"), 1e-320), PrecisionError);
  Matrix<Real50> W50(1, 2);
  W50 << Real50("1e200"), Real50("1e200");
  Evaluation<Real50> e = evaluate(W50, 3, Law::parse("rademacher"), Real50("0.1"));
  BOOST_TEST(boost::multiprecision::isfinite(e.gain));
}
