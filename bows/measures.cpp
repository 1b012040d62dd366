// superpose/bows: the paper's own measurements that the authors' code does not compute: the linear probe of
// Definition 2 (linear superposition), the linear / non-linear split by frequency, and the context share of the
// mechanism figure. Contract in bows/bows.hpp; the analyses that write them are in analyze.cpp.
#include "bows/bows.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace superpose::bows {

namespace {

constexpr std::size_t kBatch = 256;

// h = W x for the windows rows[first, first + count) of `data`, as the columns of H (d×count), in double.
void latent_block(const Eigen::MatrixXd& W, const Csr& data, std::size_t first, std::size_t count, Eigen::MatrixXd& H) {
  H.setZero(W.rows(), static_cast<Eigen::Index>(count));
  for (std::size_t c = 0; c < count; ++c)
    for (auto k = data.offsets[first + c]; k < data.offsets[first + c + 1]; ++k)
      H.col(static_cast<Eigen::Index>(c)) += W.col(data.indices[k]);
}

}  // namespace

ProbeResult linear_probe(const Eigen::MatrixXf& Wf, const Csr& train, const Csr& heldout, double ridge) {
  if (!(std::isfinite(ridge) && ridge > 0))
    throw OptionError("ridge", fmt::format("{} is not a ridge penalty (accepted: finite and > 0)", ridge));
  const Eigen::Index d = Wf.rows(), V = Wf.cols();
  if (train.rows() == 0 || heldout.rows() == 0)
    throw InputError("linear probe: the training and the held-out split each need at least one window");
  if (train.V != static_cast<std::size_t>(V) || heldout.V != static_cast<std::size_t>(V))
    throw InputError(fmt::format("linear probe: the windows have V = {} / {}, the weights V = {}", train.V, heldout.V, V));
  check_memory(8.0 * (3.0 * static_cast<double>(d) * static_cast<double>(V) +
                      static_cast<double>(V) * static_cast<double>(kBatch)),
               "d", fmt::format("the linear probe at d = {}, V = {}", d, V), "use a smaller model");
  const Eigen::MatrixXd W = Wf.cast<double>();
  // Training sums: HᵀH (Gram of the latents), Σh, and Hᵀ X column by column (X is sparse: add h_i to the column of
  // every word active in window i).
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(d, d), HX = Eigen::MatrixXd::Zero(d, V), H;
  Eigen::VectorXd hsum = Eigen::VectorXd::Zero(d), xsum = Eigen::VectorXd::Zero(V);
  for (std::size_t s = 0; s < train.rows(); s += kBatch) {
    const std::size_t n = std::min(kBatch, train.rows() - s);
    latent_block(W, train, s, n, H);
    G.selfadjointView<Eigen::Lower>().rankUpdate(H);
    hsum += H.rowwise().sum();
    for (std::size_t c = 0; c < n; ++c)
      for (auto k = train.offsets[s + c]; k < train.offsets[s + c + 1]; ++k) {
        HX.col(train.indices[k]) += H.col(static_cast<Eigen::Index>(c));
        xsum(train.indices[k]) += 1;
      }
  }
  const double N = static_cast<double>(train.rows());
  const Eigen::VectorXd hbar = hsum / N, xbar = xsum / N;
  Eigen::MatrixXd A = G.selfadjointView<Eigen::Lower>();
  A -= N * hbar * hbar.transpose();           // H_cᵀ H_c
  A.diagonal().array() += ridge;
  HX -= N * hbar * xbar.transpose();          // H_cᵀ X_c
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(A);
  const Eigen::MatrixXd beta = ldlt.solve(HX);  // d×V
  const Eigen::VectorXd a = xbar - beta.transpose() * hbar;
  // Held-out: x̂ = a + βᵀh, residuals accumulated block by block.
  ProbeResult r;
  r.ridge = ridge;
  r.ss_res = Eigen::VectorXd::Zero(V);
  r.heldout_windows = Eigen::VectorXd::Zero(V);
  Eigen::MatrixXd Y;
  for (std::size_t s = 0; s < heldout.rows(); s += kBatch) {
    const std::size_t n = std::min(kBatch, heldout.rows() - s);
    latent_block(W, heldout, s, n, H);
    Y.noalias() = beta.transpose() * H;
    Y.colwise() += a;
    for (std::size_t c = 0; c < n; ++c)
      for (auto k = heldout.offsets[s + c]; k < heldout.offsets[s + c + 1]; ++k) {
        Y(heldout.indices[k], static_cast<Eigen::Index>(c)) -= 1.0;
        r.heldout_windows(heldout.indices[k]) += 1;
      }
    r.ss_res += Y.cwiseAbs2().rowwise().sum();
  }
  const double M = static_cast<double>(heldout.rows());
  r.ss_tot = r.heldout_windows.array() * (1.0 - r.heldout_windows.array() / M);
  r.r2 = Eigen::VectorXd(V);
  for (Eigen::Index v = 0; v < V; ++v)
    r.r2(v) = r.ss_tot(v) > 0 ? 1.0 - r.ss_res(v) / r.ss_tot(v) : std::nan("");
  return r;
}

double joint_r2(const ProbeResult& p, const std::vector<long>& words) {
  double res = 0, tot = 0;
  for (long v : words) {
    res += p.ss_res(v);
    tot += p.ss_tot(v);
  }
  return tot > 0 ? 1.0 - res / tot : std::nan("");
}

FrequencySplit frequency_split(const Eigen::VectorXd& r2, const std::vector<double>& frequency, double threshold) {
  if (static_cast<std::size_t>(r2.size()) != frequency.size())
    throw InputError(fmt::format("frequency split: {} R² values for {} frequencies", r2.size(), frequency.size()));
  if (!std::isfinite(threshold)) throw InputError("frequency split: the R² threshold must be finite");
  const std::size_t V = frequency.size();
  std::vector<std::size_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return frequency[a] > frequency[b]; });
  FrequencySplit f;
  f.rank.assign(V, 0);
  std::vector<int> scored;  // in rank order: 1 linear, 0 non-linear
  std::vector<double> r2s, ranks;
  for (std::size_t k = 0; k < V; ++k) {
    const std::size_t v = order[k];
    f.rank[v] = k + 1;
    const double x = r2(static_cast<Eigen::Index>(v));
    if (std::isnan(x)) {
      ++f.undefined;
      continue;
    }
    const bool lin = x >= threshold;
    (lin ? f.linear : f.nonlinear) += 1;
    scored.push_back(lin ? 1 : 0);
    r2s.push_back(x);
    ranks.push_back(static_cast<double>(k + 1));
  }
  // Wrong side at cut k: non-linear words among the first k plus linear words after them.
  std::size_t wrong = f.linear, best = f.linear, best_k = 0;
  for (std::size_t k = 0; k < scored.size(); ++k) {
    if (scored[k]) --wrong;  // word k moves to the "linear" side
    else ++wrong;
    if (wrong < best) {
      best = wrong;
      best_k = k + 1;
    }
  }
  f.split_rank = best_k;
  f.split_agreement = scored.empty() ? 0.0 : 1.0 - static_cast<double>(best) / static_cast<double>(scored.size());
  f.spearman_r2_rank = r2s.size() >= 3 ? spearman(r2s, ranks) : 0.0;
  return f;
}

ContextShares context_shares(const Model& m, const Csr& windows) {
  const Eigen::Index V = m.V();
  if (windows.V != static_cast<std::size_t>(V))
    throw InputError(fmt::format("context shares: the windows have V = {}, the model V = {}", windows.V, V));
  ContextShares c;
  c.alone = (m.b + m.W.colwise().squaredNorm().transpose()).cast<double>();
  c.with_word.assign(static_cast<std::size_t>(V), 0);
  c.positive.assign(static_cast<std::size_t>(V), 0);
  Workspace ws;
  std::vector<std::size_t> rows;
  for (std::size_t s = 0; s < windows.rows(); s += kBatch) {
    rows.resize(std::min(kBatch, windows.rows() - s));
    std::iota(rows.begin(), rows.end(), s);
    loss_and_gradient(m, windows, rows, nullptr, ws);  // leaves Z = WᵀH + b in ws.Z (V×B)
    for (std::size_t col = 0; col < rows.size(); ++col)
      for (auto k = windows.offsets[rows[col]]; k < windows.offsets[rows[col] + 1]; ++k) {
        const auto v = windows.indices[k];
        ++c.with_word[v];
        if (ws.Z(v, static_cast<Eigen::Index>(col)) > 0) ++c.positive[v];
      }
  }
  return c;
}

std::string to_string(CycleGeometry g) {
  switch (g) {
    case CycleGeometry::ring: return "ring";
    case CycleGeometry::antipodal: return "antipodal";
    case CycleGeometry::identity: return "identity";
    case CycleGeometry::other: return "other";
  }
  return "?";
}

namespace {

// Cosines of the columns of W (k×k): a dead column (norm below kDeadColumn × the longest) has cosine 0 with every
// other column; the diagonal is 1. `dead` receives the number of dead columns.
Eigen::MatrixXd column_cosines(const Eigen::MatrixXd& W, std::size_t& dead) {
  const Eigen::VectorXd norms = W.colwise().norm().transpose();
  const double longest = norms.size() ? norms.maxCoeff() : 0.0;
  const auto k = W.cols();
  Eigen::MatrixXd C = Eigen::MatrixXd::Identity(k, k);
  dead = 0;
  for (Eigen::Index i = 0; i < k; ++i) {
    if (!(norms(i) > kDeadColumn * longest)) {
      ++dead;
      continue;
    }
    for (Eigen::Index j = 0; j < k; ++j)
      if (j != i && norms(j) > kDeadColumn * longest) C(i, j) = W.col(i).dot(W.col(j)) / (norms(i) * norms(j));
  }
  return C;
}

}  // namespace

CycleGeometryResult classify_cycle_geometry(const Eigen::MatrixXd& W) {
  const Eigen::Index n = W.cols();
  if (n < 4 || n % 2 != 0 || W.rows() < 1)
    throw InputError(fmt::format("cycle geometry: W is {}x{}; an even number n >= 4 of feature columns and d >= 1 "
                                 "rows are needed",
                                 W.rows(), n));
  if (!W.allFinite()) throw InputError("cycle geometry: W has a NaN or infinite entry");
  if (W.colwise().norm().maxCoeff() == 0) throw InputError("cycle geometry: every column of W is zero");
  CycleGeometryResult r;
  r.cosine = column_cosines(W, r.dead);
  const Eigen::Index half = n / 2;
  r.profile = Eigen::VectorXd::Zero(half + 1);
  Eigen::VectorXd count = Eigen::VectorXd::Zero(half + 1);
  double sum = 0, pairs = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      const Eigen::Index dist = std::min(std::abs(i - j), n - std::abs(i - j));
      r.profile(dist) += r.cosine(i, j);
      count(dist) += 1;
      if (i != j) {
        sum += r.cosine(i, j);
        pairs += 1;
      }
    }
  r.profile = r.profile.cwiseQuotient(count);
  const double mean = sum / pairs;
  double ss_total = 0, ss_within = 0;
  r.max_opposite_cosine = -1;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i == j) continue;
      const Eigen::Index dist = std::min(std::abs(i - j), n - std::abs(i - j));
      const double c = r.cosine(i, j);
      ss_total += (c - mean) * (c - mean);
      ss_within += (c - r.profile(dist)) * (c - r.profile(dist));
      r.max_abs_offdiag = std::max(r.max_abs_offdiag, std::abs(c));
      if (dist == half) r.max_opposite_cosine = std::max(r.max_opposite_cosine, c);
      else r.max_abs_other = std::max(r.max_abs_other, std::abs(c));
    }
  // Equal off-diagonal cosines (up to rounding) are a function of the distance.
  r.circulance = ss_total > 1e-24 * pairs ? 1 - ss_within / ss_total : 1.0;
  r.neighbour_cosine = r.profile(1);
  r.opposite_cosine = r.profile(half);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(W.transpose() * W, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd lambda = es.eigenvalues().cwiseMax(0.0);
  r.effective_rank = lambda.sum() * lambda.sum() / lambda.squaredNorm();
  const bool neighbours_closest = r.profile.tail(half - 1).maxCoeff() <= r.neighbour_cosine;
  if (r.dead == 0 && r.max_abs_offdiag < kOrthogonalBelow) r.geometry = CycleGeometry::identity;
  else if (r.max_opposite_cosine <= -kAntipodalCosine && r.max_abs_other < kOrthogonalBelow)
    r.geometry = CycleGeometry::antipodal;
  else if (r.circulance >= kRingCirculance && r.neighbour_cosine >= kRingNeighbourCosine && neighbours_closest &&
           r.neighbour_cosine - r.opposite_cosine >= kRingContrast)
    r.geometry = CycleGeometry::ring;
  else r.geometry = CycleGeometry::other;
  return r;
}

GroupGram group_gram(const Eigen::MatrixXf& Wf, const std::vector<long>& words) {
  if (words.size() < 2) throw InputError(fmt::format("group Gram: {} word(s); at least 2 are needed", words.size()));
  Eigen::MatrixXd Wg(Wf.rows(), static_cast<Eigen::Index>(words.size()));
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (words[k] < 0 || words[k] >= Wf.cols())
      throw InputError(fmt::format("group Gram: word index {} is outside 0 … {}", words[k], Wf.cols() - 1));
    Wg.col(static_cast<Eigen::Index>(k)) = Wf.col(words[k]).cast<double>();
  }
  GroupGram g;
  g.words = words.size();
  std::size_t dead = 0;
  const Eigen::MatrixXd C = column_cosines(Wg, dead);
  const Eigen::MatrixXd G = Wg.transpose() * Wg;
  g.offdiag_cosine_norm = (C - Eigen::MatrixXd(C.diagonal().asDiagonal())).norm();
  g.rms_cosine = g.offdiag_cosine_norm / std::sqrt(static_cast<double>(g.words * (g.words - 1)));
  g.offdiag_raw_norm = (G - Eigen::MatrixXd(G.diagonal().asDiagonal())).norm();
  return g;
}

}  // namespace superpose::bows
