// superpose/search, the ReLU model beside the power model (search/relu_compare.cpp): the optima of both models at one
// (n, d, p) with Elhage's metrics and a Gram match, the power model's very sparse prediction, and the n = 3, d = 2
// phase diagram of the ReLU model (docs/theory.md §9.5, §9.6). Part of the search module's contract
// (search/search.hpp: shapes, errors, determinism); kept in its own header only to spare a full rebuild of every
// file that includes search.hpp, to be folded into it.
#pragma once

#include "search/search.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace superpose::relu {

// ---------------------------------------------------------------------------------------------------------
// The ReLU model beside the power model, and the n = 3, d = 2 phase diagram (search/relu_compare.cpp)
// ---------------------------------------------------------------------------------------------------------

/// The closest match of two Gram matrices (n×n each) over relabellings of the features and sign flips of the
/// second's: each is first divided by its largest diagonal entry (the longest feature gets length 1; a zero matrix
/// stays 0), then distance = min_{π, s} ‖Ĝ_a − S P Ĝ_b Pᵀ S‖_F / max(‖Ĝ_a‖_F, ‖Ĝ_b‖_F) (0 when both are 0;
/// dimensionless, in [0, 2]), P the permutation matrix of π, S = diag(s), s_i = ±1.
struct GramMatch {
  double distance = 0;
  std::vector<int> permutation;  // feature i of a is matched with feature permutation[i] of b
  std::vector<int> sign;         // s_i ∈ {+1, −1} applied to b's matched feature (all +1 without signs)
  bool exhaustive = true;        // true: the minimum over all n!·2^(n−1) choices (n ≤ kGramMatchExhaustive); false:
                                 // a local minimum over transpositions and single sign flips from the pairing by
                                 // length (an upper bound on the minimum)
};
/// Largest n whose Gram match is exhaustive (7! permutations, each with its 2^6 sign patterns).
inline constexpr int kGramMatchExhaustive = 7;
/// The match of Ga and Gb (both n×n, symmetric, finite; sign flips allowed when `signs`). Cost O(n!·2^n·n²) for
/// n ≤ kGramMatchExhaustive, else O(n⁴) per sweep of the local search. Throws InputError on shapes that differ or
/// are not square.
GramMatch gram_match(const Matrix<double>& Ga, const Matrix<double>& Gb, bool signs);

/// One model's optimum at one p in `relu compare`: the ReLU model (m = 0) or the power model with power m.
struct ModelOptimum {
  int m = 0;                  // 0: the ReLU model; else the power m of the tied power autoencoder
  Matrix<double> W;           // d×n, the optimum in double (ReLU: optimize_relu's polished params; power: W50)
  Vector<double> b;           // n biases (ReLU); empty (power: no bias)
  Real50 loss, zero_loss;     // the exact loss of W (and b) in MPFR-50, and the loss of W = 0 (b = 0)
  int loss_digits = 0;        // correct significant digits of loss (the engines' estimates)
  Real50 gain_over_p;         // (zero_loss − loss)/p: the power model's L̃/p; the same difference for the ReLU model
  Real50 effective_features;  // gain_over_p / g₁, g₁ the best gain per activation of one isolated feature: c_μ
                              // (power, §4.1) or E v² = 1/3 (ReLU, uniform01: W_i = e_i, b_i = 0 is exact)
  FeatureGeometry geometry;   // Elhage's metrics and shapes of W (feature_geometry)
  double max_abs_cos = 0;     // largest |cos| between two represented features (0 with fewer than two)
  GramMatch match;            // WᵀW against the ReLU optimum's (signs of this model's features free for the power
                              // model, whose loss is invariant under them; the ReLU model's against itself is 0)
};

/// What the very sparse theory of the power model (docs/theory.md §5) predicts at (d, n, m): the limit
/// lim_{p→0} L̃/p = c_μ·F*_n(d, m) and the geometry of a first-order optimum (optimize_first_order).
struct VerySparsePrediction {
  int m = 0;
  Rational f_star;              // F*(d, m), exact (Theorem 5.2)
  Real50 f_star_n;              // the first-order search's best F (a lower bound on F*_n(d, m) ≤ F*(d, m))
  Rational c_mu, mu2;           // c_μ(m) and μ₂ of the law, exact
  Real50 limit_gain_over_p;     // c_μ·f_star_n
  Real50 limit_loss_ratio;      // 1 − c_μ·f_star_n/(n·μ₂): the power model's loss/zero_loss as p → 0
  FeatureGeometry geometry;     // of the first-order optimum V (represented features, D_i, shapes)
  Matrix<double> V;             // the first-order optimum (d×n, longest column 1)
};

/// Options of compare_models.
struct CompareOptions {
  int d = 2, n = 5;
  std::vector<int> powers{1, 3, 5};   // odd powers m of the power model
  std::string law = "uniform";        // the power model's symmetric law (theory.hpp Law::parse)
  int relu_starts = 16, power_starts = 16;
  std::uint64_t seed = 1;
  int max_evals = 3000;               // per local search, both models
  std::function<void(int done, int total)> progress;
  /// Throws InputError unless d ≥ 1, 1 ≤ n ≤ kMaxExactFeatures (--n: the ReLU side uses the exact loss), every
  /// m odd in 1..kMaxPower (--m), the law parses (--law), starts in 1..kMaxStarts (--starts), max_evals ≥ 1
  /// (--max-evals), and the power searches fit in memory (OptimizeOptions::validate).
  void validate() const;
};

/// One p of the comparison: the ReLU optimum first, then one power optimum per m of opt.powers, in that order.
struct ComparePoint {
  Rational p;
  std::vector<ModelOptimum> models;
};

/// Optimises both models at probability p (exact, in (0, 1]; every feature at p, importances 1): the ReLU model
/// (k = 1, tied, uniform01 values: Elhage's setting) by optimize_relu, and the power model for each m (law
/// opt.law) by optimize_weights, the optimiser of `superpose optimize`; then each optimum's metrics against the
/// ReLU optimum's. Calls opt.validate() first; throws InputError for p ∉ (0, 1] (--p) and from the power
/// model's range check (check_double_range). With `seeds` (very_sparse_predictions(opt)), the power search for
/// each m also starts from that m's first-order optimum V (OptimizeOptions::init), which the structured and random
/// starts can miss at small p. Cost: one optimize_relu and |powers| optimize_weights.
ComparePoint compare_models(const Rational& p, const CompareOptions& opt,
                            const std::vector<VerySparsePrediction>& seeds = {});

/// The very sparse prediction for each m of opt.powers at (opt.d, opt.n), law opt.law: optimize_first_order with
/// opt.power_starts starts. Calls opt.validate() first.
std::vector<VerySparsePrediction> very_sparse_predictions(const CompareOptions& opt);

/// The configurations of the n = 3, d = 2 phase diagram (importances (1, 1, r), every feature at p): two
/// features dedicated to the two dimensions (the third off, its output the constant ReLU(b)), an antipodal pair
/// sharing one dimension beside a dedicated feature, or a triangle (three features in the plane, pairwise cosines
/// near −1/2). Feature labels are 1-based in the names.
enum class ThreeFeaturePhase { dedicated_12, dedicated_13, pair_12_ded_3, pair_13_ded_2, triangle, other };
inline constexpr int kThreeFeaturePhaseCount = 6;
/// "dedicated-12", "dedicated-13", "pair-12+3", "pair-13+2", "triangle", "other". By the symmetry 1 ↔ 2,
/// dedicated-13 stands for dedicated-23 as well, and pair-13+2 for pair-23+1.
std::string_view to_string(ThreeFeaturePhase ph);
/// Thresholds of classify_three_features: a feature is off when ‖W_i‖ ≤ kThreeFeatureOff·max_j ‖W_j‖; two features
/// are orthogonal when |cos| ≤ kThreeFeatureAngle and antipodal when cos ≤ −1 + kThreeFeatureAngle.
inline constexpr double kThreeFeatureOff = 0.1, kThreeFeatureAngle = 0.05;
/// The configuration of W (2×3): exactly two features on and orthogonal (dedicated-12, or dedicated-13 when feature
/// 3 is on: 1 ↔ 2 are interchangeable); all three on with one antipodal pair orthogonal to the third (pair-12+3,
/// pair-13+2); all three on with every cosine < −kThreeFeatureAngle and no antipodal pair (triangle; not
/// necessarily regular when the importances differ); `other` for anything else. Throws InputError unless W is 2×3
/// and finite.
ThreeFeaturePhase classify_three_features(const Matrix<double>& W);

/// Every candidate's local optimum at one (r, p), and the winner.
struct ThreeFeaturePoint {
  /// Exact loss (double) of the local optimum from each configuration's start that stays in its configuration
  /// (classify_three_features); +infinity when the search left it. Indexed by ThreeFeaturePhase (other unused).
  std::array<double, kThreeFeaturePhaseCount> loss{};
  ThreeFeaturePhase phase = ThreeFeaturePhase::other;  // the candidate of least loss (the first within 1e-12 relative)
  double search_loss = 0;     // optimize_relu's loss (multi-start, no polish) at the same point, a check
  ThreeFeaturePhase search_phase = ThreeFeaturePhase::other;  // and its configuration
};
/// The candidates' local optima at `problem` (d = 2, n = 3, uniform01, k and tying as given): one local search
/// (relu_local_optimum) from each configuration's start (W of unit columns, b = −0.1 on superposed features, b = p/2
/// on an off one); with `check_starts` > 0 also optimize_relu with that many starts (no polish) as a check on the
/// candidate list. Throws InputError naming --d, --n otherwise, and as opt.validate.
ThreeFeaturePoint three_feature_point(const Problem& problem, const ReluOptimizeOptions& opt, int check_starts);
/// The p in [p_lo, p_hi] where configurations a and b have equal local-optimum loss, by bisection in log p on the
/// sign of loss(a) − loss(b) (three_feature_point without the check) until p_hi/p_lo ≤ 1 + rel_tol; nullopt when
/// the sign is not opposite at the ends or either candidate leaves its configuration on the way. `problem.p` is
/// overwritten. Throws as three_feature_point, and InputError unless 0 < p_lo < p_hi ≤ 1 and rel_tol > 0.
std::optional<double> three_feature_boundary(Problem problem, ThreeFeaturePhase a, ThreeFeaturePhase b, double p_lo,
                                             double p_hi, double rel_tol, const ReluOptimizeOptions& opt);

}  // namespace superpose::relu
