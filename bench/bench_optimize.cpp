// Optimisers and experiments (issue 3, "Performance"): Google Benchmark programs, never timed tests.
//   first-order to F*(3,3) = 7 to 1e-9 from the default starts (counter: ratio − 1 reached);
//   optimize at d = 10, n = 1000 (m = 3, gaussian, p = 1e-3) with a bounded evaluation budget;
//   the engine at n = 6000 (the sweep's inner loop).
// Run: ./build/bench/bench_optimize --benchmark_min_time=1   (figures: docs/performance.md)
#include "verify/verify.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

using namespace superpose;

namespace {

void BM_first_order_fstar_3_3(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  OptimizeOptions opt;
  opt.starts = static_cast<int>(state.range(1));
  double ratio = 0;
  for (auto _ : state) {
    FirstOrderResult r = optimize_first_order(3, n, 3, opt);
    ratio = static_cast<double>(r.ratio_to_fstar);
    benchmark::DoNotOptimize(ratio);
  }
  state.counters["one_minus_ratio"] = 1 - ratio;
  state.counters["reached_1e-9"] = std::abs(1 - ratio) < 1e-9 ? 1 : 0;
}
BENCHMARK(BM_first_order_fstar_3_3)->Args({16, 12})->Args({28, 12})->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_optimize_d10_n1000(benchmark::State& state) {
  const Setting s(10, 1000, 3, Law::parse("gaussian"));
  OptimizeOptions opt;
  opt.starts = static_cast<int>(state.range(0));
  opt.max_evals = static_cast<int>(state.range(1));
  double gain_over_p = 0;
  for (auto _ : state) {
    OptimizeResult r = optimize_weights(s, Rational(1, 1000), opt);
    gain_over_p = static_cast<double>(r.gain) * 1000;
  }
  state.counters["gain_over_p"] = gain_over_p;
}
// Structured starts (unsuperposed, tight frames k = 10..640) + 1 random; evaluation budget per start.
BENCHMARK(BM_optimize_d10_n1000)->Args({9, 200})->Unit(benchmark::kSecond)->Iterations(1);

Matrix<double> random_w(int d, int n) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0, 0.3);
  Matrix<double> W(d, n);
  for (Eigen::Index k = 0; k < W.size(); ++k) W.data()[k] = g(rng);
  return W;
}

void BM_engine_gain_grad(benchmark::State& state) {
  const Matrix<double> W = random_w(10, static_cast<int>(state.range(0)));
  const Law law = Law::parse("gaussian");
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(W, 3, law, 1e-3, true).gain);
}
BENCHMARK(BM_engine_gain_grad)->Arg(1000)->Arg(6000)->Unit(benchmark::kMillisecond)->UseRealTime();


}  // namespace

BENCHMARK_MAIN();
