// The gaussian Stein bound (docs/theory.md Theorem 4.6) and the per-setting status of first_order_limit
// (docs/theory.md §5.5): each step of the Stein proof against the exact engine, the closed form against an exact
// binomial sum, the bound against optimised W, and the refutation certificates re-evaluated in exact rationals.
#define BOOST_TEST_MODULE bounds
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

#include <Eigen/Eigenvalues>

using namespace superpose;
using test::pw;

namespace {

Rational double_factorial(int k) {
  Rational r = 1;
  for (int j = k; j > 1; j -= 2) r *= j;
  return r;
}

}  // namespace

// Steps 1–2 of Theorem 4.6: given the active set S, C = Σ_{i∈S} m!!·A_ii·σ_i^{m−1} and
// D = Σ_i (2m−1)!!·σ_i^{2m} over every i (inactive i too, which only lowers the gain), σ_i² = Σ_{j∈S} A_ij². Averaged over S by enumerating all 2^n subsets this must equal
// the engine's exact C and D (an independent computation: the engine never conditions on S).
BOOST_AUTO_TEST_CASE(stein_identity_given_the_active_set_matches_the_engine_exactly) {
  std::mt19937_64 rng(81);
  const Law law = Law::parse("gaussian");
  for (int m : {1, 3, 5}) {
    const int d = 2, n = 5;
    const Matrix<Rational> W = test::random_rational_weights(d, n, rng);
    const Matrix<Rational> A = test::gram(W);
    const Rational p(2, 7);
    Rational C = 0, D = 0;
    for (int mask = 0; mask < (1 << n); ++mask) {
      const int N = __builtin_popcount(mask);
      const Rational prob = pw(p, N) * pw(1 - p, n - N);
      for (int i = 0; i < n; ++i) {  // every i contributes to D; only active i (x_i ≠ 0) to C
        Rational sigma2 = 0;
        for (int j = 0; j < n; ++j)
          if (mask >> j & 1) sigma2 += A(i, j) * A(i, j);
        if (mask >> i & 1) C += prob * double_factorial(m) * A(i, i) * pw(sigma2, (m - 1) / 2);
        D += prob * double_factorial(2 * m - 1) * pw(sigma2, m);
      }
    }
    const Evaluation<Rational> e = evaluate(W, m, law, p);
    BOOST_TEST(e.C == C);
    BOOST_TEST(e.D == D);
  }
}

// Step 3 of Theorem 4.6: the leverage inequality A_ii² ≤ σ_i²·P_ii with P the projector on range(A_S); and Σ P_ii = rank ≤ min(d, N).
BOOST_AUTO_TEST_CASE(leverage_inequality_on_random_psd_blocks) {
  std::mt19937_64 rng(82);
  int tight = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int d = 1 + trial % 4, N = 1 + (trial / 4) % 7;
    const Matrix<double> V = test::random_gaussian_weights(d, N, 1.0, rng);
    const Matrix<double> A = V.transpose() * V;
    Eigen::SelfAdjointEigenSolver<Matrix<double>> es(A);
    Matrix<double> P = Matrix<double>::Zero(N, N);
    int rank = 0;
    for (int k = 0; k < N; ++k)
      if (es.eigenvalues()(k) > 1e-10 * es.eigenvalues().cwiseAbs().maxCoeff()) {
        P += es.eigenvectors().col(k) * es.eigenvectors().col(k).transpose();
        ++rank;
      }
    BOOST_TEST(rank == std::min(d, N));
    BOOST_TEST(P.trace() == double(std::min(d, N)), boost::test_tools::tolerance(1e-9));
    for (int i = 0; i < N; ++i) {
      const double sigma2 = A.col(i).squaredNorm();
      BOOST_TEST(A(i, i) * A(i, i) <= sigma2 * P(i, i) * (1 + 1e-10));
      tight += A(i, i) * A(i, i) >= sigma2 * P(i, i) * (1 - 1e-9);
    }
  }
  BOOST_TEST(tight > 0);  // equality occurs (e.g. N ≤ d with orthogonal columns, or d = 1): the inequality is sharp
}

// Closed form: c_μ·E[min(d, N)] against the exact sum Σ_N C(n,N) p^N (1−p)^{n−N} min(d, N) in rationals.
BOOST_AUTO_TEST_CASE(stein_closed_form_matches_exact_binomial_sum) {
  for (int d : {1, 2, 3, 10})
    for (int n : {1, 2, 5, 40})
      for (const char* ptext : {"1/1000000", "1/1000", "1/7", "1/2", "9/10", "1"}) {
        const Rational p = parse_rational(ptext, "p");
        Rational e = 0, binom = 1;
        for (int N = 0; N <= n; ++N) {
          e += binom * pw(p, N) * pw(1 - p, n - N) * std::min(d, N);
          binom = binom * (n - N) / (N + 1);
        }
        const Setting s(d, n, 3, Law::parse("gaussian"));
        const Rational exact = Rational(3, 5) * e;
        BOOST_TEST_INFO("d=" << d << " n=" << n << " p=" << ptext);
        const double v = bound_gaussian_stein_upper<double>(s, from_rational<double>(p)).value;
        BOOST_TEST(v == from_rational<double>(exact), boost::test_tools::tolerance(1e-13));
        const Real50 v50 = bound_gaussian_stein_upper<Real50>(s, from_rational<Real50>(p)).value;
        BOOST_TEST(static_cast<double>(abs(v50 / from_rational<Real50>(exact) - 1)) < 1e-45);
      }
  // Large n: E[min(d, N)] → d for p·n ≫ d, and ≈ n·p for p·n ≪ 1.
  const Setting big(10, 6000, 3, Law::parse("gaussian"));
  BOOST_TEST(bound_gaussian_stein_upper<double>(big, 0.5).value == 6.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(bound_gaussian_stein_upper<double>(big, 1e-9).value == 0.6 * 6000 * 1e-9, boost::test_tools::tolerance(1e-5));
}

// Tight at p = 1: equals the unsuperposed gain c_μ·min(d, n) (exact values of c_μ: 3/5 for m = 3, 5/21 for m = 5).
BOOST_AUTO_TEST_CASE(stein_equals_unsuperposed_gain_at_p_one) {
  for (int m : {3, 5})
    for (int d : {1, 2, 10})
      for (int n : {1, 4, 200}) {
        const Setting s(d, n, m, Law::parse("gaussian"));
        const double cmu = m == 3 ? 0.6 : 5.0 / 21;
        BOOST_TEST(bound_gaussian_stein_upper<double>(s, 1.0).value == cmu * std::min(d, n),
                   boost::test_tools::tolerance(1e-15));
        BOOST_TEST(bound_gaussian_stein_upper<double>(s, 1.0).value ==
                   bound_unsuperposed<double>(s, 1.0).value, boost::test_tools::tolerance(1e-15));
      }
  // d = 1: c_μ·(1 − (1−p)^n), which is above c_μ·p for n ≥ 2 and p < 1 (the conjecture is not implied there).
  const Setting s1(1, 3, 3, Law::parse("gaussian"));
  BOOST_TEST(bound_gaussian_stein_upper<double>(s1, 0.5).value == 0.6 * (1 - 0.125), boost::test_tools::tolerance(1e-15));
}

// The bound holds for W at its best scale: random W and the found optima of a multi-start search (random W polished
// by gradient ascent on the exact gain).
BOOST_AUTO_TEST_CASE(stein_holds_against_random_and_hill_climbed_w) {
  std::mt19937_64 rng(83);
  const Law law = Law::parse("gaussian");
  int checked = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const int d = 1 + trial % 3, n = 2 + (trial / 3) % 6, m = trial % 2 ? 3 : 5;
    const double p = std::vector<double>{0.01, 0.2, 0.5, 0.9, 1.0}[trial % 5];
    const Setting s(d, n, m, law);
    Matrix<double> W = test::random_gaussian_weights(d, n, 0.7, rng);
    double best = 0;
    for (int step = 0; step < 300; ++step) {  // gradient ascent with backtracking on the scaled gain
      const Evaluation<double> e = evaluate(W, m, law, p, true, 1);
      best = std::max(best, best_scaled_gain(GainTerms<double>{e.C, e.D}, m).gain);
      double lr = 0.05;
      while (lr > 1e-8) {
        const Matrix<double> Wn = W + lr * e.grad;
        if (evaluate(Wn, m, law, p, false, 1).gain > e.gain) {
          W = Wn;
          break;
        }
        lr /= 2;
      }
    }
    const double bound = bound_gaussian_stein_upper<double>(s, p).value;
    BOOST_TEST_INFO("d=" << d << " n=" << n << " m=" << m << " p=" << p);
    BOOST_TEST(best <= bound * (1 + 1e-12));
    BOOST_TEST(best >= bound_unsuperposed<double>(s, p).value * 0.2);  // the search did something
    ++checked;
  }
  BOOST_TEST(checked == 120);
}

// first_order_limit is refuted, with an exact certificate, for the two discrete laws of docs/theory.md §5.5 at d = 1.
BOOST_AUTO_TEST_CASE(first_order_limit_refuted_with_exact_certificates) {
  struct Case { const char* law; int d, n, m; };
  for (const Case& c : {Case{"discrete:3:1,4:1", 1, 2, 3}, Case{"discrete:1:999,10:1", 1, 2, 3},
                        Case{"discrete:1:999,10:1", 1, 7, 3}, Case{"laplace", 1, 2, 3}, Case{"laplace", 2, 6, 5}}) {
    const Setting s(c.d, c.n, c.m, Law::parse(c.law));
    BOOST_TEST_INFO(c.law << " d=" << c.d << " n=" << c.n << " m=" << c.m);
    const FstarBracket fstar_n = fstar_n_closed_form_bracket(c.d, c.m, c.n);
    BOOST_TEST(fstar_n.upper == f_star(c.d, c.m));  // d = 1, and d = 2 with n >= m + 1 > F*(2, m)
    const Bound<double> b = bound_first_order_limit<double>(s, 0.3, fstar_n);
    BOOST_TEST(to_string(b.status) == "refuted");
    BOOST_REQUIRE(b.certificate.has_value());
    const Certificate& cert = *b.certificate;
    // Pad to the setting's n and recompute the exact gain independently of the certificate's stored value.
    Matrix<Rational> full = Matrix<Rational>::Zero(c.d, c.n);
    full.leftCols(cert.W.cols()) = cert.W;
    const Rational gain = evaluate(full, c.m, s.law, cert.p).gain;
    BOOST_TEST(gain == cert.gain);
    BOOST_TEST(cert.bound == s.law.c_mu(c.m) * f_star(c.d, c.m) * cert.p);
    BOOST_TEST(gain > cert.bound);
  }
  // Example 1 of §5.5: the exact interval and the value at p = 1 from the closed form of Proposition 5.9.
  const auto [beta, delta] = two_feature_beta_delta(Law::parse("discrete:3:1,4:1"), 3);
  BOOST_TEST(beta == Rational(1875, 674));
  BOOST_TEST(delta == Rational(5055, 386));
  BOOST_TEST((delta - 2 * beta) / (beta * beta) == Rational(14675002, 15078125));
}

// Laws and settings without a certificate stay conjecture; gaussian is proved where the Stein bound implies it;
// laplace's limit row is proved-here. With the closed-form bracket of F*_n (upper end min(n, F*(d,m))); verify/'s
// LP bracket is tested in test_certify.
// bound_position's proved upper bound is the smallest proved bound of side upper or exact: laplace's first_order_limit
// row (side limit, proved-here as a p -> 0 limit, not a bound at finite p; Proposition 5.7) is not one, although it is
// the smallest proved row here (0.8 * 3 * 0.5 = 1.2 against split_upper > 2).
BOOST_AUTO_TEST_CASE(bound_position_ignores_the_limit_row) {
  const Setting s(2, 3, 3, Law::parse("laplace"));
  const auto bounds = closed_form_bounds<Real50>(s, Real50("0.5"), fstar_n_closed_form_bracket(2, 3, 3));
  Real50 expected = -1, limit = -1;
  for (const auto& b : bounds) {
    const bool proved = b.status == BoundStatus::proved_here || b.status == BoundStatus::proved_in_paper;
    if (proved && (b.side == BoundSide::upper || b.side == BoundSide::exact))
      expected = expected < 0 ? b.value : std::min(expected, b.value);
    if (b.name == "first_order_limit") {
      BOOST_TEST(proved);
      BOOST_TEST((b.side == BoundSide::limit));
      limit = b.value;
    }
  }
  BOOST_TEST(abs(limit - Real50("1.2")) < Real50("1e-45"));
  BOOST_TEST(expected > limit);
  BOOST_TEST(bound_position(bounds, Real50(1)).proved_upper == expected);
}

BOOST_AUTO_TEST_CASE(first_order_limit_status_per_law_and_setting) {
  auto limit = [](const char* law, int d, int n, int m, double p) {
    return bound_first_order_limit<double>(Setting(d, n, m, Law::parse(law)), p, fstar_n_closed_form_bracket(d, m, n));
  };
  auto status = [&](const char* law, int d, int n, int m, double p) { return std::string(to_string(limit(law, d, n, m, p).status)); };
  BOOST_TEST(status("rademacher", 1, 2, 3, 0.5) == "conjecture");
  BOOST_TEST(status("rademacher", 1, 2, 3, 1.0) == "conjecture");  // W = (s,s) ties c_mu*p at p = 1: no certificate
  BOOST_TEST(status("uniform", 1, 4, 3, 1.0) == "conjecture");
  BOOST_TEST(status("gaussian", 1, 2, 3, 0.5) == "conjecture");   // Stein gives c_mu(1-(1-p)^n) > c_mu*p here
  BOOST_TEST(status("gaussian", 1, 2, 3, 1.0) == "proved-here");  // and c_mu = c_mu*p at p = 1
  BOOST_TEST(status("gaussian", 2, 3, 3, 1e-4) == "proved-here"); // upper end min(3, 16/5) = n: every p
  BOOST_TEST(status("gaussian", 2, 8, 3, 0.6) == "conjecture");   // p < d/F* = 5/8
  BOOST_TEST(status("gaussian", 2, 8, 3, 0.63) == "proved-here");
  // laplace (side limit): no d = 2, m = 3 certificate is known, and what the row states, p times the p -> 0 limit
  // c_mu*F*_n (Theorem 5.5(b)), is proved: = c_mu*F*(2,3)*p from the design size C(7,6) = 7 on (Theorem 5.5(c)),
  // >= it below (the upper end of a certified bracket of F*_n).
  BOOST_TEST(status("laplace", 2, 8, 3, 0.5) == "proved-here");
  BOOST_TEST(status("laplace", 2, 3, 3, 0.5) == "proved-here");
  BOOST_TEST(to_string(limit("laplace", 2, 6, 5, 0.5).side) == "limit");
  // A bracket outside the proved range [min(d,n), min(n, F*)] is a caller's bug.
  FstarBracket wrong = fstar_n_closed_form_bracket(2, 3, 3);
  wrong.upper = Rational(16, 5);
  BOOST_CHECK_THROW(bound_first_order_limit<double>(Setting(2, 3, 3, Law::parse("gaussian")), 0.5, wrong),
                    std::invalid_argument);
  BOOST_TEST(status("discrete:3:1,4:1", 2, 6, 3, 0.5) == "conjecture");  // the d = 1 family says nothing at d = 2
  BOOST_TEST(status("gaussian", 1, 1, 3, 0.5) == "proved-here");  // n = 1
}
