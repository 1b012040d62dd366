// Closed-form bounds on sup_W L̃(W) (theory/theory.hpp). Proofs and provenance: docs/theory.md §3–§6.
#include "theory/theory.hpp"

#include <boost/math/constants/constants.hpp>


#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

namespace superpose {

std::string_view to_string(BoundStatus s) {
  switch (s) {
    case BoundStatus::proved_in_paper: return "proved-in-paper";
    case BoundStatus::proved_here: return "proved-here";
    case BoundStatus::conjecture: return "conjecture";
    case BoundStatus::unreviewed_claim: return "unreviewed-claim";
    case BoundStatus::construction: return "construction";
    case BoundStatus::order: return "order";
    case BoundStatus::refuted: return "refuted";
  }
  return "?";
}

std::string_view to_string(BoundSide s) {
  switch (s) {
    case BoundSide::lower: return "lower";
    case BoundSide::upper: return "upper";
    case BoundSide::exact: return "exact";
    case BoundSide::limit: return "limit";
  }
  return "?";
}

namespace {

template <class T>
T pw(const T& x, const T& y) {
  using std::pow;
  return pow(x, y);
}


template <class T>
std::string precision_of() {
  return std::to_string(digits_of<T>()) + " digits";
}

template <class T>
Bound<T> make(std::string name, T value, BoundStatus st, BoundSide side, std::string cite) {
  return Bound<T>{std::move(name), std::move(value), st, side, std::move(cite), precision_of<T>(), {}, std::nullopt};
}

template <class T>
T mu(const Setting& s, int k) {
  return from_rational<T>(s.law.moment(k));
}

}  // namespace

template <class T>
std::string regime(int d, int m, const T& p) {
  T dm = ipow(T(d), m);
  if (p * dm <= 1) return "very-sparse";
  if (p * dm <= T(d)) return "intermediate";
  return "dense";
}

template <class T>
Bound<T> bound_zero_loss(const Setting& s, const T& p) {
  check_probability(p);
  return make<T>("zero_loss", p * T(s.n) * mu<T>(s, 2), BoundStatus::proved_in_paper, BoundSide::upper,
                 "paper Eq. (6): loss = p*n*mu_2 - gain >= 0");
}

template <class T>
Bound<T> bound_unsuperposed(const Setting& s, const T& p) {
  check_probability(p);
  return make<T>("unsuperposed", p * T(std::min(s.d, s.n)) * from_rational<T>(s.law.c_mu(s.m)),
                 BoundStatus::construction, BoundSide::lower,
                 "paper Eq. (9); optimum A_ii^m = mu_{m+1}/mu_{2m}, docs/theory.md §4.1");
}

template <class T>
Bound<T> bound_linear(const Setting& s, const T& p) {
  check_probability(p);
  if (s.m != 1) throw std::invalid_argument("bound_linear: m must be 1");
  return make<T>("linear", p * mu<T>(s, 2) * T(std::min(s.d, s.n)), BoundStatus::proved_here, BoundSide::exact,
                 "paper Eq. (10) gives <= p*mu_2*d; exact sup by a rank-min(d,n) projection, docs/theory.md §4.2");
}

template <class T>
Bound<T> bound_tensor_rank_upper(const Setting& s, const T& p) {
  check_probability(p);
  Rational r = std::min(Rational(s.n), sym_dim(s.d, s.m));
  return make<T>("tensor_rank_upper", p * mu<T>(s, 2) * from_rational<T>(r), BoundStatus::proved_here,
                 BoundSide::upper, "docs/theory.md §4.3 (explicit-constant form of paper Theorem 3.1)");
}

std::string FstarBracket::describe() const {
  if (proved())
    return "F*_n(d,m) = " + upper.str() + " (proved: the " + lower_kind + " witness meets the upper bound by " +
           upper_method + ")";
  // Short fractions as they are; long ones as 12-digit decimals rounded outward (the lower end down, the upper end
  // up), so the printed bracket still contains F*_n and an open bracket never prints as [x, x].
  auto dec = [](const Rational& x, bool down) {
    if (x.str().size() <= 24) return x.str();
    const auto ends = interval_to_decimal(interval_from_rational(x), 12);
    return down ? ends.first : ends.second;
  };
  return "F*_n(d,m) in [" + dec(lower, true) + ", " + dec(upper, false) + "] (certified; lower: " + lower_kind +
         ", upper: " + upper_method + "; the upper end is used)";
}

FstarBracket fstar_n_closed_form_bracket(int d, int m, int n) {
  check_sizes(d, n);
  check_power(m);
  FstarBracket b;
  const Rational fstar = f_star(d, m);
  if (Rational(n) >= sym_dim(d, 2 * m)) {
    b.lower = b.upper = fstar;
    b.lower_kind = "design";
    b.upper_method = "F*(d,m)";
  } else {
    b.lower = Rational(std::min(d, n));
    b.lower_kind = "weights";
    b.upper = std::min(Rational(n), fstar);
    b.upper_method = "min(n, F*(d,m))";
  }
  return b;
}

namespace {

// The bracket must lie in the proved range [min(d, n), min(n, F*(d, m))]: a caller's bracket outside it is a bug.
void check_bracket(const Setting& s, const FstarBracket& b) {
  if (b.lower < std::min(s.d, s.n) || b.lower > b.upper || b.upper > std::min(Rational(s.n), f_star(s.d, s.m)) ||
      (b.design() && b.lower != f_star(s.d, s.m)))
    throw std::invalid_argument("first_order_limit: the bracket [" + b.lower.str() + ", " + b.upper.str() +
                                "] of F*_n(d,m) is not within [min(d,n), min(n, F*(d,m))] at d = " +
                                std::to_string(s.d) + ", n = " + std::to_string(s.n) + ", m = " + std::to_string(s.m));
}

}  // namespace

template <class T>
Bound<T> bound_first_order_limit(const Setting& s, const T& p, const FstarBracket& fstar_n) {
  check_probability(p);
  check_bracket(s, fstar_n);
  const Rational& slope = fstar_n.upper;  // F*_n ≤ slope; = F*(d,m) from the design size on
  const T value = p * from_rational<T>(s.law.c_mu(s.m) * slope);
  const bool laplace = s.law.kind() == Law::Kind::laplace;
  Bound<T> b = make<T>("first_order_limit", value, BoundStatus::conjecture,
                       laplace ? BoundSide::limit : BoundSide::upper,
                       "c_mu*F*_n(d,m)*p: p->0 limit proved (docs/theory.md Thm 5.5(b)); as an upper bound at every p "
                       "a conjecture (§5.5; paper Eq. (23))");
  if (!fstar_n.design())
    b.detail = "n = " + std::to_string(s.n) + " < C(d+2m-1,2m) = " + sym_dim(s.d, 2 * s.m).str() +
               ": value c_mu*F*_n(d,m)*p, " + fstar_n.describe() + ", c_mu = " + s.law.c_mu(s.m).str() +
               "; c_mu*F*(d,m)*p = " + rational_to_decimal(s.law.c_mu(s.m) * f_star(s.d, s.m), 12) +
               "*p is the limit only from the design size on";
  if (std::optional<Certificate> c = first_order_limit_certificate(s, fstar_n)) {
    mark_first_order_limit_refuted(b, std::move(*c));
  } else if (laplace) {
    // Side `limit`: the row states p times the p -> 0 limit of sup gain/p, c_mu*F*_n(d,m) (Theorem 5.5(b)), which is
    // proved: F*_n = F*(d,m) from the design size on (Theorem 5.5(c)); below it the value is c_mu*U*p with U the
    // certified upper end of the bracket, equal to the limit where the bracket is proved, above it otherwise.
    b.status = BoundStatus::proved_here;
    b.citation = fstar_n.design()
                     ? "c_mu*F*(d,m)*p: p->0 limit of sup gain, proved for n >= C(d+2m-1,2m) (docs/theory.md Thm "
                       "5.5(c)); NOT an upper bound for laplace at finite p in general (Prop. 5.7)"
                 : fstar_n.proved()
                     ? "c_mu*F*_n(d,m)*p: p->0 limit of sup gain proved (docs/theory.md Thm 5.5(b)), F*_n proved "
                       "(§5.8); NOT an upper bound for laplace at finite p in general (Prop. 5.7)"
                     : "c_mu*U*p with F*_n(d,m) <= U certified (docs/theory.md §5.8): at least p times the p->0 limit "
                       "c_mu*F*_n(d,m) of sup gain/p (Thm 5.5(b)), equal to it if F*_n = U; NOT an upper bound for "
                       "laplace at finite p in general (Prop. 5.7)";
  } else if (s.law.kind() == Law::Kind::gaussian &&
             (Rational(s.n) == slope || p == 1 || p * from_rational<T>(slope) >= T(s.d) * (T(1) + T(1e-12)))) {
    // c_mu*E[min(d,N)] <= c_mu*min(n*p, d) <= c_mu*U*p: implied by gaussian_stein_upper (Theorem 4.6). At p = 1,
    // E[min(d,N)] = min(d,n) <= F*_n <= U.
    b.status = BoundStatus::proved_here;
    b.citation = "c_mu*F*_n(d,m)*p: implied here by gaussian_stein_upper, since E[min(d,N)] <= min(n*p, d) <= F*_n*p "
                 "(F*_n = n, p = 1 or p >= d/F*_n, F*_n at the upper end of its bracket; docs/theory.md Theorem 4.6, "
                 "Corollary 4.7)";
  }
  return b;
}

std::pair<Rational, Rational> two_feature_beta_delta(const Law& law, int m) {
  check_power(m);
  auto B = [&](int k) {
    Rational sum = 0, binom = 1;  // binom = C(k, j) for j = 0, 1, ...
    for (int j = 1; j <= k - 1; ++j) {
      binom = binom * (k - j + 1) / j;
      if (j % 2 == 0) sum += binom * law.moment(j) * law.moment(k - j);
    }
    return sum;
  };
  return {B(m + 1) / (2 * law.moment(m + 1)), B(2 * m) / (2 * law.moment(2 * m))};
}

namespace {

// Rounds the best scale of W (Real50) to `digits` significant digits, evaluates the result exactly at p and
// returns it as a certificate if its exact gain beats `bound`.
std::optional<Certificate> certify_family(Matrix<Real50> W, int m, const Law& law, const Rational& p,
                                          const Rational& bound, const std::string& family) {
  const Real50 p50 = from_rational<Real50>(p);
  for (int digits : {12, 30}) {
    const GainTerms<Real50> t = gain_terms(row_power_sums(W, m, 1), law, p50);
    const ScaledGain<Real50> sg = best_scaled_gain(t, m);
    if (!(sg.scale > 0)) return std::nullopt;
    Matrix<Rational> Wq(W.rows(), W.cols());
    const Real50 big = W.cwiseAbs().maxCoeff();
    for (Eigen::Index k = 0; k < W.size(); ++k)  // entries at rounding level (cos(pi/2)) become exact zeros
      Wq.data()[k] = abs(W.data()[k]) < big * Real50("1e-40")
                         ? Rational(0)
                         : parse_rational(to_decimal(Real50(sg.scale * W.data()[k]), digits), "certificate");
    const Rational gain = evaluate(Wq, m, law, p, false, 1).gain;
    if (gain > bound) return Certificate{Wq, p, gain, bound, family};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Certificate> first_order_limit_certificate(const Setting& s, const FstarBracket& fstar_n) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, int, int, int, std::string>, std::optional<Certificate>> cache;
  // Family (a): d = 1, n >= 2; family (b): d = 2, n >= m + 1. The key holds the family's column count.
  int family = 0;
  if (s.d == 1 && s.n >= 2) family = 2;
  else if (s.d == 2 && s.m >= 3 && s.n >= s.m + 1) family = s.m + 1;
  if (family == 0) return std::nullopt;
  const auto key = std::make_tuple(s.law.name(), s.d, s.m, family, fstar_n.upper.str());
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::optional<Certificate> out;
  const Rational bound = s.law.c_mu(s.m) * fstar_n.upper;  // the row's value c_mu*U*p at p = 1
  if (s.d == 1) {
    const auto [beta, delta] = two_feature_beta_delta(s.law, s.m);
    if (2 * beta + beta * beta > delta) {  // Proposition 5.9: the family beats c_mu*p exactly on this interval
      const Rational lo = beta > 0 ? Rational((delta - 2 * beta) / (beta * beta)) : Rational(1);
      const std::string interval = lo <= 0 ? "every p in (0,1]" : "p in (" + lo.str() + ", 1]";
      Matrix<Real50> W(1, 2);
      W << 1, 1;
      out = certify_family(W, s.m, s.law, Rational(1), bound,
                           "Proposition 5.9: W = (s, s) beats c_mu*p for " + interval);
    }
  } else {
    const int k = s.m + 1;
    Matrix<Real50> W(2, k);
    const Real50 pi = boost::math::constants::pi<Real50>();
    for (int j = 0; j < k; ++j) {
      W(0, j) = cos(pi * j / k);
      W(1, j) = sin(pi * j / k);
    }
    out = certify_family(W, s.m, s.law, Rational(1), bound,
                         "§5.5: the " + std::to_string(k) + " lines at angles j*pi/" + std::to_string(k) +
                             " (§6.3) at their best scale");
  }
  std::lock_guard<std::mutex> lock(mu);
  cache.emplace(key, out);
  return out;
}

template <class T>
T expected_min_binomial(int d, int n, const T& p) {
  check_sizes(d, n);
  check_probability(p);
  if (d >= n) return T(n) * p;
  if (p == 1) return T(d);
  using W = std::conditional_t<std::is_same_v<T, double>, long double, T>;
  using std::exp;
  using std::lgamma;
  using std::log;
  using std::log1p;
  const W pw(p), lp = log(pw), lq = log1p(W(-pw)), lgn = lgamma(W(n + 1));
  auto pmf = [&](int j) { return W(exp(lgn - lgamma(W(j + 1)) - lgamma(W(n - j + 1)) + W(j) * lp + W(n - j) * lq)); };
  const W eps = std::numeric_limits<W>::epsilon() / 4, mean = W(n) * pw;
  W total = 0;
  for (int k = 1; k <= d; ++k) {
    W tail = 0;
    if (W(k) > mean) {  // P(N >= k) as the upper tail: the terms fall geometrically beyond the mode
      for (int j = k; j <= n; ++j) {
        const W t = pmf(j);
        tail += t;
        if (W(j) > mean + 1 && t <= eps * tail) break;
      }
    } else {  // P(N >= k) = 1 - P(N < k), at least about 1/2 here
      W head = 0;
      for (int j = 0; j < k; ++j) head += pmf(j);
      tail = W(1) - head;
    }
    total += tail;
  }
  return T(total);
}

template <class T>
Bound<T> bound_gaussian_stein_upper(const Setting& s, const T& p) {
  check_probability(p);
  if (s.law.name() != "gaussian") throw std::invalid_argument("bound_gaussian_stein_upper: the law must be gaussian");
  return make<T>("gaussian_stein_upper", from_rational<T>(s.law.c_mu(s.m)) * expected_min_binomial(s.d, s.n, p),
                 BoundStatus::proved_here, BoundSide::upper,
                 "docs/theory.md Theorem 4.6: Stein's lemma given the active set; c_mu*E[min(d,N)], N~Bin(n,p); "
                 "= c_mu*min(d,n) at p = 1");
}

template <class T>
Bound<T> bound_split_upper(const Setting& s, const T& p) {
  check_probability(p);
  using std::expm1;
  using std::log1p;
  // q = (1-p)^(n-1) and 1 - q, computed without cancellation at small p.
  const T one_minus_q = p == 1 ? T(s.n > 1 ? 1 : 0) : T(-expm1(T(s.n - 1) * log1p(T(-p))));
  const T q = T(1) - one_minus_q;
  const Rational fmin = std::min(f_star(s.d, s.m), Rational(s.n));
  const Rational rmin = std::min(Rational(s.n), sym_dim(s.d, s.m));
  const T value = p * (q * from_rational<T>(s.law.c_mu(s.m) * fmin) + one_minus_q * mu<T>(s, 2) * from_rational<T>(rmin));
  return make<T>("split_upper", value, BoundStatus::proved_here, BoundSide::upper,
                 "docs/theory.md Theorem 5.5(a): one active feature vs two or more; <= tensor_rank_upper");
}

template <class T>
Bound<T> bound_theorem_2_2_lower_order(const Setting& s, const T& p) {
  check_probability(p);
  T a = p * ipow(T(s.d), s.m);
  T b = T(s.d) * pw(p, T(1) / T(s.m));
  return make<T>("theorem_2_2_lower_order", std::min(a, b), BoundStatus::order, BoundSide::lower,
                 "paper Theorem 2.2 / Theorem 4.2: C1*min(p*d^m, d*p^(1/m)), C1 unknown, d > d0, n > d^m");
}

template <class T>
Bound<T> bound_theorem_2_2_upper_order(const Setting& s, const T& p) {
  check_probability(p);
  T a = p * ipow(T(s.d), s.m);
  if (s.law.strongly_log_concave())
    return make<T>("theorem_2_2_upper_order", std::min(a, T(s.d)), BoundStatus::order, BoundSide::upper,
                   "paper Theorem 2.2 (Theorems 3.1, 3.2): min(C2*p*d^m, C3*d), constants unknown");
  return make<T>("theorem_2_2_upper_order", a, BoundStatus::order, BoundSide::upper,
                 "paper Theorem 2.2 (Theorem 3.1): C2*p*d^m; the C3*d cap needs strongly log-concave mu");
}

template <class T>
Bound<T> bound_followup_upper(const Setting& s, const T& p) {
  check_probability(p);
  if (s.m < 3) throw std::invalid_argument("bound_followup_upper: m must be >= 3");
  const int m = s.m;
  T K = T(m) * ipow(T(2), m - 2);
  T mu2 = mu<T>(s, 2), mup1 = mu<T>(s, m + 1), mu2m = mu<T>(s, 2 * m);
  T r = T(std::min(s.d, s.n));
  T value = T(2) * K * K * r *
            (mup1 * mup1 / (pw(mu2m, T(m - 1) / T(m)) * mu2) * pw(p, T(1) / T(m)) + mu2 * p);
  return make<T>("followup_upper", value, BoundStatus::unreviewed_claim, BoundSide::upper,
                 "Swissa (2026), unreviewed: 2*K_m^2*rank(A)*(mu_{m+1}^2/(mu_{2m}^((m-1)/m)*mu_2)*p^(1/m) + mu_2*p)");
}

template <class T>
std::vector<Bound<T>> closed_form_bounds(const Setting& s, const T& p, const FstarBracket& fstar_n) {
  std::vector<Bound<T>> out;
  out.push_back(bound_zero_loss(s, p));
  out.push_back(bound_unsuperposed(s, p));
  if (s.m == 1) out.push_back(bound_linear(s, p));
  out.push_back(bound_tensor_rank_upper(s, p));
  out.push_back(bound_split_upper(s, p));
  if (s.law.kind() == Law::Kind::gaussian) out.push_back(bound_gaussian_stein_upper(s, p));
  out.push_back(bound_first_order_limit(s, p, fstar_n));
  out.push_back(bound_theorem_2_2_lower_order(s, p));
  out.push_back(bound_theorem_2_2_upper_order(s, p));
  if (s.m >= 3) out.push_back(bound_followup_upper(s, p));
  return out;
}

#define SUPERPOSE_INSTANTIATE_BOUNDS(T)                                                  \
  template std::string regime<T>(int, int, const T&);                                   \
  template Bound<T> bound_zero_loss<T>(const Setting&, const T&);                       \
  template Bound<T> bound_unsuperposed<T>(const Setting&, const T&);                    \
  template Bound<T> bound_linear<T>(const Setting&, const T&);                          \
  template Bound<T> bound_tensor_rank_upper<T>(const Setting&, const T&);               \
  template Bound<T> bound_first_order_limit<T>(const Setting&, const T&, const FstarBracket&); \
  template Bound<T> bound_split_upper<T>(const Setting&, const T&);                     \
  template T expected_min_binomial<T>(int, int, const T&);                              \
  template Bound<T> bound_gaussian_stein_upper<T>(const Setting&, const T&);            \
  template Bound<T> bound_theorem_2_2_lower_order<T>(const Setting&, const T&);         \
  template Bound<T> bound_theorem_2_2_upper_order<T>(const Setting&, const T&);         \
  template Bound<T> bound_followup_upper<T>(const Setting&, const T&);                  \
  template std::vector<Bound<T>> closed_form_bounds<T>(const Setting&, const T&, const FstarBracket&);

SUPERPOSE_INSTANTIATE_BOUNDS(double)
SUPERPOSE_INSTANTIATE_BOUNDS(Real50)
SUPERPOSE_INSTANTIATE_BOUNDS(Real100)

BoundPosition bound_position(const std::vector<Bound<Real50>>& bounds, const Real50& gain) {
  Real50 best_lower = 0, proved_upper = -1;
  for (const auto& b : bounds) {
    if (b.side != BoundSide::upper && b.status == BoundStatus::construction) best_lower = std::max(best_lower, b.value);
    // Upper bounds only: side upper or exact (laplace's `limit` row is proved as a limit, not as a bound at finite p).
    if ((b.side == BoundSide::upper || b.side == BoundSide::exact) &&
        (b.status == BoundStatus::proved_here || b.status == BoundStatus::proved_in_paper))
      proved_upper = proved_upper < 0 ? b.value : std::min(proved_upper, b.value);
  }
  const Real50 position =
      proved_upper > best_lower ? Real50((gain - best_lower) / (proved_upper - best_lower)) : Real50(0);
  return {best_lower, proved_upper, position};
}

}  // namespace superpose
