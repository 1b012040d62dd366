// The Figure 3 sweep and its plot (verify/verify.hpp, section "sweep"; issue 3).
#include "verify/verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>


namespace superpose {

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// sweep
// ---------------------------------------------------------------------------------------------------------

namespace {

using Vec = std::vector<double>;

std::string sweep_csv(const SweepResult& res, double logd) {
  std::ostringstream o;
  o << "p,p_value,log_d_p,log_d_gain,local_slope,gain,gain_over_p,first_order_limit,tensor_rank_upper,represented,"
       "evals,start,train_gain,log_d_train_gain,seconds\n";
  for (const auto& pt : res.points) {
    o << pt.p << "," << to_decimal(pt.p_value, 17) << "," << to_decimal(pt.log_d_p, 17) << ","
      << to_decimal(pt.log_d_gain, 17) << "," << to_decimal(pt.slope, 17) << "," << to_decimal(pt.gain, 17) << ","
      << to_decimal(pt.gain / pt.p_value, 17) << "," << to_decimal(pt.first_order_limit, 17) << ","
      << to_decimal(pt.tensor_rank_upper, 17) << "," << pt.represented << "," << pt.evals << "," << pt.start << ","
      << to_decimal(pt.train_gain, 17) << ","
      << (pt.train_gain > 0 ? to_decimal(std::log(pt.train_gain) / logd, 17) : std::string("")) 
      << "," << fmt::format("{:.2f}", pt.seconds) << "\n";
  }
  return o.str();
}

void update_slopes(std::vector<SweepPoint>& pts) {
  const size_t k = pts.size();
  for (size_t i = 0; i < k; ++i) {
    if (k < 2) {
      pts[i].slope = 0;
      continue;
    }
    const size_t a = i == 0 ? 0 : i - 1, b = i + 1 == k ? i : i + 1;
    pts[i].slope = (pts[b].log_d_gain - pts[a].log_d_gain) / (pts[b].log_d_p - pts[a].log_d_p);
  }
}

}  // namespace

double sweep_memory_bytes(const SweepConfig& cfg) {
  const double d = cfg.d, n = cfg.n, starts = std::log2(std::max(2.0, n / d)) + 3;
  return sizeof(double) * (starts * (2 * d * n + n * (cfg.m + 1)) + 25 * d * n + n * n + 3 * d * d +
                           (cfg.with_train ? 6 * d * n : 0)) +
         evaluation_memory_bytes(d, n, cfg.m, 16, true);
}

void SweepConfig::validate() const {
  const Setting s(d, n, m, Law::parse(law));
  if (points < 2 || points > 1000) throw InputError("--points: must lie in 2..1000 (got " + std::to_string(points) + ")");
  if (!(p_min_factor > 0) || !std::isfinite(p_min_factor))
    throw InputError("--p-min-factor: must be a finite number > 0");
  if (max_evals < 1) throw InputError("--max-evals: must be at least 1 (got " + std::to_string(max_evals) + ")");
  if (with_train && train_steps < 1) throw InputError("--train-steps: must be at least 1");
  const double pmin = std::pow(static_cast<double>(d), -m) * p_min_factor;
  if (!(pmin < 1)) throw InputError("--p-min-factor: d^-m * factor must be below 1 (got " + to_decimal(pmin, 6) + ")");
  check_double_range(s.law, m, parse_rational(to_decimal(pmin, 12), "--p-min-factor"));
  (void)parse_p_grid(to_decimal(pmin, 12) + ":1:" + std::to_string(points), "--p-min-factor");
  check_output_folder(out_dir, "--out");
  check_size_memory(sweep_memory_bytes(*this), d, n, "sweep at d = " + std::to_string(d) + ", n = " + std::to_string(n),
                    "lower n or d");
}

SweepResult run_sweep(const SweepConfig& cfg, const std::function<void(int, int, double)>& progress) {
  cfg.validate();  // before out_dir is created: bad input leaves no folder
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  const int d = cfg.d, n = cfg.n, m = cfg.m;
  const double pmin = std::pow(static_cast<double>(d), -m) * cfg.p_min_factor;
  const std::vector<GridP> ps = parse_p_grid(to_decimal(pmin, 12) + ":1:" + std::to_string(cfg.points), "--p-min-factor");
  ensure_directory(cfg.out_dir);
  const double logd = std::log(static_cast<double>(d));
  const double c_fstar = static_cast<double>(s.law.c_mu(m) * f_star(d, m));
  const double mu2 = static_cast<double>(s.law.moment(2));
  const double rank_cap = std::min(static_cast<double>(n), static_cast<double>(sym_dim(d, m)));

  // Candidate starts whose power sums do not depend on p: the constructions of docs/theory.md §6.
  struct Candidate {
    std::string name;
    Matrix<double> W;
    RowPowerSums<double> sums;
  };
  std::vector<Candidate> cands;
  auto add = [&](std::string name, Matrix<double> W) {
    RowPowerSums<double> sums = row_power_sums(W, m);
    cands.push_back(Candidate{std::move(name), std::move(W), std::move(sums)});
  };
  for (NamedStart& st : structured_starts(d, n, m, cfg.seed)) add(st.kind, std::move(st.W));

  SweepResult res;
  res.csv_path = cfg.out_dir + "/sweep.csv";
  const auto t0 = std::chrono::steady_clock::now();
  Matrix<double> prev;
  for (size_t i = 0; i < ps.size(); ++i) {
    const auto t1 = std::chrono::steady_clock::now();
    const double p = from_rational<double>(ps[i].value);
    // Start: the best of the warm start and the constructions, each at its optimal overall scale.
    Matrix<double> W0;
    double g0 = -1;
    std::string start;
    if (prev.size()) {
      // gain(sW) = 2λC − λ²D with λ = s^{2m}: the best λ = C/D in closed form (best_scaled_gain).
      const ScaledGain<double> sg = best_scaled_gain(gain_terms(row_power_sums(prev, m), s.law, p), m);
      W0 = sg.scale > 0 ? Matrix<double>(prev * sg.scale) : prev;
      g0 = evaluate<double>(W0, m, s.law, p, /*with_gradient=*/false).gain;
      start = "warm";
    }
    for (const auto& c : cands) {
      ScaledGain<double> sg = best_scaled_gain(gain_terms(c.sums, s.law, p), m);
      if (sg.gain > g0 * (1 + 1e-12)) {
        g0 = sg.gain;
        W0 = c.W * sg.scale;
        start = c.name;
      }
    }
    // Optimise over the nonzero columns only: a zero column has zero gradient (every term of ∂L̃/∂W_i carries a
    // factor A_ij^{r−1}, r ≥ 2, or A_ii^{t−1}·W_i), so it stays zero, and the cost falls as features die.
    std::vector<Eigen::Index> active;
    for (int c : represented_columns(W0)) active.push_back(c);
    const Eigen::Index k = static_cast<Eigen::Index>(active.size());
    Matrix<double> Wc(d, k);
    for (Eigen::Index c = 0; c < k; ++c) Wc.col(c) = W0.col(active[c]);
    Objective f = [&](const Vec& x, Vec& grad) -> double {
      const Matrix<double> V = Eigen::Map<const Matrix<double>>(x.data(), d, k);
      if (grad.empty()) return evaluate<double>(V, m, s.law, p, /*with_gradient=*/false).gain / p;
      const Evaluation<double> ev = evaluate<double>(V, m, s.law, p, /*with_gradient=*/true);
      Eigen::Map<Matrix<double>>(grad.data(), d, k) = ev.grad / p;
      return ev.gain / p;
    };
    MaximizeOptions mo;
    mo.max_evals = cfg.max_evals;
    mo.ftol_rel = 1e-12;
    MaximizeResult r = maximize(f, Vec(Wc.data(), Wc.data() + Wc.size()), mo);
    Matrix<double> W = Matrix<double>::Zero(d, n);
    for (Eigen::Index c = 0; c < k; ++c) W.col(active[c]) = Eigen::Map<const Matrix<double>>(r.x.data(), d, k).col(c);
    SweepPoint pt;
    pt.p = ps[i].text;
    pt.p_value = p;
    pt.gain = evaluate<double>(W, m, s.law, p, /*with_gradient=*/false).gain;
    pt.log_d_p = std::log(p) / logd;
    pt.log_d_gain = std::log(pt.gain) / logd;
    pt.first_order_limit = c_fstar * p;
    pt.tensor_rank_upper = p * mu2 * rank_cap;
    pt.represented = static_cast<int>(represented_columns(W).size());
    pt.evals = r.evals;
    pt.start = start;
    if (cfg.with_train) {
      TrainConfig tc;
      tc.d = d;
      tc.n = n;
      tc.m = m;
      tc.law = cfg.law;
      tc.p = ps[i].value;
      tc.steps = cfg.train_steps;
      tc.seed = cfg.seed;
      pt.train_gain = train_gain(tc).gain;
    }
    pt.seconds = seconds_since(t1);
    prev = std::move(W);
    res.points.push_back(pt);
    update_slopes(res.points);
    res.seconds = seconds_since(t0);
    write_file_atomic(res.csv_path, sweep_csv(res, logd));
    if (progress) {
      const double per = res.seconds / static_cast<double>(i + 1);
      progress(static_cast<int>(i + 1), static_cast<int>(ps.size()), per * static_cast<double>(ps.size() - i - 1));
    }
  }
  return res;
}

std::vector<std::string> plot_sweep(const SweepResult& res, const SweepConfig& cfg) {
  if (res.points.size() < 2) throw std::runtime_error("plot_sweep: fewer than 2 points");
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  const int d = cfg.d, m = cfg.m;
  const double logd = std::log(static_cast<double>(d));
  const double c_fstar = static_cast<double>(s.law.c_mu(m) * f_star(d, m));
  const double rank_cap = std::min(static_cast<double>(cfg.n), static_cast<double>(sym_dim(d, m)));
  const double mu2 = static_cast<double>(s.law.moment(2));
  // Anchor of the slope-1/m line: the data at p = d^{−m} (linear interpolation in log–log; nearest end outside).
  const double x0 = -m;
  double y0 = res.points.front().log_d_gain;
  for (size_t i = 0; i + 1 < res.points.size(); ++i) {
    const auto &a = res.points[i], &b = res.points[i + 1];
    if (a.log_d_p <= x0 && x0 <= b.log_d_p) y0 = a.log_d_gain + (b.log_d_gain - a.log_d_gain) * (x0 - a.log_d_p) / (b.log_d_p - a.log_d_p);
    else if (x0 > b.log_d_p) y0 = b.log_d_gain;
  }
  const double xmin = res.points.front().log_d_p, xmax = res.points.back().log_d_p;
  const bool train = cfg.with_train && std::any_of(res.points.begin(), res.points.end(), [](const SweepPoint& p) { return p.train_gain > 0; });
  const fs::path dir = fs::absolute(fs::path(res.csv_path).parent_path());
  const std::string title = fmt::format("Tied power autoencoder, best gain found against p:  m = {}, d = {}, n = {}, {} inputs", m, d, cfg.n, s.law.name());
  std::ostringstream gp;
  gp << "set datafile separator ','\n"
     << "logd = " << fmt::format("{:.17g}", logd) << "\n"
     << "set xrange [" << fmt::format("{:.6f}", xmin - 0.05) << ":" << fmt::format("{:.6f}", xmax + 0.05) << "]\n"
     << "vs(x) = " << fmt::format("{:.17g}", std::log(c_fstar) / logd) << " + x\n"
     << "an(x) = " << fmt::format("{:.17g}", y0) << " + (x - (" << x0 << "))/" << m << ".0\n"
     << "tr(x) = " << fmt::format("{:.17g}", std::log(mu2 * rank_cap) / logd) << " + x\n";
  auto panels = [&](const std::string& terminal, const std::string& file) {
    gp << "set terminal " << terminal << "\nset output '" << (dir / file).string() << "'\n"
       << "set multiplot layout 2,1 title '" << title << "' font ',13'\n"
       << "unset arrow; unset label; set yrange [*:*]\n"
       << "set lmargin 12; set rmargin 4\n"
       << "set grid lc rgb '#dddddd'\n"
       << "set key bottom right box opaque font ',10' spacing 1.1\n"
       << "set xlabel 'log_{" << d << "} p'\nset ylabel 'log_{" << d << "} gain'\n"
       << "set size 1,0.62; set origin 0,0.33\n"
       << "set arrow 1 from " << -m << ", graph 0 to " << -m << ", graph 1 nohead dt 2 lw 1.5 lc rgb '#7f7f7f'\n"
       << "set arrow 2 from " << 1 - m << ", graph 0 to " << 1 - m << ", graph 1 nohead dt 2 lw 1.5 lc rgb '#7f7f7f'\n"
       << "set label 1 'p = d^{-m}' at " << -m << ", graph 0.89 offset 0.6,0 textcolor rgb '#555555'\n"
       << "set label 2 'p = d^{1-m}' at " << 1 - m << ", graph 0.89 offset 0.6,0 textcolor rgb '#555555'\n"
       << "set label 3 'very sparse' at " << (xmin - m) / 2 << ", graph 0.96 center textcolor rgb '#555555'\n"
       << "set label 4 'intermediate' at " << -m + 0.5 << ", graph 0.96 center textcolor rgb '#555555'\n"
       << "set label 5 'dense' at " << (1 - m + xmax) / 2 << ", graph 0.96 center textcolor rgb '#555555'\n"
       << "plot '" << (dir / "sweep.csv").string()
       << "' skip 1 using 3:4 with linespoints pt 7 ps 0.7 lw 2 lc rgb '#1f77b4' title 'best gain found (L-BFGS on the exact gain, warm-started)', \\\n"
       << "  vs(x) with lines dt 2 lw 1.5 lc rgb '#d62728' title 'slope 1 through c_{/Symbol m} F^*(d,m) p  (very sparse limit)', \\\n"
       << "  an(x) with lines dt 4 lw 1.5 lc rgb '#2ca02c' title 'slope 1/m anchored at the data at p = d^{-m}', \\\n"
       << "  tr(x) with lines dt 3 lw 1.2 lc rgb '#9467bd' title 'proved upper bound p {/Symbol m}_2 min(n, C(d+m-1,m))'";
    if (train)
      gp << ", \\\n  '" << (dir / "sweep.csv").string()
         << "' skip 1 using 3:14 with linespoints pt 6 ps 0.8 lc rgb '#ff7f0e' title 'Adam from a small random W'";
    gp << "\n"
       << "unset arrow; unset label; unset key\n"
       << "set key bottom center horizontal box opaque font ',10'\n"
       << "set size 1,0.33; set origin 0,0\n"
       << "set ylabel 'local slope'\nset xlabel 'log_{" << d << "} p'\n"
       << "set yrange [0:1.15]\n"
       << "set arrow 1 from " << -m << ", graph 0 to " << -m << ", graph 1 nohead dt 2 lw 1.5 lc rgb '#7f7f7f'\n"
       << "set arrow 2 from " << 1 - m << ", graph 0 to " << 1 - m << ", graph 1 nohead dt 2 lw 1.5 lc rgb '#7f7f7f'\n"
       << "plot '" << (dir / "sweep.csv").string()
       << "' skip 1 using 3:5 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#1f77b4' title 'd log gain / d log p', \\\n"
       << "  1 with lines dt 2 lc rgb '#d62728' title 'slope 1', 1.0/" << m
       << " with lines dt 4 lc rgb '#2ca02c' title 'slope 1/m'\n"
       << "unset multiplot\nunset output\n";
  };
  panels("svg size 1000,900 dynamic enhanced font 'DejaVu Sans,12' background rgb 'white'", "sweep.svg");
  panels("pngcairo size 1200,1080 enhanced font 'DejaVu Sans,12' background rgb 'white'", "sweep.png");
  run_gnuplot(dir.string(), "sweep", gp.str());
  return {(dir / "sweep.svg").string(), (dir / "sweep.png").string()};
}

}  // namespace superpose
