// Google Benchmark of one BOWS training step (loss, gradient, AdamW) at the paper's batch size, on 1 or 2 threads.
// Data: random binary bags of words with about 245 active words per window (the mean of our WikiText-2 and default
// corpus windows), drawn from a Zipf(1) law over the V words, as in text. Two model states:
//   init     W at its Kaiming-uniform initialisation, b = 0: about half the outputs are positive, dense backward;
//   trained  b set to a negative constant that leaves P % of the outputs positive on the first batch (4th argument),
//            as in trained runs (docs/bows.md: 9–20 % of outputs carry gradient late in training).
// The last argument is the thread count (Workspace::threads, adamw_step's threads).
// Counters: flops/s counts 6·B·d·V per step (the three dense GEMMs), whatever path ran; active = share of outputs
// with nonzero gradient. bench/bows_pytorch.py times the same step in PyTorch; bench/bows_compare.sh runs both.
#include "bows/bows.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace {

using namespace superpose::bows;

Csr zipf_windows(std::size_t rows, std::size_t V, std::size_t active, std::uint64_t seed) {
  std::vector<double> w(V);
  for (std::size_t v = 0; v < V; ++v) w[v] = 1.0 / static_cast<double>(v + 1);
  std::discrete_distribution<std::uint32_t> zipf(w.begin(), w.end());
  std::mt19937_64 rng(seed);
  Csr c;
  c.V = V;
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<std::uint32_t> a;
    while (a.size() < active) {
      a.push_back(zipf(rng));
      if (a.size() == active) {
        std::sort(a.begin(), a.end());
        a.erase(std::unique(a.begin(), a.end()), a.end());
      }
    }
    c.push_back(a);
  }
  return c;
}

void train_step(benchmark::State& state, bool trained) {
  const auto V = static_cast<Eigen::Index>(state.range(0)), d = static_cast<Eigen::Index>(state.range(1));
  const auto B = static_cast<std::size_t>(state.range(2));
  const Csr data = zipf_windows(4 * B, static_cast<std::size_t>(V), 245, 1);
  Model m = init_model(d, V, kaiming_uniform_bound(V), true, 1);
  std::vector<std::size_t> rows(B);
  for (std::size_t i = 0; i < B; ++i) rows[i] = i;
  float bias = 0.0f;
  if (trained) {
    Workspace w0;
    loss_and_gradient(m, data, rows, nullptr, w0);  // leaves the pre-activations in w0.Z
    std::vector<float> z(w0.Z.data(), w0.Z.data() + w0.Z.size());
    auto q = z.begin() + static_cast<std::ptrdiff_t>((1.0 - static_cast<double>(state.range(3)) / 100.0) * static_cast<double>(z.size()));
    std::nth_element(z.begin(), q, z.end());
    bias = -*q;
    m.b.setConstant(bias);
  }
  const int threads = static_cast<int>(state.range(trained ? 4 : 3));
  AdamWState st;
  st.reset(d, V);
  AdamWOptions opt;
  opt.weight_decay = trained ? 0.0 : 4.0;  // keep the state fixed-ish: no decay of the negative bias in `trained`
  Workspace ws;
  ws.threads = threads;
  Gradient g;
  std::size_t k = 0;
  double active = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < B; ++i) rows[i] = (k * B + i) % data.rows();
    ++k;
    benchmark::DoNotOptimize(loss_and_gradient(m, data, rows, &g, ws));
    active += ws.last_active_fraction;
    adamw_step(m, g, st, opt, trained ? 0.0 : 5e-4, threads);
    if (trained) m.b.setConstant(bias);
  }
  const double flops = 6.0 * static_cast<double>(B) * static_cast<double>(d) * static_cast<double>(V);
  state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["steps/s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["active"] = active / static_cast<double>(state.iterations());
}

void BM_TrainStepInit(benchmark::State& s) { train_step(s, false); }
void BM_TrainStepTrained(benchmark::State& s) { train_step(s, true); }

}  // namespace

BENCHMARK(BM_TrainStepInit)
    ->ArgsProduct({{2000}, {100}, {256}, {1, 2}})
    ->ArgsProduct({{5000, 10000}, {200}, {512}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK(BM_TrainStepTrained)
    ->ArgsProduct({{2000}, {100}, {256}, {18}, {1, 2}})
    ->ArgsProduct({{5000, 10000}, {200}, {512}, {18}, {1, 2}})
    ->Args({5000, 200, 512, 10, 1})
    ->Args({5000, 200, 512, 5, 1})
    ->Args({5000, 200, 512, 2, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

BENCHMARK_MAIN();
