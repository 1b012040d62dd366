// The engine in double, MPFR-50 and MPFR-100 against the checked-in 100-digit reference table
// tests/data/gain_reference.ipp: exact rationals computed by tests/tools/make_reference.py, which shares no code with
// the engine (moment convolution, cross-checked by brute-force enumeration and the m = 1 closed form).
// Tolerances in digits: C and D relative; the gain relative to its condition scale 2|C| + |D|.
//   double 1e-12, MPFR-50 1e-45, MPFR-100 1e-95.
#define BOOST_TEST_MODULE reference
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

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
// The generator's case count: a truncated or hand-edited table fails here.
constexpr int kTableRows = 228;

template <class T>
void check(double tol) {
  int compared = 0, skipped = 0;
  double worst[3] = {0, 0, 0};  // C, D, gain
  const Row* worst_row[3] = {nullptr, nullptr, nullptr};
  for (const Row& r : kTable) {
    if (r.m > kMaxPower) {  // the table may hold rows beyond the engine's limit; none today
      ++skipped;
      continue;
    }
    Law law = Law::parse(r.law);
    auto fields = split(r.W, ',');
    BOOST_REQUIRE(static_cast<int>(fields.size()) == r.d * r.n);
    Matrix<T> W(r.d, r.n);
    for (int i = 0; i < r.d; ++i)
      for (int j = 0; j < r.n; ++j) W(i, j) = from_rational<T>(parse_rational(fields[i * r.n + j], "W"));
    Evaluation<T> ev = evaluate(W, r.m, law, from_rational<T>(parse_rational(r.p, "p")));
    const Real100 C(r.C), D(r.D), gain(r.gain);
    const double err[3] = {static_cast<double>(abs(Real100(ev.C) - C) / abs(C)),
                           static_cast<double>(abs(Real100(ev.D) - D) / abs(D)),
                           static_cast<double>(abs(Real100(ev.gain) - gain) / (2 * abs(C) + abs(D)))};
    BOOST_TEST_INFO(r.law << " m=" << r.m << " p=" << r.p << " d=" << r.d << " n=" << r.n << " W=" << r.W);
    BOOST_TEST(err[0] < tol);
    BOOST_TEST(err[1] < tol);
    BOOST_TEST(err[2] < tol);
    // The engine's own error estimate must cover the error it made (else the precision it reports is a lie).
    const double floor = 4 * std::numeric_limits<double>::epsilon() * std::pow(10.0, 16 - std::max(16, digits_of<T>()));
    BOOST_TEST(err[0] <= std::max(ev.rel_error, floor));
    BOOST_TEST(err[1] <= std::max(ev.rel_error, floor));
    for (int k = 0; k < 3; ++k)
      if (!(err[k] <= worst[k])) worst[k] = err[k], worst_row[k] = &r;
    ++compared;
  }
  const char* names[3] = {"C", "D", "gain"};
  for (int k = 0; k < 3; ++k)
    if (worst_row[k])
      BOOST_TEST_MESSAGE("worst " << names[k] << " error " << worst[k] << " at " << worst_row[k]->law
                                  << " m=" << worst_row[k]->m << " p=" << worst_row[k]->p << " d=" << worst_row[k]->d
                                  << " n=" << worst_row[k]->n << " W=" << worst_row[k]->W);
  BOOST_TEST_MESSAGE(compared << " rows compared, " << skipped << " skipped (m > kMaxPower = " << kMaxPower << ")");
  BOOST_TEST(compared + skipped == kTableRows);
  BOOST_TEST(compared > 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(table_has_every_row) { BOOST_TEST(static_cast<int>(std::size(kTable)) == kTableRows); }
BOOST_AUTO_TEST_CASE(double_to_12_digits) { check<double>(1e-12); }
BOOST_AUTO_TEST_CASE(mpfr50_to_45_digits) { check<Real50>(1e-45); }
BOOST_AUTO_TEST_CASE(mpfr100_to_95_digits) { check<Real100>(1e-95); }
