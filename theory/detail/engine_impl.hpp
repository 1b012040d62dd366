// Implementation of the exact engine declared in theory/theory.hpp. Included only by the per-scalar-type
// instantiation units theory/instantiate_*.cpp (one type each, to bound compile time and memory).
// The mathematics is in docs/theory.md §2.
#pragma once

#include "theory/theory.hpp"

#include <algorithm>
#include <cmath>

namespace superpose::detail {

template <class T>
T ipow(T x, int k) {
  T r(1);
  while (k > 0) {
    if (k & 1) r *= x;
    x *= x;
    k >>= 1;
  }
  return r;
}

template <class T>
bool is_finite(const T& x) {
  if constexpr (std::is_same_v<T, double>) return std::isfinite(x);
  else if constexpr (is_exact_v<T>) return true;
  else return boost::multiprecision::isfinite(x);
}

/// The type of the p-dependent stage (O(n·m²), cheap): long double for double, to soften the cancellation of
/// the moment-cumulant recursion when the cumulants alternate in sign (discrete laws at large p).
template <class T>
struct Wide {
  using type = T;
};
template <>
struct Wide<double> {
  using type = long double;
};
template <class T>
using wide_t = typename Wide<T>::type;

template <class W>
W wide_from_rational(const Rational& q) {
  if constexpr (std::is_same_v<W, long double>) return static_cast<long double>(Real50(q));
  else return from_rational<W>(q);
}

/// Binomial coefficients C(a, b) for 0 ≤ b ≤ a ≤ N as T (exact: N ≤ 42 keeps them below 2^53).
template <class T>
struct Binomials {
  explicit Binomials(int N) : N_(N), c_((N + 1) * (N + 1), T(0)) {
    for (int a = 0; a <= N; ++a) {
      at(a, 0) = T(1);
      for (int b = 1; b <= a; ++b) at(a, b) = at(a - 1, b - 1) + (b <= a - 1 ? at(a - 1, b) : T(0));
    }
  }
  const T& operator()(int a, int b) const { return c_[a * (N_ + 1) + b]; }

 private:
  T& at(int a, int b) { return c_[a * (N_ + 1) + b]; }
  int N_;
  std::vector<T> c_;
};

/// Moments e_k = E x^k = p·μ_k (k ≥ 1) and cumulants κ_k of one input coordinate x = ξ·b, k = 0..2m.
template <class T>
struct CoordinateLaw {
  std::vector<T> e, kappa;
  CoordinateLaw(const Law& law, const T& p, int m, const Binomials<T>& binom) {
    const int K = 2 * m;
    e.assign(K + 1, T(0));
    kappa.assign(K + 1, T(0));
    e[0] = T(1);
    for (int k = 2; k <= K; k += 2) e[k] = p * wide_from_rational<T>(law.moment(k));
    // κ_n = e_n − Σ_{k=1}^{n−1} C(n−1,k−1) κ_k e_{n−k}  (moment-cumulant recursion; odd terms vanish)
    for (int n = 2; n <= K; n += 2) {
      T s = e[n];
      for (int k = 2; k < n; k += 2) s -= binom(n - 1, k - 1) * kappa[k] * e[n - k];
      kappa[n] = s;
    }
  }
};

/// Moments M_0..M_N of a symmetric variable from its even cumulants K (K[odd] = 0):
/// M_n = Σ_k C(n−1,k−1) K_k M_{n−k}.
template <class T>
void moments_from_cumulants(const std::vector<T>& K, int N, const Binomials<T>& binom, std::vector<T>& M) {
  M.assign(N + 1, T(0));
  M[0] = T(1);
  for (int n = 2; n <= N; n += 2) {
    T s(0);
    for (int k = 2; k <= n; k += 2) s += binom(n - 1, k - 1) * K[k] * M[n - k];
    M[n] = s;
  }
}

/// Per-feature computation: C_i, D_i and, if wanted, the gradient coefficients of row i:
/// G_ij = Σ_{r=2,4..2m} h[r]·A_ij^{r−1} (j ≠ i) and G_ii = g_diag.
template <class T>
struct RowWork {
  int m;
  const Binomials<T>& binom;
  const CoordinateLaw<T>& x;
  std::vector<T> KZ, KS, MZ, MS, apow;
  std::vector<T> h;
  T g_diag;

  RowWork(int m_, const Binomials<T>& b, const CoordinateLaw<T>& xl)
      : m(m_), binom(b), x(xl), KZ(2 * m_ + 1), KS(2 * m_ + 1), apow(2 * m_ + 1), h(2 * m_ + 1) {}

  // a = A_ii; Q(k) = Σ_{j≠i} A_ij^{2k} for k = 1..m.
  template <class QRow>
  void run(const T& a, const QRow& Q, T& Ci, T& Di, bool grad) {  // T here is the wide type
    const int K = 2 * m;
    apow[0] = T(1);
    for (int r = 1; r <= K; ++r) apow[r] = apow[r - 1] * a;
    for (int r = 0; r <= K; ++r) KZ[r] = KS[r] = T(0);
    for (int r = 2; r <= K; r += 2) {
      KZ[r] = x.kappa[r] * Q(r / 2 - 1);
      KS[r] = KZ[r] + x.kappa[r] * apow[r];
    }
    moments_from_cumulants(KZ, m, binom, MZ);
    moments_from_cumulants(KS, K, binom, MS);
    Ci = T(0);
    for (int t = 1; t <= m; t += 2) Ci += binom(m, t) * apow[t] * x.e[t + 1] * MZ[m - t];
    Di = MS[K];
    if (!grad) return;
    // ∂C_i/∂A_ij = Σ_r β_r·r·κ_r·A_ij^{r−1}, β_r = Σ_t C(m,t) a^t e_{t+1} C(m−t,r) M^Z_{m−t−r};
    // ∂D_i/∂A_ij = Σ_r C(2m,r) M^S_{2m−r}·r·κ_r·A_ij^{r−1}   (∂M_n/∂κ_r = C(n,r) M_{n−r}).
    for (int r = 2; r <= K; r += 2) {
      T beta(0);
      for (int t = 1; t + r <= m; t += 2) beta += binom(m, t) * apow[t] * x.e[t + 1] * binom(m - t, r) * MZ[m - t - r];
      h[r] = (T(2) * beta - binom(K, r) * MS[K - r]) * T(r) * x.kappa[r];
    }
    T dC(0), dD(0);
    for (int t = 1; t <= m; t += 2) dC += binom(m, t) * T(t) * apow[t - 1] * x.e[t + 1] * MZ[m - t];
    for (int r = 2; r <= K; r += 2) dD += binom(K, r) * MS[K - r] * x.kappa[r] * T(r) * apow[r - 1];
    g_diag = T(2) * dC - dD;
  }
};

/// Adds the off-diagonal power sums of the columns of `blk` (an n×b matrix or block view whose column c is row c0+c of the
/// symmetric A) into `s`. Works column by column on a reused buffer (contiguous, cache-resident); the diagonal entry
/// is read into s.diag and excluded from the sums.
template <class T, class Blk>
void accumulate_block(Blk&& blk, Eigen::Index c0, RowPowerSums<T>& s, Eigen::Array<T, Eigen::Dynamic, 1>& sq,
                      Eigen::Array<T, Eigen::Dynamic, 1>& cur) {
  const Eigen::Index b = blk.cols();
  for (Eigen::Index c = 0; c < b; ++c) {
    const Eigen::Index i = c0 + c;
    const T diag = blk(i, c);
    s.diag(i) = diag;
    blk(i, c) = T(0);
    sq = blk.col(c).array().square();
    s.off(i, 0) = sq.sum();
    if (s.m > 1) {
      cur = sq;
      for (int k = 2; k <= s.m; ++k) {
        cur *= sq;
        s.off(i, k - 1) = cur.sum();
      }
    }
    blk(i, c) = diag;
  }
}

template <class T>
void check_weights(const Matrix<T>& W) {
  if (W.rows() < 1 || W.cols() < 1) throw InputError("weights: W must have at least one row (d) and one column (n)");
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i)
      if (!is_finite(W(i, j))) throw InputError("weights: W contains a NaN or infinite entry");
}

constexpr Eigen::Index kBlock = 256;

}  // namespace superpose::detail

namespace superpose {

template <class T>
RowPowerSums<T> row_power_sums(const Matrix<T>& W, int m) {
  check_power(m);
  detail::check_weights(W);
  const Eigen::Index n = W.cols();
  RowPowerSums<T> s;
  s.m = m;
  s.diag.resize(n);
  s.off.setZero(n, m);
  Matrix<T> blk;
  Eigen::Array<T, Eigen::Dynamic, 1> sq, cur;
  for (Eigen::Index c0 = 0; c0 < n; c0 += detail::kBlock) {
    const Eigen::Index b = std::min(detail::kBlock, n - c0);
    blk.noalias() = W.transpose() * W.middleCols(c0, b);
    detail::accumulate_block(blk, c0, s, sq, cur);
  }
  return s;
}

template <class T>
GainTerms<T> gain_terms(const RowPowerSums<T>& sums, const Law& law, const T& p) {
  using WT = detail::wide_t<T>;
  const int m = sums.m;
  detail::Binomials<WT> binom(2 * m);
  detail::CoordinateLaw<WT> x(law, WT(p), m, binom);
  detail::RowWork<WT> work(m, binom, x);
  WT C(0), D(0), Ci, Di;
  for (Eigen::Index i = 0; i < sums.diag.size(); ++i) {
    work.run(WT(sums.diag(i)), [&](int k) { return WT(sums.off(i, k)); }, Ci, Di, false);
    C += Ci;
    D += Di;
  }
  return GainTerms<T>{T(C), T(D)};
}

template <class T>
Evaluation<T> evaluate(const Matrix<T>& W, int m, const Law& law, const T& p, bool with_gradient) {
  check_power(m);
  check_probability(p);
  detail::check_weights(W);
  const Eigen::Index n = W.cols();
  Evaluation<T> ev;
  ev.zero_loss = p * T(static_cast<long>(n)) * from_rational<T>(law.moment(2));
  if (!with_gradient) {
    GainTerms<T> t = gain_terms(row_power_sums(W, m), law, p);
    ev.C = t.C;
    ev.D = t.D;
  } else {
    // A (n×n, upper triangle). Then, in place over the upper triangle, S_ij = G_ij + G_ji where
    // G_ij = Σ_r h_r(i)·A_ij^{r−1} (an odd polynomial in A_ij with row i's coefficients), and finally
    // ∂gain/∂W = W·S: a half GEMM for A, one GEMM for the gradient, two elementwise passes over the triangle.
    // Only the upper triangle of A is formed (a symmetric rank-d update: half the flops of a GEMM), and the row
    // power sums are accumulated from it column by column: each A_ij (i < j) feeds rows i and j.
    Matrix<T> S = Matrix<T>::Zero(n, n);
    S.template selfadjointView<Eigen::Upper>().rankUpdate(W.transpose());
    RowPowerSums<T> s;
    s.m = m;
    s.diag = S.diagonal();
    s.off.setZero(n, m);
    {
      // Column j above the diagonal holds A_ij, i < j: it adds to row j's sums and, entry by entry, to rows i < j.
      Eigen::Array<T, Eigen::Dynamic, 1> sq(n), cur(n);
      for (Eigen::Index j = 1; j < n; ++j) {
        sq.head(j) = S.col(j).head(j).array().square();
        cur.head(j) = sq.head(j);
        for (int k = 0; k < m; ++k) {
          if (k > 0) cur.head(j) *= sq.head(j);
          s.off.col(k).head(j).array() += cur.head(j);
          s.off(j, k) += cur.head(j).sum();
        }
      }
    }
    using WT = detail::wide_t<T>;
    detail::Binomials<WT> binom(2 * m);
    detail::CoordinateLaw<WT> x(law, WT(p), m, binom);
    detail::RowWork<WT> work(m, binom, x);
    WT C(0), D(0), Ci, Di;
    Matrix<T> H(n, m);  // H(i, k) = h_{2k+2}(i): coefficient of A_ij^{2k+1} in G_ij (column k contiguous in i)
    Vector<T> gdiag(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      work.run(WT(s.diag(i)), [&](int k) { return WT(s.off(i, k)); }, Ci, Di, true);
      C += Ci;
      D += Di;
      for (int k = 0; k < m; ++k) H(i, k) = T(work.h[2 * k + 2]);
      gdiag(i) = T(work.g_diag);
    }
    ev.C = T(C);
    ev.D = T(D);
    // Column j above the diagonal, as arrays: S_ij = A_ij·(P_i(A_ij²) + P_j(A_ij²)), P_i(y) = Σ_k H(i,k)·y^k.
    // Only the upper triangle is written.
    Eigen::Array<T, Eigen::Dynamic, 1> a2(n), vi(n), vj(n);
    for (Eigen::Index j = 1; j < n; ++j) {
      auto a = S.col(j).head(j).array();
      a2.head(j) = a.square();
      vi.head(j) = H.col(m - 1).head(j).array();
      vj.head(j).setConstant(H(j, m - 1));
      for (int k = m - 2; k >= 0; --k) {
        vi.head(j) = vi.head(j) * a2.head(j) + H.col(k).head(j).array();
        vj.head(j) = vj.head(j) * a2.head(j) + H(j, k);
      }
      a *= vi.head(j) + vj.head(j);
    }
    // grad = W·S with S = U + Uᵀ + 2·diag(g_ii), U its strict upper triangle: two triangular products
    // (together the flops of one GEMM; faster here than Eigen's selfadjoint product).
    ev.grad.noalias() = W * S.template triangularView<Eigen::StrictlyUpper>();
    ev.grad.noalias() += W * S.template triangularView<Eigen::StrictlyUpper>().transpose();
    ev.grad += W * (T(2) * gdiag).asDiagonal();
  }
  ev.gain = T(2) * ev.C - ev.D;
  ev.loss = ev.zero_loss - ev.gain;
  return ev;
}

template <class T>
ScaledGain<T> best_scaled_gain(const GainTerms<T>& t, int m) {
  ScaledGain<T> out{T(0), T(0), T(0)};
  if (!(t.C > 0) || !(t.D > 0)) return out;
  out.lambda = t.C / t.D;
  out.gain = t.C * t.C / t.D;
  if constexpr (!is_exact_v<T>) {
    using std::pow;
    out.scale = pow(out.lambda, T(1) / T(2 * m));
  }
  return out;
}

template <class T>
T first_order_ratio(const Matrix<T>& W, int m, Matrix<T>* grad) {
  if (grad == nullptr) {
    RowPowerSums<T> s = row_power_sums(W, m);
    T tr(0), tr2(0);
    for (Eigen::Index i = 0; i < s.diag.size(); ++i) {
      T am = detail::ipow(s.diag(i), m);
      tr += am;
      tr2 += am * am + s.off(i, m - 1);
    }
    if (!(tr2 > 0)) return T(0);
    return tr * tr / tr2;
  }
  check_power(m);
  detail::check_weights(W);
  Matrix<T> A = W.transpose() * W;
  const Eigen::Index n = A.cols();
  T a(0), b(0);
  for (Eigen::Index j = 0; j < n; ++j) {
    a += detail::ipow(A(j, j), m);
    for (Eigen::Index i = 0; i < n; ++i) b += detail::ipow(A(i, j), 2 * m);
  }
  if (!(b > 0)) {
    grad->setZero(W.rows(), W.cols());
    return T(0);
  }
  const T c1 = T(2) * a / b * T(m), c2 = a * a / (b * b) * T(2 * m);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) {
      T g = -c2 * detail::ipow(A(i, j), 2 * m - 1);
      if (i == j) g += c1 * detail::ipow(A(i, i), m - 1);
      A(i, j) = g;  // A is symmetric, so G is symmetric and dF/dW = W(G + G^T) = 2WG
    }
  *grad = T(2) * (W * A);
  return a * a / b;
}

}  // namespace superpose

#define SUPERPOSE_INSTANTIATE_ENGINE(T)                                                                  \
  template superpose::RowPowerSums<T> superpose::row_power_sums<T>(const superpose::Matrix<T>&, int);     \
  template superpose::GainTerms<T> superpose::gain_terms<T>(const superpose::RowPowerSums<T>&,            \
                                                            const superpose::Law&, const T&);             \
  template superpose::Evaluation<T> superpose::evaluate<T>(const superpose::Matrix<T>&, int,              \
                                                           const superpose::Law&, const T&, bool);        \
  template superpose::ScaledGain<T> superpose::best_scaled_gain<T>(const superpose::GainTerms<T>&, int);  \
  template T superpose::first_order_ratio<T>(const superpose::Matrix<T>&, int, superpose::Matrix<T>*);
