// `superpose loss`: the exact gain, loss and gradient of one W (theory::evaluate), each number printed with the
// digits the engine vouches for; --certify adds an enclosure (theory::enclose_gain in MPFI, or
// theory::enclose_gain_fast in double intervals).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "theory/theory.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

namespace superpose::cli {

namespace {

struct LossOptions {
  std::string weights, law = "gaussian", p, grad_path, format = "text", layout = "dn";
  int m = 3, digits = 16;
  bool exact = false, poly = false;
  std::optional<std::string> certify;  // set when --certify is given: "auto" (also when given bare), mpfi, fast

  /// Every flag before W is read or a file is written: m, format, layout, digits, law, p, the --grad path.
  void validate() const {
    check_power(m);
    check_format(format, {"json", "text"});
    if (layout != "dn" && layout != "nd")
      throw InputError("--layout: unknown layout '" + layout + "' (accepted: dn = d rows of n, nd = n rows of d, PyTorch's)");
    if (!exact) check_digits(digits);
    (void)Law::parse(law);
    check_probability(parse_rational(p, "--p"));
    if (!grad_path.empty()) check_output_path(grad_path, "--grad");
    if (certify && *certify != "auto" && *certify != "mpfi" && *certify != "fast")
      throw InputError("--certify: unknown arithmetic '" + *certify + "' (accepted: auto, mpfi, fast)");
  }
};

/// MPFI's enclosure takes about a second at d·n²·m = 2·10^6 (d = 15, n = 200, m = 3; docs/performance.md): above
/// that, and when no more than double's digits were asked for, `--certify` (auto) uses double intervals.
constexpr double kMpfiCertifyBudget = 2e6;

/// True when --certify should use double intervals: asked for (fast), or auto with 16 digits asked and a W above
/// kMpfiCertifyBudget.
bool certify_fast(const LossOptions& o, int d, int n) {
  if (*o.certify != "auto") return *o.certify == "fast";
  return !o.exact && o.digits == 16 && static_cast<double>(d) * n * n * o.m > kMpfiCertifyBudget;
}

int digits_for(double rel_err, int cap) {
  if (!(rel_err > 0)) return cap;
  return static_cast<int>(std::max(1.0, std::min<double>(cap, std::floor(-std::log10(rel_err)))));
}

void run_loss(const LossOptions& o) {
  o.validate();  // everything before any work
  const Law law = Law::parse(o.law);
  const Rational p_exact = parse_rational(o.p, "--p");
  Matrix<Rational> Wq = read_matrix(o.weights);
  if (o.layout == "nd") Wq = Matrix<Rational>(Wq.transpose());
  const int d = static_cast<int>(Wq.rows()), n = static_cast<int>(Wq.cols());
  // The engine's memory at the first rung of the ladder (the file itself may be small: 1 x 100000 needs n^2 staging).
  check_size_memory(evaluation_memory_bytes(d, n, o.m, o.exact ? 0 : o.digits, !o.grad_path.empty()), d, n,
                    "evaluating W at d = " + std::to_string(d) + ", n = " + std::to_string(n) + " in " +
                        precision_name(o.exact ? 0 : o.digits),
                    "use a smaller W (or --digits 16)", "--weights");
  if (d > n)
    std::cerr << "superpose: warning: W has d = " << d << " rows and n = " << n
              << " columns (more hidden dimensions than features); if the file holds n rows of d (PyTorch's layout), "
                 "pass --layout nd\n";

  nlohmann::json j;
  j["d"] = d;
  j["n"] = n;
  j["m"] = o.m;
  j["law"] = law.name();
  std::string grad_csv;
  // Evaluate, redone in the next wider type while double's range is left or too few digits of the gain survive.
  const LadderEvaluation lad =
      evaluate_with_ladder(Wq, o.m, law, p_exact, !o.grad_path.empty(), o.exact ? 0 : o.digits);
  const int digits = lad.digits;
  std::visit(
      [&]<class T>(const Evaluation<T>& ev) {
        const T p = from_rational<T>(p_exact);
        const int cap = digits_of<T>();
        int dg = 0, dcd = 0, dloss = 0;
        if constexpr (!is_exact_v<T>) {
          dg = ev.gain_digits();
          dcd = digits_for(ev.rel_error, cap);
          dloss = ev.loss_digits();
        }
        // Exact values: as fractions when --exact was asked for, else as 50-digit decimals of the exact value.
        auto num = [&](const T& x, int k) {
          if constexpr (is_exact_v<T>) return o.exact ? to_decimal(x, 0) : rational_to_decimal(x, 50);
          else return to_decimal(x, k);
        };
        const int full = is_exact_v<T> ? 0 : cap;
        j["p"] = num(p, full);
        j["gain"] = num(ev.gain, dg);
        j["loss"] = num(ev.loss, dloss);
        j["zero_loss"] = num(ev.zero_loss, full > 0 ? full - 1 : 0);
        j["gain_over_p"] = num(T(ev.gain / p), dg);
        j["C"] = num(ev.C, dcd);
        j["D"] = num(ev.D, dcd);
        j["computed_in"] = precision_name(digits);
        j["digits"] = is_exact_v<T> ? nlohmann::json("exact") : nlohmann::json(cap);
        j["correct_digits"] = {{"gain", is_exact_v<T> ? nlohmann::json("exact") : nlohmann::json(dg)},
                               {"C_D", is_exact_v<T> ? nlohmann::json("exact") : nlohmann::json(dcd)},
                               {"loss", is_exact_v<T> ? nlohmann::json("exact") : nlohmann::json(dloss)}};
        j["estimated_relative_error_C_D"] = ev.rel_error;
        j["convolution_rows"] = ev.convolution_rows;
        if (!o.grad_path.empty()) grad_csv = matrix_file_content(o.grad_path, ev.grad, full > 0 ? dcd : 0);
      },
      lad.ev);
  if (!lad.note.empty()) {
    j["precision_note"] = lad.note;
    std::cerr << "superpose: note: " << lad.note << "\n";
  }
  if (o.certify) {
    const bool fast = certify_fast(o, d, n);
    const GainEnclosure e = fast ? enclose_gain_fast(Wq, o.m, law, p_exact) : enclose_gain(Wq, o.m, law, p_exact);
    // Endpoints with the digits the interval holds (40 for MPFI, 17 for double intervals: every double endpoint is
    // then written to within one unit of its 17th digit, outward).
    auto iv = [&](const Interval& x) {
      auto [lo, hi] = interval_to_decimal(x, fast ? 17 : 40);
      return nlohmann::json::array({lo, hi});
    };
    j["certified_in"] = fast ? "double intervals" : "MPFI";
    j["gain_interval"] = iv(e.gain);
    j["loss_interval"] = iv(e.loss);
    j["C_interval"] = iv(e.C);
    j["D_interval"] = iv(e.D);
    j["gain_interval_digits"] = interval_digits(e.gain);
  }
  if (o.poly) {
    nlohmann::json coeffs = nlohmann::json::array();
    for (const Rational& c : gain_polynomial(Wq, o.m, law)) coeffs.push_back(c.str());
    j["poly"] = coeffs;
  }
  if (!o.grad_path.empty()) write_file_atomic(o.grad_path, grad_csv);

  if (o.format == "json") {
    std::cout << j.dump(2) << "\n";
    return;
  }
  const std::string prec =
      digits == 0 ? "exact rationals"
                  : "computed in " + precision_name(digits) + "; " + std::to_string(j["correct_digits"]["gain"].get<int>()) +
                        " correct digits of the gain (engine's estimate)";
  auto s = [&](const char* k) { return j[k].get<std::string>(); };
  std::cout << "tied power autoencoder: d = " << d << ", n = " << n << ", m = " << o.m << ", law = " << law.name()
            << ", p = " << s("p") << " (" << prec << ")\n"
            << "  gain L~ = 2C - D   " << s("gain") << "\n"
            << "  loss               " << s("loss") << "\n"
            << "  zero_loss p*n*mu2  " << s("zero_loss") << "\n"
            << "  gain/p             " << s("gain_over_p") << "\n"
            << "  C = E<x,phi(Ax)>   " << s("C") << "\n"
            << "  D = E|phi(Ax)|^2   " << s("D") << "\n";
  if (o.certify)
    std::cout << "  certified: the exact gain lies in [" << j["gain_interval"][0].get<std::string>() << ", "
              << j["gain_interval"][1].get<std::string>() << "] (" << j["gain_interval_digits"].get<int>()
              << " digits; " << (j["certified_in"] == "MPFI" ? "MPFI" : "double-interval")
              << " arithmetic, outward rounding)\n";
  if (o.poly) {
    std::cout << "  gain as a polynomial in p (exact):";
    int k = 0;
    for (const auto& c : j["poly"]) {
      ++k;
      std::cout << (k > 1 ? " + " : " ") << "(" << c.get<std::string>() << ")*p^" << k;
    }
    std::cout << "\n";
  }
  if (!o.grad_path.empty()) std::cout << "  gradient dgain/dW (" << d << "x" << n << ") written to " << o.grad_path << "\n";
}

}  // namespace

void register_loss(CLI::App& app) {
  auto o = std::make_shared<LossOptions>();
  CLI::App* cmd = app.add_subcommand(
      "loss",
      "Exact gain L~(W) = 2E<x,phi(Ax)> - E|phi(Ax)|^2, loss = p*n*mu2 - L~ and gradient of one W.\n"
      "Computed in closed form (no Monte Carlo), cost O(n^2(d+m)); see docs/theory.md §2. Every number is printed\n"
      "with the digits the engine's error estimate vouches for; when a type keeps too few digits of the gain, or\n"
      "W or the law leaves double's range, the evaluation is redone in the next wider type (MPFR-50, MPFR-100,\n"
      "exact) and a note says so. --certify adds an interval that provably contains the exact gain.\n"
      "Example: superpose loss --weights W.csv --m 3 --law gaussian --p 0.001 --digits 50 --certify");
  cmd->add_option("--weights", o->weights, "weights: a CSV file with d lines of n numbers (decimals or fractions such as 3/7), or a .npy file (numpy.save, float64)")
      ->required();
  cmd->add_option("--layout", o->layout, "layout of the file: dn (d rows of n columns) or nd (n rows of d, PyTorch's)")
      ->capture_default_str();
  cmd->add_option("--m", o->m, "activation power: odd integer 1.." + std::to_string(kMaxPower) + " (phi(t) = t^m)")
      ->capture_default_str();
  cmd->add_option("--law", o->law,
                  "law mu of the nonzero inputs: rademacher, gaussian, uniform (on [-1,1]), laplace (unit scale), "
                  "discrete:v1:w1,v2:w2,... (symmetrised)")
      ->capture_default_str();
  cmd->add_option("--p", o->p, "feature probability in (0,1]: a decimal or a fraction")->required();
  cmd->add_option("--digits", o->digits, "working precision: 16 (double), 50 or 100 (MPFR)")->capture_default_str();
  cmd->add_flag("--exact", o->exact, "exact rational arithmetic (W and p are read exactly); prints num/den");
  cmd->add_option_function<std::string>(
         "--certify", [o](const std::string& v) { o->certify = v.empty() || v == "true" ? "auto" : v; },
         "also print an enclosure [lo, hi] of the exact gain, in interval arithmetic with outward rounding: mpfi "
         "(60-digit MPFI, about a second at d = 15, n = 200), fast (double intervals, about 12 digits, for large n), "
         "or auto (the default when given bare: fast when d*n^2*m > 2e6 and --digits is 16, else mpfi)")
      ->expected(0, 1);
  cmd->add_flag("--poly", o->poly, "also print the gain as an exact polynomial in p (coefficients of p^1..p^m)");
  cmd->add_option("--grad", o->grad_path, "write dgain/dW (d x n) to this file: CSV with the digits of C and D, or float64 .npy if it ends in .npy");
  cmd->add_option("--format", o->format, "output: text or json")->capture_default_str();
  check_values_as_typed(cmd);
  cmd->callback([o]() { run_loss(*o); });
}

}  // namespace superpose::cli
