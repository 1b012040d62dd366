// The analytic gradient dgain/dW against central differences in MPFR-100 (step 1e-30, truncation error
// ~1e-60), and the double gradient against the MPFR-100 one.
#define BOOST_TEST_MODULE gradient
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

using namespace superpose;

BOOST_AUTO_TEST_CASE(gradient_matches_central_differences_mpfr100) {
  std::mt19937_64 rng(3);
  for (const char* law_name : {"gaussian", "rademacher", "laplace"})
    for (int m : {1, 3, 5}) {
      Law law = Law::parse(law_name);
      Matrix<Real100> W = test::convert<Real100>(test::random_rational_weights(2, 5, rng)) / Real100(4);
      Real100 p("0.3");
      Evaluation<Real100> ev = evaluate(W, m, law, p, true);
      BOOST_REQUIRE(ev.grad.rows() == 2 && ev.grad.cols() == 5);
      const Real100 h("1e-30");
      Real100 worst = 0, gmax = ev.grad.cwiseAbs().maxCoeff();
      for (int j = 0; j < W.cols(); ++j)
        for (int i = 0; i < W.rows(); ++i) {
          Matrix<Real100> Wp = W, Wm = W;
          Wp(i, j) += h;
          Wm(i, j) -= h;
          Real100 fd = (evaluate(Wp, m, law, p).gain - evaluate(Wm, m, law, p).gain) / (2 * h);
          worst = std::max(worst, Real100(abs(fd - ev.grad(i, j))));
        }
      BOOST_TEST_INFO(law_name << " m=" << m << " worst |fd - grad| / max|grad| = " << worst / gmax);
      BOOST_TEST(worst / gmax < Real100("1e-50"));
    }
}

BOOST_AUTO_TEST_CASE(double_gradient_matches_mpfr100) {
  std::mt19937_64 rng(4);
  Law law = Law::parse("uniform");
  for (int m : {3, 5}) {
    Matrix<Rational> Wq = test::random_rational_weights(3, 40, rng);
    Evaluation<double> a = evaluate(test::convert<double>(Wq), m, law, 0.01, true);
    Evaluation<Real100> b = evaluate(test::convert<Real100>(Wq), m, law, Real100("0.01"), true);
    Real100 gmax = b.grad.cwiseAbs().maxCoeff();
    Real100 worst = 0;
    for (int j = 0; j < 40; ++j)
      for (int i = 0; i < 3; ++i) worst = std::max(worst, Real100(abs(Real100(a.grad(i, j)) - b.grad(i, j))));
    BOOST_TEST(worst / gmax < Real100("1e-12"));
    // gain from the gradient path equals the gain-only path
    BOOST_TEST(std::abs(a.gain - evaluate(test::convert<double>(Wq), m, law, 0.01).gain) <= 1e-12 * std::abs(a.C));
  }
}
