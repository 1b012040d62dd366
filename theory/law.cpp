// Input laws μ and argument validation (theory/theory.hpp).
#include "theory/theory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace superpose {

namespace {

mp::mpz_int double_factorial(int k) {  // k!! for k ≥ -1
  mp::mpz_int r = 1;
  for (int i = k; i > 1; i -= 2) r *= i;
  return r;
}

mp::mpz_int factorial(int k) {
  mp::mpz_int r = 1;
  for (int i = 2; i <= k; ++i) r *= i;
  return r;
}

constexpr const char* kLaws =
    "accepted: rademacher, gaussian, uniform, laplace, discrete:v1:w1,v2:w2,...";

}  // namespace

Law Law::parse(std::string_view spec) {
  Law law;
  law.name_ = std::string(spec);
  if (spec == "rademacher") {
    law.kind_ = Kind::rademacher;
    law.atoms_ = {{Rational(-1), Rational(1, 2)}, {Rational(1), Rational(1, 2)}};
    return law;
  }
  if (spec == "gaussian") { law.kind_ = Kind::gaussian; return law; }
  if (spec == "uniform") { law.kind_ = Kind::uniform; return law; }
  if (spec == "laplace") { law.kind_ = Kind::laplace; return law; }
  const std::string_view prefix = "discrete:";
  if (spec.substr(0, prefix.size()) != prefix)
    throw InputError("--law: unknown law '" + std::string(spec) + "' (" + kLaws + ")");
  law.kind_ = Kind::discrete;
  std::string_view body = spec.substr(prefix.size());
  if (body.empty()) throw InputError("--law: the discrete law is empty (write discrete:v1:w1,v2:w2,...)");
  std::map<Rational, Rational> mass;
  bool any_negative = false;
  Rational total = 0;
  for (const std::string& item : split(body, ',')) {
    auto parts = split(item, ':');
    if (parts.size() != 2)
      throw InputError("--law: discrete atom '" + item + "' is not value:weight (write discrete:v1:w1,v2:w2,...)");
    Rational v = parse_rational(parts[0], "--law value");
    Rational w = parse_rational(parts[1], "--law weight");
    if (w <= 0) throw InputError("--law: weight '" + parts[1] + "' must be positive");
    if (v < 0) any_negative = true;
    mass[v] += w;
    total += w;
  }
  std::map<Rational, Rational> sym;
  if (any_negative) {
    for (const auto& [v, w] : mass) {
      auto it = mass.find(Rational(-v));
      if (it == mass.end() || it->second != w)
        throw InputError("--law: the discrete law is asymmetric (the weight at " + v.str() +
                         " differs from the weight at " + Rational(-v).str() +
                         "); give only values >= 0 to have it symmetrised");
    }
    sym = mass;
  } else {
    for (const auto& [v, w] : mass) {
      if (v == 0) {
        sym[v] += w;
      } else {
        sym[v] += w / 2;
        sym[Rational(-v)] += w / 2;
      }
    }
  }
  for (const auto& [v, w] : sym) law.atoms_.emplace_back(v, w / total);
  if (law.moment(2) == 0) throw InputError("--law: the discrete law is degenerate (all mass at 0, so mu_2 = 0)");
  return law;
}

Rational Law::moment(int k) const {
  if (k < 0) throw std::invalid_argument("Law::moment: negative order");
  if (k == 0) return Rational(1);
  if (k % 2 == 1) return Rational(0);
  switch (kind_) {
    case Kind::gaussian: return Rational(double_factorial(k - 1));
    case Kind::uniform: return Rational(1, k + 1);
    case Kind::laplace: return Rational(factorial(k));
    case Kind::rademacher:
    case Kind::discrete: {
      Rational s = 0;
      for (const auto& [v, w] : atoms_) {
        Rational vk = 1;
        for (int i = 0; i < k; ++i) vk *= v;
        s += w * vk;
      }
      return s;
    }
  }
  return Rational(0);
}

Rational Law::c_mu(int m) const {
  Rational a = moment(m + 1);
  return a * a / moment(2 * m);
}

void check_power(int m) {
  if (m < 1 || m > kMaxPower)
    throw InputError("--m " + std::to_string(m) + ": the activation power must be an odd integer in 1.." +
                     std::to_string(kMaxPower));
  if (m % 2 == 0)
    throw InputError("--m " + std::to_string(m) +
                     ": the activation power must be odd; for even m every term of E<x,(Ax)^m> has odd degree in "
                     "the symmetric input, so C = 0 and the gain -D is <= 0 for every W");
}

template <class T>
void check_probability(const T& p) {
  if (!(p > 0 && p <= 1)) throw InputError("--p: the feature probability must lie in (0, 1]");
}
template void check_probability<double>(const double&);
template void check_probability<Real50>(const Real50&);
template void check_probability<Real100>(const Real100&);
template void check_probability<Rational>(const Rational&);

void check_double_range(const Law& law, int m, const Rational& p) {
  for (int k = 2; k <= 2 * m; k += 2) {
    const double mu = from_rational<double>(law.moment(k));
    if (!(std::isfinite(mu) && mu >= std::numeric_limits<double>::min()))
      throw PrecisionError("--law " + law.name() + ": the moment mu_" + std::to_string(k) + " = " +
                           rational_to_decimal(law.moment(k), 6) +
                           " lies outside double's range, in which the optimiser works (accepted: laws whose moments "
                           "up to mu_2m lie in 2.3e-308..1.8e308; `superpose loss` evaluates any law)");
  }
  if (from_rational<double>(p) < std::numeric_limits<double>::min())
    throw PrecisionError("--p " + rational_to_decimal(p, 6) +
                         ": underflows double, in which the optimiser works (accepted: p >= 2.3e-308; `superpose "
                         "loss` evaluates any p)");
}

void check_sizes(int d, int n) {
  if (d < 1) throw InputError("--d " + std::to_string(d) + ": the hidden width must be an integer >= 1");
  if (n < 1) throw InputError("--n " + std::to_string(n) + ": the number of features must be an integer >= 1");
}

Rational f_star(int d, int m) {
  check_sizes(d, 1);
  if (m < 1 || m > 64) throw InputError("f_star: the order must lie in 1..64");
  mp::mpz_int num = 1;
  for (int k = 0; k < m; ++k) num *= d + 2 * k;
  return Rational(num, double_factorial(2 * m - 1));
}

Rational sym_dim(int d, int m) {
  mp::mpz_int num = 1, den = 1;
  for (int k = 1; k <= m; ++k) {
    num *= d + k - 1;
    den *= k;
  }
  return Rational(num, den);
}

Setting::Setting(int d_, int n_, int m_, Law law_) : d(d_), n(n_), m(m_), law(std::move(law_)) {
  check_sizes(d, n);
  check_power(m);
}

}  // namespace superpose
