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
#include <memory>
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

/// The closed-form bounds as every command prints or returns them (bounds, optimize, check, verify and the Python
/// module go through here, so a status is the same everywhere): closed_form_bounds(s, p, fstar_n_bracket(s.d, s.m,
/// s.n)), so first_order_limit is c_μ·U·p with U the certified upper end of the bracket of F*_n(d, m) (= F*(d, m)
/// from the design size C(d+2m−1, 2m) on; below it the bracket is in the row's detail), marked `refuted` with the
/// search's certificate where one is known (with_search_certificate, search/; runs that search once per
/// (law, d, m, U) for d ≤ 2). For laplace the row is side `limit`, proved-here (docs/theory.md Theorem 5.5(b)):
/// p times the limit where F*_n is proved, else p times a certified upper bound on it. T = double, Real50 or
/// Real100. Throws InputError as closed_form_bounds.
template <class T>
std::vector<Bound<T>> known_bounds(const Setting& s, const T& p);

/// The table: known_bounds at every p, plus constructions if `with_constructions`.
template <class T>
std::vector<BoundRow<T>> bound_table(const Setting& s, const std::vector<T>& ps, bool with_constructions,
                                     std::uint64_t seed = 1, const ConstructionProgress& progress = {});

/// Renders a table as Markdown, CSV, JSON or LaTeX with `digits` significant digits. JSON: a list of rows
/// {p, regime, bounds: [{name, value, status, side, citation, precision}]}; numbers are decimal strings.
/// Throws InputError for an unknown format (accepted: md, csv, json, tex).
template <class T>
std::string render_table(const std::vector<BoundRow<T>>& rows, const Setting& s, const std::string& format,
                         int digits);

// ---------------------------------------------------------------------------------------------------------
// Certified verdicts of a W found against the proved upper bounds (verify/verdicts.cpp): optimize, verify, check
// ---------------------------------------------------------------------------------------------------------

/// Significant decimal digits of the entries of a certified W (the rounding a lower bound on sup L̃ rests on).
inline constexpr int kCheckDigits = 20;

/// Largest d·n²·m whose gain is certified in MPFI by commands that certify by default (optimize): about 0.3 s of
/// CPU at 20-digit entries (d = 10, n = 258, m = 3; docs/performance.md "certification"). Beyond it optimize prints "not certified: n too
/// large". (Exact rationals are used up to kExactGainBudget, theory/theory.hpp.)
inline constexpr double kCertifyBudget = 2e6;

/// One proved upper bound decided against the certified gain of a rational W.
struct UpperVerdict {
  std::string bound;         // the bound's name (closed_form_bounds)
  BoundStatus status;        // proved_in_paper or proved_here
  std::string citation;
  CertifiedReal value;       // the bound at the rational p (certified_upper_bounds), times the factor
  CertifiedOrder order;      // the W's certified gain compared with value
  std::string arithmetic;    // "exact rationals" or "interval arithmetic (MPFI)"
  /// "pass (certified)" (less or equal), "FAIL (certified)" (greater) or "undecided" (the enclosures overlap).
  std::string verdict() const;
};

/// The W (rounded), its certified gain and one verdict per proved upper bound.
struct UpperVerdicts {
  DecimalMatrix W;           // W50 rounded to kCheckDigits significant decimals (d×n), read back exactly
  CertifiedReal gain;        // certified_gain of W.W at p
  std::vector<UpperVerdict> verdicts;
  /// The verdicts that FAIL: each one a certified counterexample to a bound printed as proved.
  std::vector<const UpperVerdict*> violations() const;
};

/// Rounds W50 (d×n, the setting's shape) to kCheckDigits decimals, certifies its gain at the rational p
/// (certified_gain: exact while d·n²·m ≤ kExactGainBudget, else MPFI), certifies every proved upper bound
/// (certified_upper_bounds; each multiplied exactly by `factor`, verify's self-test) and compares them
/// (certified_compare). Throws InputError as certified_gain does. Cost: one certified gain (O(d·n²·m) exact or
/// interval operations) and the closed forms.
UpperVerdicts certify_upper_verdicts(const Setting& s, const Rational& p, const Matrix<Real50>& W50, int threads = 0,
                                     const Rational& factor = Rational(1));

/// The one loud line a command prints on stderr when a certified gain exceeds a proved upper bound:
/// "<command>: VIOLATION: ... certified gain G (arithmetic) of the W found exceeds the proved upper bound NAME = V
/// (status, citation) at d, n, m, law, p" (no trailing newline).
std::string violation_line(const std::string& command, const Setting& s, const std::string& p_text,
                           const CertifiedReal& gain, const UpperVerdict& failed);

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

  /// Checks every field before any file is written (write_report calls it first): m, every d and law (Setting),
  /// n ≥ 1, points in 2..200, and with with_sweep: sweep_n ≥ 1 and sweep_points in 2..200 (named --sweep-n,
  /// --sweep-points), the reduced sweep's SweepConfig::validate(); out_dir a folder that exists or can be created;
  /// the memory of the constructions (constructions_memory_bytes) at every d. Throws InputError naming the flag.
  void validate() const;
};

/// Writes out_dir/report.md and one CSV per table (bounds at 50 digits; constructions in double at n = 6000,
/// each column's precision stated); with `with_sweep`, also out_dir/sweep/ (run_sweep + plot_sweep at
/// d = sweep_d, n = sweep_n) and the figure in the report. `progress(done, total, what)` is called after each table. Files are written
/// atomically. Returns the path of report.md. Calls cfg.validate() before anything is written.
std::string write_report(const ReportConfig& cfg,
                         const std::function<void(int, int, const std::string&)>& progress = {});

// ---------------------------------------------------------------------------------------------------------
// Grids of (d, n, m, law) × p: the one grammar of `verify` and `check` (verify/verify_grid.cpp)
// ---------------------------------------------------------------------------------------------------------
// --d, --n and --m are integer lists read by parse_int_list ("2", "2,3", "2..4", "2..4,6"); --law by
// parse_law_list; --p by parse_p_grid (numerics/). Cells are nested d, n, m, law, p (p fastest).

/// Parses a --law list: laws separated by commas ("rademacher,gaussian"); a discrete:v1:w1,... law, which holds
/// commas itself, takes the rest of the text and so must come last. Every law is checked by Law::parse. Throws
/// InputError naming --law.
std::vector<std::string> parse_law_list(const std::string& text);

/// Checks the axes of a grid before any work: each non-empty, d in 1..64, n in 1..2000, m odd in 1..kMaxPower, every
/// law; then calls `cell` (if given) on the Setting of every (d, n, m, law) in grid order. Throws InputError naming
/// the flag, or, for an InputError thrown by `cell` (or by Setting), "grid point d = .., n = .., m = .., law = ..: "
/// followed by its message.
void validate_grid_cells(const std::vector<int>& d_values, const std::vector<int>& n_values,
                         const std::vector<int>& m_values, const std::vector<std::string>& laws,
                         const std::function<void(const Setting&)>& cell);

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

  /// Checks every field and every cell of the grid before any row is computed or any file written (verify_grid and
  /// run_verify call it first): d in 1..64, n in 1..2000, m odd in 1..kMaxPower, every law, the p grid, starts,
  /// jobs, max_evals ≥ 1, the factors, stop_after ≥ 0; then each (d, n, m, law) cell as optimize_weights and the
  /// bounds would see it (Setting, OptimizeOptions::validate, the structured starts, closed_form_bounds at every
  /// p); and cert_dir, when given, a folder that exists or can be created. Throws InputError naming the flag and,
  /// for a cell, its values.
  void validate() const;
  // Job arrays (--shard K/N): this process computes only the cells whose grid index i has i mod shard_count ==
  // shard_index, into a part file that merge_verify_parts joins. shard_count = 1: the whole grid.
  int shard_index = 0;
  int shard_count = 1;
};

/// One check of one grid point. status: "pass", "fail", "skip", or for an upper bound "undecided" (the certified
/// enclosures overlap; the row still passes, the detail says so); `ratio` is the tested quotient (gain/bound for
/// upper bounds, gain/(c_μ·F*_n·p) for the very sparse check, F*_n the upper end of fstar_n_bracket, gain/best construction); `detail` says why.
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
  // The status of first_order_limit in this setting at this p, as `bounds` prints it (known_bounds: "refuted" where
  // a certificate is known, then its citation names the certificate's p and family).
  std::string first_order_limit_status, first_order_limit_citation;
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
  bool worker = false;    // an MPI worker rank (mpirun): it computed cells for rank 0 and has nothing to report
};

/// The grid of a config in its fixed order (d, n, m, law, p; p fastest), all cells (whatever the shard). Calls
/// cfg.validate() first (InputError naming the flag, also for a bad --shard).
struct VerifyPoint {
  int index, d, n, m;
  std::string law;
  GridP p;
};
std::vector<VerifyPoint> verify_grid(const VerifyConfig& cfg);

/// Runs optimize_weights (cfg.starts starts, seed cfg.seed, MPFR-50 polish) at one point and applies the checks of
/// issue 3: (1) no proved upper bound (status proved-in-paper/proved-here, side upper or exact) is exceeded, decided
/// in certified arithmetic: the polished W rounded to kCheckDigits decimals (exact rationals), its gain by
/// certified_gain (exact, or MPFI beyond kExactGainBudget), each bound by certified_upper_bounds, compared by
/// certified_compare; a violation writes that rational W to `cert_dir` as a certificate (its certified gain in a
/// comment) and fails; each upper check's detail names the arithmetic that decided it; (2) if p ≤ d^{−m}/cfg.sparse_factor (else "skip"): for n ≥ C(d+2m−1, 2m) (docs/theory.md Theorem 5.5(c): a
/// weighted projective 2m-design fits) gain/(c_μ·F*(d,m)·p) ≥ 0.99; below it, with [lower, upper] =
/// fstar_n_bracket(d, m, n), gain/(c_μ·lower·p) ≥ 0.99 and the certified gain ≤ Theorem 5.5(a) with F*_n ≤ upper,
/// p·[(1−p)^{n−1}·c_μ·upper + (1 − (1−p)^{n−1})·μ₂·min(n, C(d+m−1, m))] (exact, certified_compare; "undecided" when
/// the enclosures overlap); the ratio is gain/(c_μ·upper·p); (3) gain ≥ (1 − 1e-9)·the
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
///
/// Under `mpirun -np N` (a build with MPI; core/ mpi_farm) rank 0 does all of the above and hands the cells to
/// ranks 1..N-1 dynamically, the most expensive (d·n²·m) first; each worker computes verify_point and sends the row
/// back; rank 0 writes the rows in grid order, so the file is byte-identical to a one-process run, and a run killed
/// midway resumes with --resume like any other. On a worker rank it returns a summary with `worker` set and nothing
/// else; cfg.jobs is ignored under MPI (one cell per worker rank at a time).
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
  int d = 10, n = 6000, m = 3;  // d ≥ 2 (the sweep is drawn in log_d)
  std::string law = "gaussian";
  double p_min_factor = 0.01;  // p runs from d^{−m}·p_min_factor to 1
  int points = 30;             // log-spaced, ≥ 2
  std::string out_dir = "out/sweep";
  std::uint64_t seed = 1;      // of the structured and random starts (gain_starts) and of with_train
  int max_evals = 250;         // L-BFGS evaluations per start and point
  int structured_starts = 3;   // at each point, also run the best this many structured starts (by start gain)...
  int random_starts = 1;       // ... and this many seeded random starts (gain_starts' random ones, same seed)
  int check_points = 3;        // self-check: optimize_weights at this many points (first, middle, last; 0: none)
  int check_starts = 32;       // starts of each self-check optimize_weights (its default)
  bool with_train = false;     // also run Adam from a small random W at every point (second series)
  int train_steps = 300;       // Adam steps per point with with_train
  bool resume = false;         // continue the checkpoint out_dir/sweep.checkpoint.json
  bool force = false;          // overwrite an earlier sweep in out_dir (without it, one is refused)
  int stop_after = 0;          // compute at most this many new points, then stop (0: all); resume later

  /// Checks every field before anything is written (run_sweep calls it first, before it creates out_dir): sizes,
  /// power and law (Setting), points in 2..1000, p_min_factor finite and > 0 with d^−m·p_min_factor < 1,
  /// max_evals ≥ 1, train_steps ≥ 1 with with_train, out_dir a folder that exists or can be created, and the memory
  /// of the sweep (sweep_memory_bytes). Throws InputError naming the flag.
  void validate() const;
};

/// Bytes run_sweep needs (an estimate, right within a factor of about 2): the candidate starts with their power
/// sums (about log2(n/d) + 3 of d·n + n·(m+1) doubles each), NLopt's L-BFGS history (about 25·d·n doubles), the
/// engine in double with the gradient, geometry()'s n×n Gram matrix; with_train adds W, its gradient and two Adam
/// moments.
double sweep_memory_bytes(const SweepConfig& cfg);

/// One point of a sweep. Gains are per the model (not divided by p).
struct SweepPoint {
  std::string p;            // defining decimal (12 digits)
  double p_value = 0;
  double gain = 0;          // best gain found (double; exact engine)
  double log_d_p = 0, log_d_gain = 0;
  double slope = 0;         // local slope d log gain / d log p (central differences; one-sided at the ends)
  double first_order_limit = 0;   // c_μ·F*_n(d,m)·p, F*_n the upper end of fstar_n_bracket
  double tensor_rank_upper = 0;   // p·μ₂·min(n, C(d+m−1,m)), proved
  int represented = 0;
  int evals = 0;            // gain evaluations at this point, all starts together
  std::string start;        // the start whose end point won: "warm", a structured start's kind, or "random"
  double train_gain = 0;    // with_train only (0 otherwise)
  double optimize_gain = 0; // self-check points only: optimize_weights' gain in double (0 elsewhere)
  double seconds = 0;       // wall time of this point (not written to sweep.csv, which is deterministic)
};

struct SweepResult {
  std::vector<SweepPoint> points;
  std::string csv_path;
  double seconds = 0;        // wall time of this run (resumed points cost nothing)
  int resumed = 0;           // points taken from the checkpoint
  bool complete = false;     // false when stop_after ended the run early
  /// Self-check points where optimize_weights beat the sweep by more than 1e-6 relative (indices into points).
  std::vector<int> check_failures;
};

/// Sweeps p log-spaced from d^{−m}·p_min_factor to 1 (smallest first). At each point it runs multistart_gain
/// (search/: L-BFGS on the exact gain/p, double, analytic gradient, at most cfg.max_evals evaluations per start,
/// nonzero columns only) from the previous point's optimum at its optimal scale ("warm") and from fresh starts of
/// gain_starts (optimize_weights' list, seed cfg.seed, each at its optimal closed-form scale): the
/// cfg.structured_starts structured ones with the highest start gain and cfg.random_starts random ones, at every
/// point. The best end point wins. (A warm start alone never leaves the unsuperposed saddle: its zero columns have
/// zero gradient.) Cost: about 1 + structured_starts + random_starts runs per point. Self-check: at
/// cfg.check_points points (first, middle, last, ...) it also runs optimize_weights (cfg.check_starts starts, its
/// default evaluations, no polish) and records its gain; a point where that beats the sweep by more than 1e-6
/// relative is listed in check_failures.
/// Files: out_dir/sweep.csv (one row per point, no timings: deterministic) and the checkpoint
/// out_dir/sweep.checkpoint.json (program version, config, every point with a CRC-32, the last W), both rewritten
/// atomically after every point; stale sweep.svg/png from an earlier run are removed first. With cfg.resume the
/// points of the checkpoint are kept and the sweep continues from the last one: the finished sweep.csv is
/// byte-identical to an uninterrupted run's. `progress(done, total, eta_seconds)` after every point.
/// Throws InputError, before any work or file is written, on bad sizes (d < 2: flag --d), law, factor (the first p
/// must be < 1), points, starts or evals; when out_dir holds an earlier sweep and neither resume nor force is set
/// (flag --out); and with resume when the checkpoint is missing, damaged, edited (a CRC-32 fails), or was written by
/// another configuration or program version (flag --resume).
/// Calls cfg.validate() first, before it creates out_dir, so bad input leaves no folder behind.
SweepResult run_sweep(const SweepConfig& cfg, const std::function<void(int, int, double)>& progress = {});

/// Draws out_dir/sweep.svg and out_dir/sweep.png with gnuplot: top, log_d(gain) against log_d(p) with the lines of
/// slope 1 through c_μ·F*_n·p (fstar_n_bracket's upper end), of slope 1/m anchored at the data at p = d^{−m}, the proved tensor_rank_upper, and
/// the regime boundaries d^{−m}, d^{1−m}; bottom, the local slope. Returns the paths {svg, png}. Throws
/// std::runtime_error if gnuplot is missing or fails (the CSV is still there).
std::vector<std::string> plot_sweep(const SweepResult& result, const SweepConfig& cfg);

// ---------------------------------------------------------------------------------------------------------
// superpose check: a bound of the user's, checked with certified verdicts (issue 8, item 5; verify/check.cpp)
// ---------------------------------------------------------------------------------------------------------

/// The names a bound expression may use, as listed in every error message about one.
inline constexpr const char* kBoundExpressionNames =
    "p, n, d, m, c_mu, fstar (F*(d,m)), mu(k), binomial(a,b), min(a,b), max(a,b), sqrt(x), exp(x), log(x), numbers "
    "(decimals are read exactly), + - * / ^ and parentheses";

/// A bound on sup_W L̃ written by the user as an expression in p, n, d, m, c_mu = μ_{m+1}²/μ_{2m}, fstar = F*(d,m),
/// mu(k) = μ_k, binomial(a,b), min, max, sqrt, exp, log, ^ (parsed by GiNaC; decimals such as 0.5 or 1e-3 are
/// read as the exact rationals they denote before GiNaC sees them).
class BoundExpression {
 public:
  /// Parses `text`. Throws InputError naming --bound, in one line that lists kBoundExpressionNames, for an unknown
  /// name (symbol or function), a function used without arguments, an unexpected character, or bad syntax
  /// (including a wrong number of arguments). Nothing is evaluated here.
  static BoundExpression parse(const std::string& text);
  /// The value in the setting at p, certified: exact while every step stays rational (+ − × ÷, integer powers,
  /// mu, binomial, min, max, exact roots of rationals), otherwise an MPFI enclosure (60-digit endpoints, outward
  /// rounding) from walking GiNaC's expression tree: exp, log, sqrt and fractional powers are evaluated on
  /// intervals, so the result provably contains the exact value. Throws InputError naming --bound and p when the
  /// value is undefined (division by 0, log or fractional power of a number ≤ 0 or of an interval reaching 0),
  /// mu or binomial get arguments that are not nonnegative integers (mu(k) with k ≤ 400, binomial(a,b) with
  /// a ≤ 10^6), an integer power exceeds 10^6, or the enclosure is not finite.
  CertifiedReal at(const Setting& s, const Rational& p) const;
  const std::string& text() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

struct CheckConfig {
  std::string bound;                  // the expression (BoundExpression)
  BoundSide side = BoundSide::upper;  // upper or lower (the CLI's --side)
  // The grid (cells d, n, m, law nested in that order, then p): the grammar of verify (parse_int_list,
  // parse_law_list, parse_p_grid).
  std::vector<int> d_values{2}, n_values{4}, m_values{3};
  std::vector<std::string> laws{"gaussian"};
  std::string p_spec = "1e-3";
  int starts = 8;                     // side upper: optimize_weights starts per point
  std::uint64_t seed = 1;
  int max_evals = 20000;              // NLopt evaluations per start
  std::string cert_dir = ".";         // side upper: folder (must exist) for the certificates of refutations
  std::string out_jsonl;              // JSON-lines checkpoint ("" = none), as verify's --out
  bool resume = false;                // keep the rows already in out_jsonl and compute only the missing points
  int stop_after = 0;                 // compute at most this many new points, then stop (0 = all)
};

/// The verdict at one grid point. All values are gains per the model (not divided by p); every comparison is
/// certified.
struct CheckRow {
  int index = 0;          // position in the grid (d, n, m, law, p nested, p fastest)
  int d = 0, n = 0, m = 0;
  std::string law;        // Law::name()
  std::string p;          // the defining decimal (parse_p_grid)
  CertifiedReal bound;    // the expression at p
  std::string verdict;    // upper: "refuted", "not-beaten", "undecided"; lower: "refuted", "consistent", "undecided"
  std::string basis;      // "exact rationals" or "interval arithmetic (MPFI, 60-digit endpoints)"
  // Side upper: the best W found (optimize_weights, polished in MPFR-50) rounded to kCheckDigits significant
  // decimals; its certified gain decides the verdict.
  CertifiedReal gain;
  std::string optimum_gain;         // MPFR-50 gain of the polished W before rounding, 20 digits (informative)
  std::optional<DecimalMatrix> W;   // the rounded W (d×n)
  std::string certificate;          // path of the certificate file ("" unless refuted)
  // Side upper: the proved upper bounds (certified_upper_bounds) the rounded W beats, each a certified
  // counterexample to a bound printed as proved (certify_upper_verdicts); empty in a correct program.
  std::vector<UpperVerdict> violations;
  // Side lower: the smallest proved upper bound (certified_upper_bounds) and the best certified construction
  // (unsuperposed in closed form; the structured starts at their best scale, rounded, certified_gain).
  std::string upper_name, construction_name;
  CertifiedReal upper, construction;
  bool established = false;  // the expression is ≤ the construction's certified gain: it holds at this p
};

/// One grid point of a check, validated: its setting, p, the expression's value there and (side upper) the path of
/// its certificate, cert_dir/check_d.._n.._m.._<law>_p<p>.csv.
struct CheckPoint {
  int index;
  Setting setting;
  GridP p;
  CertifiedReal value;
  std::string cert_path;
};

/// The parsed, validated inputs of a check (check_inputs).
struct CheckPlan {
  BoundExpression expr;
  std::vector<CheckPoint> points;  // grid order
};

/// Validates everything before any work or file and evaluates the expression at every point (cheap). Throws
/// InputError for a side other than upper/lower, --starts < 1, --max-evals < 1, --stop-after < 0, --resume without
/// --out, an --out that is a directory or special file, a bad expression (BoundExpression, also its value at any
/// point), a bad grid (validate_grid_cells: axes, then each cell as optimize_weights sees it, named
/// "grid point d = .., n = .., m = .., law = ..: ..."), a bad p grid (--p), a missing --cert-dir folder or a
/// certificate path that is a special file.
CheckPlan check_inputs(const CheckConfig& cfg);

/// What run_check delivered: every row in grid order (resumed rows first), and how many came from the checkpoint.
struct CheckResult {
  std::vector<CheckRow> rows;
  int total = 0;          // points of the grid
  int resumed = 0, computed = 0;
  bool complete = false;  // false when stop_after ended the run early
};

/// Checks the expression at every point of the grid. Side upper: optimize_weights (cfg.starts starts: the
/// structured starts, then seeded random ones; MPFR-50 polish) maximises the gain; the best W is rounded to
/// kCheckDigits decimals and its certified_gain compared with the expression's certified value: "refuted" (the gain
/// is greater; the W is written to the point's cert_path with its gain and the bound as comments), "not-beaten" (less
/// or equal) or "undecided" (the enclosures overlap); the W is also certified against every proved upper bound
/// (violations). Side lower: the expression is compared with every proved upper bound (certified_upper_bounds):
/// "refuted" if it exceeds one, "undecided" if it cannot be separated from one, else "consistent"; and with the best
/// certified construction. Rows are delivered to `on_row` in grid order; `progress(done, total)` counts optimizer
/// starts (upper) or points (lower). Cost per point (upper): cfg.starts NLopt runs, one MPFR-50 polish and one
/// certified gain (docs/performance.md "check").
///
/// Checkpoint (cfg.out_jsonl): verify's format and guarantees (run_verify; verify/detail/checkpoint.hpp): line 1 a
/// header {"superpose_check": 1, "version", "precision", bound, side, d, n, m, law, p, starts, seed, max_evals,
/// "config_crc32"}; one row per point as it finishes, {index, d, n, m, law, p, verdict, and for side upper the
/// certified gain (40 digits), the MPFR-50 optimum and the rounded W}, with a last field "crc32"; appended and
/// fsync'ed under an exclusive flock. With cfg.resume the rows are checked (header, version, configuration,
/// checksums, grid places; a torn last line is dropped) and each is rebuilt from its W by the code that computed it,
/// which must reproduce the stored row; only the missing points are computed, so the output and the file are
/// byte-identical to an uninterrupted run's. Throws InputError (nothing computed) as run_verify does for a file
/// that exists without cfg.resume, is locked, damaged, edited or of another configuration or version.
CheckResult run_check(const CheckConfig& cfg, const std::function<void(const CheckRow&)>& on_row = {},
                      const std::function<void(int, int)>& progress = {});

/// Renders the rows of a check as "text" (a table with d, n, m, law, p per row, one loud REFUTED line per
/// refutation, and a closing verdict naming the best gain/bound and where), "csv" (one line per row, values to 20
/// digits) or "json" ({bound, side, grid: {d, n, m, law, p}, starts, seed, rows: [...], refutations: [{index, d, n,
/// m, law, p, certificate: {file, W, gain, bound} (upper) or bound and proved_upper (lower)}], violations: [{index,
/// d, n, m, law, p, bound, value, gain, arithmetic}], verdict, refuted, undecided}; certified values as {exact,
/// fraction (when exact: always in a refutation, elsewhere when at most 200 characters), interval: [lo, hi] (40
/// digits, outward), decimal}; W as decimal strings). Throws InputError for another format (--format).
std::string render_check(const CheckConfig& cfg, const std::vector<CheckRow>& rows, const std::string& format);

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

/// A witness given by its Gram matrix G = WᵀW instead of W (docs/theory.md §5.8): G = G_rational + G_sqrt·√radicand,
/// k×k with 1 ≤ k ≤ n, radicand a square-free integer in 2..10^6, or 1 with G_sqrt empty (G rational). F depends on W
/// only through WᵀW, F = (Σ_i G_ii^m)² / Σ_{i,j} G_ij^{2m}, and a symmetric positive semidefinite G of rank ≤ d is the
/// Gram matrix of some W ∈ R^{d×k}; so G proves F*_n(d, m) ≥ F(G) even when no such W has rational entries (the 6
/// diagonals of the icosahedron: off-diagonal entries ±1/√5).
struct GramWitness {
  long long radicand = 1;
  Matrix<Rational> G, G_sqrt;
};

/// Exact check of a Gram witness in Q(√radicand): shape, symmetry, positive semidefinite of rank ≤ d (symmetric
/// elimination on positive pivots, signs decided exactly), and F(G) rational. Returns "" and sets *ratio = F(G) when
/// every condition holds, else the first failed condition (one line). Cost: O(k³) operations in Q(√r).
std::string check_gram_witness(int d, int m, int n, const GramWitness& g, Rational* ratio = nullptr);

/// An explicit witness of F*_n(d, m) ≥ value: either W (d×n' exact rationals, n' ≤ n; padding with zero columns
/// leaves F unchanged) with ratio = F(W) exactly, or (d = 2) `lines` equally spaced lines with ratio =
/// equally_spaced_lines_ratio(lines, m), or a Gram matrix (GramWitness) with ratio = F(G). value ≤ ratio is the
/// stated lower bound (ratio itself when its denominator is below 10^12, else ratio rounded down to 30 decimals).
struct ExactLower {
  std::string kind;  // "weights", "equally_spaced_lines" or "gram"
  Matrix<Rational> W;
  int lines = 0;
  GramWitness gram;
  Rational ratio, value;
};

/// The exact lower bound for (d, m, n): the best of the unsuperposed W (F = min(d, n)), for d = 2 the equally
/// spaced lines k ≤ min(n, m + 1), `previous` (a witness for a smaller n, if given) and the search's optimum
/// (optimize_first_order with `search`, skipped when search.starts is 0): its columns rotated to a triangular frame
/// (modified Gram–Schmidt in MPFR-50) and each entry snapped to a rational with denominator ≤ 10^6 within 1e-25,
/// else rounded to 30 significant digits; F of the result is exact. Also the Gram matrix of the optimum, each entry
/// recognised as a rational (denominator ≤ 10^4) or ±(k/q)·√r, when check_gram_witness accepts it (GramWitness).
/// Throws InputError as optimize_first_order.
ExactLower exact_lower_bound(int d, int m, int n, const OptimizeOptions& search,
                             const ExactLower* previous = nullptr);

/// The search options of the first-order witness (optimize_first_order inside exact_lower_bound) shared by
/// `fstar-table` and fstar_n_bracket: `starts` starts, seed 1, L-BFGS with 20000 evaluations per start, the MPFR-50
/// Newton polish up to 60 parameters (d × used columns; it costs O(P³), minutes per cell at P = 120).
OptimizeOptions fstar_search_options(int starts);

/// Starts of the first-order search behind the lower end of fstar_n_bracket, and the largest d·n searched.
inline constexpr int kFstarBracketStarts = 2;
inline constexpr int kFstarBracketSearchParams = 256;

/// The certified bracket of F*_n(d, m) (FstarBracket, theory/theory.hpp) used wherever the toolkit speaks of the
/// very sparse limit c_μ·F*_n(d, m) (docs/theory.md Theorem 5.5(b)): lower ≤ F*_n(d, m) ≤ upper, exact rationals.
/// * n ≥ C(d+2m−1, 2m) (the design size; always for d = 1): fstar_n_closed_form_bracket, lower = upper = F*(d, m),
///   lower_kind "design". No computation.
/// * n below it: upper = lp_upper_bound(d, m, n).value (exactly verified LP certificate, Theorem 5.11; one GLPK
///   solve and O(K) exact Sturm checks, milliseconds for d ≤ 10, m ≤ 7); lower = exact_lower_bound(d, m, n,
///   fstar_search_options(kFstarBracketStarts)) while d·n ≤ kFstarBracketSearchParams (else no search: the closed
///   forms alone), the same witness search as `fstar-table` with 2 starts instead of 8:
///   the best of the unsuperposed W, for d = 2 the equally spaced lines k ≤ min(n, m + 1) (Lemma 5.12), and the
///   search's optimum rounded to rationals (and its Gram matrix, Lemma 5.13) with F evaluated exactly; lower_kind
///   "weights", "equally_spaced_lines" or "gram". Cost per cell: 1.3–6 s wall at d = 3, 4, n ≤ 20, m ≤ 5 under a
///   load of 11 on 2 cores (docs/performance.md). Proved for d = 2 (every n) and wherever a witness meets the LP.
/// Results are cached per (d, m, n) for the life of the process (thread-safe; two threads asking for the same new
/// cell may both compute it, with the same result). Throws InputError for d < 1, n < 1 or a bad m (check_power).
FstarBracket fstar_n_bracket(int d, int m, int n);

/// A certificate of one cell: F*_n(d, m) ∈ [lower.value, upper.value].
struct FstarCertificate {
  int d = 0, m = 0, n = 0;
  std::vector<Rational> f;  // upper: Gegenbauer coefficients
  Rational upper;           // claimed = lp_bound_value(n, f)
  ExactLower lower;
  bool proved() const { return lower.value == upper; }
};

/// The certificate as JSON (format "superpose-fstar-certificate-2"): d, m, n, "status" (proved/bracketed),
/// "upper": {"f": [rational strings f_0..f_K], "value"}, "lower": {"kind", "W": [[rows]] or "lines" or (kind "gram")
/// "sqrt_of": radicand, "G": [[rows]] and, when sqrt_of ≠ 1, "G_sqrt": [[rows]]; "ratio", "value"}; every number a
/// rational string "p/q" or "p". Version 1 is version 2 without the kind "gram"; both are read.
std::string certificate_to_json(const FstarCertificate& c);
/// Parses a certificate written by certificate_to_json. Throws InputError naming `source` for unreadable JSON, a
/// missing or mistyped field, a non-rational string, sizes out of range (d 2..1000, m odd 1..21, n 1..10^6, at most
/// 201 coefficients, W with d rows and 1..n columns).
FstarCertificate parse_certificate(const std::string& text, const std::string& source);
/// Re-verifies a certificate from scratch in exact arithmetic: check_lp_polynomial, upper == lp_bound_value,
/// lower.ratio == F(W) (or the closed form of the lines, d = 2, or check_gram_witness and F(G)), lower.value ≤
/// lower.ratio, lower.value ≤ upper,
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
  OptimizeOptions search;          // the command's default: fstar_search_options(8)
  std::string cert_dir;            // "" = no files; else cert_dir/fstar_d{d}_m{m}_n{n}.json
};

/// Parses an integer list "a", "a,b,c", "a..b" or a mix ("2..4,6"), each value in [lo, hi]. Throws InputError
/// naming `flag` and the accepted syntax.
std::vector<int> parse_int_list(const std::string& spec, const std::string& flag, int lo, int hi);

/// Computes every cell (d, m, n nested, n fastest). The search is skipped (the previous n's witness is reused, padded
/// with a zero column) once the lower bound of a smaller n equals F*(d, m) to 1e-20 relative. With cert_dir, the
/// first n of each (d, m) starts from the lower bound of the largest smaller n whose certificate is already in
/// cert_dir (re-verified exactly first; F*_n is nondecreasing in n), so a table can be extended. Certificates are
/// written atomically to cert_dir and re-read and re-verified by check_certificate before the cell is reported.
/// `on_cell` after each cell. Throws InputError for bad values (flags --d, --m, --n) before any work, and for a
/// certificate in cert_dir that fails its check.
void run_fstar_table(const FstarTableConfig& cfg, const std::function<void(const FstarCell&)>& on_cell);

/// Renders cells as "md", "csv", "json" or "tex": d, m, n, lower and upper as fractions (md: fractions longer than
/// 60 characters by their decimal only) and 20-digit decimals, the relative gap (upper − lower)/upper to 3 digits
/// (0 exactly when proved; csv and json also lower/upper to 20 digits), status, the method and the certificate
/// path; json also the seconds of each stage. Throws InputError for another format (--format).
std::string render_fstar_table(const std::vector<FstarCell>& cells, const std::string& format);

// ---------------------------------------------------------------------------------------------------------
// The ReLU model of Elhage et al. (2022): the notebook's sweep and its report (verify/relu_report.cpp)
// ---------------------------------------------------------------------------------------------------------

namespace relu {

/// A set of instances to train: one Problem per feature probability p (every feature of an instance has that p),
/// importances I_i = importance_ratio^i (i = 0..n−1, exact), as in Elhage's notebook.
struct TrainSweep {
  int d = 2, n = 5, k = 1;
  bool tied = true;
  std::string law = "uniform01";
  std::vector<GridP> p;              // one instance per entry, in this order
  Rational importance_ratio = 1;
  /// The instances. Throws InputError as Problem::validate and ValueLaw::parse do (--law, --d, --n, ...).
  std::vector<Problem> problems() const;
};

/// The presets of Elhage's notebook (toy_models.ipynb): "elhage-n5": n = 5, d = 2, I_i = 0.9^i, 10 instances;
/// "elhage-n200": n = 200, d = 20, I_i = 1, 20 instances. Both sweep p = 20^{−t}, t = 0, 1/(N−1), ..., 1 (from 1
/// down to 1/20, Elhage's S = 1 − p), as the log-spaced grid "1/20:1:N" of parse_p_grid (12 significant digits,
/// ends exact) in the notebook's order, densest first. Throws InputError (--preset) naming the accepted names.
TrainSweep elhage_preset(std::string_view name);
/// "elhage-n5, elhage-n200".
std::string elhage_preset_names();

/// One trained instance with its metrics.
struct TrainRow {
  GridP p;
  Problem problem;
  TrainedInstance result;
  FeatureGeometry geometry;  // feature_geometry(result.params.W, tolerance)
};

/// The rows of `superpose relu train` as "text" (one line per instance: p, 1/(1−S) = 1/p, loss ± SE, loss/n,
/// d/‖W‖_F², represented features, groups by shape, D_i to 3 digits), "csv" (one line per instance: the same with
/// loss and SE to 17 digits, shape fractions, D_i separated by ';') or "json" (everything, W and b included).
/// The loss (and loss/n) is shown to the decimal place of the second significant digit of its standard error.
/// Throws InputError (--format) for another format.
std::string render_train(const std::vector<TrainRow>& rows, const std::string& format);

/// Elhage's metrics of one W (d×n) as "text" (a line per feature: ‖W_i‖, D_i, superposition, shape, group; then
/// the groups and the fractions), "csv" (a line per feature) or "json". Throws InputError (--format).
std::string render_metrics(const Matrix<double>& W, const FeatureGeometry& g, const std::string& format);

/// Writes into the folder `dir` (created if missing; check it first with check_output_folder): relu_train.csv
/// (render_train's csv), relu_train_features.csv (instance, p, 1/p, feature, D_i, shape), W_<instance>.csv and
/// b_<instance>.csv (17 digits; W_dec_<instance>.csv when untied), all atomically; with `plot`, the figure of
/// Elhage's feature-dimensionality plot: every D_i and d/‖W‖_F² against 1/(1 − S) = 1/p (log scale) with the
/// shapes' values 1, 3/4, 2/3, 1/2, 2/5, 3/8 as lines (relu_train.svg and relu_train.png by gnuplot; ToolError
/// without gnuplot). Returns the paths written, figures last.
std::vector<std::string> write_train_outputs(const std::vector<TrainRow>& rows, const std::string& dir, bool plot);

}  // namespace relu

}  // namespace superpose

namespace superpose::relu {

/// `superpose relu compare`: the optima of both models at every p of `ps` (points[k] at ps[k]) and the power
/// model's very sparse predictions. Formats: "text" (a block per p: a line per model with loss, loss/zero_loss,
/// gain/p, effective features, represented features, dimensions per feature d·max_i‖W_i‖²/‖W‖_F² (Elhage's d/‖W‖_F²
/// with the longest feature at length 1, so both models' scales compare), Σ_i D_i, the shapes, max |cos| and the
/// Gram distance to the ReLU optimum; then the predictions against the ReLU optimum at the smallest p), "md" (the
/// same as two tables), "csv" (a line per (p, model): the points only) and "json" (everything, W and b included).
/// Every decimal is cut to the digits its source vouches for (loss_digits; D_i and cosines in double to 3 digits).
/// Throws InputError (--format) for another format.
std::string render_compare(const CompareOptions& opt, const std::vector<GridP>& ps,
                           const std::vector<ComparePoint>& points,
                           const std::vector<VerySparsePrediction>& predictions, const std::string& format);
/// Writes compare.csv (render_compare's csv) into `dir` (created if missing; check it first with
/// check_output_folder) and, with `plot`, compare.png by gnuplot: loss/zero_loss against p (log scale), one curve
/// per model, the power model's very sparse limits as dashed lines (ToolError without gnuplot). Returns the paths.
std::vector<std::string> write_compare_outputs(const CompareOptions& opt, const std::vector<GridP>& ps,
                                               const std::vector<ComparePoint>& points,
                                               const std::vector<VerySparsePrediction>& predictions,
                                               const std::string& dir, bool plot);

}  // namespace superpose::relu
