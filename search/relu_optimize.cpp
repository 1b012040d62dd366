// Optimal weights of the ReLU toy model: structured starts, multi-start NLopt on the exact loss, MPFR-50 polish
// (search/search.hpp, namespace relu).
#include "search/search.hpp"

#include <cmath>
#include <limits>
#include <numbers>

namespace superpose::relu {

namespace {

/// Unit vectors of one block geometry in g dimensions.
struct StartShape {
  std::string kind;
  int g;
  std::vector<std::vector<double>> vertices;
};

std::vector<StartShape> shapes() {
  std::vector<StartShape> out;
  out.push_back({"unsuperposed", 1, {{1.0}}});
  out.push_back({"antipodal", 1, {{1.0}, {-1.0}}});
  const char* names[] = {"triangle", "square", "pentagon"};
  for (int k = 3; k <= 5; ++k) {
    StartShape s{names[k - 3], 2, {}};
    for (int r = 0; r < k; ++r) {
      const double t = 2 * std::numbers::pi * r / k;
      s.vertices.push_back({std::cos(t), std::sin(t)});
    }
    out.push_back(s);
  }
  const double c = 1 / std::sqrt(3.0);
  out.push_back({"tetrahedron", 3, {{c, c, c}, {c, -c, -c}, {-c, c, -c}, {-c, -c, c}}});
  // Square antiprism: two squares at heights ±1/2 on the unit sphere, the lower one turned by 45° (a start: the
  // optimiser moves the vertices).
  StartShape anti{"square_antiprism", 3, {}};
  const double h = 0.5, rad = std::sqrt(1 - h * h);
  for (int r = 0; r < 4; ++r) {
    const double t0 = std::numbers::pi / 2 * r, t1 = t0 + std::numbers::pi / 4;
    anti.vertices.push_back({rad * std::cos(t0), rad * std::sin(t0), h});
    anti.vertices.push_back({rad * std::cos(t1), rad * std::sin(t1), -h});
  }
  out.push_back(anti);
  return out;
}

Params<double> packed(const Problem& pr, const StartShape& s) {
  Params<double> P;
  P.W = Matrix<double>::Zero(pr.d, pr.n);
  P.b = Vector<double>::Zero(pr.n);
  int col = 0;
  for (int base = 0; base + s.g <= pr.d && col < pr.n; base += s.g)
    for (const auto& v : s.vertices) {
      if (col >= pr.n) break;
      for (int r = 0; r < s.g; ++r) P.W(base + r, col) = v[r];
      if (s.kind != "unsuperposed") P.b(col) = -0.1;
      ++col;
    }
  if (!pr.tied) P.W_dec = P.W;
  return P;
}

double t_of(const Problem& pr) {
  Rational t = 0;
  for (const Rational& x : pr.p) t = std::max(t, x);
  return from_rational<double>(t);
}

/// Parameters packed as one vector: W (column-major), then W_dec when untied, then b.
template <class T>
std::vector<T> pack(const Params<T>& P) {
  std::vector<T> x(P.W.data(), P.W.data() + P.W.size());
  x.insert(x.end(), P.W_dec.data(), P.W_dec.data() + P.W_dec.size());
  x.insert(x.end(), P.b.data(), P.b.data() + P.b.size());
  return x;
}

template <class T, class V>
Params<T> unpack(const Problem& pr, const V& x) {
  Params<T> P;
  const Eigen::Index dn = static_cast<Eigen::Index>(pr.d) * pr.n;
  P.W = Matrix<T>(pr.d, pr.n);
  for (Eigen::Index k = 0; k < dn; ++k) P.W.data()[k] = x[k];
  Eigen::Index at = dn;
  if (!pr.tied) {
    P.W_dec = Matrix<T>(pr.d, pr.n);
    for (Eigen::Index k = 0; k < dn; ++k) P.W_dec.data()[k] = x[at + k];
    at += dn;
  }
  P.b = Vector<T>(pr.n);
  for (int i = 0; i < pr.n; ++i) P.b(i) = x[at + i];
  return P;
}

template <class T>
std::vector<T> pack_gradient(const LossEvaluation<T>& ev) {
  std::vector<T> g(ev.grad_W.data(), ev.grad_W.data() + ev.grad_W.size());
  g.insert(g.end(), ev.grad_W_dec.data(), ev.grad_W_dec.data() + ev.grad_W_dec.size());
  g.insert(g.end(), ev.grad_b.data(), ev.grad_b.data() + ev.grad_b.size());
  return g;
}

}  // namespace

std::vector<NamedParams> relu_starts(const Problem& problem, int total, std::uint64_t seed) {
  problem.validate();
  std::vector<NamedParams> out;
  for (const StartShape& s : shapes())
    if (s.g <= problem.d) out.push_back({s.kind, packed(problem, s)});
  const int randoms = std::max(1, total - static_cast<int>(out.size()));
  for (Matrix<double>& W : random_starts(problem.d, problem.n, randoms, 1 / std::sqrt(double(problem.d)), seed)) {
    Params<double> P;
    P.W = std::move(W);
    P.b = Vector<double>::Zero(problem.n);
    if (!problem.tied) P.W_dec = P.W;
    out.push_back({"random", std::move(P)});
  }
  return out;
}

void ReluOptimizeOptions::validate(const Problem& problem) const {
  problem.validate();
  if (starts < 1 || starts > kMaxStarts)
    throw InputError("--starts: " + std::to_string(starts) + " (accepted: 1.." + std::to_string(kMaxStarts) + ")");
  if (max_evals < 1) throw InputError("--max-evals: must be at least 1 (got " + std::to_string(max_evals) + ")");
  if (polish_max_params < 0) throw InputError("polish_max_params must be >= 0");
  if (problem.n > kMaxExactFeatures)
    throw InputError("--n: the optimiser minimises the exact loss, which takes n <= " +
                     std::to_string(kMaxExactFeatures) + " (got " + std::to_string(problem.n) + ")");
  // The optimiser minimises the exact loss: every law with an exact route for a dense W (the worst case of the
  // enumeration of finite laws), in double and MPFR-50 (the polish); laplace has only Monte Carlo.
  Params<double> dense;
  dense.W = Matrix<double>::Ones(problem.d, problem.n);
  if (!problem.tied) dense.W_dec = Matrix<double>::Ones(problem.d, problem.n);
  dense.b = Vector<double>::Zero(problem.n);
  const std::string why = exact_route_refusal(problem, dense);
  if (!why.empty())
    throw InputError("--law " + problem.law.name() + ": the optimiser needs the exact loss, and here there is no exact "
                     "route (" + why + "); accepted: uniform01, uniform, gaussian, rademacher, discrete laws of few atoms");
}

namespace {

MaximizeOptions maximize_options(const ReluOptimizeOptions& opt) {
  MaximizeOptions mo;
  mo.algorithm = opt.algorithm;
  mo.max_evals = opt.max_evals;
  mo.ftol_rel = 1e-13;
  mo.xtol_rel = 1e-11;
  return mo;
}

/// −L/t and its gradient in the packed parameters: what NLopt maximises.
Objective objective(const Problem& problem) {
  const double t = t_of(problem);
  return [&problem, t](const std::vector<double>& x, std::vector<double>& grad) {
    const LossEvaluation<double> ev = expected_loss(problem, unpack<double>(problem, x), !grad.empty());
    if (!grad.empty()) {
      const std::vector<double> g = pack_gradient(ev);
      for (std::size_t k = 0; k < g.size(); ++k) grad[k] = -g[k] / t;
    }
    return -ev.loss / t;
  };
}

}  // namespace

LocalReluOptimum relu_local_optimum(const Problem& problem, const Params<double>& start,
                                    const ReluOptimizeOptions& opt) {
  opt.validate(problem);
  start.validate(problem);
  const MaximizeResult r = maximize(objective(problem), pack(start), maximize_options(opt));
  LocalReluOptimum out;
  out.params = unpack<double>(problem, r.x);
  out.loss = expected_loss(problem, out.params).loss;
  return out;
}

std::string_view to_string(TwoFeaturePhase ph) {
  switch (ph) {
    case TwoFeaturePhase::first_only: return "first-only";
    case TwoFeaturePhase::second_only: return "second-only";
    case TwoFeaturePhase::antipodal: return "antipodal";
  }
  return "?";
}

TwoFeaturePoint two_feature_point(const Problem& problem, const ReluOptimizeOptions& opt) {
  if (problem.d != 1 || problem.n != 2)
    throw InputError("--d, --n: the two-feature phase diagram is for d = 1, n = 2 (got d = " +
                     std::to_string(problem.d) + ", n = " + std::to_string(problem.n) + ")");
  opt.validate(problem);
  auto params = [&](double w1, double w2, double b1, double b2) {
    Params<double> P;
    P.W = Matrix<double>(1, 2);
    P.W << w1, w2;
    if (!problem.tied) P.W_dec = P.W;
    P.b = Vector<double>(2);
    P.b << b1, b2;
    return P;
  };
  TwoFeaturePoint out;
  out.one_feature_loss = std::numeric_limits<double>::infinity();
  out.pair_loss = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 2; ++i) {
    const double half = from_rational<double>(problem.p[1 - i]) / 2;
    const LocalReluOptimum r =
        relu_local_optimum(problem, i == 0 ? params(1, 0, 0, half) : params(0, 1, half, 0), opt);
    if (r.loss < out.one_feature_loss) {
      out.one_feature_loss = r.loss;
      out.one_feature = i;
    }
  }
  for (const auto& [w2, b] : {std::pair{-1.0, -0.1}, {-1.0, -0.3}, {-0.7, -0.2}}) {
    const LocalReluOptimum r = relu_local_optimum(problem, params(1, w2, b, b), opt);
    const double a = r.params.W(0, 0), c = r.params.W(0, 1);
    if (std::fabs(a) > 0.1 && std::fabs(c) > 0.1 && a * c < 0) out.pair_loss = std::min(out.pair_loss, r.loss);
  }
  out.phase = out.pair_loss <= out.one_feature_loss
                  ? TwoFeaturePhase::antipodal
                  : (out.one_feature == 0 ? TwoFeaturePhase::first_only : TwoFeaturePhase::second_only);
  return out;
}

std::optional<double> two_feature_boundary(Problem problem, double p_lo, double p_hi, double rel_tol,
                                           const ReluOptimizeOptions& opt) {
  if (!(p_lo > 0 && p_lo < p_hi && p_hi <= 1)) throw InputError("--p: the boundary search needs 0 < lo < hi <= 1");
  if (!(rel_tol > 0)) throw InputError("--tol: the tolerance must be positive");
  auto pair_wins = [&](double p) {
    problem.p.assign(2, Rational(p));
    const TwoFeaturePoint pt = two_feature_point(problem, opt);
    return pt.phase == TwoFeaturePhase::antipodal;
  };
  const bool lo = pair_wins(p_lo), hi = pair_wins(p_hi);
  if (lo == hi) return std::nullopt;
  while (p_hi / p_lo > 1 + rel_tol) {
    const double mid = std::sqrt(p_lo * p_hi);
    (pair_wins(mid) == lo ? p_lo : p_hi) = mid;
  }
  return std::sqrt(p_lo * p_hi);
}

ReluOptimum optimize_relu(const Problem& problem, const ReluOptimizeOptions& opt) {
  opt.validate(problem);
  const double t = t_of(problem);
  const std::vector<NamedParams> starts = relu_starts(problem, opt.starts, opt.seed);
  const MaximizeOptions mo = maximize_options(opt);
  const Objective f = objective(problem);
  ReluOptimum out;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> best_x;
  int done = 0;
  for (const NamedParams& s : starts) {
    std::vector<double> x0 = pack(s.params), g0;
    ReluStartResult rec;
    rec.kind = s.kind;
    rec.start_loss_over_p = -f(x0, g0);
    const MaximizeResult r = maximize(f, x0, mo);
    rec.loss_over_p = -r.value;
    rec.evals = r.evals;
    rec.status = r.status;
    rec.ok = r.ok;
    out.starts.push_back(rec);
    if (r.value > best) {
      best = r.value;
      best_x = r.x;
    }
    if (opt.progress) opt.progress(++done, static_cast<int>(starts.size()), -best);
  }
  out.params = unpack<double>(problem, best_x);
  out.loss_double = expected_loss(problem, out.params).loss;
  out.params50 = unpack<Real50>(problem, std::vector<Real50>(best_x.begin(), best_x.end()));
  const int nparams = static_cast<int>(best_x.size());
  if (opt.polish && nparams <= opt.polish_max_params) {
    const Real50Objective f50 = [&](const Matrix<Real50>& X, Matrix<Real50>& grad) {
      const LossEvaluation<Real50> ev = expected_loss(problem, unpack<Real50>(problem, X.data()), true);
      const std::vector<Real50> g = pack_gradient(ev);
      grad.resize(X.rows(), X.cols());
      for (std::size_t k = 0; k < g.size(); ++k) grad.data()[k] = -g[k];
      return Real50(-ev.loss);
    };
    Matrix<Real50> X0(nparams, 1);
    for (int k = 0; k < nparams; ++k) X0(k) = Real50(best_x[k]);
    const PolishOutcome po = newton_polish(f50, X0, Real50("1e-30") * Real50(t), 30);
    // Keep the polished point only if it is no worse than the start (newton_polish never lowers f by more than
    // 1e-40 relative; this guards the exact comparison).
    const LossEvaluation<Real50> before = expected_loss(problem, out.params50);
    const Params<Real50> after = unpack<Real50>(problem, po.W.data());
    if (expected_loss(problem, after).loss <= before.loss) {
      out.params50 = after;
      out.polished = po.converged;
    }
    out.newton_steps = po.steps;
    out.polish_note = po.note;
  } else if (opt.polish) {
    out.polish_note = "skipped: " + std::to_string(nparams) + " parameters > " + std::to_string(opt.polish_max_params);
  }
  const LossEvaluation<Real50> ev = expected_loss(problem, out.params50, true);
  out.loss = ev.loss;
  out.loss_digits = ev.loss_digits();
  Real50 g2 = 0;
  for (const Real50& g : pack_gradient(ev)) g2 += g * g;
  out.grad_norm = sqrt(g2);
  return out;
}

}  // namespace superpose::relu
