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
  // Job arrays (--shard K/N): this process computes only the cells whose grid index i has i mod shard_count ==
  // shard_index, into a part file that merge_verify_parts joins. shard_count = 1: the whole grid.
  int shard_index = 0;
  int shard_count = 1;
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

/// The grid of a config in its fixed order (d, n, m, law, p; p fastest), all cells (whatever the shard). Throws
/// InputError for bad sizes, powers, laws (flags --d, --n, --m, --law), p values (--p) or shard (--shard).
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

/// The grid (or, with cfg.shard_count > 1, the cells of shard cfg.shard_index: grid index mod shard_count ==
/// shard_index). Rows are delivered to `on_row` in grid order (resumed rows too); `progress(done, total,
/// eta_seconds)` after each row, total being the cells of this shard.
///
/// Checkpoint (cfg.out_jsonl, JSON lines): line 1 is a header {"superpose_verify": 2, "version", "precision", the
/// options that change a row (d, n, m, law, p, starts, seed, max_evals, sparse_factor, plant_upper_factor),
/// "config_crc32": CRC-32 of those fields' JSON, and "shard": "K/N" when N > 1}. Each row is one JSON object whose
/// last field is "crc32": CRC-32 of config_crc32 followed by the row's text without that field, so an edited row,
/// or a row of another configuration, is detected. Rows are appended and fsync'ed one by one in grid order (also
/// with cfg.jobs > 1), so an interrupted run leaves a prefix of the final file. The file is locked (flock,
/// exclusive) while the run holds it. With cfg.resume the rows already in the file are checked and kept (a torn
/// last line is dropped) and only the missing cells are computed: the finished file is byte-identical to that of
/// an uninterrupted run, and a part file's rows are byte-identical to the same cells' rows in a one-process file.
///
/// Throws InputError (nothing written or truncated) when: out_jsonl is a directory or a special file; another
/// process holds its lock; it exists without cfg.resume; with cfg.resume, it starts with a byte-order mark, holds
/// binary data or CRLF line endings, line 1 is not a verify header, it was written by another version of superpose
/// or another configuration or shard (the differing flags are named), or a complete row is empty, lacks its
/// checksum, fails it, or is out of place (the line number is named).
VerifySummary run_verify(const VerifyConfig& cfg, const std::function<void(const VerifyRow&)>& on_row,
                         const std::function<void(int, int, double)>& progress = {});

/// `superpose merge`: joins the part files written by `run_verify` with --shard K/N (or any checkpoints of one
/// configuration) into `out_jsonl`, byte-identical to the file a one-process run writes. Every part is read under
/// a shared lock and checked as by --resume (header, version, every row checksum; a torn last line is ignored);
/// the parts must share the configuration and together hold every cell of the grid exactly once. The file is
/// written atomically (write_file_atomic). Rows are delivered to `on_row` in grid order; the summary counts them.
/// Throws InputError, writing nothing, when `parts` is empty, out_jsonl exists or is a special file, a part is
/// missing, locked or damaged, two parts differ in configuration (the flags are named), or cells are missing or
/// duplicated (their indices are named, with the shards that own missing cells).
VerifySummary merge_verify_parts(const std::vector<std::string>& parts, const std::string& out_jsonl,
                                 const std::function<void(const VerifyRow&)>& on_row = {});

/// Renders rows as "md", "csv" or "json" (JSON: an array of the JSONL objects without their checksums). CSV
/// (RFC 4180): p is a decimal (17 significant digits) and p_exact the text that defines it exactly (e.g. 1/3); a
/// field is quoted only when it holds a comma, a quote or a line break. Throws InputError for any other format
/// (flag --format).
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

}  // namespace superpose
