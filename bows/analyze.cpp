// superpose/bows: analyses of trained BOWS models (code: text_bows/plots.py, validation_vs_singleword_r2.py; the
// scores are ours, bows.md §4.3). Contract in bows/bows.hpp.
#include "bows/bows.hpp"
#include "core/core.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <numeric>
#include <sstream>
#include <sys/wait.h>

namespace superpose::bows {

namespace fs = std::filesystem;

extern const char* const kCategoriesText;  // generated from bows/categories.tsv

namespace {

const double kPi = 3.14159265358979323846;

const std::vector<std::string> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void write_text(const fs::path& p, const std::string& s) { write_file_atomic(p.string(), s); }

struct Loaded {
  Model model;
  Dataset data;
  nlohmann::json config;
  std::string data_dir;  ///< the data folder used, after resolution
};

// The data folders config.json may mean, in order: "data_relative_to_run" resolved against the run folder, then
// "data" (absolute as written; a relative one, written by an older superpose, against the run folder, then as
// given).
std::vector<fs::path> data_candidates(const fs::path& run, const nlohmann::json& cfg) {
  std::vector<fs::path> c;
  if (cfg.is_object() && cfg.contains("data_relative_to_run") && cfg["data_relative_to_run"].is_string())
    c.push_back((run / cfg["data_relative_to_run"].get<std::string>()).lexically_normal());
  const std::string d = cfg.is_object() ? cfg.value("data", std::string{}) : std::string{};
  if (!d.empty()) {
    if (fs::path(d).is_absolute()) c.emplace_back(d);
    else {
      c.push_back((run / d).lexically_normal());
      c.emplace_back(d);
    }
  }
  return c;
}

Loaded load_run(const AnalyzeOptions& o) {
  Loaded L;
  const fs::path run(o.run);
  if (!fs::is_directory(run))
    throw InputError(fmt::format("RUN: '{}' is not a run folder (make one with `superpose bows train`)", o.run));
  nlohmann::json header;
  L.model = read_checkpoint((run / "checkpoint.bin").string(), nullptr, &header);
  std::ifstream cfg(run / "config.json");
  if (cfg) {
    try {
      cfg >> L.config;
    } catch (const nlohmann::json::exception&) {
      throw InputError(fmt::format("'{}': config.json is not JSON", o.run));
    }
  }
  // The dataset the run was trained on, as recorded by train() in config.json and in the checkpoint.
  const std::string cfg_id = L.config.is_object() ? L.config.value("dataset_id", std::string{}) : std::string{};
  const std::string ck_id = header.value("dataset_id", std::string{});
  if (!cfg_id.empty() && !ck_id.empty() && cfg_id != ck_id)
    throw InputError(fmt::format("RUN '{}': config.json names dataset {} but checkpoint.bin was trained on {} (a "
                                 "mixed run folder); train again with --force",
                                 o.run, cfg_id, ck_id));
  const std::string want = ck_id.empty() ? cfg_id : ck_id;
  if (want.empty())
    throw InputError(fmt::format("RUN '{}': records no dataset id (trained by an older superpose); train again",
                                 o.run));
  auto wrong = [&](const std::string& dir, const std::string& id) {
    return OptionError("data", fmt::format("'{}' is dataset {}, not the dataset {} that '{}' was trained on "
                                           "(another corpus, options or split); pass the data folder used for "
                                           "training",
                                           dir, id, want, o.run));
  };
  if (!o.data.empty()) {
    L.data = load_dataset(o.data);
    if (L.data.id != want) throw wrong(o.data, L.data.id);
    L.data_dir = o.data;
  } else {
    const auto cands = data_candidates(run, L.config);
    if (cands.empty()) throw OptionError("data", "the run's config.json names no data folder; pass --data DIR");
    std::string first_wrong;
    for (const auto& c : cands) {
      if (!fs::is_directory(c)) continue;
      Dataset ds = load_dataset(c.string());
      if (ds.id == want) {
        L.data = std::move(ds);
        L.data_dir = c.string();
        break;
      }
      if (first_wrong.empty()) first_wrong = c.string() + " is dataset " + ds.id;
    }
    if (L.data_dir.empty())
      throw OptionError("data", fmt::format("no folder holds the dataset {} that '{}' was trained on (looked at: {}{}); "
                                            "pass --data DIR",
                                            want, o.run, cands.front().string(),
                                            first_wrong.empty() ? "" : "; " + first_wrong));
  }
  if (static_cast<std::size_t>(L.model.V()) != L.data.vocab.size())
    throw InputError(fmt::format("--data '{}': V={} differs from the model's V={}", L.data_dir, L.data.vocab.size(),
                                 L.model.V()));
  return L;
}

// Indices of `words` in the vocabulary (exact match first, then case-insensitive); -1 where absent.
std::vector<long> lookup(const Vocabulary& v, const std::vector<std::string>& words) {
  std::vector<long> out;
  for (const auto& w : words) {
    long i = v.find(w);
    if (i < 0) i = v.find(lower(w));
    out.push_back(i);
  }
  return out;
}

Eigen::MatrixXd columns_of(const Model& m, const std::vector<long>& idx) {
  Eigen::MatrixXd X(static_cast<Eigen::Index>(idx.size()), m.d());
  for (std::size_t k = 0; k < idx.size(); ++k) X.row(static_cast<Eigen::Index>(k)) = m.W.col(idx[k]).cast<double>().transpose();
  return X;
}

std::string csv_matrix(const Eigen::MatrixXd& M, const std::vector<std::string>& names) {
  std::string s = "name";
  for (const auto& n : names) s += "," + n;
  s += "\n";
  for (Eigen::Index i = 0; i < M.rows(); ++i) {
    s += names[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 0; j < M.cols(); ++j) s += fmt::format(",{:.6g}", M(i, j));
    s += "\n";
  }
  return s;
}

// Data-level PCA of a group of indicator columns, as plots.py months does: rows are the training windows that hold
// at least one word of the group; each row is centred by its own mean across the group; a 2-component PCA is fitted
// to those rows; word k sits at (e_k − μ) projected on the two components.
Eigen::MatrixXd data_group_pca(const Csr& train, const std::vector<long>& idx, Eigen::MatrixXd* corr_out) {
  const auto n = static_cast<Eigen::Index>(idx.size());
  std::map<long, Eigen::Index> pos;
  for (Eigen::Index k = 0; k < n; ++k) pos[idx[static_cast<std::size_t>(k)]] = k;
  std::vector<Eigen::VectorXd> rows;
  for (std::size_t r = 0; r < train.rows(); ++r) {
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
    bool any = false;
    for (auto k = train.offsets[r]; k < train.offsets[r + 1]; ++k) {
      auto it = pos.find(static_cast<long>(train.indices[k]));
      if (it != pos.end()) {
        x(it->second) = 1;
        any = true;
      }
    }
    if (any) rows.push_back(std::move(x));
  }
  if (rows.size() < 3) throw InputError("the data hold fewer than 3 windows with a word of the group");
  Eigen::MatrixXd X(static_cast<Eigen::Index>(rows.size()), n);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
  if (corr_out) {
    Eigen::MatrixXd C = X.rowwise() - X.colwise().mean();
    Eigen::MatrixXd cov = C.transpose() * C / static_cast<double>(X.rows());
    Eigen::VectorXd sd = cov.diagonal().cwiseSqrt();
    *corr_out = cov.array() / (sd * sd.transpose()).array().max(1e-300);
  }
  Eigen::MatrixXd Xc = X.colwise() - X.rowwise().mean();
  Eigen::RowVectorXd mu = Xc.colwise().mean();
  Eigen::MatrixXd C = Xc.rowwise() - mu;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(C.transpose() * C);
  Eigen::MatrixXd U = es.eigenvectors().rightCols(2).rowwise().reverse();
  Eigen::MatrixXd E = Eigen::MatrixXd::Identity(n, n);
  return (E.rowwise() - mu) * U;
}

std::string polygon_dat(const Eigen::MatrixXd& P, const std::vector<std::string>& names) {
  std::string s = "# x y name (closed polygon in natural order)\n";
  for (Eigen::Index i = 0; i <= P.rows(); ++i) {
    const Eigen::Index k = i % P.rows();
    s += fmt::format("{:.6g} {:.6g} \"{}\"\n", P(k, 0), P(k, 1), names[static_cast<std::size_t>(k)]);
  }
  return s;
}

nlohmann::json group_cycle(const Loaded& L, const fs::path& out, const std::string& tag,
                           const std::vector<std::string>& group) {
  const auto idx = lookup(L.data.vocab, group);
  std::vector<std::string> names;
  std::vector<long> present;
  for (std::size_t k = 0; k < group.size(); ++k)
    if (idx[k] >= 0) {
      names.push_back(group[k]);
      present.push_back(idx[k]);
    }
  nlohmann::json j = {{"group", tag}, {"words", names}};
  if (present.size() < 4) {
    j["error"] = "fewer than 4 words of the group are in the vocabulary";
    return j;
  }
  Eigen::MatrixXd corr;
  const Eigen::MatrixXd Pd = data_group_pca(L.data.train, present, &corr);
  Eigen::MatrixXd Wg = columns_of(L.model, present);
  for (Eigen::Index i = 0; i < Wg.rows(); ++i) Wg.row(i) /= std::max(Wg.row(i).norm(), 1e-300);
  const Eigen::MatrixXd Pw = pca2(Wg);
  Eigen::MatrixXd cos = Wg * Wg.transpose();
  j["cycle_score_data"] = cycle_score(Pd);
  j["cycle_score_weights"] = cycle_score(Pw);
  j["cycle_score_max"] = present.size();
  const Eigen::MatrixXd Graw = columns_of(L.model, present) * columns_of(L.model, present).transpose();
  j["offdiag_gram_norm"] = (Graw - Eigen::MatrixXd(Graw.diagonal().asDiagonal())).norm();
  j["cosine_vs_data_correlation_r"] = offdiagonal_correlation(cos, corr);
  write_text(out / (tag + "_data_corr.csv"), csv_matrix(corr, names));
  write_text(out / (tag + "_weight_cosine.csv"), csv_matrix(cos, names));
  std::string pcs = "name,data_pc1,data_pc2,weights_pc1,weights_pc2\n";
  for (std::size_t k = 0; k < names.size(); ++k)
    pcs += fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g}\n", names[k], Pd(static_cast<Eigen::Index>(k), 0),
                       Pd(static_cast<Eigen::Index>(k), 1), Pw(static_cast<Eigen::Index>(k), 0),
                       Pw(static_cast<Eigen::Index>(k), 1));
  write_text(out / (tag + "_pca.csv"), pcs);
  write_text(out / (tag + "_pca_data.dat"), polygon_dat(Pd, names));
  write_text(out / (tag + "_pca_weights.dat"), polygon_dat(Pw, names));
  j["figure"] = tag + "_pca.svg";
  return j;
}

// ---------------------------------------------------------------------------------------------------------------

nlohmann::json analyze_months(const Loaded& L, const fs::path& out, bool plot) {
  const std::vector<std::string>& months = kMonths;
  const std::vector<std::string> days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  nlohmann::json j = {{"analysis", "months"}};
  j["months"] = group_cycle(L, out, "months", months);
  j["days"] = group_cycle(L, out, "days", days);
  if (plot)
    for (const std::string tag : {"months", "days"}) {
      if (j[tag].contains("error")) continue;
      run_gnuplot(out.string(), tag + "_pca", fmt::format(R"gp(set multiplot layout 1,2 title "{0}: 2-D PCA in calendar order (cycle score data {1}/{3}, weights {2}/{3})"
set size ratio -1
unset key
set title "data (window indicators)"
plot '{0}_pca_data.dat' using 1:2 with linespoints pt 7 lc rgb '#1f77b4', '' every ::1 using 1:2:3 with labels offset 1,0.6 font ',9'
set title "weights (normalised columns of W)"
plot '{0}_pca_weights.dat' using 1:2 with linespoints pt 7 lc rgb '#d62728', '' every ::1 using 1:2:3 with labels offset 1,0.6 font ',9'
unset multiplot
)gp",
                                                         tag, j[tag]["cycle_score_data"].get<int>(),
                                                         j[tag]["cycle_score_weights"].get<int>(),
                                                         j[tag]["cycle_score_max"].get<std::size_t>()));
    }
  return j;
}

// One-hot pre-activation z_v(e_v) = b_v + ‖W_v‖² and the per-word R², in context (held-out windows) and one-hot.
nlohmann::json analyze_interference(const Loaded& L, const fs::path& out, const std::vector<std::string>& chosen,
                                    bool plot) {
  const Model& m = L.model;
  const Eigen::Index V = m.V();
  const Csr& held = L.data.heldout.rows() ? L.data.heldout : L.data.train;
  // Context R²: streaming sums over the held-out windows.
  Eigen::VectorXd ss_res = Eigen::VectorXd::Zero(V), sum_x = Eigen::VectorXd::Zero(V);
  Eigen::VectorXd present_pos = Eigen::VectorXd::Zero(V), present_n = Eigen::VectorXd::Zero(V);
  Workspace ws;
  const std::size_t B = 256;
  for (std::size_t s = 0; s < held.rows(); s += B) {
    std::vector<std::size_t> rows;
    for (std::size_t r = s; r < std::min(held.rows(), s + B); ++r) rows.push_back(r);
    loss_and_gradient(m, held, rows, nullptr, ws);  // leaves Z = WᵀH + b in ws.Z
    for (std::size_t c = 0; c < rows.size(); ++c) {
      const auto col = static_cast<Eigen::Index>(c);
      Eigen::VectorXd y = ws.Z.col(col).cast<double>();
      if (m.relu) y = y.cwiseMax(0.0);
      ss_res += y.cwiseAbs2();
      for (auto k = held.offsets[rows[c]]; k < held.offsets[rows[c] + 1]; ++k) {
        const auto v = static_cast<Eigen::Index>(held.indices[k]);
        ss_res(v) += 1.0 - 2.0 * y(v);
        sum_x(v) += 1;
        present_n(v) += 1;
        if (ws.Z(v, col) > 0) present_pos(v) += 1;
      }
    }
  }
  const double N = static_cast<double>(held.rows());
  // One-hot R²: inputs e_j for j = 1 … V; the output matrix is WᵀW + b 1ᵀ, taken in column blocks.
  Eigen::VectorXd ss_res1 = Eigen::VectorXd::Zero(V);
  for (Eigen::Index j0 = 0; j0 < V; j0 += 512) {
    const Eigen::Index nb = std::min<Eigen::Index>(512, V - j0);
    Eigen::MatrixXf Z = m.W.transpose() * m.W.middleCols(j0, nb);
    Z.colwise() += m.b;
    if (m.relu) Z = Z.cwiseMax(0.0f);
    for (Eigen::Index c = 0; c < nb; ++c) Z(j0 + c, c) -= 1.0f;
    ss_res1 += Z.cast<double>().cwiseAbs2().rowwise().sum();
  }
  const double ss_tot1 = 1.0 - 1.0 / static_cast<double>(V);
  const Eigen::VectorXf self = m.W.colwise().squaredNorm().transpose();
  std::vector<std::tuple<double, Eigen::Index>> gap;
  std::string csv = "index,word,count,bias,self,onehot_preactivation,r2_context,r2_onehot,windows_with_word,"
                    "fraction_positive_when_present\n";
  std::size_t only_context = 0, considered = 0, neg_onehot = 0;
  for (Eigen::Index v = 0; v < V; ++v) {
    const double p = sum_x(v) / N;
    const double ss_tot = N * p * (1 - p);
    const double r2c = ss_tot > 0 ? 1 - ss_res(v) / ss_tot : std::nan("");
    const double r2o = 1 - ss_res1(v) / ss_tot1;
    const double z1 = m.b(v) + self(v);
    const double fpos = present_n(v) > 0 ? present_pos(v) / present_n(v) : std::nan("");
    if (z1 <= 0) ++neg_onehot;
    if (present_n(v) >= 5) {
      ++considered;
      if (z1 <= 0 && fpos > 0.5) ++only_context;
    }
    if (ss_tot > 0) gap.emplace_back(r2c - r2o, v);
    csv += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.4f}\n", v, L.data.vocab.words[static_cast<std::size_t>(v)],
                       L.data.vocab.counts[static_cast<std::size_t>(v)], m.b(v), self(v), z1, r2c, r2o,
                       present_n(v), fpos);
  }
  write_text(out / "interference_words.csv", csv);
  std::sort(gap.begin(), gap.end(), [](auto& a, auto& b) { return std::get<0>(a) > std::get<0>(b); });
  nlohmann::json top = nlohmann::json::array();
  for (std::size_t k = 0; k < std::min<std::size_t>(25, gap.size()); ++k)
    top.push_back(L.data.vocab.words[static_cast<std::size_t>(std::get<1>(gap[k]))]);
  double mean_r2c = 0, mean_r2o = 0;
  std::size_t nr = 0;
  for (auto& [g, v] : gap) {
    const double p = sum_x(v) / N;
    mean_r2c += 1 - ss_res(v) / (N * p * (1 - p));
    mean_r2o += 1 - ss_res1(v) / ss_tot1;
    ++nr;
  }
  nlohmann::json j = {{"analysis", "interference"},
                      {"heldout_windows", held.rows()},
                      {"negative_bias_fraction", static_cast<double>((m.b.array() < 0).count()) / static_cast<double>(V)},
                      {"negative_onehot_preactivation_fraction", static_cast<double>(neg_onehot) / static_cast<double>(V)},
                      {"words_seen_in_5_heldout_windows", considered},
                      {"words_reconstructed_only_in_context", only_context},
                      {"only_in_context_definition",
                       "b_v + |W_v|^2 <= 0 (off when alone) but z_v > 0 in more than half of the held-out windows "
                       "that contain v (at least 5 such windows)"},
                      {"mean_r2_context", nr ? mean_r2c / static_cast<double>(nr) : 0.0},
                      {"mean_r2_onehot", nr ? mean_r2o / static_cast<double>(nr) : 0.0},
                      {"top_context_gain_words", top}};

  // Decomposition for chosen words: correlated context = the 4 words whose window indicator correlates most with v's
  // (phi coefficient over the training windows, words in at least 20 windows), unrelated context = the 4 such words
  // whose correlation with v is closest to 0.
  const Csr& tr = L.data.train;
  const double NT = static_cast<double>(tr.rows());
  Eigen::VectorXd df = Eigen::VectorXd::Zero(V);
  for (auto idx : tr.indices) df(idx) += 1;
  std::string towers = "word,tower,bias,self,context,total\n";
  std::string towers_dat = "# tower bias self context total label\n";
  nlohmann::json dec = nlohmann::json::array();
  int tower_x = 0;
  for (const auto& w : chosen) {
    const long v = lookup(L.data.vocab, {w})[0];
    if (v < 0) continue;
    Eigen::VectorXd co = Eigen::VectorXd::Zero(V);
    for (std::size_t r = 0; r < tr.rows(); ++r) {
      const auto b0 = tr.indices.begin() + static_cast<std::ptrdiff_t>(tr.offsets[r]);
      const auto b1 = tr.indices.begin() + static_cast<std::ptrdiff_t>(tr.offsets[r + 1]);
      if (!std::binary_search(b0, b1, static_cast<std::uint32_t>(v))) continue;
      for (auto it = b0; it != b1; ++it) co(*it) += 1;
    }
    // Indicator correlation (phi coefficient) of u with v over the training windows: it weighs strength against
    // support, where PMI favours rare words.
    std::vector<std::pair<double, Eigen::Index>> pmi, nearzero;
    const double pv = df(v) / NT;
    for (Eigen::Index u = 0; u < V; ++u) {
      if (u == v || df(u) < 20) continue;
      const double pu = df(u) / NT, puv = co(u) / NT;
      const double den = std::sqrt(pu * (1 - pu) * pv * (1 - pv));
      if (!(den > 0)) continue;
      const double phi = (puv - pu * pv) / den;
      pmi.emplace_back(-phi, u);
      nearzero.emplace_back(std::abs(phi), u);
    }
    std::sort(pmi.begin(), pmi.end());
    std::sort(nearzero.begin(), nearzero.end());
    auto dotv = [&](Eigen::Index u) { return static_cast<double>(m.W.col(v).dot(m.W.col(u))); };
    auto names = [&](const std::vector<std::pair<double, Eigen::Index>>& s) {
      std::vector<Eigen::Index> idx;
      for (std::size_t k = 0; k < std::min<std::size_t>(4, s.size()); ++k) idx.push_back(s[k].second);
      return idx;
    };
    const auto corr_set = names(pmi), unrel_set = names(nearzero);
    auto ctx = [&](const std::vector<Eigen::Index>& s) {
      double c = 0;
      for (auto u : s) c += dotv(u);
      return c;
    };
    const double bias = m.b(v), selfv = self(v);
    nlohmann::json d = {{"word", w}, {"bias", bias}, {"self", selfv}};
    auto wordlist = [&](const std::vector<Eigen::Index>& s) {
      std::vector<std::string> r;
      for (auto u : s) r.push_back(L.data.vocab.words[static_cast<std::size_t>(u)]);
      return r;
    };
    d["correlated_words"] = wordlist(corr_set);
    d["unrelated_words"] = wordlist(unrel_set);
    d["alone"] = bias + selfv;
    d["with_correlated"] = bias + selfv + ctx(corr_set);
    d["with_unrelated"] = bias + selfv + ctx(unrel_set);
    d["correlated_without_word"] = bias + ctx(corr_set);
    d["fraction_positive_in_heldout_windows_with_word"] = present_n(v) > 0 ? present_pos(v) / present_n(v) : 0.0;
    dec.push_back(d);
    const std::vector<std::tuple<std::string, double, double, double>> rows = {
        {"alone", bias, selfv, 0.0},
        {"+correlated", bias, selfv, ctx(corr_set)},
        {"+unrelated", bias, selfv, ctx(unrel_set)},
        {"correlated only", bias, 0.0, ctx(corr_set)}};
    for (const auto& [name, bb, ss, cc] : rows) {
      towers += fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n", w, name, bb, ss, cc, bb + ss + cc);
      towers_dat += fmt::format("{} {:.6g} {:.6g} {:.6g} {:.6g} \"{}: {}\"\n", tower_x++, bb, ss, cc, bb + ss + cc, w, name);
    }
    ++tower_x;
  }
  j["decompositions"] = dec;
  write_text(out / "interference_towers.csv", towers);
  write_text(out / "interference_towers.dat", towers_dat);
  // R² scatter data.
  std::string sc = "# r2_onehot r2_context\n";
  for (auto& [g, v] : gap) {
    const double p = sum_x(v) / N;
    sc += fmt::format("{:.5g} {:.5g}\n", 1 - ss_res1(v) / ss_tot1, 1 - ss_res(v) / (N * p * (1 - p)));
  }
  write_text(out / "interference_r2.dat", sc);
  if (plot) {
    run_gnuplot(out.string(), "interference_r2", R"gp(set title "Per-word R^2: held-out context against the word alone (one-hot)"
set xlabel "R^2, one-hot input"
set ylabel "R^2, held-out windows"
set xrange [-1:1]
set yrange [-1:1]
unset key
plot 'interference_r2.dat' using 1:2 with points pt 7 ps 0.3 lc rgb '#1f77b4', x with lines dt 2 lc rgb 'black'
)gp");
    if (!dec.empty())
      run_gnuplot(out.string(), "interference_towers", R"gp(set title "Pre-activation z_v = bias + self + context (stacked from the bias)"
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -60 font ',8'
set ylabel "z_v"
set key outside right
set grid ytics
plot 'interference_towers.dat' using 1:2:xtic(6) with boxes lc rgb '#7f7f7f' title 'bias', \
     '' using 1:2:($1-0.4):($1+0.4):2:($2+$3) with boxxy lc rgb '#1f77b4' title 'self |W_v|^2', \
     '' using 1:2:($1-0.4):($1+0.4):($2+$3):($2+$3+$4) with boxxy lc rgb '#2ca02c' title 'context', \
     '' using 1:5 with points pt 7 lc rgb 'black' title 'total', 0 with lines lc rgb 'black' notitle
)gp");
  }
  return j;
}

std::vector<std::pair<std::string, std::vector<std::string>>> categories() {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  std::istringstream in(kCategoriesText);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.emplace_back(line.substr(0, tab), split(line.substr(tab + 1), ','));
  }
  return out;
}

nlohmann::json analyze_similarity(const Loaded& L, const fs::path& out, std::size_t top, bool plot) {
  const Model& m = L.model;
  const Csr& tr = L.data.train;
  const auto V = static_cast<std::size_t>(m.V());
  top = std::min(top, V);
  // The top×top co-occurrence counts and the top×d normalised columns, in double.
  check_memory(8.0 * (static_cast<double>(top) * static_cast<double>(top) + static_cast<double>(top) * m.d()),
               "pairs_top", fmt::format("comparing the pairs of {} words", top), "lower it");
  // The `top` most frequent words by training-window frequency (forced words included only if frequent).
  std::vector<double> df(V, 0);
  for (auto i : tr.indices) df[i] += 1;
  std::vector<std::size_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return df[a] > df[b]; });
  order.resize(top);
  std::vector<long> slot(V, -1);
  for (std::size_t k = 0; k < top; ++k) slot[order[k]] = static_cast<long>(k);
  Eigen::MatrixXd co = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(top), static_cast<Eigen::Index>(top));
  std::vector<long> act;
  for (std::size_t r = 0; r < tr.rows(); ++r) {
    act.clear();
    for (auto k = tr.offsets[r]; k < tr.offsets[r + 1]; ++k)
      if (slot[tr.indices[k]] >= 0) act.push_back(slot[tr.indices[k]]);
    for (std::size_t a = 0; a < act.size(); ++a)
      for (std::size_t b = a + 1; b < act.size(); ++b) co(act[a], act[b]) += 1;
  }
  const double N = static_cast<double>(tr.rows());
  Eigen::MatrixXd Wt(static_cast<Eigen::Index>(top), m.d());
  for (std::size_t k = 0; k < top; ++k) {
    Eigen::VectorXd w = m.W.col(static_cast<Eigen::Index>(order[k])).cast<double>();
    Wt.row(static_cast<Eigen::Index>(k)) = w.transpose() / std::max(w.norm(), 1e-300);
  }
  const Eigen::MatrixXd cos = Wt * Wt.transpose();
  std::vector<double> xs, ys;
  std::string dat = "# pmi cosine\n";
  for (std::size_t a = 0; a < top; ++a)
    for (std::size_t b = a + 1; b < top; ++b) {
      const double c = co(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
      if (c < 5) continue;  // PMI of rarer pairs is noise
      const double pmi = std::log(c * N / (df[order[a]] * df[order[b]]));
      xs.push_back(pmi);
      ys.push_back(cos(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)));
      if (xs.size() % 7 == 0) dat += fmt::format("{:.4g} {:.4g}\n", pmi, ys.back());  // every 7th pair, for the plot
    }
  if (xs.size() < 3)
    throw OptionError("pairs_top", fmt::format("only {} pairs of the {} most frequent words co-occur in 5 or more "
                                               "windows; a Spearman correlation needs 3: raise it",
                                               xs.size(), top));
  nlohmann::json j = {{"analysis", "similarity"}, {"top_words", top}, {"pairs", xs.size()},
                      {"pair_rule", "both among the top words by window frequency, co-occurring in >= 5 windows"},
                      {"spearman_cosine_pmi", spearman(xs, ys)}};
  // Categories: mean within-category cosine minus mean between-category cosine, and 5-NN category purity.
  std::vector<std::pair<std::string, long>> members;
  std::map<std::string, std::vector<long>> by_cat;
  std::set<long> seen;
  for (const auto& [cat, words] : categories())
    for (const auto& w : words) {
      long v = -1;
      for (std::size_t i = 0; i < V && v < 0; ++i)
        if (lower(L.data.vocab.words[i]) == w && !seen.count(static_cast<long>(i))) v = static_cast<long>(i);
      if (v < 0) continue;
      seen.insert(v);
      members.emplace_back(cat, v);
      by_cat[cat].push_back(v);
    }
  Eigen::MatrixXd Wc(static_cast<Eigen::Index>(members.size()), m.d());
  for (std::size_t k = 0; k < members.size(); ++k) {
    Eigen::VectorXd w = m.W.col(members[k].second).cast<double>();
    Wc.row(static_cast<Eigen::Index>(k)) = w.transpose() / std::max(w.norm(), 1e-300);
  }
  const Eigen::MatrixXd cc = Wc * Wc.transpose();
  double within = 0, between = 0;
  std::size_t nw = 0, nb = 0, pure = 0, total = 0;
  std::string cat_csv = "category,words_in_vocab,mean_within_cosine\n";
  std::map<std::string, std::pair<double, std::size_t>> per_cat;
  for (std::size_t a = 0; a < members.size(); ++a) {
    std::vector<std::pair<double, std::size_t>> nn;
    for (std::size_t b = 0; b < members.size(); ++b) {
      if (a == b) continue;
      const double c = cc(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
      nn.emplace_back(-c, b);
      if (b < a) continue;
      if (members[a].first == members[b].first) {
        within += c;
        ++nw;
        per_cat[members[a].first].first += c;
        per_cat[members[a].first].second += 1;
      } else {
        between += c;
        ++nb;
      }
    }
    std::partial_sort(nn.begin(), nn.begin() + std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(nn.size())),
                      nn.end());
    for (std::size_t k = 0; k < std::min<std::size_t>(5, nn.size()); ++k) {
      ++total;
      if (members[nn[k].second].first == members[a].first) ++pure;
    }
  }
  for (const auto& [cat, v] : by_cat)
    cat_csv += fmt::format("{},{},{:.5g}\n", cat, v.size(),
                           per_cat[cat].second ? per_cat[cat].first / static_cast<double>(per_cat[cat].second) : 0.0);
  std::map<std::string, std::size_t> sizes;
  for (const auto& [c, v] : by_cat) sizes[c] = v.size();
  double chance = 0;  // purity of a random 5-NN: Σ_c (n_c/n)(n_c−1)/(n−1)
  for (const auto& [c, s] : sizes)
    chance += static_cast<double>(s) / static_cast<double>(members.size()) * static_cast<double>(s - 1) /
              static_cast<double>(members.size() - 1);
  j["category_words_in_vocab"] = members.size();
  j["mean_within_category_cosine"] = nw ? within / static_cast<double>(nw) : 0.0;
  j["mean_between_category_cosine"] = nb ? between / static_cast<double>(nb) : 0.0;
  j["within_minus_between"] = j["mean_within_category_cosine"].get<double>() - j["mean_between_category_cosine"].get<double>();
  j["knn5_category_purity"] = total ? static_cast<double>(pure) / static_cast<double>(total) : 0.0;
  j["knn5_chance_purity"] = chance;
  write_text(out / "similarity_categories.csv", cat_csv);
  write_text(out / "similarity_pairs.dat", dat);
  if (plot)
    run_gnuplot(out.string(), "similarity",
                fmt::format(R"gp(set title "cos(W_u, W_v) against PMI of frequent word pairs (Spearman {:.3f}; every 7th pair drawn)"
set xlabel "PMI(u, v) over training windows"
set ylabel "cosine of the weight columns"
unset key
plot 'similarity_pairs.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#1f77b4'
)gp",
                            j["spearman_cosine_pmi"].get<double>()));
  return j;
}

nlohmann::json paper_row(const std::string& quantity, const nlohmann::json& paper, const nlohmann::json& ours,
                         const std::string& paper_setting);

// Mean and sample standard deviation (n − 1; 0 for one value).
std::pair<double, double> mean_sd(const std::vector<double>& x) {
  // Equal values: exactly that value and 0 (the division below would round 0.05 · 3 / 3 away from 0.05).
  if (x.empty()) throw InputError("mean and sd of no value");
  if (std::all_of(x.begin(), x.end(), [&](double v) { return v == x.front(); })) return {x.front(), 0.0};
  const double n = static_cast<double>(x.size());
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return {mean, x.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0};
}

nlohmann::json mean_sd_json(const std::vector<double>& x) {
  const auto [m, sd] = mean_sd(x);
  return {{"mean", m}, {"sd", sd}, {"n", x.size()}, {"values", x}};
}

// The run folders below a sweep folder: its sub-folders with a checkpoint.bin, and their seed<S> sub-folders that
// hold one (a `train --seeds` run per width), sorted by path.
std::vector<fs::path> sweep_runs(const fs::path& dir) {
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_directory()) continue;
    if (fs::exists(e.path() / "checkpoint.bin")) runs.push_back(e.path());
    else
      for (const auto& f : fs::directory_iterator(e.path()))
        if (f.is_directory() && fs::exists(f.path() / "checkpoint.bin")) runs.push_back(f.path());
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

// Below this RMS cosine a category counts as orthogonalised (random unit vectors in d dimensions: about 1/√d).
constexpr double kOrthogonalRms = 0.1;

nlohmann::json analyze_structure(const AnalyzeOptions& o, const fs::path& out) {
  // A sweep folder of runs at several d (one seed each, or seed<S> sub-folders): per category and d, the mean ± sd
  // over the runs at that d of the category's Gram-block measures (group_gram).
  if (!fs::is_directory(o.run)) throw InputError(fmt::format("RUN: '{}' is not a sweep folder", o.run));
  const auto runs = sweep_runs(o.run);
  if (runs.empty()) throw InputError(fmt::format("RUN: no run with a checkpoint.bin below '{}'", o.run));
  struct Row {
    Eigen::Index d;
    std::string category, run;
    std::uint64_t seed;
    GroupGram g;
  };
  std::vector<Row> rows;
  std::map<std::string, std::vector<std::string>> found;  // category -> words found in the first run
  for (const auto& run : runs) {
    AnalyzeOptions sub = o;
    sub.run = run.string();
    sub.data.clear();
    const Loaded L = load_run(sub);
    const std::uint64_t seed = L.config.is_object() ? L.config.value("seed", std::uint64_t{0}) : 0;
    for (const auto& cat : o.categories) {
      const auto words = category_words(cat);
      const auto idx = lookup(L.data.vocab, words);
      std::vector<long> present;
      std::vector<std::string> names;
      for (std::size_t k = 0; k < idx.size(); ++k)
        if (idx[k] >= 0) {
          present.push_back(idx[k]);
          names.push_back(words[k]);
        }
      if (!found.count(cat)) found[cat] = names;
      if (present.size() < 2) continue;
      rows.push_back({L.model.d(), cat, fs::relative(run, o.run).string(), seed, group_gram(L.model.W, present)});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.category, a.d, a.seed, a.run) < std::tie(b.category, b.d, b.seed, b.run);
  });
  std::string runs_csv = "category,d,seed,run,words,rms_cosine,offdiag_cosine_norm,offdiag_raw_norm\n";
  for (const auto& r : rows)
    runs_csv += fmt::format("{},{},{},{},{},{:.6g},{:.6g},{:.6g}\n", r.category, r.d, r.seed, r.run, r.g.words,
                            r.g.rms_cosine, r.g.offdiag_cosine_norm, r.g.offdiag_raw_norm);
  std::string csv = "category,d,runs,rms_cosine_mean,rms_cosine_sd,offdiag_cosine_norm_mean,offdiag_cosine_norm_sd,"
                    "offdiag_raw_norm_mean,offdiag_raw_norm_sd\n";
  nlohmann::json cats = nlohmann::json::object();
  std::string plot_cmd;
  int block = 0;
  for (const auto& cat : o.categories) {
    std::map<Eigen::Index, std::vector<const Row*>> by_d;
    for (const auto& r : rows)
      if (r.category == cat) by_d[r.d].push_back(&r);
    nlohmann::json widths = nlohmann::json::array();
    nlohmann::json orth_d = nullptr;
    std::string dat = fmt::format("# {}: d rms_mean rms_sd\n", cat);
    for (const auto& [d, rs] : by_d) {
      std::vector<double> rms, cn, raw;
      for (const Row* r : rs) {
        rms.push_back(r->g.rms_cosine);
        cn.push_back(r->g.offdiag_cosine_norm);
        raw.push_back(r->g.offdiag_raw_norm);
      }
      const auto [rm, rsd] = mean_sd(rms);
      const auto [cm, csd] = mean_sd(cn);
      const auto [wm, wsd] = mean_sd(raw);
      csv += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", cat, d, rs.size(), rm, rsd, cm, csd,
                         wm, wsd);
      dat += fmt::format("{} {:.6g} {:.6g}\n", d, rm, rsd);
      if (orth_d.is_null() && rm < kOrthogonalRms) orth_d = d;
      widths.push_back({{"d", d}, {"rms_cosine", mean_sd_json(rms)}, {"offdiag_cosine_norm", mean_sd_json(cn)},
                        {"offdiag_raw_norm", mean_sd_json(raw)}});
    }
    cats[cat] = {{"words", found[cat]}, {"widths", widths}, {"orthogonal_width", orth_d}};
    if (by_d.empty()) {
      cats[cat]["error"] = "fewer than 2 of its words are in the vocabulary";
      continue;
    }
    write_text(out / fmt::format("structure_{}.dat", cat), dat);
    plot_cmd += fmt::format("{}'structure_{}.dat' using 1:2:3 with yerrorlines pt 7 title '{} ({} words)'",
                            block++ ? ", \\\n     " : "plot ", cat, cat, found[cat].size());
  }
  write_text(out / "structure.csv", csv);
  write_text(out / "structure_runs.csv", runs_csv);
  nlohmann::json j = {{"analysis", "structure"},
                      {"orthogonal_below_rms_cosine", kOrthogonalRms},
                      {"runs", runs.size()},
                      {"categories", cats}};
  if (cats.contains("months") && cats.contains("roman")) {
    j["paper_comparison"] = nlohmann::json::array(
        {paper_row("smallest d with the RMS cosine of the months below " + fmt::format("{}", kOrthogonalRms),
                   "smaller than the Roman numerals'", cats["months"]["orthogonal_width"],
                   "WikiText-103, V = 10k, weight decay 1, seeds 1-3, L up to 10,000"),
         paper_row("the same for the Roman numerals I ... X", "larger than the months'",
                   cats["roman"]["orthogonal_width"], "WikiText-103, V = 10k, weight decay 1, seeds 1-3")});
  }
  if (o.plot && !plot_cmd.empty())
    run_gnuplot(out.string(), "structure",
                fmt::format(R"gp(set title "Word categories: RMS off-diagonal cosine of the Gram block against latent width d (mean +- sd over seeds)"
set logscale x
set offsets graph 0.05, graph 0.05, 0, 0
set yrange [0:*]
set xlabel "d"
set ylabel "||C - I||_F / sqrt(k(k-1)), C = cosines of the k columns"
set key top right
{} , \
     {} with lines dt 2 lc rgb 'black' title 'orthogonal below'
)gp",
                            plot_cmd, kOrthogonalRms));
  return j;
}

// The paper's classes for the synthetic 12-feature cycle against width (its Figure: linear projects the circle at
// every m; ReLU: a ring for m < 6, antipodal pairs for m = 6 ... 10, towards the identity as m -> 12).
std::string paper_cycle_geometry(bool relu, Eigen::Index d) {
  if (!relu) return "ring";
  if (d < 6) return "ring";
  if (d <= 10) return "antipodal";
  return "identity";
}

nlohmann::json analyze_synthetic_sweep(const AnalyzeOptions& o, const fs::path& out,
                                       const std::function<void(const std::string&)>& progress) {
  SyntheticDataOptions data;  // the code's circular set: 12 features, sharpness 10, base log-odds 0, seed 42
  data.structure = Structure::circular;
  const auto n = static_cast<Eigen::Index>(data.features);
  std::string runs_csv = "model,d,seed,geometry,neighbour_cosine,opposite_cosine,max_opposite_cosine,max_abs_other,"
                         "circulance,effective_rank,dead,offdiag_correlation,train_loss,validation_loss\n";
  std::string csv = "model,d,paper,ours,agree,count_ring,count_antipodal,count_identity,count_other,"
                    "neighbour_cosine_mean,neighbour_cosine_sd,opposite_cosine_mean,opposite_cosine_sd,"
                    "effective_rank_mean,effective_rank_sd,offdiag_correlation_mean,offdiag_correlation_sd\n";
  nlohmann::json widths = nlohmann::json::array();
  std::string dat[2];
  int agree_count[2] = {0, 0};
  for (const bool relu : {false, true}) {
    const std::string model = relu ? "relu" : "linear";
    dat[relu] = fmt::format("# {}: d neighbour_mean neighbour_sd opposite_mean opposite_sd label\n", model);
    for (Eigen::Index d = 1; d <= n; ++d) {
      std::map<std::string, int> counts = {{"ring", 0}, {"antipodal", 0}, {"identity", 0}, {"other", 0}};
      std::vector<double> nb, op, er, tl, rc;
      for (const auto seed : o.seeds) {
        SyntheticTrainOptions t;
        t.d = d;
        t.relu = relu;
        t.weight_decay = o.synthetic_weight_decay;
        t.seed = seed;
        const SyntheticResult r = train_synthetic(data, t);
        const CycleGeometryResult g = classify_cycle_geometry(r.model.W.cast<double>());
        ++counts[to_string(g.geometry)];
        nb.push_back(g.neighbour_cosine);
        op.push_back(g.opposite_cosine);
        er.push_back(g.effective_rank);
        tl.push_back(r.train_loss);
        rc.push_back(r.offdiag_correlation);
        runs_csv += fmt::format("{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.6g},{:.6g},{:.6g}\n", model,
                                d, seed, to_string(g.geometry), g.neighbour_cosine, g.opposite_cosine,
                                g.max_opposite_cosine, g.max_abs_other, g.circulance, g.effective_rank, g.dead,
                                r.offdiag_correlation, r.train_loss, r.validation_loss);
      }
      if (progress) progress(fmt::format("synthetic sweep: {} d = {} done", model, d));
      // The class of the width: the one most seeds share ("mixed" when no class has a strict majority).
      std::string ours = "mixed";
      for (const auto& [cls, c] : counts)
        if (2 * c > static_cast<int>(o.seeds.size())) ours = cls;
      const std::string paper = paper_cycle_geometry(relu, d);
      const bool agree = ours == paper;
      agree_count[relu] += agree;
      const auto [nbm, nbs] = mean_sd(nb);
      const auto [opm, ops] = mean_sd(op);
      const auto [erm, ers] = mean_sd(er);
      const auto [rcm, rcs] = mean_sd(rc);
      csv += fmt::format("{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", model, d,
                         paper, ours, agree ? 1 : 0, counts["ring"], counts["antipodal"], counts["identity"],
                         counts["other"], nbm, nbs, opm, ops, erm, ers, rcm, rcs);
      dat[relu] += fmt::format("{} {:.6g} {:.6g} {:.6g} {:.6g} \"{}\"\n", d, nbm, nbs, opm, ops, ours);
      widths.push_back({{"model", model},
                        {"d", d},
                        {"paper", paper},
                        {"ours", ours},
                        {"agree", agree},
                        {"counts", counts},
                        {"neighbour_cosine", mean_sd_json(nb)},
                        {"opposite_cosine", mean_sd_json(op)},
                        {"effective_rank", mean_sd_json(er)},
                        {"offdiag_correlation", mean_sd_json(rc)},
                        {"train_loss", mean_sd_json(tl)}});
    }
  }
  write_text(out / "synthetic-sweep.csv", csv);
  write_text(out / "synthetic-sweep_runs.csv", runs_csv);
  write_text(out / "synthetic-sweep_linear.dat", dat[0]);
  write_text(out / "synthetic-sweep_relu.dat", dat[1]);
  if (o.plot)
    run_gnuplot(out.string(), "synthetic-sweep",
                fmt::format(R"gp(set multiplot layout 1,2 title "Synthetic 12-feature cycle, weight decay {}: cosines of neighbours and of opposite features against d (mean +- sd over {} seeds; label: class)"
set xrange [0.5:12.5]
set yrange [-1.25:1.35]
set xtics 1
set xlabel "latent width d (the paper's m)"
set ylabel "cosine"
set key bottom left
set title "linear"
plot 'synthetic-sweep_linear.dat' using 1:2:3 with yerrorlines pt 7 title 'neighbours (k, k+1)', \
     '' using 1:4:5 with yerrorlines pt 5 title 'opposite (k, k+6)', \
     '' using 1:(1.2):6 with labels rotate by 90 font ',9' notitle
set title "ReLU"
plot 'synthetic-sweep_relu.dat' using 1:2:3 with yerrorlines pt 7 title 'neighbours (k, k+1)', \
     '' using 1:4:5 with yerrorlines pt 5 title 'opposite (k, k+6)', \
     '' using 1:(1.2):6 with labels rotate by 90 font ',9' notitle
unset multiplot
)gp",
                            o.synthetic_weight_decay, o.seeds.size()));
  return {{"analysis", "synthetic-sweep"},
          {"structure", "circular"},
          {"features", n},
          {"weight_decay", o.synthetic_weight_decay},
          {"seeds", o.seeds},
          {"thresholds",
           {{"orthogonal_below", kOrthogonalBelow},
            {"antipodal_cosine", kAntipodalCosine},
            {"ring_neighbour_cosine", kRingNeighbourCosine},
            {"ring_circulance", kRingCirculance},
            {"ring_contrast", kRingContrast}}},
          {"widths", widths},
          {"paper_comparison",
           nlohmann::json::array(
               {paper_row("widths d = 1 ... 12 whose class agrees with the paper, linear", "ring (projected circle) at "
                          "every width", fmt::format("{} of 12", agree_count[0]), "synthetic circular, n = 12"),
                paper_row("widths d = 1 ... 12 whose class agrees with the paper, ReLU",
                          "ring for d < 6, antipodal for d = 6 ... 10, identity as d -> 12",
                          fmt::format("{} of 12", agree_count[1]), "synthetic circular, n = 12")})}};
}

Eigen::MatrixXd read_matrix_csv(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw InputError(fmt::format("'{}': missing (run `superpose bows synthetic --out DIR` first)", p.string()));
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto f = split(line, ',');
    std::vector<double> r;
    for (std::size_t k = 1; k < f.size(); ++k) r.push_back(std::stod(f[k]));
    rows.push_back(r);
  }
  if (rows.empty() || rows[0].size() != rows.size())
    throw InputError(fmt::format("'{}': not a square matrix CSV", p.string()));
  Eigen::MatrixXd M(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t k = 0; k < rows.size(); ++k) M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = rows[i].at(k);
  return M;
}

nlohmann::json analyze_synthetic(const AnalyzeOptions& o, const fs::path& out) {
  const fs::path run(o.run);
  const Eigen::MatrixXd G = read_matrix_csv(run / "gram.csv"), C = read_matrix_csv(run / "covariance.csv");
  if (G.rows() != C.rows()) throw InputError("gram.csv and covariance.csv differ in size");
  const double r = offdiagonal_correlation(G, C);
  std::string dat;
  for (Eigen::Index i = 0; i < G.rows(); ++i) {
    for (Eigen::Index k = 0; k < G.cols(); ++k) dat += fmt::format("{} {} {:.6g} {:.6g}\n", k, i, C(i, k), G(i, k));
    dat += "\n";
  }
  write_text(out / "synthetic_heatmaps.dat", dat);
  if (o.plot)
    run_gnuplot(out.string(), "synthetic",
                fmt::format(R"gp(set multiplot layout 1,2 title "Synthetic BOWS: data covariance and Gram of W (off-diagonal r = {:.3f})"
set size ratio -1
set palette defined (-1 '#2166ac', 0 'white', 1 '#b2182b')
set xrange [-0.5:{}.5]
set yrange [{}.5:-0.5]
set title "data covariance"
plot 'synthetic_heatmaps.dat' using 1:2:3 with image notitle
set title "Gram W^T W (W Frobenius-normalised)"
plot 'synthetic_heatmaps.dat' using 1:2:4 with image notitle
unset multiplot
)gp",
                            r, G.rows() - 1, G.rows() - 1));
  return {{"analysis", "synthetic"}, {"offdiag_correlation", r}, {"n", G.rows()}};
}


// ---------------------------------------------------------------------------------------------------------------
// The paper's own measurements (measures.cpp computes them; these write them with the paper's numbers beside).
// ---------------------------------------------------------------------------------------------------------------

// A word is scored (R², context share) only if at least this many held-out windows contain it: R² and shares over
// fewer windows are noise.
constexpr double kMinHeldoutWindows = 5;
// Two month vectors count as orthogonal when |cos(W_u, W_v)| is below this.
constexpr double kOrthogonalCosine = 0.05;

nlohmann::json paper_row(const std::string& quantity, const nlohmann::json& paper, const nlohmann::json& ours,
                         const std::string& paper_setting) {
  return {{"quantity", quantity}, {"paper", paper}, {"ours", ours}, {"paper_setting", paper_setting}};
}

// Training-window frequency of every word.
std::vector<double> window_frequency(const Csr& data) {
  std::vector<double> df(data.V, 0);
  for (auto i : data.indices) df[i] += 1;
  return df;
}

// The probe's R², with NaN for the words held out in fewer than kMinHeldoutWindows windows.
Eigen::VectorXd scored_r2(const ProbeResult& p) {
  Eigen::VectorXd r2 = p.r2;
  for (Eigen::Index v = 0; v < r2.size(); ++v)
    if (p.heldout_windows(v) < kMinHeldoutWindows) r2(v) = std::nan("");
  return r2;
}

double median(std::vector<double> x) {
  if (x.empty()) return std::nan("");
  std::sort(x.begin(), x.end());
  const std::size_t n = x.size();
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json analyze_linear_probe(const Loaded& L, const fs::path& out, double ridge, bool plot) {
  const ProbeResult p = linear_probe(L.model.W, L.data.train, L.data.heldout, ridge);
  const Eigen::VectorXd r2 = scored_r2(p);
  const std::vector<double> df = window_frequency(L.data.train);
  std::string csv = "index,word,train_windows,heldout_windows,r2\n";
  std::vector<double> scored;
  for (Eigen::Index v = 0; v < r2.size(); ++v) {
    if (std::isnan(r2(v))) continue;
    scored.push_back(r2(v));
    csv += fmt::format("{},{},{},{},{:.6f}\n", v, L.data.vocab.words[static_cast<std::size_t>(v)],
                       df[static_cast<std::size_t>(v)], p.heldout_windows(v), r2(v));
  }
  write_text(out / "linear-probe_words.csv", csv);
  nlohmann::json j = {{"analysis", "linear-probe"},
                      {"definition", "ridge regression x_v ~ a_v + beta_v^T h, h = W x, fitted on the training "
                                     "windows, R^2 on the held-out windows (held-out mean); words in >= 5 held-out "
                                     "windows are scored"},
                      {"ridge_lambda", ridge},
                      {"train_windows", L.data.train.rows()},
                      {"heldout_windows", L.data.heldout.rows()},
                      {"words_scored", scored.size()},
                      {"mean_r2", scored.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::accumulate(scored.begin(), scored.end(), 0.0) / static_cast<double>(scored.size()))},
                      {"median_r2", finite_or_null(median(scored))}};
  // The 12 months: each one's R², their joint (variance-weighted) R², and the cosines of their columns of W.
  const auto idx = lookup(L.data.vocab, kMonths);
  std::vector<long> present;
  std::vector<std::string> names;
  std::string mcsv = "month,heldout_windows,r2\n", mdat = "# k r2 month\n";
  for (std::size_t k = 0; k < kMonths.size(); ++k) {
    if (idx[k] < 0) continue;
    present.push_back(idx[k]);
    names.push_back(kMonths[k]);
    const double x = p.r2(idx[k]);
    mcsv += fmt::format("{},{},{}\n", kMonths[k], p.heldout_windows(idx[k]), std::isfinite(x) ? fmt::format("{:.6f}", x) : "");
    mdat += fmt::format("{} {:.6f} {}\n", names.size() - 1, std::isfinite(x) ? x : 0.0, kMonths[k].substr(0, 3));
  }
  nlohmann::json months = {{"words", names}};
  double joint = std::nan(""), min_cos = std::nan("");
  std::size_t orthogonal = 0;
  if (!present.empty()) {
    joint = joint_r2(p, present);
    double sum = 0;
    std::size_t n = 0;
    for (long v : present)
      if (std::isfinite(p.r2(v))) {
        sum += p.r2(v);
        ++n;
      }
    months["joint_r2_variance_weighted"] = finite_or_null(joint);
    months["mean_r2_uniform"] = n ? nlohmann::json(sum / static_cast<double>(n)) : nlohmann::json(nullptr);
    Eigen::MatrixXd Wm = columns_of(L.model, present);
    for (Eigen::Index i = 0; i < Wm.rows(); ++i) Wm.row(i) /= std::max(Wm.row(i).norm(), 1e-300);
    const Eigen::MatrixXd cos = Wm * Wm.transpose();
    std::pair<std::size_t, std::size_t> at{0, 0};
    for (Eigen::Index a = 0; a < cos.rows(); ++a)
      for (Eigen::Index b = a + 1; b < cos.rows(); ++b) {
        const double c = std::abs(cos(a, b));
        if (c < kOrthogonalCosine) ++orthogonal;
        if (!(c >= min_cos)) {
          min_cos = c;
          at = {static_cast<std::size_t>(a), static_cast<std::size_t>(b)};
        }
      }
    months["pairs"] = present.size() * (present.size() - 1) / 2;
    months["orthogonal_pairs"] = orthogonal;
    months["orthogonal_if_abs_cosine_below"] = kOrthogonalCosine;
    if (present.size() >= 2) {
      months["min_abs_cosine"] = min_cos;
      months["min_abs_cosine_pair"] = {names[at.first], names[at.second]};
    }
    write_text(out / "linear-probe_month_cosine.csv", csv_matrix(cos, names));
  }
  write_text(out / "linear-probe_months.csv", mcsv);
  write_text(out / "linear-probe_months.dat", mdat);
  j["months"] = months;
  double lowest = 0;
  for (long v : present)
    if (std::isfinite(p.r2(v))) lowest = std::min(lowest, p.r2(v));
  j["paper_comparison"] = {
      paper_row("joint R^2 of the 12 months", 0.98, finite_or_null(joint), "WikiText-103, V = 10,000"),
      paper_row("pairs of month vectors that are orthogonal", 0, orthogonal, "WikiText-103, V = 10,000")};
  if (plot && !present.empty())
    run_gnuplot(out.string(), "linear-probe_months",
                fmt::format(R"gp(set title "Linear probe h = Wx -> month indicator, held-out R^2 (joint {:.3f}; paper: 0.98)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [{}:1]
set ylabel "held-out R^2"
set grid ytics
unset key
plot 'linear-probe_months.dat' using 1:2:xtic(3) with boxes lc rgb '#1f77b4', 0.98 with lines dt 2 lc rgb 'black'
)gp",
                            std::isfinite(joint) ? joint : 0.0, std::floor(std::min(0.0, lowest))));
  return j;
}

nlohmann::json analyze_frequency_split(const Loaded& L, const fs::path& out, double ridge, bool plot) {
  const ProbeResult p = linear_probe(L.model.W, L.data.train, L.data.heldout, ridge);
  const Eigen::VectorXd r2 = scored_r2(p);
  const std::vector<double> df = window_frequency(L.data.train);
  const double threshold = 0.5;
  const FrequencySplit f = frequency_split(r2, df, threshold);
  std::vector<std::size_t> by_rank(df.size());
  for (std::size_t v = 0; v < df.size(); ++v) by_rank[f.rank[v] - 1] = v;
  std::string csv = "rank,word,train_windows,heldout_windows,r2,superposition\n", dat = "# rank r2\n";
  for (std::size_t v : by_rank) {
    const double x = r2(static_cast<Eigen::Index>(v));
    if (std::isnan(x)) continue;
    csv += fmt::format("{},{},{},{},{:.6f},{}\n", f.rank[v], L.data.vocab.words[v], df[v],
                       p.heldout_windows(static_cast<Eigen::Index>(v)), x, x >= threshold ? "linear" : "non-linear");
    dat += fmt::format("{} {:.6f}\n", f.rank[v], x);
  }
  write_text(out / "frequency-split_words.csv", csv);
  write_text(out / "frequency-split.dat", dat);
  const std::size_t scored = f.linear + f.nonlinear;
  const double share = scored ? static_cast<double>(f.linear) / static_cast<double>(scored) : 0.0;
  const std::string setting = "WikiText-103, V = 10,000, L = 800";
  nlohmann::json j = {{"analysis", "frequency-split"},
                      {"definition", "linear-probe R^2 per word (words in >= 5 held-out windows); linear "
                                     "superposition if R^2 >= 0.5, non-linear otherwise; frequency rank by training "
                                     "windows (1 = most frequent)"},
                      {"ridge_lambda", ridge},
                      {"threshold", threshold},
                      {"words_scored", scored},
                      {"linear", f.linear},
                      {"nonlinear", f.nonlinear},
                      {"linear_share", share},
                      {"split_rank", f.split_rank},
                      {"split_agreement", f.split_agreement},
                      {"spearman_r2_vs_rank", f.spearman_r2_rank},
                      {"paper_comparison",
                       {paper_row("words in linear superposition", 522, f.linear, setting),
                        paper_row("words in non-linear superposition", 4073, f.nonlinear, setting),
                        paper_row("linear share", 522.0 / 4595.0, share, setting),
                        paper_row("the split follows frequency rank (Spearman R^2 vs rank < 0)", "yes",
                                  f.spearman_r2_rank < 0 ? "yes" : "no", setting)}}};
  if (plot && scored > 0)
    run_gnuplot(out.string(), "frequency-split",
                fmt::format(R"gp(set title "Linear-probe R^2 against frequency rank: {} linear, {} non-linear (paper, L = 800: 522 / 4,073)"
set logscale x
set xlabel "frequency rank (training windows; 1 = most frequent)"
set ylabel "held-out R^2 of the linear probe"
set yrange [-0.5:1]
set arrow from {},-0.5 to {},1 nohead dt 3 lc rgb '#d62728'
set label "best split rank {}" at {},0.9 offset 1,0 tc rgb '#d62728'
unset key
plot 'frequency-split.dat' using 1:2 with points pt 7 ps 0.3 lc rgb '#1f77b4', 0.5 with lines dt 2 lc rgb 'black'
)gp",
                            f.linear, f.nonlinear, std::max<std::size_t>(f.split_rank, 1),
                            std::max<std::size_t>(f.split_rank, 1), f.split_rank,
                            std::max<std::size_t>(f.split_rank, 1)));
  return j;
}

nlohmann::json analyze_context(const Loaded& L, const fs::path& out, bool plot) {
  const Model& m = L.model;
  const ContextShares c = context_shares(m, L.data.heldout);
  std::string csv = "index,word,bias,self,alone,heldout_windows_with_word,positive,share_positive\n",
              dat = "# share\n";
  std::vector<double> shares;
  std::size_t negative_alone = 0, majority = 0;
  std::vector<std::pair<double, std::size_t>> best;
  for (std::size_t v = 0; v < c.with_word.size(); ++v) {
    if (!(c.alone(static_cast<Eigen::Index>(v)) < 0)) continue;
    ++negative_alone;
    if (c.with_word[v] == 0) continue;
    const double share = static_cast<double>(c.positive[v]) / static_cast<double>(c.with_word[v]);
    csv += fmt::format("{},{},{:.6g},{:.6g},{:.6g},{},{},{:.4f}\n", v, L.data.vocab.words[v], m.b(static_cast<Eigen::Index>(v)),
                       c.alone(static_cast<Eigen::Index>(v)) - m.b(static_cast<Eigen::Index>(v)),
                       c.alone(static_cast<Eigen::Index>(v)), c.with_word[v], c.positive[v], share);
    if (static_cast<double>(c.with_word[v]) < kMinHeldoutWindows) continue;
    shares.push_back(share);
    dat += fmt::format("{:.4f}\n", share);
    if (share > 0.5) ++majority;
    best.emplace_back(-share, v);
  }
  write_text(out / "context_words.csv", csv);
  write_text(out / "context.dat", dat);
  std::sort(best.begin(), best.end());
  nlohmann::json top = nlohmann::json::array();
  for (std::size_t k = 0; k < std::min<std::size_t>(10, best.size()); ++k)
    top.push_back({{"word", L.data.vocab.words[best[k].second]}, {"share", -best[k].first},
                   {"heldout_windows", c.with_word[best[k].second]}});
  const double mean = shares.empty() ? std::nan("")
                                     : std::accumulate(shares.begin(), shares.end(), 0.0) / static_cast<double>(shares.size());
  // The paper's word.
  nlohmann::json beatles;
  const long b = lookup(L.data.vocab, {"Beatles"})[0];
  if (b < 0) beatles = "not in the vocabulary";
  else {
    const auto v = static_cast<std::size_t>(b);
    beatles = {{"alone", c.alone(b)}, {"heldout_windows_with_word", c.with_word[v]},
               {"share_positive", c.with_word[v] ? nlohmann::json(static_cast<double>(c.positive[v]) /
                                                                  static_cast<double>(c.with_word[v]))
                                                 : nlohmann::json(nullptr)}};
  }
  const std::string setting = "WikiText-103 validation + test windows, V = 10,000, L = 1,000, weight decay 1";
  nlohmann::json j = {
      {"analysis", "context"},
      {"definition", "for words with b_v + |W_v|^2 < 0 (off when alone): the share of held-out windows containing v "
                     "with z_v = (W^T W x + b)_v > 0; summary over words in >= 5 held-out windows"},
      {"heldout_windows", L.data.heldout.rows()},
      {"words_negative_alone", negative_alone},
      {"words_negative_alone_scored", shares.size()},
      {"mean_share_positive", finite_or_null(mean)},
      {"median_share_positive", finite_or_null(median(shares))},
      {"words_with_share_above_half", majority},
      {"highest_shares", top},
      {"Beatles", beatles},
      {"paper_comparison",
       {paper_row("share of contexts containing \"Beatles\" with z > 0", 0.81,
                  beatles.is_object() ? beatles["share_positive"] : nlohmann::json(nullptr), setting)}}};
  if (plot && !shares.empty())
    run_gnuplot(out.string(), "context",
                fmt::format(R"gp(set title "Words off when alone (b_v + |W_v|^2 < 0): share of held-out windows with z_v > 0 (median {:.2f}; paper, Beatles: 0.81)"
set xlabel "share of held-out windows containing v with z_v > 0"
set ylabel "words"
set xrange [0:1]
set style fill solid 0.8 border -1
bin(x) = 0.05 * floor(x / 0.05) + 0.025
set boxwidth 0.045
unset key
plot 'context.dat' using (bin($1 >= 1 ? 0.999 : $1)):(1.0) smooth freq with boxes lc rgb '#1f77b4'
)gp",
                            median(shares)));
  return j;
}
}  // namespace

std::vector<std::string> category_words(std::string_view name) {
  if (name == "roman") return {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"};
  if (name == "months") return kMonths;
  if (name == "days") return {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  std::string names = "roman";
  for (const auto& [cat, words] : categories()) {
    if (cat == name) return words;
    names += ", " + cat;
  }
  throw OptionError("categories", fmt::format("'{}' is not a word category (accepted: {})", name, names));
}

TrainedRun load_trained_run(const std::string& run, const std::string& data) {
  AnalyzeOptions o;
  o.run = run;
  o.data = data;
  Loaded L = load_run(o);
  TrainedRun r;
  r.model = std::move(L.model);
  r.vocab = std::move(L.data.vocab);
  r.config = std::move(L.config);
  r.data_dir = std::move(L.data_dir);
  r.dataset_id = std::move(L.data.id);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------

int cycle_score(const Eigen::MatrixXd& P) {
  const Eigen::Index n = P.rows();
  if (n < 3) return static_cast<int>(n);
  const Eigen::RowVector2d c = P.leftCols(2).colwise().mean();
  std::vector<std::pair<double, Eigen::Index>> ang;
  for (Eigen::Index i = 0; i < n; ++i) ang.emplace_back(std::atan2(P(i, 1) - c(1), P(i, 0) - c(0)), i);
  std::sort(ang.begin(), ang.end());
  std::vector<Eigen::Index> pos(static_cast<std::size_t>(n));
  for (Eigen::Index k = 0; k < n; ++k) pos[static_cast<std::size_t>(ang[static_cast<std::size_t>(k)].second)] = k;
  int score = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index a = pos[static_cast<std::size_t>(i)], b = pos[static_cast<std::size_t>((i + 1) % n)];
    const Eigen::Index gap = (a - b + n) % n;
    if (gap == 1 || gap == n - 1) ++score;
  }
  return score;
}

Eigen::MatrixXd pca2(const Eigen::MatrixXd& X) {
  const Eigen::MatrixXd C = X.rowwise() - X.colwise().mean();
  // Small sample count (groups of ≤ 12 words): eigen-decompose the n×n Gram C Cᵀ instead of the d×d covariance.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(C * C.transpose());
  const Eigen::Index n = C.rows();
  Eigen::MatrixXd out(n, 2);
  for (int k = 0; k < 2; ++k) {
    const double lam = std::max(es.eigenvalues()(n - 1 - k), 0.0);
    out.col(k) = es.eigenvectors().col(n - 1 - k) * std::sqrt(lam);  // scores = U Σ
  }
  return out;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> o(v.size());
    std::iota(o.begin(), o.end(), 0);
    std::sort(o.begin(), o.end(), [&](auto a, auto b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < o.size();) {
      std::size_t j = i;
      while (j + 1 < o.size() && v[o[j + 1]] == v[o[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[o[k]] = 0.5 * static_cast<double>(i + j) + 1;
      i = j + 1;
    }
    return r;
  };
  if (x.size() != y.size() || x.size() < 3) throw InputError("spearman: two samples of equal size >= 3 are needed");
  const auto rx = ranks(x), ry = ranks(y);
  const auto n = static_cast<Eigen::Index>(x.size());
  const Eigen::Map<const Eigen::VectorXd> a(rx.data(), n), b(ry.data(), n);
  const Eigen::VectorXd ac = a.array() - a.mean(), bc = b.array() - b.mean();
  const double den = ac.norm() * bc.norm();
  return den > 0 ? ac.dot(bc) / den : 0.0;
}

void run_gnuplot(const std::string& dir, const std::string& name, const std::string& body) {
  std::string gp = fmt::format("# {0}.gp: written by superpose bows analyze; run `gnuplot {0}.gp` here.\n", name);
  gp += fmt::format("set terminal svg size 1000,520 dynamic enhanced font 'sans,11' background rgb 'white'\n"
                    "set output '{0}.svg'\n{1}\nreset\n"
                    "set terminal pngcairo size 1400,728 enhanced font 'sans,11'\nset output '{0}.png'\n{1}\n"
                    "set output\n",
                    name, body);
  superpose::run_gnuplot(dir, name, gp);
}

namespace {

// Names of the files an analysis writes start with one of these, followed by '_' or '.'.
std::vector<std::string> output_prefixes(const std::string& what) {
  if (what == "months") return {"months", "days"};
  return {what};
}

bool belongs_to(const std::string& file, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (file.size() > p.size() && file.compare(0, p.size(), p) == 0 && (file[p.size()] == '_' || file[p.size()] == '.'))
      return true;
  return false;
}

}  // namespace

namespace {

void flatten_numbers(const nlohmann::json& j, const std::string& path, std::map<std::string, double>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      if (!(path.empty() && k == "options")) flatten_numbers(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_number() && std::isfinite(j.get<double>())) {
    out[path] = j.get<double>();
  }
}

// The seed<S> sub-folders of `dir` that hold a checkpoint, in seed order; empty if `dir` is a run itself.
std::vector<std::pair<std::uint64_t, fs::path>> seed_folders(const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, fs::path>> out;
  std::error_code ec;
  if (fs::exists(dir / "checkpoint.bin") || !fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 5 || name.compare(0, 4, "seed") != 0 || !fs::exists(e.path() / "checkpoint.bin")) continue;
    if (!std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.emplace_back(std::stoull(name.substr(4)), e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

nlohmann::json seed_summary(const std::vector<nlohmann::json>& per_seed) {
  if (per_seed.empty()) throw InputError("seed summary: no analysis to summarise");
  std::vector<std::map<std::string, double>> flat(per_seed.size());
  for (std::size_t i = 0; i < per_seed.size(); ++i) flatten_numbers(per_seed[i], "", flat[i]);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [path, first] : flat[0]) {
    std::vector<double> x;
    for (const auto& f : flat)
      if (auto it = f.find(path); it != f.end()) x.push_back(it->second);
    if (x.size() != flat.size()) continue;
    const auto [mean, sd] = mean_sd(x);
    out[path] = {{"mean", mean}, {"sd", sd}, {"n", x.size()}, {"values", x}};
  }
  return out;
}

nlohmann::json analyze(const AnalyzeOptions& o, const std::function<void(const std::string&)>& progress) {
  o.validate();
  if (const auto seeds = seed_folders(o.run); !seeds.empty()) {
    if (o.what == "structure" || o.what == "synthetic" || o.what == "synthetic-sweep")
      throw OptionError("what", fmt::format("'{}' does not apply to a seeds folder ('{}' holds seed<S> runs)", o.what,
                                            o.run));
    const fs::path out = o.out.empty() ? fs::path(o.run) / "analysis" : fs::path(o.out);
    std::vector<nlohmann::json> per_seed;
    nlohmann::json seeds_json = nlohmann::json::array();
    for (const auto& [seed, dir] : seeds) {
      AnalyzeOptions one = o;
      one.run = dir.string();
      one.out = o.out.empty() ? std::string{} : (out / dir.filename()).string();
      per_seed.push_back(analyze(one, progress));
      seeds_json.push_back(seed);
    }
    nlohmann::json j = {{"analysis", o.what}, {"run", o.run}, {"seeds", seeds_json}, {"summary", seed_summary(per_seed)}};
    std::string csv = "path,mean,sd,n\n";
    for (const auto& [path, v] : j["summary"].items())
      csv += fmt::format("{},{:.6g},{:.6g},{}\n", path, v["mean"].get<double>(), v["sd"].get<double>(),
                         v["n"].get<std::size_t>());
    ensure_directory(out.string());
    write_file_atomic((out / (o.what + "_seeds.csv")).string(), csv);
    write_file_atomic((out / (o.what + "_seeds.json")).string(), j.dump(2) + "\n");
    return j;
  }
  const fs::path out = o.out.empty() ? fs::path(o.run) / "analysis" : fs::path(o.out);
  // synthetic-sweep trains its own models: RUN is the folder it writes into (created).
  if (o.what != "synthetic-sweep" && !fs::is_directory(o.run))
    throw InputError(fmt::format("RUN: '{}' is not a folder", o.run));
  // Everything that can be checked is checked before a folder is created.
  Loaded L;
  const bool needs_run = o.what != "structure" && o.what != "synthetic" && o.what != "synthetic-sweep";
  std::vector<std::string> words = o.words;
  std::vector<std::string> skipped;
  if (needs_run) {
    L = load_run(o);
    if (o.what == "interference") {
      if (words.empty()) {
        for (const std::string w : {"December", "Christmas", "Monday", "war", "president"})
          (lookup(L.data.vocab, {w})[0] >= 0 ? words : skipped).push_back(w);
      } else {
        std::string missing;
        for (const auto& w : words)
          if (lookup(L.data.vocab, {w})[0] < 0) missing += (missing.empty() ? "'" : ", '") + w + "'";
        if (!missing.empty())
          throw OptionError("words", fmt::format("{} not in the vocabulary of '{}' ({} words; matched exactly, then "
                                                 "lowercased)",
                                                 missing, L.data_dir, L.data.vocab.size()));
      }
    }
  }
  std::error_code ec;
  // The topmost folder this call creates (empty if `out` exists), removed again if the analysis fails.
  fs::path created;
  for (fs::path a = fs::absolute(out, ec).lexically_normal(); !a.empty() && !fs::exists(a, ec) && a != a.parent_path();
       a = a.parent_path())
    created = a;
  ensure_directory(out.string());
  const fs::path stage = out / (".staging-" + o.what);
  fs::remove_all(stage, ec);
  ensure_directory(stage.string());
  if (progress) progress(fmt::format("analysis {} of {} into {}", o.what, o.run, out.string()));
  nlohmann::json j;
  try {
    if (o.what == "structure") j = analyze_structure(o, stage);
    else if (o.what == "synthetic") j = analyze_synthetic(o, stage);
    else if (o.what == "synthetic-sweep") j = analyze_synthetic_sweep(o, stage, progress);
    else {
      if (o.what == "months") j = analyze_months(L, stage, o.plot);
      else if (o.what == "linear-probe") j = analyze_linear_probe(L, stage, o.ridge, o.plot);
      else if (o.what == "frequency-split") j = analyze_frequency_split(L, stage, o.ridge, o.plot);
      else if (o.what == "context") j = analyze_context(L, stage, o.plot);
      else if (o.what == "similarity") j = analyze_similarity(L, stage, o.pairs_top, o.plot);
      else {
        j = analyze_interference(L, stage, words, o.plot);
        if (!skipped.empty()) j["default_words_not_in_vocabulary"] = skipped;
      }
      j["run"] = o.run;
      j["data"] = L.data_dir;
      j["dataset_id"] = L.data.id;
      j["d"] = L.model.d();
      j["V"] = L.model.V();
      j["options"] = L.config;
    }
    j["producer"] = producer();
    write_file_atomic((stage / (o.what + ".json")).string(), j.dump(2) + "\n");
    // Success: the earlier outputs of this analysis go, the new ones come in.
    const auto prefixes = output_prefixes(o.what);
    for (const auto& e : fs::directory_iterator(out))
      if (e.is_regular_file() && belongs_to(e.path().filename().string(), prefixes)) fs::remove(e.path());
    for (const auto& e : fs::directory_iterator(stage)) fs::rename(e.path(), out / e.path().filename());
    fs::remove_all(stage);
  } catch (...) {
    fs::remove_all(stage, ec);
    if (!created.empty()) fs::remove_all(created, ec);  // it did not exist before this call
    throw;
  }
  return j;
}

}  // namespace superpose::bows
