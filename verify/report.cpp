// Table rendering and the Figure 3 report (verify/verify.hpp).
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <sstream>

namespace superpose {

namespace {

const Bound<Real50>& find(const BoundRow<Real50>& r, const std::string& name) {
  for (const auto& b : r.bounds)
    if (b.name == name) return b;
  throw std::logic_error("report: missing bound " + name);
}

std::string g(const Real50& x, int digits = 6) { return to_decimal(x, digits); }

bool proved(BoundStatus st) { return st == BoundStatus::proved_here || st == BoundStatus::proved_in_paper; }

/// One line of a headline table: the bracket [certified lower, proved upper] on sup L̃ at one p.
struct Headline {
  Real50 p;
  std::string regime;
  Real50 lower;              // best certified lower bound: a proved lower bound, a construction in closed form, or
  std::string lower_name;    // the lower end of an engine construction's enclosure (certify_found)
  std::string lower_text, lower_csv;  // `lower` rounded down to 6 and 50 significant digits (a lower bound still)
  std::string certified_by;  // the arithmetic the certified lower bound rests on
  CertifiedReal lower_certified;  // the certified lower bound itself: exact (closed form) or an enclosure
  Real50 found;              // best construction evaluated by the engine (its precision stated, not certified)
  std::string found_name, found_precision;
  const ConstructionValue<Real50>* found_value = nullptr;  // that construction (null: a closed form is best)
  Real50 upper;              // best (smallest) proved upper bound
  std::string upper_name;
  Real50 first_order;        // c_μ·F*_n(d,m)·p (upper end of fstar_n_bracket), with its status in this setting
  std::string first_order_status;
};

/// Sets the certified lower bound from its exact value or enclosure; its cells show the lower end rounded down.
void set_lower(Headline& h, const CertifiedReal& x, std::string how) {
  h.lower_certified = x;
  // An exact value that `digits` digits represent exactly is printed as it is (6e-05, not 5.99999e-05); otherwise
  // the enclosure's lower end rounded down.
  auto text = [&](int digits) {
    if (x.exact) {
      const std::string t = rational_to_decimal(*x.exact, digits);
      if (parse_rational(t, "lower bound") == *x.exact) return t;
    }
    // The lower end rounded down to `digits` digits is a decimal of at most `digits` significant digits, so printing
    // it again with `digits` digits (in the notation of the other cells) reproduces it exactly.
    return rational_to_decimal(parse_rational(interval_to_decimal(x.enclosure, digits).first, "lower bound"), digits);
  };
  h.lower_text = text(6);
  h.lower_csv = text(50);
  h.certified_by = std::move(how);
}

/// The headline of one row of a bound table. Lower side: bounds with status proved-in-paper, proved-here, or
/// construction in closed form (precision "exact"/MPFR of a closed formula: `unsuperposed`, paper Eq. 9); the
/// constructions evaluated by the engine (random tight frames, in double at n = 6000) are reported beside it as
/// "best found" (a floating-point value) and become the certified lower bound only through certify_found. Upper
/// side: the smallest bound with status proved-in-paper or proved-here and side upper or exact.
Headline headline(const Setting& s, const Rational& p, const BoundRow<Real50>& row,
                  const std::vector<ConstructionValue<Real50>>& engine_constructions) {
  Headline h{row.p, row.regime, Real50(0), "", "", "", "", {}, Real50(0), "", "", nullptr, Real50(0), "", Real50(0), ""};
  bool have_upper = false;
  for (const auto& b : row.bounds) {
    const bool lower_side = b.side == BoundSide::lower || b.side == BoundSide::exact;
    const bool upper_side = b.side == BoundSide::upper || b.side == BoundSide::exact;
    if (lower_side && (proved(b.status) || (b.status == BoundStatus::construction && b.detail.empty())) &&
        (h.lower_name.empty() || b.value > h.lower)) {
      h.lower = b.value;
      h.lower_name = b.name;
    }
    if (upper_side && proved(b.status) && (!have_upper || b.value < h.upper)) {
      h.upper = b.value;
      h.upper_name = b.name;
      have_upper = true;
    }
    if (b.name == "first_order_limit") {
      h.first_order = b.value;
      h.first_order_status = std::string(to_string(b.status));
    }
  }
  if (!have_upper) throw std::logic_error("report: no proved upper bound at p = " + g(row.p));
  h.found = h.lower;
  h.found_name = h.lower_name;
  h.found_precision = "closed form";
  for (const auto& c : engine_constructions)
    if (c.gain > h.found) {
      h.found = c.gain;
      h.found_name = c.name + (c.detail.empty() ? "" : " (" + c.detail + ")");
      h.found_precision = c.precision;
      h.found_value = &c;
    }
  // The closed-form lower bound is the unsuperposed W's gain p·min(d, n)·c_μ (paper Eq. 9), exact at the rational p.
  // For m = 1 the proved `linear` row (side exact) has the same value p·min(d, n)·μ₂, μ₂ = c_μ at m = 1.
  if (h.lower_name != "unsuperposed" && h.lower_name != "linear")
    throw std::logic_error("report: the closed-form lower bound at p = " + g(row.p) + " is " + h.lower_name +
                           ", which has no exact form here (add it)");
  set_lower(h, CertifiedReal::of(p * std::min(s.d, s.n) * s.law.c_mu(s.m)), "closed form (exact rationals)");
  return h;
}

/// When the best construction found beats the closed-form lower bound, encloses its gain at the best scale
/// (Constructions::enclose_scaled_gain: double intervals, outward rounding, at the exact p of the grid) and makes
/// the enclosure's lower end the certified lower bound if it still beats the closed form.
void certify_found(Headline& h, const Constructions<Real50>& cons, const Rational& p) {
  if (h.found_value == nullptr) return;
  const std::optional<Interval> enc = cons.enclose_scaled_gain(*h.found_value, p);
  if (!enc) return;
  const Real50 lo = from_rational<Real50>(parse_rational(interval_to_decimal(*enc, 50).first, "lower end"));
  if (!(lo > h.lower)) return;
  h.lower = lo;
  h.lower_name = h.found_name;
  set_lower(h, CertifiedReal::of(*enc), "interval<double> enclosure, " + std::to_string(interval_digits(*enc)) + " digits");
}

/// Writes dir/headline_<stem>.{svg,png}: the bracket against p on log-log axes (gnuplot; ToolError if missing).
void plot_headline(const std::string& dir, const std::string& stem, const std::string& title) {
  std::ostringstream gp;
  const std::string csv = "headline_" + stem + ".csv";
  auto one = [&](const std::string& terminal, const std::string& file) {
    gp << "set terminal " << terminal << "\nset output '" << file << "'\n"
       << "set datafile separator ','\nset logscale xy\nset format x '10^{%L}'\nset format y '10^{%L}'\n"
       << "set grid lc rgb '#dddddd'\nset key top left box opaque font ',10'\n"
       << "set xlabel 'feature probability p'\nset ylabel 'gain'\nset title '" << title << "'\n"
       << "plot '" << csv << "' skip 1 using 1:7 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#d62728' "
          "title 'best proved upper bound', \\\n"
       << "  '' skip 1 using 1:4 with linespoints pt 5 ps 0.5 lw 1.5 lc rgb '#1f77b4' "
          "title 'best construction found (engine, double estimate)', \\\n"
       << "  '' skip 1 using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#2ca02c' "
          "title 'best certified lower bound', \\\n"
       << "  '' skip 1 using 1:10 with lines dt 2 lw 1.2 lc rgb '#7f7f7f' title 'c_{/Symbol m} F^*_n(d,m) p'\n"
       << "unset output\n";
  };
  one("svg size 800,560 dynamic enhanced font 'DejaVu Sans,12' background rgb 'white'", "headline_" + stem + ".svg");
  one("pngcairo size 900,630 enhanced font 'DejaVu Sans,11' background rgb 'white'", "headline_" + stem + ".png");
  run_gnuplot(dir, "headline_" + stem, gp.str());
}

}  // namespace

namespace {

// The reduced Figure 3 sweep of the report.
SweepConfig sweep_config(const ReportConfig& cfg) {
  SweepConfig sc;
  sc.d = cfg.sweep_d;
  sc.n = cfg.sweep_n;
  sc.m = cfg.m;
  sc.law = cfg.sweep_law;
  sc.points = cfg.sweep_points;
  sc.seed = cfg.seed;
  sc.out_dir = cfg.out_dir + "/sweep";
  sc.force = true;  // the report rewrites its folder
  // Cheaper than the `superpose sweep` defaults, to keep `make demo` short: the best construction besides the warm
  // start at every point, no random start, no self-check.
  sc.structured_starts = 1;
  sc.random_starts = 0;
  sc.check_points = 0;
  sc.max_evals = 150;  // per start; with two starts a point this keeps make demo near its old time (docs/cli.md)
  return sc;
}

}  // namespace

void ReportConfig::validate() const {
  check_power(m);
  if (d_values.empty() || laws.empty()) throw InputError("report: needs at least one d and one law");
  if (n < 1) throw InputError("--n: the number of features must be an integer >= 1 (got " + std::to_string(n) + ")");
  if (points < 2 || points > 200)
    throw InputError("--points: the p values per table must be an integer in 2..200 (got " + std::to_string(points) + ")");
  for (int d : d_values)
    for (const std::string& law : laws) {
      const Setting s(d, n, m, Law::parse(law));
      check_size_memory(constructions_memory_bytes(s, 50), d, n,
                        "the constructions of the report at d = " + std::to_string(d) + ", n = " + std::to_string(n),
                        "lower --n", "--n");
    }
  if (with_sweep) {
    if (sweep_n < 1)
      throw InputError("--sweep-n: the number of features of the sweep must be an integer >= 1 (got " +
                       std::to_string(sweep_n) + ")");
    if (sweep_points < 2 || sweep_points > 200)
      throw InputError("--sweep-points: the p values of the sweep must be an integer in 2..200 (got " +
                       std::to_string(sweep_points) + ")");
    const SweepConfig sc = sweep_config(*this);
    check_size_memory(sweep_memory_bytes(sc), sc.d, sc.n,
                      "the reduced sweep at d = " + std::to_string(sc.d) + ", n = " + std::to_string(sc.n),
                      "lower --sweep-n", "--sweep-n");
    sc.validate();
  }
  check_output_folder(out_dir, "--out");
}

std::string write_report(const ReportConfig& cfg, const std::function<void(int, int, const std::string&)>& progress) {
  cfg.validate();  // before anything is written
  ensure_directory(cfg.out_dir);
  const auto t0 = std::chrono::steady_clock::now();
  std::ostringstream intro, head, md;  // the report is intro, then the headline tables, then the details
  intro << "# superpose report: bounds on the optimal gain in the setting of Figure 3\n\n"
     << "Model: tied power autoencoder x -> (WᵀWx)^m, m = " << cfg.m << ", n = " << cfg.n
     << " features, no bias (Basu Roy Chowdhury & Weiner, arXiv 2606.18538, Figure 3: m = 3, d = 10 and 15, "
        "n = 6000). The gain L̃(W) = 2E<x,φ(Ax)> − E‖φ(Ax)‖² (paper Eq. 7) is the loss saved against W = 0; "
        "loss = p·n·μ₂ − L̃. Every value below is a gain.\n\n"
     << "Statuses: `proved-in-paper`, `proved-here` (docs/theory.md), `conjecture`, `unreviewed-claim`, "
        "`construction` (exact gain of an explicit W, so a true lower bound on sup L̃), `order` (an asymptotic "
        "shape with unknown constants, never a guarantee).\n\n"
     << "Precision: closed-form bounds are computed at 50 significant digits (MPFR) and shown here with 6; the CSV "
        "files keep all 50. Constructions at n = " << cfg.n << " are evaluated by the exact engine in double (16 "
        "digits; the engine's double path is tested to relative error 1e-13 against exact rationals), as the "
        "precision column says; the one that gives a headline row its certified lower bound is enclosed as well "
        "(below).\n\n"
     << "Regenerate with `superpose report --out " << cfg.out_dir << "`.\n\n";
  head << "## How far the question is from closed\n\n"
       << "For each setting and p: the best **certified** lower bound on sup L̃, the best **proved** upper bound "
          "(status proved-in-paper or proved-here), their ratio, and which bound is active on each side. `best "
          "found` is the best explicit construction evaluated by the engine (random tight frames at their optimal "
          "scale, in floating point: an estimate). The certified lower bound is the larger of the closed-form "
          "lower bounds (a proved lower bound, or a construction whose gain is a closed formula, in MPFR at 50 "
          "digits) and the certified value of that best construction: its C and D enclosed by the engine in "
          "double-interval arithmetic with outward rounding (boost::numeric::interval<double>, FE_UPWARD; the "
          "weights are the doubles the construction was made of, p the exact grid value), and the lower end of "
          "C²/D, the gain at the best scale. `certified by` names which arithmetic each cell rests on; `lower ≤ "
          "upper` is the certified verdict on the certified lower bound against the active proved upper bound, "
          "that bound evaluated exactly at the rational p (`pass (certified)`; `VIOLATION` would mean a proved "
          "bound or the program is wrong, and is listed at the top; `undecided` if the enclosures overlap). Certified "
          "lower bounds are rounded down to 6 significant digits (50 in `headline_*.csv`); other cells show 6 "
          "significant digits. The figures plot the same bracket against p.\n\n";
  const int total = static_cast<int>(cfg.d_values.size() * cfg.laws.size());
  int done = 0;
  std::vector<std::string> violations;  // certified lower bounds above a proved upper bound (none expected)
  for (int d : cfg.d_values)
    for (const std::string& law_name : cfg.laws) {
      Setting s(d, cfg.n, cfg.m, Law::parse(law_name));
      Real50 dm = 1;
      for (int i = 0; i < cfg.m; ++i) dm *= d;
      // The one p-grid grammar (numerics/): the same points as `bounds --p 1/(100*d^m):1:points`.
      Rational dmq = 1;
      for (int i = 0; i < cfg.m; ++i) dmq *= d;
      std::vector<Real50> ps;
      std::vector<Rational> ps_exact;  // the same p, exactly (the enclosures are taken there)
      for (const GridP& gp : parse_p_grid("1/" + Rational(dmq * 100).str() + ":1:" + std::to_string(cfg.points), "--points")) {
        ps.push_back(from_rational<Real50>(gp.value));
        ps_exact.push_back(gp.value);
      }
      std::vector<BoundRow<Real50>> closed = bound_table<Real50>(s, ps, false);
      Constructions<Real50> cons(s, cfg.seed);
      const std::string stem = fmt::format("d{}_{}", d, law_name);
      write_file_atomic(cfg.out_dir + "/bounds_" + stem + ".csv", render_table(closed, s, "csv", 50));

      md << "## d = " << d << ", law = " << law_name << "\n\n"
         << "c_μ = μ_{m+1}²/μ_{2m} = " << s.law.c_mu(s.m).str() << ", F*(d,m) = " << f_star(d, s.m).str()
         << "; very sparse limit c_μ·F*_n(d,m)·p at n = " << cfg.n << ", " << fstar_n_bracket(d, s.m, cfg.n).describe()
         << ", C(d+m−1,m) = " << sym_dim(d, s.m).str() << "; regime boundaries p = d^−m = " << g(Real50(1) / dm)
         << " and p = d^(1−m) = " << g(Real50(d) / dm) << ".\n\n"
         << "### Closed-form bounds (6 significant digits; 50 in `bounds_" << stem << ".csv`)\n\n"
         << render_table(closed, s, "md", 6) << "\n";

      std::ostringstream csv, hcsv;
      hcsv << "p,certified_lower,certified_lower_bound,best_found,best_found_construction,best_found_precision,"
              "proved_upper,proved_upper_bound,ratio_upper_over_lower,first_order_limit,first_order_limit_status,"
              "certified_lower_arithmetic,lower_le_upper\n";
      head << "### d = " << d << ", law = " << law_name << " (m = " << cfg.m << ", n = " << cfg.n << ")\n\n"
           << "| p | regime | certified lower | active lower | certified by | best found | proved upper | active upper | "
              "upper ÷ lower | lower ≤ upper | c_μF*_n·p (status) |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
      csv << "p,regime,construction,features,gain,gain_over_p,ratio_to_tensor_rank_upper,"
             "ratio_to_first_order_limit,position,precision,detail\n";
      md << "### Constructions and where they sit (also `constructions_" << stem << ".csv`)\n\n"
         << "`position` = (gain − unsuperposed)/(best proved upper bound − unsuperposed): 0 at the best diagonal W, 1 "
            "at the smallest proved upper bound at that p. `÷ first_order_limit` above 1 would refute the conjecture sup L̃ ≤ c_μ·F*_n·p (F*_n at the upper end of its certified bracket).\n\n"
         << "| p | regime | construction | features | gain | gain/p | ÷ tensor_rank_upper | ÷ first_order_limit | "
            "position | precision |\n|---|---|---|---|---|---|---|---|---|---|\n";
      for (size_t r = 0; r < closed.size(); ++r) {
        const BoundRow<Real50>& row = closed[r];
        const Real50 unsup = find(row, "unsuperposed").value;
        const Real50 upper = find(row, "tensor_rank_upper").value;
        // position: bound_position on the closed-form row, whose only construction is `unsuperposed`, so it runs from
        // the unsuperposed value to the best (smallest) proved upper bound, e.g. gaussian_stein_upper when it wins.
        const Real50 folim = find(row, "first_order_limit").value;
        std::vector<ConstructionValue<Real50>> values = cons.at(row.p);
        Headline h = headline(s, ps_exact[r], row, values);
        certify_found(h, cons, ps_exact[r]);
        h.found_value = nullptr;  // points into `values`, which the constructions table below modifies
        // Certified verdict: certified lower <= the active proved upper bound, that bound evaluated exactly (or
        // enclosed) at the rational p. "greater" would mean a proved bound or the program is wrong.
        std::string verdict = "no exact form";
        for (const CertifiedBound& u : certified_upper_bounds(s, ps_exact[r], fstar_n_bracket(s.d, s.m, s.n))) {
          if (u.name != h.upper_name) continue;
          const CertifiedOrder o = certified_compare(h.lower_certified, u.value);
          verdict = o == CertifiedOrder::greater   ? "VIOLATION"
                    : o == CertifiedOrder::undecided ? "undecided"
                                                     : "pass (certified)";
          if (o == CertifiedOrder::greater) {
            const std::string line = "report: VIOLATION: the certified lower bound " + h.lower_csv + " (" +
                                     h.lower_name + ", " + h.certified_by + ") exceeds the proved upper bound " +
                                     u.name + " = " + certified_to_decimal(u.value, 20) + " (" + u.citation +
                                     ") at d = " + std::to_string(s.d) + ", n = " + std::to_string(s.n) +
                                     ", law = " + law_name + ", p = " + ps_exact[r].str() +
                                     ": the bound or the program is wrong; please report it";
            std::cerr << line << "\n";
            violations.push_back(line);
          }
        }
        head << "| " << g(h.p) << " | " << h.regime << " | " << h.lower_text << " | " << h.lower_name << " | "
             << h.certified_by << " | " << g(h.found) << " | " << g(h.upper) << " | " << h.upper_name << " | "
             << g(h.upper / h.lower) << " | " << verdict << " | " << g(h.first_order) << " ("
             << h.first_order_status << ") |\n";
        hcsv << to_decimal(h.p, 50) << "," << h.lower_csv << ",\"" << h.lower_name << "\","
             << to_decimal(h.found, h.found_precision == "double" ? 17 : 50) << ",\"" << h.found_name << "\","
             << h.found_precision << "," << to_decimal(h.upper, 50) << "," << h.upper_name << ","
             << to_decimal(Real50(h.upper / h.lower), 50) << "," << to_decimal(h.first_order, 50) << ","
             << h.first_order_status << ",\"" << h.certified_by << "\"," << verdict << "\n";
        values.insert(values.begin(), ConstructionValue<Real50>{"unsuperposed", unsup, std::min(d, cfg.n),
                                                                 "50 digits", "closed form, paper Eq. (9)", -1});
        for (const auto& c : values) {
          const Real50 position = bound_position(row.bounds, c.gain).position;
          const int out_digits = c.precision == "double" ? 17 : 50;
          md << "| " << g(row.p) << " | " << row.regime << " | " << c.name << " | " << c.features << " | "
             << g(c.gain, 8) << " | " << g(c.gain / row.p, 8) << " | " << g(c.gain / upper) << " | "
             << g(c.gain / folim) << " | " << g(position, 4) << " | " << c.precision << " |\n";
          csv << to_decimal(row.p, 50) << "," << row.regime << "," << c.name << "," << c.features << ","
              << to_decimal(c.gain, out_digits) << "," << to_decimal(Real50(c.gain / row.p), out_digits) << ","
              << g(c.gain / upper, 17) << "," << g(c.gain / folim, 17) << "," << g(position, 17) << ","
              << c.precision << ",\"" << c.detail << "\"\n";
        }
      }
      md << "\n";
      write_file_atomic(cfg.out_dir + "/constructions_" + stem + ".csv", csv.str());
      write_file_atomic(cfg.out_dir + "/headline_" + stem + ".csv", hcsv.str());
      head << "\n";
      try {
        plot_headline(cfg.out_dir, stem,
                      fmt::format("Bracket on sup gain: d = {}, n = {}, m = {}, {} inputs", d, cfg.n, cfg.m, law_name));
        head << "![bracket on sup gain against p, d = " << d << ", " << law_name << "](headline_" << stem
             << ".png)\n\n";
      } catch (const std::exception& e) {
        head << "(figure not drawn: " << e.what() << ")\n\n";
      }
      ++done;
      if (progress) progress(done, total, stem);
    }
  if (cfg.with_sweep) {
    const SweepConfig sc = sweep_config(cfg);
    SweepResult sr = run_sweep(sc, [&](int done, int total, double) {
      if (progress) progress(done, total, "sweep");
    });
    md << "## Figure 3 of the paper, reduced: optimal gain against p (d = " << sc.d << ", n = " << sc.n
       << ", m = " << sc.m << ", law = " << sc.law << ")\n\n"
       << "Each point is the best gain found by L-BFGS on the exact gain (double), warm-started from its neighbour "
          "and from the constructions; these are lower bounds on sup L̃ (optimised, not certified). The paper's "
          "Figure 3 uses n = 6000; `superpose sweep --d 10 --n 6000 --points 30 --out DIR` runs it in full "
          "(docs/performance.md). Data: `sweep/sweep.csv`.\n\n";
    try {
      std::vector<std::string> figs = plot_sweep(sr, sc);
      md << "![log_d gain against log_d p](sweep/sweep.png)\n\n";
    } catch (const std::exception& e) {
      md << "(figure not drawn: " << e.what() << ")\n\n";
    }
    md << "| p | regime | gain | gain/p | ÷ c_μF*_n·p | local slope |\n|---|---|---|---|---|---|\n";
    for (const SweepPoint& pt : sr.points)
      md << "| " << to_decimal(pt.p_value, 4) << " | " << regime(sc.d, sc.m, pt.p_value) << " | "
         << to_decimal(pt.gain, 8) << " | " << to_decimal(pt.gain / pt.p_value, 6) << " | "
         << to_decimal(pt.gain / pt.first_order_limit, 4) << " | " << to_decimal(pt.slope, 3) << " |\n";
    md << "\n";
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  md << "---\nGenerated by superpose in " << fmt::format("{:.1f}", secs) << " s.\n";
  const std::string path = cfg.out_dir + "/report.md";
  std::string loud;
  if (!violations.empty()) {
    loud = "## VIOLATIONS\n\nA certified lower bound exceeds a proved upper bound: the bound or the program is "
           "wrong.\n\n";
    for (const auto& v : violations) loud += "* " + v + "\n";
    loud += "\n";
  }
  write_file_atomic(path, intro.str() + loud + head.str() + md.str());
  return path;
}

}  // namespace superpose
