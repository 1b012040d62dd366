// superpose/search: everything that moves W: the one list of structured starts, multi-start optimum search with
// NLopt and MPFR-50 polish (search/optimize.cpp), the geometry of a W, and gradient training (search/train.cpp).
//
// Contract
// --------
// * Shapes: W is d×n (column i is feature i's embedding); gains are per the model (not divided by p) unless named
//   *_over_p. Objectives handed to NLopt are gain/p, so one tolerance works across p.
// * Starts: `structured_starts(d, n, m, seed)` is the one start list (unsuperposed, the d = 2 projective design,
//   seeded tight frames with k = d, 2d, 4d, ... < n and k = n, frame k seeded by seed + k); random starts draw from
//   mt19937_64(seed). Every search (optimize, first-order, sweep, train) uses these.
// * Represented features: ‖W_i‖² > kRepresentedThreshold·max_j ‖W_j‖² everywhere (geometry, polish, sweep).
// * Errors: InputError for bad arguments, before any work: every options struct has a validate() (Ceres' IsValid
//   pattern) that its entry point calls first and the CLI calls before it opens any file; it also checks the memory
//   the run needs against what this process may use (core/ check_memory). NLopt failures are recorded per start,
//   never fatal.
// * Determinism: reproducible for a given seed on one platform (mt19937_64, libstdc++ normal_distribution).
// * The ReLU model of Elhage et al. (2022) (theory/relu.hpp) shares this layer: its feature geometry
//   (search/relu_geometry.cpp) and its sampled-batch trainer (search/relu_train.cpp) are in namespace relu below.
#pragma once

#include "theory/relu.hpp"
#include "theory/theory.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>
#include <array>

namespace superpose {

/// A feature i is represented when ‖W_i‖² > kRepresentedThreshold · max_j ‖W_j‖² (relative, dimensionless).
inline constexpr double kRepresentedThreshold = 1e-6;

/// Indices of the represented columns of W (d×n), ascending; empty for W = 0.
std::vector<int> represented_columns(const Matrix<double>& W);

/// Feature dimensionality of Elhage et al. (2022), "Toy Models of Superposition", section "Feature Dimensionality":
/// D_i = ‖W_i‖²/Σ_j (Ŵ_i·W_j)² = ‖W_i‖⁴/Σ_j (W_i·W_j)², Ŵ_i = W_i/‖W_i‖, for each column of W (d×n); D_i = 0 for
/// an unrepresented column (represented_columns). Dimensionless, in (0, 1]; n entries. Never throws.
std::vector<double> feature_dimensionality(const Matrix<double>& W);

/// A named starting W (d×n).
struct NamedStart {
  std::string kind;  // "unsuperposed", "projective_design", "tight_frame k=.."
  Matrix<double> W;
};

/// The one list of structured starts (unscaled; callers rescale when the objective is not scale-invariant):
/// unsuperposed_weights(d, n); projective_design_weights(m, n) when d = 2 and n ≥ m+1; for k = d, 2d, 4d, ... < n
/// and k = n, random_tight_frame(d, k, k, seed + k) in the first k columns. Throws InputError on bad d, n, m.
std::vector<NamedStart> structured_starts(int d, int n, int m, std::uint64_t seed);

/// `count` Gaussian d×n matrices with iid N(0, sigma²) entries, drawn in order from one mt19937_64(seed).
std::vector<Matrix<double>> random_starts(int d, int n, int count, double sigma, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------------------
// Geometry of a weight matrix
// ---------------------------------------------------------------------------------------------------------

/// Diagnostics of W (d×n), computed in double.
struct Geometry {
  std::vector<double> eigenvalues;     // of A = WᵀW, the min(d,n) largest, descending
  std::vector<double> norms;           // ‖W_i‖, i = 1..n
  int represented = 0;                 // features with ‖W_i‖² > kRepresentedThreshold·max_j ‖W_j‖²
  std::vector<double> dimensionality;  // D_i = ‖W_i‖⁴/Σ_j (W_i·W_j)² (feature_dimensionality), 0 if unrepresented
  double max_cos = 0;                  // largest |cos| between two represented features
  std::vector<double> design_defects;  // δ_k, k = 1..m: Σ_ij w_i w_j ⟨u_i,u_j⟩^{2k}/(Σw)² − 1/F*(d,k),
                                       // u_i = W_i/‖W_i‖, w_i = ‖W_i‖^{2m}; all 0 ⇔ weighted projective 2m-design
};

/// Geometry of W for power m (m gives the design weights and the number of defects). Throws InputError if m is bad.
Geometry geometry(const Matrix<double>& W, int m);

// ---------------------------------------------------------------------------------------------------------
// Optimal weights: multi-start NLopt in double, Newton polish and certification in MPFR-50
// ---------------------------------------------------------------------------------------------------------

/// One start of a multi-start search.
struct StartResult {
  std::string kind;    // "unsuperposed", "projective_design", "tight_frame k=..", "init", "random"
  double start_gain;   // gain/p at the start (double)
  double gain;         // gain/p at the end (double)
  int evals = 0;
  std::string status;  // NLopt's result
  bool ok = false;
};

struct OptimizeOptions {
  int starts = 32;                    // total starts (structured starts first, random Gaussian ones fill up)
  std::uint64_t seed = 1;
  Algorithm algorithm = Algorithm::lbfgs;  // NLopt algorithm (numerics/)
  int max_evals = 20000;              // per start
  std::optional<Matrix<double>> init; // an extra start (d×n)
  bool polish = true;                 // Newton polish in MPFR-50
  int polish_max_params = 400;        // skip the polish above d·(represented features) parameters
  std::function<void(int done, int total, double best)> progress;

  /// Checks the options of a search over d×n weights with power m, before any work: starts in 1..kMaxStarts,
  /// max_evals ≥ 1 (NLopt would read 0 as "no limit"), polish_max_params ≥ 0, an init of shape d×n with finite
  /// entries, and the memory the search needs (first_order_memory_bytes when `first_order`, else
  /// optimize_memory_bytes). Throws InputError naming the flag: --starts, --max-evals, --init, or --d, --n with the
  /// memory needed and available. optimize_weights and optimize_first_order call it first.
  void validate(int d, int n, int m, bool first_order = false) const;
};

/// Largest number of starts accepted (OptimizeOptions::starts).
inline constexpr int kMaxStarts = 1000000;

/// Bytes optimize_weights needs at d, n, m with `starts` starts (an estimate, right within a factor of about 2):
/// every start stored (d·n doubles each, structured ones included), NLopt's L-BFGS history (about 25·d·n doubles),
/// the engine in double with the gradient (evaluation_memory_bytes), geometry()'s n×n Gram matrix and d×d
/// eigensolver, and the MPFR-50 evaluation of the polished W with its gradient.
double optimize_memory_bytes(int d, int n, int m, int starts);
/// Bytes optimize_first_order needs: as optimize_memory_bytes, but first_order_ratio forms A = WᵀW and ∂F/∂A
/// (n×n each) in double, and once more in MPFR-50 for the polished V.
double first_order_memory_bytes(int d, int n, int starts);

/// The certified optimum. Gains are per the model (not divided by p) unless named *_over_p.
struct OptimizeResult {
  Matrix<double> W;                 // the best W found in double (d×n)
  double gain_double = 0;           // its gain in double
  double grad_norm_double = 0;      // Frobenius norm of ∂gain/∂W at W, double
  Matrix<Real50> W50;               // polished weights (equal to W, converted exactly, when not polished)
  Real50 gain, loss, zero_loss;     // exact gain of W50, evaluated in MPFR-50
  Real50 grad_norm;                 // ‖∂gain/∂W‖_F at W50, MPFR-50
  int gain_digits = 0;              // correct significant digits of gain (and gain/p), the engine's estimate
  int loss_digits = 0;              // correct significant digits of loss (Evaluation::gain_digits, loss_digits)
  bool polished = false;
  int newton_steps = 0;
  std::string polish_note;          // why the polish stopped or was skipped
  std::vector<StartResult> starts;
  Geometry geometry;                // of W50 (in double)
};

/// The start list of optimize_weights at probability p (double, in (0, 1]): structured_starts(d, n, m, seed), then
/// `init` ("init", used as given, d×n), then max(1, total − those) Gaussian starts ("random": random_starts(d, n, ·,
/// sqrt(a₀/d), seed), a₀ = (μ_{m+1}/μ_{2m})^{1/m} the optimal ‖W_i‖² of an isolated feature). Structured and random
/// starts are put at their optimal overall scale (best_scaled_gain, closed form). Every W is d×n. Throws
/// InputError on bad sizes or m (the Setting's own checks).
std::vector<NamedStart> gain_starts(const Setting& s, double p, int total, std::uint64_t seed,
                                    const std::optional<Matrix<double>>& init = std::nullopt);

/// Best of several local searches: W (d×n), its objective value (gain/p for the gain, double) and one record per
/// start, in start order.
struct MultiStartResult {
  Matrix<double> W;
  double value = 0;
  std::vector<StartResult> starts;
};

/// The one multi-start of the gain (optimize_weights, the sweep): from every start (d×n), NLopt (opt.algorithm,
/// at most opt.max_evals evaluations, analytic gradient) maximises gain/p at probability p (double, in (0, 1]),
/// and the best end point wins (the first on ties). Gradient-based local algorithms (lbfgs, mma, slsqp) move only
/// the start's nonzero columns: a zero column has zero gradient (every term of ∂L̃/∂W_i carries a factor A_ij^{r−1},
/// r ≥ 2, or A_ii^{t−1}·W_i), so it would stay zero, and the cost falls with it; bobyqa and mlsl (in the box
/// ±2·max(max|W0|, 1), at most 5000 evaluations) move all columns. opt.progress(done, total, best gain/p) after
/// each start. A failing NLopt run is recorded, never fatal. Throws InputError if `starts` is empty.
MultiStartResult multistart_gain(const Setting& s, double p, const std::vector<NamedStart>& starts,
                                 const OptimizeOptions& opt);

/// Maximises L̃(W) over W ∈ R^{d×n} at probability p (exact rational, so MPFR sees the decimal typed).
/// The starts are gain_starts(s, p, opt.starts, opt.seed, opt.init), run by multistart_gain; the best W then has
/// its unrepresented columns set to
/// 0 and is polished by Newton steps in MPFR-50 (Hessian by central differences of the analytic gradient, pseudo-
/// inverse over its nonzero eigenvalues, which removes the rotation gauge W → QW) until ‖∂gain/∂W‖ < 1e-30·p or
/// 30 steps. A start whose NLopt run fails is recorded, never fatal. Throws InputError on bad arguments.
OptimizeResult optimize_weights(const Setting& s, const Rational& p, const OptimizeOptions& opt);

/// The very sparse (first-order) problem: maximise F(V) = (Σ‖v_i‖^{2m})²/Σ⟨v_i,v_j⟩^{2m} over V ∈ R^{d×n}
/// (paper Eq. 23 in ratio form). Same multi-start and polish scheme; `value` at 50 digits, ≤ F*(d,m).
struct FirstOrderResult {
  Matrix<Real50> V;
  Real50 value;            // F at V (MPFR-50)
  Real50 ratio_to_fstar;   // value / F*(d,m)
  Real50 grad_norm;        // ‖∂F/∂V‖ at V, with V normalised to max column norm 1
  bool polished = false;
  std::string polish_note;
  Geometry geometry;
  std::vector<StartResult> starts;
};
FirstOrderResult optimize_first_order(int d, int n, int m, const OptimizeOptions& opt);

/// Smallest n ≤ n_max whose first-order optimum reaches F*(d,m) to relative 1e-9; 0 if none does.
/// `per_n` receives (n, best ratio to F*) as the search proceeds. Throws InputError (--min-n) unless n_max ≥ 1, and
/// as optimize_first_order at n = n_max (opt.validate) before the scan starts.
int min_n_for_fstar(int d, int m, int n_max, const OptimizeOptions& opt,
                    const std::function<void(int, double)>& per_n = {});

// ---------------------------------------------------------------------------------------------------------
// Refutation by search: certificates against first_order_limit that the closed-form families miss (issue 8)

/// Starts per (n, p) of first_order_limit_search_certificate.
inline constexpr int kRefutationSearchStarts = 4;

/// An exact counterexample to sup L̃ ≤ c_μ·U·p found by search, U = fstar_n.upper the upper end of the bracket of
/// F*_n(d, m) that the first_order_limit row prints (theory.hpp bound_first_order_limit), or nullopt: for d ≤ 2
/// only, at the setting's d and m, n' = 2..min(n, 3) features and p ∈ {1, 1/2, 1/10} (in that order; the first hit
/// wins), multistart_gain from gain_starts(·, kRefutationSearchStarts starts, seed 1), L-BFGS, at most 2000
/// evaluations per start. A W whose double gain/p beats c_μ·U is rounded entrywise to 12 significant digits, and
/// counts only if its gain evaluated exactly (evaluate<Rational>) beats c_μ·U·p (the certificate's `bound`).
/// Certificate W is d×n' (n' ≤ n; zero columns would embed it in d×n). Family "search: d = .., n = .., p = ..,
/// 4 starts (seed 1, L-BFGS), ...". Cost: at most 2·3·4 = 24 local searches on d×n' ≤ 2×3 plus a few exact
/// evaluations — measured in docs/theory.md §5.5. Cached per (law, d, m, min(n, 3), U) for the life of the
/// process; thread-safe. Deterministic. Theory's first_order_limit_certificate (the closed-form families) is not
/// consulted: see with_search_certificate.
std::optional<Certificate> first_order_limit_search_certificate(const Setting& s, const FstarBracket& fstar_n);

/// Marks the first_order_limit row of `bounds` (closed_form_bounds at any p with the bracket `fstar_n`) `refuted`
/// with first_order_limit_search_certificate(s, fstar_n) when no closed-form family refuted it and it is not proved
/// as an upper bound: status `conjecture`, or side `limit` (laplace: proved as a limit, not as an upper bound).
/// Gaussian rows proved by the Stein bound are left alone. Runs the search on first use of the setting's
/// (law, d, m, U). Other rows are unchanged. Every command reaches it through verify/'s known_bounds.
template <class T>
std::vector<Bound<T>> with_search_certificate(const Setting& s, std::vector<Bound<T>> bounds,
                                              const FstarBracket& fstar_n) {
  for (Bound<T>& b : bounds) {
    if (b.name != "first_order_limit" || b.status == BoundStatus::refuted) continue;
    if (b.status != BoundStatus::conjecture && b.side != BoundSide::limit) continue;
    if (std::optional<Certificate> c = first_order_limit_search_certificate(s, fstar_n))
      mark_first_order_limit_refuted(b, std::move(*c));
  }
  return bounds;
}

// ---------------------------------------------------------------------------------------------------------
// superpose train: gradient ascent or Adam on the exact gain from a small random W (open problem 4)
// ---------------------------------------------------------------------------------------------------------

/// sgd: plain gradient ascent; adam: Adam with β = 0.9, 0.999, ε = 1e-12.
enum class TrainOptimizer { sgd, adam };
/// Reads "sgd" or "adam"; throws InputError naming `flag` otherwise.
TrainOptimizer parse_train_optimizer(std::string_view name, std::string_view flag = "--optimizer");
std::string_view to_string(TrainOptimizer o);

struct TrainConfig {
  int d = 3, n = 12, m = 3;
  std::string law = "gaussian";
  Rational p = Rational(1, 10000);
  int steps = 2000;
  double lr = 0.01;           // step size on the objective gain/p (normalised by p, so one lr works across p)
  TrainOptimizer optimizer = TrainOptimizer::adam;
  double init_scale = 0.1;    // entries N(0, (init_scale²)·a₀/d), a₀ = (μ_{m+1}/μ_{2m})^{1/m}: the optimal A_ii
  std::uint64_t seed = 1;
  int trace_every = 0;        // record (step, seconds, gain) every k steps (0: only the end)
  double target = 0;          // > 0: record when the gain first reaches this value (benchmarks)

  /// Checks every field before any work: sizes, power and law (Setting), p ∈ (0,1], steps ≥ 1, lr finite and > 0,
  /// init_scale finite in (0, kMaxInitScale], trace_every ≥ 0, target finite, and the memory of the run (W, its
  /// gradient and two Adam moments, the engine in double, geometry()'s n×n Gram matrix). Throws InputError naming
  /// the flag (--steps, --lr, --init-scale, ...). train_gain calls it first.
  void validate() const;
};

/// Largest TrainConfig::init_scale: a start 1000 times the optimal feature norm is far outside the basin already,
/// and the gain, of degree 4m in W, stays inside double's range up to m = kMaxPower at this scale.
inline constexpr double kMaxInitScale = 1000;

struct TrainResult {
  Matrix<double> W;           // final weights (d×n)
  double gain = 0;            // exact gain of the final W (double)
  double gain_over_p = 0;
  double best_gain = 0;       // best gain seen along the run
  double seconds = 0;
  std::vector<std::tuple<int, double, double>> trace;  // (step, seconds, gain)
  int steps_to_target = -1;   // first step whose gain ≥ cfg.target (−1: never or no target)
  double seconds_to_target = -1;
  Geometry geometry;
};

/// Runs cfg.steps steps of plain gradient ascent (W += lr·∇(gain/p)) or Adam on the exact gain, from a seeded
/// Gaussian W. The gain and its gradient come from evaluate<double> (the one engine). Calls cfg.validate() first;
/// throws InputError (--lr) when the weights stop being finite (the step size is too large).
TrainResult train_gain(const TrainConfig& cfg);


// ---------------------------------------------------------------------------------------------------------
// The ReLU toy model (theory/relu.hpp): optimal W, b (search/relu_optimize.cpp)
// ---------------------------------------------------------------------------------------------------------
// The ReLU model of Elhage et al. (2022): feature geometry (search/relu_geometry.cpp)
// ---------------------------------------------------------------------------------------------------------

namespace relu {

/// A named starting point (W, W_dec, b) of the ReLU model, in double.
struct NamedParams {
  std::string kind;  // "unsuperposed", "antipodal", "triangle", "square", "pentagon", "tetrahedron",
                     // "square_antiprism", "random"
  Params<double> params;
};

/// The ReLU model's start list for `problem` (d×n): the structured geometries of Elhage et al. (2022) that fit in
/// d, each packed into orthogonal blocks of the hidden space in feature order (the first features, usually the most
/// important, first; the other columns 0): "unsuperposed" (g = 1 dimension, 1 feature per block), "antipodal" (g = 1,
/// ±1), "triangle", "square", "pentagon" (g = 2, regular k-gons), "tetrahedron" (g = 3, 4 vertices),
/// "square_antiprism" (g = 3, 8 vertices), unit vectors with b = 0 (unsuperposed) or b = −0.1 on the represented
/// features; then random_starts(d, n, ·, 1/√d, seed) with b = 0 fills up to `total` (at least one). Untied problems
/// start with W_dec = W. Throws InputError from problem.validate().
std::vector<NamedParams> relu_starts(const Problem& problem, int total, std::uint64_t seed);

/// Options of optimize_relu (the search options of OptimizeOptions where they apply).
struct ReluOptimizeOptions {
  int starts = 16;                         // total starts, structured first (relu_starts)
  std::uint64_t seed = 1;
  Algorithm algorithm = Algorithm::lbfgs;  // NLopt local algorithm
  int max_evals = 3000;                    // per start
  bool polish = true;                      // Newton polish in MPFR-50 when the parameter count is ≤ polish_max_params
  int polish_max_params = 60;
  std::function<void(int done, int total, double best)> progress;
  /// Throws InputError (naming --starts, --max-evals) unless 1 ≤ starts ≤ kMaxStarts and max_evals ≥ 1; and
  /// (naming --n) unless problem.n ≤ kMaxExactFeatures and the value law is uniform01 (the objective is the exact
  /// loss).
  void validate(const Problem& problem) const;
};

/// One start's record: losses are L/t, t = max_i p_i (so one tolerance works across p).
struct ReluStartResult {
  std::string kind;
  double start_loss_over_p = 0, loss_over_p = 0;
  int evals = 0;
  std::string status;  // NLopt's result
  bool ok = false;
};

/// The best (W, W_dec, b) found, its exact loss in MPFR-50 with the digits the estimate vouches for.
struct ReluOptimum {
  Params<double> params;         // best end point of the multi-start, double
  double loss_double = 0;        // its exact loss in double
  Params<Real50> params50;       // after the polish (params converted exactly when not polished)
  Real50 loss;                   // exact loss of params50, MPFR-50
  Real50 grad_norm;              // Frobenius norm of the gradient in all parameters at params50
  int loss_digits = 0;
  bool polished = false;
  int newton_steps = 0;
  std::string polish_note;
  std::vector<ReluStartResult> starts;
};

/// Minimises the exact expected loss (expected_loss<double> with its gradient; objective L/t handed to NLopt as
/// −L/t) over W, b (and W_dec when untied) from every start of relu_starts, keeps the best (the first on ties) and
/// polishes it by newton_polish (numerics/) in MPFR-50 on expected_loss<Real50> until the gradient norm is below
/// 1e-30·t or 30 steps (skipped above opt.polish_max_params parameters). Calls opt.validate(problem) first.
ReluOptimum optimize_relu(const Problem& problem, const ReluOptimizeOptions& opt);

/// One local search from `start` (NLopt opt.algorithm, at most opt.max_evals evaluations, objective L/t as in
/// optimize_relu; no polish). Returns the end point and its exact loss in double. Calls opt.validate(problem).
struct LocalReluOptimum {
  Params<double> params;
  double loss = 0;
};
LocalReluOptimum relu_local_optimum(const Problem& problem, const Params<double>& start,
                                    const ReluOptimizeOptions& opt);

/// The two configurations of the n = 2, d = 1 phase diagram (Elhage et al. 2022, "Phase changes"): one feature
/// represented (the other off, its output the constant ReLU(b)^k), or an antipodal pair (W_1·W_2 < 0).
enum class TwoFeaturePhase { first_only, second_only, antipodal };
std::string_view to_string(TwoFeaturePhase ph);  // "first-only", "second-only", "antipodal"
struct TwoFeaturePoint {
  double one_feature_loss = 0;  // best exact loss with one feature represented (local optima from W = e_i, b_i = 0,
                                // b_other = E x = p/2)
  int one_feature = 0;          // which one (0 or 1)
  double pair_loss = 0;         // best exact loss of the antipodal starts that stay a pair (|W_i| > 0.1, W_1W_2 < 0);
                                // +infinity if none does
  TwoFeaturePhase phase = TwoFeaturePhase::first_only;  // the lower of the two (antipodal on a tie)
};
/// Both configurations' local optima at `problem` (d = 1, n = 2, uniform01; throws InputError naming --d, --n
/// otherwise). Cost: five local searches of four parameters.
TwoFeaturePoint two_feature_point(const Problem& problem, const ReluOptimizeOptions& opt);
/// The feature probability p* in [p_lo, p_hi] (equal p for both features) where the antipodal pair and one feature
/// have equal optimal loss, located by bisection in log p on the sign of pair_loss − one_feature_loss until
/// p_hi/p_lo ≤ 1 + rel_tol; nullopt when the sign does not change between the ends. `problem.p` is overwritten.
std::optional<double> two_feature_boundary(Problem problem, double p_lo, double p_hi, double rel_tol,
                                           const ReluOptimizeOptions& opt);
/// The shapes of Elhage et al. (2022), section "Feature Dimensionality" (their figure of D_i against 1/(1 − S)):
/// a connected group of k features spanning r dimensions as a regular, tight arrangement, each feature of
/// dimensionality r/k. `other` is any group that matches none of them.
enum class Shape { dedicated, digon, triangle, tetrahedron, pentagon, square_antiprism, other };
inline constexpr int kShapeCount = 7;
/// "dedicated", "digon", "triangle", "tetrahedron", "pentagon", "square_antiprism", "other".
std::string_view to_string(Shape s);
/// The feature dimensionality r/k of every feature of the shape: 1, 1/2, 2/3, 3/4, 2/5, 3/8 (exact); 0 for other.
Rational shape_dimensionality(Shape s);

/// Default tolerance of feature_geometry: features shorter than tolerance·max_k ‖W_k‖ are weak (not grouped), two
/// features are joined when |Ŵ_i·W_j| or |Ŵ_j·W_i| exceeds tolerance·max_k ‖W_k‖, and a group is a shape when
/// every D_i and every sorted row of its cosine Gram matrix is within tolerance of the shape's.
inline constexpr double kShapeTolerance = 0.05;

/// One connected group of represented features (see feature_geometry).
struct ShapeGroup {
  Shape shape = Shape::other;
  std::vector<int> features;  // column indices, ascending
};

/// Elhage's metrics of one W (d×n): n entries per feature unless said otherwise.
struct FeatureGeometry {
  std::vector<double> dimensionality;  // D_i (feature_dimensionality), 0 if unrepresented
  std::vector<double> superposition;   // Σ_{j≠i} (Ŵ_i·W_j)² (squared length units of W), 0 if unrepresented
  double dimensions_per_feature = 0;   // d/‖W‖_F² (Elhage's m/‖W‖_F²); +inf for W = 0
  std::vector<int> represented;        // represented_columns(W)
  std::vector<ShapeGroup> groups;      // the connected groups of the grouped features, by smallest index
  std::vector<Shape> shape;            // the shape of each grouped feature's group (other if weak or unrepresented)
  std::vector<double> fraction;        // kShapeCount entries: fraction of all n features in groups of each Shape
  double weak_fraction = 0;            // fraction of the n features represented but not grouped (short)
  double unrepresented_fraction = 0;   // fraction not represented; with the two above, the fractions sum to 1
};

/// Elhage's feature dimensionality, dimensions per feature and superposition of W (d×n, double, finite), and the
/// recognition of its geometry: the represented features longer than tolerance·max_k ‖W_k‖ (the others are weak:
/// a trained W keeps such remnants of features it dropped) are split into the connected components of the graph
/// with an edge i–j when max(|Ŵ_i·W_j|, |Ŵ_j·W_i|) > tolerance·max_k ‖W_k‖, and each component is named by its D_i
/// and its cosine Gram matrix: a component of size k is a shape of k vertices (dedicated 1, digon 2, triangle 3,
/// tetrahedron 4, pentagon 5, square antiprism 8) when every |D_i − r/k| ≤ tolerance and each row of cosines,
/// sorted, is within tolerance (entrywise) of the shape's: the regular polygons of 2, 3, 5 unit vectors in a plane,
/// the regular simplex of 4 in R³, and the tight square antiprism ((cos jπ/4, sin jπ/4, (−1)^j/√2)·√(2/3),
/// j = 0..7, the one with D_i = 3/8). Cost O(d·n² + n²). Throws InputError unless W is finite and
/// tolerance ∈ (0, 1).
FeatureGeometry feature_geometry(const Matrix<double>& W, double tolerance = kShapeTolerance);

// ---------------------------------------------------------------------------------------------------------
// The ReLU model: training on sampled batches with the recipe of Elhage et al.'s notebook (search/relu_train.cpp)
// ---------------------------------------------------------------------------------------------------------

/// The training recipe of Elhage et al.'s notebook (toy_models.ipynb, `optimize`): torch.optim.AdamW with lr 1e-3,
/// β = (0.9, 0.999), ε = 1e-8 and decoupled weight decay (torch's default 0.01, which the notebook keeps), batches
/// of 1024, 10,000 steps, W initialised by torch's xavier_normal_ on the notebook's (instances, n, d) tensor, i.e.
/// N(0, 2/(d·(n + instances))), b = 0.
struct TrainOptions {
  int steps = 10000;
  int batch = 1024;
  double lr = 1e-3;
  double weight_decay = 0.01;  // AdamW's decoupled decay, applied to W, W_dec and b (as torch.optim.AdamW)
  double init_std = 0;         // > 0: entries of W (and W_dec) N(0, init_std²); 0: the notebook's xavier_normal_
  int eval_samples = 1 << 17;  // fresh samples for the final Monte Carlo loss
  std::uint64_t seed = 1;      // instance i draws everything from mt19937_64(seed + i)
  int threads = 1;             // instances trained in parallel (each instance single-threaded)
  /// Called with (steps done, total steps) summed over instances, from the calling thread only.
  std::function<void(long long done, long long total)> progress;

  /// Checks the options and the instances before any work: at least one instance, each valid (Problem::validate;
  /// every value law of ValueLaw::parse is sampled), steps ≥ 1, batch ≥ 1, lr finite > 0,
  /// weight_decay finite ≥ 0, init_std finite ≥ 0, eval_samples ≥ 2, threads in 1..256, and the memory (batch and
  /// evaluation buffers: about 6·n·batch doubles per thread). Throws InputError naming the flag (--steps, --batch,
  /// --lr, --weight-decay, --init-std, --eval-samples, --threads).
  void validate(const std::vector<Problem>& instances) const;
};

/// One trained instance.
struct TrainedInstance {
  Params<double> params;  // W (d×n), W_dec (d×n, untied only), b (n)
  double loss = 0;        // Σ_i I_i·E(x_i − x̂_i)², Monte Carlo over eval_samples fresh samples
  double loss_se = 0;     // its standard error (sample standard deviation / √eval_samples)
  double seconds = 0;     // training and evaluation time of this instance (one thread)
};

/// The loss of the batch X (n×B, one sample per column), (1/B)·Σ_b Σ_i I_i (X_ib − act((W_decᵀ W X + b)_ib))²,
/// act(t) = ReLU(t)^k; `importance` has n entries. If `grad` is not null it receives the gradient in the shapes of
/// `params` (W_dec empty when tied, where W gets both the encoder and the decoder terms): a hand-written backward
/// pass, five GEMMs. Shapes are not checked (callers validate).
double batch_loss(const Problem& problem, const Vector<double>& importance, const Params<double>& params,
                  const Matrix<double>& X, Params<double>* grad = nullptr);

/// Draws B samples of the problem's input law into X (n×B): X_ib = β_ib·v_ib, β ~ Bernoulli(p_i), v from `law`
/// (ValueSampler, theory/relu.hpp: uniform01 by default, or any symmetric law).
void sample_batch(const std::vector<double>& p, int B, std::mt19937_64& rng, Matrix<double>& X,
                  const ValueLaw& law = {});

/// Trains every instance independently with the notebook's recipe (TrainOptions), instance i from
/// mt19937_64(opt.seed + i): W initialised, then opt.steps AdamW steps on batch_loss of fresh batches, then the
/// loss estimated on opt.eval_samples fresh samples. Calls opt.validate(instances) first. Throws InputError (--lr)
/// when the parameters stop being finite. Cost: about 10·d·n·batch flops per step and instance.
std::vector<TrainedInstance> train(const std::vector<Problem>& instances, const TrainOptions& opt);

}  // namespace relu

}  // namespace superpose

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
