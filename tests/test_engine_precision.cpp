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

// The largest accepted power, m = 7, including a row with one dominant diagonal entry (the hard case of
// docs/theory.md §2.6). Held to 1e-11 (double) and 1e-43 (MPFR-50).
BOOST_AUTO_TEST_CASE(largest_power_m7) {
  std::mt19937_64 rng(8);
  for (const char* law_name : {"rademacher", "uniform", "gaussian", "laplace"})
    for (int hard : {0, 1})
      for (const char* p_text : {"1/100", "1/2", "1"}) {
        const int m = 7;
        Law law = Law::parse(law_name);
        Matrix<Rational> W = test::random_rational_weights(3, 12, rng);
        if (hard) {  // column 0 nearly alone: A_00 = 0.9^2 dominates its row
          W.col(0) << Rational(9, 10), 0, 0;
          for (int j = 1; j < 12; ++j) W.col(j) /= 20;
        }
        Rational p = parse_rational(p_text, "p");
        Evaluation<Rational> exact = evaluate(W, m, law, p);
        Evaluation<double> a = evaluate(test::convert<double>(W), m, law, from_rational<double>(p));
        Evaluation<Real50> b = evaluate(test::convert<Real50>(W), m, law, from_rational<Real50>(p));
        BOOST_TEST_INFO(law_name << " m=" << m << " p=" << p_text);
        BOOST_TEST_INFO("hard=" << hard);
        BOOST_TEST(test::rel_err(a.D, exact.D) < 1e-11);
        BOOST_TEST(test::rel_err(a.C, exact.C) < 1e-11);
        BOOST_TEST(test::rel_err(b.D, exact.D) < 1e-43);
        BOOST_TEST(test::rel_err(b.C, exact.C) < 1e-43);
      }
  BOOST_CHECK_THROW(check_power(9), InputError);
}
