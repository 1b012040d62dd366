// The ReLU model's exact loss for the symmetric value laws (theory/relu.hpp): finite laws against a brute-force
// enumeration of every input in exact rationals; U[−1, 1] and the gaussian against a numerical integration written
// here (split at the kinks, composite Gauss–Legendre); every exact route against Monte Carlo within 4 standard
// errors; gradients against central differences; MPFR against double; the refusals.
#define BOOST_TEST_MODULE relu_laws
#include <boost/test/unit_test.hpp>

#include "tests/test_support.hpp"
#include "tests/relu_test_support.hpp"
#include "theory/relu.hpp"

#include <Eigen/LU>

#include <algorithm>
#include <array>
#include <cmath>

using namespace superpose;
using namespace superpose::relu;

namespace {

Problem make_problem(int d, int n, const Rational& p, int k, const std::string& law, bool tied = true) {
  Problem pr;
  pr.d = d;
  pr.n = n;
  pr.p.assign(n, p);
  for (int i = 0; i < n; ++i) pr.importance.push_back(Rational(1, i + 1));
  pr.k = k;
  pr.tied = tied;
  pr.law = ValueLaw::parse(law);
  return pr;
}

Params<double> random_params(const Problem& pr, std::mt19937_64& rng) {
  Params<double> P;
  P.W = test::random_gaussian_weights(pr.d, pr.n, 0.7, rng);
  if (!pr.tied) P.W_dec = test::random_gaussian_weights(pr.d, pr.n, 0.7, rng);
  P.b = test::random_gaussian_weights(pr.n, 1, 0.2, rng);
  return P;
}

using test::to_rational;

/// Σ_{i ∈ features} I_i (x_i − ReLU((W_decᵀ W x + b)_i)^k)² for one input x (all features when `only` < 0), in T.
template <class T>
T sample_loss(const Problem& pr, const Params<T>& P, const Vector<T>& x, int only = -1) {
  const Matrix<T>& dec = pr.tied ? P.W : P.W_dec;
  const Vector<T> z = dec.transpose() * (P.W * x) + P.b;
  T total = T(0);
  for (int i = 0; i < pr.n; ++i) {
    if (only >= 0 && i != only) continue;
    T y = T(z(i) > 0 ? 1 : 0);
    for (int r = 0; r < pr.k; ++r) y *= z(i);
    total += from_rational<T>(pr.importance[i]) * (x(i) - y) * (x(i) - y);
  }
  return total;
}

/// The loss of a finite law by enumerating every input x ∈ ({0} ∪ atoms)^n with its probability, in rationals.
Rational brute_force_finite(const Problem& pr, const Params<Rational>& P) {
  std::vector<std::pair<Rational, Rational>> outcomes;  // value of one feature, and its probability over p
  const auto& atoms = pr.law.symmetric->atoms();
  const int K = static_cast<int>(atoms.size()) + 1;
  long long count = 1;
  for (int j = 0; j < pr.n; ++j) count *= K;
  Rational total = 0;
  Vector<Rational> x(pr.n);
  for (long long idx = 0; idx < count; ++idx) {
    Rational prob = 1;
    long long rest = idx;
    for (int j = 0; j < pr.n; ++j, rest /= K) {
      const int t = static_cast<int>(rest % K);
      if (t == 0) {
        x(j) = 0;
        prob *= 1 - pr.p[j];
      } else {
        x(j) = atoms[t - 1].first;
        prob *= pr.p[j] * atoms[t - 1].second;
      }
    }
    total += prob * sample_loss(pr, P, x);
  }
  return total;
}

/// ∫_lo^hi g(t)·density(t) dt by 4-point Gauss–Legendre on `panels` panels of each piece between sorted breaks.
template <class G, class D>
double integrate(const G& g, const D& density, double lo, double hi, std::vector<double> breaks, int panels) {
  static constexpr std::array<double, 4> kNodes{0.0694318442029737124, 0.3300094782075718676,
                                                0.6699905217924281324, 0.9305681557970262876};
  static constexpr std::array<double, 4> kWeights{0.1739274225687269287, 0.3260725774312730713,
                                                  0.3260725774312730713, 0.1739274225687269287};
  std::vector<double> cuts{lo, hi};
  for (double b : breaks)
    if (b > lo && b < hi) cuts.push_back(b);
  std::sort(cuts.begin(), cuts.end());
  double s = 0;
  for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
    const double h = (cuts[c + 1] - cuts[c]) / panels;
    for (int q = 0; q < panels; ++q)
      for (int r = 0; r < 4; ++r) {
        const double t = cuts[c] + h * (q + kNodes[r]);
        s += h * kWeights[r] * g(t) * density(t);
      }
  }
  return s;
}

/// The loss of a continuous law on [lo, hi] (n ≤ 2) by summing over active sets and integrating: the inner
/// coordinate split at feature i's kink, the outer one at the points where that kink reaches lo or hi (or at the
/// outer kink when the inner coefficient is 0).
template <class D>
double brute_force_continuous(const Problem& pr, const Params<double>& P, const D& density, double lo, double hi,
                              int panels) {
  const int n = pr.n;
  BOOST_TEST_REQUIRE(n <= 2);
  const Matrix<double>& dec = pr.tied ? P.W : P.W_dec;
  const Matrix<double> M = dec.transpose() * P.W;
  double total = 0;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    double prob = 1;
    std::vector<int> act;
    for (int j = 0; j < n; ++j) {
      const double pj = from_rational<double>(pr.p[j]);
      prob *= (mask >> j & 1u) ? pj : 1 - pj;
      if (mask >> j & 1u) act.push_back(j);
    }
    for (int i = 0; i < n; ++i) {
      Vector<double> x = Vector<double>::Zero(n);
      auto f = [&]() { return sample_loss(pr, P, x, i); };
      auto kink = [&](int var, double rest) {  // where b_i + M_i,var·t + rest = 0
        return M(i, var) != 0 ? std::vector<double>{-(P.b(i) + rest) / M(i, var)} : std::vector<double>{};
      };
      double acc = 0;
      if (act.empty()) {
        acc = f();
      } else if (act.size() == 1) {
        const int v = act[0];
        acc = integrate([&](double t) { x(v) = t; return f(); }, density, lo, hi, kink(v, 0), panels);
      } else {
        const int u = act[0], v = act[1];
        auto inner = [&](double s) {
          x(u) = s;
          return integrate([&](double t) { x(v) = t; return f(); }, density, lo, hi, kink(v, M(i, u) * s), panels);
        };
        std::vector<double> outer_breaks;
        if (M(i, u) != 0)
          for (double end : {lo, hi, 0.0})
            if (end != 0 || M(i, v) == 0) outer_breaks.push_back(-(P.b(i) + M(i, v) * end) / M(i, u));
        acc = integrate(inner, density, lo, hi, outer_breaks, panels);
      }
      total += prob * acc;
    }
  }
  return total;
}

double uniform_density(double) { return 0.5; }
double gaussian_density(double t) { return std::exp(-t * t / 2) / std::sqrt(2 * M_PI); }

const std::vector<std::string> kExactLaws{"uniform", "gaussian", "rademacher", "discrete:1:1,3:2"};

}  // namespace

BOOST_AUTO_TEST_CASE(finite_laws_against_brute_force_enumeration) {
  std::mt19937_64 rng(17);
  for (const std::string law : {"rademacher", "discrete:0:1,1:2,5/2:1"})
    for (int k : {1, 2, 3})
      for (bool tied : {true, false}) {
        const Problem pr = make_problem(2, 3, Rational(2, 5), k, law, tied);
        const Params<double> P = random_params(pr, rng);
        const Params<Rational> Q = to_rational(P);
        const Rational brute = brute_force_finite(pr, Q);
        const LossEvaluation<Rational> ex = expected_loss(pr, Q);
        const LossEvaluation<double> ev = expected_loss(pr, P);
        BOOST_TEST_INFO(law << " k=" << k << " tied=" << tied);
        BOOST_TEST(ex.loss == brute);
        BOOST_TEST(to_string(ex.route) == "exact-rational");
        BOOST_TEST(to_string(ev.route) == "enumeration");
        BOOST_TEST(std::fabs(ev.loss - from_rational<double>(brute)) <= ev.abs_error + 1e-16);
        BOOST_TEST(ev.loss_digits() >= 13);
      }
}

BOOST_AUTO_TEST_CASE(symmetric_uniform_one_coordinate_by_hand) {
  // v ~ U[−1, 1], M = 2 (untied W = 2, W_dec = 1), b = −1/2, k = 1, p = 1: L = E(v − (2v − 1/2)_+)².
  // v < 1/4: v², ∫_{−1}^{1/4} v² dv/2 = (1 + 1/64)/6 = 65/384; v ≥ 1/4: (1/2 − v)², ∫_{1/4}^{1} … dv/2 = 9/384.
  Problem pr = make_problem(1, 1, Rational(1), 1, "uniform", false);
  Params<Rational> P;
  P.W = Matrix<Rational>::Constant(1, 1, Rational(2));
  P.W_dec = Matrix<Rational>::Constant(1, 1, Rational(1));
  P.b = Vector<Rational>::Constant(1, Rational(-1, 2));
  BOOST_TEST(expected_loss(pr, P).loss == Rational(74, 384));
  BOOST_TEST(expected_loss(pr, P).zero_loss == Rational(1, 3));
}

BOOST_AUTO_TEST_CASE(uniform_and_gaussian_against_numerical_integration) {
  std::mt19937_64 rng(29);
  for (const std::string law : {"uniform", "gaussian"})
    for (int k : {1, 2, 3})
      for (bool tied : {true, false}) {
        const Problem pr = make_problem(2, 2, Rational(3, 5), k, law, tied);
        const Params<double> P = random_params(pr, rng);
        const bool gauss = law == "gaussian";
        const double brute = gauss ? brute_force_continuous(pr, P, gaussian_density, -12, 12, 64)
                                   : brute_force_continuous(pr, P, uniform_density, -1, 1, 1);
        const LossEvaluation<double> ev = expected_loss(pr, P);
        BOOST_TEST_INFO(law << " k=" << k << " tied=" << tied);
        BOOST_TEST(std::fabs(ev.loss - brute) <= 1e-10 * std::fabs(brute));
        BOOST_TEST(to_string(ev.route) == "closed-form");
        BOOST_TEST(ev.loss_digits() >= 9);
        if (!gauss) {  // exact rationals agree with double to its stated error
          const Rational q = expected_loss(pr, to_rational(P)).loss;
          BOOST_TEST(std::fabs(ev.loss - from_rational<double>(q)) <= ev.abs_error + 1e-16);
        }
      }
}

BOOST_AUTO_TEST_CASE(every_exact_route_against_monte_carlo) {
  std::mt19937_64 rng(31);
  for (const std::string& law : kExactLaws)
    for (int k : {1, 2}) {
      const Problem pr = make_problem(2, 4, Rational(3, 10), k, law);
      const Params<double> P = random_params(pr, rng);
      const double exact = expected_loss(pr, P).loss;
      const MonteCarloLoss mc = monte_carlo_loss(pr, P, 200000, 5);
      BOOST_TEST_INFO(law << " k=" << k);
      BOOST_TEST(std::fabs(mc.loss - exact) <= 4 * mc.standard_error);
      BOOST_TEST(mc.standard_error < 0.02 * exact);
    }
}

BOOST_AUTO_TEST_CASE(gradients_against_central_differences) {
  std::mt19937_64 rng(37);
  for (const std::string& law : kExactLaws)
    for (int k : {1, 2, 3})
      for (bool tied : {true, false}) {
        const Problem pr = make_problem(2, 3, Rational(1, 3), k, law, tied);
        Params<double> P = random_params(pr, rng);
        if (tied) P.W << 0.9, 0.0, 0.3, 0.0, 1.1, -0.2;  // exact zeros in M (∂L/∂M_ij = p_j E v·∂L/∂b_i = 0)
        const LossEvaluation<double> ev = expected_loss(pr, P, true);
        const double h = 1e-6;
        double worst = 0;
        auto check = [&](auto& X, const auto& G) {
          for (Eigen::Index r = 0; r < X.rows(); ++r)
            for (Eigen::Index c = 0; c < X.cols(); ++c) {
              const double x0 = X(r, c);
              X(r, c) = x0 + h;
              const double up = expected_loss(pr, P).loss;
              X(r, c) = x0 - h;
              const double down = expected_loss(pr, P).loss;
              X(r, c) = x0;
              worst = std::max(worst, std::fabs(G(r, c) - (up - down) / (2 * h)) / std::max(1.0, std::fabs(G(r, c))));
            }
        };
        check(P.W, ev.grad_W);
        if (!tied) check(P.W_dec, ev.grad_W_dec);
        check(P.b, ev.grad_b);
        BOOST_TEST_INFO(law << " k=" << k << " tied=" << tied);
        BOOST_TEST(worst <= 1e-6);
      }
}

BOOST_AUTO_TEST_CASE(gaussian_in_mpfr_and_the_ladder) {
  std::mt19937_64 rng(41);
  const Problem pr = make_problem(2, 3, Rational(1, 2), 2, "gaussian");
  const Params<Rational> Q = to_rational(random_params(pr, rng));
  auto conv = [&]<class T>() {
    Params<T> P;
    P.W = Q.W.unaryExpr([](const Rational& x) { return from_rational<T>(x); });
    P.b = Q.b.unaryExpr([](const Rational& x) { return from_rational<T>(x); });
    return expected_loss(pr, P);
  };
  const LossEvaluation<double> e16 = conv.operator()<double>();
  const LossEvaluation<Real50> e50 = conv.operator()<Real50>();
  const LossEvaluation<Real100> e100 = conv.operator()<Real100>();
  const Real100 diff = e100.loss - Real100(e50.loss);
  BOOST_TEST(std::fabs(diff.convert_to<double>()) <= 1e-45);
  BOOST_TEST(e50.loss_digits() >= 45);
  BOOST_TEST(std::fabs(e16.loss - e100.loss.convert_to<double>()) <= e16.abs_error);
  // The ladder refuses exact rationals for the gaussian law, and accepts MPFR-100 as its top rung.
  BOOST_CHECK_THROW(expected_loss_with_ladder(pr, Q, false, 0), InputError);
  BOOST_TEST(expected_loss_with_ladder(pr, Q, false, 100).digits == 100);
  BOOST_TEST(exact_route_refusal(pr, Q).find("gaussian") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(small_coefficients_are_widened_for_uniform) {
  // M_12 = 1e-9 under v ~ U[−1, 1]: the shifted cube formula cancels as the uniform01 one does; widened blocks
  // keep the result at double's precision against exact rationals.
  Problem pr = make_problem(2, 2, Rational(1, 2), 1, "uniform");
  Params<double> P;
  P.W = Matrix<double>(2, 2);
  P.W << 1.0, 1e-9, 0.0, 1.0;
  P.b = Vector<double>::Constant(2, -0.1);
  const LossEvaluation<double> ev = expected_loss(pr, P, true);
  const LossEvaluation<Rational> ex = expected_loss(pr, to_rational(P), true);
  BOOST_TEST(ev.widened_blocks > 0);
  BOOST_TEST(std::fabs(ev.loss - from_rational<double>(ex.loss)) <= 1e-15);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      BOOST_TEST(std::fabs(ev.grad_W(r, c) - from_rational<double>(ex.grad_W(r, c))) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(low_order_terms_for_finite_and_uniform_laws) {
  // With equal p = t the loss of n = 3 features is a cubic in t: four exact evaluations give c0, c1, c2 exactly.
  std::mt19937_64 rng(43);
  for (const std::string law : {"rademacher", "uniform"}) {
    Problem pr = make_problem(2, 3, Rational(1, 2), 2, law);
    const Params<Rational> Q = to_rational(random_params(pr, rng));
    std::vector<Rational> ts{Rational(1, 7), Rational(2, 7), Rational(3, 7), Rational(4, 7)}, Ls;
    for (const Rational& t : ts) {
      pr.p.assign(3, t);
      Ls.push_back(expected_loss(pr, Q).loss);
    }
    Matrix<Rational> V(4, 4);
    Vector<Rational> y(4);
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) V(r, c) = test::pw(ts[r], c);
      y(r) = Ls[r];
    }
    const Vector<Rational> coef = V.fullPivLu().solve(y);
    const LowOrderTerms<Rational> lo = low_order_terms(pr, Q);
    BOOST_TEST_INFO(law);
    BOOST_TEST(lo.c0 == coef(0));
    BOOST_TEST(lo.c1 == coef(1));
    BOOST_TEST(lo.c2 == coef(2));
  }
}

BOOST_AUTO_TEST_CASE(refusals_name_the_law) {
  std::mt19937_64 rng(47);
  const Problem lap = make_problem(2, 3, Rational(1, 2), 1, "laplace");
  const Params<double> P = random_params(lap, rng);
  BOOST_TEST(exact_route_refusal(lap, P).find("laplace") != std::string::npos);
  try {
    (void)expected_loss(lap, P);
    BOOST_FAIL("laplace has no exact route");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("--law laplace") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("--mc-samples") != std::string::npos);
  }
  // Eighteen atoms (±1..±9) on a dense n = 12 W: 12·19^12 combinations, beyond the enumeration limit; a diagonal W is cheap.
  const Problem big = make_problem(3, 12, Rational(1, 2), 1, "discrete:1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1");
  const Params<double> dense = random_params(big, rng);
  BOOST_TEST(exact_route_refusal(big, dense).find("value combinations") != std::string::npos);
  BOOST_CHECK_THROW((void)expected_loss(big, dense), InputError);
  Params<double> sparse = dense;
  sparse.W.setZero();
  BOOST_TEST(exact_route_refusal(big, sparse).empty());
  BOOST_TEST(expected_loss(big, sparse).loss > 0);
}
