// Gradient training on the exact gain (search/search.hpp, section "train"; issue 3, open problem 4).
#include "search/search.hpp"


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>


namespace superpose {

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// train
// ---------------------------------------------------------------------------------------------------------

std::string_view to_string(TrainOptimizer o) { return o == TrainOptimizer::sgd ? "sgd" : "adam"; }

TrainOptimizer parse_train_optimizer(std::string_view name, std::string_view flag) {
  if (name == "sgd") return TrainOptimizer::sgd;
  if (name == "adam") return TrainOptimizer::adam;
  throw InputError(std::string(flag) + ": unknown optimizer '" + std::string(name) + "' (accepted: sgd, adam)");
}

void TrainConfig::validate() const {
  const Setting s(d, n, m, Law::parse(law));
  check_probability(p);
  check_double_range(s.law, m, p);
  if (steps < 1) throw InputError("--steps: the number of training steps must be at least 1 (got " + std::to_string(steps) + ")");
  if (!(lr > 0) || !std::isfinite(lr))
    throw InputError("--lr: the step size must be a finite number > 0 (got " + to_decimal(lr, 6) + ")");
  if (!(init_scale > 0 && init_scale <= kMaxInitScale))
    throw InputError("--init-scale: the initial scale must be a finite number in (0, " + to_decimal(kMaxInitScale, 6) +
                     "] (got " + to_decimal(init_scale, 6) + "; 1 is the optimal feature norm)");
  if (trace_every < 0) throw InputError("trace_every: must be >= 0 (0: only the end)");
  if (!std::isfinite(target)) throw InputError("--target-rel: the target gain must be finite");
  const double dd = d, nn = n;
  check_size_memory(sizeof(double) * (6 * dd * nn + nn * nn + 3 * dd * dd) + evaluation_memory_bytes(dd, nn, m, 16, true),
                    dd, nn, "train at d = " + std::to_string(d) + ", n = " + std::to_string(n), "lower n or d");
}

TrainResult train_gain(const TrainConfig& cfg) {
  cfg.validate();
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  const int d = cfg.d, n = cfg.n, m = cfg.m;
  const double p = from_rational<double>(cfg.p);
  const double a0 = std::pow(static_cast<double>(s.law.moment(m + 1) / s.law.moment(2 * m)), 1.0 / m);
  // The first random start of the one seed convention (search/search.hpp), scaled by init_scale.
  Matrix<double> W = random_starts(d, n, 1, cfg.init_scale * std::sqrt(a0 / d), cfg.seed).front();
  Matrix<double> M1 = Matrix<double>::Zero(d, n), M2 = Matrix<double>::Zero(d, n);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-12;
  double pb1 = 1, pb2 = 1;
  TrainResult res;
  res.best_gain = -std::numeric_limits<double>::infinity();
  const auto t0 = std::chrono::steady_clock::now();
  for (int step = 0; step < cfg.steps; ++step) {
    const Evaluation<double> ev = evaluate<double>(W, m, s.law, p, /*with_gradient=*/true);
    const double gain = ev.gain;
    const Matrix<double>& G = ev.grad;
    res.best_gain = std::max(res.best_gain, gain);
    if (cfg.target > 0 && res.steps_to_target < 0 && gain >= cfg.target) {
      res.steps_to_target = step;
      res.seconds_to_target = seconds_since(t0);
    }
    if (cfg.trace_every > 0 && step % cfg.trace_every == 0) res.trace.emplace_back(step, seconds_since(t0), gain);
    const Matrix<double> grad = G / p;  // ascent direction of gain/p
    if (cfg.optimizer == TrainOptimizer::sgd) {
      W += cfg.lr * grad;
    } else {
      M1 = b1 * M1 + (1 - b1) * grad;
      M2 = b2 * M2 + (1 - b2) * grad.cwiseAbs2();
      pb1 *= b1;
      pb2 *= b2;
      W += (cfg.lr * (M1 / (1 - pb1)).array() / ((M2 / (1 - pb2)).array().sqrt() + eps)).matrix();
    }
    if (!W.allFinite()) throw InputError("--lr: training diverged (non-finite weights at step " + std::to_string(step + 1) + "); lower the step size");
  }
  res.W = W;
  res.gain = evaluate<double>(W, m, s.law, p, /*with_gradient=*/false).gain;
  res.best_gain = std::max(res.best_gain, res.gain);
  res.gain_over_p = res.gain / p;
  res.seconds = seconds_since(t0);
  res.trace.emplace_back(cfg.steps, res.seconds, res.gain);
  res.geometry = geometry(W, m);
  return res;
}

}  // namespace superpose
