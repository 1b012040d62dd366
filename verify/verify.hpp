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
  std::string name;       // "unsuperposed", "random_tight_frame", "projective_design"
  T gain;                 // max over the overall scale of L̃(sW)
  int features = 0;       // number of nonzero columns used
  std::string precision;  // "50 digits", "double", ...
  std::string detail;     // e.g. "k=640, seed=1"
};

/// A family of constructions whose p-independent power sums are precomputed, so that many p are cheap.
/// `random_tight_frame` is tried for k ∈ {d, 2d, 4d, ...} ∪ {n} (k ≥ d) and the best k is kept at each p.
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
};

/// Writes out_dir/report.md and one CSV per table (bounds at 50 digits; constructions in double at n = 6000,
/// each column's precision stated). `progress(done, total, what)` is called after each table. Files are written
/// atomically. Returns the path of report.md. Throws InputError if out_dir cannot be written.
std::string write_report(const ReportConfig& cfg,
                         const std::function<void(int, int, const std::string&)>& progress = {});

}  // namespace superpose
