// superpose/bows (internal): the BOWS hot loops behind a raw-pointer interface. bows/kernels.cpp is compiled for the
// build machine's CPU (-march=native: AVX2/AVX-512, FMA) and sees Eigen under a private namespace name, so none of
// its Eigen code can be merged by the linker with the rest of the project's (SSE2) Eigen instantiations. Matrices
// are column-major with the leading dimension equal to the row count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace superpose::bows::kernels {

/// Z (V×B) = Wᵀ H + b 1ᵀ, with W d×V and H d×B.
void decode(const float* W, const float* b, const float* H, long d, long V, long B, float* Z);

/// H (d×B): column c = Σ_{j ∈ S_c} W(:, j), S_c = indices[offsets[rows[c]] … offsets[rows[c]+1]).
void encode(const float* W, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
            const std::size_t* rows, long B, float* H);

/// Dense backward: dW (d×V) = H dZᵀ, dH (d×B) = W dZ.
void backward_dense(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH);

/// Sparse backward over the nonzeros of dZ (V×B): dW = H dZᵀ and dH = W dZ as sums of length-d axpys.
/// dW and dH are overwritten.
void backward_sparse(const float* W, const float* H, const float* dZ, long d, long V, long B, float* dW, float* dH);

/// Encoder path: dW(:, j) += dH(:, c) for every active j of sample c.
void scatter_add(float* dW, long d, const std::uint64_t* offsets, const std::uint32_t* indices,
                 const std::size_t* rows, long B, const float* dH);

/// One PyTorch AdamW update of n parameters (see adamw_step in bows.hpp).
void adamw_update(float* p, const float* g, float* m, float* v, std::size_t n, float decay, float w1, float beta2,
                  float one_minus_beta2, float bc2_sqrt, float eps, float neg_step);

}  // namespace superpose::bows::kernels
