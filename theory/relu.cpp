// The ReLU toy model of Elhage et al. (2022): validation, the exact expected loss by active sets and the cube
// formula, its gradient, the low-order terms and Monte Carlo (theory/relu.hpp; docs/theory.md "The ReLU toy model").
#include "theory/relu.hpp"
#include "theory/detail/ladder_rung.hpp"

#include <boost/math/constants/constants.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace superpose::relu {

// ---------------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------------

ValueLaw ValueLaw::parse(std::string_view spec) {
  if (spec == "uniform01") return {};
  try {
    return ValueLaw{Law::parse(spec)};
  } catch (const InputError&) {
    throw InputError("--law: unknown value law '" + escape_excerpt(spec) +
                     "' (accepted: uniform01, rademacher, gaussian, uniform, laplace, discrete:v1:w1,v2:w2,...)");
  }
}

std::string ValueLaw::name() const { return symmetric ? symmetric->name() : "uniform01"; }

void Problem::validate() const {
  if (d < 1) throw InputError("--d: the hidden width d must be at least 1 (got " + std::to_string(d) + ")");
  if (n < 1) throw InputError("--n: the number of features n must be at least 1 (got " + std::to_string(n) + ")");
  if (static_cast<int>(p.size()) != n)
    throw InputError("--p: " + std::to_string(p.size()) + " feature probabilities for n = " + std::to_string(n) +
                     " features (give one value or n values)");
  if (static_cast<int>(importance.size()) != n)
    throw InputError("--importance: " + std::to_string(importance.size()) + " importances for n = " +
                     std::to_string(n) + " features (give one value, n values or geometric:r)");
  for (int i = 0; i < n; ++i) {
    if (!(p[i] > 0 && p[i] <= 1))
      throw InputError("--p: feature probability p_" + std::to_string(i + 1) + " = " + rational_to_decimal(p[i], 6) +
                       " is outside (0, 1]");
    if (!(importance[i] > 0))
      throw InputError("--importance: I_" + std::to_string(i + 1) + " = " + rational_to_decimal(importance[i], 6) +
                       " must be positive");
  }
  if (k < 1 || k > 3)
    throw InputError("--k: activation power " + std::to_string(k) + " (accepted: 1, 2, 3: ReLU(t)^k)");
}

namespace {

/// One value for all n, or n comma-separated values, each parsed exactly.
std::vector<Rational> parse_list(std::string_view spec, int n, const std::string& flag) {
  const std::vector<std::string> parts = split(spec, ',');
  if (parts.size() != 1 && static_cast<int>(parts.size()) != n)
    throw InputError(flag + ": " + std::to_string(parts.size()) + " values for n = " + std::to_string(n) +
                     " features (give one value or n comma-separated values)");
  std::vector<Rational> out;
  for (const std::string& x : parts) out.push_back(parse_rational(x, flag));
  if (out.size() == 1) out.assign(n, out[0]);
  return out;
}

}  // namespace

std::vector<Rational> parse_probabilities(std::string_view spec, int n) {
  std::vector<Rational> p = parse_list(spec, n, "--p");
  for (const Rational& x : p)
    if (!(x > 0 && x <= 1))
      throw InputError("--p: feature probability " + rational_to_decimal(x, 6) + " is outside (0, 1]");
  return p;
}

std::vector<Rational> parse_importance(std::string_view spec, int n) {
  std::vector<Rational> out;
  const std::string_view geo = "geometric:";
  if (spec.substr(0, geo.size()) == geo) {
    const Rational r = parse_rational(spec.substr(geo.size()), "--importance");
    if (!(r > 0)) throw InputError("--importance: the ratio of geometric:r must be positive");
    Rational x = 1;
    for (int i = 0; i < n; ++i, x *= r) out.push_back(x);
    return out;
  }
  out = parse_list(spec, n, "--importance");
  for (const Rational& x : out)
    if (!(x > 0))
      throw InputError("--importance: importance " + rational_to_decimal(x, 6) +
                       " must be positive (accepted: one value, n values, geometric:r)");
  return out;
}

std::vector<Rational> parse_bias(std::string_view spec, int n) {
  if (trim(spec).empty()) return std::vector<Rational>(n, Rational(0));
  return parse_list(spec, n, "--bias");
}

namespace {

template <class T>
bool finite(const T& x) {
  if constexpr (is_exact_v<T>) return true;
  else {
    using std::isfinite;
    using boost::multiprecision::isfinite;
    return isfinite(x);
  }
}

template <class T>
void check_matrix(const Matrix<T>& M, Eigen::Index rows, Eigen::Index cols, const std::string& what) {
  if (M.rows() != rows || M.cols() != cols)
    throw InputError(what + ": shape " + std::to_string(M.rows()) + "x" + std::to_string(M.cols()) + ", expected " +
                     std::to_string(rows) + "x" + std::to_string(cols) + " (d rows of n features)");
  for (Eigen::Index j = 0; j < M.cols(); ++j)
    for (Eigen::Index i = 0; i < M.rows(); ++i)
      if (!finite(M(i, j)))
        throw InputError(what + "(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ") is NaN or infinite");
}

}  // namespace

template <class T>
void Params<T>::validate(const Problem& problem) const {
  check_matrix(W, problem.d, problem.n, "W");
  if (problem.tied) {
    if (W_dec.size() != 0) throw InputError("W_dec: a decoder was given for tied weights (pass --untied)");
  } else {
    check_matrix(W_dec, problem.d, problem.n, "W_dec");
  }
  if (b.size() != problem.n)
    throw InputError("b: " + std::to_string(b.size()) + " biases for n = " + std::to_string(problem.n) + " features");
  for (int i = 0; i < problem.n; ++i)
    if (!finite(b(i))) throw InputError("b(" + std::to_string(i + 1) + ") is NaN or infinite");
}

std::string_view to_string(Route r) {
  switch (r) {
    case Route::exact_rational: return "exact-rational";
    case Route::closed_form: return "closed-form";
    case Route::monte_carlo: return "monte-carlo";
    case Route::enumeration: return "enumeration";
  }
  return "?";
}

template <class T>
int LossEvaluation<T>::loss_digits() const {
  if constexpr (is_exact_v<T>) {
    return 0;
  } else {
    const double cap = digits_of<T>();
    const double l = std::fabs(static_cast<double>(loss));
    const double err = abs_error + 0.5 * l * std::pow(10.0, -cap);
    if (!(err > 0)) return static_cast<int>(cap);
    if (!(l > 0)) return 0;
    return static_cast<int>(std::clamp(std::floor(std::log10(l / err)), 0.0, cap));
  }
}

namespace {

// ---------------------------------------------------------------------------------------------------------------
// One block (i, S): the moments E[Π v_j^{w_j} (a·v + c)_+^e] over [0,1]^s by the cube formula
// ---------------------------------------------------------------------------------------------------------------

template <class To, class From>
To cast(const From& x) {
  if constexpr (std::is_same_v<To, From>) return x;
  else if constexpr (std::is_same_v<From, Rational>) return from_rational<To>(x);
  else if constexpr (std::is_same_v<To, Rational>) {
    if constexpr (std::is_same_v<From, double>) return Rational(x);  // exact binary value
    else {
      Rational q;
      mpfr_get_q(q.backend().data(), x.backend().data());  // exact
      return q;
    }
  } else if constexpr (std::is_same_v<To, double>) return x.template convert_to<double>();
  else return To(x);  // wider MPFR holds the narrower value exactly
}

template <class T>
T abs_of(const T& x) {
  return x < 0 ? T(-x) : x;
}

template <class T>
double to_double(const T& x) {
  if constexpr (std::is_same_v<T, double>) return x;
  else return x.template convert_to<double>();
}

template <class T>
double eps_of() {
  if constexpr (is_exact_v<T>) return 0;
  else if constexpr (std::is_same_v<T, double>) return std::numeric_limits<double>::epsilon();
  else return std::numeric_limits<T>::epsilon().template convert_to<double>();
}

/// The integrals of one block: variables a (s of them, all nonzero) and offset c.
template <class T>
class Cube {
 public:
  Cube(const std::vector<T>& a, const T& c, int e_min, int e_max) : a_(a), s_(static_cast<int>(a.size())) {
    const unsigned full = 1u << s_;
    shift_.assign(full, c);
    for (unsigned t = 1; t < full; ++t) {
      const int low = __builtin_ctz(t);
      shift_[t] = shift_[t & (t - 1)] + a_[low];
    }
    bound_ = to_double(abs_of(c));
    for (const T& x : a_) bound_ += to_double(abs_of(x));
    inv_prod_ = T(1);
    for (const T& x : a_) inv_prod_ /= x;
    inv_prod_abs_ = std::fabs(to_double(inv_prod_));
    // Powers (shift_T)_+^E for E = e_min + s .. e_max + s + 2.
    E0_ = e_min + s_;
    const int count = e_max - e_min + 3;
    pow_.assign(static_cast<std::size_t>(count) * full, T(0));
    for (unsigned t = 0; t < full; ++t) {
      if (!(shift_[t] > 0)) continue;
      T x = T(1);
      for (int r = 0; r < E0_; ++r) x *= shift_[t];
      for (int q = 0; q < count; ++q) {
        pow_[q * full + t] = x;
        x *= shift_[t];
      }
    }
  }

  /// E[Π_{(j,w) in weights} v_j^w·(a·v + c)_+^e], weights on at most two distinct variables (indices into a).
  /// Adds its error bound (absolute) to `err` (double; 0 for Rational).
  T moment(int e, const std::vector<std::pair<int, int>>& weights, double& err) const {
    const unsigned full = 1u << s_;
    T total = T(0);
    double abs_total = 0;
    const int nw = static_cast<int>(weights.size());
    const int w0 = nw > 0 ? weights[0].second : 0, w1 = nw > 1 ? weights[1].second : 0;
    for (int l0 = 0; l0 <= w0; ++l0)
      for (int l1 = 0; l1 <= w1; ++l1) {
        const int E = e + s_ + l0 + l1;
        // coefficient: e!/E!·Π (−1)^l w!/(w−l)!/a^l
        T coef = T(1);
        for (int r = e + 1; r <= E; ++r) coef /= r;
        unsigned R = 0;
        auto weight_factor = [&](int var, int w, int l) {
          for (int r = 0; r < l; ++r) coef = coef * (w - r) / a_[var];
          if (l % 2) coef = -coef;
          if (l < w) R |= 1u << var;
        };
        if (nw > 0) weight_factor(weights[0].first, w0, l0);
        if (nw > 1) weight_factor(weights[1].first, w1, l1);
        // Σ_{T ⊇ R} (−1)^{s−|T|} (shift_T)_+^E
        const T* pw = &pow_[static_cast<std::size_t>(E - E0_) * full];
        T sum = T(0);
        for (unsigned t = R;; t = (t + 1) | R) {
          if (t >= full) break;
          if ((s_ - __builtin_popcount(t)) % 2) sum -= pw[t];
          else sum += pw[t];
          if (t == full - 1) break;
        }
        total += coef * sum;
        if constexpr (!is_exact_v<T>) {
          const double terms = std::ldexp(1.0, s_ - __builtin_popcount(R));
          abs_total += std::fabs(to_double(coef)) * terms * std::pow(bound_, E) * (E + s_ + 2);
        }
      }
    if constexpr (!is_exact_v<T>) err += abs_total * inv_prod_abs_ * eps_of<T>();
    return total * inv_prod_;
  }

  double bound() const { return bound_; }

 private:
  std::vector<T> a_;
  int s_;
  std::vector<T> shift_;
  std::vector<T> pow_;
  int E0_ = 0;
  double bound_ = 0;
  T inv_prod_;
  double inv_prod_abs_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// The other value laws' moment providers. Each gives E[Π v_j^{w_j}·(a·v + c)_+^e] (weights on at most two distinct
// variables, w_j ≤ 2, Σw ≤ 2) for one block, adds its error bound to `err`, and reports bound() = |c| + Σ|a_j|·r
// (r: the typical size of a value) for the block's scale.
// ---------------------------------------------------------------------------------------------------------------

using Weights = std::vector<std::pair<int, int>>;

/// v ~ U[−1, 1]: v = 2u − 1 with u ~ U[0, 1], so a·v + c = Σ 2a_j u_j + (c − Σ a_j) and each weight v_j^w expands
/// into powers of u_j; every piece is a Cube moment.
template <class T>
class SymmetricCube {
 public:
  SymmetricCube(const std::vector<T>& a, const T& c, int e_min, int e_max)
      : cube_(doubled(a), shifted(a, c), e_min, e_max), bound_(to_double(abs_of(c))) {
    for (const T& x : a) bound_ += to_double(abs_of(x));
  }
  T moment(int e, const Weights& weights, double& err) const {
    // (2u − 1)^w = Σ_r kCoef[w][r] u^r: w = 1: 2u − 1; w = 2: 4u² − 4u + 1.
    static constexpr int kCoef[3][3] = {{1, 0, 0}, {-1, 2, 0}, {1, -4, 4}};
    const int nw = static_cast<int>(weights.size());
    const int w0 = nw > 0 ? weights[0].second : 0, w1 = nw > 1 ? weights[1].second : 0;
    T total = T(0);
    for (int r0 = 0; r0 <= w0; ++r0)
      for (int r1 = 0; r1 <= w1; ++r1) {
        const int coef = kCoef[w0][r0] * kCoef[w1][r1];
        Weights u;
        if (r0 > 0) u.emplace_back(weights[0].first, r0);
        if (r1 > 0) u.emplace_back(weights[1].first, r1);
        double piece_err = 0;
        total += T(coef) * cube_.moment(e, u, piece_err);
        err += std::abs(coef) * piece_err;
      }
    return total;
  }
  double bound() const { return bound_; }

 private:
  static std::vector<T> doubled(const std::vector<T>& a) {
    std::vector<T> out;
    for (const T& x : a) out.push_back(2 * x);
    return out;
  }
  static T shifted(const std::vector<T>& a, const T& c) {
    T out = c;
    for (const T& x : a) out -= x;
    return out;
  }
  Cube<T> cube_;
  double bound_;
};

/// A finite-support law: the sum over the K^s value combinations of the block's s variables.
template <class T>
class AtomSum {
 public:
  AtomSum(const std::vector<T>& a, const T& c, int e_min, int e_max, const std::vector<Rational>& values,
          const std::vector<Rational>& weights)
      : s_(static_cast<int>(a.size())), e_min_(e_min), e_count_(e_max - e_min + 1) {
    const int K = static_cast<int>(values.size());
    for (std::size_t t = 0; t < values.size(); ++t) {
      value_.push_back(from_rational<T>(values[t]));
      weight_.push_back(from_rational<T>(weights[t]));
    }
    double vmax = 0;
    for (const T& v : value_) vmax = std::max(vmax, std::fabs(to_double(v)));
    bound_ = to_double(abs_of(c));
    for (const T& x : a) bound_ += to_double(abs_of(x)) * vmax;
    std::size_t combos = 1;
    for (int j = 0; j < s_; ++j) combos *= static_cast<std::size_t>(K);
    digit_.assign(combos * s_, 0);
    prob_.assign(combos, T(1));
    zpow_.assign(combos * e_count_, T(0));
    for (std::size_t m = 0; m < combos; ++m) {
      T z = c;
      std::size_t rest = m;
      for (int j = 0; j < s_; ++j, rest /= K) {
        const int t = static_cast<int>(rest % K);
        digit_[m * s_ + j] = t;
        prob_[m] *= weight_[t];
        z += a[j] * value_[t];
      }
      if (!(z > 0)) continue;
      T x = T(1);
      for (int r = 0; r < e_min_; ++r) x *= z;
      for (int q = 0; q < e_count_; ++q, x *= z) zpow_[m * e_count_ + q] = x;
    }
  }
  T moment(int e, const Weights& weights, double& err) const {
    T total = T(0);
    double abs_total = 0;
    for (std::size_t m = 0; m < prob_.size(); ++m) {
      const T& zp = zpow_[m * e_count_ + (e - e_min_)];
      if (zp == 0) continue;
      T term = prob_[m] * zp;
      for (const auto& [j, w] : weights)
        for (int r = 0; r < w; ++r) term *= value_[digit_[m * s_ + j]];
      total += term;
      if constexpr (!is_exact_v<T>) abs_total += std::fabs(to_double(term));
    }
    if constexpr (!is_exact_v<T>) err += abs_total * eps_of<T>() * (s_ + e + 6);
    return total;
  }
  double bound() const { return bound_; }

 private:
  int s_, e_min_, e_count_;
  std::vector<T> value_, weight_;
  std::vector<int> digit_;
  std::vector<T> prob_, zpow_;
  double bound_ = 0;
};

/// v ~ N(0, I_s): z = a·v + c ~ N(c, σ²), σ² = Σ a_j². With t = c/σ and J_r(t) = E[Y^r; Y > −t] (Y ~ N(0, 1);
/// J_0 = Φ(t), J_1 = φ(t), J_r = (−t)^{r−1}φ(t) + (r − 1)J_{r−2}), E z_+^q = Σ_r C(q, r) c^{q−r} σ^r J_r(t).
/// Weights by Stein's lemma, g = (·)_+^e: E v_j g(z) = a_j E g'(z), E v_j v_l g(z) = a_j a_l E g''(z) (j ≠ l),
/// E v_j² g(z) = E g(z) + a_j² E g''(z), where E g^{(r)}(z) = e!/(e−r)!·E z_+^{e−r} for r ≤ e, and the derivatives
/// of the step are those of the density f of z at 0: E δ(z) = f(0) = φ(t)/σ, E δ'(z) = −f'(0) = −(t/σ)·f(0).
template <class T>
class GaussianBlock {
 public:
  GaussianBlock(const std::vector<T>& a, const T& c, int e_max) : a_(a), c_(c) {
    if constexpr (is_exact_v<T>) {
      throw std::logic_error("GaussianBlock: no exact rational route (Phi is not rational)");
    } else {
      using std::sqrt, std::exp, std::erfc;
      T var = T(0);
      for (const T& x : a) var += x * x;
      sigma_ = sqrt(var);
      bound_ = to_double(abs_of(c)) + to_double(sigma_);
      ez_.assign(e_max + 1, T(0));
      ez_err_.assign(e_max + 1, 0.0);
      if (a.empty()) {  // z = c
        for (int q = 0; q <= e_max; ++q) ez_[q] = c > 0 ? ipow(c, q) : T(0);
        return;
      }
      if (!(sigma_ > 0)) {  // Σ a_j² underflowed: hand the block to a wider type
        for (double& x : ez_err_) x = std::numeric_limits<double>::infinity();
        return;
      }
      const double eps = eps_of<T>();
      const T t = c / sigma_;
      const T Phi = erfc(-t / sqrt(T(2))) / 2;
      const T phi = exp(-t * t / 2) / sqrt(2 * boost::math::constants::pi<T>());
      f0_ = phi / sigma_;
      std::vector<T> J(e_max + 1);
      std::vector<double> Jabs(e_max + 1);
      const double td = std::fabs(to_double(t)), phid = to_double(phi);
      for (int r = 0; r <= e_max; ++r) {
        if (r == 0) J[r] = Phi, Jabs[r] = to_double(Phi);
        else if (r == 1) J[r] = phi, Jabs[r] = phid;
        else {
          J[r] = ipow(T(-t), r - 1) * phi + T(r - 1) * J[r - 2];
          Jabs[r] = std::pow(td, r - 1) * phid + (r - 1) * Jabs[r - 2];
        }
      }
      const double cd = to_double(abs_of(c)), sd = to_double(sigma_);
      for (int q = 0; q <= e_max; ++q) {
        T sum = T(0);
        double abs_sum = 0, binom = 1;
        for (int r = 0; r <= q; ++r) {
          if (r > 0) binom = binom * (q - r + 1) / r;
          sum += T(binom) * ipow(c, q - r) * ipow(sigma_, r) * J[r];
          abs_sum += binom * std::pow(cd, q - r) * std::pow(sd, r) * Jabs[r];
        }
        ez_[q] = sum;
        ez_err_[q] = eps * (2 * q + 12) * abs_sum;  // the products, the recursion, exp and erfc (a few ulps each)
      }
      f0_err_ = eps * 8 * to_double(f0_);
    }
  }
  T moment(int e, const Weights& weights, double& err) const {
    if (weights.empty()) {
      err += ez_err_[e];
      return ez_[e];
    }
    if (weights.size() == 2) {
      const T f = a_[weights[0].first] * a_[weights[1].first];
      err += std::fabs(to_double(f)) * derivative_err(e, 2);
      return f * derivative(e, 2);
    }
    const auto [j, w] = weights[0];
    if (w == 1) {
      err += std::fabs(to_double(a_[j])) * derivative_err(e, 1);
      return a_[j] * derivative(e, 1);
    }
    const T f = a_[j] * a_[j];
    err += ez_err_[e] + std::fabs(to_double(f)) * derivative_err(e, 2);
    return ez_[e] + f * derivative(e, 2);
  }
  double bound() const { return bound_; }

 private:
  /// E (d/dz)^r z_+^e for r ∈ {1, 2} (z_+^0 the step).
  T derivative(int e, int r) const {
    if (r <= e) return T(r == 1 ? e : e * (e - 1)) * ez_[e - r];
    const T fact = T(e == 3 ? 6 : e == 2 ? 2 : 1);  // e ≤ 1 here
    if (r == e + 1) return fact * f0_;
    return -fact * (c_ / sigma_ / sigma_) * f0_;  // r = e + 2: −e!·f'(0)
  }
  double derivative_err(int e, int r) const {
    if (r <= e) return e * e * ez_err_[e - r];
    const double extra = r == e + 1 ? 1 : 3 * std::fabs(to_double(T(c_ / sigma_ / sigma_)));
    return 2 * extra * (f0_err_ + eps_of<T>() * std::fabs(to_double(f0_)));
  }
  std::vector<T> a_;
  T c_, sigma_ = T(0), f0_ = T(0);
  std::vector<T> ez_;
  std::vector<double> ez_err_;
  double f0_err_ = 0, bound_ = 0;
};

/// The value law as the block routines see it: its kind, atoms, and the moments E v, E v² of one value.
struct BlockLaw {
  enum class Kind { uniform01, uniform, gaussian, atoms, monte_carlo_only } kind = Kind::uniform01;
  std::vector<Rational> value, weight;  // atoms (kind atoms)
  Rational m1 = Rational(1, 2), m2 = Rational(1, 3);

  explicit BlockLaw(const ValueLaw& law) {
    if (!law.symmetric) return;
    const Law& L = *law.symmetric;
    m1 = 0;
    m2 = L.moment(2);
    if (!L.atoms().empty()) {
      kind = Kind::atoms;
      for (const auto& [v, w] : L.atoms()) value.push_back(v), weight.push_back(w);
    } else if (L.kind() == Law::Kind::uniform) {
      kind = Kind::uniform;
    } else if (L.kind() == Law::Kind::gaussian) {
      kind = Kind::gaussian;
    } else {
      kind = Kind::monte_carlo_only;
    }
  }
};

/// The moments of one block (i, S) that the loss and its gradient need. z = (Σ_{j∈S'} a_j v_j + c)_+ over the
/// active variables with a_j ≠ 0; `i_active` whether feature i itself is in S; `i_pos` its index in S' or −1
/// (then v_i, if active, is independent of z).
template <class T>
struct BlockMoments {
  T Ex2, A, B;          // E x_i², E z^{2k}, E x_i z^k
  T C1, C2;             // E z^{2k−1}, E x_i z^{k−1}  (z^0 = [a·v + c > 0])
  std::vector<T> D, E;  // per member of S': E v_j z^{2k−1}, E x_i v_j z^{k−1}
  T Di, Ei;             // for i active with a_i = 0: E v_i z^{2k−1}, E v_i² z^{k−1}
  double err = 0;       // absolute error bound of every moment above
  double scale = 1;     // 1 + (|c| + Σ|a_j|·r)^{2k}, r the typical size of a value
};

/// The block's moments from a provider (Cube, SymmetricCube, AtomSum, GaussianBlock) of s variables.
template <class T, class Provider>
BlockMoments<T> block_moments_with(const Provider& cube, const BlockLaw& law, int s, int k, bool i_active,
                                   int i_pos, bool grad) {
  BlockMoments<T> out;
  out.scale = 1 + std::pow(cube.bound(), 2 * k);
  double& err = out.err;
  const T m1 = from_rational<T>(law.m1), m2 = from_rational<T>(law.m2);
  out.Ex2 = i_active ? m2 : T(0);
  out.A = cube.moment(2 * k, {}, err);
  // E x_i z^q: x_i = v_i in the block when i_pos ≥ 0, else independent with mean m1 (or 0 when inactive).
  auto xz = [&](int q) -> T {
    if (!i_active) return T(0);
    if (i_pos >= 0) return cube.moment(q, {{i_pos, 1}}, err);
    return m1 == 0 ? T(0) : T(m1 * cube.moment(q, {}, err));
  };
  out.B = xz(k);
  if (!grad) return out;
  out.C1 = cube.moment(2 * k - 1, {}, err);
  out.C2 = xz(k - 1);
  out.D.resize(s);
  out.E.resize(s);
  for (int j = 0; j < s; ++j) {
    out.D[j] = cube.moment(2 * k - 1, {{j, 1}}, err);
    if (!i_active) out.E[j] = T(0);
    else if (j == i_pos) out.E[j] = cube.moment(k - 1, {{j, 2}}, err);
    else if (i_pos >= 0) out.E[j] = cube.moment(k - 1, {{i_pos, 1}, {j, 1}}, err);
    else out.E[j] = m1 == 0 ? T(0) : T(m1 * cube.moment(k - 1, {{j, 1}}, err));
  }
  if (i_active && i_pos < 0) {
    out.Di = m1 * out.C1;
    out.Ei = m2 * cube.moment(k - 1, {}, err);
  }
  return out;
}

template <class T>
BlockMoments<T> block_moments(const BlockLaw& law, const std::vector<T>& a, const T& c, int k, bool i_active,
                              int i_pos, bool grad) {
  const int e_min = grad ? k - 1 : k, s = static_cast<int>(a.size());
  using Kind = BlockLaw::Kind;
  switch (law.kind) {
    case Kind::uniform01:
      return block_moments_with<T>(Cube<T>(a, c, e_min, 2 * k), law, s, k, i_active, i_pos, grad);
    case Kind::uniform:
      return block_moments_with<T>(SymmetricCube<T>(a, c, e_min, 2 * k), law, s, k, i_active, i_pos, grad);
    case Kind::atoms:
      return block_moments_with<T>(AtomSum<T>(a, c, e_min, 2 * k, law.value, law.weight), law, s, k, i_active,
                                   i_pos, grad);
    case Kind::gaussian:
      return block_moments_with<T>(GaussianBlock<T>(a, c, 2 * k), law, s, k, i_active, i_pos, grad);
    case Kind::monte_carlo_only: break;
  }
  throw std::logic_error("block_moments: no exact route for this value law");
}

/// Acceptable absolute error of a block relative to its scale, per type.
template <class T>
double block_tolerance() {
  if constexpr (std::is_same_v<T, double>) return 1e-11;
  else if constexpr (std::is_same_v<T, Real50>) return 1e-42;
  else return 1e-90;
}

template <class T>
struct Wider;
template <> struct Wider<double> { using type = Real50; };
template <> struct Wider<Real50> { using type = Real100; };
template <> struct Wider<Real100> { using type = Rational; };

/// block_moments in T, recomputed in wider types (converted back to T) until the error bound is within tolerance.
/// The gaussian route stops at MPFR-100 (Φ has no rational value). `widened` counts the recomputations.
template <class T>
BlockMoments<T> accurate_block(const BlockLaw& law, const std::vector<T>& a, const T& c, int k, bool i_active,
                               int i_pos, bool grad, int& widened) {
  BlockMoments<T> m = block_moments(law, a, c, k, i_active, i_pos, grad);
  if constexpr (!is_exact_v<T>) {
    const bool last = std::is_same_v<T, Real100> && law.kind == BlockLaw::Kind::gaussian;
    if (m.err > block_tolerance<T>() * m.scale && !last) {
      using U = typename Wider<T>::type;
      std::vector<U> aw(a.size());
      for (std::size_t j = 0; j < a.size(); ++j) aw[j] = cast<U>(a[j]);
      const BlockMoments<U> w = accurate_block<U>(law, aw, cast<U>(c), k, i_active, i_pos, grad, widened);
      ++widened;
      BlockMoments<T> back;
      back.Ex2 = cast<T>(w.Ex2), back.A = cast<T>(w.A), back.B = cast<T>(w.B);
      back.C1 = cast<T>(w.C1), back.C2 = cast<T>(w.C2), back.Di = cast<T>(w.Di), back.Ei = cast<T>(w.Ei);
      for (const U& x : w.D) back.D.push_back(cast<T>(x));
      for (const U& x : w.E) back.E.push_back(cast<T>(x));
      // The wider result, rounded to T: half an ulp of T per moment (relative to the scale).
      back.err = w.err + eps_of<T>() * m.scale;
      back.scale = m.scale;
      return back;
    }
  }
  return m;
}

/// The route of an exact evaluation in T under `law`.
template <class T>
Route route_of(const BlockLaw& law) {
  if (is_exact_v<T>) return Route::exact_rational;
  return law.kind == BlockLaw::Kind::atoms ? Route::enumeration : Route::closed_form;
}

/// "" when expected_loss<T> has an exact route for the law, n and (finite laws, M given) the sparsity of M; else
/// the reason, one phrase.
template <class T>
std::string refusal(const Problem& problem, const Matrix<T>* M, bool size_limit) {
  const BlockLaw law(problem.law);
  if (law.kind == BlockLaw::Kind::monte_carlo_only)
    return "no exact route is built for the value law " + problem.law.name();
  if (law.kind == BlockLaw::Kind::gaussian && is_exact_v<T>)
    return "the gaussian law's loss involves Phi and phi, which have no exact rational value (use 16, 50 or 100 "
           "digits)";
  if (size_limit && problem.n > kMaxExactFeatures)
    return "the exact ReLU loss sums over active sets and takes n <= " + std::to_string(kMaxExactFeatures) +
           " (got n = " + std::to_string(problem.n) + ")";
  if (law.kind == BlockLaw::Kind::atoms && M) {
    const double K = static_cast<double>(law.value.size());
    double points = 0;
    for (int i = 0; i < problem.n; ++i) {
      int u = 0;
      for (int j = 0; j < problem.n; ++j) u += j == i || (*M)(i, j) != 0;
      points += std::pow(1 + K, u);
    }
    if (points > kMaxEnumeratedPoints)
      return "enumerating the " + std::to_string(law.value.size()) + " values of " + problem.law.name() +
             " over the active sets visits about " + to_decimal(points, 2) + " value combinations (limit " +
             to_decimal(kMaxEnumeratedPoints, 2) + ")";
  }
  return "";
}

template <class T>
void check_exact_law(const Problem& problem, const Matrix<T>* M, bool size_limit) {
  const std::string why = refusal(problem, M, size_limit);
  if (why.empty()) return;
  if (size_limit && problem.n > kMaxExactFeatures)
    throw InputError("--n: " + why + "; use --mc-samples (Monte Carlo) or the low-order terms");
  throw InputError("--law " + problem.law.name() + ": " + why + "; estimate it with --mc-samples");
}

template <class T>
Matrix<T> pre_matrix(const Problem& problem, const Params<T>& params) {
  const Matrix<T>& dec = problem.tied ? params.W : params.W_dec;
  return dec.transpose() * params.W;  // M_ij = Σ_r W_dec(r,i)·W(r,j), n×n
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// The exact expected loss
// ---------------------------------------------------------------------------------------------------------------

template <class T>
LossEvaluation<T> expected_loss(const Problem& problem, const Params<T>& params, bool with_gradient) {
  problem.validate();
  params.validate(problem);
  check_exact_law<T>(problem, static_cast<const Matrix<T>*>(nullptr), true);
  const int n = problem.n, k = problem.k;
  const Matrix<T> M = pre_matrix(problem, params);
  check_exact_law<T>(problem, &M, true);
  const BlockLaw law(problem.law);
  const T m1 = from_rational<T>(law.m1);
  std::vector<T> p(n), q(n), imp(n);
  for (int j = 0; j < n; ++j) {
    p[j] = from_rational<T>(problem.p[j]);
    q[j] = from_rational<T>(Rational(1) - problem.p[j]);
    imp[j] = from_rational<T>(problem.importance[j]);
  }
  LossEvaluation<T> out;
  out.route = route_of<T>(law);
  out.loss = T(0);
  out.zero_loss = T(0);
  out.loss_per_feature = Vector<T>::Zero(n);
  Matrix<T> G = Matrix<T>::Zero(with_gradient ? n : 0, with_gradient ? n : 0);  // ∂L/∂M
  if (with_gradient) out.grad_b = Vector<T>::Zero(n);
  const double eps = eps_of<T>();
  double err = 0, grad_err = 0, magnitude = 0;
  for (int i = 0; i < n; ++i) {
    out.zero_loss += imp[i] * p[i] * from_rational<T>(law.m2);
    std::vector<int> U;  // variables that matter for feature i: M_ij ≠ 0, and i itself
    for (int j = 0; j < n; ++j)
      if (j == i || M(i, j) != 0) U.push_back(j);
    const int u = static_cast<int>(U.size());
    T Li = T(0), Gb = T(0);
    std::vector<T> Grow(with_gradient ? n : 0, T(0));
    const double Ii = to_double(imp[i]);
    for (unsigned mask = 0; mask < (1u << u); ++mask) {
      T P = T(1);
      std::vector<T> a;
      std::vector<int> members;
      bool i_active = false;
      int i_pos = -1;
      for (int t = 0; t < u; ++t) {
        const int j = U[t];
        if (mask >> t & 1u) {
          P *= p[j];
          if (j == i) i_active = true;
          if (M(i, j) != 0) {
            if (j == i) i_pos = static_cast<int>(a.size());
            a.push_back(M(i, j));
            members.push_back(j);
          }
        } else {
          P *= q[j];
        }
      }
      if (P == 0) continue;
      const BlockMoments<T> bm = accurate_block(law, a, params.b(i), k, i_active, i_pos, with_gradient,
                                                     out.widened_blocks);
      const T f = bm.Ex2 - 2 * bm.B + bm.A;
      Li += P * f;
      const double Pd = to_double(P);
      err += Ii * Pd * 3 * bm.err;
      magnitude += Ii * Pd * to_double(bm.Ex2 + 2 * bm.B + bm.A);
      if (with_gradient) {
        const T kk = T(2 * k);
        Gb += P * kk * (bm.C1 - bm.C2);
        for (std::size_t t = 0; t < members.size(); ++t) Grow[members[t]] += P * kk * (bm.D[t] - bm.E[t]);
        if (i_active && i_pos < 0) Grow[i] += P * kk * (bm.Di - bm.Ei);
        grad_err += Ii * Pd * 4 * k * bm.err;
      }
    }
    out.loss_per_feature(i) = imp[i] * Li;
    out.loss += imp[i] * Li;
    if (with_gradient) {
      out.grad_b(i) = imp[i] * Gb;
      for (int j = 0; j < n; ++j) {
        // M_ij = 0, j ≠ i: v_j is independent of z_i, so ∂f/∂M_ij = E v_j·∂f/∂b_i when j is active.
        if (j != i && M(i, j) == 0) G(i, j) = imp[i] * p[j] * m1 * Gb;
        else G(i, j) = imp[i] * Grow[j];
      }
    }
  }
  // Rounding of the sums over blocks and features (each term at most `magnitude` in total).
  out.abs_error = err + eps * (n + 2.0 * (n + 1)) * magnitude;
  if (with_gradient) {
    const Matrix<T>& W = params.W;
    if (problem.tied) {
      out.grad_W = W * (G + G.transpose());
    } else {
      out.grad_W = params.W_dec * G;
      out.grad_W_dec = W * G.transpose();
    }
    out.grad_abs_error = grad_err * (1 + static_cast<double>(problem.d) * n) + eps * magnitude * 4 * k * n;
  }
  return out;
}

template <class T>
std::string exact_route_refusal(const Problem& problem, const Params<T>& params) {
  problem.validate();
  params.validate(problem);
  const std::string why = refusal(problem, static_cast<const Matrix<T>*>(nullptr), true);
  if (!why.empty()) return why;  // before forming M (n may be large)
  const Matrix<T> M = pre_matrix(problem, params);
  return refusal(problem, &M, true);
}

// ---------------------------------------------------------------------------------------------------------------
// The precision ladder
// ---------------------------------------------------------------------------------------------------------------

LadderLoss expected_loss_with_ladder(const Problem& problem, const Params<Rational>& params, bool with_gradient,
                                     int digits, bool climb) {
  if (digits != 16 && digits != 50 && digits != 100 && digits != 0)
    throw InputError("--digits " + std::to_string(digits) + ": unsupported precision (accepted: 16, 50, 100, exact)");
  problem.validate();
  params.validate(problem);
  if (digits == 0) check_exact_law<Rational>(problem, static_cast<const Matrix<Rational>*>(nullptr), true);
  else check_exact_law<double>(problem, static_cast<const Matrix<double>*>(nullptr), true);
  const bool gaussian = BlockLaw(problem.law).kind == BlockLaw::Kind::gaussian;
  LadderLoss out;
  std::string note;
  if (digits == 16 && climb) {
    std::string cell = out_of_double_range(params.W, "W");
    if (cell.empty() && !problem.tied) cell = out_of_double_range(params.W_dec, "W_dec");
    if (cell.empty()) cell = out_of_double_range(Matrix<Rational>(params.b), "b");
    if (!cell.empty()) {
      note = cell + " is outside the range of double";
      digits = 50;
    }
  }
  out.digits = climb_precision_ladder(digits, climb, [&](int rung) -> std::string {
    std::string shortfall;
    auto run = [&]<class T>() {
      Params<T> pt;
      pt.W = params.W.unaryExpr([](const Rational& x) { return from_rational<T>(x); });
      if (!problem.tied) pt.W_dec = params.W_dec.unaryExpr([](const Rational& x) { return from_rational<T>(x); });
      pt.b = params.b.unaryExpr([](const Rational& x) { return from_rational<T>(x); });
      LossEvaluation<T> ev = expected_loss(problem, pt, with_gradient);
      // The gaussian route has no rung above MPFR-100: accept what it kept.
      if constexpr (!is_exact_v<T>)
        if (!(gaussian && rung == 100)) shortfall = detail::rung_shortfall(rung, ev.loss_digits(), "loss");
      out.ev = std::move(ev);
    };
    detail::at_rung(rung, run);
    return shortfall;
  }, note);
  out.note = note;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The low-order terms
// ---------------------------------------------------------------------------------------------------------------

template <class T>
LowOrderTerms<T> low_order_terms(const Problem& problem, const Params<T>& params) {
  problem.validate();
  params.validate(problem);
  check_exact_law<T>(problem, static_cast<const Matrix<T>*>(nullptr), false);
  const int n = problem.n, k = problem.k;
  const Matrix<T> M = pre_matrix(problem, params);
  const BlockLaw law(problem.law);
  Rational tq = 0;
  for (const Rational& x : problem.p) tq = std::max(tq, x);
  std::vector<T> pi(n);
  for (int j = 0; j < n; ++j) pi[j] = from_rational<T>(problem.p[j] / tq);
  LowOrderTerms<T> out;
  out.route = route_of<T>(law);
  out.t = from_rational<T>(tq);
  out.c0 = out.c1 = out.c2 = T(0);
  int widened = 0;
  double err = 0;
  const double t = to_double(out.t);
  // f_i(S) for |S| ≤ 2: variables with M_ij = 0 and j ≠ i do not enter (f_i(S) = f_i(S ∩ U_i)).
  auto f = [&](int i, std::initializer_list<int> S, double weight) -> T {
    std::vector<T> a;
    bool i_active = false;
    int i_pos = -1;
    for (int j : S) {
      if (j == i) i_active = true;
      if (M(i, j) != 0) {
        if (j == i) i_pos = static_cast<int>(a.size());
        a.push_back(M(i, j));
      }
    }
    const BlockMoments<T> bm = accurate_block(law, a, params.b(i), k, i_active, i_pos, false, widened);
    err += weight * 3 * bm.err;
    return bm.Ex2 - 2 * bm.B + bm.A;
  };
  for (int i = 0; i < n; ++i) {
    const T Ii = from_rational<T>(problem.importance[i]);
    const double Id = to_double(Ii);
    const T f0 = f(i, {}, Id * (1 + n * t + n * n * t * t));
    std::vector<T> f1(n);
    for (int j = 0; j < n; ++j) f1[j] = (j == i || M(i, j) != 0) ? f(i, {j}, Id * (t + n * t * t)) : f0;
    out.c0 += Ii * f0;
    T c1 = T(0), c2 = T(0);
    for (int j = 0; j < n; ++j) {
      c1 += pi[j] * (f1[j] - f0);
      const bool jm = j == i || M(i, j) != 0;
      if (!jm) continue;  // the second difference vanishes when either variable does not enter
      for (int l = j + 1; l < n; ++l) {
        if (!(l == i || M(i, l) != 0)) continue;
        c2 += pi[j] * pi[l] * (f(i, {j, l}, Id * t * t) - f1[j] - f1[l] + f0);
      }
    }
    out.c1 += Ii * c1;
    out.c2 += Ii * c2;
  }
  out.abs_error = err;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Monte Carlo
// ---------------------------------------------------------------------------------------------------------------

ValueSampler::ValueSampler(const ValueLaw& law) : law_(law) {
  if (law.symmetric && !law.symmetric->atoms().empty()) {
    double acc = 0;
    for (const auto& [v, w] : law.symmetric->atoms()) {
      atom_value_.push_back(from_rational<double>(v));
      acc += from_rational<double>(w);
      atom_cdf_.push_back(acc);
    }
  }
}

double ValueSampler::operator()(std::mt19937_64& rng) {
  if (!law_.symmetric) return unif_(rng);
  switch (law_.symmetric->kind()) {
    case Law::Kind::gaussian: return normal_(rng);
    case Law::Kind::uniform: return 2 * unif_(rng) - 1;
    case Law::Kind::laplace: return unif_(rng) < 0.5 ? -expo_(rng) : expo_(rng);
    default: {
      const double r = unif_(rng) * atom_cdf_.back();
      const auto it = std::upper_bound(atom_cdf_.begin(), atom_cdf_.end(), r);
      return atom_value_[std::min<std::size_t>(it - atom_cdf_.begin(), atom_value_.size() - 1)];
    }
  }
}

MonteCarloLoss monte_carlo_loss(const Problem& problem, const Params<double>& params, long long samples,
                                std::uint64_t seed) {
  problem.validate();
  params.validate(problem);
  if (samples < 2) throw InputError("--mc-samples: at least 2 samples are needed for a standard error (got " +
                                    std::to_string(samples) + ")");
  const int n = problem.n, d = problem.d, k = problem.k;
  const Matrix<double>& dec = problem.tied ? params.W : params.W_dec;
  std::vector<double> p(n), imp(n);
  for (int j = 0; j < n; ++j) {
    p[j] = from_rational<double>(problem.p[j]);
    imp[j] = from_rational<double>(problem.importance[j]);
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  ValueSampler draw(problem.law);
  Vector<double> x(n), h(d);
  double mean = 0, m2 = 0;  // Welford
  for (long long s = 0; s < samples; ++s) {
    h.setZero();
    for (int j = 0; j < n; ++j) {
      x(j) = unif(rng) < p[j] ? draw(rng) : 0.0;
      if (x(j) != 0) h += params.W.col(j) * x(j);
    }
    double loss = 0;
    for (int i = 0; i < n; ++i) {
      const double z = dec.col(i).dot(h) + params.b(i);
      const double y = z > 0 ? std::pow(z, k) : 0.0;
      loss += imp[i] * (x(i) - y) * (x(i) - y);
    }
    const double delta = loss - mean;
    mean += delta / static_cast<double>(s + 1);
    m2 += delta * (loss - mean);
  }
  MonteCarloLoss out;
  out.loss = mean;
  out.standard_error = std::sqrt(m2 / static_cast<double>(samples - 1) / static_cast<double>(samples));
  out.samples = samples;
  out.seed = seed;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Instantiations
// ---------------------------------------------------------------------------------------------------------------

#define SUPERPOSE_RELU_INSTANTIATE(T)                                                                     \
  template void Params<T>::validate(const Problem&) const;                                               \
  template int LossEvaluation<T>::loss_digits() const;                                                   \
  template LossEvaluation<T> expected_loss<T>(const Problem&, const Params<T>&, bool);                   \
  template LowOrderTerms<T> low_order_terms<T>(const Problem&, const Params<T>&);                         \
  template std::string exact_route_refusal<T>(const Problem&, const Params<T>&);
SUPERPOSE_RELU_INSTANTIATE(double)
SUPERPOSE_RELU_INSTANTIATE(Real50)
SUPERPOSE_RELU_INSTANTIATE(Real100)
SUPERPOSE_RELU_INSTANTIATE(Rational)
#undef SUPERPOSE_RELU_INSTANTIATE

}  // namespace superpose::relu
