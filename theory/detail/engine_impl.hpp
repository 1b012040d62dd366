// Implementation of the one exact engine declared in theory/theory.hpp ("Exact gain, loss and gradient").
// Included only by the per-scalar-type instantiation units theory/instantiate_*.cpp (one type each, to bound
// compile time and memory). The mathematics is in docs/theory.md §2.
#pragma once

#include "core/parallel.hpp"
#include "theory/theory.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>

namespace superpose::detail {

using superpose::ipow;  // numerics/numerics.hpp

template <class T>
bool is_finite(const T& x) {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, long double>) return std::isfinite(x);
  else if constexpr (is_exact_v<T>) return true;
  else return boost::multiprecision::isfinite(x);
}

template <class T>
T abs_of(const T& x) {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, long double>) return std::fabs(x);
  else return boost::multiprecision::abs(x);
}

/// The type of the p-dependent stage (O(n·m²), cheap): long double for double, T otherwise.
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

/// Unit roundoff of a scalar type (0 for exact types).
template <class T>
double unit_roundoff() {
  if constexpr (std::is_same_v<T, double>) return std::numeric_limits<double>::epsilon() / 2;
  else if constexpr (std::is_same_v<T, long double>) return std::numeric_limits<long double>::epsilon() / 2;
  else if constexpr (is_exact_v<T>) return 0;
  else return std::pow(10.0, 1 - digits_of<T>()) / 2;
}

/// Customisation points for an enclosure scalar (theory/instantiate_double_interval.cpp specialises them for
/// its interval type; every other type takes these defaults):
///  * estimates_error_v<T>: the engine estimates T's rounding error (floating point: the cumulant condition and
///    rel_error); false for exact rationals and for intervals, whose width is their own error bound;
///  * Square<T>: the elementwise square of an Eigen array expression, x*x (an interval type gives [0, .] for an
///    interval that straddles 0, where x*x would give a negative lower end);
///  * TaskRounding<T>: an object alive during every task that the engine runs on a thread (nothing by default;
///    an interval type sets the rounding direction its arithmetic needs in that thread).
template <class T>
inline constexpr bool estimates_error_v = !is_exact_v<T>;
template <class T>
struct Square {
  template <class E>
  static auto of(const E& e) {
    return e.square();
  }
};
template <class T>
struct TaskRounding {};

template <class W>
W wide_from_rational(const Rational& q) {
  if constexpr (std::is_same_v<W, long double>) return static_cast<long double>(Real50(q));
  else return from_rational<W>(q);
}

template <class W>
double to_double(const W& x) {
  return static_cast<double>(x);
}

/// Binomial coefficients C(a, b) for 0 ≤ b ≤ a ≤ N as T (exact in long double for N ≤ 66).
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

/// Even moments e_r = E x^r = p·μ_r (r ≥ 2, e_0 = 1) and even cumulants κ_r of one input coordinate x = ξ·b,
/// r = 0..2m (odd entries 0). Throws PrecisionError if a nonzero moment is not representable in W.
template <class W>
struct CoordinateLaw {
  std::vector<W> e, kappa;
  CoordinateLaw(const Law& law, const W& p, int m, const Binomials<W>& binom) {
    const int K = 2 * m;
    e.assign(K + 1, W(0));
    kappa.assign(K + 1, W(0));
    e[0] = W(1);
    for (int r = 2; r <= K; r += 2) {
      const W mu = wide_from_rational<W>(law.moment(r));
      e[r] = p * mu;
      if constexpr (std::is_same_v<W, long double>) {
        if (!is_finite(e[r]))
          throw PrecisionError("law " + law.name() + ": the moment mu_" + std::to_string(r) +
                               " overflows long double; evaluate in MPFR (--digits 50) or exactly (--exact)");
      }
    }
    // κ_n = e_n − Σ_{k=2..n−2, even} C(n−1,k−1)·κ_k·e_{n−k}  (moment-cumulant recursion; odd terms vanish)
    for (int n = 2; n <= K; n += 2) {
      W s = e[n];
      for (int k = 2; k < n; k += 2) s -= binom(n - 1, k - 1) * kappa[k] * e[n - k];
      kappa[n] = s;
    }
  }
};

/// Moments M_0..M_N of a symmetric variable from its even cumulants K (K[odd] = 0):
/// M_n = Σ_k C(n−1,k−1)·K_k·M_{n−k}.
template <class W>
void moments_from_cumulants(const std::vector<W>& K, int N, const Binomials<W>& binom, std::vector<W>& M) {
  M.assign(N + 1, W(0));
  M[0] = W(1);
  for (int n = 2; n <= N; n += 2) {
    W s(0);
    for (int k = 2; k <= n; k += 2) s += binom(n - 1, k - 1) * K[k] * M[n - k];
    M[n] = s;
  }
}

/// Row i's C_i and D_i from a = A_ii and the even moments MZ[r] = E Z_i^r (r = 0..2m), and, if `grad`, the
/// derivatives fa = ∂f_i/∂a and L[r] = ∂f_i/∂MZ[r] of f_i = 2C_i − D_i (docs/theory.md §2).
template <class W>
struct RowFinish {
  int m;
  const Binomials<W>& binom;
  const CoordinateLaw<W>& x;
  std::vector<W> apow, L;
  W C, D, fa;

  RowFinish(int m_, const Binomials<W>& b, const CoordinateLaw<W>& xl)
      : m(m_), binom(b), x(xl), apow(2 * m_ + 1), L(2 * m_ + 1) {}

  void run(const W& a, const std::vector<W>& MZ, bool grad) {
    const int K = 2 * m;
    apow[0] = W(1);
    for (int r = 1; r <= K; ++r) apow[r] = apow[r - 1] * a;
    C = W(0);
    for (int t = 1; t <= m; t += 2) C += binom(m, t) * apow[t] * x.e[t + 1] * MZ[m - t];
    D = W(0);
    for (int l = 0; l <= K; l += 2) D += binom(K, l) * apow[l] * x.e[l] * MZ[K - l];
    if (!grad) return;
    W dC(0), dD(0);
    for (int t = 1; t <= m; t += 2) dC += binom(m, t) * W(t) * apow[t - 1] * x.e[t + 1] * MZ[m - t];
    for (int l = 2; l <= K; l += 2) dD += binom(K, l) * W(l) * apow[l - 1] * x.e[l] * MZ[K - l];
    fa = W(2) * dC - dD;
    for (int r = 0; r <= K; ++r) L[r] = W(0);
    for (int t = 1; t <= m; t += 2) L[m - t] += W(2) * binom(m, t) * apow[t] * x.e[t + 1];
    for (int l = 0; l <= K; l += 2) L[K - l] -= binom(K, l) * apow[l] * x.e[l];
  }
};

/// The cumulant route for one row: from a = A_ii and Q(k) = Q_{2k}(i) (k = 1..m), C_i, D_i, the condition number
/// `cond` of the moment-cumulant recursion (max_r of the recursion on |κ| over the recursion on κ), and, if
/// `grad`, fa = ∂f_i/∂a and fQ[k−1] = ∂f_i/∂Q_{2k}(i) = κ_{2k}·Σ_r L_r·C(r,2k)·MZ[r−2k] (∂M_r/∂κ_s = C(r,s)·M_{r−s}).
template <class W>
struct CumulantRow {
  int m;
  const Binomials<W>& binom;
  const CoordinateLaw<W>& x;
  RowFinish<W> fin;
  std::vector<W> KZ, KA, MZ, MA, fQ;
  double cond = 1;

  CumulantRow(int m_, const Binomials<W>& b, const CoordinateLaw<W>& xl)
      : m(m_), binom(b), x(xl), fin(m_, b, xl), KZ(2 * m_ + 1), KA(2 * m_ + 1), fQ(m_) {}

  template <class QRow>
  void run(const W& a, const QRow& Q, bool grad) {
    const int K = 2 * m;
    for (int r = 0; r <= K; ++r) KZ[r] = KA[r] = W(0);
    for (int r = 2; r <= K; r += 2) {
      KZ[r] = x.kappa[r] * Q(r / 2);
      KA[r] = abs_of(KZ[r]);
    }
    moments_from_cumulants(KZ, K, binom, MZ);
    cond = 1;
    if constexpr (estimates_error_v<W>) {
      moments_from_cumulants(KA, K, binom, MA);
      for (int r = 2; r <= K; r += 2) {
        if (MA[r] == W(0)) continue;
        if (!(MZ[r] > W(0))) {
          cond = std::numeric_limits<double>::infinity();
          break;
        }
        cond = std::max(cond, to_double(W(MA[r] / MZ[r])));
      }
    }
    fin.run(a, MZ, grad);
    if (!grad) return;
    for (int k = 1; k <= m; ++k) {
      W s(0);
      for (int r = 2 * k; r <= K; r += 2) s += fin.L[r] * binom(r, 2 * k) * MZ[r - 2 * k];
      fQ[k - 1] = x.kappa[2 * k] * s;
    }
  }
};

/// The moment-convolution route for one row, from the row `col` of A (length n, col[i] = A_ii): the even moments
/// of Z_i = Σ_{j≠i} A_ij x_j by convolving the moment sequences of the independent terms (all ≥ 0), then C_i,
/// D_i; with `grad`, fa and G_ij = ∂f_i/∂A_ij for j ≠ i into g[j] (g[i] is left untouched), from the moments of
/// Z_i without term j (prefix times suffix convolution). Cost O(n·m²); memory n·(m+1) wide scalars with grad.
template <class W>
struct ConvolutionRow {
  int m;
  const Binomials<W>& binom;
  const CoordinateLaw<W>& x;
  RowFinish<W> fin;
  std::vector<W> M, MZ, f, prefix, S, Mwo;

  ConvolutionRow(int m_, const Binomials<W>& b, const CoordinateLaw<W>& xl)
      : m(m_), binom(b), x(xl), fin(m_, b, xl), M(m_ + 1), MZ(2 * m_ + 1), f(m_ + 1), S(m_ + 1), Mwo(m_ + 1) {}

  // F[l] = E (A_ij x_j)^{2l} = e_{2l}·y^l, y = A_ij².
  void factor(const W& y) {
    f[0] = W(1);
    W yl(1);
    for (int l = 1; l <= m; ++l) {
      yl *= y;
      f[l] = x.e[2 * l] * yl;
    }
  }
  // M ← M ∗ f (moments of a sum of independent symmetric variables; index = half order).
  void convolve_in_place(std::vector<W>& acc) const {
    for (int k = m; k >= 1; --k) {
      W s = acc[k];
      for (int l = 1; l <= k; ++l) s += binom(2 * k, 2 * l) * f[l] * acc[k - l];
      acc[k] = s;
    }
  }

  template <class T>
  void run(const T* col, Eigen::Index n, Eigen::Index i, bool grad, T* g) {
    std::fill(M.begin(), M.end(), W(0));
    M[0] = W(1);
    if (grad) prefix.assign(static_cast<size_t>(n) * (m + 1), W(0));
    for (Eigen::Index j = 0; j < n; ++j) {
      if (grad) std::copy(M.begin(), M.end(), prefix.begin() + j * (m + 1));
      if (j == i) continue;
      const W aij = W(col[j]);
      factor(aij * aij);
      convolve_in_place(M);
    }
    for (int r = 0; r <= 2 * m; ++r) MZ[r] = r % 2 ? W(0) : M[r / 2];
    fin.run(W(col[i]), MZ, grad);
    if (!grad) return;
    std::fill(S.begin(), S.end(), W(0));
    S[0] = W(1);
    for (Eigen::Index j = n - 1; j >= 0; --j) {
      if (j == i) continue;
      // Mwo = prefix_j ∗ S (moments of Z_i without term j).
      const W* P = &prefix[j * (m + 1)];
      for (int k = 0; k <= m; ++k) {
        W s(0);
        for (int l = 0; l <= k; ++l) s += binom(2 * k, 2 * l) * P[l] * S[k - l];
        Mwo[k] = s;
      }
      const W aij = W(col[j]), y = aij * aij;
      // ∂f/∂y = Σ_k L_{2k}·Σ_{l=1..k} C(2k,2l)·l·e_{2l}·y^{l−1}·Mwo[k−l];  G_ij = 2·A_ij·∂f/∂y.
      W dy(0);
      for (int k = 1; k <= m; ++k) {
        W s(0), yl(1);
        for (int l = 1; l <= k; ++l) {
          s += binom(2 * k, 2 * l) * W(l) * x.e[2 * l] * yl * Mwo[k - l];
          yl *= y;
        }
        dy += fin.L[2 * k] * s;
      }
      g[j] = T(W(2) * aij * dy);
      factor(y);
      convolve_in_place(S);
    }
  }
};

using superpose::parallel_for;  // core/parallel.hpp

/// Threads to use for an n-feature, d-wide evaluation: 1 below ~10^6 multiply-adds (thread start-up would
/// dominate), else `requested` (0: every core).
inline int engine_threads(int requested, Eigen::Index n, Eigen::Index d) {
  if (static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(d + 1) < 2e6) return 1;
  return resolve_threads(requested);
}

template <class T>
void check_weights(const Matrix<T>& W) {
  if (W.rows() < 1 || W.cols() < 1) throw InputError("weights: W must have at least one row (d) and one column (n)");
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i)
      if (!is_finite(W(i, j)))
        throw InputError("weights: W(" + std::to_string(i + 1) + "," + std::to_string(j + 1) +
                         ") is NaN or infinite");
}

/// Adds Σ_k y^k (k = 1..m, y = x² for each entry x of `v`) to acc(k−1); `v` is an array expression.
template <class Arr, class Acc>
void add_powers(const Arr& y, int m, Acc&& acc) {
  Eigen::Array<typename Arr::Scalar, Eigen::Dynamic, 1> pw = y;
  for (int k = 0; k < m; ++k) {
    if (k > 0) pw *= y;
    acc(k, pw);
  }
}

/// Pass 1: a_i = A_ii and Q_{2k}(i) for every row, from the upper triangle of A in tiles of kEngineTile columns.
/// Tile (I, J), J ≥ I, is computed by the thread that owns block row I; its row sums go to the rows of I (in J
/// order) and its column sums to a staging slot (J, I), added to the rows of J in I order afterwards: every sum
/// is taken in a fixed order, whatever the number of threads.
template <class T>
void power_sums(const Matrix<T>& W, int m, int threads, Vector<T>& diag, Matrix<T>& off) {
  const Eigen::Index n = W.cols(), b = kEngineTile, nb = (n + b - 1) / b;
  diag.resize(n);
  off.setZero(n, m);
  std::vector<Matrix<T>> stage(static_cast<size_t>(nb * nb));
  auto width = [&](Eigen::Index I) { return std::min(b, n - I * b); };
  parallel_for(nb, engine_threads(threads, n, W.rows()), [&](Eigen::Index I) {
    [[maybe_unused]] const TaskRounding<T> rounding;
    const Eigen::Index I0 = I * b, bI = width(I);
    Matrix<T> tile;
    Eigen::Array<T, Eigen::Dynamic, 1> y;
    Matrix<T> rows = Matrix<T>::Zero(bI, m);
    for (Eigen::Index J = I; J < nb; ++J) {
      const Eigen::Index J0 = J * b, bJ = width(J);
      tile.noalias() = W.middleCols(I0, bI).transpose() * W.middleCols(J0, bJ);
      if (J == I) {
        for (Eigen::Index c = 0; c < bJ; ++c) {
          diag(I0 + c) = tile(c, c);
          y = Square<T>::of(tile.col(c).array());
          y(c) = T(0);  // j = i is skipped, not subtracted (no cancellation)
          add_powers(y, m, [&](int k, const auto& pw) { rows(c, k) += pw.sum(); });
        }
      } else {
        Matrix<T>& cols = stage[J * nb + I];
        cols.setZero(bJ, m);
        for (Eigen::Index c = 0; c < bJ; ++c) {
          y = Square<T>::of(tile.col(c).array());
          add_powers(y, m, [&](int k, const auto& pw) {
            rows.col(k).array() += pw;
            cols(c, k) = pw.sum();
          });
        }
      }
    }
    off.middleRows(I0, bI) = rows;
  });
  for (Eigen::Index J = 1; J < nb; ++J)
    for (Eigen::Index I = 0; I < J; ++I) off.middleRows(J * b, width(J)) += stage[J * nb + I];
}

/// The stage for every row at one p: the cumulant route, and the convolution route for rows whose condition
/// exceeds kCumulantConditionLimit (their rows of A are recomputed from W). Fills the per-row outputs in
/// fixed order. With `grad`: H(i,k−1) = 2k·∂f_i/∂Q_{2k}(i) for cumulant rows (0 for convolution rows),
/// fa(i) = ∂f_i/∂a_i, and `conv_grad` holds G_ij (j ≠ i) for each convolution row (index in `conv_rows`).
template <class T>
struct Stage {
  using W = wide_t<T>;
  W C = W(0), D = W(0);
  double rel_error = 0;
  std::vector<Eigen::Index> conv_rows;
  std::vector<std::vector<T>> conv_grad;
  Matrix<T> H;
  Vector<T> fa;

  Stage(const Matrix<T>& Wm, const Vector<T>& diag, const Matrix<T>& off, int m, const Law& law, const T& p,
        bool grad, int threads) {
    const Eigen::Index n = diag.size(), d = Wm.rows();
    Binomials<W> binom(2 * m);
    CoordinateLaw<W> x(law, W(p), m, binom);
    std::vector<W> Ci(n), Di(n);
    std::vector<double> cond(n);
    if (grad) {
      H.setZero(n, m);
      fa.resize(n);
    }
    const int nt = engine_threads(threads, n, d);
    {
      const Eigen::Index chunk = 256, nc = (n + chunk - 1) / chunk;
      parallel_for(nc, nt, [&](Eigen::Index c) {
        CumulantRow<W> row(m, binom, x);
        for (Eigen::Index i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) {
          row.run(W(diag(i)), [&](int k) { return W(off(i, k - 1)); }, grad);
          Ci[i] = row.fin.C;
          Di[i] = row.fin.D;
          cond[i] = row.cond;
          if (grad) {
            fa(i) = T(row.fin.fa);
            for (int k = 1; k <= m; ++k) H(i, k - 1) = T(W(2 * k) * row.fQ[k - 1]);
          }
        }
      });
    }
    const double u = unit_roundoff<T>(), uw = unit_roundoff<W>();
    // Estimated relative error of the power sums Q (rounding of A in a length-d dot product, of the 2k-th power,
    // and of the tiled sums) and of the stage itself.
    const double dq = (2.0 * m * (static_cast<double>(d) + 2) + 2 * std::sqrt(static_cast<double>(n)) + 8) * u;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (cond[i] > kCumulantConditionLimit) conv_rows.push_back(i);
      else rel_error = std::max(rel_error, cond[i] * (dq + 4.0 * m * m * uw));
    }
    if (!conv_rows.empty()) {
      if (grad) conv_grad.assign(conv_rows.size(), std::vector<T>(n, T(0)));
      parallel_for(static_cast<Eigen::Index>(conv_rows.size()), nt, [&](Eigen::Index r) {
        const Eigen::Index i = conv_rows[r];
        const Vector<T> col = Wm.transpose() * Wm.col(i);
        ConvolutionRow<W> row(m, binom, x);
        row.run(col.data(), n, i, grad, grad ? conv_grad[r].data() : static_cast<T*>(nullptr));
        Ci[i] = row.fin.C;
        Di[i] = row.fin.D;
        if (grad) {
          fa(i) = T(row.fin.fa);
          H.row(i).setZero();
        }
      });
      rel_error = std::max(rel_error, dq + (static_cast<double>(n) + 4.0 * m * m) * uw);
    }
    for (Eigen::Index i = 0; i < n; ++i) {
      C += Ci[i];
      D += Di[i];
    }
  }
};

/// Turns a tile of A (rows R0.., columns C0..) into the same tile of S = G + Gᵀ, G_ij = ∂f_i/∂A_ij:
/// S_ij = A_ij·Σ_k (H(i,k) + H(j,k))·A_ij^{2k} for cumulant rows, plus the stored G_ij, G_ji of convolution rows,
/// and S_ii = 2·fa_i on the diagonal of A.
template <class T>
void gradient_tile(Matrix<T>& S, Eigen::Index R0, Eigen::Index C0, int m, const Stage<T>& st,
                   const std::vector<int>& conv_index) {
  const Eigen::Index rows = S.rows();
  Eigen::Array<T, Eigen::Dynamic, 1> a2(rows), v(rows);
  for (Eigen::Index c = 0; c < S.cols(); ++c) {
    const Eigen::Index j = C0 + c;
    auto a = S.col(c).array();
    a2 = a.square();
    v = st.H.col(m - 1).segment(R0, rows).array() + st.H(j, m - 1);
    for (int k = m - 2; k >= 0; --k) v = v * a2 + (st.H.col(k).segment(R0, rows).array() + st.H(j, k));
    a *= v;
    if (conv_index[j] >= 0) {
      const std::vector<T>& g = st.conv_grad[conv_index[j]];
      for (Eigen::Index r = 0; r < rows; ++r)
        if (R0 + r != j) S(r, c) += g[R0 + r];
    }
    for (const Eigen::Index i : st.conv_rows)
      if (i >= R0 && i < R0 + rows && i != j) S(i - R0, c) += st.conv_grad[conv_index[i]][j];
    if (j >= R0 && j < R0 + rows) S(j - R0, c) = T(2) * st.fa(j);
  }
}

/// Pass 2: ∂gain/∂W = W·S. With the staging memory (d·n²/(2·kEngineTile) scalars) below 256 MB, over the upper
/// triangle of A: tile (I, J), J ≥ I, owned by block row I, adds W_J·S_IJᵀ to grad(:, I) (in J order) and stages
/// W_I·S_IJ for grad(:, J), added in I order afterwards. Otherwise by column blocks, A(:, I) recomputed whole.
/// Either way every sum is taken in a fixed order, whatever the number of threads.
template <class T>
void gradient_pass(const Matrix<T>& W, int m, const Stage<T>& st, int threads, Matrix<T>& grad) {
  const Eigen::Index n = W.cols(), d = W.rows(), b = kEngineTile, nb = (n + b - 1) / b;
  std::vector<int> conv_index(n, -1);
  for (size_t r = 0; r < st.conv_rows.size(); ++r) conv_index[st.conv_rows[r]] = static_cast<int>(r);
  grad.setZero(d, n);
  auto width = [&](Eigen::Index I) { return std::min(b, n - I * b); };
  const int nt = engine_threads(threads, n, d);
  const double staging_bytes = static_cast<double>(d) * static_cast<double>(n) * static_cast<double>(n) /
                               (2.0 * static_cast<double>(b)) * static_cast<double>(sizeof(T));
  if (staging_bytes > 256e6) {
    parallel_for(nb, nt, [&](Eigen::Index I) {
      const Eigen::Index I0 = I * b, bI = width(I);
      Matrix<T> S = W.transpose() * W.middleCols(I0, bI);  // n×bI: column c is row I0+c of A
      gradient_tile(S, 0, I0, m, st, conv_index);
      grad.middleCols(I0, bI).noalias() = W * S;
    });
    return;
  }
  std::vector<Matrix<T>> stage(static_cast<size_t>(nb * nb));
  parallel_for(nb, nt, [&](Eigen::Index I) {
    const Eigen::Index I0 = I * b, bI = width(I);
    Matrix<T> S, own = Matrix<T>::Zero(d, bI);
    for (Eigen::Index J = I; J < nb; ++J) {
      const Eigen::Index J0 = J * b, bJ = width(J);
      S.noalias() = W.middleCols(I0, bI).transpose() * W.middleCols(J0, bJ);
      gradient_tile(S, I0, J0, m, st, conv_index);
      if (J == I) {
        own.noalias() += W.middleCols(I0, bI) * S;
      } else {
        own.noalias() += W.middleCols(J0, bJ) * S.transpose();
        stage[J * nb + I].noalias() = W.middleCols(I0, bI) * S;
      }
    }
    grad.middleCols(I0, bI) = own;
  });
  for (Eigen::Index J = 1; J < nb; ++J)
    for (Eigen::Index I = 0; I < J; ++I) grad.middleCols(J * b, width(J)) += stage[J * nb + I];
}

template <class T>
void check_range(const T& C, const T& D, bool nonzero_w) {
  if constexpr (std::is_same_v<T, double>) {
    if (!std::isfinite(C) || !std::isfinite(D))
      throw PrecisionError("the gain overflows double (C or D is infinite): evaluate in MPFR (--digits 50) or exactly (--exact)");
    if (nonzero_w && !(D >= 1e-290))
      throw PrecisionError("the gain underflows double (D = " + to_decimal(D, 3) +
                           " for a nonzero W): evaluate in MPFR (--digits 50) or exactly (--exact)");
  } else {
    (void)C, (void)D, (void)nonzero_w;
  }
}

template <class T>
void check_p_range(const T& p) {
  if constexpr (std::is_same_v<T, double>) {
    if (p > 0 && p < 1e-300)
      throw PrecisionError("--p " + to_decimal(p, 6) + " is too small for double (below 1e-300): evaluate in MPFR (--digits 50) or exactly (--exact)");
  } else {
    (void)p;
  }
}

}  // namespace superpose::detail

namespace superpose {

template <class T>
int Evaluation<T>::gain_digits() const {
  if constexpr (is_exact_v<T>) return 0;
  else {
    using std::abs;
    const int cap = digits_of<T>();
    if (!(abs(gain) > T(0))) return 0;
    // Ratios in T (the values themselves may lie outside double's range, e.g. 1e-2400 in MPFR).
    const double scale_over_gain = static_cast<double>(T((abs(T(2) * C) + abs(D)) / abs(gain)));
    const double rel = std::max(rel_error * scale_over_gain, detail::unit_roundoff<T>());
    const double digits = std::floor(-std::log10(rel));
    return static_cast<int>(std::max(0.0, std::min<double>(cap, digits)));
  }
}

template <class T>
int Evaluation<T>::loss_digits() const {
  if constexpr (is_exact_v<T>) return 0;
  else {
    using std::abs;
    if (!(abs(loss) > T(0))) return gain_digits();
    const int cap = digits_of<T>();
    const double scale_over_loss = static_cast<double>(T((abs(T(2) * C) + abs(D)) / abs(loss)));
    const double rel = std::max(rel_error * scale_over_loss, std::pow(10.0, 1 - cap) / 2);
    return static_cast<int>(std::max(1.0, std::min<double>(cap, std::floor(-std::log10(rel)))));
  }
}

template <class T>
RowPowerSums<T> row_power_sums(const Matrix<T>& W, int m, int threads) {
  check_power(m);
  detail::check_weights(W);
  RowPowerSums<T> s;
  s.m = m;
  s.W = W;
  detail::power_sums(W, m, threads, s.diag, s.off);
  return s;
}

template <class T>
GainTerms<T> gain_terms(const RowPowerSums<T>& sums, const Law& law, const T& p) {
  detail::check_p_range(p);
  detail::Stage<T> st(sums.W, sums.diag, sums.off, sums.m, law, p, false, 1);
  GainTerms<T> t{T(st.C), T(st.D), st.rel_error, static_cast<int>(st.conv_rows.size())};
  detail::check_range(t.C, t.D, sums.diag.size() > 0 && sums.diag.maxCoeff() > 0);
  return t;
}

template <class T>
Evaluation<T> evaluate(const Matrix<T>& W, int m, const Law& law, const T& p, bool with_gradient, int threads) {
  check_power(m);
  check_probability(p);
  detail::check_p_range(p);
  detail::check_weights(W);
  const Eigen::Index n = W.cols();
  Evaluation<T> ev;
  ev.zero_loss = p * T(static_cast<long>(n)) * from_rational<T>(law.moment(2));
  Vector<T> diag;
  Matrix<T> off;
  detail::power_sums(W, m, threads, diag, off);
  detail::Stage<T> st(W, diag, off, m, law, p, with_gradient, threads);
  ev.C = T(st.C);
  ev.D = T(st.D);
  ev.rel_error = st.rel_error;
  ev.convolution_rows = static_cast<int>(st.conv_rows.size());
  detail::check_range(ev.C, ev.D, diag.maxCoeff() > 0);
  if (with_gradient) detail::gradient_pass(W, m, st, threads, ev.grad);
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
    RowPowerSums<T> s = row_power_sums(W, m, 1);
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

#define SUPERPOSE_INSTANTIATE_ENGINE(T)                                                                    \
  template superpose::RowPowerSums<T> superpose::row_power_sums<T>(const superpose::Matrix<T>&, int, int);  \
  template superpose::GainTerms<T> superpose::gain_terms<T>(const superpose::RowPowerSums<T>&,              \
                                                            const superpose::Law&, const T&);               \
  template superpose::Evaluation<T> superpose::evaluate<T>(const superpose::Matrix<T>&, int,                \
                                                           const superpose::Law&, const T&, bool, int);     \
  template int superpose::Evaluation<T>::gain_digits() const;                                               \
  template int superpose::Evaluation<T>::loss_digits() const;                                               \
  template superpose::ScaledGain<T> superpose::best_scaled_gain<T>(const superpose::GainTerms<T>&, int);    \
  template T superpose::first_order_ratio<T>(const superpose::Matrix<T>&, int, superpose::Matrix<T>*);
