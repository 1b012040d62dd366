// Training the ReLU model of Elhage et al. (2022) on sampled batches with the recipe of their notebook
// (search/search.hpp, section "The ReLU model: training"): AdamW on the batch loss, hand-written backward pass.
#include "search/search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace superpose::relu {

namespace {

/// Buffers of one forward and backward pass over a batch of B samples (no allocation per step).
struct Workspace {
  Matrix<double> H, G_H;  // d×B: hidden activations W·X and their gradient
  Matrix<double> Z, G_Z;  // n×B: pre-activations W_decᵀH + b and their gradient
  Vector<double> sample_loss;  // B: Σ_i I_i r_ib² per sample
};

/// The batch loss of X (n×B) and, when grad is not null, its gradient (shapes of params); fills ws.sample_loss.
double loss_and_grad(const Problem& problem, const Vector<double>& importance, const Params<double>& params,
                     const Matrix<double>& X, Params<double>* grad, Workspace& ws) {
  const Matrix<double>& W = params.W;
  const Matrix<double>& Wd = problem.tied ? params.W : params.W_dec;
  const Eigen::Index n = X.rows(), B = X.cols();
  const int k = problem.k;
  ws.H.noalias() = W * X;
  ws.Z.noalias() = Wd.transpose() * ws.H;
  ws.Z.colwise() += params.b;
  ws.G_Z.resize(n, B);
  ws.sample_loss.resize(B);
  const double scale = 2.0 / static_cast<double>(B);
  double total = 0;
  for (Eigen::Index s = 0; s < B; ++s) {
    double ls = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double z = ws.Z(i, s), relu = z > 0 ? z : 0.0;
      const double y = k == 1 ? relu : k == 2 ? relu * relu : relu * relu * relu;
      const double r = y - X(i, s);
      ls += importance(i) * r * r;
      const double dy = k == 1 ? (z > 0 ? 1.0 : 0.0) : k * (k == 2 ? relu : relu * relu);  // act'(z)
      ws.G_Z(i, s) = scale * importance(i) * r * dy;
    }
    ws.sample_loss(s) = ls;
    total += ls;
  }
  if (grad) {
    grad->b = ws.G_Z.rowwise().sum();
    ws.G_H.noalias() = Wd * ws.G_Z;
    grad->W.noalias() = ws.G_H * X.transpose();  // encoder term
    if (problem.tied) {
      grad->W.noalias() += ws.H * ws.G_Z.transpose();  // decoder term of the same matrix
      grad->W_dec.resize(0, 0);
    } else {
      grad->W_dec.noalias() = ws.H * ws.G_Z.transpose();
    }
  }
  return total / static_cast<double>(B);
}

/// torch.optim.AdamW's step on one tensor: decoupled decay, then the bias-corrected Adam update.
struct AdamW {
  double lr, decay, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  long long t = 0;
  template <class M>  // Matrix<double> or Vector<double>
  void step(M& x, const M& g, M& m, M& v) const {
    if (x.size() == 0) return;
    x *= 1 - lr * decay;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g.cwiseAbs2();
    const double c1 = 1 - std::pow(b1, static_cast<double>(t)), c2 = 1 - std::pow(b2, static_cast<double>(t));
    x.array() -= (lr / c1) * m.array() / ((v.array() / c2).sqrt() + eps);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<double> to_doubles(const std::vector<Rational>& q) {
  std::vector<double> out;
  for (const Rational& x : q) out.push_back(from_rational<double>(x));
  return out;
}

TrainedInstance train_one(const Problem& problem, int instances, std::uint64_t seed, const TrainOptions& opt,
                          std::atomic<long long>& steps_done) {
  const auto t0 = std::chrono::steady_clock::now();
  const int d = problem.d, n = problem.n;
  const std::vector<double> p = to_doubles(problem.p);
  const std::vector<double> imp = to_doubles(problem.importance);
  const Vector<double> importance = Eigen::Map<const Vector<double>>(imp.data(), n);
  std::mt19937_64 rng(seed);
  const double sd = opt.init_std > 0 ? opt.init_std : std::sqrt(2.0 / (static_cast<double>(d) * (n + instances)));
  std::normal_distribution<double> gauss(0.0, sd);
  Params<double> x;
  x.W.resize(d, n);
  for (Eigen::Index e = 0; e < x.W.size(); ++e) x.W.data()[e] = gauss(rng);
  if (!problem.tied) {
    x.W_dec.resize(d, n);
    for (Eigen::Index e = 0; e < x.W_dec.size(); ++e) x.W_dec.data()[e] = gauss(rng);
  }
  x.b = Vector<double>::Zero(n);
  Params<double> g, m1, m2;
  m1.W = m2.W = Matrix<double>::Zero(d, n);
  m1.W_dec = m2.W_dec = Matrix<double>::Zero(x.W_dec.rows(), x.W_dec.cols());
  m1.b = m2.b = Vector<double>::Zero(n);
  AdamW adam{opt.lr, opt.weight_decay};
  Workspace ws;
  Matrix<double> X;
  for (int step = 1; step <= opt.steps; ++step) {
    sample_batch(p, opt.batch, rng, X, problem.law);
    (void)loss_and_grad(problem, importance, x, X, &g, ws);
    adam.t = step;
    adam.step(x.W, g.W, m1.W, m2.W);
    adam.step(x.W_dec, g.W_dec, m1.W_dec, m2.W_dec);
    adam.step(x.b, g.b, m1.b, m2.b);
    if (step % 100 == 0 || step == opt.steps) {
      if (!x.W.allFinite() || !x.b.allFinite() || (x.W_dec.size() && !x.W_dec.allFinite()))
        throw InputError("--lr: training diverged (non-finite parameters at step " + std::to_string(step) +
                         "); lower the step size");
      steps_done += step % 100 == 0 ? 100 : step % 100;
    }
  }
  // The loss on fresh samples: mean and standard error of the per-sample loss.
  double sum = 0, sum_sq = 0;
  for (int done = 0; done < opt.eval_samples;) {
    const int B = std::min(opt.batch, opt.eval_samples - done);
    sample_batch(p, B, rng, X, problem.law);
    (void)loss_and_grad(problem, importance, x, X, nullptr, ws);
    for (Eigen::Index s = 0; s < B; ++s) {
      sum += ws.sample_loss(s);
      sum_sq += ws.sample_loss(s) * ws.sample_loss(s);
    }
    done += B;
  }
  const double N = opt.eval_samples, mean = sum / N;
  TrainedInstance out;
  out.params = std::move(x);
  out.loss = mean;
  out.loss_se = std::sqrt(std::max(0.0, (sum_sq - N * mean * mean) / (N - 1)) / N);
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace

void sample_batch(const std::vector<double>& p, int B, std::mt19937_64& rng, Matrix<double>& X,
                  const ValueLaw& law) {
  const Eigen::Index n = static_cast<Eigen::Index>(p.size());
  X.setZero(n, B);
  ValueSampler value(law);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (p[i] >= 1) {
      for (int s = 0; s < B; ++s) X(i, s) = value(rng);
      continue;
    }
    // Active samples of feature i by geometric gaps (cost proportional to the active count, not to B).
    std::geometric_distribution<long long> gap(p[i]);
    for (long long s = gap(rng); s < B; s += 1 + gap(rng)) X(i, s) = value(rng);
  }
}

double batch_loss(const Problem& problem, const Vector<double>& importance, const Params<double>& params,
                  const Matrix<double>& X, Params<double>* grad) {
  Workspace ws;
  return loss_and_grad(problem, importance, params, X, grad, ws);
}

void TrainOptions::validate(const std::vector<Problem>& instances) const {
  if (instances.empty()) throw InputError("train: no instance to train (give --p or a --preset)");
  for (const Problem& pr : instances) pr.validate();
  if (steps < 1) throw InputError("--steps: must be at least 1 (got " + std::to_string(steps) + ")");
  if (batch < 1) throw InputError("--batch: must be at least 1 (got " + std::to_string(batch) + ")");
  if (!(lr > 0) || !std::isfinite(lr)) throw InputError("--lr: the step size must be a finite number > 0 (got " + to_decimal(lr, 6) + ")");
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    throw InputError("--weight-decay: must be a finite number >= 0 (got " + to_decimal(weight_decay, 6) + ")");
  if (!(init_std >= 0) || !std::isfinite(init_std))
    throw InputError("--init-std: must be a finite number >= 0 (0: the notebook's xavier_normal_; got " +
                     to_decimal(init_std, 6) + ")");
  if (eval_samples < 2) throw InputError("--eval-samples: must be at least 2 (got " + std::to_string(eval_samples) + ")");
  if (threads < 1 || threads > 256) throw InputError("--threads: must lie in 1..256 (got " + std::to_string(threads) + ")");
  double need = 0;
  for (const Problem& pr : instances) need += 8.0 * (6.0 * pr.d * pr.n + 2.0 * pr.n);  // W, W_dec, moments, results
  const double per_thread = 8.0 * (3.0 * instances.front().n + 2.0 * instances.front().d + 1) * batch;
  check_memory(need + per_thread * std::min<double>(threads, instances.size()), "--batch, --n, --threads",
               "relu train", "lower --batch or --threads");
}

std::vector<TrainedInstance> train(const std::vector<Problem>& instances, const TrainOptions& opt) {
  opt.validate(instances);
  const int count = static_cast<int>(instances.size());
  std::vector<TrainedInstance> out(static_cast<size_t>(count));
  const long long total = static_cast<long long>(opt.steps) * count;
  std::atomic<long long> steps_done{0};
  std::atomic<int> next{0};
  std::mutex mu;
  std::condition_variable cv;
  int finished_workers = 0;
  std::exception_ptr error;
  auto work = [&] {
    try {
      for (int i; (i = next++) < count;) {
        out[i] = train_one(instances[i], count, opt.seed + static_cast<std::uint64_t>(i), opt, steps_done);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      next = count;
    }
    std::lock_guard<std::mutex> lock(mu);
    ++finished_workers;
    cv.notify_all();
  };
  const int nthreads = std::min(opt.threads, count);
  std::vector<std::thread> pool;
  for (int t = 0; t < nthreads; ++t) pool.emplace_back(work);
  {
    std::unique_lock<std::mutex> lock(mu);
    while (finished_workers < nthreads) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      if (opt.progress) opt.progress(steps_done.load(), total);
    }
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (opt.progress) opt.progress(total, total);
  return out;
}

}  // namespace superpose::relu
