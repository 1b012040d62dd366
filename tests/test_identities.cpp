// Identities and closed forms: m = 1, diagonal A, the m = 3 polynomial of docs/theory.md §2.4 (an independent
// formula), the gain polynomial in p, the first-order coefficient, F*(d,m), and tensor_rank_upper on 1000 W.
#define BOOST_TEST_MODULE identities
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

using namespace superpose;
using test::pw;

BOOST_AUTO_TEST_CASE(linear_model_gain_is_p_mu2_trace) {
  std::mt19937_64 rng(11);
  for (const char* law_name : {"gaussian", "laplace", "uniform"}) {
    Law law = Law::parse(law_name);
    Matrix<Rational> W = test::random_rational_weights(3, 7, rng);
    Matrix<Rational> A = test::gram(W);
    Rational p(2, 9);
    Rational tr = 0;
    for (int i = 0; i < 7; ++i) {
      tr += 2 * A(i, i);
      for (int j = 0; j < 7; ++j) tr -= A(i, j) * A(j, i);
    }
    BOOST_TEST(evaluate(W, 1, law, p).gain == p * law.moment(2) * tr);
  }
}

BOOST_AUTO_TEST_CASE(diagonal_A_gives_the_unsuperposed_formula) {
  // Orthogonal columns (A diagonal): gain = p * sum_i [2 mu_{m+1} A_ii^m - mu_{2m} A_ii^{2m}] (paper Eq. 9).
  Law law = Law::parse("laplace");
  Matrix<Rational> W = Matrix<Rational>::Zero(3, 5);
  W(0, 0) = Rational(1, 2);
  W(1, 2) = Rational(-3, 4);
  W(2, 4) = Rational(5, 4);
  for (int m : {1, 3, 5}) {
    Rational p(1, 5), expect = 0;
    for (int j : {0, 2, 4}) {
      Rational a = W(0, j) * W(0, j) + W(1, j) * W(1, j) + W(2, j) * W(2, j);
      expect += 2 * law.moment(m + 1) * pw(a, m) - law.moment(2 * m) * pw(a, 2 * m);
    }
    BOOST_TEST(evaluate(W, m, law, p).gain == p * expect);
  }
}

BOOST_AUTO_TEST_CASE(m3_matches_the_closed_polynomial_of_the_reference) {
  // C = sum_i [p mu4 A_ii^3 + 3 p^2 mu2^2 A_ii (q_i - A_ii^2)],
  // D = sum_i [p mu6 P3 + 15 p^2 mu4 mu2 (P2 P1 - P3) + 90 p^3 mu2^3 e3],  e3 = (P1^3 - 3 P1 P2 + 2 P3)/6.
  std::mt19937_64 rng(12);
  for (const char* law_name : {"rademacher", "gaussian", "uniform", "discrete:1/3:2,3/2:1"}) {
    Law law = Law::parse(law_name);
    Rational mu2 = law.moment(2), mu4 = law.moment(4), mu6 = law.moment(6);
    for (int n : {2, 5, 9}) {
      Matrix<Rational> W = test::random_rational_weights(2, n, rng);
      Matrix<Rational> A = test::gram(W);
      Rational p(3, 11), C = 0, D = 0;
      for (int i = 0; i < n; ++i) {
        Rational P1 = 0, P2 = 0, P3 = 0, a = A(i, i);
        for (int j = 0; j < n; ++j) {
          Rational s = A(i, j) * A(i, j);
          P1 += s;
          P2 += s * s;
          P3 += s * s * s;
        }
        C += p * mu4 * a * a * a + 3 * p * p * mu2 * mu2 * a * (P1 - a * a);
        Rational e3 = (P1 * P1 * P1 - 3 * P1 * P2 + 2 * P3) / 6;
        D += p * mu6 * P3 + 15 * p * p * mu4 * mu2 * (P2 * P1 - P3) + 90 * p * p * p * mu2 * mu2 * mu2 * e3;
      }
      Evaluation<Rational> ev = evaluate(W, 3, law, p);
      BOOST_TEST_INFO(law_name << " n=" << n);
      BOOST_TEST(ev.C == C);
      BOOST_TEST(ev.D == D);
    }
  }
}

BOOST_AUTO_TEST_CASE(gain_polynomial_reproduces_the_engine_and_its_first_coefficient) {
  std::mt19937_64 rng(13);
  for (int m : {1, 3, 5}) {
    Law law = Law::parse("gaussian");
    Matrix<Rational> W = test::random_rational_weights(2, 6, rng);
    std::vector<Rational> g = gain_polynomial(W, m, law);
    BOOST_REQUIRE(static_cast<int>(g.size()) == m);
    for (Rational p : {Rational(1, 7), Rational(2, 9), Rational(1)}) {
      Rational v = 0;
      for (int k = m; k >= 1; --k) v = (v + g[k - 1]) * p;
      BOOST_TEST(v == evaluate(W, m, law, p).gain);
    }
    // p^1 coefficient: 2 mu_{m+1} tr(A^{.m}) - mu_{2m} sum_ij A_ij^{2m} (one active feature; docs/theory.md §5).
    Matrix<Rational> A = test::gram(W);
    Rational tr = 0, tr2 = 0;
    for (int i = 0; i < 6; ++i) {
      tr += pw(A(i, i), m);
      for (int j = 0; j < 6; ++j) tr2 += pw(A(i, j), 2 * m);
    }
    BOOST_TEST(g[0] == 2 * law.moment(m + 1) * tr - law.moment(2 * m) * tr2);
    BOOST_TEST(first_order_ratio(W, m) == tr * tr / tr2);
  }
}

BOOST_AUTO_TEST_CASE(f_star_values) {
  BOOST_TEST(f_star(2, 3) == Rational(16, 5));
  BOOST_TEST(f_star(3, 3) == Rational(7));
  BOOST_TEST(f_star(4, 3) == Rational(64, 5));
  BOOST_TEST(f_star(3, 5) == Rational(11));
  BOOST_TEST(f_star(10, 3) == Rational(112));
  BOOST_TEST(f_star(15, 3) == Rational(323));
  BOOST_TEST(f_star(7, 1) == Rational(7));
  BOOST_TEST(sym_dim(10, 3) == Rational(220));
}

BOOST_AUTO_TEST_CASE(tensor_rank_and_split_upper_hold_for_1000_random_W) {
  std::mt19937_64 rng(14);
  const char* laws[] = {"rademacher", "gaussian", "uniform", "laplace"};
  const double ps[] = {1e-4, 0.01, 0.2, 0.7, 1.0};
  int checked = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    int d = 1 + trial % 4, n = 1 + (trial * 7) % 12, m = 1 + 2 * (trial % 3);
    Setting s(d, n, m, Law::parse(laws[trial % 4]));
    double p = ps[(trial / 4) % 5];
    Matrix<double> W = test::random_gaussian_weights(d, n, 1.0, rng);
    GainTerms<double> t = gain_terms(row_power_sums(W, m), s.law, p);
    double best = best_scaled_gain(t, m).gain;  // sup along the ray s*W: the strongest test of the bound
    double upper = bound_tensor_rank_upper<double>(s, p).value;
    BOOST_TEST_INFO("d=" << d << " n=" << n << " m=" << m << " p=" << p << " law=" << s.law.name());
    BOOST_TEST(best <= upper * (1 + 1e-12));
    BOOST_TEST(best <= bound_split_upper<double>(s, p).value * (1 + 1e-12));
    BOOST_TEST(bound_split_upper<double>(s, p).value <= upper * (1 + 1e-15));
    BOOST_TEST(best <= bound_zero_loss<double>(s, p).value * (1 + 1e-12));
    ++checked;
  }
  BOOST_TEST(checked == 1000);
}

BOOST_AUTO_TEST_CASE(law_moments) {
  BOOST_TEST(Law::parse("gaussian").moment(6) == 15);
  BOOST_TEST(Law::parse("gaussian").moment(5) == 0);
  BOOST_TEST(Law::parse("uniform").moment(4) == Rational(1, 5));
  BOOST_TEST(Law::parse("laplace").moment(4) == 24);
  BOOST_TEST(Law::parse("rademacher").moment(10) == 1);
  BOOST_TEST(Law::parse("gaussian").c_mu(3) == Rational(3, 5));
  BOOST_TEST(Law::parse("uniform").c_mu(3) == Rational(7, 25));
  BOOST_TEST(Law::parse("discrete:2:1").moment(4) == 16);  // symmetrised +-2
  BOOST_CHECK_THROW(Law::parse("cauchy"), InputError);
  BOOST_CHECK_THROW(Law::parse("discrete:"), InputError);
  BOOST_CHECK_THROW(Law::parse("discrete:-1:1,1:2"), InputError);  // asymmetric
  BOOST_CHECK_THROW(Law::parse("discrete:0:1"), InputError);       // degenerate
  BOOST_CHECK_THROW(Law::parse("discrete:1:0"), InputError);       // zero weight
  BOOST_CHECK_THROW(check_power(2), InputError);
  BOOST_CHECK_THROW(check_power(0), InputError);
  BOOST_CHECK_THROW(check_probability(0.0), InputError);
  BOOST_CHECK_THROW(check_probability(1.5), InputError);
}

BOOST_AUTO_TEST_CASE(first_order_limit_is_not_an_upper_bound_for_laplace) {
  // docs/theory.md Prop. 5.7: d = 1, n = 2, m = 3, W = (1, 1): best scaled gain = p(2+p)^2/(5(1+p)) > 0.8p = c_mu F* p.
  Law law = Law::parse("laplace");
  Matrix<Rational> W(1, 2);
  W << 1, 1;
  for (Rational p : {Rational(1, 10), Rational(1, 2), Rational(1)}) {
    ScaledGain<Rational> g = best_scaled_gain(gain_terms(row_power_sums(W, 3), law, p), 3);
    BOOST_TEST(g.gain == p * (2 + p) * (2 + p) / (5 * (1 + p)));
    BOOST_TEST(g.gain > p * law.c_mu(3) * f_star(1, 3));
  }
  Setting s(1, 2, 3, law);
  const FstarBracket fstar_n = fstar_n_closed_form_bracket(1, 3, 2);  // d = 1: the design size is 1
  BOOST_TEST(to_string(bound_first_order_limit<double>(s, 0.1, fstar_n).side) == "limit");
  BOOST_TEST(to_string(bound_first_order_limit<double>(Setting(1, 2, 3, Law::parse("gaussian")), 0.1, fstar_n).side) ==
             "upper");
}

BOOST_AUTO_TEST_CASE(split_upper_closed_form) {
  // d = 2, n = 5, m = 3, rademacher (c_mu = mu_2 = 1): F* = 16/5, C(4,3) = 4, q = (1-p)^4.
  Setting s(2, 5, 3, Law::parse("rademacher"));
  const double p = 0.01, q = std::pow(0.99, 4);
  BOOST_TEST(bound_split_upper<double>(s, p).value == p * (q * 3.2 + (1 - q) * 4.0), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(bound_split_upper<double>(s, 1.0).value == 4.0, boost::test_tools::tolerance(1e-15));
  Real50 p50("1e-30");  // no cancellation at tiny p: 1 - q = 4e-30 to 50 digits
  Real50 v = bound_split_upper<Real50>(s, p50).value;
  BOOST_TEST(static_cast<double>(abs(v - p50 * (Real50("3.2") + p50 * Real50("4") * Real50("0.8")))) < 1e-100);
}
