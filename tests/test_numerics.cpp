// Exact parsing and formatting (numerics/numerics.hpp) against hand-written rationals.
#define BOOST_TEST_MODULE numerics
#include <boost/test/unit_test.hpp>

#include "numerics/numerics.hpp"

using namespace superpose;

BOOST_AUTO_TEST_CASE(parse_rational_is_exact) {
  BOOST_TEST(parse_rational("0.25", "x") == Rational(1, 4));
  BOOST_TEST(parse_rational("0.0825", "x") == Rational(33, 400));
  BOOST_TEST(parse_rational("00017", "x") == Rational(17));
  BOOST_TEST(parse_rational("-0.75", "x") == Rational(-3, 4));
  BOOST_TEST(parse_rational("1e-6", "x") == Rational(1, 1000000));
  BOOST_TEST(parse_rational("2.5E+3", "x") == Rational(2500));
  BOOST_TEST(parse_rational(" 3/7 ", "x") == Rational(3, 7));
  BOOST_TEST(parse_rational("0.5/0.25", "x") == Rational(2));
  BOOST_TEST(parse_rational("0", "x") == Rational(0));
  BOOST_TEST(parse_rational("0.000", "x") == Rational(0));
  for (const char* bad : {"", "nan", "inf", "-inf", "abc", "1/0", "1e", "1.2.3", "0x10", "--1"})
    BOOST_CHECK_THROW(parse_rational(bad, "x"), InputError);
}

BOOST_AUTO_TEST_CASE(conversion_and_formatting) {
  BOOST_TEST(from_rational<double>(Rational(1, 3)) == 1.0 / 3.0);  // round to nearest
  BOOST_TEST(from_rational<double>(Rational(2, 3)) == 2.0 / 3.0);
  BOOST_TEST(to_decimal(Rational(3, 7), 0) == "3/7");
  BOOST_TEST(to_decimal(from_rational<Real50>(Rational(1, 3)), 50) ==
             "0.33333333333333333333333333333333333333333333333333");
  BOOST_TEST(to_decimal(0.1, 16) == "0.1");
}
