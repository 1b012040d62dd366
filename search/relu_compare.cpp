// The ReLU toy model beside the power model (optima, metrics, the very sparse prediction) and the n = 3, d = 2
// phase diagram of the ReLU model (search/search.hpp, namespace relu; docs/theory.md §9.5, §9.6).
#include "search/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace superpose::relu {

// ---------------------------------------------------------------------------------------------------------------
// Gram matrices up to relabelling and signs
// ---------------------------------------------------------------------------------------------------------------

namespace {

Matrix<double> unit_scaled(const Matrix<double>& G) {
  const double top = G.rows() ? G.diagonal().maxCoeff() : 0;
  return top > 0 ? Matrix<double>(G / top) : Matrix<double>(G);
}

/// ‖A − S P B Pᵀ S‖_F² for the pairing perm and signs s.
double mismatch(const Matrix<double>& A, const Matrix<double>& B, const std::vector<int>& perm,
                const std::vector<int>& s) {
  double sum = 0;
  const int n = static_cast<int>(A.rows());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double e = A(i, j) - s[i] * s[j] * B(perm[i], perm[j]);
      sum += e * e;
    }
  return sum;
}

}  // namespace

GramMatch gram_match(const Matrix<double>& Ga, const Matrix<double>& Gb, bool signs) {
  if (Ga.rows() != Ga.cols() || Gb.rows() != Gb.cols() || Ga.rows() != Gb.rows())
    throw InputError("gram_match: the Gram matrices must be square and of one size (got " +
                     std::to_string(Ga.rows()) + "x" + std::to_string(Ga.cols()) + " and " +
                     std::to_string(Gb.rows()) + "x" + std::to_string(Gb.cols()) + ")");
  const int n = static_cast<int>(Ga.rows());
  const Matrix<double> A = unit_scaled(Ga), B = unit_scaled(Gb);
  const double scale = std::max(A.norm(), B.norm());
  GramMatch out;
  out.permutation.resize(n);
  std::iota(out.permutation.begin(), out.permutation.end(), 0);
  out.sign.assign(n, 1);
  if (n == 0 || scale == 0) return out;
  double best = std::numeric_limits<double>::infinity();
  if (n <= kGramMatchExhaustive) {
    std::vector<int> perm = out.permutation, s(n, 1);
    const int patterns = signs ? 1 << (n - 1) : 1;  // s_0 = +1: (s, −s) give the same S P B Pᵀ S
    do {
      for (int bits = 0; bits < patterns; ++bits) {
        for (int i = 1; i < n; ++i) s[i] = (bits >> (i - 1)) & 1 ? -1 : 1;
        const double e = mismatch(A, B, perm, s);
        if (e < best) {
          best = e;
          out.permutation = perm;
          out.sign = s;
        }
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
  } else {
    // Pair by length (both sorted by decreasing diagonal), then improve by transpositions and single sign flips.
    std::vector<int> ia(n), ib(n);
    std::iota(ia.begin(), ia.end(), 0);
    std::iota(ib.begin(), ib.end(), 0);
    std::stable_sort(ia.begin(), ia.end(), [&](int x, int y) { return A(x, x) > A(y, y); });
    std::stable_sort(ib.begin(), ib.end(), [&](int x, int y) { return B(x, x) > B(y, y); });
    for (int k = 0; k < n; ++k) out.permutation[ia[k]] = ib[k];
    best = mismatch(A, B, out.permutation, out.sign);
    for (bool improved = true; improved;) {
      improved = false;
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) {
          std::swap(out.permutation[i], out.permutation[j]);
          const double e = mismatch(A, B, out.permutation, out.sign);
          if (e < best - 1e-15) best = e, improved = true;
          else std::swap(out.permutation[i], out.permutation[j]);
        }
      for (int i = 0; signs && i < n; ++i) {
        out.sign[i] = -out.sign[i];
        const double e = mismatch(A, B, out.permutation, out.sign);
        if (e < best - 1e-15) best = e, improved = true;
        else out.sign[i] = -out.sign[i];
      }
    }
    out.exhaustive = false;
  }
  out.distance = std::sqrt(std::max(0.0, best)) / scale;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// relu compare
// ---------------------------------------------------------------------------------------------------------------

void CompareOptions::validate() const {
  if (d < 1) throw InputError("--d: hidden width must be >= 1 (got " + std::to_string(d) + ")");
  if (n < 1 || n > kMaxExactFeatures)
    throw InputError("--n: the ReLU side minimises the exact loss, which takes 1 <= n <= " +
                     std::to_string(kMaxExactFeatures) + " (got " + std::to_string(n) + ")");
  if (powers.empty()) throw InputError("--m: at least one odd power (e.g. 1,3,5)");
  for (int m : powers) check_power(m);
  const Law parsed = Law::parse(law);
  (void)parsed;
  if (relu_starts < 1 || relu_starts > kMaxStarts || power_starts < 1 || power_starts > kMaxStarts)
    throw InputError("--starts: accepted 1.." + std::to_string(kMaxStarts));
  if (max_evals < 1) throw InputError("--max-evals: must be at least 1 (got " + std::to_string(max_evals) + ")");
  OptimizeOptions po;
  po.starts = power_starts;
  po.max_evals = max_evals;
  for (int m : powers) po.validate(d, n, m);
}

namespace {

double max_abs_cos(const Matrix<double>& W) {
  const std::vector<int> rep = represented_columns(W);
  double best = 0;
  for (std::size_t a = 0; a < rep.size(); ++a)
    for (std::size_t b = a + 1; b < rep.size(); ++b) {
      const auto u = W.col(rep[a]), v = W.col(rep[b]);
      best = std::max(best, std::fabs(u.dot(v)) / (u.norm() * v.norm()));
    }
  return best;
}

Problem relu_problem(int d, int n, const Rational& p) {
  Problem pr;
  pr.d = d;
  pr.n = n;
  pr.p.assign(n, p);
  pr.importance.assign(n, Rational(1));
  pr.validate();
  return pr;
}

}  // namespace

ComparePoint compare_models(const Rational& p, const CompareOptions& opt,
                            const std::vector<VerySparsePrediction>& seeds) {
  opt.validate();
  check_probability(p);
  const Law law = Law::parse(opt.law);
  for (int m : opt.powers) check_double_range(law, m, p);
  const Real50 p50 = from_rational<Real50>(p);
  const int total = 1 + static_cast<int>(opt.powers.size());
  ComparePoint out;
  out.p = p;

  ReluOptimizeOptions ro;
  ro.starts = opt.relu_starts;
  ro.seed = opt.seed;
  ro.max_evals = opt.max_evals;
  const Problem pr = relu_problem(opt.d, opt.n, p);
  const ReluOptimum r = optimize_relu(pr, ro);
  ModelOptimum relu;
  relu.W = r.params50.W.unaryExpr([](const Real50& x) { return static_cast<double>(x); });
  relu.b = r.params50.b.unaryExpr([](const Real50& x) { return static_cast<double>(x); });
  relu.loss = r.loss;
  relu.zero_loss = from_rational<Real50>(Rational(opt.n) * p / 3);
  relu.loss_digits = r.loss_digits;
  relu.gain_over_p = (relu.zero_loss - relu.loss) / p50;
  relu.effective_features = relu.gain_over_p * 3;
  out.models.push_back(std::move(relu));
  if (opt.progress) opt.progress(1, total);

  int done = 1;
  for (int m : opt.powers) {
    OptimizeOptions po;
    po.starts = opt.power_starts;
    po.seed = opt.seed;
    po.max_evals = opt.max_evals;
    for (const VerySparsePrediction& v : seeds)
      if (v.m == m && v.V.rows() == opt.d && v.V.cols() == opt.n) po.init = v.V;
    const OptimizeResult w = optimize_weights(Setting(opt.d, opt.n, m, law), p, po);
    ModelOptimum pm;
    pm.m = m;
    pm.W = w.W50.unaryExpr([](const Real50& x) { return static_cast<double>(x); });
    pm.loss = w.loss;
    pm.zero_loss = w.zero_loss;
    pm.loss_digits = w.loss_digits;
    pm.gain_over_p = w.gain / p50;
    pm.effective_features = pm.gain_over_p / from_rational<Real50>(law.c_mu(m));
    out.models.push_back(std::move(pm));
    if (opt.progress) opt.progress(++done, total);
  }
  const Matrix<double> G0 = out.models[0].W.transpose() * out.models[0].W;
  for (ModelOptimum& mo : out.models) {
    mo.geometry = feature_geometry(mo.W);
    mo.max_abs_cos = max_abs_cos(mo.W);
    mo.match = gram_match(G0, mo.W.transpose() * mo.W, mo.m != 0);
  }
  return out;
}

std::vector<VerySparsePrediction> very_sparse_predictions(const CompareOptions& opt) {
  opt.validate();
  const Law law = Law::parse(opt.law);
  std::vector<VerySparsePrediction> out;
  for (int m : opt.powers) {
    OptimizeOptions po;
    po.starts = opt.power_starts;
    po.seed = opt.seed;
    po.max_evals = opt.max_evals;
    const FirstOrderResult f = optimize_first_order(opt.d, opt.n, m, po);
    VerySparsePrediction v;
    v.m = m;
    v.f_star = f_star(opt.d, m);
    v.f_star_n = f.value;
    v.c_mu = law.c_mu(m);
    v.mu2 = law.moment(2);
    v.limit_gain_over_p = from_rational<Real50>(v.c_mu) * f.value;
    v.limit_loss_ratio = 1 - v.limit_gain_over_p / from_rational<Real50>(Rational(opt.n) * v.mu2);
    v.V = f.V.unaryExpr([](const Real50& x) { return static_cast<double>(x); });
    v.geometry = feature_geometry(v.V);
    out.push_back(std::move(v));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The n = 3, d = 2 phase diagram
// ---------------------------------------------------------------------------------------------------------------

std::string_view to_string(ThreeFeaturePhase ph) {
  switch (ph) {
    case ThreeFeaturePhase::dedicated_12: return "dedicated-12";
    case ThreeFeaturePhase::dedicated_13: return "dedicated-13";
    case ThreeFeaturePhase::pair_12_ded_3: return "pair-12+3";
    case ThreeFeaturePhase::pair_13_ded_2: return "pair-13+2";
    case ThreeFeaturePhase::triangle: return "triangle";
    case ThreeFeaturePhase::other: return "other";
  }
  return "?";
}

ThreeFeaturePhase classify_three_features(const Matrix<double>& W) {
  if (W.rows() != 2 || W.cols() != 3 || !W.allFinite())
    throw InputError("classify_three_features: W must be 2x3 and finite (got " + std::to_string(W.rows()) + "x" +
                     std::to_string(W.cols()) + ")");
  const double top = W.colwise().norm().maxCoeff();
  std::vector<int> on;
  for (int i = 0; i < 3; ++i)
    if (W.col(i).norm() > kThreeFeatureOff * top) on.push_back(i);
  auto cos = [&](int i, int j) { return W.col(i).dot(W.col(j)) / (W.col(i).norm() * W.col(j).norm()); };
  auto antipodal = [&](int i, int j) { return cos(i, j) <= -1 + kThreeFeatureAngle; };
  auto orthogonal = [&](int i, int j) { return std::fabs(cos(i, j)) <= kThreeFeatureAngle; };
  if (on.size() == 2 && orthogonal(on[0], on[1]))
    return on[1] == 2 ? ThreeFeaturePhase::dedicated_13 : ThreeFeaturePhase::dedicated_12;
  if (on.size() != 3) return ThreeFeaturePhase::other;
  for (int k = 0; k < 3; ++k) {  // the pair (i, j) antipodal, the third orthogonal to both
    const int i = (k + 1) % 3, j = (k + 2) % 3;
    if (antipodal(i, j) && orthogonal(i, k) && orthogonal(j, k))
      return k == 2 ? ThreeFeaturePhase::pair_12_ded_3 : ThreeFeaturePhase::pair_13_ded_2;
  }
  const bool obtuse = cos(0, 1) < -kThreeFeatureAngle && cos(0, 2) < -kThreeFeatureAngle &&
                      cos(1, 2) < -kThreeFeatureAngle;
  const bool no_pair = !antipodal(0, 1) && !antipodal(0, 2) && !antipodal(1, 2);
  return obtuse && no_pair ? ThreeFeaturePhase::triangle : ThreeFeaturePhase::other;
}

namespace {

/// The start of each candidate configuration (ThreeFeaturePhase order, other excluded).
Params<double> three_feature_start(const Problem& pr, ThreeFeaturePhase ph) {
  Params<double> P;
  P.W = Matrix<double>::Zero(2, 3);
  P.b = Vector<double>::Zero(3);
  const double half = from_rational<double>(pr.p[0]) / 2;
  switch (ph) {
    case ThreeFeaturePhase::dedicated_12: P.W << 1, 0, 0, 0, 1, 0; P.b << 0, 0, half; break;
    case ThreeFeaturePhase::dedicated_13: P.W << 1, 0, 0, 0, 0, 1; P.b << 0, half, 0; break;
    case ThreeFeaturePhase::pair_12_ded_3: P.W << 1, -1, 0, 0, 0, 1; P.b << -0.1, -0.1, 0; break;
    case ThreeFeaturePhase::pair_13_ded_2: P.W << 1, 0, -1, 0, 1, 0; P.b << -0.1, 0, -0.1; break;
    case ThreeFeaturePhase::triangle: {
      for (int j = 0; j < 3; ++j) {
        const double t = 2 * std::numbers::pi * j / 3;
        P.W(0, j) = std::cos(t);
        P.W(1, j) = std::sin(t);
      }
      P.b.setConstant(-0.1);
      break;
    }
    case ThreeFeaturePhase::other: break;
  }
  if (!pr.tied) P.W_dec = P.W;
  return P;
}

void check_three_feature_problem(const Problem& problem) {
  if (problem.d != 2 || problem.n != 3)
    throw InputError("--d, --n: the three-feature phase diagram is for d = 2, n = 3 (got d = " +
                     std::to_string(problem.d) + ", n = " + std::to_string(problem.n) + ")");
}

/// The local optimum's loss from configuration ph's start, or +infinity if the search leaves the configuration.
double candidate_loss(const Problem& problem, ThreeFeaturePhase ph, const ReluOptimizeOptions& opt) {
  const LocalReluOptimum r = relu_local_optimum(problem, three_feature_start(problem, ph), opt);
  return classify_three_features(r.params.W) == ph ? r.loss : std::numeric_limits<double>::infinity();
}

}  // namespace

ThreeFeaturePoint three_feature_point(const Problem& problem, const ReluOptimizeOptions& opt, int check_starts) {
  check_three_feature_problem(problem);
  opt.validate(problem);
  ThreeFeaturePoint out;
  out.loss.fill(std::numeric_limits<double>::infinity());
  double best = std::numeric_limits<double>::infinity();
  for (int c = 0; c < kThreeFeaturePhaseCount - 1; ++c) {
    out.loss[c] = candidate_loss(problem, static_cast<ThreeFeaturePhase>(c), opt);
    best = std::min(best, out.loss[c]);
  }
  // The first candidate within rounding of the least loss: ties (pair-12+3 and pair-13+2 at I_3 = I_1, the same
  // configuration relabelled) go to the earlier one.
  for (int c = kThreeFeaturePhaseCount - 2; c >= 0; --c)
    if (out.loss[c] <= best + 1e-12 * (1 + best)) out.phase = static_cast<ThreeFeaturePhase>(c);
  out.search_loss = std::numeric_limits<double>::infinity();
  if (check_starts > 0) {
    ReluOptimizeOptions so = opt;
    so.starts = check_starts;
    so.polish = false;
    const ReluOptimum r = optimize_relu(problem, so);
    out.search_loss = r.loss_double;
    out.search_phase = classify_three_features(r.params.W);
  }
  return out;
}

std::optional<double> three_feature_boundary(Problem problem, ThreeFeaturePhase a, ThreeFeaturePhase b, double p_lo,
                                             double p_hi, double rel_tol, const ReluOptimizeOptions& opt) {
  check_three_feature_problem(problem);
  if (!(p_lo > 0 && p_lo < p_hi && p_hi <= 1)) throw InputError("--p: the boundary search needs 0 < lo < hi <= 1");
  if (!(rel_tol > 0)) throw InputError("--tol: the tolerance must be positive");
  if (a == ThreeFeaturePhase::other || b == ThreeFeaturePhase::other || a == b) return std::nullopt;
  // +1 when a is better, −1 when b is, 0 when either left its configuration (no boundary to follow).
  auto sign = [&](double p) {
    problem.p.assign(3, Rational(p));
    const double la = candidate_loss(problem, a, opt), lb = candidate_loss(problem, b, opt);
    if (!std::isfinite(la) || !std::isfinite(lb)) return 0;
    return la <= lb ? 1 : -1;
  };
  const int lo = sign(p_lo), hi = sign(p_hi);
  if (lo == 0 || hi == 0 || lo == hi) return std::nullopt;
  while (p_hi / p_lo > 1 + rel_tol) {
    const double mid = std::sqrt(p_lo * p_hi);
    const int s = sign(mid);
    if (s == 0) return std::nullopt;
    (s == lo ? p_lo : p_hi) = mid;
  }
  return std::sqrt(p_lo * p_hi);
}

}  // namespace superpose::relu
