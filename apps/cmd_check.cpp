// `superpose check`: a bound of the user's, checked with certified verdicts (library: verify/check.cpp).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "verify/verify.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>

namespace superpose::cli {

namespace {

struct CheckCli {
  CheckConfig cfg;
  std::string side = "upper", format = "text";
  bool quiet = false;
};

int run_check_cli(CheckCli& c) {
  check_format(c.format, {"text", "json"});
  if (c.side != "upper" && c.side != "lower")
    throw InputError("--side: unknown side '" + c.side + "' (accepted: upper, lower)");
  c.cfg.side = c.side == "upper" ? BoundSide::upper : BoundSide::lower;
  (void)check_inputs(c.cfg);  // everything validated before any work or output
  ProgressBar bar("check", c.cfg.side == BoundSide::upper ? "starts" : "p values", c.quiet);
  const std::vector<CheckRow> rows = run_check(c.cfg, {}, [&bar](int done, int total) { bar.update(done, total); });
  bar.clear();
  std::cout << render_check(c.cfg, rows, c.format);
  const Setting s(c.cfg.d, c.cfg.n, c.cfg.m, Law::parse(c.cfg.law));
  int code = 0;
  for (const CheckRow& r : rows) {
    for (const UpperVerdict& b : r.violations) std::cerr << violation_line("check", s, r.p, r.gain, b) << "\n";
    if (r.verdict == "refuted" || !r.violations.empty()) code = 1;
  }
  return code;
}

}  // namespace

void register_check(CLI::App& app) {
  auto c = std::make_shared<CheckCli>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Checks a bound of your own on the optimal gain sup_W L~(W), at every p of a grid, with certified verdicts.\n"
      "--bound is an expression in p, n, d, m, c_mu, fstar (F*(d,m)), mu(k), binomial(a,b), min, max, sqrt, exp,\n"
      "log, ^ (decimals are read exactly). It is evaluated exactly where it is rational, else in interval\n"
      "arithmetic (MPFI). Upper: searches W to beat it (optimize: structured + random starts, MPFR-50 polish),\n"
      "rounds the best W to 20-digit decimals and compares its exact gain (or enclosure) with the bound: REFUTED\n"
      "(certificate W written to --cert-dir, exit code 1), undecided (enclosures overlap), or no counterexample.\n"
      "The best W is also certified against every proved upper bound: a VIOLATION line on stderr, exit code 1.\n"
      "Lower: compares it with every proved upper bound (refuted if above one) and the best certified construction.\n"
      "Example: superpose check --bound \"0.5*c_mu*fstar*p\" --side upper --d 2 --n 4 --m 3 --p 1e-3");
  cmd->add_option("--bound", c->cfg.bound, "the bound: an expression (quote it), e.g. \"p*mu(2)*min(n, binomial(d+m-1,m))\"")
      ->required();
  cmd->add_option("--side", c->side, "upper (search for a W that beats it) or lower (compare with the proved upper bounds)")
      ->capture_default_str();
  cmd->add_option("--d", c->cfg.d, "hidden width")->capture_default_str();
  cmd->add_option("--n", c->cfg.n, "number of features")->capture_default_str();
  cmd->add_option("--m", c->cfg.m, "activation power: odd 1.." + std::to_string(kMaxPower))->capture_default_str();
  cmd->add_option("--law", c->cfg.law, kLawHelp)->capture_default_str();
  cmd->add_option("--p", c->cfg.p_spec, "feature probabilities: v, v1,v2,... or lo:hi:count (log-spaced)")
      ->capture_default_str();
  cmd->add_option("--starts", c->cfg.starts, "upper: optimize starts per p (structured starts first)")->capture_default_str();
  cmd->add_option("--seed", c->cfg.seed, "seed of the random starts and tight frames")->capture_default_str();
  cmd->add_option("--max-evals", c->cfg.max_evals, "upper: NLopt evaluations per start")->capture_default_str();
  cmd->add_option("--cert-dir", c->cfg.cert_dir, "upper: existing folder for the certificates of refutations")
      ->capture_default_str();
  cmd->add_option("--format", c->format, "text or json")->capture_default_str();
  cmd->add_flag("--quiet", c->quiet, "no progress bar");
  cmd->callback([c]() {
    // Exit code 1 when the bound is refuted (2 stays reserved for bad input).
    if (run_check_cli(*c) != 0) {
      std::cout.flush();
      std::exit(1);
    }
  });
}

}  // namespace superpose::cli
