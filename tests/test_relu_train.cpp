// The sampled-batch trainer of the ReLU model (search/relu_train.cpp): the hand-written backward pass against
// central differences of the batch loss, the sampler against its law, and training on n = 2, d = 1 against the
// losses of the two known configurations, derived here.
#define BOOST_TEST_MODULE relu_train
#include <boost/test/unit_test.hpp>

#include "search/search.hpp"
#include "tests/test_support.hpp"

#include <cmath>

using namespace superpose;

namespace {

relu::Problem problem(int d, int n, Rational p, std::vector<Rational> importance, int k = 1, bool tied = true) {
  relu::Problem pr;
  pr.d = d;
  pr.n = n;
  pr.p.assign(n, p);
  pr.importance = std::move(importance);
  pr.k = k;
  pr.tied = tied;
  return pr;
}

Vector<double> importance_of(const relu::Problem& pr) {
  Vector<double> v(pr.n);
  for (int i = 0; i < pr.n; ++i) v(i) = from_rational<double>(pr.importance[i]);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(backward_pass_matches_central_differences) {
  std::mt19937_64 rng(5);
  for (int k : {1, 2, 3})
    for (bool tied : {true, false}) {
      const relu::Problem pr = problem(3, 5, Rational(1, 2), {1, Rational(9, 10), Rational(1, 2), 2, 1}, k, tied);
      Matrix<double> X;
      relu::sample_batch(std::vector<double>(5, 0.5), 64, rng, X);
      relu::Params<double> x;
      x.W = test::random_gaussian_weights(3, 5, 0.6, rng);
      if (!tied) x.W_dec = test::random_gaussian_weights(3, 5, 0.6, rng);
      x.b = test::random_gaussian_weights(5, 1, 0.3, rng);
      const Vector<double> I = importance_of(pr);
      relu::Params<double> g;
      (void)relu::batch_loss(pr, I, x, X, &g);
      BOOST_TEST_REQUIRE(g.W_dec.size() == (tied ? 0 : 15));
      double worst = 0;
      auto check = [&](double& entry, double analytic) {
        const double h = 1e-6, keep = entry;
        entry = keep + h;
        const double up = relu::batch_loss(pr, I, x, X);
        entry = keep - h;
        const double down = relu::batch_loss(pr, I, x, X);
        entry = keep;
        worst = std::max(worst, std::abs((up - down) / (2 * h) - analytic) / std::max(1.0, std::abs(analytic)));
      };
      for (Eigen::Index e = 0; e < x.W.size(); ++e) check(x.W.data()[e], g.W.data()[e]);
      for (Eigen::Index e = 0; e < x.W_dec.size(); ++e) check(x.W_dec.data()[e], g.W_dec.data()[e]);
      for (Eigen::Index e = 0; e < x.b.size(); ++e) check(x.b.data()[e], g.b.data()[e]);
      BOOST_TEST_INFO("k = " << k << (tied ? " tied" : " untied") << ": worst relative error " << worst);
      BOOST_TEST(worst < 1e-7);
    }
}

BOOST_AUTO_TEST_CASE(sampler_follows_the_law) {
  // X_ib = β·v, β ~ Bernoulli(p), v ~ U[0,1]: P(X ≠ 0) = p, E X = p/2, E X² = p/3.
  std::mt19937_64 rng(1);
  const std::vector<double> p = {1.0, 0.3, 0.01};
  Matrix<double> X;
  const int B = 200000;
  relu::sample_batch(p, B, rng, X);
  for (int i = 0; i < 3; ++i) {
    const double active = (X.row(i).array() != 0).cast<double>().mean();
    const double se = std::sqrt(p[i] * (1 - p[i]) / B);
    BOOST_TEST(std::abs(active - p[i]) <= 4 * se + 1e-12);
    const double mean = X.row(i).mean(), se_mean = std::sqrt((p[i] / 3 - p[i] * p[i] / 4) / B);
    BOOST_TEST(std::abs(mean - p[i] / 2) <= 4 * se_mean);
    BOOST_TEST(X.row(i).minCoeff() >= 0.0);
    BOOST_TEST(X.row(i).maxCoeff() <= 1.0);
  }
}

BOOST_AUTO_TEST_CASE(sampler_follows_each_symmetric_law) {
  // X = β·v with v from the law: P(X ≠ 0) = p, E X = 0, E X² = p·μ_2 (standard errors from μ_2 and μ_4).
  const std::vector<double> p = {1.0, 0.3};
  const int B = 100000;
  for (const std::string law : {"uniform", "gaussian", "rademacher", "laplace", "discrete:1:1,3:2"}) {
    std::mt19937_64 rng(2);
    const relu::ValueLaw vl = relu::ValueLaw::parse(law);
    const double mu2 = from_rational<double>(vl.symmetric->moment(2));
    const double mu4 = from_rational<double>(vl.symmetric->moment(4));
    Matrix<double> X;
    relu::sample_batch(p, B, rng, X, vl);
    for (int i = 0; i < 2; ++i) {
      BOOST_TEST_INFO(law << " p = " << p[i]);
      const double active = (X.row(i).array() != 0).cast<double>().mean();
      BOOST_TEST(std::abs(active - p[i]) <= 4 * std::sqrt(p[i] * (1 - p[i]) / B) + 1e-12);
      BOOST_TEST(std::abs(X.row(i).mean()) <= 4 * std::sqrt(p[i] * mu2 / B));
      const double second = X.row(i).squaredNorm() / B;
      BOOST_TEST(std::abs(second - p[i] * mu2) <= 4 * std::sqrt((p[i] * mu4 - p[i] * p[i] * mu2 * mu2) / B));
    }
    if (law == "uniform") BOOST_TEST(X.cwiseAbs().maxCoeff() <= 1.0);
    if (law == "rademacher") BOOST_TEST((X.array() * X.array() * (X.array().abs() - 1)).abs().maxCoeff() == 0.0);
  }
}

BOOST_AUTO_TEST_CASE(trained_loss_matches_the_exact_loss_of_its_law) {
  // The trainer's final Monte Carlo loss samples the law it trained on: it agrees with the exact loss of the
  // trained W, b under that law (theory/relu.hpp) within 4 standard errors.
  relu::TrainOptions opt;
  opt.steps = 300;
  opt.seed = 5;
  for (const std::string law : {"gaussian", "rademacher", "uniform"}) {
    relu::Problem pr = problem(2, 3, Rational(1, 4), {1, Rational(9, 10), Rational(4, 5)}, 2);
    pr.law = relu::ValueLaw::parse(law);
    const relu::TrainedInstance t = relu::train({pr}, opt).front();
    const double exact = relu::expected_loss(pr, t.params).loss;
    BOOST_TEST_INFO(law << ": trained " << t.loss << " ± " << t.loss_se << ", exact " << exact);
    BOOST_TEST(std::abs(t.loss - exact) <= 4 * t.loss_se);
  }
}

// n = 2, d = 1, uniform01 values. Two known configurations:
//  one feature kept: W = (1, 0), b = (0, c): x̂_1 = x_1 exactly, x̂_2 = c, best c = E x_2 = p/2, loss
//    I_2·Var(x_2) = I_2·(E x² − (E x)²) = I_2·(p/3 − p²/4)   (with b = 0 it would be I_2·p/3);
//  antipodal pair: W = (1, −1), b = 0: x̂_1 = ReLU(x_1 − x_2) is exact unless both are active (probability p²),
//    when the error is min(x_1, x_2), E min² = ∫ 2(1−u)·u² du = 1/6; loss (I_1 + I_2)·p²/6.
// For p = 1, I = (1, 1/2) the features are dense and the rank-1 linear optimum keeps feature 1 (weighted PCA of
// the covariance I/12), so the optimum is the first configuration: loss (1/2)·(1/3 − 1/4) = 1/24. For p = 1/20,
// I = (1, 1) the pair (1/1200) beats one feature (0.01604...), and is itself an upper bound on the optimum.
BOOST_AUTO_TEST_CASE(training_n2_d1_reaches_the_best_known_configuration) {
  relu::TrainOptions opt;
  opt.steps = 4000;
  opt.weight_decay = 0;  // the exact optimum has no decay
  opt.seed = 3;
  {
    const std::vector<relu::Problem> dense(3, problem(1, 2, Rational(1), {1, Rational(1, 2)}));
    const std::vector<relu::TrainedInstance> r = relu::train(dense, opt);
    const relu::TrainedInstance* best = &r[0];
    for (const auto& t : r)
      if (t.loss < best->loss) best = &t;
    const double one_feature = 0.5 * (1.0 / 3 - 1.0 / 4), pair = 1.5 / 6;
    BOOST_TEST_INFO("dense: trained " << best->loss << " ± " << best->loss_se << ", one feature " << one_feature
                                      << ", pair " << pair << ", W = " << best->params.W << ", b = "
                                      << best->params.b.transpose());
    BOOST_TEST(std::abs(best->loss - std::min(one_feature, pair)) <= 4 * best->loss_se);
    BOOST_TEST(std::abs(std::abs(best->params.W(0, 0)) - 1) < 0.02);
    BOOST_TEST(std::abs(best->params.b(1) - 0.5) < 0.02);
  }
  {
    const double p = 1.0 / 20;
    const std::vector<relu::Problem> sparse(1, problem(1, 2, Rational(1, 20), {1, 1}));
    const relu::TrainedInstance t = relu::train(sparse, opt).front();
    const double one_feature = p / 3 - p * p / 4, pair = 2 * p * p / 6;
    BOOST_TEST_INFO("sparse: trained " << t.loss << " ± " << t.loss_se << ", pair " << pair << ", one feature "
                                       << one_feature << ", W = " << t.params.W);
    BOOST_TEST(t.loss <= pair + 4 * t.loss_se);
    BOOST_TEST(t.params.W(0, 0) * t.params.W(0, 1) < 0);  // superposition: the antipodal pair
    BOOST_TEST((relu::feature_geometry(t.params.W).groups.at(0).shape == relu::Shape::digon));
  }
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_before_any_work) {
  std::vector<relu::Problem> one(1, problem(1, 2, Rational(1, 2), {1, 1}));
  relu::TrainOptions opt;
  auto message = [&](const relu::TrainOptions& o, const std::vector<relu::Problem>& pr) {
    try {
      o.validate(pr);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  relu::TrainOptions o = opt;
  o.steps = 0;
  BOOST_TEST(message(o, one).rfind("--steps", 0) == 0);
  o = opt;
  o.lr = std::nan("");
  BOOST_TEST(message(o, one).rfind("--lr", 0) == 0);
  o = opt;
  o.eval_samples = 1;
  BOOST_TEST(message(o, one).rfind("--eval-samples", 0) == 0);
  std::vector<relu::Problem> gaussian = one;  // every symmetric law is sampled; an unknown law is refused at parse
  gaussian[0].law = relu::ValueLaw::parse("gaussian");
  BOOST_TEST(message(opt, gaussian).empty());
  BOOST_CHECK_EXCEPTION((void)relu::ValueLaw::parse("cauchy"), InputError,
                        [](const InputError& e) { return std::string(e.what()).rfind("--law", 0) == 0; });
  BOOST_TEST(message(opt, {}).find("no instance") != std::string::npos);
  // A step size that blows up is reported, not returned as NaN weights.
  o = opt;
  o.steps = 200;
  o.lr = 1e200;
  BOOST_CHECK_THROW(relu::train(one, o), InputError);
}
