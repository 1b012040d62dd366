// Certified very sparse limits at finite n (verify/certify.cpp, docs/theory.md §5.8): the Gegenbauer basis and the
// exact nonnegativity test against hand-made cases, the LP bound against independent values (1 at n = 1, F*(d,m) at
// the design size, n equally spaced lines for d = 2 from a numerical trigonometric sum), lower ≤ upper, every
// certificate re-verified, corrupted certificates rejected.
#define BOOST_TEST_MODULE certify
#include <boost/test/unit_test.hpp>

#include "verify/verify.hpp"

#include <boost/math/constants/constants.hpp>

using namespace superpose;

namespace {

using Poly = std::vector<Rational>;

OptimizeOptions few_starts() {
  OptimizeOptions o;
  o.starts = 4;
  return o;
}

FstarCertificate make_certificate(int d, int m, int n) {
  FstarCertificate c;
  c.d = d;
  c.m = m;
  c.n = n;
  const LpUpper up = lp_upper_bound(d, m, n);
  c.f = up.f;
  c.upper = up.value;
  c.lower = exact_lower_bound(d, m, n, few_starts());
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gegenbauer_basis_is_chebyshev_for_d2_and_legendre_for_d3) {
  const auto T = gegenbauer_polynomials(2, 4);
  BOOST_TEST((T[4] == Poly{1, 0, -8, 0, 8}));  // T_4 = 8t^4 − 8t^2 + 1
  const auto P = gegenbauer_polynomials(3, 3);
  BOOST_TEST((P[2] == Poly{Rational(-1, 2), 0, Rational(3, 2)}));  // P_2 = (3t^2 − 1)/2
  BOOST_TEST((P[3] == Poly{0, Rational(-3, 2), 0, Rational(5, 2)}));
  for (int d : {2, 3, 5, 10}) {
    const auto G = gegenbauer_polynomials(d, 12);
    for (const Poly& g : G) {
      Rational at1 = 0;
      for (const Rational& c : g) at1 += c;
      BOOST_TEST(at1 == 1);  // normalised G_k(1) = 1
    }
  }
  BOOST_CHECK_THROW(gegenbauer_polynomials(1, 3), InputError);
}

BOOST_AUTO_TEST_CASE(exact_nonnegativity_on_an_interval) {
  const Rational a(-1), b(1);
  BOOST_TEST(polynomial_nonnegative(Poly{Rational(1, 4), -1, 1}, a, b));    // (t − 1/2)^2
  BOOST_TEST(!polynomial_nonnegative(Poly{Rational(-1, 4), 1, -1}, a, b));  // −(t − 1/2)^2
  BOOST_TEST(!polynomial_nonnegative(Poly{0, 1}, a, b));                    // t on [−1, 1]
  BOOST_TEST(polynomial_nonnegative(Poly{0, 1}, Rational(0), b));           // t on [0, 1]: root at the end point
  BOOST_TEST(!polynomial_nonnegative(Poly{0, 0, 0, 1}, a, b));              // t^3
  // (t^2 − 1/4)^2·(1 − t): double roots at ±1/2, a simple root at the end point 1.
  const Poly q{Rational(1, 16), Rational(-1, 16), Rational(-1, 2), Rational(1, 2), 1, -1};
  BOOST_TEST(polynomial_nonnegative(q, a, b));
  Poly minus_q = q;
  for (Rational& c : minus_q) c = -c;
  BOOST_TEST(!polynomial_nonnegative(minus_q, a, b));  // the simple root at the end point b flips no sign inside
  // (t − 1/2)^2·(t − 3/4) changes sign at 3/4 only: negative on [−1, 3/4), nonnegative on [3/4, 1].
  const Poly cubic{Rational(-3, 16), Rational(1, 1), Rational(-7, 4), 1};  // (t − 1/2)^2 (t − 3/4)
  BOOST_TEST(!polynomial_nonnegative(cubic, a, b));
  BOOST_TEST(polynomial_nonnegative(cubic, Rational(3, 4), b));
  BOOST_TEST(polynomial_nonnegative(Poly{}, a, b));
}

BOOST_AUTO_TEST_CASE(lp_bound_is_one_at_n_1_and_f_star_at_the_design_size) {
  for (int d : {2, 3, 4})
    for (int m : {3, 5}) {
      BOOST_TEST_INFO("d=" << d << " m=" << m);
      BOOST_TEST(lp_upper_bound(d, m, 1).value == 1);
      // F*_n = F*(d,m) for n ≥ C(d+2m−1, 2m) (Proposition 5.4), and the bound never exceeds F* (f = t^2m).
      const int design = static_cast<int>(numerator(sym_dim(d, 2 * m)));
      BOOST_TEST(lp_upper_bound(d, m, design).value == f_star(d, m));
      BOOST_TEST(lp_upper_bound(d, m, 100000).value == f_star(d, m));
    }
}

BOOST_AUTO_TEST_CASE(lp_bound_grows_with_n_towards_f_star) {
  for (int d : {3, 4}) {
    Rational prev = 0;
    for (int n = 1; n <= 12; ++n) {
      const Rational v = lp_upper_bound(d, 3, n).value;
      BOOST_TEST_INFO("d=" << d << " n=" << n << " bound " << v);
      BOOST_TEST(v >= prev);
      BOOST_TEST(v <= f_star(d, 3));
      BOOST_TEST(v <= n);  // F ≤ rank Ã ≤ n, and f = 0 gives exactly n
      prev = v;
    }
  }
}

BOOST_AUTO_TEST_CASE(d2_lp_bound_equals_n_equally_spaced_lines) {
  // Independent value: F of n lines at angles jπ/n is n / Σ_{j<n} cos^{2m}(πj/n), summed numerically in MPFR-100.
  const Real100 pi = boost::math::constants::pi<Real100>();
  for (int m : {3, 5})
    for (int n = 1; n <= m + 1; ++n) {
      Real100 s = 0;
      for (int j = 0; j < n; ++j) s += pow(cos(pi * j / n), 2 * m);
      const Real100 lines = Real100(n) / s;
      const LpUpper up = lp_upper_bound(2, m, n);
      BOOST_TEST_INFO("m=" << m << " n=" << n << " bound " << up.value << " (" << up.method << ")");
      BOOST_TEST(abs(Real100(up.value) - lines) < Real100("1e-80"));
      BOOST_TEST(equally_spaced_lines_ratio(n, m) == up.value);
      OptimizeOptions none;
      none.starts = 0;
      const ExactLower lo = exact_lower_bound(2, m, n, none);
      BOOST_TEST(lo.value == up.value);  // proved: F*_n(2, m) = that fraction
    }
}

BOOST_AUTO_TEST_CASE(lower_below_upper_and_certificates_verify) {
  for (int d : {2, 3, 4})
    for (int n : {1, 2, 5}) {
      const FstarCertificate c = make_certificate(d, 3, n);
      BOOST_TEST_INFO("d=" << d << " n=" << n << " lower " << c.lower.value << " upper " << c.upper);
      BOOST_TEST(c.lower.value <= c.upper);
      const std::string json = certificate_to_json(c);
      BOOST_TEST(check_certificate(parse_certificate(json, "t"), c.proved() ? "proved" : "bracketed") == "");
      if (n <= d) BOOST_TEST(c.proved());  // F*_n = n for n ≤ d: orthonormal columns and f = 0
    }
}

BOOST_AUTO_TEST_CASE(corrupted_certificates_are_rejected) {
  const FstarCertificate good = make_certificate(3, 3, 5);
  BOOST_REQUIRE(check_certificate(good) == "");
  BOOST_REQUIRE(good.lower.kind == "weights");
  {
    FstarCertificate c = good;  // one coefficient changed
    size_t k = 0;
    while (k + 1 < c.f.size() && c.f[k] == 0) ++k;
    c.f[k] += Rational(1, 1000);
    BOOST_TEST(check_certificate(c) != "");
  }
  {
    FstarCertificate c = good;  // f_2 made negative
    c.f[2] = Rational(-1, 100);
    BOOST_TEST(check_certificate(c).find("negative") != std::string::npos);
  }
  {
    FstarCertificate c = good;  // one W entry changed
    c.lower.W(0, 0) += Rational(1, 7);
    BOOST_TEST(check_certificate(c).find("F(W)") != std::string::npos);
  }
  {
    FstarCertificate c = good;  // a lower bound above the upper bound
    c.lower.value = c.upper + 1;
    c.lower.ratio = c.lower.value;
    BOOST_TEST(check_certificate(c) != "");
  }
  BOOST_TEST(check_certificate(good, "proved") == (good.proved() ? "" : "status 'proved' but lower != upper"));
  BOOST_CHECK_THROW(parse_certificate("{", "x"), InputError);
  BOOST_CHECK_THROW(parse_certificate("{\"format\": \"superpose-fstar-certificate-1\", \"d\": 1}", "x"), InputError);
}
