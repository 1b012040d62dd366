// The engine in double, MPFR-50 and MPFR-100 against the checked-in 100-digit reference table
// tests/data/gain_reference.ipp (generated from exact rationals by tests/tools/make_reference.cpp).
// Tolerances in relative terms: C and D to 1e-13 (double), 1e-45 (50 digits), 1e-95 (100 digits); the gain to
// the same tolerances times its condition scale (2|C| + |D|)/|gain|.
#define BOOST_TEST_MODULE reference
#include <boost/test/unit_test.hpp>

#include "theory/theory.hpp"

using namespace superpose;

namespace {

struct Row {
  const char *law;
  int m;
  const char *p;
  int d, n;
  const char *W, *C, *D, *gain;
};

const Row kTable[] = {
#include "tests/data/gain_reference.ipp"
};

template <class T>
void check(double tol) {
  int rows = 0;
  for (const Row& r : kTable) {
    Law law = Law::parse(r.law);
    auto fields = split(r.W, ',');
    BOOST_REQUIRE(static_cast<int>(fields.size()) == r.d * r.n);
    Matrix<T> W(r.d, r.n);
    for (int i = 0; i < r.d; ++i)
      for (int j = 0; j < r.n; ++j) W(i, j) = from_rational<T>(parse_rational(fields[i * r.n + j], "W"));
    Evaluation<T> ev = evaluate(W, r.m, law, from_rational<T>(parse_rational(r.p, "p")));
    const Real100 C(r.C), D(r.D), gain(r.gain);
    BOOST_TEST_INFO(r.law << " m=" << r.m << " p=" << r.p);
    BOOST_TEST(static_cast<double>(abs(Real100(ev.C) - C) / abs(C)) < tol);
    BOOST_TEST(static_cast<double>(abs(Real100(ev.D) - D) / abs(D)) < tol);
    BOOST_TEST(static_cast<double>(abs(Real100(ev.gain) - gain) / (2 * abs(C) + abs(D))) < tol);
    ++rows;
  }
  BOOST_TEST(rows == 80);
}

}  // namespace

BOOST_AUTO_TEST_CASE(double_to_13_digits) { check<double>(1e-13); }
BOOST_AUTO_TEST_CASE(mpfr50_to_45_digits) { check<Real50>(1e-45); }
BOOST_AUTO_TEST_CASE(mpfr100_to_95_digits) { check<Real100>(1e-95); }
