// Certified enclosures (theory/theory.hpp, enclose_gain): every interval contains the exact rational value of the
// same W and p (computed by the Rational engine), for every law, and is tight to at least 30 digits for C and D.
#define BOOST_TEST_MODULE enclosure
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

using namespace superpose;

namespace {

void check_contains(const Interval& x, const Rational& exact, const char* what) {
  BOOST_TEST_INFO(what);
  BOOST_TEST(interval_compare(x, exact) == 0);
  // The outward-rounded decimals, read back exactly, still bracket the exact value.
  const auto [lo, hi] = interval_to_decimal(x, 35);
  BOOST_TEST(parse_rational(lo, "lo") <= exact);
  BOOST_TEST(parse_rational(hi, "hi") >= exact);
}

}  // namespace

BOOST_AUTO_TEST_CASE(enclosures_contain_the_exact_value_for_every_law) {
  std::mt19937_64 rng(11);
  int cases = 0;
  for (const char* law_name : {"rademacher", "gaussian", "uniform", "laplace", "discrete:1/2:1,2:3", "discrete:1:100,20:1"})
    for (int m : {1, 3, 5, 9})
      for (const char* p_text : {"1e-6", "1/3", "1"}) {
        const Law law = Law::parse(law_name);
        const Matrix<Rational> W = test::random_rational_weights(3, 7, rng);
        const Rational p = parse_rational(p_text, "p");
        const Evaluation<Rational> exact = evaluate(W, m, law, p);
        const GainEnclosure e = enclose_gain(W, m, law, p);
        BOOST_TEST_INFO(law_name << " m=" << m << " p=" << p_text);
        check_contains(e.C, exact.C, "C");
        check_contains(e.D, exact.D, "D");
        check_contains(e.gain, exact.gain, "gain");
        check_contains(e.loss, exact.loss, "loss");
        BOOST_TEST(interval_digits(e.C) >= 50);
        BOOST_TEST(interval_digits(e.D) >= 50);
        ++cases;
      }
  BOOST_TEST(cases == 6 * 4 * 3);
}

// At the README's setting (d = 2, n = 4, m = 3, rademacher, p = 1e-4, four lines 45° apart written to 50 digits)
// the gain's enclosure is tight to at least 30 digits.
BOOST_AUTO_TEST_CASE(tight_at_the_default_setting) {
  Matrix<Rational> W(2, 4);
  const char* c = "0.70710678118654752440084436210484903928483593768847";
  const Rational a = parse_rational(c, "c");
  W << 1, a, 0, -a, 0, a, 1, a;
  const Rational p = parse_rational("1e-4", "p");
  const GainEnclosure e = enclose_gain(W, 3, Law::parse("rademacher"), p);
  BOOST_TEST(interval_digits(e.gain) >= 30);
  BOOST_TEST(interval_compare(e.gain, evaluate(W, 3, Law::parse("rademacher"), p).gain) == 0);
}

BOOST_AUTO_TEST_CASE(comparisons_with_rationals_are_certified) {
  const Interval x = interval_from_rational(Rational(1, 3));
  BOOST_TEST(interval_compare(x, Rational(1, 3)) == 0);
  BOOST_TEST(interval_compare(x, Rational(333333, 1000000)) == 1);
  BOOST_TEST(interval_compare(x, Rational(333334, 1000000)) == -1);
}
