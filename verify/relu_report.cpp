// The ReLU model's training sweep: Elhage's presets, the rendering of trained instances and of one W's metrics, and
// the feature-dimensionality figure (verify/verify.hpp, section "The ReLU model").
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
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

}  // namespace superpose::relu
