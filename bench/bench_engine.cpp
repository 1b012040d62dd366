// Benchmarks of the exact engine (issue: gain + gradient in double at d = 15, n = 6000, m = 3 against the floor of
// forming A = WᵀW alone; MPFR-50 at n = 200). Run: ./build/bench/bench_engine --benchmark_min_time=0.5
#include "theory/theory.hpp"

#include <benchmark/benchmark.h>

#include <random>

using namespace superpose;

namespace {

template <class T>
Matrix<T> weights(int d, int n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0 / std::sqrt(d));
  Matrix<T> W(d, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < d; ++i) W(i, j) = T(g(rng));
  return W;
}

const Law& gaussian() {
  static const Law law = Law::parse("gaussian");
  return law;
}

void BM_FormA_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n), A(n, n);
  for (auto _ : st) {
    A.noalias() = W.transpose() * W;
    benchmark::DoNotOptimize(A.data());
  }
}

// The same floor when A is a fresh allocation each time, as in a call that forms A from scratch (n = 6000: 288 MB,
// so first-touch page faults are part of the cost).
void BM_FormA_alloc_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n);
  for (auto _ : st) {
    Matrix<double> A = W.transpose() * W;
    benchmark::DoNotOptimize(A.data());
  }
}

void BM_Gain_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n);
  const int threads = static_cast<int>(st.range(2));
  for (auto _ : st) benchmark::DoNotOptimize(evaluate(W, 3, gaussian(), 1e-3, false, threads).gain);
}

void BM_GainGrad_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n);
  const int threads = static_cast<int>(st.range(2));
  for (auto _ : st) benchmark::DoNotOptimize(evaluate(W, 3, gaussian(), 1e-3, true, threads).grad.data());
}

void BM_FormA_mpfr50(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<Real50> W = weights<Real50>(d, n), A(n, n);
  for (auto _ : st) {
    A.noalias() = W.transpose() * W;
    benchmark::DoNotOptimize(A.data());
  }
}

void BM_Gain_mpfr50(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<Real50> W = weights<Real50>(d, n);
  const Real50 p("0.001");
  for (auto _ : st) benchmark::DoNotOptimize(evaluate(W, 3, gaussian(), p).gain);
}

void BM_GainGrad_mpfr50(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<Real50> W = weights<Real50>(d, n);
  const Real50 p("0.001");
  for (auto _ : st) benchmark::DoNotOptimize(evaluate(W, 3, gaussian(), p, true).grad.data());
}

// Certified enclosure (interval arithmetic, convolution route) of the gain of a W written with 17 digits.
void BM_Enclose_gain(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  const Matrix<double> W = weights<double>(d, n);
  Matrix<Rational> Wq(d, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < d; ++i) Wq(i, j) = parse_rational(to_decimal(W(i, j), 17), "W");
  const Rational p = parse_rational("0.001", "p");
  for (auto _ : st) benchmark::DoNotOptimize(enclose_gain(Wq, 3, gaussian(), p, 1).gain);
}

}  // namespace

BENCHMARK(BM_Enclose_gain)->Args({15, 200})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormA_double)->Args({15, 6000})->Args({10, 1000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormA_alloc_double)->Args({15, 6000})->Args({10, 1000})->Unit(benchmark::kMillisecond);
// Third argument: threads (the result is the same for every thread count).
BENCHMARK(BM_Gain_double)->Args({3, 12, 1})->Args({15, 6000, 1})->Args({15, 6000, 2})->Args({10, 1000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GainGrad_double)->Args({15, 6000, 1})->Args({15, 6000, 2})->Args({10, 1000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
// m = 21 at p = 1 (rademacher): rows switch to moment convolution.
void BM_GainGrad_m21_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n);
  static const Law law = Law::parse("rademacher");
  for (auto _ : st) benchmark::DoNotOptimize(evaluate(W, 21, law, 1.0, true, 1).grad.data());
}
BENCHMARK(BM_GainGrad_m21_double)->Args({15, 1000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormA_mpfr50)->Args({15, 200})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gain_mpfr50)->Args({15, 200})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GainGrad_mpfr50)->Args({15, 200})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();

// Components of the gradient path, to see where its time goes.
namespace {
void BM_Component_SYRK_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n), S(n, n);
  for (auto _ : st) {
    S.setZero();
    S.selfadjointView<Eigen::Upper>().rankUpdate(W.transpose());
    benchmark::DoNotOptimize(S.data());
  }
}
void BM_Component_GradGEMM_double(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  Matrix<double> W = weights<double>(d, n), S = W.transpose() * W, G(d, n);
  for (auto _ : st) {
    G.noalias() = W * S;
    benchmark::DoNotOptimize(G.data());
  }
}
}  // namespace
BENCHMARK(BM_Component_SYRK_double)->Args({15, 6000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Component_GradGEMM_double)->Args({15, 6000})->Unit(benchmark::kMillisecond);
