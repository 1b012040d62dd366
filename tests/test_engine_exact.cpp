// The exact engine against brute-force enumeration of every input x, in exact rationals.
// Independent value: E over the finite support of x of 2<x,(Ax)^m> - ||(Ax)^m||^2, with A = W^T W formed by hand.
#define BOOST_TEST_MODULE engine_exact
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

using namespace superpose;

namespace {

struct BruteForce {
  Rational C = 0, D = 0;
};

// Enumerates x ∈ support^n where each coordinate is 0 (prob 1-p) or an atom v of the law (prob p*w).
BruteForce brute_force(const Matrix<Rational>& W, int m, const Law& law, const Rational& p) {
  const int n = static_cast<int>(W.cols());
  Matrix<Rational> A = test::gram(W);
  std::vector<std::pair<Rational, Rational>> values{{Rational(0), Rational(1) - p}};
  for (const auto& [v, w] : law.atoms()) values.emplace_back(v, p * w);
  const int k = static_cast<int>(values.size());
  std::vector<int> idx(n, 0);
  BruteForce out;
  std::vector<Rational> x(n);
  while (true) {
    Rational prob = 1;
    for (int i = 0; i < n; ++i) {
      x[i] = values[idx[i]].first;
      prob *= values[idx[i]].second;
    }
    for (int i = 0; i < n; ++i) {
      Rational s = 0;
      for (int j = 0; j < n; ++j) s += A(i, j) * x[j];
      Rational phi = 1;
      for (int r = 0; r < m; ++r) phi *= s;
      out.C += prob * x[i] * phi;
      out.D += prob * phi * phi;
    }
    int pos = 0;
    while (pos < n && ++idx[pos] == k) idx[pos++] = 0;
    if (pos == n) break;
  }
  return out;
}

void check_against_brute_force(const Law& law, int max_n) {
  std::mt19937_64 rng(20261122);
  for (int m : {1, 3, 5})
    for (int n = 1; n <= max_n; ++n)
      for (int d : {1, 2, 3}) {
        Matrix<Rational> W = test::random_rational_weights(d, n, rng);
        Rational p(1, 3 + n);
        BruteForce bf = brute_force(W, m, law, p);
        Evaluation<Rational> ev = evaluate(W, m, law, p);
        BOOST_TEST_INFO("law " << law.name() << " m=" << m << " n=" << n << " d=" << d);
        BOOST_TEST(ev.C == bf.C);
        BOOST_TEST(ev.D == bf.D);
        BOOST_TEST(ev.gain == Rational(2) * bf.C - bf.D);
        BOOST_TEST(ev.loss == ev.zero_loss - ev.gain);
      }
}

}  // namespace

BOOST_AUTO_TEST_CASE(rademacher_matches_enumeration_over_minus1_0_1) {
  check_against_brute_force(Law::parse("rademacher"), 6);
}

BOOST_AUTO_TEST_CASE(discrete_law_matches_enumeration) {
  // Symmetrised atoms ±1/2 (weight 1) and ±2 (weight 3): 5 values per coordinate.
  check_against_brute_force(Law::parse("discrete:1/2:1,2:3"), 5);
}

BOOST_AUTO_TEST_CASE(discrete_law_with_atom_at_zero_and_explicit_signs) {
  check_against_brute_force(Law::parse("discrete:-1:1,0:2,1:1,-3:1/2,3:1/2"), 4);
}

BOOST_AUTO_TEST_CASE(zero_loss_is_p_n_mu2) {
  Law law = Law::parse("discrete:1/2:1,2:3");  // mu_2 = (1/4 + 3*4)/4 = 49/16
  BOOST_TEST(law.moment(2) == Rational(49, 16));
  Matrix<Rational> W = Matrix<Rational>::Zero(2, 5);
  Evaluation<Rational> ev = evaluate(W, 3, law, Rational(1, 7));
  BOOST_TEST(ev.gain == 0);
  BOOST_TEST(ev.loss == Rational(1, 7) * 5 * Rational(49, 16));
}
