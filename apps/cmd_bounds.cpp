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
};

void run_bounds(const BoundsOptions& o) {
  check_format(o.format, {"md", "csv", "json", "tex"});
  Setting s(o.d, o.n, o.m, Law::parse(o.law));
  if (!o.out.empty()) check_output_path(o.out, "--out");
  std::string text = with_precision(o.digits, false, [&]<class T>() {
    std::vector<T> ps;
    for (const GridP& gp : parse_p_grid(o.p, "--p")) ps.push_back(from_rational<T>(gp.value));
    return render_table(bound_table<T>(s, ps, !o.no_constructions, o.seed), s, o.format, o.digits);
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
      "(proved-in-paper, proved-here, conjecture, unreviewed-claim, construction, order) and source.\n"
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
  cmd->callback([o]() { run_bounds(*o); });
}

}  // namespace superpose::cli
