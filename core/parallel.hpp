// superpose/core: the one thread runner (part of core's contract, core/core.hpp "Threads"). Header-only and free
// of Eigen, so that translation units compiled for another instruction set (bows/kernels.cpp) can use it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace superpose {

/// Runs f(k) for k = 0..count−1 on min(threads, count) threads (the caller's thread is one of them), handing out
/// one index at a time. Which thread runs which k is not fixed, so a caller that needs results independent of the
/// thread count makes each f(k) write only its own outputs, and sums partial results in k order afterwards.
/// The first exception thrown by any f(k) stops the hand-out and is rethrown here after every thread has joined.
/// threads < 1 counts as 1.
template <class F>
void parallel_for(std::ptrdiff_t count, int threads, const F& f) {
  std::atomic<std::ptrdiff_t> next{0};
  auto work = [&]() {
    for (std::ptrdiff_t k; (k = next++) < count;) f(k);
  };
  const int t = static_cast<int>(std::max<std::ptrdiff_t>(1, std::min<std::ptrdiff_t>(threads, count)));
  if (t == 1) {
    for (std::ptrdiff_t k = 0; k < count; ++k) f(k);
    return;
  }
  std::vector<std::thread> pool;
  std::exception_ptr error;
  std::mutex mu;
  auto guarded = [&]() {
    try {
      work();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      next = count;
    }
  };
  for (int q = 1; q < t; ++q) pool.emplace_back(guarded);
  guarded();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

/// The thread count meant by a `--threads` value: `requested` when positive, else every core the machine reports.
inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace superpose

namespace superpose {

/// Runs f(begin, end) over [0, n) cut into consecutive blocks of `block` indices (the last one shorter), on
/// `threads` threads (parallel_for). The cut depends on n and block only, never on the thread count, so a block
/// computation whose rounding depends on its size (a GEMM's internal blocking) gives the same bits whatever the
/// count. block < 1 counts as 1.
template <class F>
void parallel_blocks(std::ptrdiff_t n, std::ptrdiff_t block, int threads, const F& f) {
  block = std::max<std::ptrdiff_t>(1, block);
  parallel_for((n + block - 1) / block, threads, [&](std::ptrdiff_t k) { f(k * block, std::min(n, (k + 1) * block)); });
}

}  // namespace superpose
