// superpose/bows: synthetic BOWS (code: synthetic_bows/utils.py, train_autoencoders.py). Contract in bows.hpp.
#include "bows/bows.hpp"
#include "core/core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace superpose::bows {

Structure parse_structure(std::string_view name) {
  if (name == "circular") return Structure::circular;
  if (name == "figure8") return Structure::figure8;
  if (name == "sphere") return Structure::sphere;
  if (name == "iid") return Structure::iid;
  throw InputError(fmt::format("--structure: '{}' is not a structure (accepted: circular, figure8, sphere, iid)",
                               name));
}

std::string to_string(Structure s) {
  switch (s) {
    case Structure::circular: return "circular";
    case Structure::figure8: return "figure8";
    case Structure::sphere: return "sphere";
    case Structure::iid: return "iid";
  }
  return "?";
}

Csr synthetic_data(const SyntheticDataOptions& o) {
  o.validate();
  const double pi = 3.14159265358979323846;
  const std::size_t n = o.features;
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  Csr out;
  out.V = n;
  if (o.structure == Structure::iid) {
    SyntheticDataOptions c = o;
    c.structure = Structure::circular;
    const Csr ref = synthetic_data(c);
    const double p = static_cast<double>(ref.nnz()) / static_cast<double>(ref.rows() * n);
    for (std::size_t i = 0; i < o.samples; ++i) {
      std::vector<std::uint32_t> a;
      for (std::size_t k = 0; k < n; ++k)
        if (unif(rng) < p) a.push_back(static_cast<std::uint32_t>(k));
      out.push_back(std::move(a));
    }
    return out;
  }
  // Feature directions φ_k.
  std::vector<std::vector<double>> phi(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double a = 2 * pi * static_cast<double>(k) / static_cast<double>(n);
    if (o.structure == Structure::circular) phi[k] = {std::cos(a), std::sin(a)};
    else if (o.structure == Structure::figure8) phi[k] = {std::sin(a), std::sin(2 * a)};
    else {  // Fibonacci lattice on S²
      const double idx = static_cast<double>(k) + 0.5;
      const double ph = std::acos(1 - 2 * idx / static_cast<double>(n));
      const double th = pi * (1 + std::sqrt(5.0)) * idx;
      phi[k] = {std::cos(th) * std::sin(ph), std::sin(th) * std::sin(ph), std::cos(ph)};
    }
  }
  for (std::size_t i = 0; i < o.samples; ++i) {
    std::vector<double> z;
    if (o.structure == Structure::sphere) {
      const double lt = 2 * pi * unif(rng), lp = std::acos(2 * unif(rng) - 1);
      z = {std::sin(lp) * std::cos(lt), std::sin(lp) * std::sin(lt), std::cos(lp)};
      if (o.noise > 0) {
        double norm = 0;
        for (double& x : z) {
          x += o.noise * normal(rng);
          norm += x * x;
        }
        for (double& x : z) x /= std::sqrt(norm);
      }
    } else {
      double theta = 2 * pi * static_cast<double>(i % n) / static_cast<double>(n);
      if (o.noise > 0) theta += o.noise * normal(rng);
      z = o.structure == Structure::circular ? std::vector<double>{std::cos(theta), std::sin(theta)}
                                             : std::vector<double>{std::sin(theta), std::sin(2 * theta)};
    }
    std::vector<std::uint32_t> a;
    for (std::size_t k = 0; k < n; ++k) {
      double dot = 0;
      for (std::size_t j = 0; j < z.size(); ++j) dot += phi[k][j] * z[j];
      const double p = 1.0 / (1.0 + std::exp(-(o.sharpness * dot + o.base_log_odds)));
      if (unif(rng) < p) a.push_back(static_cast<std::uint32_t>(k));
    }
    out.push_back(std::move(a));
  }
  return out;
}

Eigen::MatrixXd sample_covariance(const Csr& data) {
  const auto n = static_cast<Eigen::Index>(data.V);
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(n);
  for (std::size_t r = 0; r < data.rows(); ++r)
    for (auto a = data.offsets[r]; a < data.offsets[r + 1]; ++a) {
      mean(data.indices[a]) += 1;
      for (auto b = data.offsets[r]; b < data.offsets[r + 1]; ++b) S(data.indices[a], data.indices[b]) += 1;
    }
  const double N = static_cast<double>(data.rows());
  mean /= N;
  return S / N - mean * mean.transpose();
}

double offdiagonal_correlation(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  if (A.rows() != A.cols() || A.rows() != B.rows() || B.rows() != B.cols() || A.rows() < 3)
    throw InputError("offdiagonal_correlation: two square matrices of the same size n >= 3 are needed");
  std::vector<double> x, y;
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j)
      if (i != j) {
        x.push_back(A(i, j));
        y.push_back(B(i, j));
      }
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) * (x[k] - mx);
    syy += (y[k] - my) * (y[k] - my);
  }
  if (sxx == 0 || syy == 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

SyntheticResult train_synthetic(const SyntheticDataOptions& data_opts, const SyntheticTrainOptions& o) {
  data_opts.validate();
  o.validate(data_opts);
  // The first train_fraction of the samples train, the rest validate.
  auto split = [&](const Csr& all) {
    const auto n_train = static_cast<std::size_t>(std::llround(o.train_fraction * static_cast<double>(all.rows())));
    std::pair<Csr, Csr> tv;
    tv.first.V = tv.second.V = all.V;
    for (std::size_t r = 0; r < all.rows(); ++r) {
      std::vector<std::uint32_t> a(all.indices.begin() + static_cast<std::ptrdiff_t>(all.offsets[r]),
                                   all.indices.begin() + static_cast<std::ptrdiff_t>(all.offsets[r + 1]));
      (r < n_train ? tv.first : tv.second).push_back(std::move(a));
    }
    return tv;
  };
  const Csr all = synthetic_data(data_opts);
  const auto [train, val] = split(all);
  const auto n = static_cast<Eigen::Index>(all.V);
  {
    // Constant data (every feature always off or always on) have no covariance for the Gram to follow.
    std::vector<std::size_t> on(all.V, 0);
    for (std::size_t r = 0; r < train.rows(); ++r)
      for (auto k = train.offsets[r]; k < train.offsets[r + 1]; ++k) ++on[train.indices[k]];
    if (std::all_of(on.begin(), on.end(), [&](std::size_t c) { return c == 0 || c == train.rows(); }))
      throw OptionError("sharpness", fmt::format("{} with base log-odds {}: every feature of the generated training "
                                                 "data is constant (always off or always on), so there is no "
                                                 "covariance to compare with",
                                                 data_opts.sharpness, data_opts.base_log_odds));
  }
  SyntheticResult res;
  res.model = init_model(o.d, n, static_cast<float>(1.0 / std::sqrt(static_cast<double>(n))), o.relu, o.seed);
  AdamWState state;
  state.reset(o.d, n);
  AdamWOptions adam;
  adam.lr = o.lr;
  adam.weight_decay = o.weight_decay;
  Workspace ws;
  Gradient g;
  std::mt19937_64 rng(o.seed);
  std::vector<std::size_t> perm(train.rows());
  std::iota(perm.begin(), perm.end(), 0);
  for (std::size_t e = 0; e < o.epochs; ++e) {
    const double lr = cosine_lr(o.lr, e, o.epochs, o.eta_min);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (std::size_t s = 0; s < perm.size(); s += o.batch) {
      std::vector<std::size_t> rows(perm.begin() + static_cast<std::ptrdiff_t>(s),
                                    perm.begin() + static_cast<std::ptrdiff_t>(std::min(perm.size(), s + o.batch)));
      loss_and_gradient(res.model, train, rows, &g, ws);
      if (o.clip > 0) clip_grad_norm(g, o.clip);
      adamw_step(res.model, g, state, adam, lr);
    }
  }
  std::vector<std::size_t> tr(train.rows()), va(val.rows());
  std::iota(tr.begin(), tr.end(), 0);
  std::iota(va.begin(), va.end(), 0);
  res.train_loss = loss_and_gradient(res.model, train, tr, nullptr, ws);
  res.validation_loss = va.empty() ? 0.0 : loss_and_gradient(res.model, val, va, nullptr, ws);
  res.covariance = sample_covariance(train);
  const Eigen::MatrixXd W = res.model.W.cast<double>();
  const double fro = W.norm();
  const Eigen::MatrixXd Wn = fro > 0 ? Eigen::MatrixXd(W / fro) : W;
  res.gram = Wn.transpose() * Wn;
  res.offdiag_correlation = offdiagonal_correlation(res.gram, res.covariance);
  if (data_opts.structure == Structure::iid) {
    SyntheticDataOptions circular = data_opts;
    circular.structure = Structure::circular;
    res.circular_correlation = offdiagonal_correlation(res.gram, sample_covariance(split(synthetic_data(circular)).first));
  }
  if (!std::isfinite(res.train_loss) || !std::isfinite(res.validation_loss) || !std::isfinite(res.offdiag_correlation) ||
      !res.model.W.allFinite())
    throw OptionError("lr", fmt::format("{}: training diverged (a loss or the correlation is NaN or infinite); "
                                        "lower the step size",
                                        o.lr));
  return res;
}

std::vector<SyntheticResult> train_synthetic_seeds(const SyntheticDataOptions& data,
                                                   const SyntheticTrainOptions& options,
                                                   const std::vector<std::uint64_t>& seeds) {
  check_seeds(seeds);
  data.validate();
  options.validate(data);
  std::vector<SyntheticResult> out;
  for (const auto seed : seeds) {
    SyntheticTrainOptions o = options;
    o.seed = seed;
    out.push_back(train_synthetic(data, o));
  }
  return out;
}

}  // namespace superpose::bows
