// superpose/bows: the paper's own measurements that the authors' code does not compute: the linear probe of
// Definition 2 (linear superposition), the linear / non-linear split by frequency, and the context share of the
// mechanism figure. Contract in bows/bows.hpp; the analyses that write them are in analyze.cpp.
#include "bows/bows.hpp"

#include <Eigen/Cholesky>
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

}  // namespace superpose::bows
