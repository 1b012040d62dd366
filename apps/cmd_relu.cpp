// `superpose relu`: the ReLU toy model of Elhage et al. (2022): `relu loss` (the exact expected loss of given
// W, b; Monte Carlo; the low-order terms), `relu optimize` (optimal W, b) and `relu phase` (the n = 2, d = 1 phase
// diagram). The library does the work (theory/relu.hpp, search/search.hpp); this file parses, calls and prints.
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "search/search.hpp"
#include "theory/relu.hpp"
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace superpose::cli {

namespace {

constexpr const char* kNotation =
    "Notation: n features, d hidden width (Elhage's m is our d), p the probability that a feature is active\n"
    "(Elhage's sparsity S is 1 - p), importance I_i, output ReLU(W_dec^T W x + b)^k (tied: W_dec = W).\n";

constexpr const char* kValueLawHelp =
    "value law of an active feature: uniform01 (Elhage's U[0,1]) or rademacher, gaussian, uniform (on [-1,1]), "
    "laplace, discrete:v1:w1,... (exact routes for all but laplace: relu loss uses Monte Carlo for it, relu "
    "optimize refuses it)";

/// Options shared by every relu subcommand that describes a problem.
struct ProblemOptions {
  std::string p, importance = "1", law = "uniform01", format = "text";
  int k = 1;
  bool untied = false;

  relu::Problem problem(int d, int n) const {
    relu::Problem pr;
    pr.d = d;
    pr.n = n;
    pr.p = relu::parse_probabilities(p, n);
    pr.importance = relu::parse_importance(importance, n);
    pr.law = relu::ValueLaw::parse(law);
    pr.k = k;
    pr.tied = !untied;
    pr.validate();
    return pr;
  }
};

void add_problem_options(CLI::App* cmd, ProblemOptions& o) {
  cmd->add_option("--p", o.p, "feature probability in (0,1]: one value, or n comma-separated values (S = 1 - p)")
      ->required();
  cmd->add_option("--importance", o.importance,
                  "importances I_i > 0: one value, n comma-separated values, or geometric:r (I_i = r^(i-1))")
      ->capture_default_str();
  cmd->add_option("--law", o.law, kValueLawHelp)->capture_default_str();
  cmd->add_option("--k", o.k, "activation power k: 1, 2 or 3 (output ReLU(t)^k)")->capture_default_str();
}

std::string list_text(const std::vector<Rational>& v) {
  bool same = true;
  for (const Rational& x : v) same = same && x == v[0];
  if (same) return rational_to_decimal(v[0], 12);
  std::string s;
  for (const Rational& x : v) s += (s.empty() ? "" : ",") + rational_to_decimal(x, 12);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// relu loss
// ---------------------------------------------------------------------------------------------------------------

/// Monte Carlo samples of `relu loss` when the law or W has no exact route and --mc-samples is not given.
constexpr long long kFallbackSamples = 1000000;

struct ReluLossFlags : ProblemOptions {
  std::string weights, decoder, bias;
  int digits = 16;
  bool exact = false, low_order = false;
  long long mc_samples = 0;
  std::uint64_t seed = 1;

  void validate() const {
    check_format(format, {"text", "json", "csv"});
    if (!exact) check_digits(digits);
    (void)relu::ValueLaw::parse(law);
    if (k < 1 || k > 3) throw InputError("--k: activation power " + std::to_string(k) + " (accepted: 1, 2, 3)");
    if (mc_samples < 0 || mc_samples == 1)
      throw InputError("--mc-samples: " + std::to_string(mc_samples) + " (accepted: 0 = none, or at least 2)");
    // The values of --p, --importance and --bias, before W is read (their count is checked against n after).
    auto items = [](const std::string& s) { return static_cast<int>(split(s, ',').size()); };
    (void)relu::parse_probabilities(p, items(p));
    (void)relu::parse_importance(importance, items(importance));
    (void)relu::parse_bias(bias, items(bias));
  }
};

void run_relu_loss(ReluLossFlags o) {
  o.validate();
  o.untied = !o.decoder.empty();
  relu::Params<Rational> P;
  P.W = read_matrix(o.weights);
  const int d = static_cast<int>(P.W.rows()), n = static_cast<int>(P.W.cols());
  const relu::Problem pr = o.problem(d, n);
  if (o.untied) P.W_dec = read_matrix(o.decoder);
  const std::vector<Rational> b = relu::parse_bias(o.bias, n);
  P.b = Vector<Rational>(n);
  for (int i = 0; i < n; ++i) P.b(i) = b[i];
  P.validate(pr);
  relu::Params<double> Pd;
  auto to_d = [](const Rational& x) { return from_rational<double>(x); };
  Pd.W = P.W.unaryExpr(to_d);
  if (o.untied) Pd.W_dec = P.W_dec.unaryExpr(to_d);
  Pd.b = P.b.unaryExpr(to_d);
  if (n > relu::kMaxExactFeatures && o.mc_samples == 0 && !o.low_order)
    throw InputError("--weights: n = " + std::to_string(n) + " > " + std::to_string(relu::kMaxExactFeatures) +
                     " is beyond the exact sum; pass --mc-samples N or --low-order");
  // No exact route for this law (laplace) or W (a finite law's enumeration too large): Monte Carlo, said so.
  const std::string no_exact = relu::exact_route_refusal(pr, Pd);
  const bool exact_route = no_exact.empty();
  std::string note;
  if (!exact_route && n <= relu::kMaxExactFeatures && o.mc_samples == 0 && !o.low_order) {
    o.mc_samples = kFallbackSamples;
    note = no_exact + "; estimated by Monte Carlo instead (" + std::to_string(kFallbackSamples) +
           " samples; set --mc-samples)";
  }

  nlohmann::json j;
  j["model"] = "relu";
  j["d"] = d;
  j["n"] = n;
  j["k"] = o.k;
  j["tied"] = pr.tied;
  j["law"] = pr.law.name();
  j["p"] = list_text(pr.p);
  j["importance"] = list_text(pr.importance);
  struct Row {
    std::string quantity, value, route, precision;
  };
  std::vector<Row> rows;
  if (exact_route) {
    const relu::LadderLoss lad = relu::expected_loss_with_ladder(pr, P, false, o.exact ? 0 : o.digits);
    note += (note.empty() || lad.note.empty() ? "" : "; ") + lad.note;
    std::visit(
        [&]<class T>(const relu::LossEvaluation<T>& ev) {
          int dg = 0;
          std::string prec = "exact";
          auto num = [&](const T& x, int digits) {
            if constexpr (is_exact_v<T>) return o.exact ? to_decimal(x, 0) : rational_to_decimal(x, 30);
            else return to_decimal(x, digits);
          };
          if constexpr (!is_exact_v<T>) {
            dg = std::max(1, ev.loss_digits());
            prec = precision_name(lad.digits) + ", " + std::to_string(ev.loss_digits()) + " correct digits";
          }
          const std::string route(relu::to_string(ev.route));
          rows.push_back({"loss", num(ev.loss, dg), route, prec});
          rows.push_back({"loss_over_n", num(T(ev.loss / n), dg), route, prec});
          rows.push_back({"zero_loss", num(ev.zero_loss, digits_of<T>() ? digits_of<T>() - 1 : 0), route,
                          is_exact_v<T> ? prec : precision_name(lad.digits)});
          j["computed_in"] = precision_name(lad.digits);
          j["widened_blocks"] = ev.widened_blocks;
          if constexpr (!is_exact_v<T>) j["estimated_abs_error"] = ev.abs_error;
        },
        lad.ev);
  }
  if (o.low_order) {
    const relu::LowOrderTerms<double> lo = relu::low_order_terms(pr, Pd);
    const int dg = 12;
    const std::string route(relu::to_string(lo.route));
    const std::string prec = "double, abs error <= " + to_decimal(lo.abs_error + 1e-16 * std::fabs(lo.value()), 2);
    rows.push_back({"low_order_t", to_decimal(lo.t, 16), route, "t = max p"});
    rows.push_back({"low_order_c0", to_decimal(lo.c0, dg), route, prec});
    rows.push_back({"low_order_c1", to_decimal(lo.c1, dg), route, prec});
    rows.push_back({"low_order_c2", to_decimal(lo.c2, dg), route, prec});
    rows.push_back({"low_order_value", to_decimal(lo.value(), dg), route, "c0 + c1 t + c2 t^2 (error O(t^3))"});
  }
  if (o.mc_samples > 0) {
    const relu::MonteCarloLoss mc = relu::monte_carlo_loss(pr, Pd, o.mc_samples, o.seed);
    const int dg = mc.standard_error > 0 ? std::max(2, static_cast<int>(std::ceil(std::log10(
                                                           std::fabs(mc.loss) / mc.standard_error))) + 1)
                                         : 16;
    const std::string prec = "standard error " + to_decimal(mc.standard_error, 2) + ", " +
                             std::to_string(mc.samples) + " samples, seed " + std::to_string(mc.seed);
    rows.push_back({"loss", to_decimal(mc.loss, std::min(dg, 16)), "monte-carlo", prec});
    j["mc_standard_error"] = mc.standard_error;
  }
  if (!note.empty()) {
    j["precision_note"] = note;
    std::cerr << "superpose: note: " << note << "\n";
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const Row& r : rows) arr.push_back({{"quantity", r.quantity}, {"value", r.value}, {"route", r.route}, {"precision", r.precision}});
  j["results"] = arr;
  if (o.format == "json") {
    std::cout << j.dump(2) << "\n";
  } else if (o.format == "csv") {
    std::cout << "quantity,value,route,precision\n";
    for (const Row& r : rows)
      std::cout << r.quantity << "," << r.value << "," << r.route << "," << csv_field(r.precision) << "\n";
  } else {
    std::cout << "ReLU toy model: d = " << d << ", n = " << n << ", k = " << o.k << (pr.tied ? ", tied" : ", untied")
              << ", law = " << pr.law.name() << ", p = " << j["p"].get<std::string>()
              << ", importance = " << j["importance"].get<std::string>() << "\n";
    for (const Row& r : rows) {
      std::ostringstream line;
      line << "  " << r.quantity;
      std::string s = line.str();
      s.resize(std::max<std::size_t>(s.size() + 1, 19), ' ');
      std::cout << s << r.value << "  (" << r.route << "; " << r.precision << ")\n";
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// relu optimize
// ---------------------------------------------------------------------------------------------------------------

struct ReluOptimizeFlags : ProblemOptions {
  int d = 0, n = 0, starts = 16, max_evals = 3000;
  std::uint64_t seed = 1;
  bool no_polish = false;

  relu::ReluOptimizeOptions search() const {
    relu::ReluOptimizeOptions so;
    so.starts = starts;
    so.seed = seed;
    so.max_evals = max_evals;
    so.polish = !no_polish;
    return so;
  }
  void validate() const {
    check_format(format, {"text", "json", "csv"});
    search().validate(problem(d, n));
  }
};

std::string matrix_text(const Matrix<Real50>& M, int digits, const std::string& indent) {
  std::string s;
  for (Eigen::Index r = 0; r < M.rows(); ++r) {
    s += indent;
    for (Eigen::Index c = 0; c < M.cols(); ++c) s += (c ? ", " : "") + to_decimal(M(r, c), digits);
    s += "\n";
  }
  return s;
}

nlohmann::json matrix_json(const Matrix<Real50>& M, int digits) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index r = 0; r < M.rows(); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index c = 0; c < M.cols(); ++c) row.push_back(to_decimal(M(r, c), digits));
    rows.push_back(row);
  }
  return rows;
}

void run_relu_optimize(const ReluOptimizeFlags& o) {
  o.validate();  // every flag before any work
  const relu::Problem pr = o.problem(o.d, o.n);
  relu::ReluOptimizeOptions so = o.search();
  ProgressBar bar("relu optimize", "starts", o.format != "text");
  so.progress = [&](int done, int total, double best) { bar.update(done, total, "best loss/p " + to_decimal(best, 6)); };
  const relu::ReluOptimum r = relu::optimize_relu(pr, so);
  bar.clear();
  const int dg = std::max(1, r.loss_digits), wd = 12;
  const Real50 n50(o.n);
  // Σ_i I_i p_i E v², exact (E v² = 1/3 for uniform01, the law's second moment otherwise)
  const Rational ev2 = pr.law.symmetric ? pr.law.symmetric->moment(2) : Rational(1, 3);
  Rational zero = 0;
  for (int i = 0; i < o.n; ++i) zero += pr.importance[i] * pr.p[i] * ev2;
  int best_start = 0;
  for (std::size_t s = 0; s < r.starts.size(); ++s)
    if (r.starts[s].loss_over_p < r.starts[best_start].loss_over_p) best_start = static_cast<int>(s);
  const Matrix<Real50> WtW = r.params50.W.transpose() * (pr.tied ? r.params50.W : r.params50.W_dec);
  nlohmann::json j;
  j["model"] = "relu";
  j["d"] = o.d;
  j["n"] = o.n;
  j["k"] = o.k;
  j["tied"] = pr.tied;
  j["law"] = pr.law.name();
  j["p"] = list_text(pr.p);
  j["importance"] = list_text(pr.importance);
  j["loss"] = to_decimal(r.loss, dg);
  j["loss_over_n"] = to_decimal(Real50(r.loss / n50), dg);
  j["zero_loss"] = to_decimal(zero, 0);  // exact: "num/den"
  j["zero_loss_decimal"] = rational_to_decimal(zero, 20);
  j["loss_correct_digits"] = r.loss_digits;
  j["route"] = "closed-form (MPFR-50)";
  j["grad_norm"] = to_decimal(r.grad_norm, 3);
  j["polished"] = r.polished;
  j["newton_steps"] = r.newton_steps;
  j["polish_note"] = r.polish_note;
  j["best_start"] = r.starts[best_start].kind;
  j["W"] = matrix_json(r.params50.W, wd);
  if (!pr.tied) j["W_dec"] = matrix_json(r.params50.W_dec, wd);
  j["b"] = matrix_json(Matrix<Real50>(r.params50.b.transpose()), wd)[0];
  j["WdecT_W"] = matrix_json(WtW, wd);
  nlohmann::json st = nlohmann::json::array();
  for (const relu::ReluStartResult& s : r.starts)
    st.push_back({{"kind", s.kind}, {"start_loss_over_p", s.start_loss_over_p}, {"loss_over_p", s.loss_over_p},
                  {"evals", s.evals}, {"status", s.status}});
  j["starts"] = st;
  if (o.format == "json") {
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (o.format == "csv") {  // one line per start, the optimum's loss repeated for joins
    std::cout << "start,kind,start_loss_over_p,loss_over_p,evals,status,best_loss\n";
    for (std::size_t s = 0; s < r.starts.size(); ++s)
      std::cout << s + 1 << "," << r.starts[s].kind << "," << to_decimal(r.starts[s].start_loss_over_p, 10) << ","
                << to_decimal(r.starts[s].loss_over_p, 10) << "," << r.starts[s].evals << "," << r.starts[s].status
                << "," << j["loss"].get<std::string>() << "\n";
    return;
  }
  std::cout << "ReLU toy model optimum: d = " << o.d << ", n = " << o.n << ", k = " << o.k
            << (pr.tied ? ", tied" : ", untied") << ", law = " << pr.law.name() << ", p = " << j["p"].get<std::string>()
            << ", importance = " << j["importance"].get<std::string>() << "\n"
            << "  loss        " << j["loss"].get<std::string>() << "  (exact loss of the weights below, closed form in "
            << "MPFR-50; " << r.loss_digits << " correct digits)\n"
            << "  loss/n      " << j["loss_over_n"].get<std::string>() << "  (Elhage's notebook reports this)\n"
            << "  zero_loss   " << j["zero_loss"].get<std::string>() << " = " << j["zero_loss_decimal"].get<std::string>()
            << "  (W = 0, b = 0: sum_i I_i p_i E v^2, exact; the decimal rounded to 20 digits)\n"
            << "  best start  " << j["best_start"].get<std::string>() << " of " << r.starts.size() << "; polish: "
            << (r.polished ? "converged" : "not converged") << " after " << r.newton_steps
            << " Newton steps, gradient norm " << j["grad_norm"].get<std::string>() << "\n"
            << "  W (d x n):\n"
            << matrix_text(r.params50.W, 8, "    ");
  if (!pr.tied) std::cout << "  W_dec (d x n):\n" << matrix_text(r.params50.W_dec, 8, "    ");
  std::cout << "  b:\n" << matrix_text(Matrix<Real50>(r.params50.b.transpose()), 8, "    ")
            << "  W_dec^T W (n x n):\n" << matrix_text(WtW, 6, "    ");
}

// ---------------------------------------------------------------------------------------------------------------
// relu phase
// ---------------------------------------------------------------------------------------------------------------

struct ReluPhaseFlags {
  int d = 1, n = 2, k = 1, max_evals = 3000, check_starts = 8;
  std::string p = "0.01:1:12", ratio = "0.1:1:10", out = "relu_phase", format = "text";
  double tol = 1e-4;
  bool no_plot = false;

  void validate() const {
    if (!(d == 1 && n == 2) && !(d == 2 && n == 3))
      throw InputError("--d, --n: relu phase draws the n = 2, d = 1 and the n = 3, d = 2 diagrams (got d = " +
                       std::to_string(d) + ", n = " + std::to_string(n) + ")");
    if (check_starts < 0) throw InputError("--check-starts: must be >= 0 (0: no check)");
    if (k < 1 || k > 3) throw InputError("--k: activation power " + std::to_string(k) + " (accepted: 1, 2, 3)");
    if (!(tol > 0 && tol < 1)) throw InputError("--tol: relative tolerance in p must be in (0, 1)");
    if (max_evals < 1) throw InputError("--max-evals: must be at least 1");
    check_format(format, {"text", "csv"});
    (void)parse_p_grid(p, "--p");
    (void)parse_p_grid(ratio, "--ratio");
    check_output_folder(out, "--out");
  }
};

// n = 3, d = 2: importances (1, 1, ratio); candidates' local optima, a multi-start check, boundaries by bisection.
void run_relu_phase3(const ReluPhaseFlags& o) {
  const std::vector<GridP> ps = parse_p_grid(o.p, "--p"), rs = parse_p_grid(o.ratio, "--ratio");
  relu::ReluOptimizeOptions so;
  so.max_evals = o.max_evals;
  relu::Problem pr;
  pr.d = 2;
  pr.n = 3;
  pr.k = o.k;
  ensure_directory(o.out);
  ProgressBar bar("relu phase", "ratios", o.format != "text");
  using relu::ThreeFeaturePhase;
  constexpr int kCandidates = relu::kThreeFeaturePhaseCount - 1;
  std::string grid = "# relu phase, n = 3, d = 2, k = " + std::to_string(o.k) +
                     ", uniform01: importances (1, 1, ratio), every feature at probability p; loss of each "
                     "configuration's local optimum (none: the search left it), the multi-start check (" +
                     std::to_string(o.check_starts) + " starts) and who decided the phase\nratio,p,phase,decided_by";
  for (int c = 0; c < kCandidates; ++c) grid += "," + std::string(relu::to_string(ThreeFeaturePhase(c))) + "_loss";
  grid += ",search_loss,search_phase\n";
  std::string bound = "# p where the two configurations have equal local-optimum loss; bisection in log p to relative "
                      "width " + to_decimal(o.tol, 3) + " (none: a configuration left its shape on the way, the "
                      "transition is not a crossing of two local optima)\nratio,from,to,p_lo,p_hi,p_boundary\n";
  std::vector<std::string> lines;
  long long done = 0, decided_by_search = 0;
  for (const GridP& r : rs) {
    pr.importance = {Rational(1), Rational(1), r.value};
    std::vector<ThreeFeaturePhase> winners;
    for (const GridP& p : ps) {
      pr.p.assign(3, p.value);
      const relu::ThreeFeaturePoint pt = relu::three_feature_point(pr, so, o.check_starts);
      const double best = pt.loss[static_cast<int>(pt.phase)];
      // The optimiser decides when its multi-start beats every candidate (by more than rounding of the loss).
      const bool search_wins = o.check_starts > 0 && !(best <= pt.search_loss + 1e-12 * (1 + std::fabs(best)));
      const ThreeFeaturePhase ph = search_wins ? pt.search_phase : pt.phase;
      decided_by_search += search_wins;
      winners.push_back(search_wins ? ThreeFeaturePhase::other : ph);
      grid += r.text + "," + p.text + "," + std::string(relu::to_string(ph)) + "," +
              (search_wins ? "search" : "candidates");
      for (int c = 0; c < kCandidates; ++c)
        grid += "," + (std::isfinite(pt.loss[c]) ? to_decimal(pt.loss[c], 12) : std::string("none"));
      grid += "," + (o.check_starts > 0 ? to_decimal(pt.search_loss, 12) + "," + std::string(relu::to_string(pt.search_phase))
                                        : std::string("none,none")) + "\n";
    }
    for (std::size_t k = 0; k + 1 < ps.size(); ++k) {
      const ThreeFeaturePhase a = winners[k], b = winners[k + 1];
      if (a == b) continue;
      const double lo = from_rational<double>(ps[k].value), hi = from_rational<double>(ps[k + 1].value);
      const std::optional<double> x =
          relu::three_feature_boundary(pr, a, b, std::min(lo, hi), std::max(lo, hi), o.tol, so);
      const std::string xt = x ? to_decimal(*x, 6) : std::string("none");
      bound += r.text + "," + std::string(relu::to_string(a)) + "," + std::string(relu::to_string(b)) + "," +
               ps[k].text + "," + ps[k + 1].text + "," + xt + "\n";
      lines.push_back("    ratio " + r.text + ": " + std::string(relu::to_string(a)) + " -> " +
                      std::string(relu::to_string(b)) + " between p = " + ps[k].text + " and " + ps[k + 1].text +
                      ": p* = " + xt);
    }
    bar.update(++done, static_cast<long long>(rs.size()));
  }
  bar.clear();
  const std::filesystem::path dir(o.out);
  write_file_atomic((dir / "phase.csv").string(), grid);
  write_file_atomic((dir / "boundary.csv").string(), bound);
  if (!o.no_plot) {
    std::string plot = "set terminal pngcairo size 1000,700 enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
                       "set output 'phase.png'\nset datafile separator ','\nset logscale xy\n"
                       "set xlabel 'relative importance I_3/I_1 (I_1 = I_2 = 1)'\n"
                       "set ylabel 'feature probability p (Elhage: 1 - S)'\n"
                       "set title 'ReLU toy model, n = 3, d = 2: optimal configuration (exact losses)'\n"
                       "set key outside\nplot ";
    const char* colours[] = {"#3060c0", "#30a0c0", "#c03030", "#e08020", "#30a030", "#808080"};
    for (int c = 0; c <= kCandidates; ++c) {
      const std::string name(relu::to_string(ThreeFeaturePhase(c)));
      plot += std::string(c ? ", \\\n     " : "") + "'phase.csv' using 1:(strcol(3) eq '" + name +
              "' ? $2 : 1/0) with points pt 7 ps 1.2 lc rgb '" + colours[c] + "' title '" + name + "'";
    }
    plot += ", \\\n     'boundary.csv' using 1:6 with points pt 2 ps 1.5 lw 2 lc rgb 'black' title 'boundary (bisection)'\n";
    run_gnuplot(o.out, "phase", plot);
  }
  if (o.format == "csv") {
    std::cout << bound.substr(bound.find('\n') + 1);
    return;
  }
  std::cout << "ReLU toy model phase diagram: n = 3, d = 2, k = " << o.k << ", uniform01, importances (1, 1, ratio)\n"
            << "  candidates: dedicated-12 (two features dedicated, feature 3 off), dedicated-13 (stands for 23 too),\n"
            << "  pair-12+3, pair-13+2 (an antipodal pair beside a dedicated feature), triangle; each a local search\n"
            << "  on the exact loss, checked by a " << o.check_starts << "-start multi-start: it beat every candidate at "
            << decided_by_search << " of " << rs.size() * ps.size() << " grid points (phase decided by the search)\n"
            << "  boundaries (bisection in log p on the two local optima's exact losses, relative width "
            << to_decimal(o.tol, 3) << "):\n";
  for (const std::string& l : lines) std::cout << l << "\n";
  std::cout << "  wrote " << (dir / "phase.csv").string() << ", " << (dir / "boundary.csv").string()
            << (o.no_plot ? "" : ", " + (dir / "phase.png").string()) << "\n";
}

void run_relu_phase(const ReluPhaseFlags& o) {
  o.validate();
  if (o.n == 3) return run_relu_phase3(o);
  const std::vector<GridP> ps = parse_p_grid(o.p, "--p"), rs = parse_p_grid(o.ratio, "--ratio");
  relu::ReluOptimizeOptions so;
  so.max_evals = o.max_evals;
  relu::Problem pr;
  pr.d = 1;
  pr.n = 2;
  pr.k = o.k;
  ensure_directory(o.out);
  ProgressBar bar("relu phase", "ratios", o.format != "text");
  std::string grid = "# relu phase, n = 2, d = 1, k = " + std::to_string(o.k) +
                     ", uniform01: importances (1, ratio), both features at probability p\n"
                     "ratio,p,phase,one_feature_loss,pair_loss\n";
  std::string bound = "# p* where the antipodal pair and one feature have equal optimal loss; bisection in log p to "
                      "relative width " + to_decimal(o.tol, 3) + "\nratio,p_boundary\n";
  std::vector<std::pair<std::string, std::string>> boundaries;
  long long done = 0;
  for (const GridP& r : rs) {
    pr.importance = {Rational(1), r.value};
    for (const GridP& p : ps) {
      pr.p.assign(2, p.value);
      const relu::TwoFeaturePoint pt = relu::two_feature_point(pr, so);
      grid += r.text + "," + p.text + "," + std::string(relu::to_string(pt.phase)) + "," +
              to_decimal(pt.one_feature_loss, 12) + "," +
              (std::isfinite(pt.pair_loss) ? to_decimal(pt.pair_loss, 12) : std::string("none")) + "\n";
    }
    const std::optional<double> b = relu::two_feature_boundary(
        pr, from_rational<double>(ps.front().value), from_rational<double>(ps.back().value), o.tol, so);
    const std::string bt = b ? to_decimal(*b, 6) : std::string("none");
    bound += r.text + "," + bt + "\n";
    boundaries.emplace_back(r.text, bt);
    bar.update(++done, static_cast<long long>(rs.size()));
  }
  bar.clear();
  const std::filesystem::path dir(o.out);
  write_file_atomic((dir / "phase.csv").string(), grid);
  write_file_atomic((dir / "boundary.csv").string(), bound);
  if (!o.no_plot)
    run_gnuplot(o.out, "phase",
                "set terminal pngcairo size 900,700 enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
                "set output 'phase.png'\nset datafile separator ','\nset logscale xy\n"
                "set xlabel 'relative importance I_2/I_1'\nset ylabel 'feature probability p (Elhage: 1 - S)'\n"
                "set title 'ReLU toy model, n = 2, d = 1: optimal configuration (exact losses)'\nset key outside\n"
                "plot 'phase.csv' using 1:(strcol(3) eq 'antipodal' ? $2 : 1/0) with points pt 7 lc rgb '#c03030' "
                "title 'antipodal pair', \\\n"
                "     'phase.csv' using 1:(strcol(3) eq 'antipodal' ? 1/0 : $2) with points pt 7 lc rgb '#3060c0' "
                "title 'one feature', \\\n"
                "     'boundary.csv' using 1:2 with linespoints lw 2 lc rgb 'black' title 'boundary (bisection)'\n");
  if (o.format == "csv") {
    std::cout << "ratio,p_boundary\n";
    for (const auto& [r, b] : boundaries) std::cout << r << "," << b << "\n";
    return;
  }
  std::cout << "ReLU toy model phase diagram: n = 2, d = 1, k = " << o.k << ", uniform01, importances (1, ratio)\n"
            << "  boundary p* (antipodal pair below, one feature above; bisection in log p to relative width "
            << to_decimal(o.tol, 3) << "):\n";
  for (const auto& [r, b] : boundaries) std::cout << "    ratio " << r << "  p* = " << b << "\n";
  std::cout << "  wrote " << (dir / "phase.csv").string() << ", " << (dir / "boundary.csv").string()
            << (o.no_plot ? "" : ", " + (dir / "phase.png").string()) << "\n";
}

// ---------------------------------------------------------------------------------------------------------------
// relu compare
// ---------------------------------------------------------------------------------------------------------------

struct ReluCompareFlags {
  int d = 2, n = 5, starts = 16, max_evals = 3000;
  std::string p, m = "1,3,5", law = "uniform", out, format = "text";
  std::uint64_t seed = 1;
  bool no_limit = false, no_plot = false;

  relu::CompareOptions options() const {
    relu::CompareOptions c;
    c.d = d;
    c.n = n;
    c.powers.clear();
    for (const std::string& t : split(m, ',')) {
      std::size_t used = 0;
      int v = 0;
      try {
        v = std::stoi(t, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != t.size())
        throw InputError("--m: '" + escape_excerpt(t) + "' is not an integer (accepted: odd powers 1.." +
                         std::to_string(kMaxPower) + ", comma-separated)");
      c.powers.push_back(v);
    }
    c.law = law;
    c.relu_starts = c.power_starts = starts;
    c.seed = seed;
    c.max_evals = max_evals;
    return c;
  }
  void validate() const {
    check_format(format, {"text", "md", "csv", "json"});
    options().validate();
    for (const GridP& q : parse_p_grid(p, "--p")) {
      check_probability(q.value);
      for (int power : options().powers) check_double_range(Law::parse(law), power, q.value);
    }
    if (!out.empty()) check_output_folder(out, "--out");
  }
};

void run_relu_compare(const ReluCompareFlags& o) {
  o.validate();
  relu::CompareOptions c = o.options();
  const std::vector<GridP> ps = parse_p_grid(o.p, "--p");
  const int per_point = 1 + static_cast<int>(c.powers.size());
  const long long total = static_cast<long long>(ps.size()) * per_point + (o.no_limit ? 0 : 1);
  ProgressBar bar("relu compare", "optima", o.format != "text");
  long long before = 0;
  c.progress = [&](int done, int) { bar.update(before + done, total); };
  std::vector<relu::VerySparsePrediction> predictions;
  if (!o.no_limit) {  // first: each power search also starts from its first-order optimum
    predictions = relu::very_sparse_predictions(c);
    bar.update(++before, total);
  }
  std::vector<relu::ComparePoint> points;
  for (const GridP& q : ps) {
    points.push_back(relu::compare_models(q.value, c, predictions));
    before += per_point;
  }
  bar.clear();
  std::cout << relu::render_compare(c, ps, points, predictions, o.format);
  if (!o.out.empty()) {
    const std::vector<std::string> written = relu::write_compare_outputs(c, ps, points, predictions, o.out, !o.no_plot);
    if (o.format == "text" || o.format == "md")
      for (const std::string& w : written) std::cout << "wrote " << w << "\n";
  }
}

}  // namespace

void register_relu(CLI::App& app) {
  CLI::App* relu = app.add_subcommand(
      "relu", std::string("The ReLU toy model of Elhage et al. (2022), 'Toy Models of Superposition': exact expected "
                          "losses, optimal weights, phase diagrams, the notebook's training, Elhage's metrics.\n") +
                  kNotation + "Loss L = sum_i I_i E(x_i - ReLU((W_dec^T W x + b)_i)^k)^2; x_i = v_i with probability "
                              "p_i, else 0.");
  relu->require_subcommand(1);

  auto lo = std::make_shared<ReluLossFlags>();
  CLI::App* loss = relu->add_subcommand(
      "loss",
      std::string("Exact expected loss of given W (and b, W_dec) by summing over active sets (n <= ") +
          std::to_string(relu::kMaxExactFeatures) +
          "; uniform01 values):\n"
          "closed form in double with per-block widening, the ladder double -> MPFR-50 -> MPFR-100 -> exact when\n"
          "digits are lost; --exact for rationals. --mc-samples adds a Monte Carlo estimate with its standard error,\n"
          "--low-order the terms of p^0, p^1, p^2 (any n). Every number says which route produced it.\n" +
          kNotation +
          "Example: superpose relu loss --weights W.csv --bias 0,-0.1 --p 0.1 --importance geometric:0.9");
  loss->add_option("--weights", lo->weights,
                   "W: a CSV file with d lines of n numbers (decimals or fractions), or a .npy file")
      ->required();
  loss->add_option("--decoder", lo->decoder, "W_dec (untied model): a file like --weights; default tied (W_dec = W)");
  loss->add_option("--bias", lo->bias, "biases b: one value or n comma-separated values (default 0)");
  add_problem_options(loss, *lo);
  loss->add_option("--digits", lo->digits, "working precision: 16 (double), 50 or 100 (MPFR)")->capture_default_str();
  loss->add_flag("--exact", lo->exact, "exact rational arithmetic (W, b, p read exactly); prints num/den");
  loss->add_option("--mc-samples", lo->mc_samples, "also estimate the loss by Monte Carlo with this many samples (0: no)")
      ->capture_default_str();
  loss->add_option("--seed", lo->seed, "seed of the Monte Carlo samples (mt19937_64)")->capture_default_str();
  loss->add_flag("--low-order", lo->low_order, "also print c0, c1, c2 of L = c0 + c1 t + c2 t^2 + O(t^3), t = max p");
  loss->add_option("--format", lo->format, "output: text, json or csv")->capture_default_str();
  check_values_as_typed(loss);
  loss->callback([lo]() { run_relu_loss(*lo); });

  auto oo = std::make_shared<ReluOptimizeFlags>();
  CLI::App* opt = relu->add_subcommand(
      "optimize",
      "Optimal W and b (W_dec with --untied) minimising the exact loss: NLopt L-BFGS from structured starts\n"
      "(unsuperposed, antipodal pairs, triangles, squares, pentagons, tetrahedra, square antiprisms) and random\n"
      "ones, then a Newton polish in MPFR-50; the loss printed is the exact loss of the weights printed.\n" +
          std::string(kNotation) +
          "Example: superpose relu optimize --d 1 --n 2 --p 0.05 --importance 1,0.9");
  opt->add_option("--d", oo->d, "hidden width d (Elhage's m)")->required();
  opt->add_option("--n", oo->n, "number of features n (at most " + std::to_string(relu::kMaxExactFeatures) + ")")
      ->required();
  add_problem_options(opt, *oo);
  opt->add_flag("--untied", oo->untied, "a separate decoder W_dec (default: tied, W_dec = W)");
  opt->add_option("--starts", oo->starts, "number of starts (structured first, then random)")->capture_default_str();
  opt->add_option("--seed", oo->seed, "seed of the random starts (mt19937_64)")->capture_default_str();
  opt->add_option("--max-evals", oo->max_evals, "NLopt evaluations per start")->capture_default_str();
  opt->add_flag("--no-polish", oo->no_polish, "skip the MPFR-50 Newton polish");
  opt->add_option("--format", oo->format, "output: text, json or csv (one line per start)")->capture_default_str();
  check_values_as_typed(opt);
  opt->callback([oo]() { run_relu_optimize(*oo); });

  auto ph = std::make_shared<ReluPhaseFlags>();
  CLI::App* phc = relu->add_subcommand(
      "phase",
      "Phase diagram of n = 2 features in d = 1 dimension over (relative importance I_2/I_1, p): at each grid point\n"
      "the optimal one-feature and antipodal-pair configurations (local searches on the exact loss) and the winner;\n"
      "for each importance ratio the boundary p* located by bisection in log p. Ratios above 1 mirror those below.\n"
      "--n 3 --d 2: importances (1, 1, ratio); candidates two dedicated features (third off), an antipodal pair\n"
      "beside a dedicated feature, a triangle, each a local search on the exact loss, checked by a multi-start\n"
      "(--check-starts); where the winner changes along p, the boundary by bisection in log p on the two\n"
      "configurations' exact losses. Writes phase.csv, boundary.csv and phase.png (gnuplot) to --out.\n" +
          std::string(kNotation) + "Example: superpose relu phase --n 2 --d 1 --p 0.01:1:12 --ratio 0.1:1:10");
  phc->add_option("--d", ph->d, "hidden width d (Elhage's m): 1 (with n = 2) or 2 (with n = 3)")->capture_default_str();
  phc->add_option("--n", ph->n, "number of features n: 2 (with d = 1) or 3 (with d = 2)")->capture_default_str();
  phc->add_option("--p", ph->p, "grid of feature probabilities: v1,v2,... or lo:hi:count (log-spaced)")
      ->capture_default_str();
  phc->add_option("--ratio", ph->ratio, "grid of importance ratios (n = 2: I_2/I_1; n = 3: I_3/I_1 with I_1 = I_2 = 1), "
                                        "same grammar as --p")
      ->capture_default_str();
  phc->add_option("--check-starts", ph->check_starts,
                  "n = 3: starts of the multi-start check at each grid point (0: none)")
      ->capture_default_str();
  phc->add_option("--k", ph->k, "activation power k: 1, 2 or 3 (output ReLU(t)^k)")->capture_default_str();
  phc->add_option("--tol", ph->tol, "relative width in p of the bisection bracket of each boundary")
      ->capture_default_str();
  phc->add_option("--max-evals", ph->max_evals, "NLopt evaluations per local search")->capture_default_str();
  phc->add_option("--out", ph->out, "output folder")->capture_default_str();
  phc->add_flag("--no-plot", ph->no_plot, "write the CSV files only (no gnuplot)");
  phc->add_option("--format", ph->format, "standard output: text or csv (the boundaries)")->capture_default_str();
  check_values_as_typed(phc);
  phc->callback([ph]() { run_relu_phase(*ph); });

  auto co = std::make_shared<ReluCompareFlags>();
  CLI::App* cmp = relu->add_subcommand(
      "compare",
      "The ReLU model beside the power model at the same (n, d, p): at each p the ReLU optimum (k = 1, tied, exact\n"
      "loss, uniform01 values: Elhage's setting) and the power optimum for each m (`superpose optimize`'s search, the\n"
      "symmetric --law; default uniform on [-1,1], whose |xi| is U[0,1]: both models then have zero_loss = n p/3);\n"
      "loss/zero_loss, gain/p, effective features, Elhage's metrics and shapes, max |cos|, and the distance of each\n"
      "W^T W to the ReLU one after the best relabelling; then the power model's very sparse limit c_mu F*_n(d,m) and\n"
      "its first-order optimum (also a start of each power search) against the ReLU optimum at the smallest p.\n"
      "Importances are all 1.\n" +
          std::string(kNotation) + "Example: superpose relu compare --n 5 --d 2 --p 0.01,0.1,1 --m 1,3,5");
  cmp->add_option("--d", co->d, "hidden width d (Elhage's m)")->capture_default_str();
  cmp->add_option("--n", co->n, "number of features n (at most " + std::to_string(relu::kMaxExactFeatures) + ")")
      ->capture_default_str();
  cmp->add_option("--p", co->p, "grid of feature probabilities: v1,v2,... or lo:hi:count (log-spaced)")->required();
  cmp->add_option("--m", co->m, "powers m of the power model: comma-separated odd integers")->capture_default_str();
  cmp->add_option("--law", co->law, "the power model's symmetric law (rademacher, gaussian, uniform, laplace, "
                                    "discrete:v1:w1,...); the ReLU model's values are uniform01")
      ->capture_default_str();
  cmp->add_option("--starts", co->starts, "starts of each optimisation (structured first, then random)")
      ->capture_default_str();
  cmp->add_option("--seed", co->seed, "seed of the random starts (mt19937_64)")->capture_default_str();
  cmp->add_option("--max-evals", co->max_evals, "NLopt evaluations per start")->capture_default_str();
  cmp->add_flag("--no-limit", co->no_limit, "skip the very sparse prediction (the first-order searches)");
  cmp->add_option("--out", co->out, "also write compare.csv and compare.png (gnuplot) to this folder");
  cmp->add_flag("--no-plot", co->no_plot, "with --out: the CSV file only (no gnuplot)");
  cmp->add_option("--format", co->format, "output: text, md, csv or json")->capture_default_str();
  check_values_as_typed(cmp);
  cmp->callback([co]() { run_relu_compare(*co); });

  register_relu_train(*relu);  // relu train, relu metrics (apps/cmd_relu_train.cpp)
}

}  // namespace superpose::cli
