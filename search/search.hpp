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
#pragma once

#include "theory/theory.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace superpose {

/// A feature i is represented when ‖W_i‖² > kRepresentedThreshold · max_j ‖W_j‖² (relative, dimensionless).
inline constexpr double kRepresentedThreshold = 1e-6;

/// Indices of the represented columns of W (d×n), ascending; empty for W = 0.
std::vector<int> represented_columns(const Matrix<double>& W);

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
  std::vector<double> dimensionality;  // D_i = ‖W_i‖⁴/Σ_j (W_i·W_j)² (Elhage et al. 2022), 0 for zero columns
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

/// An exact counterexample to sup L̃ ≤ c_μ·F*(d,m)·p found by search, or nullopt: for d ≤ 2 only, at the setting's
/// d and m, n' = 2..min(n, 3) features and p ∈ {1, 1/2, 1/10} (in that order; the first hit wins),
/// multistart_gain from gain_starts(·, kRefutationSearchStarts starts, seed 1), L-BFGS, at most 2000 evaluations per
/// start. A W whose double gain/p beats c_μ·F*(d,m) is rounded entrywise to 12 significant digits, and counts only
/// if its gain evaluated exactly (evaluate<Rational>) beats c_μ·F*(d,m)·p. Certificate W is d×n' (n' ≤ n; zero
/// columns would embed it in d×n). Family "search: d = .., n = .., p = .., 4 starts (seed 1, L-BFGS), ...".
/// Cost: at most 2·3·4 = 24 local searches on d×n' ≤ 2×3 plus a few exact evaluations — measured in docs/theory.md
/// §5.5. Cached per (law, d, m, min(n, 3)) for the life of the process; thread-safe. Deterministic.
/// Theory's first_order_limit_certificate (the closed-form families) is not consulted: see with_search_certificate.
std::optional<Certificate> first_order_limit_search_certificate(const Setting& s);

/// The bound table `bounds` and `optimize` print: marks the first_order_limit row of `bounds` (closed_form_bounds at
/// any p) `refuted` with first_order_limit_search_certificate(s) when its status is still `conjecture` (no closed-
/// form family refuted it; gaussian rows proved by the Stein bound are left alone). Runs the search on first use of
/// the setting's (law, d, m). Other rows are unchanged.
template <class T>
std::vector<Bound<T>> with_search_certificate(const Setting& s, std::vector<Bound<T>> bounds) {
  for (Bound<T>& b : bounds) {
    if (b.name != "first_order_limit" || b.status != BoundStatus::conjecture) continue;
    if (std::optional<Certificate> c = first_order_limit_search_certificate(s))
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

}  // namespace superpose
