// superpose check: a bound of the user's, checked with certified verdicts (verify/verify.hpp, section "check";
// issue 8, item 5). The expression is parsed by GiNaC and evaluated by walking its tree in exact rationals, or in
// MPFI intervals where a step leaves the rationals; gains come from the one engine (exact) or enclose_gain.
#include "verify/verify.hpp"

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

CheckRow check_upper(const CheckConfig& cfg, const CheckPlan& plan, std::size_t i,
                     const std::function<void(int, int)>& progress) {
  const Setting& s = plan.setting;
  CheckRow row;
  row.p = plan.ps[i].text;
  row.bound = plan.values[i];
  OptimizeOptions opt;
  opt.starts = cfg.starts;
  opt.seed = cfg.seed;
  opt.max_evals = cfg.max_evals;
  if (progress)
    opt.progress = [&](int done, int, double) {
      progress(static_cast<int>(i) * cfg.starts + done, static_cast<int>(plan.ps.size()) * cfg.starts);
    };
  const OptimizeResult r = optimize_weights(s, plan.ps[i].value, opt);
  row.optimum_gain = to_decimal(r.gain, 20);
  UpperVerdicts uv = certify_upper_verdicts(s, plan.ps[i].value, r.W50);
  for (const UpperVerdict* b : uv.violations()) row.violations.push_back(*b);
  row.W = std::move(uv.W);
  row.gain = uv.gain;
  row.basis = basis_of(row.gain, row.bound);
  const CertifiedOrder order = certified_compare(row.gain, row.bound);
  row.verdict = order == CertifiedOrder::greater     ? "refuted"
                : order == CertifiedOrder::undecided ? "undecided"
                                                     : "not-beaten";
  if (row.verdict == "refuted") {
    row.certificate = plan.cert_paths[i];
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

CheckRow check_lower(const CheckConfig& cfg, const CheckPlan& plan, std::size_t i) {
  const Setting& s = plan.setting;
  const Rational& p = plan.ps[i].value;
  CheckRow row;
  row.p = plan.ps[i].text;
  row.bound = plan.values[i];
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

}  // namespace

CheckPlan check_inputs(const CheckConfig& cfg) {
  if (cfg.side != BoundSide::upper && cfg.side != BoundSide::lower)
    throw InputError("--side: must be upper or lower");
  if (cfg.starts < 1) throw InputError("--starts: must be >= 1");
  if (cfg.max_evals < 1) throw InputError("--max-evals: must be >= 1");
  CheckPlan plan{BoundExpression::parse(cfg.bound), Setting(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law)),
                 parse_p_grid(cfg.p_spec, "--p"), {}, {}};
  for (const GridP& p : plan.ps) plan.values.push_back(plan.expr.at(plan.setting, p.value));
  if (cfg.side == BoundSide::upper) {
    if (!std::filesystem::is_directory(cfg.cert_dir))
      throw InputError("--cert-dir: '" + cfg.cert_dir + "' is not an existing folder");
    for (const GridP& p : plan.ps) {
      plan.cert_paths.push_back((std::filesystem::path(cfg.cert_dir) /
                                 ("check_d" + std::to_string(cfg.d) + "_n" + std::to_string(cfg.n) + "_m" +
                                  std::to_string(cfg.m) + "_" + file_safe(plan.setting.law.name()) + "_p" +
                                  file_safe(p.text) + ".csv"))
                                    .string());
      check_output_path(plan.cert_paths.back(), "--cert-dir");
    }
  }
  return plan;
}

std::vector<CheckRow> run_check(const CheckConfig& cfg, const std::function<void(const CheckRow&)>& on_row,
                                const std::function<void(int, int)>& progress) {
  const CheckPlan plan = check_inputs(cfg);
  std::vector<CheckRow> rows;
  for (std::size_t i = 0; i < plan.ps.size(); ++i) {
    rows.push_back(cfg.side == BoundSide::upper ? check_upper(cfg, plan, i, progress) : check_lower(cfg, plan, i));
    if (cfg.side == BoundSide::lower && progress) progress(static_cast<int>(i + 1), static_cast<int>(plan.ps.size()));
    if (on_row) on_row(rows.back());
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------ rendering
namespace {

// {exact, fraction, interval, decimal}; the fraction only when exact and (unless `full`) at most 200 characters.
nlohmann::ordered_json json_of(const CertifiedReal& x, bool full = false) {
  nlohmann::ordered_json j;
  j["exact"] = x.exact.has_value();
  if (x.exact && (full || x.exact->str().size() <= 200)) j["fraction"] = x.exact->str();
  const auto [lo, hi] = interval_to_decimal(x.enclosure, 40);
  j["interval"] = {lo, hi};
  j["decimal"] = decimal(x, 40);
  return j;
}

std::string overall(const CheckConfig& cfg, const std::vector<CheckRow>& rows) {
  const auto count = [&](const char* v) { return std::count_if(rows.begin(), rows.end(), [&](const CheckRow& r) { return r.verdict == v; }); };
  if (count("refuted")) return "refuted";
  if (count("undecided")) return "undecided";
  return cfg.side == BoundSide::upper ? "no counterexample" : "consistent";
}

}  // namespace

std::string render_check(const CheckConfig& cfg, const std::vector<CheckRow>& rows, const std::string& format) {
  if (format != "text" && format != "json")
    throw InputError("--format: unknown format '" + format + "' (accepted: text, json)");
  const bool upper = cfg.side == BoundSide::upper;
  const int refuted = static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const CheckRow& r) { return r.verdict == "refuted"; }));
  const int undecided = static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const CheckRow& r) { return r.verdict == "undecided"; }));
  if (format == "json") {
    nlohmann::ordered_json j;
    j["bound"] = cfg.bound;
    j["side"] = upper ? "upper" : "lower";
    j["d"] = cfg.d;
    j["n"] = cfg.n;
    j["m"] = cfg.m;
    j["law"] = Law::parse(cfg.law).name();
    if (upper) {
      j["starts"] = cfg.starts;
      j["seed"] = cfg.seed;
    }
    j["rows"] = nlohmann::ordered_json::array();
    for (const CheckRow& r : rows) {
      nlohmann::ordered_json o;
      o["p"] = r.p;
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
      if (!r.certificate.empty()) {
        nlohmann::ordered_json c;
        c["file"] = r.certificate;
        c["p"] = r.p;
        c["W"] = r.W->text;
        c["gain"] = json_of(r.gain, true);
        c["bound"] = json_of(r.bound, true);
        o["certificate"] = c;
      }
      j["rows"].push_back(o);
    }
    j["verdict"] = overall(cfg, rows);
    j["violations"] = nlohmann::ordered_json::array();
    for (const CheckRow& r : rows)
      for (const UpperVerdict& b : r.violations)
        j["violations"].push_back({{"p", r.p}, {"bound", b.bound}, {"value", json_of(b.value)},
                                   {"gain", json_of(r.gain)}, {"arithmetic", b.arithmetic}});
    j["refuted"] = refuted;
    j["undecided"] = undecided;
    return j.dump(2) + "\n";
  }

  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  std::string out = fmt::format("check: {} bound \"{}\" at d = {}, n = {}, m = {}, law = {}{}\n", upper ? "upper" : "lower",
                                cfg.bound, cfg.d, cfg.n, cfg.m, s.law.name(),
                                upper ? fmt::format("; {} starts per p, seed {}", cfg.starts, cfg.seed) : "");
  if (upper) {
    out += fmt::format("  {:<14} {:<18} {:<18} {:<14} {:<10}  {}\n", "p", "bound", "gain of best W", "gain/bound",
                       "verdict", "certified by");
    for (const CheckRow& r : rows)
      out += fmt::format("  {:<14} {:<18} {:<18} {:<14} {:<10}  {}\n", r.p, decimal(r.bound, 12), decimal(r.gain, 12),
                         ratio(r.gain, r.bound, 10), r.verdict, r.basis);
  } else {
    out += fmt::format("  {:<14} {:<18} {:<34} {:<12} {:<34} {:<12} {}\n", "p", "bound", "smallest proved upper bound",
                       "bound/upper", "best construction", "bound/constr", "verdict");
    for (const CheckRow& r : rows)
      out += fmt::format("  {:<14} {:<18} {:<34} {:<12} {:<34} {:<12} {}{}\n", r.p, decimal(r.bound, 12),
                         decimal(r.upper, 12) + " " + r.upper_name, ratio(r.bound, r.upper, 8),
                         decimal(r.construction, 12) + " " + r.construction_name, ratio(r.bound, r.construction, 8),
                         r.verdict, r.established ? " (holds: below a construction)" : "");
  }
  for (const CheckRow& r : rows) {
    if (r.verdict == "refuted" && upper)
      out += fmt::format("REFUTED at p = {}: the W in {} has gain {} > bound {} (certified: {})\n", r.p, r.certificate,
                         decimal(r.gain, 20), decimal(r.bound, 20), r.basis);
    else if (r.verdict == "refuted")
      out += fmt::format("REFUTED at p = {}: the bound {} exceeds the proved upper bound {} = {} (certified: {})\n",
                         r.p, decimal(r.bound, 20), r.upper_name, decimal(r.upper, 20), r.basis);
    else if (r.verdict == "undecided")
      out += fmt::format("undecided at p = {}: the enclosures of the bound and of the {} overlap\n", r.p,
                         upper ? "gain" : "proved upper bound " + r.upper_name);
  }
  const std::size_t n = rows.size();
  if (upper) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
      if (midpoint(rows[i].gain) / midpoint(rows[i].bound) > midpoint(rows[best].gain) / midpoint(rows[best].bound)) best = i;
    if (refuted)
      out += fmt::format("verdict: REFUTED at {} of {} values of p (exit code 1)\n", refuted, n);
    else
      out += fmt::format("verdict: no counterexample in {} starts at {} values of p{}; best gain/bound {} at p = {}\n",
                         cfg.starts, n, undecided ? fmt::format(" ({} undecided)", undecided) : "",
                         ratio(rows[best].gain, rows[best].bound, 10), rows[best].p);
  } else {
    out += refuted ? fmt::format("verdict: REFUTED at {} of {} values of p (exit code 1)\n", refuted, n)
                   : fmt::format("verdict: consistent with every proved upper bound at {} values of p{}\n", n,
                                 undecided ? fmt::format(" ({} undecided)", undecided) : "");
  }
  return out;
}

}  // namespace superpose
