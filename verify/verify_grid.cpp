// The verification grid and its JSON-lines checkpoint (verify/verify.hpp, section "verify"; issue 3).
#include "verify/verify.hpp"

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
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace superpose {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Rational ipow(const Rational& x, int k) {
  Rational r = 1;
  for (int i = 0; i < k; ++i) r *= x;
  return r;
}

template <class T>
const Bound<T>* find_bound(const std::vector<Bound<T>>& bounds, const std::string& name) {
  for (const auto& b : bounds)
    if (b.name == name) return &b;
  return nullptr;
}

bool proved_upper(BoundStatus st, BoundSide side) {
  return (st == BoundStatus::proved_in_paper || st == BoundStatus::proved_here) && side != BoundSide::lower;
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

void VerifyConfig::validate() const {
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
  need(starts >= 1, "--starts: must be at least 1");
  need(jobs >= 1 && jobs <= 64, "--jobs: must lie in 1..64");
  need(max_evals >= 1, "--max-evals: must be at least 1");
  need(plant_upper_factor > 0, "--plant-upper-factor: must be > 0 (1 = off)");
  need(sparse_factor >= 1, "--sparse-factor: must be >= 1");
  need(stop_after >= 0, "--stop-after: must be >= 0 (0 = no limit)");
  const std::vector<GridP> ps = parse_p_grid(p_spec, "--p");
  if (!cert_dir.empty()) check_output_folder(cert_dir, "--cert-dir");
  // Every cell as verify_point will see it, so that no row is computed before a later cell is found bad.
  OptimizeOptions opt;
  opt.starts = starts;
  opt.seed = seed;
  opt.max_evals = max_evals;
  for (int d : d_values)
    for (int n : n_values)
      for (int m : m_values)
        for (const auto& law : laws) {
          try {
            const Setting s(d, n, m, Law::parse(law));
            opt.validate(d, n, m);
            (void)structured_starts(d, n, m, seed);
            for (const GridP& p : ps) {
              check_double_range(s.law, m, p.value);
              (void)closed_form_bounds(s, from_rational<Real50>(p.value));
            }
          } catch (const InputError& e) {
            throw InputError("grid point d = " + std::to_string(d) + ", n = " + std::to_string(n) + ", m = " +
                             std::to_string(m) + ", law = " + law + ": " + e.what());
          }
        }
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
  const Real50 factor = from_rational<Real50>(cfg.plant_upper_factor);

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

  // Check 1: proved upper bounds. A violation in MPFR-50 is re-examined in exact arithmetic on the saved W.
  const std::vector<Bound<Real50>> bounds = closed_form_bounds(s, p50);
  std::optional<Rational> exact_gain;
  std::vector<Bound<Real100>> bounds100;
  for (const auto& b : bounds) {
    if (!proved_upper(b.status, b.side)) continue;
    const Real50 value = b.value * factor;
    VerifyCheck c{"upper:" + b.name, "pass", static_cast<double>(r.gain / value), ""};
    if (r.gain > value * (1 + Real50("1e-40"))) {
      if (!exact_gain) {
        ensure_directory(cert_dir);
        row.certificate = cert_dir + "/counterexample_" + std::to_string(pt.index) + "_d" + std::to_string(pt.d) +
                          "_n" + std::to_string(pt.n) + "_m" + std::to_string(pt.m) + "_" + file_safe(row.law) +
                          "_p" + file_safe(pt.p.text) + ".csv";
        std::string text = "# superpose verify counterexample certificate: W (d x n, 50 digits) with d = " +
                           std::to_string(pt.d) + ", n = " + std::to_string(pt.n) + ", m = " +
                           std::to_string(pt.m) + ", law = " + row.law + ", p = " + pt.p.text + "\n";
        if (cfg.plant_upper_factor != 1)
          text += "# SELF-TEST: upper bounds multiplied by " + cfg.plant_upper_factor.str() + "\n";
        write_file_atomic(row.certificate, text + matrix_to_csv(r.W50, 50));
        // Round W to rationals (the decimals just written) and evaluate the gain exactly.
        const Matrix<Rational> Wq = read_matrix_csv(row.certificate);
        exact_gain = evaluate(Wq, pt.m, s.law, pt.p.value).gain;
        row.exact_gain = rational_to_decimal(*exact_gain, 40);
        bounds100 = closed_form_bounds(s, from_rational<Real100>(pt.p.value));
      }
      const Bound<Real100>* b100 = find_bound(bounds100, b.name);
      const Real100 bound100 = b100->value * from_rational<Real100>(cfg.plant_upper_factor);
      const Real100 g100 = from_rational<Real100>(*exact_gain);
      if (g100 > bound100 * (1 + Real100("1e-95"))) {
        c.status = "fail";
        c.detail = "exact gain of the rationalised certificate " + rational_to_decimal(*exact_gain, 20) +
                   " exceeds " + b.name + " = " + to_decimal(bound100, 20);
      } else {
        c.detail = "MPFR-50 gain above the bound by rounding only: the exact gain of the certificate does not exceed it";
      }
    }
    row.checks.push_back(std::move(c));
  }

  // Check 2: very sparse limit, where a weighted projective 2m-design fits (Theorem 5.5(c)).
  {
    VerifyCheck c{"very_sparse", "skip", 0, ""};
    const Rational limit = s.law.c_mu(pt.m) * f_star(pt.d, pt.m);
    c.ratio = static_cast<double>(r.gain / (from_rational<Real50>(limit) * p50));
    const Rational design = sym_dim(pt.d, 2 * pt.m);  // C(d+2m−1, 2m)
    if (pt.p.value * ipow(Rational(pt.d), pt.m) * cfg.sparse_factor > 1) {
      c.detail = "p > d^-m/" + cfg.sparse_factor.str();
    } else if (Rational(pt.n) < design) {
      c.detail = "n < C(d+2m-1,2m) = " + design.str() + ": a projective 2m-design may not fit";
    } else {
      c.status = c.ratio >= 0.99 ? "pass" : "fail";
      c.detail = "gain/(c_mu*F*(d,m)*p) >= 0.99 required";
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
  r.over_followup_upper = inf.at("over_followup_upper");
  r.over_order_lower = inf.at("over_theorem_2_2_lower_order");
  r.over_order_upper = inf.at("over_theorem_2_2_upper_order");
  if (j.contains("certificate")) {
    r.certificate = j.at("certificate");
    r.exact_gain = j.at("exact_gain");
  }
  return r;
}

std::string header_line(const VerifyConfig& cfg) {
  ojson h = {{"superpose_verify", 1},
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
  return h.dump();
}

/// Appends lines to a file with a flush and fsync after each, so a killed run leaves only whole lines behind
/// (except possibly a torn last line, which resume drops).
class DurableAppender {
 public:
  explicit DurableAppender(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd_ < 0) throw InputError("--out: cannot open '" + path + "' for writing");
  }
  ~DurableAppender() {
    if (fd_ >= 0) ::close(fd_);
  }
  DurableAppender(const DurableAppender&) = delete;
  DurableAppender& operator=(const DurableAppender&) = delete;
  void line(const std::string& text) {
    std::string s = text + "\n";
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t w = ::write(fd_, s.data() + off, s.size() - off);
      if (w < 0) throw std::runtime_error("write to '" + path_ + "' failed");
      off += static_cast<size_t>(w);
    }
    ::fsync(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

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
    for (const auto& r : rows) a.push_back(row_json(r));
    return a.dump(2) + "\n";
  }
  if (format == "md") {
    if (with_header)
      o << "| # | d | n | m | law | p | regime | gain/p | max gain/proved upper | gain/(c F* p) | gain/best constr. | "
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
        << g(r.over_first_order_limit) << " | " << (r.over_followup_upper > 0 ? g(r.over_followup_upper) : "-")
        << " | " << (r.pass ? "pass" : "FAIL" + failed) << (r.certificate.empty() ? "" : " cert: " + r.certificate)
        << " |\n";
    }
    return o.str();
  }
  if (format == "csv") {
    if (with_header)
      o << "index,d,n,m,law,p,regime,result,gain,gain_over_p,grad_norm_over_p,polished,represented,"
           "max_over_proved_upper,very_sparse_status,over_c_fstar_p,over_best_construction,over_first_order_limit,"
           "over_followup_upper,over_order_lower,over_order_upper,certificate\n";
    for (const auto& r : rows) {
      const VerifyCheck& vs = check(r, "very_sparse");
      o << r.index << "," << r.d << "," << r.n << "," << r.m << ",\"" << r.law << "\"," << r.p << "," << r.regime
        << "," << (r.pass ? "pass" : "fail") << "," << r.gain << "," << to_decimal(r.gain_over_p, 17) << ","
        << to_decimal(r.grad_norm, 6) << "," << (r.polished ? 1 : 0) << "," << r.represented << ","
        << to_decimal(max_upper(r), 17) << "," << vs.status << "," << to_decimal(vs.ratio, 17) << ","
        << to_decimal(check(r, "construction").ratio, 17) << "," << to_decimal(r.over_first_order_limit, 17) << ","
        << to_decimal(r.over_followup_upper, 17) << "," << to_decimal(r.over_order_lower, 17) << ","
        << to_decimal(r.over_order_upper, 17) << "," << r.certificate << "\n";
    }
    return o.str();
  }
  throw InputError("--format: unknown format '" + format + "' (accepted: md, csv, json)");
}

VerifySummary run_verify(const VerifyConfig& cfg, const std::function<void(const VerifyRow&)>& on_row,
                         const std::function<void(int, int, double)>& progress) {
  const std::vector<VerifyPoint> grid = verify_grid(cfg);
  const std::string header = header_line(cfg);
  std::string cert_dir = cfg.cert_dir;
  if (cert_dir.empty()) {
    const fs::path parent = fs::path(cfg.out_jsonl).parent_path();
    cert_dir = cfg.out_jsonl.empty() || parent.empty() ? "." : parent.string();
  }
  VerifySummary sum;
  sum.total = static_cast<int>(grid.size());
  auto count = [&](const VerifyRow& r) { (r.pass ? sum.passed : sum.failed)++; };

  std::unique_ptr<DurableAppender> out;
  size_t first_missing = 0;
  if (!cfg.out_jsonl.empty()) {
    std::error_code ec;
    const bool exists = fs::exists(cfg.out_jsonl, ec) && fs::file_size(cfg.out_jsonl, ec) > 0;
    if (exists && !cfg.resume)
      throw InputError("--out: '" + cfg.out_jsonl + "' exists; pass --resume to continue it, or remove it");
    if (exists) {
      std::ifstream in(cfg.out_jsonl, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      size_t pos = 0, keep = 0;
      std::vector<VerifyRow> kept;
      bool header_seen = false;
      while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) break;  // torn last line: dropped
        const std::string line = text.substr(pos, nl - pos);
        if (!header_seen) {
          if (line != header)
            throw InputError("--resume: '" + cfg.out_jsonl +
                             "' was written by a different verify configuration (grid, starts, seed, max-evals or "
                             "self-test factor); use the same flags or a new --out file");
          header_seen = true;
        } else {
          ojson j = ojson::parse(line, nullptr, false);
          if (j.is_discarded()) break;  // a damaged line ends the trusted prefix
          VerifyRow r;
          try {
            r = row_from_json(j);
          } catch (const std::exception&) {
            break;
          }
          if (r.index != static_cast<int>(kept.size()) || r.index >= sum.total) break;
          const VerifyPoint& pt = grid[r.index];
          if (r.d != pt.d || r.n != pt.n || r.m != pt.m || r.law != pt.law || r.p != pt.p.text) break;
          kept.push_back(std::move(r));
        }
        pos = nl + 1;
        keep = pos;
      }
      if (!header_seen) throw InputError("--resume: '" + cfg.out_jsonl + "' has no verify header line");
      fs::resize_file(cfg.out_jsonl, keep);  // drop a torn or damaged tail
      for (const auto& r : kept) {
        count(r);
        ++sum.resumed;
        if (on_row) on_row(r);
        if (progress) progress(sum.resumed, sum.total, 0);
      }
      first_missing = kept.size();
      out = std::make_unique<DurableAppender>(cfg.out_jsonl);
    } else {
      const fs::path parent = fs::path(cfg.out_jsonl).parent_path();
      if (!parent.empty()) ensure_directory(parent.string());
      std::error_code ec2;
      fs::remove(cfg.out_jsonl, ec2);  // an empty file left by an earlier run
      out = std::make_unique<DurableAppender>(cfg.out_jsonl);
      out->line(header);
    }
  }

  std::vector<int> todo;
  for (size_t i = first_missing; i < grid.size(); ++i) todo.push_back(static_cast<int>(i));
  if (cfg.stop_after > 0 && static_cast<int>(todo.size()) > cfg.stop_after) todo.resize(cfg.stop_after);
  sum.complete = first_missing + todo.size() == grid.size();

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
  const auto t0 = std::chrono::steady_clock::now();
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
      if (out) out->line(row_json(row).dump());
      count(row);
      ++sum.computed;
      if (on_row) on_row(row);
      if (progress) {
        const double per = seconds_since(t0) / sum.computed;
        progress(sum.resumed + sum.computed, sum.total, per * static_cast<double>(todo.size() - k - 1) / nthreads);
      }
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

}  // namespace superpose
