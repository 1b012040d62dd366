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
//   With S_i = (Ax)_i = A_ii·x_i + Z_i and Z_i = Σ_{j≠i} A_ij x_j independent of x_i, the additive cumulants are
//   κ_r(Z_i) = κ_r(x)·Σ_{j≠i} A_ij^r and κ_r(S_i) = κ_r(Z_i) + A_ii^r·κ_r(x). Moments follow from cumulants by
//   M_n = Σ_k C(n−1,k−1) κ_k M_{n−k}. Then D_i = E S_i^{2m} and
//   C_i = Σ_{t odd} C(m,t)·A_ii^t·E[x^{t+1}]·E[Z_i^{m−t}].  Cost O(n²(d+m)) for all rows; the only p-dependent
//   part is O(n·m²), so a sweep over p reuses the row power sums (`RowPowerSums`).
//   The gradient uses ∂M_n/∂κ_r = C(n,r)·M_{n−r} and ∂gain/∂W = W·(G + Gᵀ), G_ij = ∂(2C_i − D_i)/∂A_ij.
//
// Scalar types: every template below is instantiated for double, Real50, Real100 and (where no root is taken)
// Rational, one translation unit per type (theory/instantiate_*.cpp).
#pragma once

#include "numerics/numerics.hpp"

#include <cstdint>
#include <optional>
#include <string>
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

/// Validates the activation power. Throws InputError unless m is odd and 1 ≤ m ≤ 7 (above 7 the
/// moment-cumulant recursion loses digits at large p: docs/theory.md §2.6); an even m is refused
/// because every term of E⟨x,(Ax)^m⟩ then has odd degree in x, so C = 0 and the gain is −D ≤ 0 for every W.
void check_power(int m);
/// Validates a feature probability: throws InputError unless 0 < p ≤ 1.
template <class T>
void check_probability(const T& p);
/// Validates sizes: throws InputError unless d ≥ 1 and n ≥ 1.
void check_sizes(int d, int n);

// ---------------------------------------------------------------------------------------------------------
// Exact gain, loss and gradient
// ---------------------------------------------------------------------------------------------------------

/// The p-independent part of the exact evaluation: for each feature i, a_i = A_ii and the off-diagonal power
/// sums Q_{2k}(i) = Σ_{j≠i} A_ij^{2k}, k = 1..m, of A = WᵀW.
/// Shapes: diag n, off n×m (column k−1 holds Q_{2k}). Cost O(n²(d+m)), memory O(n·(m + 256)).
template <class T>
struct RowPowerSums {
  int m = 0;
  Vector<T> diag;
  Matrix<T> off;
};

/// Computes RowPowerSums of W (d×n) for power m. Throws InputError on a bad m or an empty W.
template <class T>
RowPowerSums<T> row_power_sums(const Matrix<T>& W, int m);

/// C = E⟨x, φ(Ax)⟩ and D = E‖φ(Ax)‖² (dimension: units of ξ², summed over features); gain = 2C − D.
template <class T>
struct GainTerms {
  T C;
  T D;
  T gain() const { return T(2) * C - D; }
};

/// C and D at feature probability p from precomputed power sums, in O(n·m²). Exact for T = Rational.
/// `p` is not range-checked here (the gain is a polynomial in p; see gain_polynomial).
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
};

/// Exact gain, loss and (optionally) gradient ∂gain/∂W of W (d×n) for power m, law μ and probability p.
/// Cost O(n²(d+m)); with the gradient, memory n×n scalars (G is stored), else O(n·256).
/// Throws InputError for even or out-of-range m, p ∉ (0,1], an empty W or non-finite entries.
template <class T>
Evaluation<T> evaluate(const Matrix<T>& W, int m, const Law& law, const T& p, bool with_gradient = false);

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
///   order            an asymptotic order with unknown constants: a shape, never a guarantee.
enum class BoundStatus { proved_in_paper, proved_here, conjecture, unreviewed_claim, construction, order };
/// Which side of sup_W L̃ the value bounds: lower, upper, exact (both), or limit (the value is p times the proved
/// p → 0 limit of sup L̃/p and bounds neither side at finite p).
enum class BoundSide { lower, upper, exact, limit };

std::string_view to_string(BoundStatus s);  // "proved-in-paper", "proved-here", ...
std::string_view to_string(BoundSide s);    // "lower", "upper", "exact", "limit"

template <class T>
struct Bound {
  std::string name;      // fixed names: zero_loss, unsuperposed, linear, tensor_rank_upper, first_order_limit, ...
  T value;               // a gain value (same units as L̃)
  BoundStatus status;
  BoundSide side;
  std::string citation;  // paper, equation/theorem, or docs/theory.md section
  std::string precision; // "exact", "50 digits", "double", ...
  std::string detail;    // construction parameters, e.g. "k=640, seed=1" (empty for closed forms)
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
template <class T> Bound<T> bound_first_order_limit(const Setting& s, const T& p);  // c_μ·F*(d,m)·p, conjecture
                                                                                     // (side limit for laplace)
/// p·[(1−p)^{n−1}·c_μ·min(F*(d,m), n) + (1 − (1−p)^{n−1})·μ₂·min(n, C(d+m−1,m))]: proved here
/// (docs/theory.md Theorem 5.5(a)); never above tensor_rank_upper and tight as p → 0 when n ≥ C(d+2m−1, 2m).
template <class T> Bound<T> bound_split_upper(const Setting& s, const T& p);
template <class T> Bound<T> bound_theorem_2_2_lower_order(const Setting& s, const T& p);  // min(p·d^m, d·p^{1/m})
template <class T> Bound<T> bound_theorem_2_2_upper_order(const Setting& s, const T& p);  // min(p·d^m, d)
template <class T> Bound<T> bound_followup_upper(const Setting& s, const T& p);     // Swissa, m ≥ 3

/// All closed-form bounds that apply to the setting at p, in a fixed order: zero_loss, unsuperposed, linear
/// (m = 1 only), tensor_rank_upper, split_upper, first_order_limit, theorem_2_2_lower_order,
/// theorem_2_2_upper_order, followup_upper (m ≥ 3 only).
template <class T>
std::vector<Bound<T>> closed_form_bounds(const Setting& s, const T& p);

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

}  // namespace superpose
