// `relu compare` and the n = 3, d = 2 phase diagram (search/relu_compare.cpp) against values derived by hand: the
// n = 2, d = 1 optima of both models in closed form, the very sparse limits c_mu·F*, Gram matches of matrices built
// with a known relabelling, the phase at (importance, p) points against exact losses of the candidate geometries,
// and `relu optimize`'s zero_loss as an exact fraction.
#define BOOST_TEST_MODULE relu_compare
#include <boost/test/unit_test.hpp>

#include "search/search.hpp"
#include "tests/cli_sandbox.hpp"
#include "theory/relu.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace superpose;
using namespace superpose::relu;

BOOST_AUTO_TEST_CASE(gram_match_recovers_a_relabelling_and_measures_a_known_distance) {
  // G_b = S P G_a Pᵀ S for a permutation and signs chosen here: distance 0 and that pairing (up to the global sign).
  Matrix<double> W(2, 4);
  W << 1, 0.3, -0.5, 0.2, 0, 0.9, 0.4, -0.7;
  const Matrix<double> Ga = W.transpose() * W;
  const int perm[4] = {2, 0, 3, 1}, sign[4] = {1, -1, -1, 1};
  Matrix<double> Gb(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) Gb(perm[i], perm[j]) = sign[i] * sign[j] * Ga(i, j) * 2.5;  // and a scale
  const GramMatch m = gram_match(Ga, Gb, true);
  BOOST_TEST(m.exhaustive);
  BOOST_TEST(m.distance < 1e-14);
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(m.permutation[i] == perm[i]);
    BOOST_TEST(m.sign[i] * m.sign[0] == sign[i] * sign[0]);
  }
  // Without signs the best match of this pair is worse.
  BOOST_TEST(gram_match(Ga, Gb, false).distance > 0.1);
  // One feature against an antipodal pair: ‖diag(1, 0) − [[1, ±1], [±1, 1]]‖_F = √3 over max(1, 2).
  Matrix<double> A = Matrix<double>::Zero(2, 2), B(2, 2);
  A(0, 0) = 1;
  B << 1, -1, -1, 1;
  BOOST_TEST(std::fabs(gram_match(A, B, true).distance - std::sqrt(3.0) / 2) < 1e-15);
  // Above kGramMatchExhaustive the local search still finds an exact relabelling of distinct lengths.
  Matrix<double> V = Matrix<double>::Zero(3, 9), Vb(3, 9);
  for (int j = 0; j < 9; ++j) V(j % 3, j) = 1 + 0.1 * j;
  for (int j = 0; j < 9; ++j) Vb.col((j * 4) % 9) = V.col(j);
  const GramMatch big = gram_match(V.transpose() * V, Vb.transpose() * Vb, true);
  BOOST_TEST(!big.exhaustive);
  BOOST_TEST(big.distance < 1e-14);
}

BOOST_AUTO_TEST_CASE(compare_at_n2_d1_against_the_closed_forms) {
  // Power model, m = 1 (docs/theory.md Prop. 4.2): sup gain = p·μ₂·min(d, n) = p/3 for the uniform law, so
  // loss/zero_loss = 1 − 1/n = 1/2 and N_eff = 1 at every p. ReLU, p = 1, importances 1: one feature alone (W = e_1,
  // b_2 = p/2; test_relu) loses p/3 − p²/4 = 1/12 of zero_loss 2/3, so the optimum's loss/zero_loss is at most 1/8
  // (the search finds slightly less with both features on).
  CompareOptions opt;
  opt.d = 1;
  opt.n = 2;
  opt.powers = {1, 3};
  opt.relu_starts = opt.power_starts = 6;
  const ComparePoint pt = compare_models(Rational(1), opt);
  BOOST_TEST_REQUIRE(pt.models.size() == 3u);
  const ModelOptimum &relu = pt.models[0], &lin = pt.models[1];
  BOOST_TEST(relu.m == 0);
  BOOST_TEST(static_cast<double>(relu.loss / relu.zero_loss) <= 0.125 + 1e-15);
  BOOST_TEST(static_cast<double>(relu.effective_features) >= 1.75 - 1e-14);
  BOOST_TEST(lin.m == 1);
  BOOST_TEST(std::fabs(static_cast<double>(lin.loss / lin.zero_loss) - 0.5) < 1e-12);
  BOOST_TEST(std::fabs(static_cast<double>(lin.effective_features) - 1) < 1e-11);
  BOOST_TEST(std::fabs(static_cast<double>(relu.zero_loss) - 2.0 / 3) < 1e-15);
  BOOST_TEST(std::fabs(static_cast<double>(lin.zero_loss) - 2.0 / 3) < 1e-15);  // the same n p μ₂ for uniform
  BOOST_TEST(relu.match.distance == 0);

  // Very sparse limits: d = 1 gives F = 1 for every W (F*(1, m) = 1), so gain/p → c_μ and
  // loss/zero_loss → 1 − c_μ/(n μ₂): 1/2 for m = 1 and 1 − (7/25)/(2/3) = 29/50 for m = 3 (uniform: c_μ = 7/25).
  const std::vector<VerySparsePrediction> v = very_sparse_predictions(opt);
  BOOST_TEST_REQUIRE(v.size() == 2u);
  BOOST_TEST(v[0].f_star == Rational(1));
  BOOST_TEST(std::fabs(static_cast<double>(v[0].limit_loss_ratio) - 0.5) < 1e-12);
  BOOST_TEST(v[1].c_mu == Rational(7, 25));
  BOOST_TEST(std::fabs(static_cast<double>(v[1].limit_loss_ratio) - 29.0 / 50) < 1e-12);

  // Very sparse ReLU: the antipodal pair reconstructs one active feature exactly (N_eff → min(n, 2d) = 2): at
  // p = 1/1000 its N_eff is within O(p) of 2, far above the power model's limit F* = 1.
  opt.powers = {3};
  const ComparePoint sparse = compare_models(Rational(1, 1000), opt);
  const double n_eff = static_cast<double>(sparse.models[0].effective_features);
  BOOST_TEST(n_eff > 1.99);
  BOOST_TEST(n_eff <= 2);
  BOOST_TEST(sparse.models[0].geometry.groups.size() == 1u);
  BOOST_TEST(to_string(sparse.models[0].geometry.groups[0].shape) == "digon");
}

namespace {

Problem three_feature_problem(const Rational& ratio, const Rational& p) {
  Problem pr;
  pr.d = 2;
  pr.n = 3;
  pr.p.assign(3, p);
  pr.importance = {Rational(1), Rational(1), ratio};
  return pr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(three_feature_phase_against_exact_candidate_losses) {
  ReluOptimizeOptions opt;
  // Dense, p = 1, I_3 = 1/10: features 1, 2 dedicated and exact, feature 3 off at its mean b_3 = p/2: loss
  // I_3·(p/3 − p²/4) = 1/120, exactly (test_relu's one-feature argument per feature).
  {
    const Problem pr = three_feature_problem(Rational(1, 10), Rational(1));
    Params<Rational> ded;
    ded.W = Matrix<Rational>::Zero(2, 3);
    ded.W(0, 0) = ded.W(1, 1) = 1;
    ded.b = Vector<Rational>::Zero(3);
    ded.b(2) = Rational(1, 2);
    BOOST_TEST(expected_loss(pr, ded).loss == Rational(1, 120));
    const ThreeFeaturePoint pt = three_feature_point(pr, opt, 6);
    BOOST_TEST(to_string(pt.phase) == "dedicated-12");
    BOOST_TEST(std::fabs(pt.loss[0] - 1.0 / 120) < 1e-12);
    BOOST_TEST(pt.search_loss >= 1.0 / 120 - 1e-12);  // the multi-start finds nothing lower
  }
  // Sparse: the winner's loss is below every other candidate's exact local-optimum loss, and the multi-start does no
  // better (at I_3 = I_1 pair-12+3 and pair-13+2 are one configuration relabelled: the tie goes to the first). At
  // these points an antipodal pair beside a dedicated feature wins (every pairwise cos ≤ 0, so one
  // active feature is reconstructed exactly; a triangle has that too and loses at second order).
  for (const auto& [ratio, p, want] : {std::tuple{Rational(1), Rational(1, 100), ThreeFeaturePhase::pair_12_ded_3},
                                       std::tuple{Rational(1, 20), Rational(1, 10), ThreeFeaturePhase::pair_13_ded_2}}) {
    const Problem pr = three_feature_problem(ratio, p);
    const ThreeFeaturePoint pt = three_feature_point(pr, opt, 6);
    BOOST_TEST_INFO("ratio " << ratio << ", p " << p);
    BOOST_TEST(to_string(pt.phase) == to_string(want));
    const double best = pt.loss[static_cast<int>(pt.phase)];
    for (int c = 0; c < kThreeFeaturePhaseCount - 1; ++c)
      BOOST_TEST(pt.loss[c] >= best - 1e-12 * (1 + best));  // ties within rounding go to the first
    BOOST_TEST(pt.search_loss >= best - 1e-12 * best);
  }
}

BOOST_AUTO_TEST_CASE(classify_three_features_names_the_configurations) {
  Matrix<double> W(2, 3);
  W << 1, 0, 0.01, 0, 1, 0;
  BOOST_TEST(to_string(classify_three_features(W)) == "dedicated-12");
  W << 1, 0, 0, 0, 0.01, 1;
  BOOST_TEST(to_string(classify_three_features(W)) == "dedicated-13");
  W << 1, 0, -0.8, 0, 1, 0;
  BOOST_TEST(to_string(classify_three_features(W)) == "pair-13+2");
  W << 0, 1, -1, 1, 0, 0;
  BOOST_TEST(to_string(classify_three_features(W)) == "pair-13+2");  // 2 and 3 antipodal: by 1 ↔ 2
  W << 1, -1.1, 0, 0, 0, 0.7;
  BOOST_TEST(to_string(classify_three_features(W)) == "pair-12+3");
  W << 1, -0.5, -0.5, 0, 0.8660254, -0.8660254;
  BOOST_TEST(to_string(classify_three_features(W)) == "triangle");
  W << 1, 1, 0, 0, 0, 1;
  BOOST_TEST(to_string(classify_three_features(W)) == "other");
}

BOOST_AUTO_TEST_CASE(cli_zero_loss_is_exact_and_compare_runs) {
  using superpose::test::Run;
  using superpose::test::Sandbox;
  Sandbox sb("superpose_relu_compare_");
  // Σ_i I_i p_i/3 with I = (1, 9/10), p = 1/20: (19/10)/60 = 19/600.
  const Run o = sb.run("relu optimize --d 1 --n 2 --p 0.05 --importance 1,0.9 --starts 4 --format json");
  BOOST_TEST_REQUIRE(o.code == 0, o.err);
  const nlohmann::json j = nlohmann::json::parse(o.out);
  BOOST_TEST(j["zero_loss"] == "19/600");
  BOOST_TEST(j["zero_loss_decimal"] == "0.031666666666666666667");
  const Run c = sb.run("relu compare --d 1 --n 2 --p 1 --m 1 --starts 4 --no-limit --format json");
  BOOST_TEST_REQUIRE(c.code == 0, c.err);
  const nlohmann::json k = nlohmann::json::parse(c.out);
  BOOST_TEST(k["points"][0]["models"][1]["model"] == "power m=1");
  BOOST_TEST(std::fabs(std::stod(k["points"][0]["models"][1]["loss_over_zero_loss"].get<std::string>()) - 0.5) < 1e-12);
  for (const char* bad : {"relu compare --p 0.1 --m 2", "relu compare --p 0.1 --n 17", "relu compare --p 0.1 --law u01",
                          "relu compare --p 2", "relu compare --p 0.1 --out o --format xml",
                          "relu phase --n 3 --d 3 --out o"}) {
    const Run r = sb.run(bad);
    BOOST_TEST_INFO(bad << " -> " << r.code << ": " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(!std::filesystem::exists(sb.dir / "o"));
  }
}
