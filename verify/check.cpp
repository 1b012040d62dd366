// superpose check: a bound of the user's, checked with certified verdicts (verify/verify.hpp, section "check";
// issue 8, item 5). The expression is parsed by GiNaC and evaluated by walking its tree in exact rationals, or in
// MPFI intervals where a step leaves the rationals; gains come from the one engine (exact) or enclose_gain.
#include "verify/verify.hpp"
#include "verify/detail/checkpoint.hpp"

#include <ginac/ginac.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <tuple>

namespace superpose {

namespace {

// min, max and mu as GiNaC functions without evaluation rules: they stay as nodes of the tree until evaluate()
// below gives them a value. (The parser maps the names min, max and mu to them.)
DECLARE_FUNCTION_2P(superpose_min)
REGISTER_FUNCTION(superpose_min, dummy())
DECLARE_FUNCTION_2P(superpose_max)
REGISTER_FUNCTION(superpose_max, dummy())
DECLARE_FUNCTION_1P(superpose_mu)
REGISTER_FUNCTION(superpose_mu, dummy())

GiNaC::ex read_sqrt(const GiNaC::exvector& a) { return GiNaC::sqrt(a[0]); }
GiNaC::ex read_exp(const GiNaC::exvector& a) { return GiNaC::exp(a[0]); }
GiNaC::ex read_log(const GiNaC::exvector& a) { return GiNaC::log(a[0]); }
GiNaC::ex read_binomial(const GiNaC::exvector& a) { return GiNaC::binomial(a[0], a[1]); }
GiNaC::ex read_min(const GiNaC::exvector& a) { return superpose_min(a[0], a[1]); }
GiNaC::ex read_max(const GiNaC::exvector& a) { return superpose_max(a[0], a[1]); }
GiNaC::ex read_mu(const GiNaC::exvector& a) { return superpose_mu(a[0]); }

// The functions a bound may call and their number of arguments (the parser's whole table: nothing else parses).
const std::map<std::string, std::pair<std::size_t, GiNaC::reader_func>>& functions() {
  static const std::map<std::string, std::pair<std::size_t, GiNaC::reader_func>> table{
      {"sqrt", {1, read_sqrt}}, {"exp", {1, read_exp}},  {"log", {1, read_log}}, {"binomial", {2, read_binomial}},
      {"min", {2, read_min}},   {"max", {2, read_max}}, {"mu", {1, read_mu}}};
  return table;
}

const std::vector<std::string>& symbol_names() {
  static const std::vector<std::string> names{"p", "n", "d", "m", "c_mu", "fstar"};
  return names;
}

[[noreturn]] void bad_expression(const std::string& text, const std::string& problem) {
  throw InputError("--bound \"" + text + "\": " + problem + " (accepted: " + kBoundExpressionNames + ")");
}

bool is_integer(const CertifiedReal& x) { return x.exact && denominator(*x.exact) == 1; }

bool positive(const Interval& x) { return mpfr_sgn(&x.backend().data()->left) > 0; }
bool nonnegative(const Interval& x) { return mpfr_sgn(&x.backend().data()->left) >= 0; }
bool finite(const Interval& x) { return mpfi_bounded_p(x.backend().data()) != 0; }


// The exact k-th root of q ≥ 0 if it is rational.
std::optional<Rational> exact_root(const Rational& q, unsigned long k) {
  mp::mpz_int a, b;
  const int ea = mpz_root(a.backend().data(), numerator(q).backend().data(), k);
  const int eb = mpz_root(b.backend().data(), denominator(q).backend().data(), k);
  if (ea == 0 || eb == 0) return std::nullopt;
  return Rational(Rational(a) / Rational(b));
}

}  // namespace

// ------------------------------------------------------------------------------------------------ expression
struct BoundExpression::Impl {
  std::string text;
  GiNaC::ex tree;
  std::map<std::string, Rational> constants;  // the numbers of the text, read exactly, as symbols c0, c1, ...
};

BoundExpression BoundExpression::parse(const std::string& text) {
  auto impl = std::make_shared<Impl>();
  impl->text = text;
  // Pass 1, before GiNaC: every name must be known and every function called; every number is replaced by a
  // symbol holding its exact value (so "0.5" is 1/2, and GiNaC never computes with a number, e.g. 10^10^10).
  std::string rewritten;
  GiNaC::symtab table;
  for (const std::string& s : symbol_names()) table[s] = GiNaC::symbol(s);
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (std::isdigit(c) || c == '.') {
      std::size_t j = i;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
      if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
          while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
          j = k;
        }
      }
      const std::string number = text.substr(i, j - i);
      Rational value;
      try {
        value = parse_rational(number, "--bound");
      } catch (const InputError&) {
        bad_expression(text, "'" + number + "' is not a number");
      }
      const std::string name = "c" + std::to_string(impl->constants.size());  // not a name users may write
      impl->constants.emplace(name, value);
      table[name] = GiNaC::symbol(name);
      rewritten += " " + name + " ";
      i = j;
    } else if (std::isalpha(c) || c == '_') {
      std::size_t j = i;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      const std::string name = text.substr(i, j - i);
      std::size_t k = j;
      while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      const bool called = k < text.size() && text[k] == '(';
      const bool is_symbol = std::find(symbol_names().begin(), symbol_names().end(), name) != symbol_names().end();
      const auto f = functions().find(name);
      if (!is_symbol && f == functions().end()) bad_expression(text, "unknown name '" + name + "'");
      if (is_symbol && called) bad_expression(text, "'" + name + "' is a number, not a function");
      if (!is_symbol && !called)
        bad_expression(text, "'" + name + "' is a function of " + std::to_string(f->second.first) +
                                 " argument(s): write " + name + "(...)");
      rewritten += name;
      i = j;
    } else if (std::string_view("+-*/^(),").find(static_cast<char>(c)) != std::string_view::npos) {
      rewritten += static_cast<char>(c);
      ++i;
    } else {
      bad_expression(text, std::string("unexpected character '") + static_cast<char>(c) + "'");
    }
  }
  if (trim(text).empty()) bad_expression(text, "the expression is empty");
  GiNaC::prototype_table prototypes;
  for (const auto& [name, f] : functions()) prototypes[GiNaC::prototype(name, f.first)] = f.second;
  try {
    GiNaC::parser reader(table, true, prototypes);
    impl->tree = reader(rewritten);
  } catch (const std::exception& e) {
    // GiNaC's message without its position prefix (always line 0, column 0) and its source location suffix.
    std::string what = std::regex_replace(e.what(), std::regex(R"(GiNaC: parse error at line \d+, column \d+: )"), "");
    std::replace(what.begin(), what.end(), '\n', ' ');
    what = trim(what);
    if (const std::size_t at = what.rfind(" ["); at != std::string::npos && what.back() == ']') what.resize(at);
    bad_expression(text, "cannot parse it: " + trim(what));
  }
  BoundExpression out;
  out.impl_ = std::move(impl);
  return out;
}

const std::string& BoundExpression::text() const { return impl_->text; }

namespace {

// Walks a GiNaC tree: exact while every step stays rational, an enclosure (MPFI) from the first step that does not.
class Evaluator {
 public:
  Evaluator(const std::string& text, const std::string& p_text, std::map<std::string, Rational> symbols,
            const Law& law)
      : text_(text), p_text_(p_text), symbols_(std::move(symbols)), law_(law) {}

  CertifiedReal operator()(const GiNaC::ex& e) const {
    using namespace GiNaC;
    if (is_a<symbol>(e)) return CertifiedReal::of(symbols_.at(ex_to<symbol>(e).get_name()));
    if (is_a<numeric>(e)) {  // GiNaC's own numbers: the exponent 1/2 of sqrt, −1 of a division, coefficients
      const numeric& v = ex_to<numeric>(e);
      if (!v.is_rational()) fail("a number that is not rational");
      std::ostringstream os;
      os << v;
      return CertifiedReal::of(parse_rational(os.str(), "--bound"));
    }
    if (is_a<add>(e) || is_a<mul>(e)) {
      const bool sum = is_a<add>(e);
      CertifiedReal acc = CertifiedReal::of(Rational(sum ? 0 : 1));
      for (std::size_t i = 0; i < e.nops(); ++i) {
        const CertifiedReal x = (*this)(e.op(i));
        if (acc.exact && x.exact) {
          acc = CertifiedReal::of(Rational(sum ? *acc.exact + *x.exact : *acc.exact * *x.exact));
        } else {
          acc = CertifiedReal::of(Interval(sum ? acc.enclosure + x.enclosure : acc.enclosure * x.enclosure));
        }
      }
      return acc;
    }
    if (is_a<power>(e)) return pow((*this)(e.op(0)), (*this)(e.op(1)));
    if (is_a<function>(e)) return call(ex_to<function>(e));
    fail("an unsupported operation");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError("--bound \"" + text_ + "\" at p = " + p_text_ + ": " + why);
  }

  CertifiedReal pow(const CertifiedReal& x, const CertifiedReal& y) const {
    if (is_integer(y)) {
      const Rational k = *y.exact;
      if (abs(k) > 1000000) fail("an integer power beyond 10^6");
      const long kk = static_cast<long>(numerator(k));
      if (x.exact) {
        if (*x.exact == 0 && kk < 0) fail("division by 0");
        const Rational r = ipow(*x.exact, std::labs(kk));
        return CertifiedReal::of(kk < 0 ? Rational(1 / r) : r);
      }
      const Interval r = ipow(x.enclosure, std::labs(kk));
      if (kk < 0 && mpfi_has_zero(r.backend().data())) fail("division by an interval containing 0");
      return CertifiedReal::of(kk < 0 ? Interval(1 / r) : r);
    }
    // A fractional power: exact for an exact root of a rational, else exp(y·log x) on intervals (x > 0).
    if (x.exact && y.exact && *x.exact >= 0 && *y.exact > 0 && denominator(*y.exact) <= 64) {
      if (auto root = exact_root(*x.exact, static_cast<unsigned long>(denominator(*y.exact)))) {
        return pow(CertifiedReal::of(*root), CertifiedReal::of(Rational(numerator(*y.exact))));
      }
    }
    if (y.exact && *y.exact == Rational(1, 2)) {
      if (!nonnegative(x.enclosure)) fail("the square root of a number that may be negative");
      return CertifiedReal::of(Interval(sqrt(x.enclosure)));
    }
    if (!positive(x.enclosure)) fail("a fractional power of a number that may be <= 0");
    return CertifiedReal::of(Interval(exp(y.enclosure * log(x.enclosure))));
  }

  CertifiedReal nonnegative_integer(const GiNaC::ex& e, const char* what, const Rational& cap) const {
    const CertifiedReal x = (*this)(e);
    if (!is_integer(x) || *x.exact < 0 || *x.exact > cap)
      fail(std::string(what) + " needs an integer argument in 0.." + cap.str());
    return x;
  }

  CertifiedReal call(const GiNaC::function& f) const {
    const unsigned serial = f.get_serial();
    if (serial == superpose_mu_SERIAL::serial) {
      const CertifiedReal k = nonnegative_integer(f.op(0), "mu(k)", 400);
      return CertifiedReal::of(law_.moment(static_cast<int>(numerator(*k.exact))));
    }
    if (serial == superpose_min_SERIAL::serial || serial == superpose_max_SERIAL::serial) {
      const bool is_min = serial == superpose_min_SERIAL::serial;
      const CertifiedReal a = (*this)(f.op(0)), b = (*this)(f.op(1));
      if (a.exact && b.exact) return CertifiedReal::of(is_min ? std::min(*a.exact, *b.exact) : std::max(*a.exact, *b.exact));
      // [min(lo), min(hi)] (or max) contains min(a, b) (max(a, b)) for every a and b in the enclosures.
      Interval out;
      const mpfi_srcptr x = a.enclosure.backend().data(), y = b.enclosure.backend().data();
      mpfr_t lo, hi;
      mpfr_init2(lo, mpfi_get_prec(x));
      mpfr_init2(hi, mpfi_get_prec(x));
      if (is_min) {
        mpfr_min(lo, &x->left, &y->left, MPFR_RNDD);
        mpfr_min(hi, &x->right, &y->right, MPFR_RNDU);
      } else {
        mpfr_max(lo, &x->left, &y->left, MPFR_RNDD);
        mpfr_max(hi, &x->right, &y->right, MPFR_RNDU);
      }
      mpfi_interv_fr(out.backend().data(), lo, hi);
      mpfr_clear(lo);
      mpfr_clear(hi);
      return CertifiedReal::of(out);
    }
    const std::string name = f.get_name();
    if (name == "binomial") {
      const CertifiedReal a = nonnegative_integer(f.op(0), "binomial(a,b)", 1000000);
      const CertifiedReal b = nonnegative_integer(f.op(1), "binomial(a,b)", 1000000);
      const long top = static_cast<long>(numerator(*a.exact)), k = static_cast<long>(numerator(*b.exact));
      if (k > top) return CertifiedReal::of(Rational(0));
      Rational r = 1;
      for (long j = 1; j <= std::min(k, top - k); ++j) r = r * (top - j + 1) / j;
      return CertifiedReal::of(r);
    }
    if (name == "exp" || name == "log") {
      const CertifiedReal x = (*this)(f.op(0));
      if (name == "exp") {
        if (x.exact && *x.exact == 0) return CertifiedReal::of(Rational(1));
        return CertifiedReal::of(Interval(exp(x.enclosure)));
      }
      if (x.exact && *x.exact == 1) return CertifiedReal::of(Rational(0));
      if (!positive(x.enclosure)) fail("the log of a number that may be <= 0");
      return CertifiedReal::of(Interval(log(x.enclosure)));
    }
    fail("the function " + name);
  }

  const std::string& text_;
  const std::string& p_text_;
  std::map<std::string, Rational> symbols_;
  const Law& law_;
};

}  // namespace

CertifiedReal BoundExpression::at(const Setting& s, const Rational& p) const {
  std::map<std::string, Rational> symbols = impl_->constants;
  symbols["p"] = p;
  symbols["n"] = s.n;
  symbols["d"] = s.d;
  symbols["m"] = s.m;
  symbols["c_mu"] = s.law.c_mu(s.m);
  symbols["fstar"] = f_star(s.d, s.m);
  const std::string p_text = rational_to_decimal(p, 12);
  const CertifiedReal v = Evaluator(impl_->text, p_text, std::move(symbols), s.law)(impl_->tree);
  if (!v.exact && !finite(v.enclosure))
    throw InputError("--bound \"" + impl_->text + "\" at p = " + p_text + ": the value is not finite");
  return v;
}

// ------------------------------------------------------------------------------------------------ check
namespace {

using ojson = nlohmann::ordered_json;

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return s;
}

std::string basis_of(const CertifiedReal& a, const CertifiedReal& b) {
  return a.exact && b.exact ? "exact rationals" : "interval arithmetic (MPFI, 60-digit endpoints)";
}

std::string decimal(const CertifiedReal& x, int digits) { return certified_to_decimal(x, digits); }

// a/b as a decimal correct to the digits shown, "n/a" when b is 0 or may be.
std::string ratio(const CertifiedReal& a, const CertifiedReal& b, int digits) {
  try {
    return certified_to_decimal(certified_ratio(a, b), digits);
  } catch (const std::domain_error&) {
    return "n/a";
  }
}

double midpoint(const CertifiedReal& x) {
  return x.exact ? static_cast<double>(*x.exact) : static_cast<double>(mp::median(x.enclosure));
}

// The best certified construction at p: unsuperposed in closed form, then the structured starts at their best
// scale, rounded to kCheckDigits decimals and evaluated by certified_gain; the largest by midpoint.
std::pair<std::string, CertifiedReal> best_construction(const Setting& s, const Rational& p, std::uint64_t seed) {
  std::pair<std::string, CertifiedReal> best{
      "unsuperposed", CertifiedReal::of(Rational(p * std::min(s.d, s.n) * s.law.c_mu(s.m)))};
  const Real50 p50 = from_rational<Real50>(p);
  for (const NamedStart& start : structured_starts(s.d, s.n, s.m, seed)) {
    if (start.kind == "unsuperposed") continue;
    const Matrix<Real50> W = start.W.cast<Real50>();
    const ScaledGain<Real50> sg = best_scaled_gain(gain_terms(row_power_sums(W, s.m, 1), s.law, p50), s.m);
    if (!(sg.scale > 0)) continue;
    const DecimalMatrix Wq = round_to_decimals(Matrix<Real50>(W * sg.scale), kCheckDigits);
    const CertifiedReal g = certified_gain(Wq.W, s.m, s.law, p);
    if (midpoint(g) > midpoint(best.second)) best = {start.kind, g};
  }
  return best;
}

CheckRow row_of(const CheckPoint& pt) {
  CheckRow row;
  row.index = pt.index;
  row.d = pt.setting.d;
  row.n = pt.setting.n;
  row.m = pt.setting.m;
  row.law = pt.setting.law.name();
  row.p = pt.p.text;
  row.bound = pt.value;
  return row;
}

// The verdict of the best W found (W50, d×n): rounded to kCheckDigits decimals, certified, compared with the bound
// and with every proved upper bound; a refutation writes its certificate. The same code finishes a resumed row from
// its stored W, so the row (and the certificate) are those of the uninterrupted run.
CheckRow finish_upper(const CheckConfig& cfg, const CheckPoint& pt, const Matrix<Real50>& W50, std::string optimum_gain) {
  const Setting& s = pt.setting;
  CheckRow row = row_of(pt);
  row.optimum_gain = std::move(optimum_gain);
  UpperVerdicts uv = certify_upper_verdicts(s, pt.p.value, W50);
  for (const UpperVerdict* b : uv.violations()) row.violations.push_back(*b);
  row.W = std::move(uv.W);
  row.gain = uv.gain;
  row.basis = basis_of(row.gain, row.bound);
  const CertifiedOrder order = certified_compare(row.gain, row.bound);
  row.verdict = order == CertifiedOrder::greater     ? "refuted"
                : order == CertifiedOrder::undecided ? "undecided"
                                                     : "not-beaten";
  if (row.verdict == "refuted") {
    row.certificate = pt.cert_path;
    std::string text = "# superpose check certificate: this W (d x n, decimals read exactly) refutes the upper bound \"" +
                       cfg.bound + "\"\n# d = " + std::to_string(s.d) + ", n = " + std::to_string(s.n) +
                       ", m = " + std::to_string(s.m) + ", law = " + s.law.name() + ", p = " + row.p + "\n";
    text += "# certified gain of W (" + std::string(row.gain.exact ? "exact rationals" : "MPFI enclosure") +
            "): " + decimal(row.gain, 40) + "\n# bound at p (" +
            std::string(row.bound.exact ? "exact" : "MPFI enclosure") + "): " + decimal(row.bound, 40) + "\n";
    text += "# recompute: superpose loss --weights FILE --m " + std::to_string(s.m) + " --law " + s.law.name() +
            " --p " + row.p + " --exact\n";
    write_file_atomic(row.certificate, text + row.W->csv());
  }
  return row;
}

CheckRow check_upper(const CheckConfig& cfg, const CheckPoint& pt, const std::function<void(int)>& starts_done) {
  OptimizeOptions opt;
  opt.starts = cfg.starts;
  opt.seed = cfg.seed;
  opt.max_evals = cfg.max_evals;
  if (starts_done) opt.progress = [&](int done, int, double) { starts_done(done); };
  const OptimizeResult r = optimize_weights(pt.setting, pt.p.value, opt);
  return finish_upper(cfg, pt, r.W50, to_decimal(r.gain, 20));
}

CheckRow check_lower(const CheckConfig& cfg, const CheckPoint& pt) {
  const Setting& s = pt.setting;
  const Rational& p = pt.p.value;
  CheckRow row = row_of(pt);
  // Refuted by any proved upper bound it exceeds; the row shows the smallest bound it exceeds, or else the smallest.
  const CertifiedBound *smallest = nullptr, *smallest_beaten = nullptr;
  bool undecided = false;
  const std::vector<CertifiedBound> uppers = certified_upper_bounds(s, p, fstar_n_bracket(s.d, s.m, s.n));
  for (const CertifiedBound& b : uppers) {
    const CertifiedOrder o = certified_compare(row.bound, b.value);
    if (o == CertifiedOrder::greater && (!smallest_beaten || midpoint(b.value) < midpoint(smallest_beaten->value)))
      smallest_beaten = &b;
    if (!smallest || midpoint(b.value) < midpoint(smallest->value)) smallest = &b;
    undecided = undecided || o == CertifiedOrder::undecided;
  }
  const bool refuted = smallest_beaten != nullptr;
  const CertifiedBound* shown = refuted ? smallest_beaten : smallest;
  if (shown) {
    row.upper_name = shown->name;
    row.upper = shown->value;
  }
  std::tie(row.construction_name, row.construction) = best_construction(s, p, cfg.seed);
  const CertifiedOrder c = certified_compare(row.bound, row.construction);
  row.established = c == CertifiedOrder::less || c == CertifiedOrder::equal;
  row.verdict = refuted ? "refuted" : undecided ? "undecided" : "consistent";
  row.basis = basis_of(row.bound, row.upper);
  return row;
}

// ---- the checkpoint (detail::read_checkpoint; contract in verify.hpp, run_check)
constexpr int kCheckpointFormat = 1;

/// The fields of the header that determine every row, in their fixed order.
ojson config_json(const CheckConfig& cfg) {
  return {{"version", std::string(version())},
          {"precision", "MPFR-50 search, certified verdicts"},
          {"bound", cfg.bound},
          {"side", cfg.side == BoundSide::upper ? "upper" : "lower"},
          {"d", cfg.d_values},
          {"n", cfg.n_values},
          {"m", cfg.m_values},
          {"law", cfg.laws},
          {"p", cfg.p_spec},
          {"starts", cfg.starts},
          {"seed", cfg.seed},
          {"max_evals", cfg.max_evals}};
}

std::string header_line(const CheckConfig& cfg) {
  ojson h = {{"superpose_check", kCheckpointFormat}};
  const ojson config = config_json(cfg);
  for (const auto& [key, value] : config.items()) h[key] = value;
  h["config_crc32"] = crc32_hex(config.dump());
  return h.dump();
}

const std::vector<std::pair<std::string, std::string>>& header_flags() {
  static const std::vector<std::pair<std::string, std::string>> flags = {
      {"bound", "--bound"}, {"side", "--side"}, {"d", "--d"},           {"n", "--n"},
      {"m", "--m"},         {"law", "--law"},   {"p", "--p"},           {"starts", "--starts"},
      {"seed", "--seed"},   {"max_evals", "--max-evals"}};
  return flags;
}

// The checkpoint row: the grid point, the verdict and (side upper) what the search found: the rounded W and the
// MPFR-50 optimum. Everything else is recomputed from them on resume (finish_upper, check_lower).
ojson row_json(const CheckRow& r) {
  ojson j = {{"index", r.index}, {"d", r.d}, {"n", r.n}, {"m", r.m}, {"law", r.law}, {"p", r.p}, {"verdict", r.verdict}};
  if (r.W) {
    j["gain"] = decimal(r.gain, 40);
    j["optimum_gain_mpfr50"] = r.optimum_gain;
    j["W"] = r.W->text;
  }
  return j;
}

}  // namespace

CheckPlan check_inputs(const CheckConfig& cfg) {
  if (cfg.side != BoundSide::upper && cfg.side != BoundSide::lower)
    throw InputError("--side: must be upper or lower");
  if (cfg.starts < 1) throw InputError("--starts: must be >= 1");
  if (cfg.max_evals < 1) throw InputError("--max-evals: must be >= 1");
  if (cfg.stop_after < 0) throw InputError("--stop-after: must be >= 0 (0 = no limit)");
  if (cfg.resume && cfg.out_jsonl.empty()) throw InputError("--resume: needs --out FILE.jsonl (the checkpoint to resume)");
  const bool upper = cfg.side == BoundSide::upper;
  if (upper && !std::filesystem::is_directory(cfg.cert_dir))
    throw InputError("--cert-dir: '" + cfg.cert_dir + "' is not an existing folder");
  if (!cfg.out_jsonl.empty() && std::filesystem::exists(cfg.out_jsonl)) check_output_path(cfg.out_jsonl, "--out");
  CheckPlan plan{BoundExpression::parse(cfg.bound), {}};
  const std::vector<GridP> ps = parse_p_grid(cfg.p_spec, "--p");
  OptimizeOptions opt;
  opt.starts = cfg.starts;
  opt.seed = cfg.seed;
  opt.max_evals = cfg.max_evals;
  validate_grid_cells(cfg.d_values, cfg.n_values, cfg.m_values, cfg.laws, [&](const Setting& s) {
    if (upper) {
      opt.validate(s.d, s.n, s.m);
      (void)structured_starts(s.d, s.n, s.m, cfg.seed);
    }
    for (const GridP& p : ps) {
      if (upper) check_double_range(s.law, s.m, p.value);
      CheckPoint pt{static_cast<int>(plan.points.size()), s, p, plan.expr.at(s, p.value), ""};
      if (upper) {
        pt.cert_path = (std::filesystem::path(cfg.cert_dir) /
                        ("check_d" + std::to_string(s.d) + "_n" + std::to_string(s.n) + "_m" + std::to_string(s.m) +
                         "_" + file_safe(s.law.name()) + "_p" + file_safe(p.text) + ".csv"))
                           .string();
        check_output_path(pt.cert_path, "--cert-dir");
      }
      plan.points.push_back(std::move(pt));
    }
  });
  return plan;
}

CheckResult run_check(const CheckConfig& cfg, const std::function<void(const CheckRow&)>& on_row,
                      const std::function<void(int, int)>& progress) {
  const CheckPlan plan = check_inputs(cfg);
  const bool upper = cfg.side == BoundSide::upper;
  const int per_point = upper ? cfg.starts : 1;
  const int total = static_cast<int>(plan.points.size()) * per_point;
  CheckResult res;
  res.total = static_cast<int>(plan.points.size());
  auto deliver = [&](CheckRow row) {
    res.rows.push_back(std::move(row));
    if (on_row) on_row(res.rows.back());
    if (progress) progress(static_cast<int>(res.rows.size()) * per_point, total);
  };

  std::unique_ptr<detail::CheckpointFile> out;
  const std::string key = crc32_hex(config_json(cfg).dump());
  if (!cfg.out_jsonl.empty()) {
    detail::OpenCheckpoint opened = detail::open_checkpoint(cfg.out_jsonl, cfg.resume, "--out", "check");
    out = std::move(opened.file);
    if (opened.text.empty()) {
      out->line(header_line(cfg));
    } else {
      const std::string fresh = "start a new --out file";
      const ojson expected = ojson::parse(header_line(cfg));
      detail::CheckpointSchema schema;
      schema.command = "check";
      schema.format = kCheckpointFormat;
      schema.header = [&](const ojson& header, const std::string& line1, std::string& row_key) -> std::string {
        const std::string diff = detail::header_difference(header, "the file", expected, "this run", header_flags());
        if (!diff.empty()) return "was written by another check configuration (" + diff + "); use the same flags, or " + fresh;
        if (line1 != header_line(cfg))
          return "line 1: the check header was edited (its config_crc32 or layout does not match its fields): " + fresh;
        row_key = key;
        return "";
      };
      // Each stored row is rebuilt by the code that computed it and must reproduce its verdict and gain.
      schema.row = [&](size_t k, const ojson& j) -> std::string {
        if (k >= plan.points.size())
          return fmt::format("is one row too many: the {} points of this grid are all above it", plan.points.size());
        const CheckPoint& pt = plan.points[k];
        CheckRow row;
        try {
          if (j.at("index").get<int>() != pt.index || j.at("d").get<int>() != pt.setting.d ||
              j.at("n").get<int>() != pt.setting.n || j.at("m").get<int>() != pt.setting.m ||
              j.at("law").get<std::string>() != pt.setting.law.name() || j.at("p").get<std::string>() != pt.p.text)
            return fmt::format("holds another grid point than point {} (d, n, m, law, p) of the header's grid", k);
          if (upper) {
            const auto text = j.at("W").get<std::vector<std::vector<std::string>>>();
            Matrix<Real50> W50(pt.setting.d, pt.setting.n);
            if (text.size() != static_cast<size_t>(pt.setting.d)) return "holds a W of the wrong shape";
            for (int i = 0; i < pt.setting.d; ++i) {
              if (text[i].size() != static_cast<size_t>(pt.setting.n)) return "holds a W of the wrong shape";
              for (int c = 0; c < pt.setting.n; ++c) W50(i, c) = from_rational<Real50>(parse_rational(text[i][c], "W"));
            }
            row = finish_upper(cfg, pt, W50, j.at("optimum_gain_mpfr50").get<std::string>());
          } else {
            row = check_lower(cfg, pt);
          }
          if (row_json(row) != j) return "does not reproduce its verdict from its W (the row is not this program's)";
        } catch (const nlohmann::json::exception& e) {
          return std::string("is not a check row (a field is missing or of the wrong type: ") + e.what() + ")";
        } catch (const InputError& e) {
          return std::string("holds a value that does not parse (") + e.what() + ")";
        } catch (const std::exception& e) {
          return std::string("could not be rebuilt from its W (") + e.what() + ")";
        }
        deliver(std::move(row));
        ++res.resumed;
        return "";
      };
      const detail::CheckpointText t = detail::read_checkpoint(cfg.out_jsonl, opened.text, "--out", fresh, schema);
      out->truncate(t.keep);  // drop a torn last line
    }
  }

  size_t last = plan.points.size();
  if (cfg.stop_after > 0) last = std::min(last, res.rows.size() + static_cast<size_t>(cfg.stop_after));
  for (size_t k = res.rows.size(); k < last; ++k) {
    const CheckPoint& pt = plan.points[k];
    const int before = static_cast<int>(k) * per_point;
    CheckRow row = upper ? check_upper(cfg, pt, [&](int done) { if (progress) progress(before + done, total); })
                         : check_lower(cfg, pt);
    if (out) out->line(detail::checkpoint_row_line(row_json(row).dump(), key));
    ++res.computed;
    deliver(std::move(row));
  }
  res.complete = res.rows.size() == plan.points.size();
  return res;
}

// ------------------------------------------------------------------------------------------------ rendering
namespace {

// {exact, fraction, interval, decimal}; the fraction only when exact and (unless `full`) at most 200 characters.
ojson json_of(const CertifiedReal& x, bool full = false) {
  ojson j;
  j["exact"] = x.exact.has_value();
  if (x.exact && (full || x.exact->str().size() <= 200)) j["fraction"] = x.exact->str();
  const auto [lo, hi] = interval_to_decimal(x.enclosure, 40);
  j["interval"] = {lo, hi};
  j["decimal"] = decimal(x, 40);
  return j;
}

int count_verdict(const std::vector<CheckRow>& rows, const char* v) {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const CheckRow& r) { return r.verdict == v; }));
}

std::string overall(const CheckConfig& cfg, const std::vector<CheckRow>& rows) {
  if (count_verdict(rows, "refuted")) return "refuted";
  if (count_verdict(rows, "undecided")) return "undecided";
  return cfg.side == BoundSide::upper ? "no counterexample" : "consistent";
}

ojson point_json(const CheckRow& r) {
  return {{"index", r.index}, {"d", r.d}, {"n", r.n}, {"m", r.m}, {"law", r.law}, {"p", r.p}};
}

std::string where(const CheckRow& r) {
  return fmt::format("d = {}, n = {}, m = {}, law = {}, p = {}", r.d, r.n, r.m, r.law, r.p);
}

// The row with the largest gain/bound (midpoints), side upper.
const CheckRow& best_ratio_row(const std::vector<CheckRow>& rows) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (midpoint(rows[i].gain) / midpoint(rows[i].bound) > midpoint(rows[best].gain) / midpoint(rows[best].bound))
      best = i;
  return rows[best];
}

}  // namespace

std::string render_check(const CheckConfig& cfg, const std::vector<CheckRow>& rows, const std::string& format) {
  if (format != "text" && format != "json" && format != "csv")
    throw InputError("--format: unknown format '" + format + "' (accepted: text, csv, json)");
  const bool upper = cfg.side == BoundSide::upper;
  const int refuted = count_verdict(rows, "refuted"), undecided = count_verdict(rows, "undecided");
  if (format == "json") {
    ojson j;
    j["bound"] = cfg.bound;
    j["side"] = upper ? "upper" : "lower";
    j["grid"] = {{"d", cfg.d_values}, {"n", cfg.n_values}, {"m", cfg.m_values}, {"law", cfg.laws}, {"p", cfg.p_spec}};
    if (upper) {
      j["starts"] = cfg.starts;
      j["seed"] = cfg.seed;
    }
    j["rows"] = ojson::array();
    j["refutations"] = ojson::array();
    j["violations"] = ojson::array();
    for (const CheckRow& r : rows) {
      ojson o = point_json(r);
      o["bound"] = json_of(r.bound);
      if (upper) {
        o["gain"] = json_of(r.gain);
        o["gain_over_bound"] = ratio(r.gain, r.bound, 20);
        o["optimum_gain_mpfr50"] = r.optimum_gain;
      } else {
        o["proved_upper"] = {{"name", r.upper_name}, {"value", json_of(r.upper)}};
        o["bound_over_proved_upper"] = ratio(r.bound, r.upper, 20);
        o["construction"] = {{"name", r.construction_name}, {"value", json_of(r.construction)}};
        o["bound_over_construction"] = ratio(r.bound, r.construction, 20);
        o["established_by_construction"] = r.established;
      }
      o["verdict"] = r.verdict;
      o["certified"] = r.basis;
      if (!r.certificate.empty()) o["certificate_file"] = r.certificate;
      j["rows"].push_back(o);
      if (r.verdict == "refuted") {
        ojson f = point_json(r);
        if (upper) {
          f["certificate"] = {{"file", r.certificate}, {"W", r.W->text}, {"gain", json_of(r.gain, true)},
                              {"bound", json_of(r.bound, true)}};
        } else {
          f["bound"] = json_of(r.bound, true);
          f["proved_upper"] = {{"name", r.upper_name}, {"value", json_of(r.upper, true)}};
        }
        f["certified"] = r.basis;
        j["refutations"].push_back(f);
      }
      for (const UpperVerdict& b : r.violations) {
        ojson v = point_json(r);
        v["bound"] = b.bound;
        v["value"] = json_of(b.value);
        v["gain"] = json_of(r.gain);
        v["arithmetic"] = b.arithmetic;
        j["violations"].push_back(v);
      }
    }
    j["verdict"] = overall(cfg, rows);
    j["refuted"] = refuted;
    j["undecided"] = undecided;
    return j.dump(2) + "\n";
  }

  if (format == "csv") {
    std::string out = upper ? "index,d,n,m,law,p,bound,gain,gain_over_bound,verdict,certified,certificate\n"
                            : "index,d,n,m,law,p,bound,proved_upper_name,proved_upper,bound_over_proved_upper,"
                              "construction_name,construction,bound_over_construction,established,verdict,certified\n";
    for (const CheckRow& r : rows) {
      out += fmt::format("{},{},{},{},{},{},{},", r.index, r.d, r.n, r.m, csv_field(r.law), csv_field(r.p),
                         decimal(r.bound, 20));
      if (upper)
        out += fmt::format("{},{},{},{},{}\n", decimal(r.gain, 20), ratio(r.gain, r.bound, 20), r.verdict,
                           csv_field(r.basis), csv_field(r.certificate));
      else
        out += fmt::format("{},{},{},{},{},{},{},{},{}\n", r.upper_name, decimal(r.upper, 20),
                           ratio(r.bound, r.upper, 20), r.construction_name, decimal(r.construction, 20),
                           ratio(r.bound, r.construction, 20), r.established ? 1 : 0, r.verdict, csv_field(r.basis));
    }
    return out;
  }

  std::string out = fmt::format("check: {} bound \"{}\"{}\n", upper ? "upper" : "lower", cfg.bound,
                                upper ? fmt::format("; {} starts per p, seed {}", cfg.starts, cfg.seed) : "");
  if (upper) {
    out += fmt::format("  {:>2} {:>4} {:>2} {:<10} {:<12} {:<18} {:<18} {:<14} {:<10}  {}\n", "d", "n", "m", "law",
                       "p", "bound", "gain of best W", "gain/bound", "verdict", "certified by");
    for (const CheckRow& r : rows)
      out += fmt::format("  {:>2} {:>4} {:>2} {:<10} {:<12} {:<18} {:<18} {:<14} {:<10}  {}\n", r.d, r.n, r.m, r.law,
                         r.p, decimal(r.bound, 12), decimal(r.gain, 12), ratio(r.gain, r.bound, 10), r.verdict,
                         r.basis);
  } else {
    out += fmt::format("  {:>2} {:>4} {:>2} {:<10} {:<12} {:<18} {:<34} {:<12} {:<34} {:<12} {}\n", "d", "n", "m",
                       "law", "p", "bound", "smallest proved upper bound", "bound/upper", "best construction",
                       "bound/constr", "verdict");
    for (const CheckRow& r : rows)
      out += fmt::format("  {:>2} {:>4} {:>2} {:<10} {:<12} {:<18} {:<34} {:<12} {:<34} {:<12} {}{}\n", r.d, r.n, r.m,
                         r.law, r.p, decimal(r.bound, 12), decimal(r.upper, 12) + " " + r.upper_name,
                         ratio(r.bound, r.upper, 8), decimal(r.construction, 12) + " " + r.construction_name,
                         ratio(r.bound, r.construction, 8), r.verdict,
                         r.established ? " (holds: below a construction)" : "");
  }
  for (const CheckRow& r : rows) {
    if (r.verdict == "refuted" && upper)
      out += fmt::format("REFUTED at {}: the W in {} has gain {} > bound {} (certified: {})\n", where(r),
                         r.certificate, decimal(r.gain, 20), decimal(r.bound, 20), r.basis);
    else if (r.verdict == "refuted")
      out += fmt::format("REFUTED at {}: the bound {} exceeds the proved upper bound {} = {} (certified: {})\n",
                         where(r), decimal(r.bound, 20), r.upper_name, decimal(r.upper, 20), r.basis);
    else if (r.verdict == "undecided")
      out += fmt::format("undecided at {}: the enclosures of the bound and of the {} overlap\n", where(r),
                         upper ? "gain" : "proved upper bound " + r.upper_name);
  }
  const std::size_t n = rows.size();
  const std::string extra = undecided ? fmt::format(" ({} undecided)", undecided) : "";
  if (refuted) {
    out += fmt::format("verdict: REFUTED at {} of {} points (exit code 1)\n", refuted, n);
  } else if (n == 0) {
    out += "verdict: no point checked yet\n";
  } else if (upper) {
    const CheckRow& b = best_ratio_row(rows);
    out += fmt::format("verdict: no counterexample in {} starts at {} points{}; best gain/bound {} at {}\n",
                       cfg.starts, n, extra, ratio(b.gain, b.bound, 10), where(b));
  } else {
    out += fmt::format("verdict: consistent with every proved upper bound at {} points{}\n", n, extra);
  }
  return out;
}

}  // namespace superpose
