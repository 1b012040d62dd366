// The Figure 3 sweep and its plot (verify/verify.hpp, section "sweep"; issue 3).
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

using json = nlohmann::ordered_json;

constexpr const char* kCheckpointName = "sweep.checkpoint.json";
constexpr const char* kCheckpointFormat = "superpose sweep checkpoint 1";
constexpr double kCheckTolerance = 1e-6;  // relative margin by which optimize_weights may beat the sweep

std::string sweep_csv(const SweepResult& res, double logd) {
  std::ostringstream o;
  o << "p,p_value,log_d_p,log_d_gain,local_slope,gain,gain_over_p,first_order_limit,tensor_rank_upper,represented,"
       "evals,start,train_gain,log_d_train_gain,optimize_gain\n";
  for (const auto& pt : res.points) {
    o << pt.p << "," << to_decimal(pt.p_value, 17) << "," << to_decimal(pt.log_d_p, 17) << ","
      << to_decimal(pt.log_d_gain, 17) << "," << to_decimal(pt.slope, 17) << "," << to_decimal(pt.gain, 17) << ","
      << to_decimal(pt.gain / pt.p_value, 17) << "," << to_decimal(pt.first_order_limit, 17) << ","
      << to_decimal(pt.tensor_rank_upper, 17) << "," << pt.represented << "," << pt.evals << "," << pt.start << ","
      << to_decimal(pt.train_gain, 17) << ","
      << (pt.train_gain > 0 ? to_decimal(std::log(pt.train_gain) / logd, 17) : std::string("")) << ","
      << (pt.optimize_gain > 0 ? to_decimal(pt.optimize_gain, 17) : std::string("")) << "\n";
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

/// The settings that determine a sweep's numbers (not out_dir, resume, force, stop_after).
json config_identity(const SweepConfig& cfg) {
  return json{{"d", cfg.d},
              {"n", cfg.n},
              {"m", cfg.m},
              {"law", cfg.law},
              {"p_min_factor", fmt::format("{:.17g}", cfg.p_min_factor)},
              {"points", cfg.points},
              {"seed", cfg.seed},
              {"max_evals", cfg.max_evals},
              {"structured_starts", cfg.structured_starts},
              {"random_starts", cfg.random_starts},
              {"check_points", cfg.check_points},
              {"check_starts", cfg.check_starts},
              {"with_train", cfg.with_train},
              {"train_steps", cfg.train_steps}};
}

/// A point as stored in the checkpoint (doubles round-trip exactly through nlohmann's shortest representation);
/// the slope is not stored, it is recomputed from the neighbours.
json point_json(const SweepPoint& pt) {
  return json{{"p", pt.p},
              {"p_value", pt.p_value},
              {"gain", pt.gain},
              {"log_d_p", pt.log_d_p},
              {"log_d_gain", pt.log_d_gain},
              {"first_order_limit", pt.first_order_limit},
              {"tensor_rank_upper", pt.tensor_rank_upper},
              {"represented", pt.represented},
              {"evals", pt.evals},
              {"start", pt.start},
              {"train_gain", pt.train_gain},
              {"optimize_gain", pt.optimize_gain}};
}

SweepPoint point_from_json(const json& j) {
  SweepPoint pt;
  pt.p = j.at("p").get<std::string>();
  pt.p_value = j.at("p_value").get<double>();
  pt.gain = j.at("gain").get<double>();
  pt.log_d_p = j.at("log_d_p").get<double>();
  pt.log_d_gain = j.at("log_d_gain").get<double>();
  pt.first_order_limit = j.at("first_order_limit").get<double>();
  pt.tensor_rank_upper = j.at("tensor_rank_upper").get<double>();
  pt.represented = j.at("represented").get<int>();
  pt.evals = j.at("evals").get<int>();
  pt.start = j.at("start").get<std::string>();
  pt.train_gain = j.at("train_gain").get<double>();
  pt.optimize_gain = j.at("optimize_gain").get<double>();
  return pt;
}

/// The checkpoint: producer, config, every point with the CRC-32 of its JSON text, the last W's nonzero columns
/// with their CRC-32.
std::string checkpoint_text(const SweepConfig& cfg, const std::vector<SweepPoint>& pts, const Matrix<double>& W) {
  json rows = json::array();
  for (const SweepPoint& pt : pts) {
    const json pj = point_json(pt);
    rows.push_back(json{{"point", pj}, {"crc32", crc32_hex(pj.dump())}});
  }
  json cols = json::array(), values = json::array();
  for (Eigen::Index c = 0; c < W.cols(); ++c) {
    if (W.col(c).squaredNorm() == 0) continue;
    cols.push_back(c);
    for (Eigen::Index r = 0; r < W.rows(); ++r) values.push_back(W(r, c));
  }
  json warm = {{"rows", W.rows()}, {"cols", W.cols()}, {"nonzero_columns", cols}, {"values", values}};
  const std::string warm_crc = crc32_hex(warm.dump());
  json j = {{"format", kCheckpointFormat},
            {"producer", version_string()},
            {"config", config_identity(cfg)},
            {"points", rows},
            {"warm_start", warm},
            {"warm_start_crc32", warm_crc}};
  return j.dump(1) + "\n";
}

/// Reads the checkpoint of `cfg` back: its points (slopes not set) and the last W. Throws InputError (flag
/// --resume) naming the file and the reason when it is missing, not this format, of another program version or
/// config, or fails a CRC-32.
std::pair<std::vector<SweepPoint>, Matrix<double>> read_checkpoint(const SweepConfig& cfg, const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw InputError("--resume: no sweep checkpoint '" + path + "' to continue (run without --resume)");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const json j = json::parse(ss.str(), nullptr, false);
  const std::string damaged = "--resume: '" + path + "' is damaged or was edited";
  const std::string restart = "; rerun with --force to start the sweep over";
  if (j.is_discarded() || !j.is_object() || j.value("format", std::string()) != kCheckpointFormat)
    throw InputError(damaged + " (not a " + kCheckpointFormat + ")" + restart);
  if (j.value("producer", std::string()) != version_string())
    throw InputError("--resume: '" + path + "' was written by " + j.value("producer", std::string("?")) +
                     ", this is " + version_string() + restart);
  if (!j.contains("config") || j["config"] != config_identity(cfg))
    throw InputError("--resume: '" + path + "' was written by a different sweep configuration (" +
                     (j.contains("config") ? j["config"].dump() : std::string("none")) +
                     "); use the same flags, or --force to start over");
  try {
    std::vector<SweepPoint> pts;
    for (const json& row : j.at("points")) {
      const json& pj = row.at("point");
      if (row.at("crc32").get<std::string>() != crc32_hex(pj.dump()))
        throw InputError(damaged + " (point " + std::to_string(pts.size() + 1) + " fails its CRC-32)" + restart);
      pts.push_back(point_from_json(pj));
    }
    const json& warm = j.at("warm_start");
    if (j.at("warm_start_crc32").get<std::string>() != crc32_hex(warm.dump()))
      throw InputError(damaged + " (the stored W fails its CRC-32)" + restart);
    if (warm.at("rows").get<long>() != cfg.d || warm.at("cols").get<long>() != cfg.n)
      throw InputError(damaged + " (the stored W is not d x n)" + restart);
    Matrix<double> W = Matrix<double>::Zero(cfg.d, cfg.n);
    const json& values = warm.at("values");
    size_t v = 0;
    for (const json& c : warm.at("nonzero_columns")) {
      const long col = c.get<long>();
      if (col < 0 || col >= cfg.n || v + static_cast<size_t>(cfg.d) > values.size())
        throw InputError(damaged + " (the stored W is malformed)" + restart);
      for (int r = 0; r < cfg.d; ++r) W(r, col) = values.at(v++).get<double>();
    }
    if (pts.size() > static_cast<size_t>(cfg.points) || (pts.empty() && W.squaredNorm() > 0))
      throw InputError(damaged + " (" + std::to_string(pts.size()) + " points for a " + std::to_string(cfg.points) +
                       "-point sweep)" + restart);
    return {std::move(pts), std::move(W)};
  } catch (const nlohmann::json::exception&) {
    throw InputError(damaged + " (a field is missing or of the wrong type)" + restart);
  }
}

/// Indices of the self-check points: `k` of `count` spread evenly from the first to the last (k = 1: the first).
std::vector<int> check_indices(int k, int count) {
  std::vector<int> out;
  k = std::min(k, count);
  for (int j = 0; j < k; ++j) {
    const int i = k == 1 ? 0 : static_cast<int>(std::lround(static_cast<double>(j) * (count - 1) / (k - 1)));
    if (out.empty() || out.back() != i) out.push_back(i);
  }
  return out;
}

}  // namespace

double sweep_memory_bytes(const SweepConfig& cfg) {
  const double d = cfg.d, n = cfg.n, starts = std::log2(std::max(2.0, n / d)) + 3;
  return sizeof(double) * (starts * (2 * d * n + n * (cfg.m + 1)) + 25 * d * n + n * n + 3 * d * d +
                           (cfg.with_train ? 6 * d * n : 0)) +
         evaluation_memory_bytes(d, n, cfg.m, 16, true);
}

void SweepConfig::validate() const {
  if (d < 2)
    throw InputError("--d: the sweep needs d >= 2 (it is drawn in log_d p and log_d gain; got d = " +
                     std::to_string(d) + ")");
  const Setting s(d, n, m, Law::parse(law));
  if (structured_starts < 0 || structured_starts > 1000) throw InputError("--structured-starts: must lie in 0..1000");
  if (random_starts < 0 || random_starts > 1000) throw InputError("--random-starts: must lie in 0..1000");
  if (check_points < 0) throw InputError("--check-points: must be 0 (no self-check) or more");
  if (check_starts < 1) throw InputError("--check-starts: must be at least 1");
  if (stop_after < 0) throw InputError("--stop-after: must be 0 (all points) or more");
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

  // The output folder: an earlier sweep is continued (resume), replaced (force) or refused, before any work.
  SweepResult res;
  res.csv_path = cfg.out_dir + "/sweep.csv";
  const std::string ckpt_path = cfg.out_dir + "/" + kCheckpointName;
  std::error_code ec;
  if (fs::exists(cfg.out_dir, ec)) {
    if (!fs::is_directory(cfg.out_dir, ec)) throw InputError("--out: '" + cfg.out_dir + "' exists and is not a folder");
    check_output_path(res.csv_path, "--out");
    check_output_path(ckpt_path, "--out");
  }
  Matrix<double> prev;
  if (cfg.resume) {
    auto [pts, W] = read_checkpoint(cfg, ckpt_path);
    for (size_t i = 0; i < pts.size(); ++i)
      if (pts[i].p != ps[i].text)
        throw InputError("--resume: '" + ckpt_path + "' is damaged or was edited (point " + std::to_string(i + 1) +
                         " has p = " + pts[i].p + ", expected " + ps[i].text + ")");
    res.points = std::move(pts);
    res.resumed = static_cast<int>(res.points.size());
    if (!res.points.empty()) prev = std::move(W);
  } else if (!cfg.force && (fs::exists(res.csv_path, ec) || fs::exists(ckpt_path, ec))) {
    throw InputError("--out: '" + cfg.out_dir +
                     "' holds an earlier sweep (sweep.csv); pass --resume to continue it, --force to overwrite it, "
                     "or choose another folder");
  }
  ensure_directory(cfg.out_dir);
  // Figures and the gnuplot script of an earlier run would describe other data: plot_sweep redraws them.
  for (const char* stale : {"sweep.svg", "sweep.png", "sweep.gp", "sweep.gnuplot.log"})
    fs::remove(fs::path(cfg.out_dir) / stale, ec);
  if (!cfg.resume) fs::remove(ckpt_path, ec);

  const double logd = std::log(static_cast<double>(d));
  const double c_fstar = static_cast<double>(s.law.c_mu(m) * fstar_n_bracket(d, m, n).upper);  // c_mu*F*_n
  const double mu2 = static_cast<double>(s.law.moment(2));
  const double rank_cap = std::min(static_cast<double>(n), static_cast<double>(sym_dim(d, m)));
  const int n_structured = static_cast<int>(structured_starts(d, n, m, cfg.seed).size());
  const std::vector<int> checks = check_indices(cfg.check_points, static_cast<int>(ps.size()));
  auto save = [&] {
    update_slopes(res.points);
    write_file_atomic(res.csv_path, sweep_csv(res, logd));
    write_file_atomic(ckpt_path, checkpoint_text(cfg, res.points, prev));
  };
  auto record_check = [&](int i) {
    const SweepPoint& pt = res.points[static_cast<size_t>(i)];
    if (pt.optimize_gain > pt.gain * (1 + kCheckTolerance)) res.check_failures.push_back(i);
  };
  for (int i = 0; i < res.resumed; ++i) record_check(i);
  if (res.resumed) save();  // the CSV of the checkpoint (it may be missing or stale)
  if (progress)
    for (int i = 1; i <= res.resumed; ++i) progress(i, static_cast<int>(ps.size()), 0);

  const auto t0 = std::chrono::steady_clock::now();
  size_t stop = ps.size();
  if (cfg.stop_after > 0) stop = std::min(stop, res.points.size() + static_cast<size_t>(cfg.stop_after));
  for (size_t i = res.points.size(); i < stop; ++i) {
    const auto t1 = std::chrono::steady_clock::now();
    const double p = from_rational<double>(ps[i].value);
    // The starts: warm (the previous optimum at its optimal scale), then from optimize_weights' list at this p
    // (each at its optimal scale) the cfg.structured_starts structured ones with the highest start gain and the
    // first cfg.random_starts random ones. A warm start alone stays at a saddle such as the unsuperposed W (its
    // zero columns have zero gradient), and a start that is worse at first can end higher: all of them run.
    std::vector<NamedStart> fresh = gain_starts(s, p, n_structured + cfg.random_starts, cfg.seed);
    std::vector<NamedStart> starts;
    if (prev.size()) {
      // gain(sW) = 2λC − λ²D with λ = s^{2m}: the best λ = C/D in closed form (best_scaled_gain).
      const ScaledGain<double> sg = best_scaled_gain(gain_terms(row_power_sums(prev, m), s.law, p), m);
      starts.push_back({"warm", sg.scale > 0 ? Matrix<double>(prev * sg.scale) : prev});
    }
    std::vector<std::pair<double, size_t>> ranked;  // structured starts by start gain, best first (stable)
    for (size_t k = 0; k < static_cast<size_t>(n_structured); ++k)
      ranked.emplace_back(evaluate<double>(fresh[k].W, m, s.law, p, /*with_gradient=*/false).gain, k);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; k < ranked.size() && k < static_cast<size_t>(cfg.structured_starts); ++k)
      starts.push_back(std::move(fresh[ranked[k].second]));
    for (size_t k = 0; k < static_cast<size_t>(cfg.random_starts); ++k)
      starts.push_back(std::move(fresh[static_cast<size_t>(n_structured) + k]));
    OptimizeOptions oo;
    oo.seed = cfg.seed;
    oo.max_evals = cfg.max_evals;
    MultiStartResult best = multistart_gain(s, p, starts, oo);
    const Matrix<double>& W = best.W;
    SweepPoint pt;
    pt.p = ps[i].text;
    pt.p_value = p;
    pt.gain = evaluate<double>(W, m, s.law, p, /*with_gradient=*/false).gain;
    pt.log_d_p = std::log(p) / logd;
    pt.log_d_gain = std::log(pt.gain) / logd;
    pt.first_order_limit = c_fstar * p;
    pt.tensor_rank_upper = p * mu2 * rank_cap;
    pt.represented = static_cast<int>(represented_columns(W).size());
    for (const StartResult& r : best.starts) {
      pt.evals += r.evals;
      if (r.gain == best.value && pt.start.empty()) pt.start = r.kind;
    }
    if (std::binary_search(checks.begin(), checks.end(), static_cast<int>(i))) {
      OptimizeOptions full;
      full.starts = cfg.check_starts;
      full.seed = cfg.seed;
      full.polish = false;
      pt.optimize_gain = optimize_weights(s, ps[i].value, full).gain_double;
    }
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
    prev = W;
    res.points.push_back(pt);
    record_check(static_cast<int>(i));
    save();
    res.seconds = seconds_since(t0);
    if (progress) {
      const double per = res.seconds / static_cast<double>(i + 1 - static_cast<size_t>(res.resumed));
      progress(static_cast<int>(i + 1), static_cast<int>(ps.size()), per * static_cast<double>(stop - i - 1));
    }
  }
  res.complete = res.points.size() == ps.size();
  return res;
}

std::vector<std::string> plot_sweep(const SweepResult& res, const SweepConfig& cfg) {
  if (res.points.size() < 2) throw std::runtime_error("plot_sweep: fewer than 2 points");
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  const int d = cfg.d, m = cfg.m;
  const double logd = std::log(static_cast<double>(d));
  const double c_fstar = static_cast<double>(s.law.c_mu(m) * fstar_n_bracket(d, m, cfg.n).upper);  // c_mu*F*_n
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
       << "  vs(x) with lines dt 2 lw 1.5 lc rgb '#d62728' title 'slope 1 through c_{/Symbol m} F^*_n(d,m) p  (very sparse limit)', \\\n"
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
