// Tests of the bows/ model and optimiser against independent values: the gradient against central finite
// differences (dense and sparse backward paths, ReLU and linear), one and two AdamW steps against numbers computed by
// hand from PyTorch's update rule, the cosine schedule, the linear tied autoencoder converging to the top-d PCA
// projector, synthetic circular data giving a Gram that follows the data covariance (and iid data not), and a
// resumed training run equal to an uninterrupted one.
#define BOOST_TEST_MODULE bows_model
#include <boost/test/unit_test.hpp>

#include "bows/bows.hpp"
#include "numerics/numerics.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace superpose::bows;

namespace {

Csr random_csr(std::size_t rows, std::size_t V, double p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(p);
  Csr c;
  c.V = V;
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<std::uint32_t> a;
    for (std::size_t v = 0; v < V; ++v)
      if (on(rng)) a.push_back(static_cast<std::uint32_t>(v));
    c.push_back(a);
  }
  return c;
}

// Checks dL/dW and dL/db against central differences; returns the active fraction of the backward pass.
double check_gradient(Model m, const Csr& data, float h) {
  std::vector<std::size_t> rows(data.rows());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  Workspace ws;
  Gradient g;
  loss_and_gradient(m, data, rows, &g, ws);
  const double frac = ws.last_active_fraction;
  auto L = [&](const Model& mm) {
    Workspace w2;
    return loss_and_gradient(mm, data, rows, nullptr, w2);
  };
  double worst = 0;
  for (Eigen::Index j = 0; j < m.V(); ++j) {
    for (Eigen::Index i = 0; i < m.d(); ++i) {
      Model p = m, q = m;
      p.W(i, j) += h;
      q.W(i, j) -= h;
      const double fd = (L(p) - L(q)) / (2.0 * h);
      worst = std::max(worst, std::abs(fd - g.W(i, j)) / (1e-4 + std::abs(fd)));
    }
    Model p = m, q = m;
    p.b(j) += h;
    q.b(j) -= h;
    const double fd = (L(p) - L(q)) / (2.0 * h);
    worst = std::max(worst, std::abs(fd - g.b(j)) / (1e-4 + std::abs(fd)));
  }
  BOOST_TEST(worst < 2e-2, "worst relative gradient error " << worst);
  return frac;
}

// Minimum |z| over the batch: the finite differences are valid only away from the ReLU kink.
float min_abs_preactivation(const Model& m, const Csr& data) {
  Eigen::MatrixXf X = Eigen::MatrixXf::Zero(m.V(), static_cast<Eigen::Index>(data.rows()));
  for (std::size_t r = 0; r < data.rows(); ++r)
    for (auto k = data.offsets[r]; k < data.offsets[r + 1]; ++k) X(data.indices[k], static_cast<Eigen::Index>(r)) = 1;
  Eigen::MatrixXf Z = m.W.transpose() * (m.W * X);
  Z.colwise() += m.b;
  return Z.cwiseAbs().minCoeff();
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_dense_path) {
  const Csr data = random_csr(6, 9, 0.4, 7);
  Model m = init_model(3, 9, 0.6f, true, 11);
  for (Eigen::Index v = 0; v < 9; ++v) m.b(v) = 0.1f * static_cast<float>(v % 3) - 0.05f;
  BOOST_TEST_REQUIRE(min_abs_preactivation(m, data) > 0.01f);
  const double frac = check_gradient(m, data, 1e-3f);
  BOOST_TEST(frac >= kSparseBackwardBelow);  // the dense GEMM path ran
  m.relu = false;
  check_gradient(m, data, 1e-3f);
}

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_sparse_path) {
  // Strongly negative biases switch most outputs off, so the sparse backward runs (active fraction below
  // kSparseBackwardBelow).
  const Csr data = random_csr(8, 12, 0.3, 3);
  Model m = init_model(4, 12, 0.5f, true, 5);
  m.b.setConstant(-1.2f);
  m.b(2) = 0.4f;
  BOOST_TEST_REQUIRE(min_abs_preactivation(m, data) > 0.01f);
  const double frac = check_gradient(m, data, 1e-3f);
  BOOST_TEST(frac < kSparseBackwardBelow);
  BOOST_TEST(frac > 0.0);
}

BOOST_AUTO_TEST_CASE(adamw_matches_pytorch_update_by_hand) {
  // One parameter p = 0.5 (W is 1×1) and the bias b = −0.2; lr 0.01, wd 4, betas 0.9/0.999, eps 1e-8.
  // Step 1, g = 0.1: p ← 0.5(1 − 0.04) = 0.48; m = 0.01; v = 1e-5; m̂ = 0.1, v̂ = 0.01 → √v̂ = 0.1;
  //   p ← 0.48 − 0.01·0.1/(0.1 + 1e-8) = 0.4700000010 (to 10 digits).
  // Step 2, g = −0.2, lr 0.005: p ← 0.47(1 − 0.02) = 0.4606; m = 0.009 − 0.02 = −0.011;
  //   v = 0.999e-5 + 0.001·0.04 = 4.999e-5; bias corrections 0.19 and 0.001999;
  //   p ← 0.4606 + (0.005/0.19)·0.011/(√4.999e-5/√0.001999 + 1e-8) = 0.462430518 (to 9 digits).
  // The bias, b = −0.2 with g = 0.1 then −0.2: step 1 b ← −0.192 − 0.01 = −0.2019999990; step 2
  //   b ← −0.202·0.98 + 0.0018305 = −0.1961295.
  Model m;
  m.W = Eigen::MatrixXf::Constant(1, 1, 0.5f);
  m.b = Eigen::VectorXf::Constant(1, -0.2f);
  AdamWState st;
  AdamWOptions opt;
  opt.lr = 0.01;
  opt.weight_decay = 4;
  Gradient g;
  g.W = Eigen::MatrixXf::Constant(1, 1, 0.1f);
  g.b = Eigen::VectorXf::Constant(1, 0.1f);
  adamw_step(m, g, st, opt, 0.01);
  BOOST_TEST(m.W(0, 0) == 0.4700000010, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(m.b(0) == -0.2020000, boost::test_tools::tolerance(1e-6));
  g.W(0, 0) = -0.2f;
  g.b(0) = -0.2f;
  adamw_step(m, g, st, opt, 0.005);
  BOOST_TEST(m.W(0, 0) == 0.462430518, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(m.b(0) == -0.1961295, boost::test_tools::tolerance(2e-6));
  BOOST_TEST(st.step == 2u);
}

BOOST_AUTO_TEST_CASE(cosine_schedule_endpoints_and_midpoint) {
  BOOST_TEST(cosine_lr(5e-4, 0, 100) == 5e-4, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(cosine_lr(5e-4, 50, 100) == 2.5e-4, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(cosine_lr(5e-4, 25, 100) == 5e-4 * (1 + std::sqrt(0.5)) / 2, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::abs(cosine_lr(5e-4, 100, 100)) < 1e-18);
  BOOST_TEST(cosine_lr(1e-2, 200, 200, 1e-9) == 1e-9, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(kaiming_uniform_bound_and_range) {
  BOOST_TEST(kaiming_uniform_bound(10000) == 0.0141421356f, boost::test_tools::tolerance(1e-6f));
  const Model m = init_model(50, 200, kaiming_uniform_bound(200), true, 1);
  BOOST_TEST(m.W.cwiseAbs().maxCoeff() <= kaiming_uniform_bound(200));
  // Variance of U(−a, a) is a²/3 = 2/(3V); 10,000 draws put the sample variance within ~3 %.
  const double var = static_cast<double>(m.W.squaredNorm()) / static_cast<double>(m.W.size());
  BOOST_TEST(var == 2.0 / (3.0 * 200.0), boost::test_tools::tolerance(0.05));
  BOOST_TEST(m.b.isZero());
}

BOOST_AUTO_TEST_CASE(linear_tied_autoencoder_without_weight_decay_learns_the_pca_projector) {
  // Baldi & Hornik (1989): the optimum of E|WᵀWx + b − x|² is WᵀW = the projector on the top-d eigenvectors of the
  // covariance (b absorbs the mean). Circular data have eigenvalues in cos/sin pairs; d = 2 takes the top pair.
  SyntheticDataOptions data;
  data.samples = 4000;
  SyntheticTrainOptions o;
  o.d = 2;
  o.relu = false;
  o.weight_decay = 0;
  o.epochs = 150;
  o.train_fraction = 0.75;
  const SyntheticResult r = train_synthetic(data, o);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(r.covariance);
  const Eigen::VectorXd lam = es.eigenvalues();
  BOOST_TEST_REQUIRE(lam(11) - lam(10) < 1e-2 * lam(11) + 1e-3);  // the top pair is (nearly) degenerate
  BOOST_TEST_REQUIRE(lam(10) - lam(9) > 0.2 * lam(10));           // and well separated from the next
  const Eigen::MatrixXd U = es.eigenvectors().rightCols(2);
  const Eigen::MatrixXd P = U * U.transpose();
  const Eigen::MatrixXd W = r.model.W.cast<double>();
  const Eigen::MatrixXd WtW = W.transpose() * W;
  BOOST_TEST((WtW - P).norm() < 0.05, "|WᵀW − P|_F = " << (WtW - P).norm());
}

BOOST_AUTO_TEST_CASE(synthetic_circular_gram_follows_covariance_and_iid_does_not) {
  // bows.md §4.3: with weight decay 6, linear and ReLU tied autoencoders on circular data have a Gram matrix whose
  // off-diagonal entries correlate with the data covariance's (r >= 0.9).
  SyntheticDataOptions data;
  SyntheticTrainOptions o;
  o.d = 4;
  o.weight_decay = 6;
  o.epochs = 100;
  Eigen::MatrixXd circular_cov;
  for (bool relu : {false, true}) {
    o.relu = relu;
    const SyntheticResult r = train_synthetic(data, o);
    BOOST_TEST(r.offdiag_correlation >= 0.9, (relu ? "ReLU" : "linear") << " r = " << r.offdiag_correlation);
    BOOST_TEST(std::isnan(r.circular_correlation));  // reported for iid data only
    circular_cov = r.covariance;
  }
  // iid features with the same density: the data have no correlation structure (the sample covariance's
  // off-diagonal part is noise, under a tenth of the circular one's), and the Gram learnt from them does not
  // reproduce the circular structure (|r| against the circular covariance < 0.3).
  data.structure = Structure::iid;
  o.relu = true;
  const SyntheticResult r = train_synthetic(data, o);
  auto offdiag_norm = [](const Eigen::MatrixXd& M) { return (M - Eigen::MatrixXd(M.diagonal().asDiagonal())).norm(); };
  BOOST_TEST(offdiag_norm(r.covariance) < 0.1 * offdiag_norm(circular_cov));
  const double r_iid = offdiagonal_correlation(r.gram, circular_cov);
  BOOST_TEST(std::abs(r_iid) < 0.3, "iid Gram vs circular covariance r = " << r_iid);
  BOOST_TEST(r.circular_correlation == r_iid);  // the library's own comparison is the same one
  BOOST_TEST_MESSAGE("iid Gram vs its own sample covariance r = " << r.offdiag_correlation);
}

BOOST_AUTO_TEST_CASE(synthetic_seeds_are_the_single_runs_and_refuse_a_repeated_seed) {
  SyntheticDataOptions data;
  data.samples = 200;
  SyntheticTrainOptions o;
  o.epochs = 2;
  const auto rs = train_synthetic_seeds(data, o, {3, 1});
  BOOST_TEST_REQUIRE(rs.size() == 2u);
  for (const auto& [k, seed] : {std::pair<std::size_t, std::uint64_t>{0, 3}, {1, 1}}) {
    o.seed = seed;
    const SyntheticResult one = train_synthetic(data, o);
    BOOST_TEST(rs[k].offdiag_correlation == one.offdiag_correlation, "seed " << seed);
    BOOST_TEST((rs[k].model.W.array() == one.model.W.array()).all(), "seed " << seed);
  }
  BOOST_TEST(rs[0].offdiag_correlation != rs[1].offdiag_correlation);
  BOOST_CHECK_THROW(train_synthetic_seeds(data, o, {1, 1}), OptionError);
  BOOST_CHECK_THROW(train_synthetic_seeds(data, o, {}), OptionError);
}

BOOST_AUTO_TEST_CASE(crc32_matches_the_standard_check_value) {
  // The CRC-32 check value of the ASCII digits "123456789" (zlib, PNG, Ethernet): 0xCBF43926.
  BOOST_TEST(crc32_hex("123456789") == "cbf43926");
  BOOST_TEST(crc32_hex("") == "00000000");
}

BOOST_AUTO_TEST_CASE(validate_names_the_field) {
  TrainOptions t;
  t.data = "x";
  t.out = "y";
  t.checkpoint_every = 0;
  try {
    t.validate();
    BOOST_TEST(false, "checkpoint_every = 0 accepted");
  } catch (const OptionError& e) {
    BOOST_TEST(e.field == "checkpoint_every");
  }
  SyntheticDataOptions d;
  SyntheticTrainOptions s;
  s.lr = std::numeric_limits<double>::quiet_NaN();
  try {
    s.validate(d);
    BOOST_TEST(false, "lr = NaN accepted");
  } catch (const OptionError& e) {
    BOOST_TEST(e.field == "lr");
  }
  BOOST_CHECK_THROW(train_synthetic(d, s), OptionError);  // the library entry point validates too
}

BOOST_AUTO_TEST_CASE(resumed_training_equals_uninterrupted_training) {
  const fs::path root = fs::temp_directory_path() / ("superpose_test_bows_resume_" + std::to_string(::getpid()));
  fs::remove_all(root);
  PrepareOptions p;
  p.corpus = "wikitext:" + std::string(SUPERPOSE_TEST_DATA) + "/bows/tiny.tokens";
  p.V = 44;
  p.window = 2;
  p.heldout = 0.5;
  p.out = (root / "data").string();
  prepare(p);
  TrainOptions t;
  t.data = p.out;
  t.d = 3;
  t.batch = 2;
  t.steps = 12;
  t.adamw.lr = 1e-2;
  t.adamw.weight_decay = 1;
  t.checkpoint_every = 5;
  t.out = (root / "full").string();
  const TrainResult full = train(t);
  // Interrupt after 5 steps: train with the same options to a checkpoint, then resume. The checkpoint at step 5 is
  // produced by stopping the progress callback with an exception.
  t.out = (root / "part").string();
  struct Stop {};
  try {
    train(t, [](const TrainProgress& pr) {
      if (pr.step == 5) throw Stop{};
    });
  } catch (const Stop&) {
  }
  t.resume = true;
  const TrainResult resumed = train(t);
  BOOST_TEST(resumed.steps_run == 7u);
  BOOST_TEST((resumed.model.W - full.model.W).cwiseAbs().maxCoeff() == 0.0f);
  BOOST_TEST((resumed.model.b - full.model.b).cwiseAbs().maxCoeff() == 0.0f);
  BOOST_TEST(full.final_train_loss == resumed.final_train_loss);
  fs::remove_all(root);
}

// Threads: the loss, the gradient (dense and sparse backward) and an AdamW step are the same to the bit for 1, 2 and
// 3 threads, with V and B spanning several GEMM blocks (kernels::kGemmBlock = 128) and a last short block; and the
// loss equals an independent double-precision evaluation of the definition.
BOOST_AUTO_TEST_CASE(threaded_step_equals_one_thread_bit_for_bit) {
  const std::size_t V = 300, B = 260;
  const Csr data = random_csr(B, V, 0.05, 11);
  std::vector<std::size_t> rows(B);
  for (std::size_t i = 0; i < B; ++i) rows[i] = i;
  for (const bool sparse : {false, true}) {
    Model m = init_model(40, static_cast<Eigen::Index>(V), 0.3f, true, 5);
    if (sparse) {  // few positive outputs: the sparse backward path (bias at the 95th percentile of Wᵀ W x)
      Workspace w0;
      loss_and_gradient(m, data, rows, nullptr, w0);
      std::vector<float> z(w0.Z.data(), w0.Z.data() + w0.Z.size());
      std::nth_element(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(0.95 * static_cast<double>(z.size())),
                       z.end());
      m.b.setConstant(-z[static_cast<std::size_t>(0.95 * static_cast<double>(z.size()))]);
    }
    Workspace w1;
    Gradient g1;
    const double l1 = loss_and_gradient(m, data, rows, &g1, w1);
    BOOST_TEST((sparse ? w1.last_active_fraction < kSparseBackwardBelow : w1.last_active_fraction > 0.3),
               "active fraction " << w1.last_active_fraction);
    // Independent loss: (1/(B·V)) Σ (max(w_vᵀ W x + b_v, 0) − x_v)² in double.
    const Eigen::MatrixXd Wd = m.W.cast<double>();
    double ref = 0;
    for (std::size_t c = 0; c < B; ++c) {
      Eigen::VectorXd x = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(V));
      for (auto k = data.offsets[c]; k < data.offsets[c + 1]; ++k) x(data.indices[k]) = 1;
      const Eigen::VectorXd y = ((Wd.transpose() * (Wd * x)) + m.b.cast<double>()).cwiseMax(0.0);
      ref += (y - x).squaredNorm();
    }
    ref /= static_cast<double>(B * V);
    BOOST_TEST(std::abs(l1 - ref) <= 1e-5 * ref);
    for (const int threads : {2, 3}) {
      Workspace wt;
      wt.threads = threads;
      Gradient gt;
      const double lt = loss_and_gradient(m, data, rows, &gt, wt);
      BOOST_TEST(lt == l1);
      BOOST_TEST((gt.W.array() == g1.W.array()).all(), "dL/dW differs at " << threads << " threads");
      BOOST_TEST((gt.b.array() == g1.b.array()).all(), "dL/db differs at " << threads << " threads");
      Model ma = m, mb = m;
      AdamWState sa, sb;
      AdamWOptions opt;
      adamw_step(ma, g1, sa, opt, 1e-2, 1);
      adamw_step(mb, gt, sb, opt, 1e-2, threads);
      BOOST_TEST((ma.W.array() == mb.W.array()).all());
      BOOST_TEST((ma.b.array() == mb.b.array()).all());
    }
  }
}

// A whole training run (tiny WikiText file, 12 steps) with 2 threads ends with the same W and b as with 1.
BOOST_AUTO_TEST_CASE(threaded_training_equals_one_thread_training) {
  const fs::path root = fs::temp_directory_path() / ("superpose_test_bows_threads_" + std::to_string(::getpid()));
  fs::remove_all(root);
  PrepareOptions p;
  p.corpus = "wikitext:" + std::string(SUPERPOSE_TEST_DATA) + "/bows/tiny.tokens";
  p.V = 44;
  p.window = 2;
  p.heldout = 0.5;
  p.out = (root / "data").string();
  prepare(p);
  TrainOptions t;
  t.data = p.out;
  t.d = 3;
  t.batch = 2;
  t.steps = 12;
  t.adamw.lr = 1e-2;
  t.threads = 1;
  t.out = (root / "one").string();
  const TrainResult one = train(t);
  t.threads = 2;
  t.out = (root / "two").string();
  const TrainResult two = train(t);
  BOOST_TEST(two.threads == 2);
  BOOST_TEST((one.model.W.array() == two.model.W.array()).all());
  BOOST_TEST((one.model.b.array() == two.model.b.array()).all());
  BOOST_TEST(one.final_heldout_loss == two.final_heldout_loss);
  t.threads = -1;
  try {
    t.validate();
    BOOST_TEST(false, "threads = -1 accepted");
  } catch (const OptionError& e) {
    BOOST_TEST(e.field == "threads");
  }
  fs::remove_all(root);
}
