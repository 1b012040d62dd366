// The verification grid and its JSON-lines checkpoint (verify/verify.hpp, section "verify"; issue 3).
#include "verify/verify.hpp"
#include "verify/detail/checkpoint.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>


namespace superpose {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}


template <class T>
const Bound<T>* find_bound(const std::vector<Bound<T>>& bounds, const std::string& name) {
  for (const auto& b : bounds)
    if (b.name == name) return &b;
  return nullptr;
}

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------------------

std::vector<std::string> parse_law_list(const std::string& text) {
  // Laws are comma-separated, but a discrete law contains commas itself: "discrete:..." takes the rest.
  std::vector<std::string> out;
  const size_t disc = text.find("discrete:");
  const std::string head = disc == std::string::npos ? text : text.substr(0, disc);
  for (const std::string& item : split(head, ','))
    if (!item.empty()) out.push_back(item);
  if (disc != std::string::npos) out.push_back(text.substr(disc));
  if (out.empty()) throw InputError("--law: expected a comma list such as rademacher,gaussian");
  for (const auto& l : out) (void)Law::parse(l);
  return out;
}

void validate_grid_cells(const std::vector<int>& d_values, const std::vector<int>& n_values,
                         const std::vector<int>& m_values, const std::vector<std::string>& laws,
                         const std::function<void(const Setting&)>& cell) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  need(!d_values.empty() && !n_values.empty() && !m_values.empty() && !laws.empty(),
       "--d, --n, --m, --law: each needs at least one value");
  for (int d : d_values) need(d >= 1 && d <= 64, "--d: hidden widths must lie in 1..64 (got " + std::to_string(d) + ")");
  for (int n : n_values) need(n >= 1 && n <= 2000, "--n: feature counts must lie in 1..2000 (got " + std::to_string(n) + ")");
  for (int m : m_values)
    need(m >= 1 && m <= kMaxPower && m % 2 == 1, "--m: activation powers must be odd, 1.." + std::to_string(kMaxPower) +
                                                     " (got " + std::to_string(m) + ")");
  for (const auto& l : laws) (void)Law::parse(l);
  for (int d : d_values)
    for (int n : n_values)
      for (int m : m_values)
        for (const auto& law : laws) {
          try {
            if (cell) cell(Setting(d, n, m, Law::parse(law)));
          } catch (const InputError& e) {
            throw InputError("grid point d = " + std::to_string(d) + ", n = " + std::to_string(n) + ", m = " +
                             std::to_string(m) + ", law = " + law + ": " + e.what());
          }
        }
}

void VerifyConfig::validate() const {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  validate_grid_cells(d_values, n_values, m_values, laws, {});
  need(starts >= 1, "--starts: must be at least 1");
  need(jobs >= 1 && jobs <= 64, "--jobs: must lie in 1..64");
  need(max_evals >= 1, "--max-evals: must be at least 1");
  need(plant_upper_factor > 0, "--plant-upper-factor: must be > 0 (1 = off)");
  need(sparse_factor >= 1, "--sparse-factor: must be >= 1");
  need(stop_after >= 0, "--stop-after: must be >= 0 (0 = no limit)");
  need(shard_count >= 1 && shard_index >= 0 && shard_index < shard_count,
       fmt::format("--shard: {}/{} is not K/N with 0 <= K < N (e.g. 3/8)", shard_index, shard_count));
  const std::vector<GridP> ps = parse_p_grid(p_spec, "--p");
  if (!cert_dir.empty()) check_output_folder(cert_dir, "--cert-dir");
  // Every cell as verify_point will see it, so that no row is computed before a later cell is found bad.
  OptimizeOptions opt;
  opt.starts = starts;
  opt.seed = seed;
  opt.max_evals = max_evals;
  validate_grid_cells(d_values, n_values, m_values, laws, [&](const Setting& s) {
    opt.validate(s.d, s.n, s.m);
    (void)structured_starts(s.d, s.n, s.m, seed);
    for (const GridP& p : ps) {
      check_double_range(s.law, s.m, p.value);
      (void)closed_form_bounds(s, from_rational<Real50>(p.value), fstar_n_closed_form_bracket(s.d, s.m, s.n));
    }
  });
}

std::vector<VerifyPoint> verify_grid(const VerifyConfig& cfg) {
  cfg.validate();
  const std::vector<GridP> ps = parse_p_grid(cfg.p_spec, "--p");
  std::vector<VerifyPoint> grid;
  for (int d : cfg.d_values)
    for (int n : cfg.n_values)
      for (int m : cfg.m_values)
        for (const auto& law : cfg.laws)
          for (const GridP& p : ps)
            grid.push_back(VerifyPoint{static_cast<int>(grid.size()), d, n, m, Law::parse(law).name(), p});
  return grid;
}

VerifyRow verify_point(const VerifyConfig& cfg, const VerifyPoint& pt, const std::string& cert_dir) {
  const Setting s(pt.d, pt.n, pt.m, Law::parse(pt.law));
  OptimizeOptions opt;
  opt.starts = cfg.starts;
  opt.seed = cfg.seed;
  opt.max_evals = cfg.max_evals;
  const OptimizeResult r = optimize_weights(s, pt.p.value, opt);
  const Real50 p50 = from_rational<Real50>(pt.p.value);

  VerifyRow row;
  row.index = pt.index;
  row.d = pt.d;
  row.n = pt.n;
  row.m = pt.m;
  row.law = s.law.name();
  row.p = pt.p.text;
  row.regime = regime(pt.d, pt.m, p50);
  row.gain = to_decimal(r.gain, 50);
  row.gain_over_p = static_cast<double>(r.gain / p50);
  row.grad_norm = static_cast<double>(r.grad_norm / p50);
  row.polished = r.polished;
  row.represented = r.geometry.represented;

  // Check 1: proved upper bounds, decided in certified arithmetic (never by a floating comparison). The polished W
  // is rounded to kCheckDigits significant decimals: that rational W is what a lower bound on sup L̃ rests on. Its
  // gain is certified (exact rationals while d·n²·m ≤ kExactGainBudget, else an MPFI enclosure), every proved upper
  // bound is certified at the rational p (certified_upper_bounds), and certified_compare decides: greater -> fail
  // (a counterexample, written to cert_dir), less or equal -> pass, overlapping enclosures -> undecided.
  const FstarBracket fstar_n = fstar_n_bracket(pt.d, pt.m, pt.n);
  const std::vector<Bound<Real50>> bounds = known_bounds(s, p50);
  const UpperVerdicts uv = certify_upper_verdicts(s, pt.p.value, r.W50, 1, cfg.plant_upper_factor);
  const CertifiedReal& gain_q = uv.gain;
  const std::string basis = gain_q.exact ? "exact rationals" : "interval arithmetic (MPFI)";
  for (const UpperVerdict& b : uv.verdicts) {
    const CertifiedReal& value = b.value;
    const Real50 value50 = value.exact ? from_rational<Real50>(*value.exact) : Real50(median(value.enclosure));
    VerifyCheck c{"upper:" + b.bound, "pass", static_cast<double>(r.gain / value50), ""};
    if (b.order == CertifiedOrder::greater) {
      c.status = "fail";
      if (row.certificate.empty()) {
        ensure_directory(cert_dir);
        row.certificate = cert_dir + "/counterexample_" + std::to_string(pt.index) + "_d" + std::to_string(pt.d) +
                          "_n" + std::to_string(pt.n) + "_m" + std::to_string(pt.m) + "_" + file_safe(row.law) +
                          "_p" + file_safe(pt.p.text) + ".csv";
        std::string text = "# superpose verify counterexample certificate: W (d x n, " +
                           std::to_string(kCheckDigits) + " significant digits, read exactly) with d = " +
                           std::to_string(pt.d) + ", n = " + std::to_string(pt.n) + ", m = " +
                           std::to_string(pt.m) + ", law = " + row.law + ", p = " + pt.p.text + "\n" +
                           "# certified gain of W (" + basis + "): " + certified_to_decimal(gain_q, 40) + "\n";
        if (cfg.plant_upper_factor != 1)
          text += "# SELF-TEST: upper bounds multiplied by " + cfg.plant_upper_factor.str() + "\n";
        write_file_atomic(row.certificate, text + uv.W.csv());
        row.exact_gain = certified_to_decimal(gain_q, 40);
      }
      c.detail = "certified (" + b.arithmetic + "): the gain of the rounded W " + certified_to_decimal(gain_q, 20) +
                 " exceeds " + b.bound + " = " + certified_to_decimal(value, 20);
    } else if (b.order == CertifiedOrder::undecided) {
      c.status = "undecided";
      c.detail = "the enclosures of the gain and of " + b.bound + " overlap (" + b.arithmetic + ")";
    } else {
      c.detail = "certified (" + b.arithmetic + ")";
    }
    row.checks.push_back(std::move(c));
  }

  // Check 2: the very sparse limit c_mu*F*_n(d,m) (Theorem 5.5(b)). At or above the design size C(d+2m−1, 2m),
  // F*_n = F*(d,m) and a weighted projective 2m-design attains it (Theorem 5.5(c)): the gain must reach 0.99 of the
  // limit. Below it, F*_n lies in the certified bracket of fstar_n_bracket: the gain must reach 0.99 of
  // c_mu*lower*p (the optimiser finds at least the witness), and must not exceed Theorem 5.5(a) with F*_n ≤ upper,
  // p·[(1−p)^{n−1}·c_mu·upper + (1 − (1−p)^{n−1})·mu_2·min(n, C(d+m−1, m))], decided by certified_compare.
  {
    VerifyCheck c{"very_sparse", "skip", 0, ""};
    const Rational c_mu = s.law.c_mu(pt.m);
    c.ratio = static_cast<double>(r.gain / (from_rational<Real50>(c_mu * fstar_n.upper) * p50));
    if (pt.p.value * ipow(Rational(pt.d), pt.m) * cfg.sparse_factor > 1) {
      c.detail = "p > d^-m/" + cfg.sparse_factor.str();
    } else if (fstar_n.design()) {
      c.status = c.ratio >= 0.99 ? "pass" : "fail";
      c.detail = "gain/(c_mu*F*(d,m)*p) >= 0.99 required (n >= C(d+2m-1,2m): F*_n = F*)";
    } else {
      const Rational& p = pt.p.value;
      const Rational stay = ipow(1 - p, pt.n - 1);
      const Rational cap = std::min(Rational(pt.n), sym_dim(pt.d, pt.m));
      const CertifiedReal split =
          CertifiedReal::of(p * (stay * c_mu * fstar_n.upper + (1 - stay) * s.law.moment(2) * cap));
      const CertifiedOrder order = certified_compare(gain_q, split);
      const double over_lower = static_cast<double>(r.gain / (from_rational<Real50>(c_mu * fstar_n.lower) * p50));
      c.status = order == CertifiedOrder::greater ? "fail"
                 : over_lower < 0.99             ? "fail"
                 : order == CertifiedOrder::undecided ? "undecided"
                                                       : "pass";
      c.detail = "n < C(d+2m-1,2m): " + fstar_n.describe() + "; gain/(c_mu*lower*p) = " +
                 to_decimal(over_lower, 6) + " >= 0.99 required; certified gain " +
                 certified_to_decimal(gain_q, 20) + " vs Theorem 5.5(a) with F*_n <= upper " +
                 certified_to_decimal(split, 20) + ": " + std::string(to_string(order));
    }
    row.checks.push_back(std::move(c));
  }

  // Check 3: at least the best construction (else the optimiser failed).
  {
    Constructions<Real50> cons(s, cfg.seed);
    std::vector<ConstructionValue<Real50>> values = cons.at(p50);
    const Bound<Real50>* unsup = find_bound(bounds, "unsuperposed");
    Real50 best = unsup ? unsup->value : Real50(0);
    std::string best_name = "unsuperposed";
    for (const auto& v : values)
      if (v.gain > best) {
        best = v.gain;
        best_name = v.name + (v.detail.empty() ? "" : " (" + v.detail + ")");
      }
    VerifyCheck c{"construction", "pass", static_cast<double>(r.gain / best), "best construction: " + best_name};
    if (r.gain < best * (1 - Real50("1e-9"))) c.status = "fail";
    row.checks.push_back(std::move(c));
  }

  // Check 4 (informative).
  auto ratio_to = [&](const char* name) {
    const Bound<Real50>* b = find_bound(bounds, name);
    return b ? static_cast<double>(r.gain / b->value) : 0.0;
  };
  row.over_first_order_limit = ratio_to("first_order_limit");
  if (const Bound<Real50>* f = find_bound(bounds, "first_order_limit")) {
    row.first_order_limit_status = std::string(to_string(f->status));
    row.first_order_limit_citation = f->citation;
  }
  row.over_followup_upper = ratio_to("followup_upper");
  row.over_order_lower = ratio_to("theorem_2_2_lower_order");
  row.over_order_upper = ratio_to("theorem_2_2_upper_order");
  row.pass = std::none_of(row.checks.begin(), row.checks.end(), [](const VerifyCheck& c) { return c.status == "fail"; });
  return row;
}

namespace {

ojson row_json(const VerifyRow& r) {
  ojson checks = ojson::array();
  for (const auto& c : r.checks)
    checks.push_back({{"name", c.name}, {"status", c.status}, {"ratio", c.ratio}, {"detail", c.detail}});
  ojson j = {{"index", r.index},
             {"d", r.d},
             {"n", r.n},
             {"m", r.m},
             {"law", r.law},
             {"p", r.p},
             {"regime", r.regime},
             {"result", r.pass ? "pass" : "fail"},
             {"gain", r.gain},
             {"gain_over_p", r.gain_over_p},
             {"grad_norm_over_p", r.grad_norm},
             {"polished", r.polished},
             {"represented", r.represented},
             {"checks", checks},
             {"informative",
              {{"over_first_order_limit", r.over_first_order_limit},
               {"exceeds_first_order_limit", r.over_first_order_limit > 1},
               {"first_order_limit_status", r.first_order_limit_status},
               {"first_order_limit_citation", r.first_order_limit_citation},
               {"over_followup_upper", r.over_followup_upper},
               {"over_theorem_2_2_lower_order", r.over_order_lower},
               {"over_theorem_2_2_upper_order", r.over_order_upper}}}};
  if (!r.certificate.empty()) {
    j["certificate"] = r.certificate;
    j["exact_gain"] = r.exact_gain;
  }
  return j;
}

VerifyRow row_from_json(const ojson& j) {
  VerifyRow r;
  r.index = j.at("index");
  r.d = j.at("d");
  r.n = j.at("n");
  r.m = j.at("m");
  r.law = j.at("law");
  r.p = j.at("p");
  r.regime = j.at("regime");
  r.pass = j.at("result") == "pass";
  r.gain = j.at("gain");
  r.gain_over_p = j.at("gain_over_p");
  r.grad_norm = j.at("grad_norm_over_p");
  r.polished = j.at("polished");
  r.represented = j.at("represented");
  for (const auto& c : j.at("checks"))
    r.checks.push_back(VerifyCheck{c.at("name"), c.at("status"), c.at("ratio"), c.at("detail")});
  const auto& inf = j.at("informative");
  r.over_first_order_limit = inf.at("over_first_order_limit");
  r.first_order_limit_status = inf.at("first_order_limit_status");
  r.first_order_limit_citation = inf.at("first_order_limit_citation");
  r.over_followup_upper = inf.at("over_followup_upper");
  r.over_order_lower = inf.at("over_theorem_2_2_lower_order");
  r.over_order_upper = inf.at("over_theorem_2_2_upper_order");
  if (j.contains("certificate")) {
    r.certificate = j.at("certificate");
    r.exact_gain = j.at("exact_gain");
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// The checkpoint: header, checksummed rows, lock (contract in verify.hpp, run_verify)
// ---------------------------------------------------------------------------------------------------------

constexpr int kCheckpointFormat = 2;
constexpr const char* kPrecision = "MPFR-50";  // the gain and its checks; the ratios are printed from doubles

/// The fields of the header that determine every row, in their fixed order.
ojson config_json(const VerifyConfig& cfg) {
  return {{"version", std::string(version())},
          {"precision", kPrecision},
          {"d", cfg.d_values},
          {"n", cfg.n_values},
          {"m", cfg.m_values},
          {"law", cfg.laws},
          {"p", cfg.p_spec},
          {"starts", cfg.starts},
          {"seed", cfg.seed},
          {"max_evals", cfg.max_evals},
          {"sparse_factor", cfg.sparse_factor.str()},
          {"plant_upper_factor", cfg.plant_upper_factor.str()}};
}

/// The key of the row checksums: CRC-32 of config_json.
std::string config_crc(const VerifyConfig& cfg) { return crc32_hex(config_json(cfg).dump()); }

ojson header_json(const VerifyConfig& cfg) {
  ojson h = {{"superpose_verify", kCheckpointFormat}};
  const ojson config = config_json(cfg);
  for (const auto& [key, value] : config.items()) h[key] = value;
  h["config_crc32"] = crc32_hex(config.dump());
  if (cfg.shard_count > 1) h["shard"] = fmt::format("{}/{}", cfg.shard_index, cfg.shard_count);
  return h;
}

std::string header_line(const VerifyConfig& cfg) { return header_json(cfg).dump(); }

/// The options a header records (the inverse of header_json). Throws nlohmann::json::exception or InputError.
VerifyConfig config_from_header(const ojson& h) {
  VerifyConfig c;
  c.d_values = h.at("d").get<std::vector<int>>();
  c.n_values = h.at("n").get<std::vector<int>>();
  c.m_values = h.at("m").get<std::vector<int>>();
  c.laws = h.at("law").get<std::vector<std::string>>();
  c.p_spec = h.at("p").get<std::string>();
  c.starts = h.at("starts").get<int>();
  c.seed = h.at("seed").get<std::uint64_t>();
  c.max_evals = h.at("max_evals").get<int>();
  c.sparse_factor = parse_rational(h.at("sparse_factor").get<std::string>(), "sparse_factor");
  c.plant_upper_factor = parse_rational(h.at("plant_upper_factor").get<std::string>(), "plant_upper_factor");
  if (h.contains("shard")) {
    const std::vector<std::string> kn = split(h.at("shard").get<std::string>(), '/');
    if (kn.size() != 2) throw InputError("bad shard");
    c.shard_index = std::stoi(kn[0]);
    c.shard_count = std::stoi(kn[1]);
  }
  return c;
}

/// "--seed 7 in A, 1 in B; --d ..." for the header fields that differ ("" when none; "shard" only if with_shard).
std::string header_difference(const ojson& a, const std::string& a_name, const ojson& b, const std::string& b_name,
                              bool with_shard) {
  static const std::vector<std::pair<std::string, std::string>> flags = {
      {"d", "--d"},         {"n", "--n"},         {"m", "--m"},
      {"law", "--law"},     {"p", "--p"},         {"starts", "--starts"},
      {"seed", "--seed"},   {"max_evals", "--max-evals"}, {"sparse_factor", "--sparse-factor"},
      {"plant_upper_factor", "--plant-upper-factor"}};
  std::vector<std::pair<std::string, std::string>> compared = flags;
  if (with_shard) compared.emplace_back("shard", "--shard");
  return detail::header_difference(a, a_name, b, b_name, compared);
}

/// The cells of shard k of n, in grid order.
std::vector<int> shard_cells(size_t grid_size, int k, int n) {
  std::vector<int> cells;
  for (size_t i = static_cast<size_t>(k); i < grid_size; i += static_cast<size_t>(n)) cells.push_back(static_cast<int>(i));
  return cells;
}

/// "2, 5-9, 12" (ascending indices, at most 20 ranges shown).
std::string index_ranges(const std::vector<int>& sorted) {
  std::string out;
  int shown = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (shown++ == 20) return out + fmt::format(", ... ({} cells in all)", sorted.size());
    out += (out.empty() ? "" : ", ") +
           (j == i ? std::to_string(sorted[i]) : fmt::format("{}-{}", sorted[i], sorted[j]));
    i = j + 1;
  }
  return out;
}

/// "cell 3 is" or "cells 2, 5-9 are".
std::string cells_are(const std::vector<int>& sorted) {
  return (sorted.size() == 1 ? "cell " : "cells ") + index_ranges(sorted) + (sorted.size() == 1 ? " is" : " are");
}

/// One checkpoint line for a row: its JSON with a last field "crc32" = CRC-32 of `key` + the JSON without it.
std::string row_line(const VerifyRow& r, const std::string& key) { return detail::checkpoint_row_line(row_json(r).dump(), key); }

/// A checkpoint read and checked (parse_checkpoint).
struct Checkpoint {
  VerifyConfig cfg;                // the options of its header (shard included)
  ojson header;
  std::vector<VerifyRow> rows;     // the complete rows, in file order (= the shard's cells in grid order)
  std::vector<std::string> lines;  // their text, checksum included
  size_t keep = 0;                 // bytes of the header and the complete rows (a torn last line excluded)
};

/// Checks a checkpoint's text (contract of run_verify; detail::read_checkpoint); `what` and `path` start every
/// message. When `expected` is given, the header must record the same options (with the shard if `with_shard`); the
/// flags that differ are named.
Checkpoint parse_checkpoint(const std::string& path, const std::string& text, const std::string& what,
                            const ojson* expected, const std::string& expected_name, bool with_shard) {
  const std::string fresh = what == "merge" ? "rerun the shard that wrote it" : "start a new --out file";
  Checkpoint cp;
  std::vector<VerifyPoint> grid;
  std::vector<int> cells;
  detail::CheckpointSchema schema;
  schema.command = "verify";
  schema.format = kCheckpointFormat;
  schema.header = [&](const ojson& header, const std::string& line1, std::string& key) -> std::string {
    try {
      cp.cfg = config_from_header(header);
      grid = verify_grid(cp.cfg);
    } catch (const std::exception&) {
      return "line 1: the verify header is damaged (a field is missing or out of range): " + fresh;
    }
    if (header_line(cp.cfg) != line1)
      return "line 1: the verify header was edited (its config_crc32 or layout does not match its fields): " + fresh;
    if (expected) {
      const std::string diff = header_difference(header, "the file", *expected, expected_name, with_shard);
      if (!diff.empty()) return "was written by another verify configuration (" + diff + "); use the same flags, or " + fresh;
    }
    cells = shard_cells(grid.size(), cp.cfg.shard_index, cp.cfg.shard_count);
    key = config_crc(cp.cfg);
    return "";
  };
  schema.row = [&](size_t k, const ojson& j) -> std::string {
    VerifyRow r;
    try {
      r = row_from_json(j);
    } catch (const std::exception&) {
      return "is not a verify row";
    }
    if (k >= cells.size())
      return fmt::format("is one row too many: the {} cells of this {} are all above it", cells.size(),
                         cp.cfg.shard_count > 1 ? "shard" : "grid");
    if (r.index != cells[k])
      return fmt::format("holds cell {} where cell {} belongs (rows duplicated or out of order)", r.index, cells[k]);
    const VerifyPoint& pt = grid[static_cast<size_t>(r.index)];
    if (r.d != pt.d || r.n != pt.n || r.m != pt.m || r.law != pt.law || r.p != pt.p.text)
      return fmt::format("holds cell {} with other (d, n, m, law, p) than the header's grid", r.index);
    cp.rows.push_back(std::move(r));
    return "";
  };
  detail::CheckpointText t = detail::read_checkpoint(path, text, what, fresh, schema);
  cp.header = std::move(t.header);
  cp.lines = std::move(t.lines);
  cp.keep = t.keep;
  return cp;
}

}  // namespace


std::string render_verify(const std::vector<VerifyRow>& rows, const std::string& format, bool with_header) {
  auto g = [](double x) { return to_decimal(x, 6); };
  std::ostringstream o;
  auto max_upper = [](const VerifyRow& r) {
    double mx = 0;
    for (const auto& c : r.checks)
      if (c.name.rfind("upper:", 0) == 0) mx = std::max(mx, c.ratio);
    return mx;
  };
  auto check = [](const VerifyRow& r, const std::string& name) -> const VerifyCheck& {
    for (const auto& c : r.checks)
      if (c.name == name) return c;
    throw std::logic_error("verify row without check " + name);
  };
  if (format == "json") {
    ojson a = ojson::array();
    for (const auto& r : rows) {
      ojson o = row_json(r);
      o["violations"] = ojson::array();  // the proved upper bounds the certified gain exceeds
      for (const auto& c : r.checks)
        if (c.name.rfind("upper:", 0) == 0 && c.status == "fail")
          o["violations"].push_back({{"bound", c.name.substr(6)}, {"detail", c.detail}});
      a.push_back(std::move(o));
    }
    return a.dump(2) + "\n";
  }
  if (format == "md") {
    if (with_header)
      o << "| # | d | n | m | law | p | regime | gain/p | max gain/proved upper | gain/(c F*_n p) | gain/best constr. | "
           "gain/first_order_limit | gain/followup_upper | result |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows) {
      const VerifyCheck& vs = check(r, "very_sparse");
      std::string failed;
      for (const auto& c : r.checks)
        if (c.status == "fail") failed += (failed.empty() ? " (" : ", ") + c.name;
      if (!failed.empty()) failed += ")";
      o << "| " << r.index << " | " << r.d << " | " << r.n << " | " << r.m << " | " << r.law << " | " << r.p << " | "
        << r.regime << " | " << g(r.gain_over_p) << " | " << g(max_upper(r)) << " | " << g(vs.ratio)
        << (vs.status == "skip" ? " (skip)" : "") << " | " << g(check(r, "construction").ratio) << " | "
        << g(r.over_first_order_limit) << (r.first_order_limit_status == "refuted" ? " (refuted)" : "") << " | " << (r.over_followup_upper > 0 ? g(r.over_followup_upper) : "-")
        << " | " << (r.pass ? "pass" : "FAIL" + failed) << (r.certificate.empty() ? "" : " cert: " + r.certificate)
        << " |\n";
    }
    return o.str();
  }
  if (format == "csv") {
    if (with_header)
      o << "index,d,n,m,law,p,p_exact,regime,result,gain,gain_over_p,grad_norm_over_p,polished,represented,"
           "max_over_proved_upper,very_sparse_status,over_c_fstar_p,over_best_construction,over_first_order_limit,"
           "over_followup_upper,over_order_lower,over_order_upper,certificate,first_order_limit_status\n";
    for (const auto& r : rows) {
      const VerifyCheck& vs = check(r, "very_sparse");
      o << r.index << "," << r.d << "," << r.n << "," << r.m << "," << csv_field(r.law) << ","
        << rational_to_decimal(parse_rational(r.p, "p"), 17) << "," << csv_field(r.p) << "," << r.regime
        << "," << (r.pass ? "pass" : "fail") << "," << r.gain << "," << to_decimal(r.gain_over_p, 17) << ","
        << to_decimal(r.grad_norm, 6) << "," << (r.polished ? 1 : 0) << "," << r.represented << ","
        << to_decimal(max_upper(r), 17) << "," << vs.status << "," << to_decimal(vs.ratio, 17) << ","
        << to_decimal(check(r, "construction").ratio, 17) << "," << to_decimal(r.over_first_order_limit, 17) << ","
        << to_decimal(r.over_followup_upper, 17) << "," << to_decimal(r.over_order_lower, 17) << ","
        << to_decimal(r.over_order_upper, 17) << "," << csv_field(r.certificate) << "," << r.first_order_limit_status
        << "\n";
    }
    return o.str();
  }
  throw InputError("--format: unknown format '" + format + "' (accepted: md, csv, json)");
}

VerifySummary run_verify(const VerifyConfig& cfg, const std::function<void(const VerifyRow&)>& on_row,
                         const std::function<void(int, int, double)>& progress) {
  const std::vector<VerifyPoint> grid = verify_grid(cfg);
  const std::vector<int> cells = shard_cells(grid.size(), cfg.shard_index, cfg.shard_count);
  const std::string key = config_crc(cfg);
  std::string cert_dir = cfg.cert_dir;
  if (cert_dir.empty()) {
    const fs::path parent = fs::path(cfg.out_jsonl).parent_path();
    cert_dir = cfg.out_jsonl.empty() || parent.empty() ? "." : parent.string();
  }
  VerifySummary sum;
  sum.total = static_cast<int>(cells.size());
  auto count = [&](const VerifyRow& r) { (r.pass ? sum.passed : sum.failed)++; };

  // Under mpirun (core/ mpi_farm): rank 0 owns the checkpoint and the output and hands cells to the other ranks,
  // which compute verify_point and send each row back as its JSON text (the same text the checkpoint stores, so the
  // file is byte-identical to a one-process run). The workers leave here when the coordinator says stop.
  auto compute_cell = [&](int index) { return row_json(verify_point(cfg, grid[index], cert_dir)).dump(); };
  if (mpi_rank() != 0) {
    mpi_farm({}, compute_cell, {});
    sum.worker = true;
    return sum;
  }

  std::unique_ptr<detail::CheckpointFile> out;
  size_t first_missing = 0;
  if (!cfg.out_jsonl.empty()) {
    detail::OpenCheckpoint opened = detail::open_checkpoint(cfg.out_jsonl, cfg.resume, "--out", "verify");
    out = std::move(opened.file);
    const std::string& text = opened.text;
    if (!text.empty()) {
      const ojson expected = header_json(cfg);
      const Checkpoint cp = parse_checkpoint(cfg.out_jsonl, text, "--resume", &expected, "this run", true);
      out->truncate(cp.keep);  // drop a torn last line
      for (const auto& r : cp.rows) {
        count(r);
        ++sum.resumed;
        if (on_row) on_row(r);
        if (progress) progress(sum.resumed, sum.total, 0);
      }
      first_missing = cp.rows.size();
    } else {
      out->line(header_line(cfg));
    }
  }

  std::vector<int> todo(cells.begin() + static_cast<std::ptrdiff_t>(first_missing), cells.end());
  if (cfg.stop_after > 0 && static_cast<int>(todo.size()) > cfg.stop_after) todo.resize(cfg.stop_after);
  sum.complete = first_missing + todo.size() == cells.size();

  const auto t0 = std::chrono::steady_clock::now();
  // Rows are written in grid order whatever order they finish in: `emit` takes them from `ready` as long as the
  // next one is there.
  auto emit = [&](size_t k, VerifyRow row, int parallel) {
    if (out) out->line(row_line(row, key));
    count(row);
    ++sum.computed;
    if (on_row) on_row(row);
    if (progress) {
      const double per = seconds_since(t0) / sum.computed;
      progress(sum.resumed + sum.computed, sum.total, per * static_cast<double>(todo.size() - k - 1) / parallel);
    }
  };
  if (mpi_size() > 1) {
    // Expensive cells first (cost ~ d·n²·m, the engine's), so the last cells handed out are short ones.
    std::vector<int> order = todo;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      auto cost = [&](int i) { return double(grid[i].d) * grid[i].n * grid[i].n * grid[i].m; };
      return cost(a) > cost(b);
    });
    std::map<int, VerifyRow> done;
    size_t k = 0;
    mpi_farm(order, compute_cell, [&](int index, std::string text) {
      done.emplace(index, row_from_json(ojson::parse(text)));
      for (; k < todo.size() && done.count(todo[k]); ++k) {
        emit(k, std::move(done[todo[k]]), mpi_size() - 1);
        done.erase(todo[k]);
      }
    });
    return sum;
  }

  std::mutex mu;
  std::condition_variable cv;
  std::map<int, VerifyRow> ready;
  std::exception_ptr error;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&]() {
    for (size_t k; !stop && (k = next++) < todo.size();) {
      try {
        VerifyRow row = verify_point(cfg, grid[todo[k]], cert_dir);
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(todo[k], std::move(row));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  const int nthreads = std::max(1, std::min<int>(cfg.jobs, static_cast<int>(todo.size())));
  for (int t = 0; t < nthreads && !todo.empty(); ++t) threads.emplace_back(worker);
  try {
    for (size_t k = 0; k < todo.size(); ++k) {
      VerifyRow row;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return error || ready.count(todo[k]); });
        if (!ready.count(todo[k])) break;  // an error: stop writing at the first missing row
        row = std::move(ready[todo[k]]);
        ready.erase(todo[k]);
      }
      emit(k, std::move(row), nthreads);
    }
  } catch (...) {
    stop = true;
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return sum;
}

// ---------------------------------------------------------------------------------------------------------
// merge: part files of a job array -> the one-process file
// ---------------------------------------------------------------------------------------------------------

VerifySummary merge_verify_parts(const std::vector<std::string>& parts, const std::string& out_jsonl,
                                 const std::function<void(const VerifyRow&)>& on_row) {
  if (parts.empty()) throw InputError("merge: no part files (usage: superpose merge --out FILE PART...)");
  check_output_path(out_jsonl, "--out");
  std::error_code ec;
  if (fs::exists(out_jsonl, ec))
    throw InputError("--out: '" + out_jsonl + "' exists; remove it or choose another file (merge never overwrites)");

  std::optional<Checkpoint> first;
  std::string first_path;
  std::vector<std::vector<std::pair<size_t, size_t>>> owners;  // owners[cell]: (part, row) pairs holding it
  std::vector<Checkpoint> read;
  for (const std::string& part : parts) {
    detail::CheckpointFile file(part, false, "merge", "verify");
    const std::string text = file.read_all();
    if (text.empty()) throw InputError("merge: '" + part + "' is empty (its shard has not started: run it first)");
    Checkpoint cp = first ? parse_checkpoint(part, text, "merge", &first->header, "'" + first_path + "'", false)
                          : parse_checkpoint(part, text, "merge", nullptr, "", false);
    if (!first) {
      first = cp;
      first_path = part;
      owners.resize(verify_grid(cp.cfg).size());
    }
    for (size_t k = 0; k < cp.rows.size(); ++k) owners[static_cast<size_t>(cp.rows[k].index)].emplace_back(read.size(), k);
    read.push_back(std::move(cp));
  }

  std::vector<int> missing, duplicated;
  std::set<int> shard_counts;
  for (const auto& cp : read) shard_counts.insert(cp.cfg.shard_count);
  for (size_t i = 0; i < owners.size(); ++i) {
    if (owners[i].empty()) missing.push_back(static_cast<int>(i));
    if (owners[i].size() > 1) duplicated.push_back(static_cast<int>(i));
  }
  if (!missing.empty() || !duplicated.empty()) {
    std::string msg = "merge:";
    if (!duplicated.empty()) {
      const auto& o = owners[static_cast<size_t>(duplicated.front())];
      msg += fmt::format(" {} in more than one part (cell {} in '{}' and '{}': a part given twice, or shards "
                         "of different N);",
                         cells_are(duplicated), duplicated.front(), parts[o[0].first], parts[o[1].first]);
    }
    if (!missing.empty()) {
      msg += fmt::format(" {} in no part (the grid's cells are 0-{}", cells_are(missing), owners.size() - 1);
      if (shard_counts.size() == 1 && *shard_counts.begin() > 1) {
        const int n = *shard_counts.begin();
        std::set<int> shards;
        for (int i : missing) shards.insert(i % n);
        std::string list;
        for (int k : shards) list += fmt::format("{}{}/{}", list.empty() ? "" : ", ", k, n);
        msg += "; run or resume --shard " + list;
      }
      msg += ");";
    }
    throw InputError(msg + " nothing written");
  }

  VerifyConfig whole = first->cfg;
  whole.shard_index = 0;
  whole.shard_count = 1;
  std::string content = header_line(whole) + "\n";
  VerifySummary sum;
  sum.total = static_cast<int>(owners.size());
  for (size_t i = 0; i < owners.size(); ++i) {
    const auto [part, k] = owners[i][0];
    const VerifyRow& row = read[part].rows[k];
    content += read[part].lines[k] + "\n";
    (row.pass ? sum.passed : sum.failed)++;
    ++sum.resumed;
    if (on_row) on_row(row);
  }
  sum.complete = true;
  write_file_atomic(out_jsonl, content);
  return sum;
}

}  // namespace superpose
