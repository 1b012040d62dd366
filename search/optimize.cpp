// Starts, geometry, multi-start optimisation of the gain and of the first-order ratio (search/search.hpp).
#include "search/search.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <random>

namespace superpose {

std::vector<int> represented_columns(const Matrix<double>& W) {
  const Eigen::VectorXd sq = W.colwise().squaredNorm().transpose();
  const double mx = sq.size() ? sq.maxCoeff() : 0.0;
  std::vector<int> idx;
  for (Eigen::Index i = 0; i < sq.size(); ++i)
    if (mx > 0 && sq(i) > kRepresentedThreshold * mx) idx.push_back(static_cast<int>(i));
  return idx;
}

std::vector<NamedStart> structured_starts(int d, int n, int m, std::uint64_t seed) {
  check_sizes(d, n);
  check_power(m);
  std::vector<NamedStart> out;
  out.push_back({"unsuperposed", unsuperposed_weights(d, n)});
  if (d == 2 && n >= m + 1) out.push_back({"projective_design", projective_design_weights<double>(m, n)});
  std::vector<long> ks;
  for (long k = d; k < n; k *= 2) ks.push_back(k);
  ks.push_back(n);
  for (long k : ks) {
    Matrix<double> W = Matrix<double>::Zero(d, n);
    W.leftCols(k) = random_tight_frame(d, static_cast<int>(k), static_cast<int>(k), seed + k);
    out.push_back({"tight_frame k=" + std::to_string(k), std::move(W)});
  }
  return out;
}

std::vector<Matrix<double>> random_starts(int d, int n, int count, double sigma, std::uint64_t seed) {
  check_sizes(d, n);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, sigma);
  std::vector<Matrix<double>> out;
  for (int c = 0; c < count; ++c) {
    Matrix<double> W(d, n);
    for (Eigen::Index k = 0; k < W.size(); ++k) W.data()[k] = g(rng);
    out.push_back(std::move(W));
  }
  return out;
}

Geometry geometry(const Matrix<double>& W, int m) {
  check_power(m);
  const Eigen::Index d = W.rows(), n = W.cols();
  Geometry g;
  Matrix<double> A = W.transpose() * W;
  {
    Eigen::SelfAdjointEigenSolver<Matrix<double>> es(W * W.transpose());  // same nonzero spectrum, d×d
    Eigen::VectorXd ev = es.eigenvalues().reverse();
    for (Eigen::Index k = 0; k < std::min(d, n); ++k) g.eigenvalues.push_back(std::max(0.0, ev(k)));
  }
  const double max_sq = A.diagonal().maxCoeff();
  std::vector<int> rep;
  for (Eigen::Index i = 0; i < n; ++i) {
    g.norms.push_back(std::sqrt(A(i, i)));
    if (max_sq > 0 && A(i, i) > kRepresentedThreshold * max_sq) rep.push_back(static_cast<int>(i));
  }
  g.dimensionality = feature_dimensionality(W);
  g.represented = static_cast<int>(rep.size());
  for (size_t a = 0; a < rep.size(); ++a)
    for (size_t b = a + 1; b < rep.size(); ++b) {
      const int i = rep[a], j = rep[b];
      g.max_cos = std::max(g.max_cos, std::abs(A(i, j)) / std::sqrt(A(i, i) * A(j, j)));
    }
  // design defects δ_k with weights w_i = ‖W_i‖^{2m}
  double wsum = 0;
  std::vector<double> w(n);
  for (Eigen::Index i = 0; i < n; ++i) wsum += w[i] = std::pow(A(i, i), m);
  for (int k = 1; k <= m; ++k) {
    if (wsum <= 0) {
      g.design_defects.push_back(0);
      continue;
    }
    double s = 0;
    for (int i : rep)
      for (int j : rep) {
        const double c = A(i, j) / std::sqrt(A(i, i) * A(j, j));
        s += w[i] * w[j] * std::pow(c * c, k);
      }
    g.design_defects.push_back(s / (wsum * wsum) - 1.0 / static_cast<double>(f_star(static_cast<int>(d), k)));
  }
  return g;
}

namespace {

using Vec = std::vector<double>;

Matrix<double> as_matrix(const Vec& x, Eigen::Index d, Eigen::Index n) {
  return Eigen::Map<const Matrix<double>>(x.data(), d, n);
}
Vec as_vec(const Matrix<double>& W) { return Vec(W.data(), W.data() + W.size()); }

Matrix<Real50> to_real50(const Matrix<double>& W) { return W.cast<Real50>(); }

/// Newton-polishes the columns `rep` of W50 in place (the other columns are set to 0); f acts on the d×|rep|
/// matrix of those columns. Target ‖∇f‖ < 1e-30, at most 30 steps.
PolishOutcome polish_columns(const Real50Objective& f, Matrix<Real50>& W50, const std::vector<int>& rep) {
  const Eigen::Index k = static_cast<Eigen::Index>(rep.size());
  Matrix<Real50> Wr(W50.rows(), k);
  for (Eigen::Index c = 0; c < k; ++c) Wr.col(c) = W50.col(rep[c]);
  PolishOutcome po = newton_polish(f, Wr, Real50("1e-30"), 30);
  W50.setZero();
  for (Eigen::Index c = 0; c < k; ++c) W50.col(rep[c]) = po.W.col(c);
  return po;
}

/// The one multi-start: runs NLopt from every start (d×n) on `objective(k)`, the objective of the start's k active
/// columns (d×k, column-major), and returns the best end point (d×n, the first on ties) with the per-start records.
/// Gradient-based local algorithms move only the nonzero columns (their gradient is zero at a zero column of the
/// gain and of the first-order ratio); bobyqa and mlsl move all columns.
template <class MakeObjective>
MultiStartResult multistart(const std::vector<NamedStart>& starts, const MakeObjective& objective, Eigen::Index d,
                            const OptimizeOptions& opt) {
  if (starts.empty()) throw InputError("--starts: must be at least 1");
  MaximizeOptions mo;
  mo.algorithm = opt.algorithm;
  mo.max_evals = opt.max_evals;
  const bool all_columns = opt.algorithm == Algorithm::bobyqa || opt.algorithm == Algorithm::mlsl;
  if (opt.algorithm == Algorithm::mlsl) {
    double mx = 0;
    for (const auto& st : starts) mx = std::max(mx, st.W.cwiseAbs().maxCoeff());
    mo.box = 2 * std::max(mx, 1.0);
    mo.max_evals = std::min(opt.max_evals, 5000);
  }
  MultiStartResult res;
  res.value = -std::numeric_limits<double>::infinity();
  int done = 0;
  for (const NamedStart& st : starts) {
    std::vector<Eigen::Index> active;
    for (Eigen::Index c = 0; c < st.W.cols(); ++c)
      if (all_columns || st.W.col(c).squaredNorm() > 0) active.push_back(c);
    const Eigen::Index k = static_cast<Eigen::Index>(active.size());
    Matrix<double> Wc(d, k);
    for (Eigen::Index c = 0; c < k; ++c) Wc.col(c) = st.W.col(active[c]);
    const Objective f = objective(k);
    Vec none;
    // W = 0 (no active column) is a critical point of both objectives (value 0): nothing to run.
    const double v0 = k > 0 ? f(as_vec(Wc), none) : 0.0;
    const MaximizeResult r = k > 0 ? maximize(f, as_vec(Wc), mo) : MaximizeResult{{}, 0.0, 0, "ZERO_START", true};
    res.starts.push_back(StartResult{st.kind, v0, r.value, r.evals, r.status, r.ok});
    if (r.value > res.value) {
      res.value = r.value;
      res.W = Matrix<double>::Zero(d, st.W.cols());
      for (Eigen::Index c = 0; c < k; ++c) res.W.col(active[c]) = as_matrix(r.x, d, k).col(c);
    }
    ++done;
    if (opt.progress) opt.progress(done, static_cast<int>(starts.size()), res.value);
  }
  return res;
}

}  // namespace

std::vector<NamedStart> gain_starts(const Setting& s, double p, int total, std::uint64_t seed,
                                    const std::optional<Matrix<double>>& init) {
  const int d = s.d, n = s.n, m = s.m;
  auto best_scale = [&](Matrix<double> W) {
    ScaledGain<double> sg = best_scaled_gain(gain_terms(row_power_sums(W, m), s.law, p), m);
    if (sg.scale > 0) W *= sg.scale;
    return W;
  };
  std::vector<NamedStart> starts = structured_starts(d, n, m, seed);
  for (NamedStart& st : starts) st.W = best_scale(std::move(st.W));
  if (init) starts.push_back({"init", *init});
  const double a0 = std::pow(static_cast<double>(s.law.moment(m + 1) / s.law.moment(2 * m)), 1.0 / m);
  const int fill = std::max(1, total - static_cast<int>(starts.size()));
  for (Matrix<double>& W : random_starts(d, n, fill, std::sqrt(a0 / d), seed))
    starts.push_back({"random", best_scale(std::move(W))});
  return starts;
}

MultiStartResult multistart_gain(const Setting& s, double p, const std::vector<NamedStart>& starts,
                                 const OptimizeOptions& opt) {
  const int d = s.d, m = s.m;
  auto objective = [&](Eigen::Index k) -> Objective {
    return [&s, p, d, m, k](const Vec& x, Vec& grad) -> double {
      const Matrix<double> V = as_matrix(x, d, k);
      if (grad.empty()) return evaluate(V, m, s.law, p).gain / p;
      const Evaluation<double> ev = evaluate(V, m, s.law, p, true);
      Eigen::Map<Matrix<double>>(grad.data(), d, k) = ev.grad / p;
      return ev.gain / p;
    };
  };
  return multistart(starts, objective, d, opt);
}

namespace {

// Doubles held by every search: the stored starts (structured ones: about log2(n/d) + 3), NLopt's L-BFGS history,
// the engine's copies, and geometry()'s n×n Gram matrix with its d×d eigensolver.
double search_doubles(double d, double n, int starts) {
  return d * n * (starts + std::log2(std::max(2.0, n / d)) + 3 + 25) + n * n + 3 * d * d;
}

}  // namespace

double optimize_memory_bytes(int d, int n, int m, int starts) {
  const double dd = d, nn = n;
  return sizeof(double) * search_doubles(dd, nn, starts) + evaluation_memory_bytes(dd, nn, m, 16, true) +
         evaluation_memory_bytes(dd, nn, m, 50, true) + scalar_bytes(50) * (dd * nn + 400.0 * 400.0);
}

double first_order_memory_bytes(int d, int n, int starts) {
  const double dd = d, nn = n;
  return sizeof(double) * (search_doubles(dd, nn, starts) + 2 * nn * nn) +
         scalar_bytes(50) * (3 * dd * nn + 2 * nn * nn + 400.0 * 400.0);
}

void OptimizeOptions::validate(int d, int n, int m, bool first_order) const {
  check_sizes(d, n);
  check_power(m);
  if (starts < 1 || starts > kMaxStarts)
    throw InputError("--starts: the number of starts must be an integer in 1.." + std::to_string(kMaxStarts) +
                     " (got " + std::to_string(starts) + ")");
  if (max_evals < 1)
    throw InputError("--max-evals: the objective evaluations per start must be at least 1 (got " +
                     std::to_string(max_evals) + ")");
  if (polish_max_params < 0) throw InputError("polish_max_params: must be >= 0 (0: never polish)");
  if (init) {
    if (init->rows() != d || init->cols() != n)
      throw InputError("--init: W must be d x n = " + std::to_string(d) + " x " + std::to_string(n) + " (got " +
                       std::to_string(init->rows()) + " x " + std::to_string(init->cols()) + ")");
    if (!init->allFinite()) throw InputError("--init: W has an entry outside double's range (inf or nan)");
  }
  const std::string where = " at d = " + std::to_string(d) + ", n = " + std::to_string(n) + " with " +
                            std::to_string(starts) + " starts";
  if (first_order)
    check_size_memory(first_order_memory_bytes(d, n, starts), d, n, "first-order" + where,
                      "lower n (the n x n Gram matrices dominate)");
  else
    check_size_memory(optimize_memory_bytes(d, n, m, starts), d, n, "optimize" + where,
                      "lower n or d (or --starts)");
}

OptimizeResult optimize_weights(const Setting& s, const Rational& p_exact, const OptimizeOptions& opt) {
  check_probability(p_exact);
  check_double_range(s.law, s.m, p_exact);
  opt.validate(s.d, s.n, s.m);
  const double p = from_rational<double>(p_exact);
  const int d = s.d, n = s.n, m = s.m;

  Objective f = [&](const Vec& x, Vec& grad) -> double {
    Matrix<double> W = as_matrix(x, d, n);
    if (grad.empty()) return evaluate(W, m, s.law, p).gain / p;
    Evaluation<double> ev = evaluate(W, m, s.law, p, true);
    Eigen::Map<Matrix<double>>(grad.data(), d, n) = ev.grad / p;
    return ev.gain / p;
  };

  OptimizeResult res;
  MultiStartResult ms = multistart_gain(s, p, gain_starts(s, p, opt.starts, opt.seed, opt.init), opt);
  res.starts = std::move(ms.starts);
  Matrix<double> W = std::move(ms.W);
  // Snap unrepresented columns to exactly 0 when that does not lower the gain (they sit on a flat direction).
  std::vector<int> rep = represented_columns(W);
  {
    Matrix<double> Ws = Matrix<double>::Zero(d, n);
    for (int i : rep) Ws.col(i) = W.col(i);
    Vec none;
    if (f(as_vec(Ws), none) >= f(as_vec(W), none) - 1e-13 * std::abs(f(as_vec(W), none))) W = Ws;
    else rep.clear();  // keep all columns
  }
  if (rep.empty())
    for (int i = 0; i < n; ++i) rep.push_back(i);
  {
    Evaluation<double> ev = evaluate(W, m, s.law, p, true);
    res.W = W;
    res.gain_double = ev.gain;
    res.grad_norm_double = ev.grad.norm();
  }
  const Real50 p50 = from_rational<Real50>(p_exact);
  Matrix<Real50> W50 = to_real50(W);
  const int params = d * static_cast<int>(rep.size());
  if (!opt.polish) {
    res.polish_note = "polish not requested";
  } else if (params > opt.polish_max_params) {
    res.polish_note = "polish skipped: " + std::to_string(params) + " parameters > " +
                      std::to_string(opt.polish_max_params) + " (the double optimum is certified in MPFR-50 as is)";
  } else {
    const Eigen::Index k = static_cast<Eigen::Index>(rep.size());
    Real50Objective g = [&](const Matrix<Real50>& Wr, Matrix<Real50>& grad) -> Real50 {
      Matrix<Real50> full = Matrix<Real50>::Zero(d, n);
      for (Eigen::Index c = 0; c < k; ++c) full.col(rep[c]) = Wr.col(c);
      Evaluation<Real50> ev = evaluate(full, m, s.law, p50, true);
      grad.resize(d, k);
      for (Eigen::Index c = 0; c < k; ++c) grad.col(c) = ev.grad.col(rep[c]) / p50;
      return ev.gain / p50;
    };
    PolishOutcome po = polish_columns(g, W50, rep);
    res.polished = po.converged;
    res.newton_steps = po.steps;
    res.polish_note = po.note;
  }
  Evaluation<Real50> ev = evaluate(W50, m, s.law, p50, true);
  res.W50 = W50;
  res.gain = ev.gain;
  res.loss = ev.loss;
  res.zero_loss = ev.zero_loss;
  res.grad_norm = ev.grad.norm();
  res.gain_digits = ev.gain_digits();
  res.loss_digits = ev.loss_digits();
  res.geometry = geometry(W50.cast<double>(), m);
  return res;
}

FirstOrderResult optimize_first_order(int d, int n, int m, const OptimizeOptions& opt) {
  opt.validate(d, n, m, true);
  auto objective = [d, m](Eigen::Index k) -> Objective {
    return [d, m, k](const Vec& x, Vec& grad) -> double {
      const Matrix<double> V = as_matrix(x, d, k);
      if (grad.empty()) return first_order_ratio(V, m);
      Matrix<double> G;
      const double v = first_order_ratio(V, m, &G);
      Eigen::Map<Matrix<double>>(grad.data(), d, k) = G;
      return v;
    };
  };
  std::vector<NamedStart> starts = structured_starts(d, n, m, opt.seed);
  if (opt.init) starts.push_back({"init", *opt.init});
  const int fill = std::max(1, opt.starts - static_cast<int>(starts.size()));
  for (Matrix<double>& W : random_starts(d, n, fill, 1.0, opt.seed)) starts.push_back({"random", std::move(W)});

  FirstOrderResult res;
  MultiStartResult ms = multistart(starts, objective, d, opt);
  res.starts = std::move(ms.starts);
  Matrix<double> V = std::move(ms.W);
  V /= std::max(1e-300, V.colwise().norm().maxCoeff());
  std::vector<int> rep = represented_columns(V);
  Matrix<Real50> V50 = to_real50(V);
  const Eigen::Index k = static_cast<Eigen::Index>(rep.size());
  if (opt.polish && d * k <= opt.polish_max_params) {
    Real50Objective g = [&](const Matrix<Real50>& Vr, Matrix<Real50>& grad) -> Real50 {
      return first_order_ratio(Vr, m, &grad);
    };
    PolishOutcome po = polish_columns(g, V50, rep);
    res.polished = po.converged;
    res.polish_note = po.note;
  } else {
    res.polish_note = opt.polish ? "polish skipped: too many parameters" : "polish not requested";
  }
  Matrix<Real50> G;
  res.V = V50;
  res.value = first_order_ratio(V50, m, &G);
  res.grad_norm = G.norm();
  res.ratio_to_fstar = res.value / from_rational<Real50>(f_star(d, m));
  res.geometry = geometry(V50.cast<double>(), m);
  return res;
}

int min_n_for_fstar(int d, int m, int n_max, const OptimizeOptions& opt, const std::function<void(int, double)>& per_n) {
  if (n_max < 1)
    throw InputError("--min-n: the largest n to scan must be an integer >= 1 (got " + std::to_string(n_max) + ")");
  opt.validate(d, n_max, m, true);
  OptimizeOptions o = opt;
  o.polish = false;
  o.progress = nullptr;
  const double fstar = static_cast<double>(f_star(d, m));
  for (int n = 1; n <= n_max; ++n) {
    FirstOrderResult r = optimize_first_order(d, n, m, o);
    const double ratio = static_cast<double>(r.value) / fstar;
    if (per_n) per_n(n, ratio);
    if (ratio >= 1 - 1e-9) return n;
  }
  return 0;
}

}  // namespace superpose
