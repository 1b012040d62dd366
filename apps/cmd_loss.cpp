// `superpose loss`: the exact gain, loss and gradient of one W (theory::evaluate).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "theory/theory.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace superpose::cli {

namespace {

struct LossOptions {
  std::string weights, law = "gaussian", p, grad_path, format = "text";
  int m = 3, digits = 16;
  bool exact = false, poly = false;
};

void run_loss(const LossOptions& o) {
  check_power(o.m);
  check_format(o.format, {"json", "text"});
  const Law law = Law::parse(o.law);
  const Rational p_exact = parse_rational(o.p, "--p");
  check_probability(p_exact);
  if (!o.grad_path.empty()) check_output_path(o.grad_path, "--grad");
  const Matrix<Rational> Wq = read_matrix_csv(o.weights);
  const int d = static_cast<int>(Wq.rows()), n = static_cast<int>(Wq.cols());
  const int digits = o.exact ? 0 : o.digits;

  nlohmann::json j;
  j["d"] = d;
  j["n"] = n;
  j["m"] = o.m;
  j["law"] = law.name();
  j["digits"] = o.exact ? nlohmann::json("exact") : nlohmann::json(o.digits);
  std::string grad_csv;
  with_precision(o.digits, o.exact, [&]<class T>() {
    Matrix<T> W(d, n);
    for (int c = 0; c < n; ++c)
      for (int r = 0; r < d; ++r) W(r, c) = from_rational<T>(Wq(r, c));
    const T p = from_rational<T>(p_exact);
    Evaluation<T> ev = evaluate(W, o.m, law, p, !o.grad_path.empty());
    auto num = [&](const T& x) { return to_decimal(x, digits); };
    j["p"] = num(p);
    j["gain"] = num(ev.gain);
    j["loss"] = num(ev.loss);
    j["zero_loss"] = num(ev.zero_loss);
    j["gain_over_p"] = num(T(ev.gain / p));
    j["C"] = num(ev.C);
    j["D"] = num(ev.D);
    if (!o.grad_path.empty()) grad_csv = matrix_to_csv(ev.grad, digits);
    return 0;
  });
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
  const std::string prec = o.exact ? "exact rationals" : std::to_string(o.digits) + " significant digits";
  std::cout << "tied power autoencoder: d = " << d << ", n = " << n << ", m = " << o.m << ", law = " << law.name()
            << ", p = " << j["p"].get<std::string>() << " (" << prec << ")\n"
            << "  gain L~ = 2C - D   " << j["gain"].get<std::string>() << "\n"
            << "  loss               " << j["loss"].get<std::string>() << "\n"
            << "  zero_loss p*n*mu2  " << j["zero_loss"].get<std::string>() << "\n"
            << "  gain/p             " << j["gain_over_p"].get<std::string>() << "\n"
            << "  C = E<x,phi(Ax)>   " << j["C"].get<std::string>() << "\n"
            << "  D = E|phi(Ax)|^2   " << j["D"].get<std::string>() << "\n";
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
      "Computed in closed form (no Monte Carlo) by the cumulant route, cost O(n^2(d+m)); see docs/theory.md §2.\n"
      "Example: superpose loss --weights W.csv --m 3 --law gaussian --p 0.001 --digits 50");
  cmd->add_option("--weights", o->weights, "CSV file with d lines of n numbers (decimals or fractions such as 3/7)")
      ->required();
  cmd->add_option("--m", o->m, "activation power: odd integer 1..7 (phi(t) = t^m)")->capture_default_str();
  cmd->add_option("--law", o->law,
                  "law mu of the nonzero inputs: rademacher, gaussian, uniform (on [-1,1]), laplace (unit scale), "
                  "discrete:v1:w1,v2:w2,... (symmetrised)")
      ->capture_default_str();
  cmd->add_option("--p", o->p, "feature probability in (0,1]: a decimal or a fraction")->required();
  cmd->add_option("--digits", o->digits, "significant digits: 16 (double), 50 or 100 (MPFR)")->capture_default_str();
  cmd->add_flag("--exact", o->exact, "exact rational arithmetic (W and p are read exactly); prints num/den");
  cmd->add_flag("--poly", o->poly, "also print the gain as an exact polynomial in p (coefficients of p^1..p^m)");
  cmd->add_option("--grad", o->grad_path, "write dgain/dW (d x n CSV, at the working precision) to this file");
  cmd->add_option("--format", o->format, "output: text or json")->capture_default_str();
  cmd->callback([o]() { run_loss(*o); });
}

}  // namespace superpose::cli
