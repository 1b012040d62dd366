// Constructions (verify/verify.hpp): the d = 2 projective design reaches F*(2,m) and its gain/p tends to
// c_mu*F*(2,m) linearly in p; random tight frames are tight; the unsuperposed W gives the closed form.
#define BOOST_TEST_MODULE constructions
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"
#include "verify/verify.hpp"

using namespace superpose;

BOOST_AUTO_TEST_CASE(projective_design_attains_f_star_in_mpfr) {
  for (int m : {1, 3, 5, 7}) {
    Matrix<Real50> W = projective_design_weights<Real50>(m, m + 3);
    Real50 F = first_order_ratio(W, m);
    BOOST_TEST_INFO("m=" << m << " F=" << F);
    BOOST_TEST(static_cast<double>(abs(F - from_rational<Real50>(f_star(2, m)))) < 1e-45);
  }
  BOOST_CHECK_THROW(projective_design_weights<double>(3, 3), InputError);
}

BOOST_AUTO_TEST_CASE(projective_design_gain_over_p_tends_to_c_mu_f_star) {
  for (const char* law_name : {"rademacher", "gaussian", "uniform"})
    for (int m : {3, 5}) {
      Law law = Law::parse(law_name);
      Matrix<Real50> W = projective_design_weights<Real50>(m, m + 1);
      RowPowerSums<Real50> sums = row_power_sums(W, m);
      const Real50 limit = from_rational<Real50>(law.c_mu(m) * f_star(2, m));
      double prev_ratio = 0;
      for (const char* pt : {"1e-6", "1e-7", "1e-8"}) {
        Real50 p(pt);
        Real50 g = best_scaled_gain(gain_terms(sums, law, p), m).gain / p;
        // relative deviation from the limit, divided by p: bounded (linear approach, docs/theory.md Thm 5.5(b))
        double ratio = static_cast<double>(abs(g - limit) / limit / p);
        BOOST_TEST_INFO(law_name << " m=" << m << " p=" << pt << " gain/p=" << g << " dev/p=" << ratio);
        if (prev_ratio > 0) BOOST_TEST(std::abs(ratio - prev_ratio) < 0.01 * prev_ratio);  // same slope
        prev_ratio = ratio;
        BOOST_TEST(static_cast<double>(abs(g - limit) / limit) < 1e-3);
        BOOST_TEST(g < limit);  // approached from below (the design is a construction: gain <= sup)
      }
    }
}

BOOST_AUTO_TEST_CASE(random_tight_frame_is_tight) {
  for (int k : {5, 17, 64}) {
    Matrix<double> W = random_tight_frame(5, 80, k, 42);
    Matrix<double> F = W * W.transpose();
    BOOST_TEST((F - (static_cast<double>(k) / 5) * Matrix<double>::Identity(5, 5)).norm() < 1e-12 * k);
    BOOST_TEST(W.rightCols(80 - k).norm() == 0.0);
  }
  Matrix<double> Q = random_tight_frame(6, 3, 3, 7);  // k < d: orthonormal columns
  BOOST_TEST((Q.transpose() * Q - Matrix<double>::Identity(3, 3)).norm() < 1e-12);
}

BOOST_AUTO_TEST_CASE(unsuperposed_construction_meets_the_closed_form) {
  Setting s(4, 9, 3, Law::parse("uniform"));
  Matrix<double> W = unsuperposed_weights(4, 9);
  for (double p : {1e-5, 0.3, 1.0}) {
    double g = best_scaled_gain(gain_terms(row_power_sums(W, 3), s.law, p), 3).gain;
    BOOST_TEST(g == bound_unsuperposed<double>(s, p).value, boost::test_tools::tolerance(1e-13));
  }
}

BOOST_AUTO_TEST_CASE(p_grid_parsing) {
  std::vector<double> g;
  for (const GridP& p : parse_p_grid("1e-4:1:5", "--p")) g.push_back(from_rational<double>(p.value));
  BOOST_REQUIRE(g.size() == 5);
  BOOST_TEST(g[0] == 1e-4);
  BOOST_TEST(g[2] == 1e-2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(g[4] == 1.0);
  BOOST_TEST(parse_p_grid("0.1,3/7", "--p").at(1).value == Rational(3, 7));
  BOOST_CHECK_THROW(parse_p_grid("0.1:0.01:3", "--p"), InputError);
  BOOST_CHECK_THROW(parse_p_grid("0.1,0", "--p"), InputError);
}
