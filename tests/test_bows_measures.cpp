// Tests of the paper's own measurements in bows/measures.cpp against values worked out independently:
// the linear probe (Definition 2) on words exactly linear in h (R² = 1), on a word independent of h (R² ≈ 0, with
// the tolerance the sample size gives) and on two words sharing one column (population R² = 1/2 exactly); the
// frequency split on a synthetic vocabulary with a planted split; the context share on a hand-made model whose
// pre-activations are computed by hand below.
#define BOOST_TEST_MODULE bows_measures
#include <boost/test/unit_test.hpp>

#include "bows/bows.hpp"
#include "numerics/numerics.hpp"

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace superpose::bows;

namespace {

// `rows` windows over V words, word v present independently with probability p.
Csr bernoulli_windows(std::size_t rows, std::size_t V, double p, std::uint64_t seed) {
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

}  // namespace

BOOST_AUTO_TEST_CASE(linear_probe_r2_is_one_for_linear_words_and_near_zero_for_an_independent_word) {
  // V = 4, d = 3. Words 0-2 have linearly independent columns (det of the 3×3 block = 1·(1·1 − 0) − 0.5·(0 − 0.5·1)
  // + 0 = 1.25 ≠ 0), so x_0..x_2 = W_{:,0:3}⁻¹ h exactly: R² = 1 (the ridge λ = 1e-9 against HᵀH ≈ N·Var(h) ≈ 10³
  // shrinks β by ~1e-12). Word 3 has a zero column: h carries nothing about x_3, so its held-out R² is
  // −(d+1)/N_train ± 2√((d+1)/(N_train·N_heldout)) ≈ −1e-3 ± 1e-3 (the fitted β̂ is pure estimation noise); we
  // allow |R²| < 0.01, about 9 standard deviations.
  Eigen::MatrixXf W(3, 4);
  W << 1.0f, 0.5f, 0.0f, 0.0f,  //
      0.0f, 1.0f, 0.0f, 0.0f,   //
      0.5f, 0.0f, 1.0f, 0.0f;
  const Csr train = bernoulli_windows(4000, 4, 0.5, 1), held = bernoulli_windows(4000, 4, 0.5, 2);
  const ProbeResult p = linear_probe(W, train, held, 1e-9);
  for (Eigen::Index v = 0; v < 3; ++v) BOOST_TEST(p.r2(v) > 1 - 1e-8, "word " << v << ": R² = " << p.r2(v));
  BOOST_TEST(joint_r2(p, {0, 1, 2}) > 1 - 1e-8);
  BOOST_TEST(std::abs(p.r2(3)) < 0.01, "independent word: R² = " << p.r2(3));
  // ss_tot is the held-out count times (1 − share), independently recounted here.
  double n3 = 0;
  for (auto i : held.indices) n3 += i == 3;
  BOOST_TEST(p.heldout_windows(3) == n3);
  BOOST_TEST(std::abs(p.ss_tot(3) - n3 * (1 - n3 / 4000.0)) < 1e-9 * n3);
  // The joint R² is the variance-weighted mean: with words 0 and 3, 1 − ss_res_3 / (ss_tot_0 + ss_tot_3).
  BOOST_TEST(std::abs(joint_r2(p, {0, 3}) - (1 - (p.ss_res(0) + p.ss_res(3)) / (p.ss_tot(0) + p.ss_tot(3)))) < 1e-12);
  // Bad penalties are refused, naming the option.
  for (double bad : {0.0, -1.0, std::nan("")}) BOOST_CHECK_THROW(linear_probe(W, train, held, bad), OptionError);
}

BOOST_AUTO_TEST_CASE(linear_probe_r2_is_one_half_for_two_words_sharing_a_column) {
  // d = 1, W = [1 1]: h = x_0 + x_1 with x_0, x_1 independent Bernoulli(1/2). E[x_0 | h] = h/2 is linear in h, so
  // the best linear probe is h/2 and R² = Var(h/2)/Var(x_0) = (2·p(1−p)/4)/(p(1−p)) = 1/2 exactly in the population.
  // Sampling: the residual (x_0 − h/2)² is 1/4 with probability 1/2, so over N = 8000 held-out windows
  // ss_res/N = 1/8 ± 0.0014 and R² = 1/2 ± 0.006; we allow 0.03.
  Eigen::MatrixXf W(1, 2);
  W << 1.0f, 1.0f;
  const ProbeResult p = linear_probe(W, bernoulli_windows(8000, 2, 0.5, 3), bernoulli_windows(8000, 2, 0.5, 4), 1e-3);
  BOOST_TEST(std::abs(p.r2(0) - 0.5) < 0.03, "R² = " << p.r2(0));
  BOOST_TEST(std::abs(p.r2(1) - 0.5) < 0.03, "R² = " << p.r2(1));
}

BOOST_AUTO_TEST_CASE(frequency_split_finds_a_planted_split) {
  // 200 words; frequencies are a fixed shuffle of 1 … 200, so a word's rank is 201 − its frequency. Planted: ranks
  // 1–40 linear (R² 0.8) and the rest non-linear (0.2), except rank 10 (non-linear, 0.3) and rank 100 (linear, 0.7);
  // ranks 150–154 are not scored (NaN). Hence 40 linear (39 + 1), 155 non-linear (200 − 5 − 40), 5 undefined; the
  // cut after the 40 most frequent scored words leaves exactly 2 on the wrong side (ranks 10 and 100), every other
  // cut more (after 9: 31; after 100: 60), so split_rank = 40 and agreement = 1 − 2/195.
  const std::size_t V = 200;
  std::vector<double> freq(V);
  std::iota(freq.begin(), freq.end(), 1.0);
  std::shuffle(freq.begin(), freq.end(), std::mt19937_64(5));
  Eigen::VectorXd r2(V);
  for (std::size_t v = 0; v < V; ++v) {
    const auto rank = static_cast<std::size_t>(201 - freq[v]);
    double x = rank <= 40 ? 0.8 : 0.2;
    if (rank == 10) x = 0.3;
    if (rank == 100) x = 0.7;
    if (rank >= 150 && rank <= 154) x = std::nan("");
    r2(static_cast<Eigen::Index>(v)) = x;
  }
  const FrequencySplit f = frequency_split(r2, freq, 0.5);
  BOOST_TEST(f.linear == 40u);
  BOOST_TEST(f.nonlinear == 155u);
  BOOST_TEST(f.undefined == 5u);
  BOOST_TEST(f.split_rank == 40u);
  BOOST_TEST(std::abs(f.split_agreement - (1 - 2.0 / 195)) < 1e-12);
  for (std::size_t v = 0; v < V; ++v) BOOST_TEST(f.rank[v] == static_cast<std::size_t>(201 - freq[v]));
  BOOST_TEST(f.spearman_r2_rank < -0.5);  // R² falls with rank
  // The threshold is inclusive: at 0.8 only the 39 words at exactly 0.8 count as linear.
  BOOST_TEST(frequency_split(r2, freq, 0.8).linear == 39u);
  BOOST_CHECK_THROW(frequency_split(r2, std::vector<double>(V - 1, 1.0), 0.5), superpose::InputError);
}

BOOST_AUTO_TEST_CASE(context_share_on_a_hand_made_model) {
  // V = 3, d = 2: W_0 = (1, 0), W_1 = (0.6, 0.8), W_2 = (0, 1); b = (−1.5, −0.5, −1.5).
  // Alone: z_v(e_v) = b_v + |W_v|² = −0.5, 0.5, −0.5 (words 0 and 2 are off alone).
  // Windows and z = Wᵀh + b, by hand:
  //   {0}:      h = (1, 0)      z_0 = −0.5
  //   {0,1}:    h = (1.6, 0.8)  z_0 = 1.6 − 1.5 = 0.1;  z_1 = 0.96 + 0.64 − 0.5 = 1.1
  //   {0,2}:    h = (1, 1)      z_0 = −0.5;             z_2 = 1 − 1.5 = −0.5
  //   {0,1,2}:  h = (1.6, 1.8)  z_0 = 0.1;  z_1 = 0.96 + 1.44 − 0.5 = 1.9;  z_2 = 1.8 − 1.5 = 0.3
  //   {1,2}:    h = (0.6, 1.8)  z_1 = 0.36 + 1.44 − 0.5 = 1.3;  z_2 = 0.3
  // Word 0: 4 windows, 2 positive (share 1/2); word 1: 3 of 3; word 2: 3 windows, 2 positive (share 2/3).
  Model m;
  m.W.resize(2, 3);
  m.W << 1.0f, 0.6f, 0.0f,  //
      0.0f, 0.8f, 1.0f;
  m.b.resize(3);
  m.b << -1.5f, -0.5f, -1.5f;
  Csr w;
  w.V = 3;
  for (const std::vector<std::uint32_t>& a : std::vector<std::vector<std::uint32_t>>{{0}, {0, 1}, {0, 2}, {0, 1, 2}, {1, 2}})
    w.push_back(a);
  for (bool relu : {true, false}) {  // z is the pre-activation: the output non-linearity does not change it
    m.relu = relu;
    const ContextShares c = context_shares(m, w);
    const double alone[] = {-0.5, 0.5, -0.5};
    for (int v = 0; v < 3; ++v) BOOST_TEST(std::abs(c.alone(v) - alone[v]) < 1e-6);
    BOOST_TEST(c.with_word == (std::vector<std::uint64_t>{4, 3, 3}), boost::test_tools::per_element());
    BOOST_TEST(c.positive == (std::vector<std::uint64_t>{2, 3, 2}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(seed_summary_is_mean_and_sample_sd_of_every_number) {
  // Two seeds: a = 1, 3 (mean 2, sd √((1 + 1)/1) = √2); b.c = 2, 6 (mean 4, sd √8); strings, booleans, arrays and the
  // "options" object are skipped; "only" is missing from the second summary, so it is dropped.
  const nlohmann::json s1 = {{"a", 1}, {"b", {{"c", 2}}}, {"s", "x"}, {"t", true}, {"arr", {1, 2}},
                             {"options", {{"seed", 1}}}, {"only", 5}};
  const nlohmann::json s2 = {{"a", 3}, {"b", {{"c", 6}}}, {"s", "y"}, {"t", false}, {"arr", {3, 4}},
                             {"options", {{"seed", 2}}}};
  const nlohmann::json r = seed_summary({s1, s2});
  BOOST_TEST(r.size() == 2u, r.dump());
  BOOST_TEST(r["a"]["mean"].get<double>() == 2.0);
  BOOST_TEST(std::abs(r["a"]["sd"].get<double>() - std::sqrt(2.0)) < 1e-15);
  BOOST_TEST(r["b.c"]["mean"].get<double>() == 4.0);
  BOOST_TEST(std::abs(r["b.c"]["sd"].get<double>() - std::sqrt(8.0)) < 1e-15);
  BOOST_TEST(r["b.c"]["n"].get<int>() == 2);
  BOOST_TEST(seed_summary({s1})["a"]["sd"].get<double>() == 0.0);
  BOOST_CHECK_THROW(seed_summary({}), superpose::InputError);
}

// ---------------------------------------------------------------------------------------------------------------
// The cycle-geometry classifier of the synthetic width sweep, on planted geometries whose cosines are known in
// closed form, and the structure measure on a planted Gram block.
// ---------------------------------------------------------------------------------------------------------------

namespace {

const double kTwoPi = 6.283185307179586;

// Column k = (cos θk, sin θk, cos 2θk, sin 2θk, …) / √modes for the first `modes` Fourier modes, θ = 2π/12: the
// projection of the 12-cycle onto its lowest modes (what a linear model keeps). cos(k, k+j) = (1/modes) Σ_f cos(fθj).
Eigen::MatrixXd fourier_ring(int modes) {
  Eigen::MatrixXd W(2 * modes, 12);
  for (int k = 0; k < 12; ++k)
    for (int f = 1; f <= modes; ++f) {
      W(2 * f - 2, k) = std::cos(kTwoPi * f * k / 12) / std::sqrt(modes);
      W(2 * f - 1, k) = std::sin(kTwoPi * f * k / 12) / std::sqrt(modes);
    }
  return W;
}

// Six antipodal pairs: feature k and k + 6 on axis k mod 6 with opposite signs (d = 6).
Eigen::MatrixXd antipodal_pairs() {
  Eigen::MatrixXd W = Eigen::MatrixXd::Zero(6, 12);
  for (int k = 0; k < 12; ++k) W(k % 6, k) = k < 6 ? 1.0 : -1.0;
  return W;
}

}  // namespace

BOOST_AUTO_TEST_CASE(cycle_geometry_planted_ring_and_projected_circle) {
  // The circle in the plane: cos(k, k+j) = cos(2πj/12); W Wᵀ = 6 I (Σ cos² = Σ sin² = 6), so the Gram WᵀW has the
  // eigenvalues 6, 6, 0, … and the participation ratio (6+6)²/(36+36) = 2.
  const auto r = classify_cycle_geometry(fourier_ring(1));
  BOOST_TEST(to_string(r.geometry) == "ring");
  for (int j = 0; j <= 6; ++j) BOOST_TEST(std::abs(r.profile(j) - std::cos(kTwoPi * j / 12)) < 1e-12, j);
  BOOST_TEST(std::abs(r.circulance - 1) < 1e-12);
  BOOST_TEST(std::abs(r.effective_rank - 2) < 1e-12);
  BOOST_TEST(std::abs(r.opposite_cosine + 1) < 1e-12);
  BOOST_TEST(r.dead == 0u);
  // Two modes (d = 4): cos(k, k+1) = (cos 30° + cos 60°)/2 = (√3/2 + 1/2)/2 = 0.6830…, the largest of the profile;
  // cos(k, k+6) = (cos 180° + cos 360°)/2 = 0; effective rank 4.
  const auto r2 = classify_cycle_geometry(fourier_ring(2));
  BOOST_TEST(to_string(r2.geometry) == "ring");
  BOOST_TEST(std::abs(r2.neighbour_cosine - (std::sqrt(3.0) / 2 + 0.5) / 2) < 1e-12);
  BOOST_TEST(std::abs(r2.opposite_cosine) < 1e-12);
  BOOST_TEST(std::abs(r2.effective_rank - 4) < 1e-12);
  // Three modes (d = 6): cos(k, k+1) = (cos 30° + cos 60° + cos 90°)/3 = (√3/2 + 1/2)/3 = 0.4553…, the largest;
  // cos(k, k+6) = (cos 180° + cos 360° + cos 540°)/3 = −1/3.
  const auto r3 = classify_cycle_geometry(fourier_ring(3));
  BOOST_TEST(to_string(r3.geometry) == "ring");
  BOOST_TEST(std::abs(r3.neighbour_cosine - (std::sqrt(3.0) / 2 + 0.5) / 3) < 1e-12);
  BOOST_TEST(std::abs(r3.opposite_cosine + 1.0 / 3) < 1e-12);
  // Every feature on one direction (collapsed): all cosines 1, perfectly circulant, but no ring (contrast 0).
  const auto col = classify_cycle_geometry(Eigen::MatrixXd::Ones(3, 12));
  BOOST_TEST(col.circulance == 1.0);
  BOOST_TEST(std::abs(col.neighbour_cosine - 1) < 1e-12);
  BOOST_TEST(to_string(col.geometry) == "other");
  // A dead column (norm 0) is counted and has cosine 0 with the others (1 with itself).
  Eigen::MatrixXd W = fourier_ring(1);
  W.col(3).setZero();
  const auto rd = classify_cycle_geometry(W);
  BOOST_TEST(rd.dead == 1u);
  BOOST_TEST(rd.cosine(3, 4) == 0.0);
  BOOST_TEST(rd.cosine(3, 3) == 1.0);
}

BOOST_AUTO_TEST_CASE(cycle_geometry_planted_antipodal_pairs_identity_and_other) {
  const auto a = classify_cycle_geometry(antipodal_pairs());
  BOOST_TEST(to_string(a.geometry) == "antipodal");
  BOOST_TEST(a.opposite_cosine == -1.0);
  BOOST_TEST(a.max_abs_other == 0.0);
  BOOST_TEST(std::abs(a.effective_rank - 6) < 1e-12);  // WᵀW has six eigenvalues 2
  // Small perturbations (entries ±0.05) keep every opposite cosine below −0.8 and the others below 0.2.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-0.05, 0.05);
  Eigen::MatrixXd P = antipodal_pairs();
  for (Eigen::Index i = 0; i < P.size(); ++i) P.data()[i] += u(rng);
  BOOST_TEST(to_string(classify_cycle_geometry(P).geometry) == "antipodal");
  // One pair folded onto the same side (feature 6 = +e_0 like feature 0): cos(0, 6) = +1, neighbours at 0: other.
  Eigen::MatrixXd F = antipodal_pairs();
  F(0, 6) = 1.0;
  const auto f = classify_cycle_geometry(F);
  BOOST_TEST(f.max_opposite_cosine == 1.0);
  BOOST_TEST(to_string(f.geometry) == "other");
  // The identity, and the identity rotated by an orthogonal Q (cosines unchanged): every off-diagonal cosine 0,
  // effective rank 12.
  const auto id = classify_cycle_geometry(Eigen::MatrixXd::Identity(12, 12));
  BOOST_TEST(to_string(id.geometry) == "identity");
  BOOST_TEST(std::abs(id.effective_rank - 12) < 1e-12);
  BOOST_TEST(id.circulance == 1.0);  // all off-diagonal cosines equal
  Eigen::MatrixXd R(12, 12);
  for (Eigen::Index i = 0; i < R.size(); ++i) R.data()[i] = u(rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(R);
  const Eigen::MatrixXd Q = qr.householderQ();
  const auto rot = classify_cycle_geometry(Q * Eigen::MatrixXd::Identity(12, 12));
  BOOST_TEST(to_string(rot.geometry) == "identity");
  BOOST_TEST(rot.max_abs_offdiag < 1e-12);
  // Bad shapes and values are refused.
  BOOST_CHECK_THROW(classify_cycle_geometry(Eigen::MatrixXd::Identity(11, 11)), superpose::InputError);
  BOOST_CHECK_THROW(classify_cycle_geometry(Eigen::MatrixXd::Zero(3, 12)), superpose::InputError);
  Eigen::MatrixXd N = antipodal_pairs();
  N(0, 0) = std::nan("");
  BOOST_CHECK_THROW(classify_cycle_geometry(N), superpose::InputError);
}

BOOST_AUTO_TEST_CASE(group_gram_on_a_planted_block) {
  // Columns w0 = (1, 0), w1 = (1, 1), w2 = (0, 2), plus an unused column: cos01 = 1/√2, cos02 = 0, cos12 =
  // 2/(√2·2) = 1/√2, so ‖C − I‖_F = √(2·(1/2 + 0 + 1/2)) = √2 and the RMS cosine √2/√6 = 1/√3; raw dot products
  // 1, 0, 2: ‖G − diag G‖_F = √(2·(1 + 0 + 4)) = √10.
  Eigen::MatrixXf W(2, 4);
  W << 1, 1, 0, 5, 0, 1, 2, 5;
  const GroupGram g = group_gram(W, {0, 1, 2});
  BOOST_TEST(g.words == 3u);
  BOOST_TEST(std::abs(g.offdiag_cosine_norm - std::sqrt(2.0)) < 1e-12);
  BOOST_TEST(std::abs(g.rms_cosine - 1 / std::sqrt(3.0)) < 1e-12);
  BOOST_TEST(std::abs(g.offdiag_raw_norm - std::sqrt(10.0)) < 1e-12);
  // Orthogonal columns of any length: 0 and 0.
  const GroupGram o = group_gram(W, {0, 2});
  BOOST_TEST(o.rms_cosine == 0.0);
  BOOST_TEST(o.offdiag_raw_norm == 0.0);
  BOOST_CHECK_THROW(group_gram(W, {0}), superpose::InputError);
  BOOST_CHECK_THROW(group_gram(W, {0, 4}), superpose::InputError);
  BOOST_TEST(category_words("roman").size() == 10u);
  BOOST_TEST(category_words("months").front() == "January");
  BOOST_CHECK_THROW(category_words("planetz"), superpose::InputError);
}
