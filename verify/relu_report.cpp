// The ReLU model's training sweep: Elhage's presets, the rendering of trained instances and of one W's metrics, and
// the feature-dimensionality figure (verify/verify.hpp, section "The ReLU model").
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <sstream>

namespace superpose::relu {

namespace fs = std::filesystem;

namespace {

/// The loss with as many decimals as the second significant digit of its standard error, and the error to two
/// significant digits: "0.35712 ± 0.00031".
int decimals_of(double se) { return std::max(0, 1 - static_cast<int>(std::floor(std::log10(se)))); }
std::string with_error(double value, double se) {
  if (!(se > 0)) return fmt::format("{:.6g} ± 0", value);
  return fmt::format("{:.{}f} ± {:.{}f}", value, decimals_of(se), se, decimals_of(se));
}
/// The value to the decimal place of the second significant digit of its standard error (no error shown).
std::string to_error(double value, double se) {
  return se > 0 ? fmt::format("{:.{}f}", value, decimals_of(se)) : fmt::format("{:.6g}", value);
}

/// "2 dedicated, 3 digon, 1 unrepresented": the number of features in each shape, nonzero ones only.
std::string shape_counts(const FeatureGeometry& g, int n) {
  std::string out;
  for (int s = 0; s < kShapeCount; ++s) {
    const long c = std::lround(g.fraction[s] * n);
    if (c > 0) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", c, to_string(static_cast<Shape>(s)));
  }
  const long w = std::lround(g.weak_fraction * n), u = std::lround(g.unrepresented_fraction * n);
  if (w > 0) out += fmt::format("{}{} weak", out.empty() ? "" : ", ", w);
  if (u > 0) out += fmt::format("{}{} unrepresented", out.empty() ? "" : ", ", u);
  return out;
}

nlohmann::json matrix_json(const Matrix<double>& M) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index r = 0; r < M.rows(); ++r) {
    std::vector<double> row(static_cast<size_t>(M.cols()));
    for (Eigen::Index c = 0; c < M.cols(); ++c) row[c] = M(r, c);
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json geometry_json(const FeatureGeometry& g) {
  nlohmann::json j;
  j["dimensionality"] = g.dimensionality;
  j["superposition"] = g.superposition;
  j["dimensions_per_feature"] = g.dimensions_per_feature;
  j["represented"] = g.represented;
  std::vector<std::string> shapes;
  for (Shape s : g.shape) shapes.emplace_back(to_string(s));
  j["shape"] = shapes;
  nlohmann::json groups = nlohmann::json::array();
  for (const ShapeGroup& grp : g.groups) groups.push_back({{"shape", to_string(grp.shape)}, {"features", grp.features}});
  j["groups"] = groups;
  nlohmann::json fr;
  for (int s = 0; s < kShapeCount; ++s) fr[std::string(to_string(static_cast<Shape>(s)))] = g.fraction[s];
  fr["weak"] = g.weak_fraction;
  fr["unrepresented"] = g.unrepresented_fraction;
  j["fractions"] = fr;
  return j;
}

std::string csv_header() {
  std::string h = "p,one_over_p,d,n,k,tied,loss,loss_se,loss_over_n,dimensions_per_feature,represented";
  for (int s = 0; s < kShapeCount; ++s) h += ",frac_" + std::string(to_string(static_cast<Shape>(s)));
  return h + ",frac_weak,frac_unrepresented,seconds,dimensionality\n";
}

std::string d17(double x) { return fmt::format("{:.17g}", x); }

/// The shape of feature i's group, or "weak" / "unrepresented" for a feature in no group.
std::string feature_label(const FeatureGeometry& g, int i) {
  for (const ShapeGroup& grp : g.groups)
    if (std::find(grp.features.begin(), grp.features.end(), i) != grp.features.end()) return std::string(to_string(grp.shape));
  return g.dimensionality[i] > 0 ? "weak" : "unrepresented";
}

}  // namespace

std::vector<Problem> TrainSweep::problems() const {
  const ValueLaw value_law = ValueLaw::parse(law);
  std::vector<Problem> out;
  for (const GridP& q : p) {
    Problem pr;
    pr.d = d;
    pr.n = n;
    pr.k = k;
    pr.tied = tied;
    pr.law = value_law;
    pr.p.assign(static_cast<size_t>(std::max(n, 0)), q.value);
    Rational w = 1;
    for (int i = 0; i < n; ++i, w *= importance_ratio) pr.importance.push_back(w);
    pr.validate();
    out.push_back(std::move(pr));
  }
  return out;
}

std::string elhage_preset_names() { return "elhage-n5, elhage-n200"; }

TrainSweep elhage_preset(std::string_view name) {
  TrainSweep s;
  int instances = 0;
  if (name == "elhage-n5") {
    s.d = 2, s.n = 5, s.importance_ratio = Rational(9, 10), instances = 10;
  } else if (name == "elhage-n200") {
    s.d = 20, s.n = 200, s.importance_ratio = 1, instances = 20;
  } else {
    throw InputError("--preset: unknown preset '" + escape_excerpt(name) + "' (accepted: " + elhage_preset_names() + ")");
  }
  s.p = parse_p_grid("1/20:1:" + std::to_string(instances), "--preset");
  std::reverse(s.p.begin(), s.p.end());  // the notebook's order: p = 20^{-t}, t from 0 to 1
  return s;
}

std::string render_train(const std::vector<TrainRow>& rows, const std::string& format) {
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const TrainRow& r : rows) {
      const double p = from_rational<double>(r.p.value);
      nlohmann::json j = {{"p", r.p.text}, {"one_over_p", 1 / p}, {"d", r.problem.d}, {"n", r.problem.n},
                          {"k", r.problem.k}, {"tied", r.problem.tied}, {"law", r.problem.law.name()},
                          {"loss", r.result.loss}, {"loss_se", r.result.loss_se},
                          {"loss_over_n", r.result.loss / r.problem.n}, {"seconds", r.result.seconds}};
      std::vector<std::string> imp;
      for (const Rational& w : r.problem.importance) imp.push_back(w.str());
      j["importance"] = imp;
      j["geometry"] = geometry_json(r.geometry);
      j["W"] = matrix_json(r.result.params.W);
      if (!r.problem.tied) j["W_dec"] = matrix_json(r.result.params.W_dec);
      j["b"] = std::vector<double>(r.result.params.b.data(), r.result.params.b.data() + r.result.params.b.size());
      out.push_back(j);
    }
    return out.dump(2) + "\n";
  }
  if (format == "csv") {
    std::string s = csv_header();
    for (const TrainRow& r : rows) {
      const double p = from_rational<double>(r.p.value);
      s += fmt::format("{},{},{},{},{},{},{},{},{},{},{}", csv_field(r.p.text), d17(1 / p), r.problem.d, r.problem.n,
                       r.problem.k, r.problem.tied ? 1 : 0, d17(r.result.loss), d17(r.result.loss_se),
                       d17(r.result.loss / r.problem.n), d17(r.geometry.dimensions_per_feature),
                       r.geometry.represented.size());
      for (double f : r.geometry.fraction) s += "," + d17(f);
      s += "," + d17(r.geometry.weak_fraction) + "," + d17(r.geometry.unrepresented_fraction) +
           fmt::format(",{:.3f},", r.result.seconds);
      std::vector<std::string> D;
      for (double x : r.geometry.dimensionality) D.push_back(d17(x));
      s += fmt::format("{}\n", fmt::join(D, ";"));
    }
    return s;
  }
  if (format != "text") throw InputError("--format: unknown format '" + format + "' (accepted: text, csv, json)");
  std::string s = fmt::format("  {:<14} {:>9}  {:<24} {:>10}  {:>9}  {:>4}  {}\n", "p", "1/(1-S)",
                              "loss (sum over i) ± SE", "loss/n", "d/|W|_F^2", "rep", "geometry; D_i");
  for (const TrainRow& r : rows) {
    const double p = from_rational<double>(r.p.value);
    std::vector<std::string> D;
    for (double x : r.geometry.dimensionality) D.push_back(fmt::format("{:.3f}", x));
    const std::string Dtext = D.size() <= 12 ? fmt::format("{}", fmt::join(D, " ")) : "(" + std::to_string(D.size()) + " values: --format csv/json)";
    s += fmt::format("  {:<14} {:>9.4g}  {:<24} {:>10}  {:>9.4f}  {:>4}  {}; {}\n", r.p.text, 1 / p,
                     with_error(r.result.loss, r.result.loss_se),
                     to_error(r.result.loss / r.problem.n, r.result.loss_se / r.problem.n),
                     r.geometry.dimensions_per_feature, r.geometry.represented.size(),
                     shape_counts(r.geometry, r.problem.n), Dtext);
  }
  return s;
}

std::string render_metrics(const Matrix<double>& W, const FeatureGeometry& g, const std::string& format) {
  const Eigen::Index n = W.cols();
  std::vector<int> group_of(static_cast<size_t>(n), -1);
  for (size_t k = 0; k < g.groups.size(); ++k)
    for (int i : g.groups[k].features) group_of[i] = static_cast<int>(k) + 1;
  if (format == "json") {
    nlohmann::json j = geometry_json(g);
    j["d"] = W.rows();
    j["n"] = n;
    std::vector<double> norms;
    for (Eigen::Index i = 0; i < n; ++i) norms.push_back(W.col(i).norm());
    j["norms"] = norms;
    j["gram"] = matrix_json(W.transpose() * W);
    return j.dump(2) + "\n";
  }
  if (format == "csv") {
    std::string s = "feature,norm,dimensionality,superposition,shape,group\n";
    for (Eigen::Index i = 0; i < n; ++i)
      s += fmt::format("{},{},{},{},{},{}\n", i + 1, d17(W.col(i).norm()), d17(g.dimensionality[i]),
                       d17(g.superposition[i]), feature_label(g, static_cast<int>(i)),
                       group_of[i] > 0 ? std::to_string(group_of[i]) : "");
    return s;
  }
  if (format != "text") throw InputError("--format: unknown format '" + format + "' (accepted: text, csv, json)");
  std::string s = fmt::format("W: d = {}, n = {}; dimensions per feature d/|W|_F^2 = {:.6g}; {} represented\n",
                              W.rows(), n, g.dimensions_per_feature, g.represented.size());
  s += fmt::format("  {:>7}  {:>10}  {:>8}  {:>13}  {:<16}  {}\n", "feature", "|W_i|", "D_i", "superposition", "shape", "group");
  for (Eigen::Index i = 0; i < n; ++i)
    s += fmt::format("  {:>7}  {:>10.6f}  {:>8.6f}  {:>13.6f}  {:<16}  {}\n", i + 1, W.col(i).norm(),
                     g.dimensionality[i], g.superposition[i],
                     feature_label(g, static_cast<int>(i)),
                     group_of[i] > 0 ? std::to_string(group_of[i]) : "-");
  s += "fractions of the " + std::to_string(n) + " features:";
  for (int k = 0; k < kShapeCount; ++k)
    if (g.fraction[k] > 0) s += fmt::format(" {} {:.4g},", to_string(static_cast<Shape>(k)), g.fraction[k]);
  s += fmt::format(" weak {:.4g}, unrepresented {:.4g}\n", g.weak_fraction, g.unrepresented_fraction);
  return s;
}

std::vector<std::string> write_train_outputs(const std::vector<TrainRow>& rows, const std::string& dir, bool plot) {
  ensure_directory(dir);
  const fs::path base = fs::absolute(dir);
  std::vector<std::string> written;
  auto put = [&](const std::string& name, const std::string& content) {
    write_file_atomic((base / name).string(), content);
    written.push_back((base / name).string());
  };
  put("relu_train.csv", render_train(rows, "csv"));
  std::string features = "instance,p,one_over_p,feature,dimensionality,shape\n";
  for (size_t k = 0; k < rows.size(); ++k) {
    const TrainRow& r = rows[k];
    const double p = from_rational<double>(r.p.value);
    for (int i = 0; i < r.problem.n; ++i)
      features += fmt::format("{},{},{},{},{},{}\n", k + 1, csv_field(r.p.text), d17(1 / p), i + 1,
                              d17(r.geometry.dimensionality[i]),
                              feature_label(r.geometry, i));
  }
  put("relu_train_features.csv", features);
  for (size_t k = 0; k < rows.size(); ++k) {
    const Params<double>& x = rows[k].result.params;
    put(fmt::format("W_{}.csv", k + 1), matrix_to_csv(x.W, 17));
    put(fmt::format("b_{}.csv", k + 1), matrix_to_csv(Matrix<double>(x.b.transpose()), 17));
    if (x.W_dec.size()) put(fmt::format("W_dec_{}.csv", k + 1), matrix_to_csv(x.W_dec, 17));
  }
  if (!plot || rows.empty()) return written;
  double lo = 1e300, hi = 0;
  for (const TrainRow& r : rows) {
    const double x = 1 / from_rational<double>(r.p.value);
    lo = std::min(lo, x), hi = std::max(hi, x);
  }
  const TrainRow& r0 = rows.front();
  std::ostringstream gp;
  gp << "set datafile separator ','\n";
  auto panel = [&](const std::string& terminal, const std::string& file) {
    gp << "set terminal " << terminal << "\nset output '" << (base / file).string() << "'\n"
       << "set title \"ReLU model (Elhage et al. 2022): feature dimensionality against 1/(1-S) = 1/p;  d = " << r0.problem.d
       << ", n = " << r0.problem.n << ", k = " << r0.problem.k << (r0.problem.tied ? ", tied" : ", untied") << "\"\n"
       << "set logscale x\nset xrange [" << lo / 1.25 << ":" << hi * 1.25 << "]\nset yrange [0:1.1]\n"
       << "set xlabel '1/(1-S) = 1/p'\nset ylabel 'feature dimensionality D_i'\n"
       << "set grid lc rgb '#dddddd'\nset key outside right top box opaque font ',10'\nunset label\n";
    const struct { const char* name; double v; } lines[] = {{"1 dedicated", 1.0},   {"3/4 tetrahedron", 0.75},
                                                           {"2/3 triangle", 2.0 / 3}, {"1/2 digon", 0.5},
                                                           {"2/5 pentagon", 0.4},   {"3/8 square antiprism", 0.375}};
    int id = 1;
    for (const auto& l : lines)
      gp << "set label " << id++ << " '" << l.name << "' at graph 0.01, first " << l.v << " offset 0,0.5 font ',9' textcolor rgb '#555555'\n";
    gp << "plot ";
    for (const auto& l : lines) gp << l.v << " with lines dt 2 lc rgb '#aaaaaa' notitle, ";
    gp << "'" << (base / "relu_train_features.csv").string()
       << "' skip 1 using 3:($5 > 0 ? $5 : 1/0) with points pt 7 ps 0.6 lc rgb '#1f77b4' title 'D_i of each feature', \\\n"
       << "  '" << (base / "relu_train.csv").string()
       << "' skip 1 using 2:10 with linespoints pt 5 ps 0.8 lw 2 lc rgb '#d62728' title 'd/|W|_F^2 (dimensions per feature)'\n"
       << "unset output\n";
  };
  panel("svg size 1000,600 dynamic enhanced font 'DejaVu Sans,12' background rgb 'white'", "relu_train.svg");
  panel("pngcairo size 1200,720 enhanced font 'DejaVu Sans,12' background rgb 'white'", "relu_train.png");
  run_gnuplot(base.string(), "relu_train", gp.str());
  written.push_back((base / "relu_train.svg").string());
  written.push_back((base / "relu_train.png").string());
  return written;
}

// ---------------------------------------------------------------------------------------------------------------
// relu compare
// ---------------------------------------------------------------------------------------------------------------

namespace {

std::string model_name(const ModelOptimum& mo) { return mo.m == 0 ? "relu" : fmt::format("power m={}", mo.m); }

/// Elhage's dimensions per feature with the longest feature at length 1: d·max_i ‖W_i‖²/‖W‖_F² (+inf for W = 0).
double dims_per_feature(const Matrix<double>& W) {
  const double f = W.squaredNorm();
  return f > 0 ? W.rows() * W.colwise().squaredNorm().maxCoeff() / f : std::numeric_limits<double>::infinity();
}

double sum_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

/// A Real50 with at most `cap` of the digits its source vouches for (at least 1).
std::string vouched(const Real50& x, int digits, int cap) { return to_decimal(x, std::clamp(digits, 1, cap)); }

std::string d3(const std::vector<double>& v) {
  std::vector<std::string> out;
  for (double x : v) out.push_back(fmt::format("{:.3f}", x));
  return fmt::format("{}", fmt::join(out, " "));
}

/// The digits of loss/zero_loss and gain/p: those of the loss, less the cancellation in zero_loss − loss.
int ratio_digits(const ModelOptimum& mo) { return mo.loss_digits; }
int gain_digits(const ModelOptimum& mo) {
  const Real50 g = mo.zero_loss - mo.loss;
  if (g <= 0 || mo.loss == 0) return mo.loss_digits;
  const int lost = static_cast<int>(std::ceil(static_cast<double>(log10(mo.loss / g))));
  return std::max(1, mo.loss_digits - std::max(0, lost));
}

const ComparePoint* smallest_p(const std::vector<ComparePoint>& points) {
  const ComparePoint* best = nullptr;
  for (const ComparePoint& pt : points)
    if (!best || pt.p < best->p) best = &pt;
  return best;
}

std::string law_line(const CompareOptions& opt) {
  return fmt::format("ReLU model: k = 1, tied, biases, values uniform01 (v ~ U[0,1]); power model: x -> (W^T W x)^m, "
                     "no bias, law {}; importances 1, every feature at p.\n", opt.law);
}

}  // namespace

std::string render_compare(const CompareOptions& opt, const std::vector<GridP>& ps,
                           const std::vector<ComparePoint>& points,
                           const std::vector<VerySparsePrediction>& predictions, const std::string& format) {
  if (format == "json") {
    nlohmann::json j;
    j["d"] = opt.d;
    j["n"] = opt.n;
    j["powers"] = opt.powers;
    j["power_law"] = opt.law;
    j["relu_law"] = "uniform01";
    nlohmann::json pts = nlohmann::json::array();
    for (std::size_t k = 0; k < points.size(); ++k) {
      nlohmann::json models = nlohmann::json::array();
      for (const ModelOptimum& mo : points[k].models) {
        nlohmann::json e = {{"model", model_name(mo)},
                            {"m", mo.m},
                            {"loss", vouched(mo.loss, mo.loss_digits, 40)},
                            {"loss_correct_digits", mo.loss_digits},
                            {"zero_loss", to_decimal(mo.zero_loss, 40)},
                            {"loss_over_zero_loss", vouched(Real50(mo.loss / mo.zero_loss), ratio_digits(mo), 40)},
                            {"gain_over_p", vouched(mo.gain_over_p, gain_digits(mo), 40)},
                            {"effective_features", vouched(mo.effective_features, gain_digits(mo), 40)},
                            {"dims_per_feature", dims_per_feature(mo.W)},
                            {"sum_dimensionality", sum_of(mo.geometry.dimensionality)},
                            {"max_abs_cos", mo.max_abs_cos},
                            {"gram_distance_to_relu", mo.match.distance},
                            {"gram_match_exhaustive", mo.match.exhaustive},
                            {"gram_match_permutation", mo.match.permutation},
                            {"gram_match_sign", mo.match.sign},
                            {"geometry", geometry_json(mo.geometry)},
                            {"W", matrix_json(mo.W)}};
        if (mo.b.size()) e["b"] = std::vector<double>(mo.b.data(), mo.b.data() + mo.b.size());
        models.push_back(e);
      }
      pts.push_back({{"p", ps[k].text}, {"models", models}});
    }
    j["points"] = pts;
    nlohmann::json pr = nlohmann::json::array();
    for (const VerySparsePrediction& v : predictions)
      pr.push_back({{"m", v.m},
                    {"f_star", v.f_star.str()},
                    {"f_star_n_found", to_decimal(v.f_star_n, 30)},
                    {"c_mu", v.c_mu.str()},
                    {"mu2", v.mu2.str()},
                    {"limit_gain_over_p", to_decimal(v.limit_gain_over_p, 30)},
                    {"limit_loss_over_zero_loss", to_decimal(v.limit_loss_ratio, 30)},
                    {"first_order_geometry", geometry_json(v.geometry)}});
    j["very_sparse_power"] = pr;
    j["relu_very_sparse_lower_bound_effective_features"] = std::min(opt.n, 2 * opt.d);
    return j.dump(2) + "\n";
  }
  if (format == "csv") {
    std::string s = "p,model,m,loss,loss_correct_digits,zero_loss,loss_over_zero_loss,gain_over_p,effective_features,"
                    "represented,dims_per_feature,sum_dimensionality,max_abs_cos,gram_distance_to_relu,"
                    "gram_match_exhaustive,shapes,dimensionality\n";
    for (std::size_t k = 0; k < points.size(); ++k)
      for (const ModelOptimum& mo : points[k].models) {
        std::vector<std::string> D;
        for (double x : mo.geometry.dimensionality) D.push_back(d17(x));
        s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", rational_to_decimal(ps[k].value, 12),
                         model_name(mo),
                         mo.m, vouched(mo.loss, mo.loss_digits, 30), mo.loss_digits, to_decimal(mo.zero_loss, 30),
                         vouched(Real50(mo.loss / mo.zero_loss), ratio_digits(mo), 17),
                         vouched(mo.gain_over_p, gain_digits(mo), 17),
                         vouched(mo.effective_features, gain_digits(mo), 17), mo.geometry.represented.size(),
                         d17(dims_per_feature(mo.W)), d17(sum_of(mo.geometry.dimensionality)), d17(mo.max_abs_cos),
                         d17(mo.match.distance), mo.match.exhaustive ? 1 : 0,
                         csv_field(shape_counts(mo.geometry, opt.n)), fmt::join(D, ";"));
      }
    return s;
  }
  const bool md = format == "md";
  if (!md && format != "text")
    throw InputError("--format: unknown format '" + format + "' (accepted: text, md, csv, json)");
  std::string s = fmt::format("ReLU model beside the power model: d = {}, n = {}.\n", opt.d, opt.n) + law_line(opt) +
                  "loss/zero_loss: 1 = W = 0; N_eff = (zero_loss - loss)/(p g1), g1 the best gain per activation of "
                  "one isolated feature (ReLU 1/3, power c_mu); dims/feature = d max|W_i|^2/|W|_F^2; Gram distance: "
                  "|G_relu - P S G P^T S|_F/max|G|_F after the best relabelling (and signs, power only), Gram "
                  "matrices scaled to a longest feature of 1.\n";
  const std::string header_cells[] = {"p", "model", "loss/zero_loss", "gain/p", "N_eff", "rep", "dims/feature",
                                      "sum D_i", "max|cos|", "Gram dist", "shapes; D_i"};
  if (md) {
    s += "\n|";
    for (const std::string& h : header_cells) s += " " + h + " |";
    s += "\n|";
    for (std::size_t c = 0; c < std::size(header_cells); ++c) s += "---|";
    s += "\n";
  } else {
    s += fmt::format("  {:<10} {:<10} {:>12} {:>12} {:>8} {:>3} {:>12} {:>7} {:>8} {:>9}  {}\n", "p", "model",
                     "loss/zero", "gain/p", "N_eff", "rep", "dims/feature", "sum D_i", "max|cos|", "Gram dist",
                     "shapes; D_i");
  }
  for (std::size_t k = 0; k < points.size(); ++k)
    for (const ModelOptimum& mo : points[k].models) {
      const std::string cells[] = {
          ps[k].text, model_name(mo), vouched(Real50(mo.loss / mo.zero_loss), ratio_digits(mo), 6),
          vouched(mo.gain_over_p, gain_digits(mo), 6), vouched(mo.effective_features, gain_digits(mo), 5),
          std::to_string(mo.geometry.represented.size()), fmt::format("{:.3f}", dims_per_feature(mo.W)),
          fmt::format("{:.3f}", sum_of(mo.geometry.dimensionality)), fmt::format("{:.3f}", mo.max_abs_cos),
          fmt::format("{:.3f}{}", mo.match.distance, mo.match.exhaustive ? "" : "*"),
          shape_counts(mo.geometry, opt.n) + "; " + d3(mo.geometry.dimensionality)};
      if (md) {
        s += "|";
        for (const std::string& c : cells) s += " " + c + " |";
        s += "\n";
      } else {
        s += fmt::format("  {:<10} {:<10} {:>12} {:>12} {:>8} {:>3} {:>12} {:>7} {:>8} {:>9}  {}\n", cells[0],
                         cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9],
                         cells[10]);
      }
    }
  bool heuristic = false;
  for (const ComparePoint& pt : points)
    for (const ModelOptimum& mo : pt.models) heuristic = heuristic || !mo.match.exhaustive;
  if (heuristic) s += "  (*: n > 7, the Gram match is a local search: an upper bound on the distance)\n";
  if (predictions.empty()) return s;
  const ComparePoint* low = smallest_p(points);
  s += fmt::format("\nVery sparse limit (p -> 0) of the power model, docs/theory.md §5.4: gain/p -> c_mu F*_n(d,m), "
                   "N_eff -> F*_n(d,m) <= F*(d,m); F*_n found by `first-order` ({} starts, a lower bound on F*_n).\n",
                   opt.power_starts);
  if (md) {
    s += "\n| m | F*(d,m) | F*_n found | c_mu | limit gain/p | limit loss/zero_loss | first-order optimum: rep; shapes; D_i |\n"
         "|---|---|---|---|---|---|---|\n";
  } else {
    s += fmt::format("  {:<3} {:>10} {:>12} {:>8} {:>13} {:>15}  {}\n", "m", "F*(d,m)", "F*_n found", "c_mu",
                     "lim gain/p", "lim loss/zero", "first-order optimum: rep; shapes; D_i");
  }
  for (const VerySparsePrediction& v : predictions) {
    const std::string fs = v.f_star.str() + (v.f_star.str().find('/') == std::string::npos ? "" : " = " + rational_to_decimal(v.f_star, 6));
    const std::string geo = std::to_string(v.geometry.represented.size()) + "; " + shape_counts(v.geometry, opt.n) +
                            "; " + d3(v.geometry.dimensionality);
    if (md)
      s += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", v.m, fs, to_decimal(v.f_star_n, 10), v.c_mu.str(),
                       to_decimal(v.limit_gain_over_p, 8), to_decimal(v.limit_loss_ratio, 8), geo);
    else
      s += fmt::format("  {:<3} {:>10} {:>12} {:>8} {:>13} {:>15}  {}\n", v.m, fs, to_decimal(v.f_star_n, 10),
                       v.c_mu.str(), to_decimal(v.limit_gain_over_p, 8), to_decimal(v.limit_loss_ratio, 8), geo);
  }
  if (low) {
    const ModelOptimum& r = low->models.front();
    s += fmt::format("{}ReLU optimum at the smallest p = {}: N_eff = {}, loss/zero_loss = {}, {} represented ({}); "
                     "as p -> 0 the ReLU model keeps N_eff >= min(n, 2d) = {} (2d features at pairwise cos <= 0 with "
                     "b = 0 reconstruct one active feature exactly, docs/theory.md §9.5).\n",
                     md ? "\n" : "  ", rational_to_decimal(low->p, 6), vouched(r.effective_features, gain_digits(r), 5),
                     vouched(Real50(r.loss / r.zero_loss), ratio_digits(r), 6), r.geometry.represented.size(),
                     shape_counts(r.geometry, opt.n), std::min(opt.n, 2 * opt.d));
  }
  return s;
}

std::vector<std::string> write_compare_outputs(const CompareOptions& opt, const std::vector<GridP>& ps,
                                               const std::vector<ComparePoint>& points,
                                               const std::vector<VerySparsePrediction>& predictions,
                                               const std::string& dir, bool plot) {
  ensure_directory(dir);
  const fs::path base = fs::absolute(dir);
  std::vector<std::string> written;
  write_file_atomic((base / "compare.csv").string(), render_compare(opt, ps, points, predictions, "csv"));
  written.push_back((base / "compare.csv").string());
  if (!plot || points.empty()) return written;
  std::ostringstream gp;
  gp << "set terminal pngcairo size 1000,650 enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
     << "set output '" << (base / "compare.png").string() << "'\nset datafile separator ','\nset logscale x\n"
     << "set xlabel 'feature probability p (Elhage: 1 - S)'\nset ylabel 'optimal loss / loss of W = 0'\n"
     << "set title \"ReLU model (uniform01) beside the power model (" << opt.law << "): d = " << opt.d
     << ", n = " << opt.n << "\"\nset key outside right top\nset grid lc rgb '#dddddd'\nset yrange [0:1.05]\n"
     << "plot ";
  const char* colours[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  const std::string csv = (base / "compare.csv").string();
  std::size_t c = 0;
  for (const ModelOptimum& mo : points.front().models) {
    const std::string name = model_name(mo);
    gp << (c ? ", \\\n     " : "") << "'" << csv << "' skip 1 using 1:(strcol(2) eq '" << name
       << "' ? $7 : 1/0) with linespoints pt 7 lw 2 lc rgb '" << colours[c % 6] << "' title '" << name << "'";
    if (mo.m != 0)
      for (const VerySparsePrediction& v : predictions)
        if (v.m == mo.m)
          gp << ", \\\n     " << to_decimal(v.limit_loss_ratio, 10) << " with lines dt 2 lc rgb '" << colours[c % 6]
             << "' title 'm=" << v.m << " limit p->0'";
    ++c;
  }
  gp << "\nunset output\n";
  run_gnuplot(base.string(), "compare", gp.str());
  written.push_back((base / "compare.png").string());
  return written;
}

}  // namespace superpose::relu
