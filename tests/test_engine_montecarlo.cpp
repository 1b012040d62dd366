// The exact engine against Monte Carlo estimates for continuous laws (gaussian, uniform, laplace):
// the sample mean of 2<x,(Ax)^m> - ||(Ax)^m||^2 (and of its two parts) must lie within 4 standard errors.
#define BOOST_TEST_MODULE engine_montecarlo
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"

#include <cmath>

using namespace superpose;

namespace {

double sample_xi(const std::string& law, std::mt19937_64& rng) {
  if (law == "gaussian") return std::normal_distribution<double>(0, 1)(rng);
  if (law == "uniform") return std::uniform_real_distribution<double>(-1, 1)(rng);
  double e = std::exponential_distribution<double>(1.0)(rng);  // laplace: sign * Exp(1)
  return std::bernoulli_distribution(0.5)(rng) ? e : -e;
}

struct Stat {
  double sum = 0, sum2 = 0;
  long count = 0;
  void add(double v) { sum += v; sum2 += v * v; ++count; }
  double mean() const { return sum / count; }
  double se() const { return std::sqrt((sum2 / count - mean() * mean()) / (count - 1)); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(gain_within_four_standard_errors) {
  std::mt19937_64 rng(99);
  const int d = 3, n = 8, samples = 400000;
  for (const std::string law_name : {"gaussian", "uniform", "laplace"})
    for (double p : {0.05, 0.3})
      for (int m : {1, 3}) {
        Law law = Law::parse(law_name);
        Matrix<double> W = test::random_gaussian_weights(d, n, 0.5, rng);
        Matrix<double> A = W.transpose() * W;
        Evaluation<double> ev = evaluate(W, m, law, p);
        Stat g, c, dd;
        std::bernoulli_distribution active(p);
        Eigen::VectorXd x(n);
        for (int s = 0; s < samples; ++s) {
          for (int i = 0; i < n; ++i) x(i) = active(rng) ? sample_xi(law_name, rng) : 0.0;
          Eigen::VectorXd phi = (A * x).array().pow(m).matrix();
          double ci = x.dot(phi), di = phi.squaredNorm();
          c.add(ci);
          dd.add(di);
          g.add(2 * ci - di);
        }
        BOOST_TEST_INFO(law_name << " p=" << p << " m=" << m << ": exact gain " << ev.gain << ", MC " << g.mean()
                                 << " +- " << g.se());
        BOOST_TEST(std::abs(g.mean() - ev.gain) < 4 * g.se());
        BOOST_TEST(std::abs(c.mean() - ev.C) < 4 * c.se());
        BOOST_TEST(std::abs(dd.mean() - ev.D) < 4 * dd.se());
      }
}
