// superpose/bows (internal): the BOWS hot loops behind a raw-pointer interface. bows/kernels.cpp is compiled for the
// build machine's CPU (-march=native: AVX2/AVX-512, FMA) and sees Eigen under a private namespace name, so none of
// its Eigen code can be merged by the linker with the rest of the project's (SSE2) Eigen instantiations. Matrices
// are column-major with the leading dimension equal to the row count.
//
// Threads. Every kernel takes `threads` (< 1 counts as 1) and returns the same bits for every thread count: each
// output element is summed in one fixed order by one thread. The GEMMs are cut into blocks of a fixed size
// (kGemmBlock columns or rows, core/parallel.hpp parallel_blocks), each block one single-threaded Eigen product, so
// Eigen's size-dependent internal blocking sees the same sizes whatever the count; the sparse loops are cut along
// an index (columns of the batch, rows of d, words) whose elements never share a sum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace superpose::bows::kernels {

/// Columns (or rows) of one GEMM block; fixed, so results do not depend on the thread count.
inline constexpr long kGemmBlock = 128;

/// Z (V×B) = Wᵀ H + b 1ᵀ, with W d×V and H d×B.
void decode(const float* W, const float* b, const float* H, long d, long V, long B, float* Z, int threads);

/// H (d×B): column c = Σ_{j ∈ S_c} W(:, j), S_c = indices[offsets[rows[c]] … offsets[rows[c]+1]).
void encode(const float* W, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
            const std::size_t* rows, long B, float* H, int threads);

/// The MSE loss's per-sample terms and, when `gradient`, dL/dZ written over Z (V×B, pre-activations on entry):
/// col_sum[c] = Σ_v ŷ_vc² + Σ_{v ∈ S_c} (1 − 2ŷ_vc) with ŷ = relu ? max(z, 0) : z (so Σ_c col_sum = B·V·L − nnz(X));
/// with `gradient`, Z ← scale·(ŷ − x) ⊙ 1[z > 0 or linear] and col_nnz[c] = its nonzeros in column c.
void loss_columns(float* Z, long V, long B, const std::uint64_t* offsets, const std::uint32_t* indices,
                  const std::size_t* rows, bool relu, bool gradient, float scale, double* col_sum, long* col_nnz,
                  int threads);

/// out (V) = Σ_c Z(:, c), summed in c order.
void row_sums(const float* Z, long V, long B, float* out, int threads);

/// Dense backward: dW (d×V) = H dZᵀ, dH (d×B) = W dZ.
void backward_dense(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH,
                    int threads);

/// Sparse backward over the nonzeros of dZ (V×B): dW = H dZᵀ and dH = W dZ as sums of length-d axpys, dH's column c
/// summed in v order, dW's column v in c order. dW and dH are overwritten.
void backward_sparse(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH,
                     int threads);

/// Encoder path: dW(:, j) += dH(:, c) for every active j of sample c, in c order.
void scatter_add(float* dW, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
                 const std::size_t* rows, long B, const float* dH, int threads);

/// One PyTorch AdamW update of n parameters (see adamw_step in bows.hpp); elementwise.
void adamw_update(float* p, const float* g, float* m, float* v, std::size_t n, float decay, float w1, float beta2,
                  float one_minus_beta2, float bc2_sqrt, float eps, float neg_step, int threads);

}  // namespace superpose::bows::kernels
