// superpose/bows (internal): hot loops, compiled with -march=native (bows/CMakeLists.txt). See bows/kernels.hpp.
//
// Eigen is included under the namespace name `superpose_bows_native_eigen`: its inline functions and templates are
// instantiated here with AVX-512/AVX2 packets and 64/32-byte alignment assumptions, and must not be merged by the
// linker with the same-named SSE2 instantiations of other translation units (that merge corrupts the heap or
// faults on aligned stores). Nothing Eigen-typed crosses this file's interface.
#define Eigen superpose_bows_native_eigen
#include <Eigen/Core>

#include "bows/kernels.hpp"

#include <cmath>

namespace superpose::bows::kernels {

namespace {
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using Vec = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using CMap = Eigen::Map<const Mat>;
using MMap = Eigen::Map<Mat>;
}  // namespace

void decode(const float* W, const float* b, const float* H, long d, long V, long B, float* Z) {
  MMap z(Z, V, B);
  z.noalias() = CMap(W, d, V).transpose() * CMap(H, d, B);
  z.colwise() += Eigen::Map<const Vec>(b, V);
}

void encode(const float* W, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
            const std::size_t* rows, long B, float* H) {
  MMap h(H, d, B);
  h.setZero();
  for (long c = 0; c < B; ++c) {
    auto col = h.col(c);
    for (auto k = offsets[rows[c]]; k < offsets[rows[c] + 1]; ++k)
      col += Eigen::Map<const Vec>(W + static_cast<std::size_t>(indices[k]) * static_cast<std::size_t>(d), d);
  }
}

void backward_dense(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH) {
  MMap(dW, d, V).noalias() = CMap(H, d, B) * CMap(dZ, V, B).transpose();
  MMap(dH, d, B).noalias() = CMap(W, d, V) * CMap(dZ, V, B);
}

void backward_sparse(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH) {
  MMap dw(dW, d, V), dh(dH, d, B);
  const CMap w(W, d, V), h(H, d, B);
  dw.setZero();
  dh.setZero();
  for (long c = 0; c < B; ++c) {
    auto hc = h.col(c);
    auto dhc = dh.col(c);
    const float* zc = dZ + static_cast<std::size_t>(c) * static_cast<std::size_t>(V);
    for (long v = 0; v < V; ++v) {
      const float g = zc[v];
      if (g == 0.0f) continue;
      dhc.noalias() += g * w.col(v);
      dw.col(v).noalias() += g * hc;
    }
  }
}

void scatter_add(float* dW, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
                 const std::size_t* rows, long B, const float* dH) {
  for (long c = 0; c < B; ++c) {
    const Eigen::Map<const Vec> g(dH + static_cast<std::size_t>(c) * static_cast<std::size_t>(d), d);
    for (auto k = offsets[rows[c]]; k < offsets[rows[c] + 1]; ++k)
      Eigen::Map<Vec>(dW + static_cast<std::size_t>(indices[k]) * static_cast<std::size_t>(d), d) += g;
  }
}

// PyTorch's CPU kernels in float: lerp with weight < 0.5 is m + w(g − m); addcmul is v + (value·g)·g;
// denom = √v / √(1 − β2^t) + eps; p ← p + (−step)·(m / denom), after p ← p·(1 − lr·wd).
void adamw_update(float* p, const float* g, float* m, float* v, std::size_t n, float decay, float w1, float beta2,
                  float one_minus_beta2, float bc2_sqrt, float eps, float neg_step) {
  for (std::size_t i = 0; i < n; ++i) {
    p[i] *= decay;
    m[i] = m[i] + w1 * (g[i] - m[i]);
    v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
    const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
    p[i] = p[i] + neg_step * (m[i] / denom);
  }
}

}  // namespace superpose::bows::kernels
