// superpose/theory/relu.hpp: the ReLU toy model of superposition of Elhage et al. (2022), "Toy Models of
// Superposition" (transformer-circuits.pub/2022/toy_model), beside the power model of theory/theory.hpp.
//
// Contract
// --------
// * Notation: n features, d hidden width (Elhage's m is our d; in the power model m is the activation power),
//   p_i the probability that feature i is active (Elhage's "sparsity" S is 1 − p), importance I_i > 0.
// * Model: x̂ = act(W_decᵀ W x + b) with act(t) = ReLU(t)^k, k ∈ {1, 2, 3}; tied when W_dec = W (Elhage's choice).
// * Input law: x_i = β_i·v_i with β_i ~ Bernoulli(p_i) and v_i i.i.d. from the value law, all independent. The value
//   law is uniform on [0, 1] (Elhage's notebook, spec "uniform01") or one of the symmetric laws of theory.hpp
//   (Law::parse specs: gaussian, rademacher, uniform, laplace, discrete:...).
// * Loss: L(W, b) = Σ_i I_i·E(x_i − x̂_i)² (a sum over features; Elhage's notebook reports it divided by n).
// * Shapes: W and W_dec are d×n (column i is feature i's embedding), b has n entries.
// * Errors: InputError (core/core.hpp) for invalid settings or parameters, thrown by validate() before any work.
#pragma once

#include "theory/theory.hpp"

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>
#include <cstdint>

namespace superpose::relu {

/// The value law of an active feature: uniform on [0, 1] (Elhage) or a symmetric Law of theory.hpp.
struct ValueLaw {
  std::optional<Law> symmetric;  // nullopt: uniform on [0, 1]
  /// Parses "uniform01" or a Law spec. Throws InputError naming the accepted values.
  static ValueLaw parse(std::string_view spec);
  std::string name() const;  // "uniform01" or the Law's canonical spec
};

/// A setting of the ReLU model: sizes, per-feature probabilities and importances, value law, activation power.
struct Problem {
  int d = 0, n = 0;
  std::vector<Rational> p;           // n entries in (0, 1], exact as typed
  std::vector<Rational> importance;  // n entries > 0, exact as typed
  ValueLaw law;
  int k = 1;                         // activation ReLU(t)^k, k ∈ {1, 2, 3}
  bool tied = true;                  // false: a separate decoder W_dec
  /// Throws InputError (one line, naming the bad field and the accepted values) unless d ≥ 1, n ≥ 1, sizes of p and
  /// importance equal n, p_i ∈ (0, 1], I_i > 0, k ∈ {1, 2, 3}.
  void validate() const;
};

/// The parameters (W, W_dec, b) in scalar type T (double, Real50, Rational).
template <class T>
struct Params {
  Matrix<T> W;      // d×n encoder (also the decoder when tied)
  Matrix<T> W_dec;  // d×n decoder when untied; 0×0 when tied
  Vector<T> b;      // n biases
  /// Throws InputError unless the shapes match the problem (W_dec empty exactly when tied) and entries are finite.
  void validate(const Problem& problem) const;
};


/// Feature probabilities from the command line: one value for every feature or n comma-separated values, each read
/// exactly (parse_rational) and in (0, 1]. Throws InputError naming --p otherwise.
std::vector<Rational> parse_probabilities(std::string_view spec, int n);
/// Importances: one value for every feature, n comma-separated values, or "geometric:r" meaning I_i = r^(i−1)
/// (Elhage's 0.9^i with the first feature at 1); each > 0, read exactly. Throws InputError naming --importance.
std::vector<Rational> parse_importance(std::string_view spec, int n);
/// A bias list: "" (all 0), one value for every feature, or n comma-separated values, read exactly. Throws
/// InputError naming --bias.
std::vector<Rational> parse_bias(std::string_view spec, int n);

// ---------------------------------------------------------------------------------------------------------------
// The exact expected loss (theory/relu.cpp; docs/theory.md "The ReLU toy model")
// ---------------------------------------------------------------------------------------------------------------
//
// Algorithm (value law uniform01; the other laws below). With M = W_decᵀW (n×n), feature i's pre-activation is z_i = Σ_j M_ij x_j + b_i.
// Conditioning on the active set S (probability Π_{j∈S} p_j Π_{j∉S} (1 − p_j)), x_j = v_j ~ U[0, 1] for j ∈ S and
// L = Σ_i I_i Σ_S P(S)·[E x_i² − 2 E x_i·(z_i)_+^k + E (z_i)_+^{2k}]. Only j with M_ij ≠ 0 (and i) matter for
// feature i, so S runs over the subsets of U_i = {j : M_ij ≠ 0} ∪ {i}. Each expectation is one of
//   E[Π_j v_j^{w_j}·(a·v + c)_+^e]   over v ∈ [0,1]^s (a_j ≠ 0; weights w_j ∈ {0,1,2} on at most two j),
// which is, by integrating one coordinate at a time (∫_0^1 t^w (αt + r)_+^e dt by parts, w + 1 times),
//   e!·Π_j a_j^{−1} · Σ_l [Π_{j weighted} (−1)^{l_j} w_j!/(w_j − l_j)!·a_j^{−l_j}] / (e + s + Σl)!
//                   · Σ_{T ⊆ [s], T ⊇ R(l)} (−1)^{s−|T|} (c + Σ_{j∈T} a_j)_+^{e+s+Σl},
// l_j ∈ 0..w_j, R(l) = {j : l_j < w_j}. With no weights this is the box-spline identity
//   ∫_{[0,1]^s} (a·v + c)_+^q dv = q!/(q+s)!·Σ_T (−1)^{s−|T|}(c + a_T)_+^{q+s}/Π a_j.
// The gradient needs the same family with e − 1 and one more weight (∂/∂a_j brings down e·v_j). Coordinates with
// a_j = 0 integrate out (E v = 1/2, E v² = 1/3); ∂L/∂M_ij for M_ij = 0 and j ≠ i is p_j/2·∂L/∂b_i.
// Cost O(Σ_i 3^{|U_i|}) powers for the loss, |U_i| times more with the gradient (a dense W at n = 12, d = 3:
// about 5 s of CPU in double).
// Precision. The sum over T cancels catastrophically when some a_j is small next to |c| + Σ|a|. Every block (i, S)
// carries an error bound (eps_T·(q + s + 2)·Σ|coefficient|·(|c| + Σ|a_j|)^q summed over its terms); a block whose
// bound exceeds 1e-11 (double), 1e-42 (MPFR-50), 1e-90 (MPFR-100) of its scale 1 + (|c| + Σ|a_j|)^{2k} is recomputed
// in the next wider type, down to exact rationals (the inputs of a block are exact binary numbers). For T =
// Rational everything is exact.
// Other value laws (the same active-set sum and block structure; E v = 0, E v² = μ_2 replace 1/2, 1/3):
// * uniform (U[−1, 1]): v = 2u − 1, so a·v + c = Σ 2a_j u_j + (c − Σ a_j) and v_j^w expands into powers of u_j;
//   the cube formula above, with the same error bounds and widening (exact for T = Rational).
// * finite support (rademacher, discrete:...): the K^s value combinations of a block's s variables are summed
//   (exact for T = Rational). Refused when Σ_i (1 + K)^{|U_i|} exceeds kMaxEnumeratedPoints.
// * gaussian: given S, z = a·v + c ~ N(c, σ²), σ² = Σ a_j²; E z_+^q = Σ_r C(q,r) c^{q−r} σ^r J_r(c/σ) with the
//   truncated moments J_r(t) = E[Y^r; Y > −t] (J_0 = Φ, J_1 = φ, J_r = (−t)^{r−1}φ + (r−1)J_{r−2}), and Stein's lemma
//   for the weights (E v_j g(z) = a_j E g'(z), E v_j v_l g(z) = a_j a_l E g''(z) + [j = l] E g(z)). Double, MPFR-50,
//   MPFR-100 (erfc of each type); a block is widened up to MPFR-100, and T = Rational is refused (Φ is irrational).
// * laplace: no exact route (Monte Carlo).

/// Largest n accepted by the exact routes (the cost grows like n²·3^n).
inline constexpr int kMaxExactFeatures = 16;
/// Largest number of value combinations, Σ_i (1 + K)^{|U_i|} for a law of K atoms, that the finite-support route
/// enumerates (beyond it expected_loss refuses and `relu loss` falls back to Monte Carlo).
inline constexpr double kMaxEnumeratedPoints = 5e7;

/// How a number was produced.
/// exact_rational: T = Rational (uniform01, uniform, finite laws); closed_form: floating point by the cube formula
/// (uniform01, uniform) or Φ, φ (gaussian); enumeration: floating point by summing a finite law's values.
enum class Route { exact_rational, closed_form, monte_carlo, enumeration };
/// "exact-rational", "closed-form", "monte-carlo", "enumeration".
std::string_view to_string(Route r);

/// The expected loss of (W, W_dec, b) and optionally its gradient. Shapes: grad_W and grad_W_dec as W (grad_W_dec
/// empty when tied; for tied weights grad_W is the total derivative through both uses of W), grad_b n entries; all
/// empty unless requested.
template <class T>
struct LossEvaluation {
  T loss;                 // L = Σ_i I_i E(x_i − x̂_i)² (units of x²)
  T zero_loss;            // the loss of W = 0, b = 0: Σ_i I_i p_i E v² (p_i/3 for uniform01)
  Vector<T> loss_per_feature;  // I_i E(x_i − x̂_i)², n entries
  Matrix<T> grad_W, grad_W_dec;
  Vector<T> grad_b;
  double abs_error = 0;   // estimated absolute error of loss (0 for Rational: exact)
  double grad_abs_error = 0;  // estimated absolute error of each gradient entry
  int widened_blocks = 0; // blocks (i, S) recomputed in a wider type than T
  Route route = Route::closed_form;  // exact_rational for T = Rational, enumeration for finite laws in floating point
  /// Correct significant digits of loss from abs_error, at least 1 (0 when even the first digit is uncertain), capped
  /// at T's digits; 0 for Rational (exact: check route).
  int loss_digits() const;
};

/// The exact expected loss (and gradient) of params at problem's p, importance, law and k, by the active-set sum
/// above. Throws InputError from problem.validate() and params.validate(problem), for n > kMaxExactFeatures (naming
/// --n; use monte_carlo_loss or low_order_terms), and naming --law and --mc-samples for the laplace law, a finite
/// law whose enumeration is too large, and the gaussian law with T = Rational (exact_route_refusal says which).
/// Source: derived here (docs/theory.md §9.2).
template <class T>
LossEvaluation<T> expected_loss(const Problem& problem, const Params<T>& params, bool with_gradient = false);

/// "" when expected_loss<T>(problem, params) has an exact route, else why not (one phrase: the laplace law, n above
/// kMaxExactFeatures, a finite law's enumeration beyond 5e7 value combinations for this W's sparsity, the gaussian
/// law in rationals). Throws InputError from problem.validate() and params.validate(problem).
template <class T>
std::string exact_route_refusal(const Problem& problem, const Params<T>& params);

/// The precision ladder for expected_loss (the rung loop of theory.hpp, climb_precision_ladder): params given as
/// exact rationals, evaluated in the type of `digits` (16, 50, 100; 0 = exact rationals) and, while `climb`, redone
/// in the next wider type when fewer than min_gain_digits(digits) digits of the loss survive or the entries leave
/// double's range. `note` says why each recomputation happened. The gaussian law stops at MPFR-100 (its result is
/// accepted there) and refuses digits = 0 (InputError naming --law).
using AnyLossEvaluation = std::variant<LossEvaluation<double>, LossEvaluation<Real50>, LossEvaluation<Real100>,
                                       LossEvaluation<Rational>>;
struct LadderLoss {
  AnyLossEvaluation ev;
  int digits = 16;
  std::string note;
};
LadderLoss expected_loss_with_ladder(const Problem& problem, const Params<Rational>& params, bool with_gradient,
                                     int digits, bool climb = true);

/// Draws one value of an active feature (double): uniform01 and uniform by std::uniform_real_distribution (2u − 1),
/// gaussian by std::normal_distribution, laplace as a signed exponential (density e^{−|v|}/2, variance 2), finite
/// laws by inverting the cumulative weights of their atoms. Shared by monte_carlo_loss and the trainer.
class ValueSampler {
 public:
  explicit ValueSampler(const ValueLaw& law);
  double operator()(std::mt19937_64& rng);

 private:
  ValueLaw law_;
  std::uniform_real_distribution<double> unif_{0.0, 1.0};
  std::normal_distribution<double> normal_{0.0, 1.0};
  std::exponential_distribution<double> expo_{1.0};
  std::vector<double> atom_value_, atom_cdf_;
};

/// Monte Carlo estimate of the loss from `samples` draws of x (mt19937_64(seed); values by ValueSampler), in double.
/// standard_error = sample standard deviation/√samples. Any n. Throws InputError from validate() and unless
/// samples ≥ 2 (naming --mc-samples).
struct MonteCarloLoss {
  double loss = 0, standard_error = 0;
  long long samples = 0;
  std::uint64_t seed = 0;
};
MonteCarloLoss monte_carlo_loss(const Problem& problem, const Params<double>& params, long long samples,
                                std::uint64_t seed);

/// The very sparse expansion of the loss. Write p_i = t·π_i with t = max_i p_i (so π_i = p_i/t; equal p gives
/// π_i = 1 and t = p). Then L(t) = c0 + c1·t + c2·t² + O(t³) with F(S) = Σ_i I_i f_i(S) the loss given active set S:
///   c0 = F(∅),   c1 = Σ_j π_j [F({j}) − F(∅)],   c2 = Σ_{j<l} π_j π_l [F({j,l}) − F({j}) − F({l}) + F(∅)]
/// (equal p: c1 = Σ_j F({j}) − n F(∅), c2 = Σ_{j<l} F({j,l}) − (n−1)Σ_j F({j}) + C(n,2) F(∅)). Only |S| ≤ 2 enters,
/// so any n is cheap: O(n³) blocks of at most two coordinates. Exact for T = Rational; in floating types each
/// block is computed (and widened) as in expected_loss, abs_error bounding c0 + c1 t + c2 t²'s error. Throws as
/// expected_loss except for the size and enumeration limits (blocks have at most two variables).
template <class T>
struct LowOrderTerms {
  T t;           // max_i p_i
  T c0, c1, c2;  // coefficients of t^0, t^1, t^2
  double abs_error = 0;
  Route route = Route::closed_form;  // as LossEvaluation::route
  T value() const { return c0 + c1 * t + c2 * t * t; }  // the expansion to second order at the problem's p
};
template <class T>
LowOrderTerms<T> low_order_terms(const Problem& problem, const Params<T>& params);

}  // namespace superpose::relu
