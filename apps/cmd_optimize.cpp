// `superpose optimize` and `superpose first-order`: optimal weights, certified in MPFR-50.
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "search/search.hpp"
#include "verify/verify.hpp"
#include "theory/theory.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

namespace superpose::cli {

namespace {

std::string d50(const Real50& x) { return to_decimal(x, 50); }

nlohmann::json geometry_json(const Geometry& g) {
  return {{"eigenvalues_of_A", g.eigenvalues},
          {"column_norms", g.norms},
          {"represented_features", g.represented},
          {"feature_dimensionality", g.dimensionality},
          {"max_abs_cos", g.max_cos},
          {"design_defects", g.design_defects}};
}

nlohmann::json starts_json(const std::vector<StartResult>& starts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : starts)
    out.push_back({{"kind", s.kind}, {"start_gain_over_p", s.start_gain}, {"gain_over_p", s.gain},
                   {"evals", s.evals}, {"status", s.status}, {"ok", s.ok}});
  return out;
}

struct OptimizeCli {
  int d = 3, n = 12, m = 3;
  std::string law = "gaussian", p = "1e-4", init, out, format = "text", algorithm = "lbfgs", plant = "1";
  OptimizeOptions opt;
  bool quiet = false;

  /// Every flag before any work or file: format, sizes, power and law (Setting), p, algorithm, --out, and the
  /// search options with their memory (OptimizeOptions::validate; the --init shape is checked once it is read).
  void validate() const {
    check_format(format, {"json", "text"});
    const Setting s(d, n, m, Law::parse(law));
    check_probability(parse_rational(p, "--p"));
    if (!(parse_rational(plant, "--plant-upper-factor") > 0))
      throw InputError("--plant-upper-factor: must be > 0 (1 = off; got " + plant + ")");
    check_double_range(s.law, m, parse_rational(p, "--p"));
    (void)parse_algorithm(algorithm);
    if (!out.empty()) check_output_path(out, "--out");
    OptimizeOptions o = opt;
    o.init.reset();
    o.validate(d, n, m);
  }
};

std::function<void(int, int, double)> start_bar(const char* what, bool quiet) {
  auto bar = std::make_shared<ProgressBar>(what, "starts", quiet);
  return [bar](int d, int t, double best) { bar->update(d, t, "best " + to_decimal(best, 10)); };
}

// The certified verdicts of the W found against every proved upper bound at p (verify/ certify_upper_verdicts),
// when d·n²·m ≤ kCertifyBudget; JSON {certified, arithmetic, gain, verdicts: [...], violations: [...]}.
struct OptimizeVerdicts {
  std::optional<UpperVerdicts> v;
  std::string note;  // why the W was not certified ("" when it was)
};

OptimizeVerdicts optimize_verdicts(const Setting& s, const Rational& p, const Matrix<Real50>& W50,
                                   const Rational& factor) {
  const double work = static_cast<double>(s.d) * static_cast<double>(s.n) * static_cast<double>(s.n) * s.m;
  if (work > kCertifyBudget)
    return {std::nullopt, "not certified: n too large (d*n^2*m = " + to_decimal(work, 3) + " > " +
                              to_decimal(kCertifyBudget, 3) + "; use superpose loss --certify on the --out file)"};
  return {certify_upper_verdicts(s, p, W50, 0, factor), ""};
}

nlohmann::json verdicts_json(const OptimizeVerdicts& ov) {
  nlohmann::json j = {{"certified", ov.v.has_value()}, {"verdicts", nlohmann::json::array()},
                      {"violations", nlohmann::json::array()}};
  if (!ov.v) {
    j["note"] = ov.note;
    return j;
  }
  const UpperVerdicts& v = *ov.v;
  j["arithmetic"] = v.gain.exact ? "exact rationals" : "interval arithmetic (MPFI)";
  j["rounding_digits"] = kCheckDigits;
  j["gain"] = certified_to_decimal(v.gain, 40);
  const auto [lo, hi] = interval_to_decimal(v.gain.enclosure, 40);
  j["gain_interval"] = {lo, hi};
  for (const UpperVerdict& b : v.verdicts) {
    nlohmann::json e = {{"bound", b.bound},
                        {"status", std::string(to_string(b.status))},
                        {"value", certified_to_decimal(b.value, 40)},
                        {"verdict", b.verdict()},
                        {"arithmetic", b.arithmetic}};
    j["verdicts"].push_back(e);
    if (b.order == CertifiedOrder::greater) j["violations"].push_back(e);
  }
  return j;
}

/// Prints the loud line of every violation on stderr; returns the exit code (1 if any, else 0).
int report_violations(const std::string& command, const Setting& s, const std::string& p_text,
                      const OptimizeVerdicts& ov) {
  if (!ov.v) return 0;
  for (const UpperVerdict* b : ov.v->violations()) std::cerr << violation_line(command, s, p_text, ov.v->gain, *b) << "\n";
  return ov.v->violations().empty() ? 0 : 1;
}

int run_optimize(OptimizeCli& c) {
  c.validate();
  Setting s(c.d, c.n, c.m, Law::parse(c.law));
  const Rational p = parse_rational(c.p, "--p");
  c.opt.algorithm = parse_algorithm(c.algorithm);
  if (!c.init.empty()) {
    Matrix<Rational> Wq = read_matrix(c.init);
    Matrix<double> W(Wq.rows(), Wq.cols());
    for (Eigen::Index k = 0; k < W.size(); ++k) W.data()[k] = from_rational<double>(Wq.data()[k]);
    c.opt.init = W;
    c.opt.validate(c.d, c.n, c.m);  // the shape of --init
  }
  c.opt.progress = start_bar("optimize", c.quiet);
  OptimizeResult r = optimize_weights(s, p, c.opt);
  const Real50 p50 = from_rational<Real50>(p);

  // Bounds at this p and the position of the optimum between the best lower and the proved upper bound.
  // first_order_limit is c_mu*F*_n(d,m)*p with the certified bracket of F*_n (fstar_n_bracket).
  std::vector<Bound<Real50>> bounds = known_bounds(s, p50);
  const BoundPosition pos = bound_position(bounds, r.gain);
  const Real50 &best_lower = pos.best_lower, &proved_upper = pos.proved_upper, &position = pos.position;
  nlohmann::json jb = nlohmann::json::array();
  for (const auto& b : bounds)
    jb.push_back({{"name", b.name}, {"value", d50(b.value)}, {"status", std::string(to_string(b.status))},
                  {"side", std::string(to_string(b.side))}, {"citation", b.citation}, {"detail", b.detail}});
  // Each MPFR-50 value with the digits the engine's error estimate vouches for (as `superpose loss` prints them).
  const int dg = r.gain_digits, dl = r.loss_digits;
  nlohmann::json j = {{"d", c.d}, {"n", c.n}, {"m", c.m}, {"law", s.law.name()}, {"p", c.p}, {"digits", 50},
                      {"correct_digits", {{"gain", dg}, {"loss", dl}}},
                      {"gain", to_decimal(r.gain, dg)}, {"gain_over_p", to_decimal(Real50(r.gain / p50), dg)},
                      {"loss", to_decimal(r.loss, dl)},
                      {"zero_loss", to_decimal(r.zero_loss, 49)}, {"grad_norm", to_decimal(r.grad_norm, 6)},
                      {"polished", r.polished}, {"newton_steps", r.newton_steps}, {"polish_note", r.polish_note},
                      {"double", {{"gain", to_decimal(r.gain_double, 17)}, {"grad_norm", r.grad_norm_double}}},
                      {"bounds", jb}, {"best_lower", d50(best_lower)}, {"proved_upper", d50(proved_upper)},
                      {"position", to_decimal(position, 12)}, {"geometry", geometry_json(r.geometry)},
                      {"starts", starts_json(r.starts)}};
  const Rational plant = parse_rational(c.plant, "--plant-upper-factor");
  if (plant != 1)
    std::cerr << "optimize: SELF-TEST: every proved upper bound is multiplied by " << plant.str()
              << " in the certified verdicts; violations below are planted\n";
  const OptimizeVerdicts ov = optimize_verdicts(s, p, r.W50, plant);
  const nlohmann::json jv = verdicts_json(ov);
  j["certified"] = jv;
  j["verdicts"] = jv["verdicts"];
  j["violations"] = jv["violations"];
  if (!c.out.empty()) write_file_atomic(c.out, matrix_file_content(c.out, r.W50, 50));
  const int code = report_violations("optimize", s, c.p, ov);
  if (c.format == "json") {
    std::cout << j.dump(2) << "\n";
    return code;
  }
  int failed = 0;
  for (const auto& st : r.starts) failed += !st.ok;
  std::cout << "optimum of the tied power autoencoder: d = " << c.d << ", n = " << c.n << ", m = " << c.m
            << ", law = " << s.law.name() << ", p = " << c.p << "\n"
            << "  gain        " << j["gain"].get<std::string>() << "   (MPFR-50; " << dg
            << " correct digits, engine's estimate)\n"
            << "  gain/p      " << j["gain_over_p"].get<std::string>() << "\n"
            << "  loss        " << j["loss"].get<std::string>() << "   (" << dl << " correct digits)\n"
            << "  |grad|      " << to_decimal(r.grad_norm, 3) << " after " << r.newton_steps << " Newton steps ("
            << r.polish_note << ")\n"
            << "  double      gain " << to_decimal(r.gain_double, 17) << ", |grad| " << to_decimal(r.grad_norm_double, 3)
            << "\n"
            << "  starts      " << r.starts.size() << " (" << failed << " NLopt failures)\n"
            << "  position    " << to_decimal(position, 6) << " between best lower " << to_decimal(best_lower, 10)
            << " and proved upper " << to_decimal(proved_upper, 10) << "\n"
            << "  represented " << r.geometry.represented << " of " << c.n << " features, max |cos| "
            << to_decimal(r.geometry.max_cos, 6) << "\n  design defects";
  for (double x : r.geometry.design_defects) std::cout << " " << to_decimal(x, 3);
  std::cout << "\n  bounds at this p:\n";
  for (const auto& b : bounds)
    std::cout << "    " << b.name << std::string(26 - std::min<size_t>(25, b.name.size()), ' ') << to_decimal(b.value, 12)
              << "  [" << to_string(b.side) << ", " << to_string(b.status) << "]\n";
  for (const auto& b : bounds)
    if (b.name == "first_order_limit" && !b.detail.empty()) std::cout << "    (" << b.name << ": " << b.detail << ")\n";
  if (!ov.v) {
    std::cout << "  certified verdicts: " << ov.note << "\n";
  } else {
    std::cout << "  certified verdicts (W rounded to " << kCheckDigits << " digits, gain "
              << certified_to_decimal(ov.v->gain, 20) << " in " << jv["arithmetic"].get<std::string>() << "):\n";
    for (const UpperVerdict& b : ov.v->verdicts)
      std::cout << "    " << b.bound << std::string(26 - std::min<size_t>(25, b.bound.size()), ' ') << b.verdict()
                << "  [" << b.arithmetic << "]\n";
  }
  if (!c.out.empty()) std::cout << "  weights (50 digits) written to " << c.out << "\n";
  return code;
}

struct FirstOrderCli {
  int d = 3, n = 20, m = 3, min_n = 0;  // min_n 0: no scan (--min-n not given)
  std::string format = "text", algorithm = "lbfgs", out, cert_dir;
  bool certify = false;
  OptimizeOptions opt;
  bool quiet = false;
  bool scan = false;  // --min-n given

  /// Every flag before any work or file: format, algorithm, --out, --min-n >= 1 when given, and the search options
  /// with their memory at n and at the largest n scanned (OptimizeOptions::validate).
  void validate() const {
    check_format(format, {"json", "text"});
    (void)parse_algorithm(algorithm);
    if (!out.empty()) check_output_path(out, "--out");
    if (scan && min_n < 1)
      throw InputError("--min-n: the largest n to scan must be an integer >= 1 (got " + std::to_string(min_n) + ")");
    opt.validate(d, n, m, true);
    if (scan) opt.validate(d, min_n, m, true);
  }
};

void run_first_order(FirstOrderCli& c) {
  c.validate();
  c.opt.algorithm = parse_algorithm(c.algorithm);
  if (c.certify) {
    // The certified bracket of F*_n(d, m) for this one cell (the search runs inside exact_lower_bound).
    if (c.min_n > 0 || !c.out.empty()) throw InputError("--certify: cannot be combined with --min-n or --out (use --cert-dir)");
    if (c.d < 2) throw InputError("--d: --certify needs d >= 2 (got " + std::to_string(c.d) + ")");
    FstarTableConfig cfg;
    cfg.d_values = {c.d};
    cfg.m_values = {c.m};
    cfg.n_values = {c.n};
    cfg.search = c.opt;
    cfg.cert_dir = c.cert_dir;
    std::vector<FstarCell> cells;
    run_fstar_table(cfg, [&](const FstarCell& cell) { cells.push_back(cell); });
    std::cout << render_fstar_table(cells, c.format == "json" ? "json" : "md");
    return;
  }
  if (!c.cert_dir.empty()) throw InputError("--cert-dir: only with --certify");
  const Rational fstar = f_star(c.d, c.m);
  nlohmann::json j = {{"d", c.d}, {"n", c.n}, {"m", c.m}, {"f_star", fstar.str()},
                      {"f_star_decimal", rational_to_decimal(fstar, 50)}};
  if (c.scan) {
    int found = min_n_for_fstar(c.d, c.m, c.min_n, c.opt, [&](int n, double ratio) {
      if (!c.quiet) std::cerr << "first-order: n = " << n << ", best F/F* = " << to_decimal(ratio, 12) << "\n";
      j["scan"].push_back({{"n", n}, {"ratio_to_f_star", ratio}});
    });
    j["min_n"] = found;
  }
  c.opt.progress = start_bar("first-order", c.quiet);
  FirstOrderResult r = optimize_first_order(c.d, c.n, c.m, c.opt);
  j["value"] = d50(r.value);
  j["ratio_to_f_star"] = d50(r.ratio_to_fstar);
  j["grad_norm"] = to_decimal(r.grad_norm, 6);
  j["polished"] = r.polished;
  j["polish_note"] = r.polish_note;
  j["geometry"] = geometry_json(r.geometry);
  j["starts"] = starts_json(r.starts);
  if (!c.out.empty()) write_file_atomic(c.out, matrix_to_csv(r.V, 50));
  if (c.format == "json") {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "first-order objective (sum |v_i|^2m)^2 / sum <v_i,v_j>^2m: d = " << c.d << ", n = " << c.n
            << ", m = " << c.m << "\n"
            << "  optimum     " << d50(r.value) << "   (MPFR-50)\n"
            << "  F*(d,m)     " << fstar.str() << " = " << rational_to_decimal(fstar, 50) << "\n"
            << "  ratio       " << d50(r.ratio_to_fstar) << "\n"
            << "  |grad|      " << to_decimal(r.grad_norm, 3) << " (" << r.polish_note << ")\n"
            << "  represented " << r.geometry.represented << " of " << c.n << " vectors\n  design defects";
  for (double x : r.geometry.design_defects) std::cout << " " << to_decimal(x, 3);
  std::cout << "\n";
  if (c.scan)
    std::cout << "  smallest n reaching F* (1e-9): "
              << (j["min_n"].get<int>() ? std::to_string(j["min_n"].get<int>()) : "none up to " + std::to_string(c.min_n))
              << "\n";
}

void add_search_options(CLI::App* cmd, OptimizeOptions& opt, std::string& algorithm, bool& quiet) {
  cmd->add_option("--starts", opt.starts, "number of starts, 1.." + std::to_string(kMaxStarts) +
                                              " (structured starts first, random fill up)")
      ->capture_default_str();
  cmd->add_option("--seed", opt.seed, "random seed, 0..2^64-1")->capture_default_str();
  cmd->add_option("--algorithm", algorithm, "NLopt algorithm: lbfgs, mma, slsqp, bobyqa (no gradient), mlsl (global)")
      ->capture_default_str();
  cmd->add_option("--max-evals", opt.max_evals, "objective evaluations per start, >= 1")->capture_default_str();
  cmd->add_flag("--no-polish", [&opt](std::int64_t) { opt.polish = false; }, "skip the MPFR-50 Newton polish");
  cmd->add_flag("--quiet", quiet, "no progress bar");
}

}  // namespace

void register_optimize(CLI::App& app) {
  auto c = std::make_shared<OptimizeCli>();
  CLI::App* cmd = app.add_subcommand(
      "optimize",
      "Maximises the exact gain L~(W) over W in R^{d x n} with NLopt (double, analytic gradient) from many starts\n"
      "(unsuperposed, random tight frames, projective design for d = 2, --init, random), then polishes the best W\n"
      "by Newton steps in MPFR-50 until |grad| < 1e-30 and reports it with the bounds at this p and its geometry.\n"
      "The W rounded to 20-digit decimals is certified against every proved upper bound (exact rationals or MPFI,\n"
      "for d*n^2*m <= 2e6): pass / FAIL / undecided; a FAIL prints a VIOLATION line on stderr and exits with 1.\n"
      "Example: superpose optimize --d 3 --n 12 --m 3 --law rademacher --p 1e-4 --out W.csv");
  cmd->add_option("--d", c->d, "hidden width")->capture_default_str();
  cmd->add_option("--n", c->n, "number of features")->capture_default_str();
  cmd->add_option("--m", c->m, "activation power: odd 1..7")->capture_default_str();
  cmd->add_option("--law", c->law, kLawHelp)->capture_default_str();
  cmd->add_option("--p", c->p, "feature probability in (0,1] (decimal or fraction, read exactly)")->capture_default_str();
  cmd->add_option("--init", c->init, "a d x n starting W: CSV, or .npy (float64)");
  cmd->add_option("--out", c->out, "write the polished W to this file: CSV (50 digits), or float64 .npy if it ends in .npy");
  cmd->add_option("--format", c->format, "text or json")->capture_default_str();
  cmd->add_option("--plant-upper-factor", c->plant,
                  "SELF-TEST: multiply every proved upper bound by this factor in the certified verdicts (< 1 plants "
                  "a wrong bound that the W found should break)")
      ->capture_default_str();
  add_search_options(cmd, c->opt, c->algorithm, c->quiet);
  check_values_as_typed(cmd);
  cmd->callback([c]() {
    // Exit code 1 when the W found beats a proved upper bound (2 stays reserved for bad input).
    if (run_optimize(*c) != 0) {
      std::cout.flush();
      std::exit(1);
    }
  });

  auto f = std::make_shared<FirstOrderCli>();
  CLI::App* fo = app.add_subcommand(
      "first-order",
      "Maximises the very sparse objective (sum_i |v_i|^2m)^2 / sum_ij <v_i,v_j>^2m over n vectors in R^d\n"
      "(paper Eq. 23; its supremum is F*(d,m) = d(d+2)...(d+2m-2)/(2m-1)!!, reached by projective 2m-designs),\n"
      "polished and reported at 50 digits with the design defects. --min-n N scans n = 1..N for the smallest n\n"
      "reaching F* to 1e-9. Example: superpose first-order --d 3 --n 20 --m 3 --min-n 20");
  fo->add_option("--d", f->d, "dimension")->capture_default_str();
  fo->add_option("--n", f->n, "number of vectors")->capture_default_str();
  fo->add_option("--m", f->m, "activation power: odd 1..7")->capture_default_str();
  CLI::Option* min_n = fo->add_option("--min-n", f->min_n,
                                      "also find the smallest n <= this value (>= 1) that reaches F*(d,m)");
  fo->add_option("--out", f->out, "write the optimal vectors (d x n, 50 digits) to this CSV file");
  fo->add_option("--format", f->format, "text or json")->capture_default_str();
  fo->add_flag("--certify", f->certify,
               "print the certified bracket of F*_n(d,m) instead: exact lower bound, exact LP upper bound, status "
               "(as one row of fstar-table)");
  fo->add_option("--cert-dir", f->cert_dir, "with --certify: write the certificate to DIR/fstar_d{d}_m{m}_n{n}.json");
  add_search_options(fo, f->opt, f->algorithm, f->quiet);
  check_values_as_typed(fo);
  fo->callback([f, min_n]() {
    f->scan = min_n->count() > 0;
    run_first_order(*f);
  });
}

}  // namespace superpose::cli
