// superpose/verify: everything that checks and reports: bound tables and their rendering (verify/tables.cpp),
// the verify grid and its JSON-lines checkpoint with counterexample certificates (verify/verify_grid.cpp), the
// Figure 3 sweep and its plot (verify/sweep.cpp), and the report (verify/report.cpp).
//
// Contract
// --------
// * Tables: `bound_table` gathers the closed-form bounds of theory/ and the constructions at each p (p from the one
//   p-grid grammar, parse_p_grid in numerics/).
// * Sources: the bounds and constructions cite docs/theory.md and arXiv 2606.18538; the checks are those of issue 3.
// * Errors: InputError for bad configurations (before any work where stated); ToolError when gnuplot is missing.
// * Determinism: every result depends only on its config (seeds included); verify is byte-identical for any --jobs.
// * The report reproduces the setting of the paper's Figure 3 (m = 3, d ∈ {10, 15}, n = 6000).
#pragma once

#include "search/search.hpp"
#include "theory/theory.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace superpose {

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
// Certified very sparse limits at finite n (verify/certify.cpp; docs/theory.md §5.8, issue 13)
// ---------------------------------------------------------------------------------------------------------
// F*_n(d, m) = sup F(W) over W ∈ R^{d×n} (theory/first_order_ratio). Upper bound: the linear programming bound
// F*_n ≤ 1/(f_0 + (1 − f(1))/n) for every f = Σ_k f_k·G_k (G_k the Gegenbauer polynomial of S^{d−1} normalised by
// G_k(1) = 1, Chebyshev T_k for d = 2) with f_k ≥ 0 for k ≥ 1 and f(t) ≤ t^{2m} on [−1, 1]. The LP is solved in
// double by GLPK on a grid, its active set is refined by Newton steps in MPFR-100, the coefficients are rounded to
// rationals and the two conditions are proved in exact arithmetic (Yun's square-free decomposition and a Sturm
// sequence over GMP rationals). Lower bound: the exact F of an explicit rational W (the search's optimum rounded),
// or the closed form of k equally spaced lines for d = 2. Floating point only proposes; every claim is exact.

/// The normalised Gegenbauer polynomials G_0..G_K of S^{d−1} (d ≥ 2) in the monomial basis: result[k][j] is the
/// coefficient of t^j in G_k. Recurrence (k + d − 2)·G_{k+1} = (2k + d − 2)·t·G_k − k·G_{k−1}, G_0 = 1, G_1 = t.
/// Exact. Throws InputError for d < 2 or K outside 0..200.
std::vector<std::vector<Rational>> gegenbauer_polynomials(int d, int K);

/// True when the polynomial q (q[j] the coefficient of t^j) is ≥ 0 on the closed interval [a, b] (a < b), proved
/// exactly: square-free decomposition q = c·Π a_i^i (Yun), no root of odd multiplicity strictly inside (a, b)
/// (Sturm sequence of the odd part), and the sign of c·(odd part) inside. The zero polynomial is ≥ 0.
bool polynomial_nonnegative(const std::vector<Rational>& q, const Rational& a, const Rational& b);

/// F(W) of k equally spaced lines in R² (angles jπ/k), in closed form: 4^m / Σ_{0≤r≤2m, r ≡ m (mod k)} C(2m, r).
/// (Σ_{i,j} cos^{2m}(π(i−j)/k) = k²·4^{−m}·Σ_{r ≡ m mod k} C(2m, r) by the binomial expansion of cos; docs/theory.md
/// §5.8.) Equals F*(2, m) for k ≥ m + 1. Exact. Throws InputError for k < 1 or a bad m.
Rational equally_spaced_lines_ratio(int k, int m);

/// Exact verification of an LP certificate: "" if f (Gegenbauer coefficients f_0..f_K of S^{d−1}) has f_k ≥ 0 for
/// k ≥ 1, t^{2m} − f(t) ≥ 0 on [−1, 1] and f_0 + (1 − f(1))/n > 0; otherwise the first failed condition, one line.
std::string check_lp_polynomial(int d, int m, int n, const std::vector<Rational>& f);
/// 1/(f_0 + (1 − f(1))/n), the upper bound on F*_n(d, m) given by f (valid once check_lp_polynomial passed).
Rational lp_bound_value(int n, const std::vector<Rational>& f);

struct LpOptions {
  int degree = 0;     // largest k of G_k (even; 0: 2m + 4)
  int grid = 2001;    // points t = cos θ, θ uniform in [0, π/2], for the double LP
};

/// The certified upper bound of one cell.
struct LpUpper {
  std::vector<Rational> f;  // f_0..f_K (odd k are 0)
  Rational value;           // lp_bound_value(n, f)
  double lp_double = 0;     // 1/(GLPK's optimum), the grid LP's bound in double (not a proof)
  std::string method;       // "exact active set", "rounded, f_0 lowered by 1e-40", "f = 0", "f = t^2m", ...
};

/// Solves the LP bound for (d, m, n) and returns an exactly verified f (check_lp_polynomial passes). Never worse than
/// min(n, F*(d, m)) (f = 0 and f = t^{2m} are tried when the LP's f cannot be certified). Throws InputError for
/// d < 2, a bad m (check_power), n < 1 or bad options. Cost: one GLPK simplex on grid × (K/2 + 1), a few Newton
/// steps in MPFR-100 and O(K) exact Sturm checks of degree ≤ max(K, 2m): milliseconds for d ≤ 10, m ≤ 7.
LpUpper lp_upper_bound(int d, int m, int n, const LpOptions& opt = {});

/// An explicit witness of F*_n(d, m) ≥ value: either W (d×n' exact rationals, n' ≤ n; padding with zero columns
/// leaves F unchanged) with ratio = F(W) exactly, or (d = 2) `lines` equally spaced lines with ratio =
/// equally_spaced_lines_ratio(lines, m). value ≤ ratio is the stated lower bound (ratio itself when its
/// denominator is below 10^12, else ratio rounded down to 30 decimals).
struct ExactLower {
  std::string kind;  // "weights" or "equally_spaced_lines"
  Matrix<Rational> W;
  int lines = 0;
  Rational ratio, value;
};

/// The exact lower bound for (d, m, n): the best of the unsuperposed W (F = min(d, n)), for d = 2 the equally
/// spaced lines k ≤ min(n, m + 1), `previous` (a witness for a smaller n, if given) and the search's optimum
/// (optimize_first_order with `search`, skipped when search.starts is 0): its columns rotated to a triangular frame
/// (modified Gram–Schmidt in MPFR-50) and each entry snapped to a rational with denominator ≤ 10^6 within 1e-25,
/// else rounded to 30 significant digits; F of the result is exact. Throws InputError as optimize_first_order.
ExactLower exact_lower_bound(int d, int m, int n, const OptimizeOptions& search,
                             const ExactLower* previous = nullptr);

/// A certificate of one cell: F*_n(d, m) ∈ [lower.value, upper.value].
struct FstarCertificate {
  int d = 0, m = 0, n = 0;
  std::vector<Rational> f;  // upper: Gegenbauer coefficients
  Rational upper;           // claimed = lp_bound_value(n, f)
  ExactLower lower;
  bool proved() const { return lower.value == upper; }
};

/// The certificate as JSON (format "superpose-fstar-certificate-1"): d, m, n, "status" (proved/bracketed),
/// "upper": {"f": [rational strings f_0..f_K], "value"}, "lower": {"kind", "W": [[rows]] or "lines", "ratio",
/// "value"}; every number a rational string "p/q" or "p".
std::string certificate_to_json(const FstarCertificate& c);
/// Parses a certificate written by certificate_to_json. Throws InputError naming `source` for unreadable JSON, a
/// missing or mistyped field, a non-rational string, sizes out of range (d 2..1000, m odd 1..21, n 1..10^6, at most
/// 201 coefficients, W with d rows and 1..n columns).
FstarCertificate parse_certificate(const std::string& text, const std::string& source);
/// Re-verifies a certificate from scratch in exact arithmetic: check_lp_polynomial, upper == lp_bound_value,
/// lower.ratio == F(W) (or the closed form of the lines, d = 2), lower.value ≤ lower.ratio, lower.value ≤ upper,
/// and a "proved" status only with lower.value == upper (`status` as read; "" skips that check). Returns "" when
/// every claim holds, else the first failed claim (one line).
std::string check_certificate(const FstarCertificate& c, const std::string& status = "");

/// One cell of the table, with the time spent in each stage (seconds, wall clock).
struct FstarCell {
  FstarCertificate cert;
  LpUpper upper;
  double seconds_lp = 0, seconds_exact = 0, seconds_search = 0;
  std::string certificate_path;  // "" when no --cert-dir
};

struct FstarTableConfig {
  std::vector<int> d_values{2, 3, 4};
  std::vector<int> m_values{3, 5};
  std::vector<int> n_values;       // empty: 1..C(d+2m−1, 2m) per (d, m)
  LpOptions lp;
  OptimizeOptions search;          // starts 8, polish on by default of the command
  std::string cert_dir;            // "" = no files; else cert_dir/fstar_d{d}_m{m}_n{n}.json
};

/// Parses an integer list "a", "a,b,c", "a..b" or a mix ("2..4,6"), each value in [lo, hi]. Throws InputError
/// naming `flag` and the accepted syntax.
std::vector<int> parse_int_list(const std::string& spec, const std::string& flag, int lo, int hi);

/// Computes every cell (d, m, n nested, n fastest). The search is skipped (the previous n's witness is reused, padded
/// with a zero column) once the lower bound of a smaller n equals F*(d, m) to 1e-20 relative. Certificates are
/// written atomically to cert_dir and re-read and re-verified by check_certificate before the cell is reported.
/// `on_cell` after each cell. Throws InputError for bad values (flags --d, --m, --n) before any work.
void run_fstar_table(const FstarTableConfig& cfg, const std::function<void(const FstarCell&)>& on_cell);

/// Renders cells as "md", "csv", "json" or "tex": d, m, n, lower and upper as fractions (md: fractions longer than
/// 60 characters by their decimal only) and 20-digit decimals, the relative gap (upper − lower)/upper to 3 digits
/// (0 exactly when proved; csv and json also lower/upper to 20 digits), status, the method and the certificate
/// path; json also the seconds of each stage. Throws InputError for another format (--format).
std::string render_fstar_table(const std::vector<FstarCell>& cells, const std::string& format);

}  // namespace superpose
