// superpose/verify: explicit weight constructions, bound tables and the Figure 3 report.
//
// Contract
// --------
// * A construction is an explicit W ∈ R^{d×n}. Its gain, evaluated exactly by the engine of theory/ at the best
//   overall scale (closed form C²/D, see best_scaled_gain), is a true lower bound on sup_W L̃(W): status
//   `construction`. Weights are generated in double from a seed (reproducible on one platform: mt19937_64 and
//   libstdc++'s normal_distribution) and then evaluated in the working precision, so the stated gain is the exact
//   gain of that very W up to the working precision, not an approximation of another W.
// * Tables: `bound_table` gathers the closed-form bounds of theory/ and the constructions at each p.
// * The report reproduces the setting of the paper's Figure 3 (m = 3, d ∈ {10, 15}, n = 6000).
#pragma once

#include "theory/theory.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace superpose {

// ---------------------------------------------------------------------------------------------------------
// Constructions (docs/theory.md §6)
// ---------------------------------------------------------------------------------------------------------

/// Unsuperposed W (d×n): min(d,n) orthogonal features with A_ii = 1 (the scale is then optimised, giving
/// A_ii^m = μ_{m+1}/μ_{2m} and gain p·min(d,n)·c_μ exactly; paper Eq. (9)); the other columns are 0.
Matrix<double> unsuperposed_weights(int d, int n);

/// Random tight frame (d×n): the first k columns are sqrt(k/d)·(GGᵀ)^{−1/2}G for G a seeded d×k standard
/// Gaussian matrix (so W_k W_kᵀ = (k/d)·I, mean squared column norm 1); for k < d, k orthonormal columns.
/// Columns k..n−1 are 0. Throws InputError unless 1 ≤ k ≤ n and d ≥ 1.
Matrix<double> random_tight_frame(int d, int n, int k, std::uint64_t seed);

/// Projective design for d = 2 (2×n): m+1 unit vectors at angles jπ/(m+1), j = 0..m, then zero columns.
/// The m+1 lines form a projective 2m-design (all even harmonics of degree 2..2m vanish), so the first-order
/// ratio equals F*(2,m) = (2m)!!/(2m−1)!! (docs/theory.md §5). Computed in T (cos and sin to full precision).
/// Throws InputError if n < m+1.
template <class T>
Matrix<T> projective_design_weights(int m, int n);

/// A construction evaluated at p: gain at its optimal scale (a lower bound on sup gain), with how it was made.
template <class T>
struct ConstructionValue {
  std::string name;       // "random_tight_frame", "projective_design"
  T gain;                 // max over the overall scale of L̃(sW)
  int features = 0;       // number of nonzero columns used
  std::string precision;  // "50 digits", "double", ...
  std::string detail;     // e.g. "k=640, seed=1"
};

/// A family of constructions whose p-independent power sums are precomputed, so that many p are cheap.
/// `random_tight_frame` is tried for k ∈ {d, 2d, 4d, ...} ∪ {n} (k = n alone when n < d) and the best k is kept
/// at each p. (The unsuperposed construction is the closed-form bound `unsuperposed`.)
/// Evaluation is in T when d·n² ≤ `exact_budget`, else in double (the precision field says which).
template <class T>
class Constructions {
 public:
  Constructions(const Setting& s, std::uint64_t seed, double exact_budget = 2e7);
  /// All constructions at p (p ∈ (0,1]; throws InputError otherwise).
  std::vector<ConstructionValue<T>> at(const T& p) const;

 private:
  struct Member {
    std::string name, detail;
    int features;
    std::optional<RowPowerSums<T>> sums_t;
    std::optional<RowPowerSums<double>> sums_d;
  };
  Setting setting_;
  std::vector<Member> members_;
};

// ---------------------------------------------------------------------------------------------------------
// Bound tables
// ---------------------------------------------------------------------------------------------------------

/// One row of a bound table: p, its regime, the closed-form bounds and the constructions (as Bound entries with
/// status `construction`, side lower, citation docs/theory.md §6).
template <class T>
struct BoundRow {
  T p;
  std::string regime;
  std::vector<Bound<T>> bounds;
};

/// Parses a p specification: a value ("1e-3", "3/7"), a comma list ("0.1,0.2"), or "start:stop:count"
/// (count ≥ 2 log-spaced values from start to stop inclusive). Throws InputError (naming --p) on bad syntax or a
/// value outside (0,1].
template <class T>
std::vector<T> parse_p_grid(const std::string& spec);

/// Log-spaced grid of `count` ≥ 2 values from lo to hi (inclusive), computed in T.
template <class T>
std::vector<T> log_grid(const T& lo, const T& hi, int count);

/// The table: closed-form bounds at every p, plus constructions if `with_constructions`.
template <class T>
std::vector<BoundRow<T>> bound_table(const Setting& s, const std::vector<T>& ps, bool with_constructions,
                                     std::uint64_t seed = 1);

/// Renders a table as Markdown, CSV, JSON or LaTeX with `digits` significant digits. JSON: a list of rows
/// {p, regime, bounds: [{name, value, status, side, citation, precision}]}; numbers are decimal strings.
/// Throws InputError for an unknown format (accepted: md, csv, json, tex).
template <class T>
std::string render_table(const std::vector<BoundRow<T>>& rows, const Setting& s, const std::string& format,
                         int digits);

// ---------------------------------------------------------------------------------------------------------
// Geometry of a weight matrix
// ---------------------------------------------------------------------------------------------------------

/// Diagnostics of W (d×n), computed in double.
struct Geometry {
  std::vector<double> eigenvalues;     // of A = WᵀW, the min(d,n) largest, descending
  std::vector<double> norms;           // ‖W_i‖, i = 1..n
  int represented = 0;                 // features with ‖W_i‖² > 1e-6·max_j ‖W_j‖²
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
  std::string algorithm = "lbfgs";    // see check_algorithm
  int max_evals = 20000;              // per start
  std::optional<Matrix<double>> init; // an extra start (d×n)
  bool polish = true;                 // Newton polish in MPFR-50
  int polish_max_params = 400;        // skip the polish above d·(represented features) parameters
  std::function<void(int done, int total, double best)> progress;
};

/// The certified optimum. Gains are per the model (not divided by p) unless named *_over_p.
struct OptimizeResult {
  Matrix<double> W;                 // the best W found in double (d×n)
  double gain_double = 0;           // its gain in double
  double grad_norm_double = 0;      // Frobenius norm of ∂gain/∂W at W, double
  Matrix<Real50> W50;               // polished weights (equal to W, converted exactly, when not polished)
  Real50 gain, loss, zero_loss;     // exact gain of W50, evaluated in MPFR-50
  Real50 grad_norm;                 // ‖∂gain/∂W‖_F at W50, MPFR-50
  bool polished = false;
  int newton_steps = 0;
  std::string polish_note;          // why the polish stopped or was skipped
  std::vector<StartResult> starts;
  Geometry geometry;                // of W50 (in double)
};

/// Maximises L̃(W) over W ∈ R^{d×n} at probability p (exact rational, so MPFR sees the decimal typed).
/// Each start runs NLopt on gain/p with the analytic gradient; the best W then has its unrepresented columns set to
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
/// `per_n` receives (n, best ratio to F*) as the search proceeds.
int min_n_for_fstar(int d, int m, int n_max, const OptimizeOptions& opt,
                    const std::function<void(int, double)>& per_n = {});

// ---------------------------------------------------------------------------------------------------------
// The Figure 3 report (the main job of `make demo`)
// ---------------------------------------------------------------------------------------------------------

struct ReportConfig {
  int m = 3;
  std::vector<int> d_values{10, 15};
  int n = 6000;
  std::vector<std::string> laws{"gaussian", "rademacher"};
  int points = 12;           // p from d^{-m}/100 to 1, log-spaced
  std::uint64_t seed = 1;
  std::string out_dir = "out";
  bool with_sweep = true;    // also run a reduced Figure 3 sweep (run_sweep) and embed its figure
  int sweep_d = 10, sweep_n = 1000, sweep_points = 20;
  std::string sweep_law = "gaussian";
};

/// Writes out_dir/report.md and one CSV per table (bounds at 50 digits; constructions in double at n = 6000,
/// each column's precision stated); with `with_sweep`, also out_dir/sweep/ (run_sweep + plot_sweep at
/// d = sweep_d, n = sweep_n) and the figure in the report. `progress(done, total, what)` is called after each table. Files are written
/// atomically. Returns the path of report.md. Throws InputError if out_dir cannot be written.
std::string write_report(const ReportConfig& cfg,
                         const std::function<void(int, int, const std::string&)>& progress = {});

}  // namespace superpose

// =========================================================================================================
// Experiments (verify/experiments.cpp): the verification grid, the Figure 3 sweep, and gradient training.
// Issue 3 ("Verification", "Figure 3 of the paper", "Does gradient descent find these optima?").
// =========================================================================================================

#include <tuple>

namespace superpose {

/// A feature probability as the decimal text that defines it and its exact value (that decimal, read exactly).
struct GridP {
  std::string text;
  Rational value;
};

/// Parses a p list for experiments: "v", "v1,v2,..." or "lo:hi:count" (count ≥ 2 log-spaced values from lo to hi
/// inclusive; each interior value is rounded to 12 significant digits and that decimal is read exactly, so every p
/// is an exact rational with a short, reproducible decimal). Throws InputError naming `flag` on bad syntax, a
/// count outside 2..1000, or a value outside (0, 1].
std::vector<GridP> parse_experiment_p(const std::string& spec, const std::string& flag);

// ---------------------------------------------------------------------------------------------------------
// superpose verify: run optimize_weights on a grid and check every proved bound (issue 3, "Verification")
// ---------------------------------------------------------------------------------------------------------

struct VerifyConfig {
  std::vector<int> d_values{2, 3, 4};
  std::vector<int> n_values{8, 20};
  std::vector<int> m_values{3, 5};
  std::vector<std::string> laws{"rademacher", "gaussian"};
  std::string p_spec = "1e-6:1e-1:6";
  int starts = 8;                 // optimize_weights starts per point
  std::uint64_t seed = 1;         // the same seed at every point: each point is independent and reproducible
  int max_evals = 20000;          // NLopt evaluations per start
  int jobs = 1;                   // points computed in parallel threads
  std::string out_jsonl;          // JSON-lines checkpoint ("" = none); line 1 is a header with this config
  bool resume = false;            // keep the rows already in out_jsonl and compute only the missing points
  std::string cert_dir;           // folder for counterexample certificates ("" = the folder of out_jsonl, or ".")
  Rational plant_upper_factor = 1;  // SELF-TEST: multiply every proved upper bound by this factor (1 = off)
  int stop_after = 0;             // compute at most this many new points, then stop (0 = all); for chunked runs
  // Check 2 applies when p ≤ d^{−m}/sparse_factor. Issue 3 says 100; the default is 1000 because at d^{−m}/100 the
  // second-order term is still above 1% for rademacher inputs (d = 2, m = 3, p = 1e-3: the certified optimum, a
  // projective 6-design, has gain/(c_μ·F*·p) = 0.9853; docs/performance.md "verify").
  Rational sparse_factor = 1000;
};

/// One check of one grid point. status: "pass", "fail" or "skip"; `ratio` is the tested quotient (gain/bound for
/// upper bounds, gain/(c_μ·F*·p) for the very sparse check, gain/best construction); `detail` says why.
struct VerifyCheck {
  std::string name;    // "upper:<bound name>", "very_sparse", "construction"
  std::string status;
  double ratio = 0;
  std::string detail;
};

/// One grid point: the optimum found there, the checks and the informative ratios (not pass/fail).
struct VerifyRow {
  int index = 0;  // position in the grid (d, n, m, law, p nested in that order, p fastest)
  int d = 0, n = 0, m = 0;
  std::string law;
  std::string p;              // the defining decimal
  std::string regime;
  std::string gain;           // MPFR-50 gain of the certified W, 50 digits
  double gain_over_p = 0;
  double grad_norm = 0;       // ‖∂gain/∂W‖ in MPFR-50, over p
  bool polished = false;
  int represented = 0;
  std::vector<VerifyCheck> checks;
  // Informative (issue 3, check 4): gain / first_order_limit (> 1 would refute the conjecture of docs/theory.md
  // §5.5 at this p), gain / followup_upper (m ≥ 3), gain / the two order shapes of Theorem 2.2 (constants unknown).
  double over_first_order_limit = 0;
  double over_followup_upper = 0;   // 0 when the bound does not apply
  double over_order_lower = 0, over_order_upper = 0;
  bool pass = true;
  std::string certificate;    // path of the saved counterexample W (only for a failed upper-bound check)
  std::string exact_gain;     // gain of the certificate re-evaluated in exact rationals (40 digits shown)
};

struct VerifySummary {
  int total = 0;      // grid points
  int passed = 0, failed = 0;
  int resumed = 0;    // rows taken from an existing checkpoint
  int computed = 0;   // rows computed in this run
  bool complete = false;  // false when stop_after ended the run early
};

/// The grid of a config in its fixed order (d, n, m, law, p; p fastest). Throws InputError for bad sizes, powers,
/// laws (flags --d, --n, --m, --law) or p values (--p).
struct VerifyPoint {
  int index, d, n, m;
  std::string law;
  GridP p;
};
std::vector<VerifyPoint> verify_grid(const VerifyConfig& cfg);

/// Runs optimize_weights (cfg.starts starts, seed cfg.seed, MPFR-50 polish) at one point and applies the checks of
/// issue 3: (1) no proved upper bound (status proved-in-paper/proved-here, side upper or exact) is exceeded by more
/// than 1e-40 relative — a violation writes W (50 digits) to `cert_dir` as a certificate, reads it back as exact
/// rationals, re-evaluates the gain in exact arithmetic and fails only if the exact gain still exceeds the bound
/// (computed in MPFR-100); (2) if p ≤ d^{−m}/cfg.sparse_factor and n ≥ C(d+2m−1, 2m) (docs/theory.md Theorem 5.5(c): a weighted
/// projective 2m-design fits), gain/(c_μ·F*(d,m)·p) ≥ 0.99, else "skip" with the reason; (3) gain ≥ (1 − 1e-9)·the
/// best construction (unsuperposed and seeded tight frames, docs/theory.md §6). Deterministic for a given config.
VerifyRow verify_point(const VerifyConfig& cfg, const VerifyPoint& pt, const std::string& cert_dir);

/// The whole grid. Rows are delivered to `on_row` in grid order (resumed rows too); with cfg.out_jsonl each row is
/// appended as one JSON line and flushed to disk (fsync) before the next, in grid order even with cfg.jobs > 1, so
/// an interrupted run leaves a prefix of the final file. With cfg.resume the complete rows already in the file are
/// kept (a torn last line is dropped) and only the missing points are computed: the finished file is byte-identical
/// to that of an uninterrupted run. `progress(done, total, eta_seconds)` after each row. Throws InputError when the
/// file exists without --resume, or its header was written by a different config (flag --resume).
VerifySummary run_verify(const VerifyConfig& cfg, const std::function<void(const VerifyRow&)>& on_row,
                         const std::function<void(int, int, double)>& progress = {});

/// Renders rows as "md", "csv" or "json" (JSON: an array of the JSONL objects). Throws InputError for any other
/// format (flag --format).
/// `with_header` false omits the md/csv header, so rows can be printed one at a time.
std::string render_verify(const std::vector<VerifyRow>& rows, const std::string& format, bool with_header = true);

/// The exact gain L̃(W) (paper Eq. 7) and, if `grad` is not null, ∂L̃/∂W (d×n), in double, for large n: the same
/// cumulant route as evaluate() (docs/theory.md §2) but blocked by rows and spread over `threads` threads (0: all
/// cores), with O(n·(m + 128·threads)) memory instead of n×n. Per row i it forms a_i = A_ii and Q_{2k}(i) = Σ_{j≠i} A_ij^{2k},
/// the row gain f_i(a_i, Q) and its partial derivatives (∂M_r/∂κ_s = C(r,s)·M_{r−s}), then
/// ∂L̃/∂W_i = 2·∂f_i/∂a_i·W_i + Σ_{j≠i} Σ_k 2k·A_ij^{2k−1}·(∂f_i/∂Q_{2k}(i) + ∂f_j/∂Q_{2k}(j))·W_j.
/// Agrees with evaluate<double> to rounding (tests/test_experiments.cpp). Throws InputError on a bad m or p.
double fast_gain(const Matrix<double>& W, int m, const Law& law, double p, Matrix<double>* grad = nullptr,
                 int threads = 0);

// ---------------------------------------------------------------------------------------------------------
// superpose sweep: the gain against p at fixed (d, n, m, μ), the paper's Figure 3 (issue 3)
// ---------------------------------------------------------------------------------------------------------

struct SweepConfig {
  int d = 10, n = 6000, m = 3;
  std::string law = "gaussian";
  double p_min_factor = 0.01;  // p runs from d^{−m}·p_min_factor to 1
  int points = 30;             // log-spaced, ≥ 2
  std::string out_dir = "out/sweep";
  std::uint64_t seed = 1;
  int max_evals = 250;         // L-BFGS evaluations per point (warm-started from the previous point)
  bool with_train = false;     // also run Adam from a small random W at every point (second series)
  int train_steps = 300;       // Adam steps per point with with_train
};

/// One point of a sweep. Gains are per the model (not divided by p).
struct SweepPoint {
  std::string p;            // defining decimal (12 digits)
  double p_value = 0;
  double gain = 0;          // best gain found (double; exact engine)
  double log_d_p = 0, log_d_gain = 0;
  double slope = 0;         // local slope d log gain / d log p (central differences; one-sided at the ends)
  double first_order_limit = 0;   // c_μ·F*(d,m)·p
  double tensor_rank_upper = 0;   // p·μ₂·min(n, C(d+m−1,m)), proved
  int represented = 0;
  int evals = 0;
  std::string start;        // "warm" or the construction that beat the warm start at this p
  double train_gain = 0;    // with_train only (0 otherwise)
  double seconds = 0;
};

struct SweepResult {
  std::vector<SweepPoint> points;
  std::string csv_path;
  double seconds = 0;
};

/// Sweeps p log-spaced from d^{−m}·p_min_factor to 1 (smallest first). Each point starts L-BFGS (NLopt, analytic
/// gradient of the exact gain/p, double) from the best of: the previous point's optimum and the constructions
/// (unsuperposed, seeded tight frames with k = d, 2d, …, n), each at its optimal scale (closed form), and runs at most
/// cfg.max_evals evaluations. out_dir/sweep.csv is rewritten atomically after every point. `progress(done, total,
/// eta_seconds)`. Throws InputError on bad sizes, law, factor (--p-min-factor must make the first p < 1) or points.
SweepResult run_sweep(const SweepConfig& cfg, const std::function<void(int, int, double)>& progress = {});

/// Draws out_dir/sweep.svg and out_dir/sweep.png with gnuplot: top, log_d(gain) against log_d(p) with the lines of
/// slope 1 through c_μ·F*·p, of slope 1/m anchored at the data at p = d^{−m}, the proved tensor_rank_upper, and
/// the regime boundaries d^{−m}, d^{1−m}; bottom, the local slope. Returns the paths {svg, png}. Throws
/// std::runtime_error if gnuplot is missing or fails (the CSV is still there).
std::vector<std::string> plot_sweep(const SweepResult& result, const SweepConfig& cfg);

// ---------------------------------------------------------------------------------------------------------
// superpose train: gradient ascent or Adam on the exact gain from a small random W (open problem 4)
// ---------------------------------------------------------------------------------------------------------

struct TrainConfig {
  int d = 3, n = 12, m = 3;
  std::string law = "rademacher";
  Rational p = Rational(1, 10000);
  int steps = 2000;
  double lr = 0.01;           // step size on the objective gain/p (normalised by p, so one lr works across p)
  std::string optimizer = "adam";  // "sgd" (plain gradient ascent) or "adam" (β = 0.9, 0.999, ε = 1e-12)
  double init_scale = 0.1;    // entries N(0, (init_scale²)·a₀/d), a₀ = (μ_{m+1}/μ_{2m})^{1/m}: the optimal A_ii
  std::uint64_t seed = 1;
  int trace_every = 0;        // record (step, seconds, gain) every k steps (0: only the end)
  double target = 0;          // > 0: record when the gain first reaches this value (benchmarks)
};

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
/// Gaussian W. The gain and its gradient come from fast_gain() (the engine's formulas, double, all cores). Throws InputError for bad sizes, law, p,
/// steps < 1, lr ≤ 0 (--lr), or an unknown optimizer (--optimizer: sgd, adam).
TrainResult train_gain(const TrainConfig& cfg);

}  // namespace superpose
