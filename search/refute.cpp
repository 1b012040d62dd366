// Refutation certificates of first_order_limit found by search (search/search.hpp, "Refutation by search").
#include "search/search.hpp"

#include "numerics/numerics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

namespace superpose {

std::optional<Certificate> first_order_limit_search_certificate(const Setting& s, const FstarBracket& fstar_n) {
  if (s.d > 2 || s.n < 2) return std::nullopt;
  const int n_max = std::min(s.n, 3);
  static std::mutex mu;
  static std::map<std::tuple<std::string, int, int, int, std::string>, std::optional<Certificate>> cache;
  const auto key = std::make_tuple(s.law.name(), s.d, s.m, n_max, fstar_n.upper.str());
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::optional<Certificate> out;
  const Rational slope = s.law.c_mu(s.m) * fstar_n.upper;  // the row's value is slope·p
  OptimizeOptions opt;
  opt.starts = kRefutationSearchStarts;
  opt.seed = 1;
  opt.max_evals = 2000;
  for (int n = 2; n <= n_max && !out; ++n) {
    const Setting small(s.d, n, s.m, s.law);
    for (const Rational& p : {Rational(1), Rational(1, 2), Rational(1, 10)}) {
      const double pd = from_rational<double>(p);
      const MultiStartResult r = multistart_gain(small, pd, gain_starts(small, pd, opt.starts, opt.seed), opt);
      if (!(r.value > from_rational<double>(slope) * (1 + 1e-9))) continue;  // gain/p in double: nothing to certify
      Matrix<Rational> Wq(r.W.rows(), r.W.cols());
      for (Eigen::Index k = 0; k < r.W.size(); ++k)
        Wq.data()[k] = parse_rational(fmt::format("{:.12g}", r.W.data()[k]), "search certificate");
      const Rational gain = evaluate(Wq, s.m, s.law, p, false, 1).gain;
      const Rational bound = slope * p;
      if (gain > bound) {
        out = Certificate{Wq, p, gain, bound,
                          fmt::format("search: d = {}, n = {}, p = {}, {} starts (seed 1, L-BFGS), W rounded to 12 "
                                      "digits",
                                      s.d, n, p.str(), opt.starts)};
        break;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  cache.emplace(key, out);
  return out;
}

}  // namespace superpose
