// Closed-form bounds on sup_W L̃(W) (theory/theory.hpp). Proofs and provenance: docs/theory.md §3–§6.
#include "theory/theory.hpp"


#include <algorithm>
#include <cmath>

namespace superpose {

std::string_view to_string(BoundStatus s) {
  switch (s) {
    case BoundStatus::proved_in_paper: return "proved-in-paper";
    case BoundStatus::proved_here: return "proved-here";
    case BoundStatus::conjecture: return "conjecture";
    case BoundStatus::unreviewed_claim: return "unreviewed-claim";
    case BoundStatus::construction: return "construction";
    case BoundStatus::order: return "order";
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
T ipow(T x, int k) {
  T r(1);
  for (int i = 0; i < k; ++i) r *= x;
  return r;
}

template <class T>
std::string precision_of() {
  return std::to_string(digits_of<T>()) + " digits";
}

template <class T>
Bound<T> make(std::string name, T value, BoundStatus st, BoundSide side, std::string cite) {
  return Bound<T>{std::move(name), std::move(value), st, side, std::move(cite), precision_of<T>(), {}};
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

template <class T>
Bound<T> bound_first_order_limit(const Setting& s, const T& p) {
  check_probability(p);
  const T value = p * from_rational<T>(s.law.c_mu(s.m) * f_star(s.d, s.m));
  if (s.law.kind() == Law::Kind::laplace)
    return make<T>("first_order_limit", value, BoundStatus::conjecture, BoundSide::limit,
                   "c_mu*F*(d,m)*p: p->0 limit of sup gain proved for n >= C(d+2m-1,2m) (docs/theory.md Thm 5.5); "
                   "NOT an upper bound for laplace at finite p (Prop. 5.7)");
  return make<T>("first_order_limit", value, BoundStatus::conjecture, BoundSide::upper,
                 "c_mu*F*(d,m)*p: p->0 limit proved for n >= C(d+2m-1,2m) (docs/theory.md Thm 5.5); as an upper "
                 "bound at every p a conjecture (§5.5; paper Eq. (23))");
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
std::vector<Bound<T>> closed_form_bounds(const Setting& s, const T& p) {
  std::vector<Bound<T>> out;
  out.push_back(bound_zero_loss(s, p));
  out.push_back(bound_unsuperposed(s, p));
  if (s.m == 1) out.push_back(bound_linear(s, p));
  out.push_back(bound_tensor_rank_upper(s, p));
  out.push_back(bound_split_upper(s, p));
  out.push_back(bound_first_order_limit(s, p));
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
  template Bound<T> bound_first_order_limit<T>(const Setting&, const T&);               \
  template Bound<T> bound_split_upper<T>(const Setting&, const T&);                     \
  template Bound<T> bound_theorem_2_2_lower_order<T>(const Setting&, const T&);         \
  template Bound<T> bound_theorem_2_2_upper_order<T>(const Setting&, const T&);         \
  template Bound<T> bound_followup_upper<T>(const Setting&, const T&);                  \
  template std::vector<Bound<T>> closed_form_bounds<T>(const Setting&, const T&);

SUPERPOSE_INSTANTIATE_BOUNDS(double)
SUPERPOSE_INSTANTIATE_BOUNDS(Real50)
SUPERPOSE_INSTANTIATE_BOUNDS(Real100)

BoundPosition bound_position(const std::vector<Bound<Real50>>& bounds, const Real50& gain) {
  Real50 best_lower = 0, proved_upper = -1;
  for (const auto& b : bounds) {
    if (b.side != BoundSide::upper && b.status == BoundStatus::construction) best_lower = std::max(best_lower, b.value);
    if (b.side != BoundSide::lower &&
        (b.status == BoundStatus::proved_here || b.status == BoundStatus::proved_in_paper))
      proved_upper = proved_upper < 0 ? b.value : std::min(proved_upper, b.value);
  }
  const Real50 position =
      proved_upper > best_lower ? Real50((gain - best_lower) / (proved_upper - best_lower)) : Real50(0);
  return {best_lower, proved_upper, position};
}

}  // namespace superpose
