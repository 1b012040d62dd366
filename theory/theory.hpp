// superpose/theory: input laws, the exact loss of the tied power autoencoder, and every known bound on its
// optimal gain.
//
// The model (Basu Roy Chowdhury & Weiner, "Effects of sparsity and superposition on loss in simple
// autoencoders", arXiv 2606.18538, Section 2; docs/theory.md §1)
// ---------------------------------------------------------------------------------------------------------
//   n features, hidden width d, weights W ∈ R^{d×n}, A = WᵀW (n×n, PSD, rank ≤ d).
//   Decoder x̂ = φ(Ax) coordinatewise, φ(t) = t^m, m odd ≥ 1. Tied weights, no bias.
//   Input x_i = ξ_i·b_i, b_i ~ Bernoulli(p) iid, ξ_i iid from a symmetric law μ with moments μ_k = E ξ^k.
//   C = E⟨x, φ(Ax)⟩,  D = E‖φ(Ax)‖²,  gain L̃(W) = 2C − D (paper Eq. 7),
//   zero_loss = p·n·μ₂,  loss(W) = E‖φ(Ax) − x‖² = zero_loss − gain (paper Eq. 6).
// (Elhage et al. 2022 call the hidden width m; here m is the activation power and d the hidden width.)
//
// Exact evaluation (docs/theory.md §2; derived here, not in the paper)
// -------------------------------------------------------------------
//   With S_i = (Ax)_i = A_ii·x_i + Z_i and Z_i = Σ_{j≠i} A_ij x_j independent of x_i, C_i and D_i are sums of
//   nonnegative terms in the even moments of Z_i, which come from the cumulants κ_r(Z_i) = κ_r(x)·Σ_{j≠i} A_ij^r
//   (fast) or, where that recursion is ill-conditioned, from a convolution of the moments of the terms A_ij·x_j.
//   See the engine section below for the algorithm, its cost, threads and precision.
// Scalar types: every template below is instantiated for double, Real50, Real100 and (where no root is taken)
// Rational, one translation unit per type (theory/instantiate_*.cpp).
#pragma once

#include "numerics/numerics.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <string_view>
#include <vector>

namespace superpose {

// ---------------------------------------------------------------------------------------------------------
// Input laws μ
// ---------------------------------------------------------------------------------------------------------

/// A symmetric, mean-zero law μ of the nonzero part ξ of each input coordinate, with exact rational moments.
///
/// Specs accepted by `Law::parse` (all moments μ_k = E ξ^k are exact rationals; odd moments are 0):
///   "rademacher"  ξ = ±1:                      μ_{2k} = 1
///   "gaussian"    ξ ~ N(0,1):                  μ_{2k} = (2k−1)!!
///   "uniform"     ξ ~ U[−1,1]:                 μ_{2k} = 1/(2k+1)
///   "laplace"     density e^{−|ξ|}/2:          μ_{2k} = (2k)!
///   "discrete:v1:w1,v2:w2,..."  atoms v_i with weights w_i > 0 (numbers as in parse_rational). If every v_i ≥ 0
///       the law is symmetrised: mass w_i/2 at ±v_i. If some v_i < 0 the list is taken as it stands and must be
///       symmetric (the weight at v equals the weight at −v). Weights are normalised to sum 1.
/// Strong log-concavity (Theorem 2.2, part 2 of the paper): gaussian only among these.
class Law {
 public:
  /// The family of the law; compare kinds, never names.
  enum class Kind { rademacher, gaussian, uniform, laplace, discrete };

  /// Parses a spec. Throws InputError for an unknown name, an empty or asymmetric discrete list, a weight ≤ 0,
  /// a malformed number, or a degenerate law (μ₂ = 0).
  static Law parse(std::string_view spec);

  /// The canonical spec, e.g. "gaussian" or "discrete:1/2:1,2:3" (as given).
  const std::string& name() const { return name_; }

  /// μ_k = E ξ^k, exact, for k ≥ 0 (μ_0 = 1, odd k give 0).
  Rational moment(int k) const;

  /// c_μ(m) = μ_{m+1}²/μ_{2m}: the best gain per active feature of one isolated feature (docs/theory.md §4.1).
  Rational c_mu(int m) const;

  /// True for the standard Gaussian (the only strongly log-concave law among the named ones).
  Kind kind() const { return kind_; }

  bool strongly_log_concave() const { return kind_ == Kind::gaussian; }

  /// Atoms (value, probability) of a discrete or Rademacher law after symmetrisation; empty for continuous laws.
  const std::vector<std::pair<Rational, Rational>>& atoms() const { return atoms_; }

 private:
  Kind kind_ = Kind::rademacher;
  std::string name_;
  std::vector<std::pair<Rational, Rational>> atoms_;
};

/// The largest activation power the engine accepts. Validation, every command's --help and docs/theory.md use
/// this one constant. (The engine itself has no intrinsic limit; 21 is where the exact-rational tests stop and
/// where the binomial coefficients C(2m, r) are still exact in double.)
inline constexpr int kMaxPower = 21;

/// Validates the activation power. Throws InputError unless m is odd and 1 ≤ m ≤ kMaxPower; an even m is refused
/// because every term of E⟨x,(Ax)^m⟩ then has odd degree in x, so C = 0 and the gain is −D ≤ 0 for every W.
void check_power(int m);
/// Validates a feature probability: throws InputError unless 0 < p ≤ 1.
template <class T>
void check_probability(const T& p);
/// Validates sizes: throws InputError unless d ≥ 1 and n ≥ 1.
void check_sizes(int d, int n);

/// Throws PrecisionError unless the law's even moments μ_2..μ_2m and p are normal doubles (neither overflow nor
/// underflow): the optimiser, sweep and train work in double, so such a law or p cannot be searched (`loss`
/// evaluates it in a wider type instead). Naming --law or --p. Called by the search entry points before any work.
void check_double_range(const Law& law, int m, const Rational& p);

/// Bytes that evaluate() needs for a d×n W with power m in the scalar type of `digits` (16, 50, 100, 0 = exact;
/// scalar_bytes), from the memory statement of the engine below: W and the gradient (d·n each), the power sums
/// (n·(m+1)), the staging of pass 1 (n²·m/(2·kEngineTile)), the per-row stage in the wide type (n·(m+4)) and the
/// staging of the gradient pass (at most 256 MB, or column blocks of n·kEngineTile per thread). A double so that
/// products of sizes cannot overflow; an estimate (exact rationals grow beyond it as the arithmetic proceeds).
double evaluation_memory_bytes(double d, double n, int m, int digits, bool with_gradient);

/// Throws InputError("<flags>: <what> needs X GB of memory; this machine has Y GB ...; <advice>", core/
/// check_memory) when `need_bytes` exceeds what this process may use. `what` describes the run, e.g.
/// "bounds at d = 10, n = 100000000 (constructions in double)"; the message adds d*n and the figure.
void check_size_memory(double need_bytes, double d, double n, std::string_view what, std::string_view advice,
                       std::string_view flags = "--d, --n");

/// Thrown by the engine when a result cannot be computed to its contract in the requested scalar type: values that
/// overflow or underflow double (W entries near 1e308, laws with atoms of 1e200 or 1e-400, p below 1e-300), or a
/// result with fewer correct digits than the type's contract. The message names the cause and the remedy (a wider
/// type: --digits 50, or --exact). An InputError, so the CLI exits with code 2 when it does not recompute.
struct PrecisionError : InputError {
  using InputError::InputError;
};

// ---------------------------------------------------------------------------------------------------------
// Exact gain, loss and gradient: the one engine (theory/detail/engine_impl.hpp; docs/theory.md §2)
// ---------------------------------------------------------------------------------------------------------
//
// Algorithm. Row i of the model depends on W only through a_i = A_ii and the row of A. With S_i = a_i·x_i + Z_i
// and Z_i = Σ_{j≠i} A_ij x_j independent of x_i:
//   C_i = Σ_{t odd ≤ m} C(m,t)·a_i^t·E x^{t+1}·E Z_i^{m−t},   D_i = Σ_{l=0..m} C(2m,2l)·a_i^{2l}·E x^{2l}·E Z_i^{2m−2l}.
// Every term is ≥ 0, so C and D are sums of positive terms; only the gain 2C − D cancels.
// The even moments of Z_i come by one of two routes, chosen per row at run time:
//   * cumulant route (fast): κ_{2k}(Z_i) = κ_{2k}(x)·Q_{2k}(i), Q_{2k}(i) = Σ_{j≠i} A_ij^{2k}, then moments from
//     cumulants. O(m²) per row once the power sums are known. When κ(x) alternates in sign (large p, heavy
//     tails, large m) the recursion cancels; its condition number (the same recursion on |κ|) is computed
//     alongside, and a row whose condition exceeds kCumulantConditionLimit is redone by
//   * moment convolution (exact route): the moments of the independent terms A_ij·x_j, all ≥ 0, are convolved one
//     j at a time in the wide type. O(n·m²) per row; no cancellation.
// Cost: the power sums take O(n²(d+m)/2) (the upper triangle of A, in tiles of kEngineTile columns); the gradient
// ∂gain/∂W = W·(G + Gᵀ), G_ij = ∂(2C_i − D_i)/∂A_ij, takes a second pass over the upper triangle, O(n²(d/2 + d + m)).
// No n×n matrix is stored: memory O(n·m + n²(m + d)/(2·kEngineTile)) scalars of staging (the gradient pass falls
// back to column blocks, recomputing A whole, when its staging would exceed 256 MB), plus n scalars per row that
// took the convolution route when the gradient is wanted. Measured (docs/performance.md, d = 15, n = 6000, m = 3):
// gain 0.66×, gain + gradient 1.45× the time of forming A = WᵀW with one thread, 0.91× with two.
// Threads: rows and tiles are spread over `threads` threads (0: every core; 1 below about 10^6 multiply-adds),
// and every sum is taken in a fixed order, so results do not depend on the thread count.
// Precision: the p-dependent stage runs in long double for T = double, in T otherwise; `rel_error` estimates the
// relative error of C and D (the gain's absolute error is at most rel_error·(2C + D)).

/// Largest condition number of the cumulant recursion accepted before a row is recomputed by moment convolution.
inline constexpr double kCumulantConditionLimit = 8;
/// Tile width (columns of A per block) of the engine.
inline constexpr int kEngineTile = 128;

/// The p-independent part of the exact evaluation: for each feature i, a_i = A_ii and the off-diagonal power
/// sums Q_{2k}(i) = Σ_{j≠i} A_ij^{2k}, k = 1..m, of A = WᵀW; and W itself (for rows that take the convolution
/// route at some p). Shapes: diag n, off n×m (column k−1 holds Q_{2k}), W d×n.
template <class T>
struct RowPowerSums {
  int m = 0;
  Vector<T> diag;
  Matrix<T> off;
  Matrix<T> W;
};

/// Computes RowPowerSums of W (d×n) for power m with `threads` threads (0: all cores). Cost O(n²(d+m)/2).
/// Throws InputError on a bad m, an empty W or a non-finite entry.
template <class T>
RowPowerSums<T> row_power_sums(const Matrix<T>& W, int m, int threads = 0);

/// C = E⟨x, φ(Ax)⟩ and D = E‖φ(Ax)‖² (dimension: units of ξ², summed over features); gain = 2C − D.
/// `rel_error` estimates the relative error of C and of D (0 for Rational); `convolution_rows` counts the rows
/// that took the moment-convolution route.
template <class T>
struct GainTerms {
  T C;
  T D;
  double rel_error = 0;
  int convolution_rows = 0;
  T gain() const { return T(2) * C - D; }
};

/// C and D at feature probability p from precomputed power sums, in O(n·m²) (plus O(n·(d + n·m²)) for each
/// ill-conditioned row). Exact for T = Rational. `p` is not range-checked here (the gain is a polynomial in p;
/// see gain_polynomial). Throws PrecisionError when the result leaves the range of T.
template <class T>
GainTerms<T> gain_terms(const RowPowerSums<T>& sums, const Law& law, const T& p);

/// Everything about one W at one p. Shapes: grad is d×n (∂gain/∂W), empty unless requested.
template <class T>
struct Evaluation {
  T C, D;
  T gain;       // L̃(W) = 2C − D, paper Eq. (7)
  T zero_loss;  // p·n·μ₂, the loss of W = 0
  T loss;       // zero_loss − gain, paper Eq. (6)
  Matrix<T> grad;
  double rel_error = 0;      // estimated relative error of C and D; |gain error| ≤ rel_error·(2C + D)
  int convolution_rows = 0;  // rows computed by moment convolution (the cumulant recursion was ill-conditioned)
  /// Estimated number of correct significant digits of the gain (capped at the type's digits; 0 for Rational
  /// means exact: check is_exact_v).
  int gain_digits() const;
  /// Estimated number of correct significant digits of the loss (its absolute error is that of the gain,
  /// rel_error·(2C + D), plus half a unit in the last digit of T), at least 1 and capped at the type's digits; the
  /// gain's digits when the loss is 0; 0 for Rational (exact). `superpose loss` and `optimize` print the loss so.
  int loss_digits() const;
};

/// Exact gain, loss and (optionally) gradient ∂gain/∂W of W (d×n) for power m, law μ and probability p, computed
/// with `threads` threads (0: all cores; the result does not depend on it). Cost and memory: see above.
/// Throws InputError for even or out-of-range m, p ∉ (0,1], an empty W or non-finite entries; PrecisionError when
/// the values leave the range of T (e.g. double overflow) so that a wider type is needed.
template <class T>
Evaluation<T> evaluate(const Matrix<T>& W, int m, const Law& law, const T& p, bool with_gradient = false,
                       int threads = 0);

/// The precision ladder of `superpose loss` and of the Python module's evaluate(): double (digits 16), MPFR-50,
/// MPFR-100, then exact rationals (digits 0, always correct). An evaluation starting at `digits` is redone in the
/// next wider type while W leaves double's range (an entry above DBL_MAX or below DBL_MIN in magnitude, double
/// only), the engine throws PrecisionError, or fewer than min_gain_digits(digits) digits of the gain survive.
/// `note` says why each recomputation happened ("" if none); `digits` is the type of the result.
using AnyEvaluation = std::variant<Evaluation<double>, Evaluation<Real50>, Evaluation<Real100>, Evaluation<Rational>>;
struct LadderEvaluation {
  AnyEvaluation ev;
  int digits = 16;   // 16, 50, 100 or 0 (exact)
  std::string note;  // e.g. "double kept only 3 correct digits of the gain; recomputed in MPFR-50"
};
/// Fewest correct digits of the gain accepted before the ladder moves on: 8 for double, 30 for MPFR-50, 60 for
/// MPFR-100.
int min_gain_digits(int digits);
/// "double", "MPFR-50", "MPFR-100" or "exact rationals" for digits 16, 50, 100, 0.
std::string precision_name(int digits);
/// The rung loop of every precision ladder (evaluate_with_ladder here, relu::expected_loss_with_ladder):
/// calls attempt(digits) from rung `digits` (16, 50, 100, 0) upwards. attempt returns "" to accept its result or
/// the reason it falls short (e.g. "double kept only 3 correct digits of the gain"), or throws PrecisionError; while
/// `climb`, either moves to the next wider rung (exact rationals last). Without `climb` a PrecisionError propagates
/// and a shortfall is accepted. Returns the rung of the accepted result; `note` lists the reasons and ends with
/// "recomputed in <type>" ("" when the first rung was accepted).
int climb_precision_ladder(int digits, bool climb, const std::function<std::string(int digits)>& attempt,
                           std::string& note);
/// The first entry of W (rationals) outside the range of double (magnitude above DBL_MAX or nonzero below DBL_MIN),
/// as "W(i,j) = <decimal>" with `name` for W; "" if none.
std::string out_of_double_range(const Matrix<Rational>& W, std::string_view name = "W");
/// Evaluates W (d×n; exact rationals, or doubles taken at their exact binary value) at p from rung `digits` (16, 50,
/// 100 or 0) upwards; `climb` false stays at that rung (a PrecisionError then propagates). Throws InputError as
/// evaluate() does, and for digits outside {16, 50, 100, 0} (naming --digits).
template <class Source>
LadderEvaluation evaluate_with_ladder(const Matrix<Source>& W, int m, const Law& law, const Rational& p,
                                      bool with_gradient, int digits, bool climb = true, int threads = 0);

/// A certified enclosure of the exact C, D, gain and loss of the W as written (exact rationals: a W found in
/// floating point is first rounded to the decimals it was written with), at rational p. Every interval contains the
/// exact value (MPFI, outward rounding, 60-digit endpoints).
struct GainEnclosure {
  Interval C, D, gain, zero_loss, loss;
  int convolution_rows = 0;  // rows enclosed by moment convolution (every row for enclose_gain)
};

/// Encloses C, D and the gain of W (d×n, exact) for power m, law μ and probability p by the moment-convolution
/// route in interval arithmetic (every term ≥ 0, so C and D keep about 55 digits; the gain loses what 2C − D
/// cancels). Cost O(n²(d + m²)) interval operations on `threads` threads (0: all cores): about a second at d = 15,
/// n = 200 (docs/performance.md). Throws InputError for a bad m, p ∉ (0,1] or an empty W.
GainEnclosure enclose_gain(const Matrix<Rational>& W, int m, const Law& law, const Rational& p, int threads = 0);

/// The same enclosure in double-interval arithmetic (boost::numeric::interval<double>, every operation rounded
/// outward in hardware; theory/instantiate_double_interval.cpp, the only translation unit that sees the type, built
/// with -frounding-math): fast enough for the report's n = 6000, with about 12 digits instead of MPFI's 55.
/// An entry of W that is not a double is enclosed by its two neighbouring doubles, and p and the law's moments
/// likewise, so every interval contains the exact value for the W, p and law as written (a W found in double is
/// its own exact binary value). The engine runs as in evaluate(): the power sums Q_{2k}(i) of A = WᵀW once per W
/// (cost O(n²(d + m)/2) interval operations on `threads` threads, 0: all cores), then at each p the cumulant route
/// for every row, redone by moment convolution (O(n·(d + m²)) for that row) when the row's C_i or D_i comes out
/// wider than kFastRowWidth relative. Rounding: every task sets upward rounding for its own thread (fesetround)
/// and restores the caller's mode when it ends, whatever mode the caller had set; a task that finds the mode
/// changed under it throws std::logic_error rather than return an interval it cannot vouch for.
/// Build it once per W and call at() for each p (the power sums are cached). Throws InputError for a bad m, an
/// empty W or an entry (or p·μ_k) outside double's range (naming it; enclose_gain in MPFI has no such limit).
inline constexpr double kFastRowWidth = 1e-10;
class FastGainEncloser {
 public:
  FastGainEncloser(const Matrix<Rational>& W, int m, int threads = 0);
  FastGainEncloser(const Matrix<double>& W, int m, int threads = 0);
  ~FastGainEncloser();
  FastGainEncloser(FastGainEncloser&&) noexcept;
  FastGainEncloser& operator=(FastGainEncloser&&) noexcept;
  /// C, D, gain, zero_loss and loss at p ∈ (0,1] for `law` (intervals with double endpoints, held in MPFI).
  /// Throws InputError for p ∉ (0,1] or moments outside double's range. Thread-safe (const).
  GainEnclosure at(const Law& law, const Rational& p) const;
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
/// One-shot form: FastGainEncloser(W, m, threads).at(law, p).
GainEnclosure enclose_gain_fast(const Matrix<Rational>& W, int m, const Law& law, const Rational& p, int threads = 0);

/// The gain of W as an exact polynomial in p: coefficients g_1..g_m of L̃ = Σ_{k=1}^{m} g_k p^k (g_0 = 0).
/// Exact Newton interpolation of the engine at p = 1..m (the gain has degree ≤ m in p: each moment of x
/// contributes one factor p per distinct active index). Throws InputError on a bad m.
std::vector<Rational> gain_polynomial(const Matrix<Rational>& W, int m, const Law& law);

/// Gain of s·W at the best scale s ≥ 0: gain(sW) = 2λC − λ²D with λ = s^{2m}, so the maximum is C²/D at
/// λ = C/D when C > 0, else 0 at s = 0. Exact (no numerical 1-D search is needed for this bias-free model).
template <class T>
struct ScaledGain {
  T gain;   // max_s gain(sW)
  T scale;  // the maximising s (0 if C ≤ 0); for Rational this is not computed (roots) and set to 0
  T lambda; // s^{2m} = C/D
};
template <class T>
ScaledGain<T> best_scaled_gain(const GainTerms<T>& terms, int m);

/// First-order (very sparse) objective of paper Eq. (23) in the gain-ratio form of docs/theory.md §5:
/// F(W) = (Σ_i ‖W_i‖^{2m})² / Σ_{ij} ⟨W_i,W_j⟩^{2m} = (tr Ã)²/tr(Ã²), Ã = A^{⊙m}; F ≤ F*(d,m) (proved here).
/// W is d×n; F is invariant under W → c·QW (c > 0, Q orthogonal). If `grad` is not null it receives ∂F/∂W (d×n),
/// computed from G = ∂F/∂A = (2a/b)·m·diag(A_ii^{m−1}) − (a²/b²)·2m·A^{⊙(2m−1)}, a = tr Ã, b = tr Ã², as 2WG.
/// Returns 0 (and a zero gradient) for W = 0. Throws InputError on a bad m or non-finite W.
template <class T>
T first_order_ratio(const Matrix<T>& W, int m, Matrix<T>* grad = nullptr);

// ---------------------------------------------------------------------------------------------------------
// Bounds on sup_W L̃(W)
// ---------------------------------------------------------------------------------------------------------

/// Provenance of a bound, as in docs/theory.md §3 and the issue tracker:
///   proved_in_paper  a theorem of arXiv 2606.18538;       proved_here  proved in docs/theory.md;
///   conjecture       believed, not proved;                 unreviewed_claim  Swissa's follow-up note (2026);
///   construction     the exact gain of an explicit W (a true lower bound on sup gain);
///   order            an asymptotic order with unknown constants: a shape, never a guarantee;
///   refuted          false as an upper bound in this setting: Bound::certificate holds an exact counterexample.
enum class BoundStatus { proved_in_paper, proved_here, conjecture, unreviewed_claim, construction, order, refuted };
/// Which side of sup_W L̃ the value bounds: lower, upper, exact (both), or limit (the value is p times the proved
/// p → 0 limit of sup L̃/p and bounds neither side at finite p).
enum class BoundSide { lower, upper, exact, limit };

std::string_view to_string(BoundStatus s);  // "proved-in-paper", "proved-here", ...
std::string_view to_string(BoundSide s);    // "lower", "upper", "exact", "limit"

/// An exact counterexample to an upper bound (docs/theory.md §5.5): the gain of W at p, evaluated exactly by
/// evaluate<Rational>, exceeds the bound's exact value at p. Shapes: W is d×k with k ≤ n; the counterexample in the
/// setting (d, n) is W padded with n − k zero columns, which leaves the gain unchanged (a zero column j has S_j = 0
/// and adds A_ij·x_j = 0 to every other S_i).
struct Certificate {
  Matrix<Rational> W;  // exact rationals; entries are printed with Rational::str()
  Rational p;          // the certificate's feature probability (not the p of the table row)
  Rational gain;       // exact gain of W at p
  Rational bound;      // the refuted bound's exact value at p, < gain
  std::string family;  // which family produced it, with the exact interval of p where the family beats the bound
};

template <class T>
struct Bound {
  std::string name;      // fixed names: zero_loss, unsuperposed, linear, tensor_rank_upper, first_order_limit, ...
  T value;               // a gain value (same units as L̃)
  BoundStatus status;
  BoundSide side;
  std::string citation;  // paper, equation/theorem, or docs/theory.md section
  std::string precision; // "exact", "50 digits", "double", ...
  std::string detail;    // construction parameters, e.g. "k=640, seed=1" (empty for closed forms)
  std::optional<Certificate> certificate = std::nullopt;  // set exactly when status == refuted
};

/// The setting of a bound table: sizes, power and law (validated by the constructor; throws InputError).
struct Setting {
  int d, n, m;
  Law law;
  Setting(int d, int n, int m, Law law);
};

/// F*(d,m) = d(d+2)⋯(d+2m−2)/(2m−1)!! = 1/E_{u,v∼S^{d−1}}⟨u,v⟩^{2m}, exact (docs/theory.md §5, proved here).
/// Defined for every integer 1 ≤ m ≤ 64 (even m too: the design defects use E⟨u,v⟩^{2k} for k = 1..m).
Rational f_star(int d, int m);
/// C(d+m−1, m) = dim Sym^m(R^d), exact.
Rational sym_dim(int d, int m);

/// Regime of Theorem 2.2 at p: "very-sparse" (p ≤ d^{−m}), "intermediate" (d^{−m} < p ≤ d^{1−m}), "dense".
template <class T>
std::string regime(int d, int m, const T& p);

/// Each closed-form bound at p (T = double, Real50 or Real100). Throws InputError for p ∉ (0,1].
template <class T> Bound<T> bound_zero_loss(const Setting& s, const T& p);          // p·n·μ₂, upper, trivial
template <class T> Bound<T> bound_unsuperposed(const Setting& s, const T& p);       // p·min(d,n)·c_μ, construction
template <class T> Bound<T> bound_linear(const Setting& s, const T& p);             // m = 1: p·μ₂·min(d,n), exact
template <class T> Bound<T> bound_tensor_rank_upper(const Setting& s, const T& p);  // p·μ₂·min(n, C(d+m−1,m))
/// A certified bracket lower ≤ F*_n(d, m) ≤ upper of the best first-order ratio with n vectors in R^d (docs/theory.md
/// §5.1, §5.8), exact rationals. The very sparse limit is lim_{p→0} sup L̃/p = c_μ·F*_n(d, m) (Theorem 5.5(b)); every
/// place that speaks of it (first_order_limit, verify's very sparse check, sweep and train's reference line) states
/// c_μ·upper·p with this bracket. theory/ only takes a bracket; fstar_n_closed_form_bracket is the one it can make,
/// verify/'s fstar_n_bracket (exact LP bound and a searched witness) the one the commands use.
struct FstarBracket {
  Rational lower, upper;
  std::string lower_kind;    // "design" (n ≥ C(d+2m−1, 2m): F*_n = F*), "weights", "equally_spaced_lines" or "gram"
  std::string upper_method;  // "F*(d,m)", "min(n, F*(d,m))" or the LP certificate's method (verify/ LpUpper::method)
  bool proved() const { return lower == upper; }
  bool design() const { return lower_kind == "design"; }
  /// One line for tables and details: "F*_n(d,m) = 2 (proved: ...)" or "F*_n(d,m) in [lo, hi] (certified; ...)".
  std::string describe() const;
};
/// The bracket from closed forms alone: n ≥ C(d+2m−1, 2m) (the design size; always for d = 1) gives
/// lower = upper = F*(d, m) (Theorem 5.5(c) with Proposition 5.4), lower_kind "design"; below it
/// lower = min(d, n) (the unsuperposed W, kind "weights") and upper = min(n, F*(d, m)) (Theorem 5.2 and
/// F ≤ rank Ã ≤ n). Throws InputError for d < 1, n < 1 or a bad m.
FstarBracket fstar_n_closed_form_bracket(int d, int m, int n);

/// first_order_limit, c_μ·F*_n(d,m)·p with F*_n taken at the upper end U of the certified bracket `fstar_n` of the
/// setting (U = F*(d,m) from the design size on): p times the proved p → 0 limit of sup L̃/p (Theorem 5.5(b); for
/// a bracket that is not proved, an upper bound of it), read as an upper bound at every p (Conjecture 5.6 of
/// docs/theory.md, with F*_n). Its status is decided per law, setting and p: `refuted` when
/// first_order_limit_certificate(s, fstar_n) finds an exact counterexample (the certificate is attached; its p may
/// differ from the row's p); `proved-here` for gaussian where the Stein bound implies it (U = n, p = 1, or
/// p·U ≥ d·(1 + 1e-12): then c_μ·E min(d,N) ≤ c_μ·min(n·p, d) ≤ c_μ·U·p); `conjecture` otherwise. Side `limit` for
/// laplace (the value is p times the p → 0 slope), `upper` otherwise. Below the design size the detail states the
/// bracket (FstarBracket::describe). Throws InputError for p ∉ (0,1] and std::invalid_argument for a bracket
/// outside [min(d, n), min(n, F*(d,m))].
template <class T> Bound<T> bound_first_order_limit(const Setting& s, const T& p, const FstarBracket& fstar_n);
/// An exact counterexample to sup L̃ ≤ c_μ·U·p in the setting (U = fstar_n.upper), or nullopt when none of the
/// known families beats it (docs/theory.md §5.5): (a) d = 1, n ≥ 2, W = (s, s) at p = 1 (Proposition 5.9; tried
/// when 2β + β² > δ, exact); (b) d = 2, n ≥ m + 1, the m + 1 lines at angles jπ/(m+1) (§6.3) at p = 1 (laplace,
/// m = 5). The best scale is rounded to a rational and the gain re-evaluated exactly; a family counts only if
/// that exact gain beats the bound c_μ·U at p = 1 (the certificate's `bound`). Results are cached per (law, d, m,
/// family, U); thread-safe.
std::optional<Certificate> first_order_limit_certificate(const Setting& s, const FstarBracket& fstar_n);
/// Marks a first_order_limit bound `refuted` by `c` (status, citation naming c.p and c.family, certificate; c.bound
/// must be the row's value c_μ·U·p at c.p). Used by bound_first_order_limit and by search/'s with_search_certificate.
template <class T>
void mark_first_order_limit_refuted(Bound<T>& b, Certificate c) {
  b.status = BoundStatus::refuted;
  b.citation = "c_mu*F*_n(d,m)*p: p->0 limit proved (docs/theory.md Thm 5.5(b)); REFUTED as an upper bound in this "
               "setting by an exact certificate at p = " + c.p.str() + ", gain " + c.gain.str() + " > c_mu*F*_n*p = " +
               c.bound.str() + " (" + c.family + ")";
  b.certificate = std::move(c);
}
/// β and δ of Proposition 5.9 for the law and power m: β = B_{m+1}/(2μ_{m+1}), δ = B_{2m}/(2μ_{2m}),
/// B_k = Σ_{j=1}^{k/2−1} C(k,2j)·μ_{2j}·μ_{k−2j}. Exact. Throws InputError on a bad m.
std::pair<Rational, Rational> two_feature_beta_delta(const Law& law, int m);
/// E[min(d, N)] for N ~ Binomial(n, p), in T: n·p if d ≥ n, else Σ_{k=1}^{d} P(N ≥ k), each tail summed on the side
/// that avoids cancellation, with pmf = exp(lgamma terms) (long double for T = double). Throws InputError for
/// p ∉ (0,1] or bad sizes.
template <class T> T expected_min_binomial(int d, int n, const T& p);
/// gaussian_stein_upper, gaussian law only: c_μ·E[min(d, N)], N ~ Binomial(n, p), c_μ = (m!!)²/(2m−1)!!; proved
/// here (docs/theory.md Theorem 4.6, Stein's lemma given the active set). Equals the unsuperposed gain c_μ·min(d, n)
/// at p = 1. Throws InputError for p ∉ (0,1] and std::invalid_argument for a non-gaussian law.
template <class T> Bound<T> bound_gaussian_stein_upper(const Setting& s, const T& p);
/// p·[(1−p)^{n−1}·c_μ·min(F*(d,m), n) + (1 − (1−p)^{n−1})·μ₂·min(n, C(d+m−1,m))]: proved here
/// (docs/theory.md Theorem 5.5(a)); never above tensor_rank_upper and tight as p → 0 when n ≥ C(d+2m−1, 2m).
template <class T> Bound<T> bound_split_upper(const Setting& s, const T& p);
template <class T> Bound<T> bound_theorem_2_2_lower_order(const Setting& s, const T& p);  // min(p·d^m, d·p^{1/m})
template <class T> Bound<T> bound_theorem_2_2_upper_order(const Setting& s, const T& p);  // min(p·d^m, d)
template <class T> Bound<T> bound_followup_upper(const Setting& s, const T& p);     // Swissa, m ≥ 3

/// All closed-form bounds that apply to the setting at p, in a fixed order: zero_loss, unsuperposed, linear
/// (m = 1 only), tensor_rank_upper, split_upper, gaussian_stein_upper (gaussian only), first_order_limit (with the
/// bracket `fstar_n` of F*_n(d, m); the commands pass verify/'s fstar_n_bracket), theorem_2_2_lower_order,
/// theorem_2_2_upper_order, followup_upper (m ≥ 3 only).
template <class T>
std::vector<Bound<T>> closed_form_bounds(const Setting& s, const T& p, const FstarBracket& fstar_n);

/// Where a gain lies between the bounds of a table: best_lower = the largest construction value (side lower or
/// exact; 0 if none), proved_upper = the smallest proved upper bound (status proved-in-paper or proved-here, side
/// upper or exact; −1 if none), position = (gain − best_lower)/(proved_upper − best_lower) (0 when that gap is not
/// positive). Used by `superpose optimize` and the Python module's optimize().
struct BoundPosition {
  Real50 best_lower, proved_upper, position;
};
BoundPosition bound_position(const std::vector<Bound<Real50>>& bounds, const Real50& gain);

// ---------------------------------------------------------------------------------------------------------
// Certified values (theory/certified.cpp): what a verdict that can be cited rests on
// ---------------------------------------------------------------------------------------------------------

/// certified_gain evaluates in exact rationals when d·n²·m ≤ kExactGainBudget (20-digit entries, m = 3: 0.05 s of
/// CPU at d = 4, n = 40; docs/performance.md "check"), and encloses the gain in MPFI otherwise.
inline constexpr double kExactGainBudget = 20000;

/// The gain of W (d×n, exact rationals) at rational p, certified: exact (evaluate<Rational>) when
/// d·n²·m ≤ kExactGainBudget, else the enclosure of enclose_gain. Throws InputError as evaluate() does.
CertifiedReal certified_gain(const Matrix<Rational>& W, int m, const Law& law, const Rational& p, int threads = 0);

/// A proved upper bound on sup_W L̃ with a certified value at a rational p.
struct CertifiedBound {
  std::string name;  // as in closed_form_bounds
  BoundStatus status;
  std::string citation;
  CertifiedReal value;
};
/// The proved upper bounds among closed_form_bounds(s, p) (status proved-in-paper or proved-here, side upper or
/// exact; statuses decided there, per law, setting and p), each evaluated from its closed form at the rational p:
/// exactly (every proved upper bound is rational at rational p), or in MPFI when the exact numbers would exceed
/// about 10^6 digits (n·digits(p) > 10^6; split_upper and gaussian_stein_upper hold (1−p)^n). In the order of
/// closed_form_bounds (first_order_limit, where proved, at c_μ·fstar_n.upper·p). Throws InputError for p ∉ (0,1]
/// and std::logic_error for a proved bound without an exact form here (a bug: add it).
std::vector<CertifiedBound> certified_upper_bounds(const Setting& s, const Rational& p, const FstarBracket& fstar_n);

// ---------------------------------------------------------------------------------------------------------
// Constructions (docs/theory.md §6; theory/constructions.cpp)
// ---------------------------------------------------------------------------------------------------------
// A construction is an explicit W ∈ R^{d×n}. Its gain, evaluated exactly by the engine at the best overall scale
// (closed form C²/D, see best_scaled_gain), is a true lower bound on sup_W L̃(W): status `construction`. Weights
// are generated in double from a seed (reproducible on one platform: mt19937_64 and libstdc++'s
// normal_distribution) and then evaluated in the working precision, so the stated gain is the exact gain of that
// very W up to the working precision, not an approximation of another W.
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
  int member = -1;        // which member of its Constructions produced it (for Constructions::enclose_scaled_gain)
};

/// Bytes that Constructions<T>(s, seed, exact_budget) needs, T of `digits` (16, 50, 100): the stored power sums and
/// weights of every k (about 2n columns in all: d + m + 1 scalars each), the engine's staging at k = n, the d×n
/// tight frame in double with its d×d eigensolver, all in T when d·n² ≤ exact_budget and in double otherwise.
double constructions_memory_bytes(const Setting& s, int digits, double exact_budget = 2e7);

/// A family of constructions whose p-independent power sums are precomputed, so that many p are cheap.
/// `random_tight_frame` is tried for k ∈ {d, 2d, 4d, ...} ∪ {n} (k = n alone when n < d) and the best k is kept
/// at each p. (The unsuperposed construction is the closed-form bound `unsuperposed`.)
/// Evaluation is in T when d·n² ≤ `exact_budget`, else in double (the precision field says which).
/// Throws InputError (check_size_memory) before anything is allocated when constructions_memory_bytes exceeds
/// what this process may use.
/// `progress(done, total)` is called after each member, in millions of multiply-adds of its power sums
/// (k²·(d + m)/2 for k columns), so that a long run (d = 2000, n = 20000: about 7·10⁵ of them) shows it moves.
using ConstructionProgress = std::function<void(long long done, long long total)>;
template <class T>
class Constructions {
 public:
  Constructions(const Setting& s, std::uint64_t seed, double exact_budget = 2e7,
                const ConstructionProgress& progress = {});
  /// All constructions at p (p ∈ (0,1]; throws InputError otherwise).
  std::vector<ConstructionValue<T>> at(const T& p) const;
  /// A certified enclosure of v's gain at its best scale, max_s L̃(sW) = C²/D (a lower bound on sup L̃: sW is a
  /// real W), at the rational p, for the construction `v` returned by at(): C and D enclosed by FastGainEncloser
  /// (double intervals, outward rounding) over the member's W as stored (doubles, or the T values of
  /// projective_design, each enclosed exactly), C²/D in MPFI. nullopt when C's enclosure is not positive. The
  /// member's power sums are built on the first call (cost O(k²(d + m)/2) interval operations for k columns) and
  /// reused at every later p. Not safe to call concurrently on one object. Throws InputError for p ∉ (0,1] or a
  /// v not produced by this object.
  std::optional<Interval> enclose_scaled_gain(const ConstructionValue<T>& v, const Rational& p) const;

 private:
  struct Member {
    std::string name, detail;
    int features;
    std::optional<RowPowerSums<T>> sums_t;
    std::optional<RowPowerSums<double>> sums_d;
  };
  Setting setting_;
  std::vector<Member> members_;
  mutable std::vector<std::shared_ptr<const FastGainEncloser>> enclosers_;  // per member, built on first use
};

}  // namespace superpose
