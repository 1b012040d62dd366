// The ReLU toy model's exact loss (theory/relu.hpp) against independent values: a numerical integration written
// here (inner coordinate split at the kink and integrated exactly by Gauss–Legendre, outer coordinates on a fine
// Gauss–Legendre grid), Monte Carlo with its error bar, central differences, an exact interpolation of the loss
// polynomial in p, and the closed-form losses of the n = 2, d = 1 configurations.
#define BOOST_TEST_MODULE relu
#include <boost/test/unit_test.hpp>

#include "search/search.hpp"
#include "tests/cli_sandbox.hpp"
#include "tests/test_support.hpp"
#include "tests/relu_test_support.hpp"
#include "theory/relu.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

using namespace superpose;
using namespace superpose::relu;

namespace {

Problem make_problem(int d, int n, const Rational& p, int k, bool tied = true) {
  Problem pr;
  pr.d = d;
  pr.n = n;
  pr.p.assign(n, p);
  for (int i = 0; i < n; ++i) pr.importance.push_back(Rational(10 - i, 10));
  pr.k = k;
  pr.tied = tied;
  return pr;
}

Params<double> random_params(const Problem& pr, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, 0.7);
  Params<double> P;
  P.W = Matrix<double>(pr.d, pr.n);
  for (int j = 0; j < pr.n; ++j)
    for (int i = 0; i < pr.d; ++i) P.W(i, j) = g(rng);
  if (!pr.tied) {
    P.W_dec = Matrix<double>(pr.d, pr.n);
    for (int j = 0; j < pr.n; ++j)
      for (int i = 0; i < pr.d; ++i) P.W_dec(i, j) = g(rng);
  }
  P.b = Vector<double>(pr.n);
  for (int i = 0; i < pr.n; ++i) P.b(i) = 0.3 * g(rng);
  return P;
}

// 4-point Gauss–Legendre on [0, 1]: exact for polynomials of degree ≤ 7.
constexpr std::array<double, 4> kNodes{0.0694318442029737124, 0.3300094782075718676, 0.6699905217924281324,
                                       0.9305681557970262876};
constexpr std::array<double, 4> kWeights{0.1739274225687269287, 0.3260725774312730713, 0.3260725774312730713,
                                         0.1739274225687269287};

// ∫_0^1 g(t) dt for g a polynomial of degree ≤ 7 on each side of `kink`.
template <class G>
double split_gauss(const G& g, double kink) {
  auto piece = [&](double lo, double hi) {
    double s = 0;
    for (int q = 0; q < 4; ++q) s += kWeights[q] * g(lo + (hi - lo) * kNodes[q]);
    return s * (hi - lo);
  };
  if (kink > 0 && kink < 1) return piece(0, kink) + piece(kink, 1);
  return piece(0, 1);
}

// Σ_i I_i E(x_i − ReLU(z_i)^k)² by summing over active sets and integrating numerically: the last active
// coordinate exactly (split at the kink of feature i), the others on `cells` Gauss–Legendre cells per axis.
double brute_force_loss(const Problem& pr, const Params<double>& P, int cells) {
  const int n = pr.n;
  const Matrix<double>& dec = pr.tied ? P.W : P.W_dec;
  const Matrix<double> M = dec.transpose() * P.W;
  double total = 0;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    double prob = 1;
    std::vector<int> act;
    for (int j = 0; j < n; ++j) {
      const double pj = static_cast<double>(pr.p[j]);
      if (mask >> j & 1u) {
        prob *= pj;
        act.push_back(j);
      } else {
        prob *= 1 - pj;
      }
    }
    const int s = static_cast<int>(act.size());
    for (int i = 0; i < n; ++i) {
      const double Ii = static_cast<double>(pr.importance[i]);
      auto f_at = [&](const std::vector<double>& x) {  // x over all n coordinates
        double z = P.b(i);
        for (int j = 0; j < n; ++j) z += M(i, j) * x[j];
        const double y = z > 0 ? std::pow(z, pr.k) : 0.0;
        return (x[i] - y) * (x[i] - y);
      };
      std::vector<double> x(n, 0.0);
      if (s == 0) {
        total += prob * Ii * f_at(x);
        continue;
      }
      const int last = act.back();
      // Outer coordinates act[0..s-2]; the last one is integrated exactly (split at feature i's kink).
      const int outer = s - 1;
      const double alpha = M(i, last);
      auto inner = [&]() {
        double r0 = P.b(i);
        for (int r = 0; r < outer; ++r) r0 += M(i, act[r]) * x[act[r]];
        return split_gauss(
            [&](double t) {
              x[last] = t;
              return f_at(x);
            },
            alpha != 0 ? -r0 / alpha : -1);
      };
      double acc = 0;
      if (outer == 0) {
        acc = inner();
      } else if (outer == 1) {
        // The inner integral is a polynomial of degree ≤ 7 in the outer coordinate u between the u where the kink
        // enters or leaves [0, 1] (b + M_iu·u + alpha·{0, 1} = 0): split there, exact again.
        const double au = M(i, act[0]);
        std::vector<double> cuts{0.0, 1.0};
        if (au != 0)
          for (double end : {0.0, alpha}) {
            const double u = -(P.b(i) + end) / au;
            if (u > 0 && u < 1) cuts.push_back(u);
          }
        std::sort(cuts.begin(), cuts.end());
        for (std::size_t c = 0; c + 1 < cuts.size(); ++c)
          for (int q = 0; q < 4; ++q) {
            x[act[0]] = cuts[c] + (cuts[c + 1] - cuts[c]) * kNodes[q];
            acc += kWeights[q] * (cuts[c + 1] - cuts[c]) * inner();
          }
      } else {
        // A tensor grid of `cells` Gauss–Legendre cells per outer axis (error O(cells^-3) at the kinks).
        const int pts = cells * 4;
        long long count = 1;
        for (int r = 0; r < outer; ++r) count *= pts;
        for (long long idx = 0; idx < count; ++idx) {
          long long rest = idx;
          double w = 1;
          for (int r = 0; r < outer; ++r) {
            const int q = static_cast<int>(rest % pts);
            rest /= pts;
            x[act[r]] = (q / 4 + kNodes[q % 4]) / cells;
            w *= kWeights[q % 4] / cells;
          }
          acc += w * inner();
        }
      }
      total += prob * Ii * acc;
    }
  }
  return total;
}

using test::to_rational;

}  // namespace

BOOST_AUTO_TEST_CASE(cube_formula_one_coordinate_by_hand) {
  // E(a v + c)_+ for v ~ U[0,1], a = 2, c = −1/2: ∫_{1/4}^1 (2v − 1/2) dv = [v² − v/2]_{1/4}^1 = 1/2 + 1/16 = 9/16.
  // As a loss: n = d = 1, W = √2 is irrational, so take the pre-activation directly through an untied decoder:
  // M = W_dec·W = 2·1, b = −1/2, k = 1, p = 1: L = E(v − (2v − 1/2)_+)².
  Problem pr = make_problem(1, 1, Rational(1), 1, false);
  pr.importance = {Rational(1)};
  Params<Rational> P;
  P.W = Matrix<Rational>::Constant(1, 1, Rational(2));
  P.W_dec = Matrix<Rational>::Constant(1, 1, Rational(1));
  P.b = Vector<Rational>::Constant(1, Rational(-1, 2));
  // By hand: for v < 1/4 the output is 0: ∫_0^{1/4} v² = 1/192; for v ≥ 1/4: (v − 2v + 1/2)² = (1/2 − v)²:
  // ∫_{1/4}^1 (1/2 − v)² dv = [(v − 1/2)³/3]_{1/4}^1 = (1/8 + 1/64)/3 = 9/192. Total 10/192 = 5/96.
  BOOST_TEST(expected_loss(pr, P).loss == Rational(5, 96));
}

BOOST_AUTO_TEST_CASE(exact_loss_against_numerical_integration) {
  // n = 2: the integration is exact up to rounding (every piece is a polynomial); n = 3: a grid on one axis.
  std::mt19937_64 rng(7);
  for (int n : {2, 3})
  for (int k : {1, 2, 3})
    for (bool tied : {true, false}) {
      const Problem pr = make_problem(2, n, Rational(2, 5), k, tied);
      const Params<double> P = random_params(pr, rng);
      const double exact = expected_loss(pr, P).loss;
      const double brute = brute_force_loss(pr, P, 30);
      BOOST_TEST_INFO("n=" << n << " k=" << k << " tied=" << tied);
      BOOST_TEST(std::fabs(exact - brute) <= (n == 2 ? 1e-12 : 1e-5) * std::fabs(brute));
      // Exact rationals agree with double to its stated error.
      const LossEvaluation<double> ev = expected_loss(pr, P);
      const Rational q = expected_loss(pr, to_rational(P)).loss;
      BOOST_TEST(std::fabs(ev.loss - static_cast<double>(q)) <= ev.abs_error + 1e-15);
      BOOST_TEST(ev.loss_digits() >= 12);
    }
}

BOOST_AUTO_TEST_CASE(exact_loss_against_monte_carlo) {
  std::mt19937_64 rng(11);
  const Problem pr = make_problem(2, 4, Rational(3, 10), 1);
  const Params<double> P = random_params(pr, rng);
  const double exact = expected_loss(pr, P).loss;
  const MonteCarloLoss mc = monte_carlo_loss(pr, P, 200000, 5);
  BOOST_TEST(mc.standard_error > 0);
  BOOST_TEST(std::fabs(mc.loss - exact) <= 4 * mc.standard_error);
  BOOST_TEST(mc.standard_error < 0.01 * exact);
}

BOOST_AUTO_TEST_CASE(gradient_against_central_differences) {
  std::mt19937_64 rng(3);
  for (int k : {1, 2, 3})
    for (bool tied : {true, false}) {
      Problem pr = make_problem(2, 3, Rational(1, 3), k, tied);
      Params<double> P = random_params(pr, rng);
      if (tied) {  // exact zeros in M: orthogonal columns 1 and 2 (the p_j/2·∂L/∂b_i route) and a zero column
        P.W << 0.9, 0.0, 0.3, 0.0, 1.1, -0.2;
      }
      const LossEvaluation<double> ev = expected_loss(pr, P, true);
      const double h = 1e-6;
      auto check = [&](auto& X, const auto& G, const char* name) {
        for (Eigen::Index r = 0; r < X.rows(); ++r)
          for (Eigen::Index c = 0; c < X.cols(); ++c) {
            const double x0 = X(r, c);
            X(r, c) = x0 + h;
            const double up = expected_loss(pr, P).loss;
            X(r, c) = x0 - h;
            const double down = expected_loss(pr, P).loss;
            X(r, c) = x0;
            BOOST_TEST_INFO(name << "(" << r << "," << c << ") k=" << k << " tied=" << tied);
            BOOST_TEST(std::fabs(G(r, c) - (up - down) / (2 * h)) <= 1e-6);
          }
      };
      check(P.W, ev.grad_W, "W");
      if (!tied) check(P.W_dec, ev.grad_W_dec, "W_dec");
      check(P.b, ev.grad_b, "b");
    }
}

BOOST_AUTO_TEST_CASE(small_coefficients_are_widened_not_lost) {
  // M_12 = 1e-9: the cube formula divides by it and cancels about 9 digits in double; the block must be recomputed
  // in a wider type so that the result still agrees with exact rationals to double's precision.
  Problem pr = make_problem(2, 2, Rational(1, 2), 1);
  Params<double> P;
  P.W = Matrix<double>(2, 2);
  P.W << 1.0, 1e-9, 0.0, 1.0;
  P.b = Vector<double>::Constant(2, -0.1);
  const LossEvaluation<double> ev = expected_loss(pr, P, true);
  const LossEvaluation<Rational> ex = expected_loss(pr, to_rational(P), true);
  BOOST_TEST(ev.widened_blocks > 0);
  BOOST_TEST(std::fabs(ev.loss - static_cast<double>(ex.loss)) <= 1e-15);
  BOOST_TEST(ev.abs_error <= 1e-12);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) BOOST_TEST(std::fabs(ev.grad_W(r, c) - static_cast<double>(ex.grad_W(r, c))) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(low_order_terms_are_the_taylor_coefficients) {
  // For p_i = t·π_i the loss is a polynomial of degree n in t: interpolate it exactly at n + 1 rational points and
  // compare its three lowest coefficients with the closed form.
  std::mt19937_64 rng(5);
  const int n = 3;
  for (int k : {1, 2}) {
    Problem pr = make_problem(2, n, Rational(1), k);
    const std::vector<Rational> pi{Rational(1), Rational(1, 2), Rational(3, 4)};
    Params<Rational> P;
    P.W = test::random_rational_weights(2, n, rng);
    P.b = Vector<Rational>(n);
    P.b << Rational(-1, 5), Rational(1, 10), Rational(0);
    std::vector<Rational> ts, Ls;
    for (int r = 1; r <= n + 1; ++r) {
      const Rational t(r, 10);
      for (int j = 0; j < n; ++j) pr.p[j] = t * pi[j];
      ts.push_back(t);
      Ls.push_back(expected_loss(pr, P).loss);
    }
    // Newton's divided differences, then the monomial coefficients.
    std::vector<Rational> dd = Ls;
    for (int lev = 1; lev <= n; ++lev)
      for (int r = n; r >= lev; --r) dd[r] = (dd[r] - dd[r - 1]) / (ts[r] - ts[r - lev]);
    std::vector<Rational> coef(n + 1, Rational(0));  // Horner on the Newton form
    for (int r = n; r >= 0; --r) {
      std::vector<Rational> next(n + 1, Rational(0));
      for (int c = 0; c < n; ++c) {
        next[c + 1] += coef[c];
        next[c] -= coef[c] * ts[r];
      }
      next[0] += dd[r];
      coef = next;
    }
    for (int j = 0; j < n; ++j) pr.p[j] = Rational(1, 10) * pi[j];  // t = max p = 1/10, π as above
    const LowOrderTerms<Rational> lo = low_order_terms(pr, P);
    BOOST_TEST(lo.t == Rational(1, 10));
    BOOST_TEST(lo.c0 == coef[0]);
    BOOST_TEST(lo.c1 == coef[1]);
    BOOST_TEST(lo.c2 == coef[2]);
  }
}

BOOST_AUTO_TEST_CASE(low_order_terms_at_large_n_in_double) {
  // n = 60, d = 5 (beyond the exact sum): c0 = Σ_i I_i ReLU(b_i)^{2k} (nothing active), by hand. Then at n = 4 the
  // second-order expansion matches the exact loss at p = 1e-4 up to its O(p³) remainder.
  std::mt19937_64 rng(9);
  Problem pr = make_problem(5, 60, Rational(1, 1000), 1);
  for (int i = 0; i < 60; ++i) pr.importance[i] = 1;
  Params<double> P = random_params(pr, rng);
  const LowOrderTerms<double> lo = low_order_terms(pr, P);
  double c0 = 0;
  for (int i = 0; i < 60; ++i) c0 += P.b(i) > 0 ? P.b(i) * P.b(i) : 0.0;
  BOOST_TEST(std::fabs(lo.c0 - c0) <= 1e-13 * c0);
  Problem small = make_problem(2, 4, Rational(1, 10000), 2);
  const Params<double> Q = random_params(small, rng);
  const LowOrderTerms<double> s = low_order_terms(small, Q);
  const double exact = expected_loss(small, Q).loss;
  // The remainder is O(t³): |L − (c0 + c1 t + c2 t²)| ≤ C·1e-12.
  BOOST_TEST(std::fabs(exact - s.value()) <= 1e-11 * (1 + std::fabs(exact)));
}

BOOST_AUTO_TEST_CASE(validation_names_the_field) {
  Problem pr = make_problem(1, 2, Rational(1, 2), 1);
  Params<double> P;
  P.W = Matrix<double>::Ones(1, 2);
  P.b = Vector<double>::Zero(2);
  auto message = [&](const Problem& q, const Params<double>& x) -> std::string {
    try {
      (void)expected_loss(q, x);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  Problem bad = pr;
  bad.k = 4;
  BOOST_TEST(message(bad, P).find("--k") != std::string::npos);
  bad = pr;
  bad.p[1] = 0;
  BOOST_TEST(message(bad, P).find("--p") != std::string::npos);
  bad = pr;
  bad.importance[0] = -1;
  BOOST_TEST(message(bad, P).find("--importance") != std::string::npos);
  bad = pr;
  bad.law = ValueLaw::parse("laplace");
  BOOST_TEST(message(bad, P).find("--mc-samples") != std::string::npos);
  Params<double> wrong = P;
  wrong.b = Vector<double>::Zero(3);
  BOOST_TEST(message(pr, wrong).find("b:") != std::string::npos);
  wrong = P;
  wrong.W(0, 0) = std::nan("");
  BOOST_TEST(message(pr, wrong).find("NaN") != std::string::npos);
  BOOST_CHECK_THROW(ValueLaw::parse("uniform02"), InputError);
  BOOST_TEST(ValueLaw::parse("uniform01").name() == "uniform01");
  BOOST_TEST(ValueLaw::parse("rademacher").name() == "rademacher");
}

BOOST_AUTO_TEST_CASE(optimizer_finds_the_n2_d1_optima) {
  // n = 2, d = 1, uniform01, k = 1, importances (1, r). One feature (feature 1 reconstructed exactly by W_1 = 1,
  // b_1 = 0; feature 2 off with its best constant b_2 = E x_2 = p/2) has loss r·(p/3 − p²/4), derived by hand:
  // E(x − c)² = p/3 − c·p + c² is least at c = p/2.
  const Rational r(9, 10);
  for (const Rational& p : {Rational(1), Rational(1, 20)}) {
    Problem pr = make_problem(1, 2, p, 1);
    pr.importance = {Rational(1), r};
    const double one_feature = static_cast<double>(r * (p / 3 - p * p / 4));
    Params<Rational> one;  // the one-feature configuration evaluated exactly by the library
    one.W = Matrix<Rational>(1, 2);
    one.W << Rational(1), Rational(0);
    one.b = Vector<Rational>(2);
    one.b << Rational(0), p / 2;
    BOOST_TEST(expected_loss(pr, one).loss == r * (p / 3 - p * p / 4));
    ReluOptimizeOptions opt;
    opt.starts = 8;
    const ReluOptimum best = optimize_relu(pr, opt);
    const double loss = static_cast<double>(best.loss);
    // The optimum's loss, recomputed by the independent integration of this file.
    Params<double> P;
    P.W = best.params50.W.cast<double>();
    P.b = best.params50.b.cast<double>();
    BOOST_TEST(std::fabs(brute_force_loss(pr, P, 1) - loss) <= 1e-12 * loss);
    BOOST_TEST_INFO("p = " << p);
    if (p == 1) {
      // Dense: one feature wins; the optimiser reaches its loss (and nothing lower exists among its starts).
      BOOST_TEST(std::fabs(loss - one_feature) <= 1e-12);
    } else {
      // Sparse: the antipodal pair (W_1·W_2 < 0, both represented) beats one feature by a clear margin.
      BOOST_TEST(loss < 0.9 * one_feature);
      BOOST_TEST(static_cast<double>(best.params50.W(0, 0) * best.params50.W(0, 1)) < -0.1);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The command line: `superpose relu loss` prints the exact value; bad input is one line and exit code 2
// ---------------------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cli_relu_loss_exact_value) {
  // W = (1, 0), b = (0, 1/20), p = 1/10: feature 1 is reconstructed exactly; feature 2 outputs 1/20, so its loss is
  // E(x − 1/20)² = p/3 − p/20 + 1/400 = 37/1200 (by hand).
  test::Sandbox box("superpose_relu_cli_");
  box.write("W.csv", "1,0\n");
  const test::Run r = box.run("relu loss --weights W.csv --bias 0,1/20 --p 0.1 --exact --format csv");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.out.find("loss,37/1200,exact-rational,exact") != std::string::npos);
  const test::Run mc = box.run("relu loss --weights W.csv --bias 0,1/20 --p 0.1 --mc-samples 1000 --format json");
  BOOST_TEST(mc.code == 0);
  BOOST_TEST(mc.out.find("\"route\": \"monte-carlo\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_relu_loss_symmetric_laws) {
  // W = (1, 0), b = (0, 1/20), p = 1/10 under a symmetric law (E v = 0, E v² = 1 for both laws below): feature 1
  // outputs v_+, loss p·E v_−² = p/2; feature 2 outputs 1/20, loss p·E v² + 1/400. Total 1/20 + 1/10 + 1/400 = 61/400.
  test::Sandbox box("superpose_relu_laws_cli_");
  box.write("W.csv", "1,0\n");
  const test::Run r = box.run("relu loss --weights W.csv --bias 0,1/20 --p 0.1 --law rademacher --exact --format csv");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.out.find("loss,61/400,exact-rational,exact") != std::string::npos);
  const test::Run g = box.run("relu loss --weights W.csv --bias 0,1/20 --p 0.1 --law gaussian --format csv");
  BOOST_TEST(g.code == 0);
  BOOST_TEST(g.out.find("loss,0.1525") != std::string::npos);
  BOOST_TEST(g.out.find(",closed-form,\"double") != std::string::npos);
  // laplace has no exact route: Monte Carlo, said on stderr and in the route. E v² = 2: the loss is
  // p·1 + p·2 + 1/400 = 0.3025, which the estimate meets within 4 standard errors.
  const test::Run l = box.run("relu loss --weights W.csv --bias 0,1/20 --p 0.1 --law laplace --format json");
  BOOST_TEST_REQUIRE(l.code == 0);
  const nlohmann::json j = nlohmann::json::parse(l.out);
  BOOST_TEST(j["results"][0]["route"] == "monte-carlo");
  BOOST_TEST(std::fabs(std::stod(j["results"][0]["value"].get<std::string>()) - 0.3025) <=
             4 * j["mc_standard_error"].get<double>());
  BOOST_TEST(l.err.find("no exact route is built for the value law laplace") != std::string::npos);
  BOOST_TEST(l.err.find("Monte Carlo") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_relu_bad_input_is_one_line_exit_2) {
  test::Sandbox box("superpose_relu_bad_");
  box.write("W.csv", "1,0\n");
  const std::pair<const char*, const char*> cases[] = {
      {"relu loss --weights W.csv --p 0", "--p"},
      {"relu loss --weights W.csv --p 0.1,0.2,0.3", "--p"},
      {"relu loss --weights W.csv --p 0.1 --k 4", "--k"},
      {"relu loss --weights W.csv --p 0.1 --importance geometric:-1", "--importance"},
      {"relu loss --weights W.csv --p 0.1 --law gaussian --exact", "--law"},
      {"relu loss --weights W.csv --p 0.1 --bias 1,2,3", "--bias"},
      {"relu loss --weights missing.csv --p 0.1", "missing.csv"},
      {"relu optimize --d 1 --n 20 --p 0.1", "--n"},
      {"relu optimize --d 0 --n 2 --p 0.1", "--d"},
      {"relu optimize --d 1 --n 2 --p 0.1 --starts 0", "--starts"},
      {"relu phase --n 3 --d 3", "--d, --n"},
      {"relu phase --p 0:1:3", "--p"},
  };
  for (const auto& [args, flag] : cases) {
    const test::Run r = box.run(args);
    BOOST_TEST_INFO(args << " -> " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.find(flag) != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.out.empty());
  }
  BOOST_TEST(!std::filesystem::exists(box.dir / "relu_phase"));  // nothing written by the refused phase runs
}

// The optimiser under symmetric laws. With n = d = 2, feature i's output ReLU(·) ≥ 0 cannot match x_i < 0, so every W
// and b lose at least E[x_i²; x_i < 0] = p·μ₂/2 per feature (rademacher and gaussian: μ₂ = 1, half the mass below 0),
// and W = I, b = 0 attains it (the positive half is reproduced exactly): the minimum is Σ_i I_i·p/2, found to 1e-12.
// laplace has no exact route and is refused before any work.
BOOST_AUTO_TEST_CASE(optimizer_under_symmetric_laws_reaches_the_half_mass_bound) {
  const Rational p(1, 10);
  for (const char* law : {"rademacher", "gaussian", "discrete:1:1,2:1"}) {
    Problem pr = make_problem(2, 2, p, 1);
    pr.law = ValueLaw::parse(law);
    const Rational mu2 = pr.law.symmetric->moment(2);
    const Rational bound = (pr.importance[0] + pr.importance[1]) * p * mu2 / 2;
    ReluOptimizeOptions opt;
    opt.starts = 4;
    const ReluOptimum best = optimize_relu(pr, opt);
    BOOST_TEST_INFO("law " << law);
    const double want = static_cast<double>(bound);
    BOOST_TEST(std::fabs(static_cast<double>(best.loss) - want) <= 1e-12 * want);
  }
  Problem lap = make_problem(2, 2, p, 1);
  lap.law = ValueLaw::parse("laplace");
  ReluOptimizeOptions opt;
  BOOST_CHECK_THROW(optimize_relu(lap, opt), InputError);
}

// relu optimize under symmetric laws from the command line: zero_loss is Σ_i I_i p_i μ₂ exactly (discrete:1:1,2:1 has
// μ₂ = (1 + 4)/2 = 5/2, so 2·(1/10)·5/2 = 1/2), the loss meets the half-mass bound zero_loss/2, and laplace is
// refused with exit 2, one line, before any work.
BOOST_AUTO_TEST_CASE(cli_relu_optimize_symmetric_law_zero_loss) {
  test::Sandbox box("superpose_relu_opt_laws_cli_");
  const test::Run r = box.run("relu optimize --d 2 --n 2 --p 1/10 --law discrete:1:1,2:1 --starts 2 --format json");
  BOOST_TEST_REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["zero_loss"].get<std::string>() == "1/2");
  BOOST_TEST(std::fabs(std::stod(j["loss"].get<std::string>()) - 0.25) <= 1e-12);
  const test::Run l = box.run("relu optimize --d 2 --n 2 --p 1/10 --law laplace");
  BOOST_TEST(l.code == 2);
  BOOST_TEST(l.err.find("--law laplace") != std::string::npos);
  BOOST_TEST(std::count(l.err.begin(), l.err.end(), '\n') == 1);
}
