// superpose/bows (internal): hot loops, compiled with -march=native (bows/CMakeLists.txt). See bows/kernels.hpp.
//
// Eigen is included under the namespace name `superpose_bows_native_eigen`: its inline functions and templates are
// instantiated here with AVX-512/AVX2 packets and 64/32-byte alignment assumptions, and must not be merged by the
// linker with the same-named SSE2 instantiations of other translation units (that merge corrupts the heap or
// faults on aligned stores). Nothing Eigen-typed crosses this file's interface.
#define Eigen superpose_bows_native_eigen
#include <Eigen/Core>

#include "bows/kernels.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>

namespace superpose::bows::kernels {

namespace {
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using Vec = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using CMap = Eigen::Map<const Mat>;
using MMap = Eigen::Map<Mat>;
using Stride = Eigen::OuterStride<>;
using CStrided = Eigen::Map<const Mat, 0, Stride>;
using MStrided = Eigen::Map<Mat, 0, Stride>;

std::size_t at(long i, long ld) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(ld); }

// Splits [0, n) into one block per thread, rounded up to whole 16-float vectors. Only for loops whose results do
// not depend on the cut (each output element summed by one thread in a fixed order).
long per_thread(long n, int threads) {
  const long t = std::max(1, threads);
  return std::max(16L, ((n + t - 1) / t + 15) / 16 * 16);
}
}  // namespace

void decode(const float* W, const float* b, const float* H, long d, long V, long B, float* Z, int threads) {
  const CMap h(H, d, B);
  parallel_blocks(V, kGemmBlock, threads, [&](long v0, long v1) {
    MStrided z(Z + v0, v1 - v0, B, Stride(V));
    z.noalias() = CMap(W + at(v0, d), d, v1 - v0).transpose() * h;
    z.colwise() += Eigen::Map<const Vec>(b + v0, v1 - v0);
  });
}

void encode(const float* W, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
            const std::size_t* rows, long B, float* H, int threads) {
  parallel_blocks(B, per_thread(B, threads), threads, [&](long c0, long c1) {
    for (long c = c0; c < c1; ++c) {
      Eigen::Map<Vec> col(H + at(c, d), d);
      col.setZero();
      for (auto k = offsets[rows[c]]; k < offsets[rows[c] + 1]; ++k)
        col += Eigen::Map<const Vec>(W + at(static_cast<long>(indices[k]), d), d);
    }
  });
}

void loss_columns(float* Z, long V, long B, const std::uint64_t* offsets, const std::uint32_t* indices,
                  const std::size_t* rows, bool relu, bool gradient, float scale, double* col_sum, long* col_nnz,
                  int threads) {
  parallel_blocks(B, per_thread(B, threads), threads, [&](long c0, long c1) {
    for (long c = c0; c < c1; ++c) {
      Eigen::Map<Vec> z(Z + at(c, V), V);
      double s = relu ? static_cast<double>(z.cwiseMax(0.0f).squaredNorm()) : static_cast<double>(z.squaredNorm());
      const auto k0 = offsets[rows[c]], k1 = offsets[rows[c] + 1];
      for (auto k = k0; k < k1; ++k) {
        const float zz = z(indices[k]);
        const double y = relu ? std::max(zz, 0.0f) : zz;
        s += 1.0 - 2.0 * y;
      }
      col_sum[c] = s;
      if (!gradient) continue;
      if (relu)
        z = (z.array() > 0.0f).select(scale * z.array(), 0.0f);
      else
        z *= scale;
      for (auto k = k0; k < k1; ++k) {
        float& g = z(indices[k]);
        if (!relu || g != 0.0f) g -= scale;
      }
      col_nnz[c] = relu ? static_cast<long>((z.array() != 0.0f).count()) : V;
    }
  });
}

void row_sums(const float* Z, long V, long B, float* out, int threads) {
  parallel_blocks(V, per_thread(V, threads), threads, [&](long v0, long v1) {
    Eigen::Map<Vec> o(out + v0, v1 - v0);
    o.setZero();
    for (long c = 0; c < B; ++c) o += Eigen::Map<const Vec>(Z + at(c, V) + v0, v1 - v0);
  });
}

void backward_dense(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH,
                    int threads) {
  const CMap h(H, d, B), w(W, d, V);
  // dW(:, v0:v1) = H dZ(v0:v1, :)ᵀ, a block of words at a time.
  parallel_blocks(V, kGemmBlock, threads, [&](long v0, long v1) {
    MMap(dW + at(v0, d), d, v1 - v0).noalias() = h * CStrided(dZ + v0, v1 - v0, B, Stride(V)).transpose();
  });
  // dH(:, c0:c1) = W dZ(:, c0:c1), a block of samples at a time.
  parallel_blocks(B, kGemmBlock, threads, [&](long c0, long c1) {
    MMap(dH + at(c0, d), d, c1 - c0).noalias() = w * CMap(dZ + at(c0, V), V, c1 - c0);
  });
}

void backward_sparse(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH,
                     int threads) {
  const CMap w(W, d, V), h(H, d, B);
  // dH: column c sums g·W(:, v) over the nonzeros of dZ(:, c) in v order.
  parallel_blocks(B, per_thread(B, threads), threads, [&](long c0, long c1) {
    for (long c = c0; c < c1; ++c) {
      Eigen::Map<Vec> dhc(dH + at(c, d), d);
      dhc.setZero();
      const float* zc = dZ + at(c, V);
      for (long v = 0; v < V; ++v)
        if (const float g = zc[v]; g != 0.0f) dhc.noalias() += g * w.col(v);
    }
  });
  // dW: column v sums g·H(:, c) over the nonzeros of dZ(v, :) in c order; a block of words per task.
  parallel_blocks(V, per_thread(V, threads), threads, [&](long v0, long v1) {
    MMap(dW + at(v0, d), d, v1 - v0).setZero();
    for (long c = 0; c < B; ++c) {
      const auto hc = h.col(c);
      const float* zc = dZ + at(c, V);
      for (long v = v0; v < v1; ++v)
        if (const float g = zc[v]; g != 0.0f) Eigen::Map<Vec>(dW + at(v, d), d).noalias() += g * hc;
    }
  });
}

void scatter_add(float* dW, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
                 const std::size_t* rows, long B, const float* dH, int threads) {
  // Cut along the rows of d: every thread walks all samples and words, over its own rows.
  parallel_blocks(d, per_thread(d, threads), threads, [&](long i0, long i1) {
    for (long c = 0; c < B; ++c) {
      const Eigen::Map<const Vec> g(dH + at(c, d) + i0, i1 - i0);
      for (auto k = offsets[rows[c]]; k < offsets[rows[c] + 1]; ++k)
        Eigen::Map<Vec>(dW + at(static_cast<long>(indices[k]), d) + i0, i1 - i0) += g;
    }
  });
}

// PyTorch's CPU kernels in float: lerp with weight < 0.5 is m + w(g − m); addcmul is v + (value·g)·g;
// denom = √v / √(1 − β2^t) + eps; p ← p + (−step)·(m / denom), after p ← p·(1 − lr·wd).
void adamw_update(float* p, const float* g, float* m, float* v, std::size_t n, float decay, float w1, float beta2,
                  float one_minus_beta2, float bc2_sqrt, float eps, float neg_step, int threads) {
  const long len = static_cast<long>(n);
  parallel_blocks(len, per_thread(len, threads), threads, [&](long i0, long i1) {
    for (long i = i0; i < i1; ++i) {
      p[i] *= decay;
      m[i] = m[i] + w1 * (g[i] - m[i]);
      v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
      const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
      p[i] = p[i] + neg_step * (m[i] / denom);
    }
  });
}

}  // namespace superpose::bows::kernels
