// Certified very sparse limits at finite n (verify/verify.hpp; docs/theory.md §5.8; issue 13): the linear
// programming upper bound on F*_n(d, m) solved by GLPK and certified exactly, exact lower bounds, certificates.
#include "verify/verify.hpp"

#include <glpk.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <sstream>

namespace superpose {

namespace {

using Poly = std::vector<Rational>;  // coefficient j of t^j
using Int = mp::number<mp::gmp_int, mp::et_off>;

void trim_poly(Poly& p) {
  while (!p.empty() && p.back() == 0) p.pop_back();
}

Rational eval(const Poly& p, const Rational& t) {
  Rational v = 0;
  for (auto it = p.rbegin(); it != p.rend(); ++it) v = v * t + *it;
  return v;
}

int sign_at(const Poly& p, const Rational& t) {
  const Rational v = eval(p, t);
  return v > 0 ? 1 : (v < 0 ? -1 : 0);
}

Poly derivative(const Poly& p) {
  Poly d;
  for (size_t j = 1; j < p.size(); ++j) d.push_back(p[j] * static_cast<int>(j));
  trim_poly(d);
  return d;
}

Poly make_monic(Poly p) {
  trim_poly(p);
  if (p.empty()) return p;
  const Rational lc = p.back();
  for (Rational& c : p) c /= lc;
  return p;
}

// Quotient and remainder of a by b (b ≠ 0).
std::pair<Poly, Poly> divmod(Poly a, const Poly& b) {
  trim_poly(a);
  Poly q(a.size() >= b.size() ? a.size() - b.size() + 1 : 0, Rational(0));
  while (a.size() >= b.size() && !a.empty()) {
    const size_t shift = a.size() - b.size();
    const Rational c = a.back() / b.back();
    q[shift] = c;
    for (size_t j = 0; j < b.size(); ++j) a[shift + j] -= c * b[j];
    a.pop_back();  // the leading coefficient is now exactly 0
    trim_poly(a);
  }
  trim_poly(q);
  return {q, a};
}

Poly gcd_monic(Poly a, Poly b) {
  trim_poly(a);
  trim_poly(b);
  while (!b.empty()) {
    Poly r = divmod(a, b).second;
    a = std::move(b);
    b = make_monic(std::move(r));
  }
  return make_monic(a);
}

Poly sub(Poly a, const Poly& b) {
  if (a.size() < b.size()) a.resize(b.size(), Rational(0));
  for (size_t j = 0; j < b.size(); ++j) a[j] -= b[j];
  trim_poly(a);
  return a;
}

Poly mul(const Poly& a, const Poly& b) {
  if (a.empty() || b.empty()) return {};
  Poly c(a.size() + b.size() - 1, Rational(0));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) c[i + j] += a[i] * b[j];
  return c;
}

// Sign changes of the Sturm sequence at t (zeros skipped).
int sturm_variations(const std::vector<Poly>& seq, const Rational& t) {
  int changes = 0, last = 0;
  for (const Poly& p : seq) {
    const int s = sign_at(p, t);
    if (s == 0) continue;
    if (last != 0 && s != last) ++changes;
    last = s;
  }
  return changes;
}

// Number of distinct real roots of the square-free p in the open interval (a, b), where p(a), p(b) ≠ 0.
int roots_inside(const Poly& p, const Rational& a, const Rational& b) {
  std::vector<Poly> seq{p, derivative(p)};
  while (seq.back().size() > 1) {
    Poly r = divmod(seq[seq.size() - 2], seq.back()).second;
    if (r.empty()) break;
    // Scale by a positive number only (signs matter): divide by |leading coefficient|.
    const Rational lc = abs(r.back());
    for (Rational& c : r) c = -c / lc;
    seq.push_back(std::move(r));
  }
  return sturm_variations(seq, a) - sturm_variations(seq, b);
}

// A rational as its fraction when that is short, else as "≈ decimal" (messages stay readable on one line).
std::string rstr(const Rational& q) { return q.str().size() <= 60 ? q.str() : "≈ " + rational_to_decimal(q, 20); }

}  // namespace

// ------------------------------------------------------------------------------------------------ polynomials

std::vector<std::vector<Rational>> gegenbauer_polynomials(int d, int K) {
  if (d < 2) throw InputError("Gegenbauer polynomials: the dimension d must be at least 2 (got " + std::to_string(d) + ")");
  if (K < 0 || K > 200) throw InputError("Gegenbauer polynomials: the degree must lie in 0..200 (got " + std::to_string(K) + ")");
  std::vector<Poly> G{Poly{Rational(1)}};
  if (K >= 1) G.push_back(Poly{Rational(0), Rational(1)});
  for (int k = 1; k < K; ++k) {
    Poly next(k + 2, Rational(0));
    const Rational a(2 * k + d - 2, k + d - 2), b(k, k + d - 2);
    for (size_t j = 0; j < G[k].size(); ++j) next[j + 1] += a * G[k][j];
    for (size_t j = 0; j < G[k - 1].size(); ++j) next[j] -= b * G[k - 1][j];
    G.push_back(std::move(next));
  }
  return G;
}

bool polynomial_nonnegative(const std::vector<Rational>& q_in, const Rational& a, const Rational& b) {
  Poly q = q_in;
  trim_poly(q);
  if (q.empty()) return true;
  if (q.size() == 1) return q[0] > 0;
  // Yun's square-free decomposition: q = lc·Π a_i^i with a_i monic, square-free and pairwise coprime.
  const Rational lc = q.back();
  Poly qm = make_monic(q);
  Poly odd{Rational(1)};
  Poly a0 = gcd_monic(qm, derivative(qm));
  Poly bi = divmod(qm, a0).first;
  Poly ci = divmod(derivative(qm), a0).first;
  Poly di = sub(ci, derivative(bi));
  for (int i = 1; bi.size() > 1; ++i) {
    Poly ai = gcd_monic(bi, di);
    if (i % 2 == 1) odd = mul(odd, ai);
    bi = divmod(bi, ai).first;
    ci = divmod(di, ai).first;
    di = sub(ci, derivative(bi));
  }
  // Remove roots of the odd part at the end points (allowed: q may vanish there).
  // (t − a) > 0 and (t − b) < 0 inside, so each factor (t − b) removed flips the sign read off below.
  int sign = lc > 0 ? 1 : -1;
  for (const Rational& e : {a, b}) {
    const Poly lin{Rational(-e), Rational(1)};
    while (odd.size() > 1 && eval(odd, e) == 0) {
      odd = divmod(odd, lin).first;
      if (e == b) sign = -sign;
    }
  }
  if (odd.size() > 1 && roots_inside(odd, a, b) != 0) return false;
  // No sign change inside: the sign of q away from its even-multiplicity roots is that of lc·odd at the midpoint.
  const Rational mid = (a + b) / 2;
  return (sign > 0) == (eval(odd, mid) > 0);
}

Rational equally_spaced_lines_ratio(int k, int m) {
  check_power(m);
  if (k < 1) throw InputError("equally spaced lines: the number of lines must be at least 1 (got " + std::to_string(k) + ")");
  Int sum = 0, binom = 1, four_m = 1;
  for (int r = 0; r <= 2 * m; ++r) {
    if (((r - m) % k + k) % k == 0) sum += binom;
    binom = binom * (2 * m - r) / (r + 1);
  }
  for (int j = 0; j < m; ++j) four_m *= 4;
  return Rational(four_m, sum);
}

namespace {

// t^{2m} − Σ f_k G_k(t) in the monomial basis.
Poly gap_polynomial(int d, int m, const std::vector<Rational>& f) {
  const auto G = gegenbauer_polynomials(d, static_cast<int>(f.size()) - 1);
  Poly g(std::max<size_t>(2 * m + 1, f.size()), Rational(0));
  g[2 * m] = 1;
  for (size_t k = 0; k < f.size(); ++k)
    for (size_t j = 0; j < G[k].size(); ++j) g[j] -= f[k] * G[k][j];
  trim_poly(g);
  return g;
}

Rational f_at_one(const std::vector<Rational>& f) {
  Rational s = 0;
  for (const Rational& c : f) s += c;  // G_k(1) = 1
  return s;
}

}  // namespace

std::string check_lp_polynomial(int d, int m, int n, const std::vector<Rational>& f) {
  if (f.empty()) return "the LP polynomial f has no coefficients";
  for (size_t k = 1; k < f.size(); ++k)
    if (f[k] < 0) return "Gegenbauer coefficient f_" + std::to_string(k) + " = " + rstr(f[k]) + " is negative";
  if (!polynomial_nonnegative(gap_polynomial(d, m, f), Rational(-1), Rational(1)))
    return "t^" + std::to_string(2 * m) + " - f(t) takes negative values on [-1, 1] (exact Sturm count)";
  if (!(f[0] + (1 - f_at_one(f)) / n > 0)) return "f_0 + (1 - f(1))/n is not positive";
  return "";
}

Rational lp_bound_value(int n, const std::vector<Rational>& f) {
  return 1 / (f[0] + (1 - f_at_one(f)) / n);
}

// ------------------------------------------------------------------------------------------------ the LP

namespace {

using R = Real100;

R horner(const std::vector<R>& p, const R& t) {
  R v = 0;
  for (auto it = p.rbegin(); it != p.rend(); ++it) v = v * t + *it;
  return v;
}

std::vector<R> derivative_r(const std::vector<R>& p) {
  std::vector<R> d;
  for (size_t j = 1; j < p.size(); ++j) d.push_back(p[j] * static_cast<int>(j));
  return d;
}

// Solves the square system A x = b by Gaussian elimination with partial pivoting (A is small). False if singular.
bool solve_dense(std::vector<std::vector<R>> A, std::vector<R> b, std::vector<R>& x) {
  const size_t N = b.size();
  for (size_t c = 0; c < N; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < N; ++r)
      if (abs(A[r][c]) > abs(A[piv][c])) piv = r;
    if (abs(A[piv][c]) < R("1e-80")) return false;
    std::swap(A[c], A[piv]);
    std::swap(b[c], b[piv]);
    for (size_t r = c + 1; r < N; ++r) {
      const R q = A[r][c] / A[c][c];
      for (size_t k = c; k < N; ++k) A[r][k] -= q * A[c][k];
      b[r] -= q * b[c];
    }
  }
  x.assign(N, R(0));
  for (size_t c = N; c-- > 0;) {
    R s = b[c];
    for (size_t k = c + 1; k < N; ++k) s -= A[c][k] * x[k];
    x[c] = s / A[c][c];
  }
  return true;
}

// The simplest rational within tol of x with denominator ≤ max_den (continued fractions), if any.
std::optional<Rational> reconstruct(const R& x, const R& tol, const Int& max_den) {
  Int h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  R y = x;
  for (int it = 0; it < 200; ++it) {
    const R fl = floor(y);
    const Int a(fl.str(0, std::ios_base::fixed));
    const Int h2 = a * h1 + h0, k2 = a * k1 + k0;
    if (k2 > max_den) return std::nullopt;
    h0 = h1; h1 = h2; k0 = k1; k1 = k2;
    const Rational q(h1, k1);
    if (abs(from_rational<R>(q) - x) <= tol) return q;
    const R frac = y - fl;
    if (frac == 0) return q;
    y = 1 / frac;
  }
  return std::nullopt;
}

Rational to_rational(const R& x, int digits) { return parse_rational(to_decimal(x, digits), "internal"); }

struct GlpDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

}  // namespace

LpUpper lp_upper_bound(int d, int m, int n, const LpOptions& opt) {
  check_power(m);
  if (d < 2) throw InputError("--d: the LP bound needs d >= 2 (got " + std::to_string(d) + ")");
  if (n < 1) throw InputError("--n: the number of vectors must be at least 1 (got " + std::to_string(n) + ")");
  const int K = opt.degree == 0 ? 2 * m + 4 : opt.degree;
  if (K < 0 || K % 2 != 0 || K > 200)
    throw InputError("--degree: the LP degree must be even and in 0..200 (got " + std::to_string(K) + ")");
  if (opt.grid < 10 || opt.grid > 1000000)
    throw InputError("--grid: the LP grid must have 10..1000000 points (got " + std::to_string(opt.grid) + ")");
  const auto G = gegenbauer_polynomials(d, K);
  const int cols = K / 2 + 1;  // f_0, f_2, ..., f_K (odd coefficients are 0: see docs/theory.md §5.8)
  std::vector<std::vector<double>> Gd(K + 1);
  for (int k = 0; k <= K; ++k)
    for (const Rational& c : G[k]) Gd[k].push_back(static_cast<double>(c));
  auto Gval = [&](int k, double t) {
    double v = 0;
    for (auto it = Gd[k].rbegin(); it != Gd[k].rend(); ++it) v = v * t + *it;
    return v;
  };

  // The grid LP: maximise (1 − 1/n)·f_0 − (1/n)·Σ_{k≥2} f_k subject to f(t_i) ≤ t_i^{2m}, f_k ≥ 0 for k ≥ 2.
  std::unique_ptr<glp_prob, GlpDeleter> lp(glp_create_prob());
  glp_set_obj_dir(lp.get(), GLP_MAX);
  glp_add_cols(lp.get(), cols);
  glp_set_col_bnds(lp.get(), 1, GLP_FR, 0, 0);
  glp_set_obj_coef(lp.get(), 1, 1.0 - 1.0 / n);
  for (int c = 2; c <= cols; ++c) {
    glp_set_col_bnds(lp.get(), c, GLP_LO, 0, 0);
    glp_set_obj_coef(lp.get(), c, -1.0 / n);
  }
  const int N = opt.grid;
  std::vector<double> grid(N);
  glp_add_rows(lp.get(), N);
  std::vector<int> idx(cols + 1);
  std::vector<double> val(cols + 1);
  for (int i = 0; i < N; ++i) {
    const double t = i == N - 1 ? 0.0 : std::cos(M_PI / 2 * i / (N - 1));  // from t = 1 down to t = 0
    grid[i] = t;
    glp_set_row_bnds(lp.get(), i + 1, GLP_UP, 0, std::pow(t, 2 * m));
    for (int c = 1; c <= cols; ++c) {
      idx[c] = c;
      val[c] = Gval(2 * (c - 1), t);
    }
    glp_set_mat_row(lp.get(), i + 1, cols, idx.data(), val.data());
  }
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_OFF;
  const int rc = glp_simplex(lp.get(), &parm);

  LpUpper out;
  std::vector<Rational> best;  // best certified f so far
  Rational best_value = 0;
  auto consider = [&](std::vector<Rational> f, const std::string& method) {
    if (!check_lp_polynomial(d, m, n, f).empty()) return false;
    const Rational v = lp_bound_value(n, f);
    if (best.empty() || v < best_value) {
      best = std::move(f);
      best_value = v;
      out.method = method;
    }
    return true;
  };
  // Always-valid fallbacks: f = 0 (bound n) and f = t^{2m} itself (bound F*(d, m)).
  consider(std::vector<Rational>(K + 1, Rational(0)), "f = 0");
  if (K >= 2 * m) {
    // t^{2m} in the Gegenbauer basis, by back substitution from the top degree (G_k has leading term of degree k).
    Poly rest(2 * m + 1, Rational(0));
    rest[2 * m] = 1;
    std::vector<Rational> f(K + 1, Rational(0));
    for (int k = 2 * m; k >= 0; --k) {
      if (static_cast<int>(rest.size()) <= k || rest[k] == 0) continue;
      f[k] = rest[k] / G[k][k];
      for (size_t j = 0; j < G[k].size(); ++j) rest[j] -= f[k] * G[k][j];
    }
    consider(f, "f = t^" + std::to_string(2 * m));
  }

  if (rc == 0 && glp_get_status(lp.get()) == GLP_OPT) {
    const double obj = glp_get_obj_val(lp.get()) + 1.0 / n;
    out.lp_double = 1.0 / obj;
    std::vector<double> fd(cols);
    for (int c = 1; c <= cols; ++c) fd[c - 1] = glp_get_col_prim(lp.get(), c);
    // Purification: a coefficient that can be fixed at 0 without lowering the optimum (1e-12 relative) is not part
    // of the active set (degenerate optima otherwise give a singular Newton system).
    const double opt_obj = glp_get_obj_val(lp.get());
    std::vector<std::pair<double, int>> by_size;
    for (int c = 2; c <= cols; ++c)
      if (fd[c - 1] > 0) by_size.emplace_back(fd[c - 1], c);
    std::sort(by_size.begin(), by_size.end());
    for (const auto& [v, c] : by_size) {
      (void)v;
      glp_set_col_bnds(lp.get(), c, GLP_FX, 0, 0);
      const bool ok = glp_simplex(lp.get(), &parm) == 0 && glp_get_status(lp.get()) == GLP_OPT &&
                      glp_get_obj_val(lp.get()) >= opt_obj - 1e-12 * (std::abs(opt_obj) + 1.0 / n);
      if (!ok) {
        glp_set_col_bnds(lp.get(), c, GLP_LO, 0, 0);
        glp_simplex(lp.get(), &parm);
      }
    }
    for (int c = 1; c <= cols; ++c) fd[c - 1] = glp_get_col_prim(lp.get(), c);
    std::vector<int> support{0};
    for (int c = 2; c <= cols; ++c)
      if (fd[c - 1] > 1e-12) support.push_back(c - 1);
    // Touching points: the local minima of gap = t^{2m} − f on a fine grid of [0, 1] where gap < 1e-6 (end points
    // when gap vanishes there to 1e-9); each carries the dual weights of the tight grid rows nearest to it.
    auto gap_d = [&](double t) {
      double v = std::pow(t, 2 * m);
      for (int c = 0; c < cols; ++c) v -= fd[c] * Gval(2 * c, t);
      return v;
    };
    const int fine = 20000;
    std::vector<double> pts;
    std::vector<bool> is_end;
    if (std::abs(gap_d(1.0)) < 1e-9) pts.push_back(1.0), is_end.push_back(true);
    if (std::abs(gap_d(0.0)) < 1e-9) pts.push_back(0.0), is_end.push_back(true);
    for (int i = 1; i < fine; ++i) {
      const double t = static_cast<double>(i) / fine;
      const double g = gap_d(t);
      if (g < 1e-6 && g <= gap_d(t - 1.0 / fine) && g < gap_d(t + 1.0 / fine)) pts.push_back(t), is_end.push_back(false);
    }
    std::vector<double> weight(pts.size(), 0.0);
    for (int i = 0; i < N && !pts.empty(); ++i) {
      if (glp_get_row_stat(lp.get(), i + 1) != GLP_NU) continue;
      size_t best_p = 0;
      for (size_t q = 1; q < pts.size(); ++q)
        if (std::abs(pts[q] - grid[i]) < std::abs(pts[best_p] - grid[i])) best_p = q;
      weight[best_p] += glp_get_row_dual(lp.get(), i + 1);
    }
    std::vector<double> ends, interior, nu_end, nu_int;
    for (size_t q = 0; q < pts.size(); ++q) {
      if (std::abs(weight[q]) <= 1e-9) continue;
      (is_end[q] ? ends : interior).push_back(pts[q]);
      (is_end[q] ? nu_end : nu_int).push_back(weight[q]);
    }
    // Newton in MPFR-100 on the KKT system of the semi-infinite LP. Unknowns: f_k (k in the support), the interior
    // touching points t_i, the dual weights ν of all touching points. Equations: gap(e) = 0 at the end points,
    // gap(t_i) = gap'(t_i) = 0 inside (gap = t^{2m} − f ≥ 0 touches 0 there), and stationarity
    // Σ_j ν_j·G_k(t_j) = c_k for each k in the support (c_k the objective coefficient of f_k). Square by construction.
    const size_t nf = support.size(), ni = interior.size(), ne = ends.size();
    std::vector<std::vector<R>> GR(K + 1), GR1(K + 1), GR2(K + 1);
    for (int k = 0; k <= K; ++k) {
      for (const Rational& c : G[k]) GR[k].push_back(R(c));
      GR1[k] = derivative_r(GR[k]);
      GR2[k] = derivative_r(GR1[k]);
    }
    const size_t nx = nf + ni + ni + ne;  // f, t, ν_interior, ν_ends
    std::vector<R> x(nx);
    for (size_t a = 0; a < nf; ++a) x[a] = fd[support[a]];
    for (size_t b = 0; b < ni; ++b) x[nf + b] = interior[b], x[nf + ni + b] = nu_int[b];
    for (size_t e = 0; e < ne; ++e) x[nf + 2 * ni + e] = nu_end[e];
    const R one_over_n = R(1) / R(n);
    auto gap = [&](const R& t, int der) {
      const std::vector<std::vector<R>>& P = der == 0 ? GR : (der == 1 ? GR1 : GR2);
      R h = 0;
      if (der == 0) h = pow(t, 2 * m);
      else if (der == 1) h = R(2 * m) * pow(t, 2 * m - 1);
      else h = R(2 * m) * R(2 * m - 1) * pow(t, 2 * m - 2);
      for (size_t a = 0; a < nf; ++a) h -= x[a] * horner(P[2 * support[a]], t);
      return h;
    };
    bool refined = false;
    for (int step = 0; step < 60; ++step) {
      std::vector<std::vector<R>> J;
      std::vector<R> r;
      for (size_t e = 0; e < ne; ++e) {
        std::vector<R> jr(nx, R(0));
        for (size_t a = 0; a < nf; ++a) jr[a] = -horner(GR[2 * support[a]], R(ends[e]));
        J.push_back(std::move(jr));
        r.push_back(-gap(R(ends[e]), 0));
      }
      for (size_t b = 0; b < ni; ++b)
        for (int der : {0, 1}) {
          const R& t = x[nf + b];
          std::vector<R> jr(nx, R(0));
          for (size_t a = 0; a < nf; ++a) jr[a] = -horner((der == 0 ? GR : GR1)[2 * support[a]], t);
          jr[nf + b] = gap(t, der + 1);
          J.push_back(std::move(jr));
          r.push_back(-gap(t, der));
        }
      for (size_t a = 0; a < nf; ++a) {
        const int k = 2 * support[a];
        std::vector<R> jr(nx, R(0));
        R s = k == 0 ? -(R(1) - one_over_n) : one_over_n;
        for (size_t b = 0; b < ni; ++b) {
          const R& t = x[nf + b];
          const R& nu = x[nf + ni + b];
          s += nu * horner(GR[k], t);
          jr[nf + b] = nu * horner(GR1[k], t);
          jr[nf + ni + b] = horner(GR[k], t);
        }
        for (size_t e = 0; e < ne; ++e) {
          s += x[nf + 2 * ni + e] * horner(GR[k], R(ends[e]));
          jr[nf + 2 * ni + e] = horner(GR[k], R(ends[e]));
        }
        J.push_back(std::move(jr));
        r.push_back(-s);
      }
      R res = 0;
      for (const R& v : r) res = std::max(res, abs(v));
      if (res < R("1e-90")) {
        refined = true;
        break;
      }
      std::vector<R> dx;
      if (J.size() != nx || !solve_dense(J, r, dx)) break;
      for (size_t a = 0; a < nx; ++a) x[a] += dx[a];
    }
    std::vector<R> fr(K + 1, R(0));
    if (refined)
      for (size_t a = 0; a < nf; ++a) fr[2 * support[a]] = x[a];
    else
      for (int c = 0; c < cols; ++c) fr[2 * c] = fd[c];
    bool done = false;
    if (refined) {
      // (a) The exact optimum, when the coefficients are rationals of moderate height.
      std::vector<Rational> f(K + 1, Rational(0));
      bool all = true;
      for (int k = 0; k <= K && all; ++k) {
        auto q = reconstruct(fr[k], R("1e-70"), Int("1000000000000000000000000000000"));
        if (q) f[k] = *q;
        else all = false;
      }
      if (all) done = consider(f, "exact active set");
    }
    if (!done) {
      // (b) Rounded coefficients (negative ones for k ≥ 1 set to 0), f_0 lowered until the exact check passes.
      const int digits = refined ? 60 : 17;
      std::vector<Rational> f(K + 1, Rational(0));
      for (int k = 0; k <= K; ++k) {
        f[k] = to_rational(fr[k], digits);
        if (k > 0 && f[k] < 0) f[k] = 0;
      }
      const Rational f0 = f[0];
      for (int e = refined ? 58 : 15; e >= 2 && !done; e -= 2) {
        Rational delta = 1;
        for (int j = 0; j < e; ++j) delta /= 10;
        f[0] = f0 - delta;
        done = consider(f, std::string(refined ? "active set in MPFR-100" : "grid LP") + ", rounded, f_0 lowered by 1e-" +
                               std::to_string(e));
      }
    }
  }
  out.f = best;
  out.value = best_value;
  return out;
}

// ------------------------------------------------------------------------------------------------ exact F

namespace {

// F(W) for a rational W in integer arithmetic: W·L (L the lcm of the denominators) has integer entries and the same
// F, so the Gram entries and their powers are GMP integers (no gcd per addition, as Rational sums would need).
Rational exact_ratio_of_weights(const Matrix<Rational>& W, int m) {
  Int L = 1;
  for (Eigen::Index r = 0; r < W.rows(); ++r)
    for (Eigen::Index c = 0; c < W.cols(); ++c) L = boost::multiprecision::lcm(L, denominator(W(r, c)));
  const Eigen::Index n = W.cols();
  std::vector<std::vector<Int>> Z(static_cast<size_t>(n), std::vector<Int>(static_cast<size_t>(W.rows())));
  for (Eigen::Index c = 0; c < n; ++c)
    for (Eigen::Index r = 0; r < W.rows(); ++r)
      Z[c][r] = numerator(W(r, c)) * (L / denominator(W(r, c)));
  Int trace = 0, squares = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i; j < n; ++j) {
      Int g = 0;
      for (Eigen::Index r = 0; r < W.rows(); ++r) g += Z[i][r] * Z[j][r];
      const Int gm = boost::multiprecision::pow(g, static_cast<unsigned>(m));
      if (i == j) {
        trace += gm;
        squares += gm * gm;
      } else {
        squares += 2 * gm * gm;
      }
    }
  if (squares == 0) return Rational(0);
  return Rational(trace * trace, squares);
}

// a + b·√r in Q(√r), r > 1 a square-free integer (r = 1 is not used: b is then 0).
struct QuadraticNumber {
  Rational a, b;
};

struct QuadraticField {
  Int r;  // the radicand
  QuadraticNumber add(const QuadraticNumber& x, const QuadraticNumber& y) const { return {x.a + y.a, x.b + y.b}; }
  QuadraticNumber sub(const QuadraticNumber& x, const QuadraticNumber& y) const { return {x.a - y.a, x.b - y.b}; }
  QuadraticNumber mul(const QuadraticNumber& x, const QuadraticNumber& y) const {
    return {x.a * y.a + x.b * y.b * Rational(r), x.a * y.b + x.b * y.a};
  }
  // x / y for y ≠ 0: multiply by the conjugate; the norm a² − b²r is non-zero because √r is irrational.
  QuadraticNumber div(const QuadraticNumber& x, const QuadraticNumber& y) const {
    const Rational norm = y.a * y.a - y.b * y.b * Rational(r);
    const QuadraticNumber t = mul(x, {y.a, -y.b});
    return {t.a / norm, t.b / norm};
  }
  // The exact sign of a + b√r: compare a² with b²r when the signs of a and b differ.
  int sign(const QuadraticNumber& x) const {
    const int sa = x.a > 0 ? 1 : (x.a < 0 ? -1 : 0), sb = x.b > 0 ? 1 : (x.b < 0 ? -1 : 0);
    if (sa == 0) return sb;
    if (sb == 0 || sa == sb) return sa;
    const Rational a2 = x.a * x.a, b2r = x.b * x.b * Rational(r);
    return a2 > b2r ? sa : (a2 < b2r ? sb : 0);
  }
  QuadraticNumber pow(QuadraticNumber x, int e) const {
    QuadraticNumber y{Rational(1), Rational(0)};
    for (; e > 0; e >>= 1, x = mul(x, x))
      if (e & 1) y = mul(y, x);
    return y;
  }
};

bool square_free(const Int& r) {
  if (r < 2) return false;
  for (Int p = 2; p * p <= r; ++p)
    if (r % (p * p) == 0) return false;
  return true;
}

}  // namespace

std::string check_gram_witness(int d, int m, int n, const GramWitness& g, Rational* ratio) {
  const Eigen::Index k = g.G.rows();
  if (k < 1 || k > n || g.G.cols() != k) return "the Gram matrix must be k x k with 1 <= k <= n";
  const bool irrational = g.radicand != 1;
  if (irrational) {
    if (g.radicand < 2 || g.radicand > 1000000 || !square_free(Int(g.radicand)))
      return "the radicand must be a square-free integer in 2..10^6 (or 1: a rational Gram matrix)";
    if (g.G_sqrt.rows() != k || g.G_sqrt.cols() != k) return "G_sqrt must have the shape of G";
  }
  const QuadraticField Q{Int(irrational ? g.radicand : 2)};
  auto entry = [&](Eigen::Index i, Eigen::Index j) {
    return QuadraticNumber{g.G(i, j), irrational ? g.G_sqrt(i, j) : Rational(0)};
  };
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = i + 1; j < k; ++j)
      if (g.G(i, j) != g.G(j, i) || (irrational && g.G_sqrt(i, j) != g.G_sqrt(j, i)))
        return "the Gram matrix is not symmetric";
  // Positive semidefinite of rank ≤ d, exactly: symmetric elimination on positive diagonal pivots (a Schur complement
  // of a positive pivot is PSD iff the matrix is); a negative diagonal entry refutes PSD, and once every remaining
  // diagonal entry is 0 the remaining block must vanish. Rank = the number of positive pivots.
  std::vector<std::vector<QuadraticNumber>> M(static_cast<size_t>(k), std::vector<QuadraticNumber>(static_cast<size_t>(k)));
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) M[i][j] = entry(i, j);
  std::vector<size_t> active(static_cast<size_t>(k));
  for (size_t i = 0; i < active.size(); ++i) active[i] = i;
  int rank = 0;
  while (!active.empty()) {
    std::optional<size_t> pivot;
    for (size_t i : active) {
      const int s = Q.sign(M[i][i]);
      if (s < 0) return "the Gram matrix is not positive semidefinite (a negative pivot)";
      if (s > 0 && !pivot) pivot = i;
    }
    if (!pivot) {
      for (size_t i : active)
        for (size_t j : active)
          if (Q.sign(M[i][j]) != 0) return "the Gram matrix is not positive semidefinite (a zero pivot with a non-zero row)";
      break;
    }
    const size_t p = *pivot;
    active.erase(std::find(active.begin(), active.end(), p));
    for (size_t i : active) {
      const QuadraticNumber factor = Q.div(M[i][p], M[p][p]);
      for (size_t j : active) M[i][j] = Q.sub(M[i][j], Q.mul(factor, M[p][j]));
    }
    if (++rank > d) return "the Gram matrix has rank above d = " + std::to_string(d);
  }
  // F = (Σ_i G_ii^m)² / Σ_{i,j} G_ij^{2m}, which must be rational.
  QuadraticNumber trace{Rational(0), Rational(0)}, squares{Rational(0), Rational(0)};
  for (Eigen::Index i = 0; i < k; ++i) {
    trace = Q.add(trace, Q.pow(entry(i, i), m));
    for (Eigen::Index j = 0; j < k; ++j) squares = Q.add(squares, Q.pow(entry(i, j), 2 * m));
  }
  if (Q.sign(squares) == 0) return "the Gram matrix is zero";
  const QuadraticNumber F = Q.div(Q.mul(trace, trace), squares);
  if (F.b != 0) return "F of the Gram matrix is irrational";
  if (ratio != nullptr) *ratio = F.a;
  return "";
}

namespace {

// A Gram witness read off a numerical optimum V (d×n): G = VᵀV over the columns that are not negligible, scaled so
// that its largest diagonal entry is 1, each entry recognised as a rational of denominator ≤ 10^4 or as ±(k/q)·√r
// with x² = p/q (q ≤ 10^4), all r equal. std::nullopt when an entry is not recognised or the exact check fails.
std::optional<GramWitness> recognise_gram(const Matrix<Real50>& V, int d, int m, int n, const R& tol) {
  std::vector<Eigen::Index> keep;
  R largest = 0;
  for (Eigen::Index c = 0; c < V.cols(); ++c) largest = std::max(largest, R(V.col(c).squaredNorm()));
  if (largest == 0) return std::nullopt;
  for (Eigen::Index c = 0; c < V.cols(); ++c)
    if (R(V.col(c).squaredNorm()) > largest * R("1e-30")) keep.push_back(c);
  const auto k = static_cast<Eigen::Index>(keep.size());
  GramWitness g;
  g.G = Matrix<Rational>::Zero(k, k);
  g.G_sqrt = Matrix<Rational>::Zero(k, k);
  const Int max_den(10000);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = i; j < k; ++j) {
      const R x = R(V.col(keep[i]).dot(V.col(keep[j]))) / largest;
      if (auto q = reconstruct(x, tol, max_den)) {
        g.G(i, j) = g.G(j, i) = *q;
        continue;
      }
      const auto s = reconstruct(x * x, tol, max_den);
      if (!s || *s <= 0) return std::nullopt;
      // x = ±√(p/q) = ±(1/q)·√(p·q) = ±(k/q)·√r with p·q = k²·r, r square-free.
      Int rest = numerator(*s) * denominator(*s), root = 1;
      for (Int f = 2; f * f <= rest; ++f)
        while (rest % (f * f) == 0) {
          rest /= f * f;
          root *= f;
        }
      if (rest == 1) return std::nullopt;  // rational, but not within the first tolerance
      if (g.radicand == 1) g.radicand = static_cast<long long>(rest);
      if (Int(g.radicand) != rest) return std::nullopt;  // two quadratic fields
      const Rational b = Rational(root, denominator(*s)) * (x < 0 ? -1 : 1);
      g.G_sqrt(i, j) = g.G_sqrt(j, i) = b;
    }
  if (g.radicand == 1) g.G_sqrt.resize(0, 0);
  if (!check_gram_witness(d, m, n, g).empty()) return std::nullopt;
  return g;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ lower bounds

namespace {

Rational simplified_lower(const Rational& ratio) {
  if (denominator(ratio) < Int("1000000000000")) return ratio;
  Int scale = 1;
  for (int j = 0; j < 30; ++j) scale *= 10;
  const Int num = numerator(ratio) * scale;
  Int q = num / denominator(ratio);  // truncation toward zero; ratio > 0
  return Rational(q, scale);
}

ExactLower from_weights(const Matrix<Rational>& W, int m) {
  ExactLower e;
  e.kind = "weights";
  e.W = W;
  e.ratio = exact_ratio_of_weights(W, m);
  e.value = simplified_lower(e.ratio);
  return e;
}

ExactLower from_gram(const GramWitness& g, int d, int m, int n) {
  ExactLower e;
  e.kind = "gram";
  e.gram = g;
  const std::string why = check_gram_witness(d, m, n, g, &e.ratio);
  if (!why.empty()) throw std::logic_error("from_gram: " + why);
  e.value = simplified_lower(e.ratio);
  return e;
}

}  // namespace

ExactLower exact_lower_bound(int d, int m, int n, const OptimizeOptions& search, const ExactLower* previous) {
  check_sizes(d, n);
  check_power(m);
  const int k0 = std::min(d, n);
  Matrix<Rational> I = Matrix<Rational>::Zero(d, k0);
  for (int i = 0; i < k0; ++i) I(i, i) = 1;
  ExactLower best = from_weights(I, m);
  auto take = [&](ExactLower e) {
    if (e.value > best.value) best = std::move(e);
  };
  if (d == 2)
    for (int k = 2; k <= std::min(n, m + 1); ++k) {
      ExactLower e;
      e.kind = "equally_spaced_lines";
      e.lines = k;
      e.ratio = e.value = equally_spaced_lines_ratio(k, m);
      take(e);
    }
  if (previous != nullptr && (previous->kind == "equally_spaced_lines" || previous->W.cols() <= n) &&
      previous->gram.G.rows() <= n)
    take(*previous);
  if (search.starts > 0) {
    FirstOrderResult r = optimize_first_order(d, n, m, search);
    // Rotate to a triangular frame (modified Gram–Schmidt on the columns, in order) so that structured optima
    // (orthogonal columns, coordinate-aligned designs) get short rational entries.
    const Matrix<Real50>& V = r.V;
    std::vector<Vector<Real50>> basis;
    for (Eigen::Index c = 0; c < V.cols() && static_cast<int>(basis.size()) < d; ++c) {
      Vector<Real50> v = V.col(c);
      for (const auto& q : basis) v -= q * q.dot(v);
      const Real50 nv = v.norm();
      if (nv > Real50("1e-20")) basis.push_back(v / nv);
    }
    // Two roundings, both evaluated exactly: snapping to short rationals within 1e-25 (1e-12 when the optimum was
    // not polished and is only double-accurate), and plain rounding to 30 digits.
    const R tol(r.polished ? "1e-25" : "1e-12");
    for (bool snap : {true, false}) {
      Matrix<Rational> W = Matrix<Rational>::Zero(d, V.cols());
      for (size_t i = 0; i < basis.size(); ++i)
        for (Eigen::Index c = 0; c < V.cols(); ++c) {
          const R x = R(basis[i].dot(V.col(c)));
          auto q = snap ? reconstruct(x, tol, Int(1000000)) : std::nullopt;
          W(static_cast<Eigen::Index>(i), c) = q ? *q : to_rational(x, 30);
        }
      // Drop zero columns (padding with zeros leaves F unchanged).
      std::vector<Eigen::Index> keep;
      for (Eigen::Index c = 0; c < W.cols(); ++c)
        if (!W.col(c).isZero()) keep.push_back(c);
      if (keep.empty()) continue;
      Matrix<Rational> Wk(d, static_cast<Eigen::Index>(keep.size()));
      for (size_t c = 0; c < keep.size(); ++c) Wk.col(static_cast<Eigen::Index>(c)) = W.col(keep[c]);
      take(from_weights(Wk, m));
    }
    if (auto g = recognise_gram(V, d, m, n, R(r.polished ? "1e-20" : "1e-10"))) take(from_gram(*g, d, m, n));
  }
  return best;
}

OptimizeOptions fstar_search_options(int starts) {
  OptimizeOptions o;
  o.starts = starts;
  o.seed = 1;
  o.polish_max_params = 60;
  return o;
}

FstarBracket fstar_n_bracket(int d, int m, int n) {
  FstarBracket b = fstar_n_closed_form_bracket(d, m, n);  // validates d, m, n
  if (b.design()) return b;
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int>, FstarBracket> cache;
  const auto key = std::make_tuple(d, m, n);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const LpUpper upper = lp_upper_bound(d, m, n);
  // The witness search only while d·n ≤ kFstarBracketSearchParams (seconds per cell); beyond, the closed forms.
  const int starts = d * n <= kFstarBracketSearchParams ? kFstarBracketStarts : 0;
  const ExactLower lower = exact_lower_bound(d, m, n, fstar_search_options(starts));
  b.lower = lower.value;
  b.lower_kind = lower.kind;
  b.upper = upper.value;
  b.upper_method = "LP certificate, " + upper.method;
  std::lock_guard<std::mutex> lock(mutex);
  return cache.emplace(key, b).first->second;
}

// ------------------------------------------------------------------------------------------------ certificates

std::string certificate_to_json(const FstarCertificate& c) {
  nlohmann::ordered_json j;
  j["format"] = "superpose-fstar-certificate-2";
  j["d"] = c.d;
  j["m"] = c.m;
  j["n"] = c.n;
  j["status"] = c.proved() ? "proved" : "bracketed";
  j["claim"] = fmt::format("{} <= F*_n(d={}, m={}) for n = {} <= {}", c.lower.value.str(), c.d, c.m, c.n, c.upper.str());
  nlohmann::ordered_json f = nlohmann::ordered_json::array();
  for (const Rational& q : c.f) f.push_back(q.str());
  j["upper"] = {{"basis", "Gegenbauer G_k of S^(d-1), G_k(1) = 1"}, {"f", f}, {"value", c.upper.str()}};
  nlohmann::ordered_json lo;
  lo["kind"] = c.lower.kind;
  if (c.lower.kind == "weights") {
    nlohmann::ordered_json W = nlohmann::ordered_json::array();
    for (Eigen::Index r = 0; r < c.lower.W.rows(); ++r) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (Eigen::Index k = 0; k < c.lower.W.cols(); ++k) row.push_back(c.lower.W(r, k).str());
      W.push_back(row);
    }
    lo["W"] = W;
  } else if (c.lower.kind == "gram") {
    auto rows = [](const Matrix<Rational>& M) {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (Eigen::Index r = 0; r < M.rows(); ++r) {
        nlohmann::ordered_json row = nlohmann::ordered_json::array();
        for (Eigen::Index k = 0; k < M.cols(); ++k) row.push_back(M(r, k).str());
        a.push_back(row);
      }
      return a;
    };
    lo["claim"] = "G = G + G_sqrt*sqrt(sqrt_of) is the Gram matrix W^T W of some W in R^(d x k): PSD of rank <= d";
    lo["sqrt_of"] = c.lower.gram.radicand;
    lo["G"] = rows(c.lower.gram.G);
    if (c.lower.gram.radicand != 1) lo["G_sqrt"] = rows(c.lower.gram.G_sqrt);
  } else {
    lo["lines"] = c.lower.lines;
  }
  lo["ratio"] = c.lower.ratio.str();
  lo["value"] = c.lower.value.str();
  j["lower"] = lo;
  return j.dump(2) + "\n";
}

namespace {

Rational rational_field(const nlohmann::json& j, const std::string& key, const std::string& source) {
  if (!j.contains(key) || !j[key].is_string())
    throw InputError(source + ": field '" + key + "' is missing or not a rational string such as \"3/7\"");
  return parse_rational(j[key].get<std::string>(), source + ": field '" + key + "'");
}

int int_field(const nlohmann::json& j, const std::string& key, const std::string& source, int lo, int hi) {
  if (!j.contains(key) || !j[key].is_number_integer())
    throw InputError(source + ": field '" + key + "' is missing or not an integer");
  const long long v = j[key].get<long long>();
  if (v < lo || v > hi)
    throw InputError(source + ": field '" + key + "' = " + std::to_string(v) + " is outside " + std::to_string(lo) +
                     ".." + std::to_string(hi));
  return static_cast<int>(v);
}

}  // namespace

FstarCertificate parse_certificate(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(source + ": not valid JSON (expected a certificate written by superpose fstar-table)");
  }
  const std::string format = j.is_object() ? j.value("format", "") : "";
  if (format != "superpose-fstar-certificate-1" && format != "superpose-fstar-certificate-2")
    throw InputError(source + ": not a superpose certificate (field \"format\" must be \"superpose-fstar-certificate-1\" "
                     "or \"-2\")");
  FstarCertificate c;
  c.d = int_field(j, "d", source, 2, 1000);
  c.m = int_field(j, "m", source, 1, kMaxPower);
  if (c.m % 2 == 0) throw InputError(source + ": field 'm' must be odd (got " + std::to_string(c.m) + ")");
  c.n = int_field(j, "n", source, 1, 1000000);
  if (!j.contains("upper") || !j["upper"].is_object() || !j["upper"].contains("f") || !j["upper"]["f"].is_array())
    throw InputError(source + ": field 'upper.f' is missing or not an array of rational strings");
  const auto& fa = j["upper"]["f"];
  if (fa.empty() || fa.size() > 201) throw InputError(source + ": 'upper.f' must hold 1..201 coefficients");
  for (size_t k = 0; k < fa.size(); ++k) {
    if (!fa[k].is_string()) throw InputError(source + ": 'upper.f' entry " + std::to_string(k) + " is not a string");
    c.f.push_back(parse_rational(fa[k].get<std::string>(), source + ": upper.f[" + std::to_string(k) + "]"));
  }
  c.upper = rational_field(j["upper"], "value", source);
  if (!j.contains("lower") || !j["lower"].is_object()) throw InputError(source + ": field 'lower' is missing");
  const auto& lo = j["lower"];
  c.lower.kind = lo.value("kind", "");
  if (c.lower.kind == "weights") {
    if (!lo.contains("W") || !lo["W"].is_array() || static_cast<int>(lo["W"].size()) != c.d)
      throw InputError(source + ": 'lower.W' must be an array of d = " + std::to_string(c.d) + " rows");
    const size_t cols = lo["W"][0].is_array() ? lo["W"][0].size() : 0;
    if (cols < 1 || static_cast<int>(cols) > c.n)
      throw InputError(source + ": 'lower.W' rows must hold 1..n = " + std::to_string(c.n) + " entries");
    c.lower.W.resize(c.d, static_cast<Eigen::Index>(cols));
    for (int r = 0; r < c.d; ++r) {
      const auto& row = lo["W"][r];
      if (!row.is_array() || row.size() != cols) throw InputError(source + ": 'lower.W' rows have unequal lengths");
      for (size_t k = 0; k < cols; ++k) {
        if (!row[k].is_string()) throw InputError(source + ": 'lower.W' entries must be rational strings");
        c.lower.W(r, static_cast<Eigen::Index>(k)) =
            parse_rational(row[k].get<std::string>(), source + ": lower.W[" + std::to_string(r) + "][" + std::to_string(k) + "]");
      }
    }
  } else if (c.lower.kind == "equally_spaced_lines") {
    c.lower.lines = int_field(lo, "lines", source, 1, 1000000);
  } else if (c.lower.kind == "gram" && format == "superpose-fstar-certificate-2") {
    c.lower.gram.radicand = int_field(lo, "sqrt_of", source, 1, 1000000);
    auto square = [&](const std::string& key) {
      if (!lo.contains(key) || !lo[key].is_array() || lo[key].empty() || static_cast<int>(lo[key].size()) > c.n)
        throw InputError(source + ": 'lower." + key + "' must be an array of 1..n = " + std::to_string(c.n) + " rows");
      const size_t k = lo[key].size();
      Matrix<Rational> M(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
      for (size_t r = 0; r < k; ++r) {
        const auto& row = lo[key][r];
        if (!row.is_array() || row.size() != k) throw InputError(source + ": 'lower." + key + "' must be square");
        for (size_t q = 0; q < k; ++q) {
          if (!row[q].is_string()) throw InputError(source + ": 'lower." + key + "' entries must be rational strings");
          M(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(q)) = parse_rational(
              row[q].get<std::string>(), source + ": lower." + key + "[" + std::to_string(r) + "][" + std::to_string(q) + "]");
        }
      }
      return M;
    };
    c.lower.gram.G = square("G");
    if (c.lower.gram.radicand != 1) c.lower.gram.G_sqrt = square("G_sqrt");
  } else {
    throw InputError(source + ": 'lower.kind' must be \"weights\", \"equally_spaced_lines\" or (format -2) \"gram\"");
  }
  c.lower.ratio = rational_field(lo, "ratio", source);
  c.lower.value = rational_field(lo, "value", source);
  return c;
}

std::string check_certificate(const FstarCertificate& c, const std::string& status) {
  std::string why = check_lp_polynomial(c.d, c.m, c.n, c.f);
  if (!why.empty()) return "upper bound: " + why;
  const Rational up = lp_bound_value(c.n, c.f);
  if (up != c.upper)
    return "upper bound: the stated value " + rstr(c.upper) + " is not 1/(f_0 + (1 - f(1))/n) = " + rstr(up);
  if (c.lower.kind == "equally_spaced_lines") {
    if (c.d != 2) return "lower bound: equally spaced lines are a witness for d = 2 only";
    if (c.lower.lines > c.n) return "lower bound: more lines than n";
    const Rational r = equally_spaced_lines_ratio(c.lower.lines, c.m);
    if (r != c.lower.ratio) return "lower bound: the stated ratio is not F of " + std::to_string(c.lower.lines) + " equally spaced lines = " + rstr(r);
  } else if (c.lower.kind == "gram") {
    Rational r;
    const std::string why_gram = check_gram_witness(c.d, c.m, c.n, c.lower.gram, &r);
    if (!why_gram.empty()) return "lower bound: " + why_gram;
    if (r != c.lower.ratio) return "lower bound: the stated ratio " + rstr(c.lower.ratio) + " is not F(G) = " + rstr(r);
  } else {
    if (c.lower.W.rows() != c.d || c.lower.W.cols() < 1 || c.lower.W.cols() > c.n)
      return "lower bound: W must be d x n' with 1 <= n' <= n";
    const Rational r = exact_ratio_of_weights(c.lower.W, c.m);
    if (r != c.lower.ratio) return "lower bound: the stated ratio " + rstr(c.lower.ratio) + " is not F(W) = " + rstr(r);
  }
  if (c.lower.value > c.lower.ratio) return "lower bound: the stated value exceeds the witness's ratio";
  if (c.lower.value > c.upper) return "the lower bound exceeds the upper bound";
  if (status == "proved" && c.lower.value != c.upper) return "status 'proved' but lower != upper";
  if (status != "" && status != "proved" && status != "bracketed") return "status must be 'proved' or 'bracketed'";
  return "";
}

// ------------------------------------------------------------------------------------------------ the table

std::vector<int> parse_int_list(const std::string& spec, const std::string& flag, int lo, int hi) {
  std::vector<int> out;
  auto one = [&](const std::string& item) {
    if (trim(item).empty())
      throw InputError(flag + ": empty value in '" + spec + "' (expected a list such as 2,3,4 or a range 2..4)");
    const Rational q = parse_rational(item, flag);
    if (denominator(q) != 1 || q < lo || q > hi)
      throw InputError(flag + ": '" + item + "' is not an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                       " (expected a list such as 2,3,4 or a range 2..4)");
    return static_cast<int>(numerator(q));
  };
  for (const std::string& item : split(spec, ',')) {
    const size_t dots = item.find("..");
    if (dots == std::string::npos) {
      out.push_back(one(item));
      continue;
    }
    const int a = one(item.substr(0, dots)), b = one(item.substr(dots + 2));
    if (b < a || b - a > 1000000) throw InputError(flag + ": empty or too long range '" + item + "'");
    for (int v = a; v <= b; ++v) out.push_back(v);
  }
  return out;
}

namespace {

// F*_n is nondecreasing in n (a zero column leaves F unchanged), so the lower bound of the largest n' < n whose
// certificate is already in `dir` is a lower bound for n. The file is re-verified exactly before it is used; a
// file that fails its check is an input error (the folder is the user's).
std::optional<ExactLower> lower_bound_from_cert_dir(const std::string& dir, int d, int m, int n) {
  if (dir.empty()) return std::nullopt;
  for (int k = n - 1; k >= 1; --k) {
    const std::filesystem::path path = std::filesystem::path(dir) / fmt::format("fstar_d{}_m{}_n{}.json", d, m, k);
    if (!std::filesystem::exists(path)) continue;
    std::ifstream in(path);
    if (!in) throw InputError("--cert-dir: cannot read " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    const FstarCertificate c = parse_certificate(text.str(), path.string());
    if (c.d != d || c.m != m || c.n != k)
      throw InputError("--cert-dir: " + path.string() + " is not the certificate of d = " + std::to_string(d) +
                       ", m = " + std::to_string(m) + ", n = " + std::to_string(k));
    const std::string why = check_certificate(c, c.proved() ? "proved" : "bracketed");
    if (!why.empty()) throw InputError("--cert-dir: " + path.string() + " fails its exact check: " + why);
    return c.lower;
  }
  return std::nullopt;
}

}  // namespace

void run_fstar_table(const FstarTableConfig& cfg, const std::function<void(const FstarCell&)>& on_cell) {
  if (cfg.d_values.empty() || cfg.m_values.empty()) throw InputError("--d, --m: the lists must not be empty");
  for (int d : cfg.d_values)
    if (d < 2 || d > 64) throw InputError("--d: dimensions must lie in 2..64 (got " + std::to_string(d) + ")");
  for (int m : cfg.m_values) check_power(m);
  for (int n : cfg.n_values)
    if (n < 1 || n > 100000) throw InputError("--n: sizes must lie in 1..100000 (got " + std::to_string(n) + ")");
  if (!cfg.cert_dir.empty()) ensure_directory(cfg.cert_dir);
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto sizes = [&](int d, int m) {
    std::vector<int> ns = cfg.n_values;
    if (ns.empty()) {
      const int design = static_cast<int>(numerator(sym_dim(d, 2 * m)));
      for (int n = 1; n <= design; ++n) ns.push_back(n);
    }
    std::sort(ns.begin(), ns.end());
    return ns;
  };
  // The certificates a table extends from are read and checked before any cell is computed or written.
  std::map<std::pair<int, int>, std::optional<ExactLower>> seeds;
  for (int d : cfg.d_values)
    for (int m : cfg.m_values) seeds[{d, m}] = lower_bound_from_cert_dir(cfg.cert_dir, d, m, sizes(d, m).front());
  for (int d : cfg.d_values)
    for (int m : cfg.m_values) {
      const std::vector<int> ns = sizes(d, m);
      const Rational fstar = f_star(d, m);
      std::optional<ExactLower> previous = seeds[{d, m}];
      for (int n : ns) {
        FstarCell cell;
        auto t0 = clock::now();
        cell.upper = lp_upper_bound(d, m, n, cfg.lp);
        auto t1 = clock::now();
        cell.seconds_lp = secs(t0, t1);  // includes the exact checks of the candidates (measured again below)
        OptimizeOptions search = cfg.search;
        if (previous && previous->value * (1 + Rational(1, Int("100000000000000000000"))) >= fstar) search.starts = 0;
        auto t2 = clock::now();
        ExactLower lower = exact_lower_bound(d, m, n, search, previous ? &*previous : nullptr);
        auto t3 = clock::now();
        cell.seconds_search = secs(t2, t3);
        previous = lower;
        cell.cert.d = d;
        cell.cert.m = m;
        cell.cert.n = n;
        cell.cert.f = cell.upper.f;
        cell.cert.upper = cell.upper.value;
        cell.cert.lower = lower;
        const std::string json = certificate_to_json(cell.cert);
        auto t4 = clock::now();
        const std::string why = check_certificate(parse_certificate(json, "certificate"), cell.cert.proved() ? "proved" : "bracketed");
        cell.seconds_exact = secs(t4, clock::now());
        if (!why.empty()) throw std::logic_error("fstar-table: a certificate failed its own check: " + why);
        if (!cfg.cert_dir.empty()) {
          cell.certificate_path = (std::filesystem::path(cfg.cert_dir) /
                                   fmt::format("fstar_d{}_m{}_n{}.json", d, m, n)).string();
          write_file_atomic(cell.certificate_path, json);
        }
        on_cell(cell);
      }
    }
}

std::string render_fstar_table(const std::vector<FstarCell>& cells, const std::string& format) {
  if (format != "md" && format != "csv" && format != "json" && format != "tex")
    throw InputError("--format: unknown format '" + format + "' (accepted: md, csv, json, tex)");
  std::ostringstream out;
  auto dec = [](const Rational& q) { return rational_to_decimal(q, 20); };
  auto ratio = [](const FstarCell& c) { return rational_to_decimal(c.cert.lower.value / c.cert.upper, 20); };
  // (upper − lower)/upper to 3 digits: the ratio rounds to 1 at 20 digits for gaps below 1e-20.
  auto gap = [](const FstarCell& c) {
    return c.cert.proved() ? std::string("0") : rational_to_decimal((c.cert.upper - c.cert.lower.value) / c.cert.upper, 3);
  };
  auto status = [](const FstarCell& c) { return c.cert.proved() ? "proved" : "bracketed"; };
  // A fraction longer than 60 characters is shown by its decimal only in md/tex (the JSON and CSV keep it).
  auto frac = [](const Rational& q) { return q.str().size() <= 60 ? q.str() : std::string("(see certificate)"); };
  if (format == "json") {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& c : cells)
      a.push_back({{"d", c.cert.d}, {"m", c.cert.m}, {"n", c.cert.n}, {"lower", c.cert.lower.value.str()},
                   {"lower_decimal", dec(c.cert.lower.value)}, {"upper", c.cert.upper.str()},
                   {"upper_decimal", dec(c.cert.upper)}, {"lower_over_upper", ratio(c)}, {"relative_gap", gap(c)},
                   {"status", status(c)},
                   {"lower_witness", c.cert.lower.kind}, {"upper_method", c.upper.method},
                   {"certificate", c.certificate_path}, {"seconds_lp", c.seconds_lp},
                   {"seconds_exact_check", c.seconds_exact}, {"seconds_search", c.seconds_search}});
    return a.dump(2) + "\n";
  }
  if (format == "csv") {
    out << "d,m,n,lower,lower_decimal,upper,upper_decimal,lower_over_upper,relative_gap,status,lower_witness,upper_method,"
           "certificate\n";
    for (const auto& c : cells)
      out << fmt::format("{},{},{},{},{},{},{},{},{},{},{},\"{}\",{}\n", c.cert.d, c.cert.m, c.cert.n, c.cert.lower.value.str(),
                         dec(c.cert.lower.value), c.cert.upper.str(), dec(c.cert.upper), ratio(c), gap(c), status(c),
                         c.cert.lower.kind, c.upper.method, c.certificate_path);
    return out.str();
  }
  if (format == "md") {
    out << "| d | m | n | lower | upper | (upper − lower)/upper | status | certificate |\n|---|---|---|---|---|---|---|---|\n";
    for (const auto& c : cells) {
      auto both = [&](const Rational& q) {
        return denominator(q) == 1 || frac(q) == "(see certificate)" ? dec(q) : frac(q) + " ≈ " + dec(q);
      };
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", c.cert.d, c.cert.m, c.cert.n,
                         both(c.cert.lower.value), both(c.cert.upper), gap(c), status(c),
                         c.certificate_path.empty() ? "-" : c.certificate_path);
    }
    return out.str();
  }
  out << "\\begin{tabular}{rrrllll}\n$d$ & $m$ & $n$ & lower & upper & relative gap & status \\\\\n\\hline\n";
  for (const auto& c : cells)
    out << fmt::format("{} & {} & {} & {} & {} & {} & {} \\\\\n", c.cert.d, c.cert.m, c.cert.n, dec(c.cert.lower.value),
                       dec(c.cert.upper), gap(c), status(c));
  out << "\\end{tabular}\n";
  return out.str();
}

}  // namespace superpose
