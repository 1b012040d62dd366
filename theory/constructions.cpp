// Explicit constructions (theory/theory.hpp, section "Constructions"). Mathematics: docs/theory.md §6.
#include "theory/theory.hpp"

#include <algorithm>

#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include <cmath>
#include <random>

namespace superpose {

Matrix<double> unsuperposed_weights(int d, int n) {
  check_sizes(d, n);
  Matrix<double> W = Matrix<double>::Zero(d, n);
  for (int i = 0; i < std::min(d, n); ++i) W(i, i) = 1.0;
  return W;
}

Matrix<double> random_tight_frame(int d, int n, int k, std::uint64_t seed) {
  check_sizes(d, n);
  if (k < 1 || k > n) throw InputError("random_tight_frame: k must lie in 1..n");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Matrix<double> G(d, k);
  for (int j = 0; j < k; ++j)
    for (int i = 0; i < d; ++i) G(i, j) = g(rng);
  Matrix<double> W = Matrix<double>::Zero(d, n);
  if (k >= d) {
    Eigen::SelfAdjointEigenSolver<Matrix<double>> es(G * G.transpose());
    Matrix<double> inv_sqrt = es.eigenvectors() * es.eigenvalues().cwiseSqrt().cwiseInverse().asDiagonal() *
                              es.eigenvectors().transpose();
    W.leftCols(k) = std::sqrt(static_cast<double>(k) / d) * inv_sqrt * G;
  } else {
    Eigen::HouseholderQR<Matrix<double>> qr(G);
    W.leftCols(k) = qr.householderQ() * Matrix<double>::Identity(d, k);
  }
  return W;
}

template <class T>
Matrix<T> projective_design_weights(int m, int n) {
  check_power(m);
  if (n < m + 1)
    throw InputError("projective_design: needs n >= m+1 = " + std::to_string(m + 1) + " features (n = " +
                     std::to_string(n) + ")");
  using std::cos;
  using std::sin;
  const T pi = boost::math::constants::pi<T>();
  Matrix<T> W = Matrix<T>::Zero(2, n);
  for (int j = 0; j <= m; ++j) {
    T theta = pi * T(j) / T(m + 1);
    W(0, j) = cos(theta);
    W(1, j) = sin(theta);
  }
  return W;
}

namespace {
template <class T>
Matrix<T> cast_to(const Matrix<double>& W) {
  Matrix<T> out(W.rows(), W.cols());
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) out(i, j) = T(W(i, j));
  return out;
}
}  // namespace

double constructions_memory_bytes(const Setting& s, int digits, double exact_budget) {
  const double d = s.d, n = s.n;
  const int used = d * n * n <= exact_budget ? digits : 16;
  return scalar_bytes(used) * (2 * n * (d + s.m + 1)) + evaluation_memory_bytes(d, n, s.m, used, false) +
         sizeof(double) * (3 * d * n + 2 * d * d);
}

template <class T>
Constructions<T>::Constructions(const Setting& s, std::uint64_t seed, double exact_budget,
                                const ConstructionProgress& progress)
    : setting_(s) {
  check_size_memory(constructions_memory_bytes(s, digits_of<T>(), exact_budget), s.d, s.n,
                    "the constructions at d = " + std::to_string(s.d) + ", n = " + std::to_string(s.n),
                    "lower n, or skip the constructions (bounds --no-constructions)");
  const bool in_t = static_cast<double>(s.d) * s.n * s.n <= exact_budget || std::is_same_v<T, double>;
  auto add = [&](std::string name, std::string detail, int features, const auto& W) {
    Member mem{std::move(name), std::move(detail), features, std::nullopt, std::nullopt};
    using WT = typename std::decay_t<decltype(W)>::Scalar;
    if constexpr (std::is_same_v<WT, double>) {
      if (in_t) mem.sums_t = row_power_sums(cast_to<T>(W), s.m);
      else mem.sums_d = row_power_sums(W, s.m);
    } else {
      mem.sums_t = row_power_sums(W, s.m);
    }
    members_.push_back(std::move(mem));
  };
  std::vector<int> ks;
  for (long k = s.d; k < s.n; k *= 2) ks.push_back(static_cast<int>(k));
  ks.push_back(s.n);
  auto work = [&](double k) { return std::max(1LL, std::llround(k * k * (s.d + s.m) / 2e6)); };
  long long total = 0, done = 0;
  for (int k : ks) total += work(k);
  for (int k : ks) {
    // Zero columns contribute nothing to the gain, so the first k columns are evaluated alone.
    add("random_tight_frame", "k=" + std::to_string(k) + ", seed=" + std::to_string(seed), k,
        random_tight_frame(s.d, k, k, seed));
    if (progress) progress(done += work(k), total);
  }
  if (s.d == 2 && s.n >= s.m + 1)
    add("projective_design", std::to_string(s.m + 1) + " lines at angles j*pi/" + std::to_string(s.m + 1),
        s.m + 1, projective_design_weights<T>(s.m, s.n));
}

template <class T>
std::vector<ConstructionValue<T>> Constructions<T>::at(const T& p) const {
  check_probability(p);
  std::vector<ConstructionValue<T>> out;
  for (const Member& mem : members_) {
    ConstructionValue<T> v;
    v.name = mem.name;
    v.features = mem.features;
    v.detail = mem.detail;
    v.member = static_cast<int>(&mem - members_.data());
    if (mem.sums_t) {
      v.gain = best_scaled_gain(gain_terms(*mem.sums_t, setting_.law, p), setting_.m).gain;
      v.precision = std::to_string(digits_of<T>()) + " digits";
    } else {
      v.gain = T(best_scaled_gain(gain_terms(*mem.sums_d, setting_.law, static_cast<double>(p)), setting_.m).gain);
      v.precision = "double";
    }
    // keep only the best k of each family
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.name == v.name; });
    if (same == out.end()) out.push_back(std::move(v));
    else if (v.gain > same->gain) *same = std::move(v);
  }
  return out;
}

template <class T>
std::optional<Interval> Constructions<T>::enclose_scaled_gain(const ConstructionValue<T>& v, const Rational& p) const {
  check_probability(p);
  if (v.member < 0 || v.member >= static_cast<int>(members_.size()) || members_[v.member].detail != v.detail)
    throw InputError("enclose_scaled_gain: the construction was not produced by this Constructions object");
  enclosers_.resize(members_.size());
  std::shared_ptr<const FastGainEncloser>& enc = enclosers_[v.member];
  if (!enc) {
    const Member& mem = members_[v.member];
    if (mem.sums_d) {
      enc = std::make_shared<const FastGainEncloser>(mem.sums_d->W, setting_.m);
    } else {
      const Matrix<T>& W = mem.sums_t->W;
      Matrix<Rational> Wq(W.rows(), W.cols());
      for (Eigen::Index j = 0; j < W.cols(); ++j)
        for (Eigen::Index i = 0; i < W.rows(); ++i) Wq(i, j) = Rational(W(i, j));  // exact: T is a binary float
      enc = std::make_shared<const FastGainEncloser>(Wq, setting_.m);
    }
  }
  const GainEnclosure e = enc->at(setting_.law, p);
  if (interval_compare(e.C, Rational(0)) <= 0 || interval_compare(e.D, Rational(0)) <= 0) return std::nullopt;
  return Interval(e.C * e.C / e.D);
}

#define SUPERPOSE_INSTANTIATE_CONSTRUCTIONS(T)                                                                          \
  template Matrix<T> projective_design_weights<T>(int, int);                                                    \
  template class Constructions<T>;

SUPERPOSE_INSTANTIATE_CONSTRUCTIONS(double)
SUPERPOSE_INSTANTIATE_CONSTRUCTIONS(Real50)
SUPERPOSE_INSTANTIATE_CONSTRUCTIONS(Real100)

}  // namespace superpose
