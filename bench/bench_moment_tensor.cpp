// Issue 7, performance: where n ≥ C(d+2m−1, 2m), the row power sums Q_{2k}(i) = Σ_j (w_i·w_j)^{2k} can be formed
// from the moment tensors T_{2k} = Σ_j w_j^{⊗2k} without forming A:
//   Σ_j (w_i·w_j)^{2k} = Σ_{|α| = 2k} (2k)!/α! · w_i^α · Σ_j w_j^α,
// in O(n·C(d+2k−1, 2k)) instead of O(n²d). This prototype (not part of the library) measures whether it beats the
// floor of forming A = WᵀW, and how many digits it loses: the expansion has signed terms (w's components have both
// signs), so its relative error is about u·Σ_j |w_i|^{2k}|w_j|^{2k} / Q_{2k}(i), unlike the engine's positive sums.
// Run: ./build/bench/bench_moment_tensor --benchmark_min_time=0.5
#include "theory/theory.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <iostream>
#include <random>

using namespace superpose;

namespace {

Matrix<double> weights(int d, int n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0 / std::sqrt(d));
  Matrix<double> W(d, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < d; ++i) W(i, j) = g(rng);
  return W;
}

/// Monomials of degree ≤ D in d variables as a tree: monomial t = parent(t)·w_{var(t)}, var(t) ≥ var(parent).
struct MonomialTree {
  std::vector<int> parent, var, degree;
  std::vector<double> coef;  // (deg)!/α! for each monomial
  MonomialTree(int d, int D) {
    parent.push_back(-1), var.push_back(0), degree.push_back(0), coef.push_back(1);
    std::vector<std::vector<int>> alpha{std::vector<int>(d, 0)};
    for (size_t t = 0; t < parent.size(); ++t) {
      if (degree[t] == D) continue;
      for (int l = t == 0 ? 0 : var[t]; l < d; ++l) {
        std::vector<int> a = alpha[t];
        ++a[l];
        parent.push_back(static_cast<int>(t)), var.push_back(l), degree.push_back(degree[t] + 1);
        double c = std::tgamma(degree[t] + 2.0);
        for (int e : a) c /= std::tgamma(e + 1.0);
        coef.push_back(c);
        alpha.push_back(a);
      }
    }
  }
  void eval(const double* w, std::vector<double>& out) const {
    out.resize(parent.size());
    out[0] = 1;
    for (size_t t = 1; t < parent.size(); ++t) out[t] = out[parent[t]] * w[var[t]];
  }
};

/// Q (n×m) by moment tensors, including j = i (its term a_i^{2k} is subtracted afterwards).
void tensor_power_sums(const Matrix<double>& W, int m, const MonomialTree& tree, Matrix<double>& Q) {
  const Eigen::Index n = W.cols();
  std::vector<double> mono, T(tree.parent.size(), 0.0);
  for (Eigen::Index j = 0; j < n; ++j) {
    tree.eval(W.col(j).data(), mono);
    for (size_t t = 0; t < T.size(); ++t) T[t] += mono[t];
  }
  for (size_t t = 0; t < T.size(); ++t) T[t] *= tree.coef[t];
  Q.setZero(n, m);
  for (Eigen::Index i = 0; i < n; ++i) {
    tree.eval(W.col(i).data(), mono);
    const double a = W.col(i).squaredNorm();
    for (size_t t = 0; t < T.size(); ++t)
      if (tree.degree[t] % 2 == 0 && tree.degree[t] > 0) Q(i, tree.degree[t] / 2 - 1) += mono[t] * T[t];
    double ak = 1;
    for (int k = 0; k < m; ++k) {
      ak *= a * a;
      Q(i, k) -= ak;
    }
  }
}

void BM_FormA(benchmark::State& st) {
  const Matrix<double> W = weights(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  Matrix<double> A(W.cols(), W.cols());
  for (auto _ : st) {
    A.noalias() = W.transpose() * W;
    benchmark::DoNotOptimize(A.data());
  }
}

void BM_EnginePowerSums(benchmark::State& st) {
  const Matrix<double> W = weights(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  for (auto _ : st) benchmark::DoNotOptimize(row_power_sums(W, 3, 1).off.data());
}

void BM_TensorPowerSums(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), n = static_cast<int>(st.range(1));
  const Matrix<double> W = weights(d, n);
  const MonomialTree tree(d, 6);
  Matrix<double> Q;
  for (auto _ : st) {
    tensor_power_sums(W, 3, tree, Q);
    benchmark::DoNotOptimize(Q.data());
  }
  // Accuracy against the engine's positive sums (accurate to ~1e-15 relative).
  const RowPowerSums<double> ref = row_power_sums(W, 3, 1);
  double worst = 0;
  for (Eigen::Index i = 0; i < Q.rows(); ++i)
    for (int k = 0; k < 3; ++k) worst = std::max(worst, std::abs(Q(i, k) - ref.off(i, k)) / ref.off(i, k));
  st.counters["monomials"] = static_cast<double>(tree.parent.size());
  st.counters["max_rel_err"] = worst;
}

}  // namespace

BENCHMARK(BM_FormA)->Args({6, 6000})->Args({10, 6000})->Args({15, 6000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EnginePowerSums)->Args({6, 6000})->Args({10, 6000})->Args({15, 6000})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TensorPowerSums)->Args({6, 6000})->Args({10, 6000})->Args({15, 6000})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
