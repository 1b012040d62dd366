// `superpose bounds`: every known bound on sup_W L̃ at a grid of p (theory bounds + verify constructions).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "verify/verify.hpp"

#include <iostream>
#include <memory>

namespace superpose::cli {

namespace {

struct BoundsOptions {
  int d = 10, n = 6000, m = 3, digits = 16;
  std::string law = "gaussian", p = "1e-6:1:25", format = "md", out;
  std::uint64_t seed = 1;
  bool no_constructions = false;

  /// Every flag before any work or file: format, sizes, power and law (Setting), digits, the p grid, --out, and the
  /// memory of the constructions (constructions_memory_bytes).
  void validate() const {
    check_format(format, {"md", "csv", "json", "tex"});
    const Setting s(d, n, m, Law::parse(law));
    check_digits(digits);
    (void)parse_p_grid(p, "--p");
    if (!out.empty()) check_output_path(out, "--out");
    if (!no_constructions)
      check_size_memory(constructions_memory_bytes(s, digits), d, n,
                        "the constructions at d = " + std::to_string(d) + ", n = " + std::to_string(n),
                        "lower n, or pass --no-constructions");
  }
};

void run_bounds(const BoundsOptions& o) {
  o.validate();
  Setting s(o.d, o.n, o.m, Law::parse(o.law));
  std::string text = with_precision(o.digits, false, [&]<class T>() {
    std::vector<T> ps;
    for (const GridP& gp : parse_p_grid(o.p, "--p")) ps.push_back(from_rational<T>(gp.value));
    ProgressBar bar("bounds: constructions", "M multiply-adds");
    auto progress = [&bar](long long done, long long total) {
      if (total >= 1000) bar.update(done, total);  // only runs of a second or more
    };
    return render_table(bound_table<T>(s, ps, !o.no_constructions, o.seed, progress), s, o.format, o.digits);
  });
  if (o.out.empty()) std::cout << text;
  else write_file_atomic(o.out, text);
}

}  // namespace

void register_bounds(CLI::App& app) {
  auto o = std::make_shared<BoundsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bounds",
      "Every known upper and lower bound on the optimal gain sup_W L~(W) at each p, with its status\n"
      "(proved-in-paper, proved-here, conjecture, unreviewed-claim, construction, order, refuted) and\n"
      "source. A refuted bound carries an exact counterexample (rational W, its p, exact gain), printed below the\n"
      "table and in JSON under \"certificate\". gaussian adds gaussian_stein_upper = c_mu*E[min(d, N)], N ~ Bin(n, p).\n"
      "Constructions are explicit W evaluated exactly at their best scale (in double when d*n^2 > 2e7).\n"
      "Example: superpose bounds --d 10 --n 6000 --m 3 --law gaussian --p 1e-6:1:25 --digits 50 --format csv");
  cmd->add_option("--d", o->d, "hidden width d >= 1")->capture_default_str();
  cmd->add_option("--n", o->n, "number of features n >= 1")->capture_default_str();
  cmd->add_option("--m", o->m, "activation power: odd integer 1..7")->capture_default_str();
  cmd->add_option("--law", o->law, kLawHelp)
      ->capture_default_str();
  cmd->add_option("--p", o->p, "a value, a comma list, or start:stop:count (log-spaced), all in (0,1]")
      ->capture_default_str();
  cmd->add_option("--digits", o->digits, "16 (double), 50 or 100 (MPFR)")->capture_default_str();
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the random tight frames")->capture_default_str();
  cmd->add_flag("--no-constructions", o->no_constructions, "closed-form bounds only");
  cmd->add_option("--out", o->out, "write to this file (atomically) instead of standard output");
  check_values_as_typed(cmd);
  cmd->callback([o]() { run_bounds(*o); });
}

}  // namespace superpose::cli
