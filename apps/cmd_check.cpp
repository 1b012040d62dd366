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
  std::string d = "2", n = "4", m = "3", law = "gaussian";
  bool quiet = false;
};

int run_check_cli(CheckCli& c) {
  check_format(c.format, {"text", "csv", "json"});
  if (c.side != "upper" && c.side != "lower")
    throw InputError("--side: unknown side '" + c.side + "' (accepted: upper, lower)");
  c.cfg.side = c.side == "upper" ? BoundSide::upper : BoundSide::lower;
  // The grid grammar of verify.
  c.cfg.d_values = parse_int_list(c.d, "--d", -1000000, 1000000);
  c.cfg.n_values = parse_int_list(c.n, "--n", -1000000, 1000000);
  c.cfg.m_values = parse_int_list(c.m, "--m", -1000000, 1000000);
  c.cfg.laws = parse_law_list(c.law);
  (void)check_inputs(c.cfg);  // everything validated before any work or output
  ProgressBar bar("check", c.cfg.side == BoundSide::upper ? "starts" : "points", c.quiet);
  const CheckResult res = run_check(c.cfg, {}, [&bar](int done, int total) { bar.update(done, total); });
  bar.clear();
  std::cout << render_check(c.cfg, res.rows, c.format);
  int code = 0;
  for (const CheckRow& r : res.rows) {
    const Setting s(r.d, r.n, r.m, Law::parse(r.law));
    for (const UpperVerdict& b : r.violations) std::cerr << violation_line("check", s, r.p, r.gain, b) << "\n";
    if (r.verdict == "refuted" || !r.violations.empty()) code = 1;
  }
  if (res.resumed) std::cerr << "check: " << res.resumed << " points resumed from " << c.cfg.out_jsonl << "\n";
  if (!res.complete)
    std::cerr << "check: stopped after " << res.computed << " new points (--stop-after); "
              << res.total - static_cast<int>(res.rows.size()) << " remain: rerun with --resume\n";
  return code;
}

}  // namespace

void register_check(CLI::App& app) {
  auto c = std::make_shared<CheckCli>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Checks a bound of your own on the optimal gain sup_W L~(W) at every point of a grid (d, n, m, law) x p, with\n"
      "certified verdicts. --bound is an expression in p, n, d, m, c_mu, fstar (F*(d,m)), mu(k), binomial(a,b), min,\n"
      "max, sqrt, exp, log, ^ (decimals are read exactly). It is evaluated exactly where it is rational, else in\n"
      "interval arithmetic (MPFI). Upper: searches W to beat it (optimize: structured + random starts, MPFR-50\n"
      "polish), rounds the best W to 20-digit decimals and compares its exact gain (or enclosure) with the bound:\n"
      "REFUTED (certificate W written to --cert-dir, exit code 1), undecided (enclosures overlap), or no\n"
      "counterexample (with the best gain/bound). The best W is also certified against every proved upper bound: a\n"
      "VIOLATION line on stderr, exit code 1. Lower: compares it with every proved upper bound (refuted if above one)\n"
      "and the best certified construction. The grid takes verify's lists (--d 2,3 --n 4..6 --law gaussian,laplace);\n"
      "with --out, points go to a locked JSON-lines checkpoint as they finish and --resume continues it (same output).\n"
      "Example: superpose check --bound \"0.5*c_mu*fstar*p\" --side upper --d 2,3 --n 4 --m 3 --p 1e-3");
  cmd->add_option("--bound", c->cfg.bound, "the bound: an expression (quote it), e.g. \"p*mu(2)*min(n, binomial(d+m-1,m))\"")
      ->required();
  cmd->add_option("--side", c->side, "upper (search for a W that beats it) or lower (compare with the proved upper bounds)")
      ->capture_default_str();
  cmd->add_option("--d", c->d, "hidden widths: a, a,b,c or a..b (as verify)")->capture_default_str();
  cmd->add_option("--n", c->n, "feature counts: a, a,b,c or a..b (as verify)")->capture_default_str();
  cmd->add_option("--m", c->m, "odd activation powers 1.." + std::to_string(kMaxPower) + ": a, a,b,c or a..b (as verify)")
      ->capture_default_str();
  cmd->add_option("--law", c->law, "input laws, comma list (a discrete:... law must come last); " + std::string(kLawHelp))
      ->capture_default_str();
  cmd->add_option("--p", c->cfg.p_spec, "feature probabilities: v, v1,v2,... or lo:hi:count (log-spaced)")
      ->capture_default_str();
  cmd->add_option("--starts", c->cfg.starts, "upper: optimize starts per point (structured starts first)")
      ->capture_default_str();
  cmd->add_option("--seed", c->cfg.seed, "seed of the random starts and tight frames")->capture_default_str();
  cmd->add_option("--max-evals", c->cfg.max_evals, "upper: NLopt evaluations per start")->capture_default_str();
  cmd->add_option("--cert-dir", c->cfg.cert_dir, "upper: existing folder for the certificates of refutations")
      ->capture_default_str();
  cmd->add_option("--out", c->cfg.out_jsonl, "JSON-lines checkpoint, one row per point, written as points finish");
  cmd->add_flag("--resume", c->cfg.resume, "keep the rows already in --out and compute the missing points");
  cmd->add_option("--stop-after", c->cfg.stop_after, "compute at most this many new points, then stop (resume later)");
  cmd->add_option("--format", c->format, "text, csv or json")->capture_default_str();
  cmd->add_flag("--quiet", c->quiet, "no progress bar");
  check_values_as_typed(cmd);
  cmd->callback([c]() {
    // Exit code 1 when the bound is refuted (2 stays reserved for bad input).
    if (run_check_cli(*c) != 0) {
      std::cout.flush();
      std::exit(1);
    }
  });
}

}  // namespace superpose::cli
