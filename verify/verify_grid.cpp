// Experiments: the verification grid, the Figure 3 sweep, and gradient training on the exact gain
// (verify/verify.hpp, section "Experiments"; issue 3).
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

std::string trim(std::string_view t) {
  size_t a = 0, b = t.size();
  while (a < b && std::isspace(static_cast<unsigned char>(t[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(t[b - 1]))) --b;
  return std::string(t.substr(a, b - a));
}

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
// p grids
// ---------------------------------------------------------------------------------------------------------

std::vector<GridP> parse_experiment_p(const std::string& spec, const std::string& flag) {
  auto exact = [&](const std::string& text) { return GridP{trim(text), parse_rational(text, flag)}; };
  std::vector<GridP> out;
  const auto parts = split(spec, ':');
  if (parts.size() == 3) {
    GridP lo = exact(parts[0]), hi = exact(parts[1]);
    // Ends in the same 12-digit style as the interior when that is the same exact number.
    for (GridP* e : {&lo, &hi}) {
      const std::string t = to_decimal(from_rational<Real50>(e->value), 12);
      if (e->value > 0 && parse_rational(t, flag) == e->value) e->text = t;
    }
    const Rational cnt = parse_rational(parts[2], flag + " count");
    if (denominator(cnt) != 1 || cnt < 2 || cnt > 1000)
      throw InputError(flag + ": in lo:hi:count the count must be an integer in 2..1000 (got '" + spec + "')");
    if (!(lo.value > 0 && lo.value < hi.value && hi.value <= 1))
      throw InputError(flag + ": lo:hi:count needs 0 < lo < hi <= 1 (got '" + spec + "')");
    const int count = static_cast<int>(numerator(cnt));
    const Real50 a = log(from_rational<Real50>(lo.value)), b = log(from_rational<Real50>(hi.value));
    out.push_back(lo);
    for (int i = 1; i + 1 < count; ++i)
      out.push_back(exact(to_decimal(Real50(exp(a + (b - a) * Real50(i) / Real50(count - 1))), 12)));
    out.push_back(hi);
  } else if (parts.size() == 1) {
    for (const std::string& item : split(spec, ',')) out.push_back(exact(item));
  } else {
    throw InputError(flag + ": '" + spec + "' is not a value, a comma list, or lo:hi:count");
  }
  for (const GridP& p : out)
    if (!(p.value > 0 && p.value <= 1))
      throw InputError(flag + ": every feature probability must lie in (0, 1] (got '" + p.text + "')");
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------------------

std::vector<VerifyPoint> verify_grid(const VerifyConfig& cfg) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  need(!cfg.d_values.empty() && !cfg.n_values.empty() && !cfg.m_values.empty() && !cfg.laws.empty(),
       "--d, --n, --m, --law: each needs at least one value");
  for (int d : cfg.d_values) need(d >= 1 && d <= 64, "--d: hidden widths must lie in 1..64 (got " + std::to_string(d) + ")");
  for (int n : cfg.n_values) need(n >= 1 && n <= 2000, "--n: feature counts must lie in 1..2000 (got " + std::to_string(n) + ")");
  for (int m : cfg.m_values) {
    need(m >= 1 && m <= 21 && m % 2 == 1, "--m: activation powers must be odd, 1..21 (got " + std::to_string(m) + ")");
  }
  for (const auto& l : cfg.laws) (void)Law::parse(l);
  need(cfg.starts >= 1, "--starts: must be at least 1");
  need(cfg.jobs >= 1 && cfg.jobs <= 64, "--jobs: must lie in 1..64");
  need(cfg.max_evals >= 1, "--max-evals: must be at least 1");
  need(cfg.plant_upper_factor > 0, "--plant-upper-factor: must be > 0 (1 = off)");
  need(cfg.sparse_factor >= 1, "--sparse-factor: must be >= 1");
  need(cfg.stop_after >= 0, "--stop-after: must be >= 0 (0 = no limit)");
  const std::vector<GridP> ps = parse_experiment_p(cfg.p_spec, "--p");
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

// ---------------------------------------------------------------------------------------------------------
// fast gain (double, blocked, threaded)
// ---------------------------------------------------------------------------------------------------------

namespace {

double binom(int n, int k) {
  if (k < 0 || k > n) return 0;
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

/// Moments M_0..M_N from cumulants κ_1..κ_N: M_n = Σ_{k=1}^{n} C(n−1,k−1) κ_k M_{n−k}.
void moments_from_cumulants(const std::vector<double>& kappa, int N, std::vector<double>& M) {
  M.assign(N + 1, 0.0);
  M[0] = 1;
  for (int n = 1; n <= N; ++n) {
    double s = 0;
    for (int k = 1; k <= n; ++k) s += binom(n - 1, k - 1) * kappa[k] * M[n - k];
    M[n] = s;
  }
}

struct RowModel {
  int m;
  std::vector<double> ex;  // E x^k = p·μ_k, k = 0..2m
  std::vector<double> kx;  // κ_k(x), k = 0..2m
  RowModel(const Law& law, int m_, double p) : m(m_), ex(2 * m_ + 1), kx(2 * m_ + 1, 0.0) {
    ex[0] = 1;
    for (int k = 1; k <= 2 * m; ++k) ex[k] = p * static_cast<double>(law.moment(k));
    for (int n = 1; n <= 2 * m; ++n) {  // κ_n = M_n − Σ_{k<n} C(n−1,k−1) κ_k M_{n−k}
      double s = ex[n];
      for (int k = 1; k < n; ++k) s -= binom(n - 1, k - 1) * kx[k] * ex[n - k];
      kx[n] = s;
    }
  }
  /// Row gain f = 2C_i − D_i from a = A_ii and Q[k−1] = Q_{2k}(i), with ∂f/∂a and ∂f/∂Q_{2k} (fQ[k−1]).
  double row(double a, const double* Q, double& fa, double* fQ) const {
    const int N = 2 * m;
    std::vector<double> kZ(N + 1, 0.0), kS(N + 1, 0.0), MZ, MS, apow(N + 1, 1.0);
    for (int r = 1; r <= N; ++r) apow[r] = apow[r - 1] * a;
    for (int k = 1; k <= m; ++k) kZ[2 * k] = kx[2 * k] * Q[k - 1];
    for (int r = 1; r <= N; ++r) kS[r] = kZ[r] + apow[r] * kx[r];
    moments_from_cumulants(kZ, N, MZ);
    moments_from_cumulants(kS, N, MS);
    double C = 0, Ca = 0, D = MS[N], Da = 0;
    for (int t = 1; t <= m; t += 2) {
      C += binom(m, t) * apow[t] * ex[t + 1] * MZ[m - t];
      Ca += binom(m, t) * t * apow[t - 1] * ex[t + 1] * MZ[m - t];
    }
    for (int r = 2; r <= N; r += 2) Da += binom(N, r) * MS[N - r] * r * apow[r - 1] * kx[r];
    for (int k = 1; k <= m; ++k) {
      const int r = 2 * k;
      const double dD = binom(N, r) * MS[N - r] * kx[r];
      double dC = 0;
      for (int t = 1; t <= m; t += 2)
        if (r <= m - t) dC += binom(m, t) * apow[t] * ex[t + 1] * binom(m - t, r) * MZ[m - t - r] * kx[r];
      fQ[k - 1] = 2 * dC - dD;
    }
    fa = 2 * Ca - Da;
    return 2 * C - D;
  }
};

template <class F>
void parallel_blocks(Eigen::Index n, Eigen::Index block, int threads, const F& f) {
  const Eigen::Index nb = (n + block - 1) / block;
  std::atomic<Eigen::Index> next{0};
  auto work = [&]() {
    for (Eigen::Index b; (b = next++) < nb;) f(b * block, std::min(block, n - b * block));
  };
  const int t = static_cast<int>(std::max<Eigen::Index>(1, std::min<Eigen::Index>(threads, nb)));
  std::vector<std::thread> pool;
  for (int i = 1; i < t; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

/// Σ_{j≠i} col_j^{2k} for k = 1..M into q (M = m known at compile time, so the k loop unrolls).
template <int M>
void power_sums_row(const double* col, Eigen::Index n, Eigen::Index i, double* q) {
  double acc[M] = {};
  auto range = [&](Eigen::Index j0, Eigen::Index j1) {  // j = i is skipped, not subtracted (no cancellation)
    for (Eigen::Index j = j0; j < j1; ++j) {
      const double x2 = col[j] * col[j];
      double pw = x2;
      for (int k = 0; k < M; ++k) {
        acc[k] += pw;
        pw *= x2;
      }
    }
  };
  range(0, i);
  range(i + 1, n);
  for (int k = 0; k < M; ++k) q[k] += acc[k];
}

/// col_j ← Σ_k 2k·(fi_k + fj_k)·col_j^{2k−1} for j ≠ i, col_i ← 2·fa_i.
template <int M>
void grad_row(double* col, Eigen::Index n, Eigen::Index i, const double* fi, const double* fQ, double fa_i) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const double x = col[j], x2 = x * x;
    const double* fj = fQ + static_cast<size_t>(j) * M;
    double xp = x, h = 0;
    for (int k = 0; k < M; ++k) {
      h += 2 * (k + 1) * (fi[k] + fj[k]) * xp;
      xp *= x2;
    }
    col[j] = h;
  }
  col[i] = 2 * fa_i;
}

template <int M>
void dispatch_rows(int m, double* col, Eigen::Index n, Eigen::Index i, double* q, bool grad, const double* fi,
                   const double* fQ, double fa_i) {
  if constexpr (M > 21) {
    throw std::logic_error("fast_gain: m out of range");
  } else if (m == M) {
    if (grad) grad_row<M>(col, n, i, fi, fQ, fa_i);
    else power_sums_row<M>(col, n, i, q);
  } else {
    dispatch_rows<M + 2>(m, col, n, i, q, grad, fi, fQ, fa_i);
  }
}

}  // namespace

double fast_gain(const Matrix<double>& W, int m, const Law& law, double p, Matrix<double>* grad, int threads) {
  check_power(m);
  check_probability(p);
  const Eigen::Index n = W.cols();
  if (W.size() == 0) throw InputError("fast_gain: empty W");
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const RowModel model(law, m, p);
  const Eigen::VectorXd a = W.colwise().squaredNorm().transpose();
  // Row-major n×m arrays: Q_{2k}(i) and ∂f_i/∂Q_{2k}(i).
  std::vector<double> Q(static_cast<size_t>(n) * m, 0.0), fQ(static_cast<size_t>(n) * m), fa(n), f(n);
  const Eigen::Index block = 128;
  parallel_blocks(n, block, threads, [&](Eigen::Index i0, Eigen::Index b) {
    Matrix<double> A = W.transpose() * W.middleCols(i0, b);  // n×b: column c is row i0+c of WᵀW
    for (Eigen::Index c = 0; c < b; ++c) {
      const Eigen::Index i = i0 + c;
      double* q = &Q[static_cast<size_t>(i) * m];
      dispatch_rows<1>(m, A.col(c).data(), n, i, q, false, nullptr, nullptr, 0);
      f[i] = model.row(a(i), q, fa[i], &fQ[static_cast<size_t>(i) * m]);
    }
  });
  double gain = 0;
  for (Eigen::Index i = 0; i < n; ++i) gain += f[i];
  if (!grad) return gain;
  grad->resize(W.rows(), n);
  parallel_blocks(n, block, threads, [&](Eigen::Index i0, Eigen::Index b) {
    Matrix<double> A = W.transpose() * W.middleCols(i0, b);  // becomes M(:, block), M symmetric
    for (Eigen::Index c = 0; c < b; ++c) {
      const Eigen::Index i = i0 + c;
      dispatch_rows<1>(m, A.col(c).data(), n, i, nullptr, true, &fQ[static_cast<size_t>(i) * m], fQ.data(), fa[i]);
    }
    grad->middleCols(i0, b).noalias() = W * A;
  });
  return gain;
}

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

int count_represented(const Matrix<double>& W) {
  Eigen::VectorXd sq = W.colwise().squaredNorm().transpose();
  const double mx = sq.maxCoeff();
  int c = 0;
  for (Eigen::Index i = 0; i < sq.size(); ++i) c += mx > 0 && sq(i) > 1e-6 * mx;
  return c;
}

}  // namespace

SweepResult run_sweep(const SweepConfig& cfg, const std::function<void(int, int, double)>& progress) {
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  if (cfg.points < 2 || cfg.points > 1000) throw InputError("--points: must lie in 2..1000");
  if (!(cfg.p_min_factor > 0) || !std::isfinite(cfg.p_min_factor))
    throw InputError("--p-min-factor: must be a positive number");
  if (cfg.max_evals < 1) throw InputError("--max-evals: must be at least 1");
  if (cfg.with_train && cfg.train_steps < 1) throw InputError("--train-steps: must be at least 1");
  const int d = cfg.d, n = cfg.n, m = cfg.m;
  const double pmin = std::pow(static_cast<double>(d), -m) * cfg.p_min_factor;
  if (!(pmin < 1)) throw InputError("--p-min-factor: d^-m * factor must be below 1 (got " + to_decimal(pmin, 6) + ")");
  const std::vector<GridP> ps = parse_experiment_p(to_decimal(pmin, 12) + ":1:" + std::to_string(cfg.points), "--p-min-factor");
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
  add("unsuperposed", unsuperposed_weights(d, n));
  std::vector<long> ks;
  for (long k = d; k < n; k *= 2) ks.push_back(k);
  ks.push_back(n);
  for (long k : ks) {
    Matrix<double> W = Matrix<double>::Zero(d, n);
    W.leftCols(k) = random_tight_frame(d, static_cast<int>(k), static_cast<int>(k), cfg.seed + k);
    add("tight_frame k=" + std::to_string(k), std::move(W));
  }

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
      // gain(sW) = 2λC − λ²D with λ = s^{2m}: C and D from the gains at λ = 1 and λ = 2, best λ = C/D.
      const double g1 = fast_gain(prev, m, s.law, p), g2 = fast_gain(prev * std::pow(2.0, 0.5 / m), m, s.law, p);
      const double C = g1 - g2 / 4, D = 2 * C - g1;
      const double lambda = C > 0 && D > 0 ? C / D : 1.0;
      W0 = prev * std::pow(lambda, 0.5 / m);
      g0 = fast_gain(W0, m, s.law, p);
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
    {
      const Eigen::VectorXd sq = W0.colwise().squaredNorm().transpose();
      const double mx = sq.maxCoeff();
      for (Eigen::Index c = 0; c < n; ++c)
        if (sq(c) > 1e-10 * mx) active.push_back(c);
    }
    const Eigen::Index k = static_cast<Eigen::Index>(active.size());
    Matrix<double> Wc(d, k);
    for (Eigen::Index c = 0; c < k; ++c) Wc.col(c) = W0.col(active[c]);
    Objective f = [&](const Vec& x, Vec& grad) -> double {
      const Matrix<double> V = Eigen::Map<const Matrix<double>>(x.data(), d, k);
      if (grad.empty()) return fast_gain(V, m, s.law, p) / p;
      Matrix<double> G;
      const double v = fast_gain(V, m, s.law, p, &G) / p;
      Eigen::Map<Matrix<double>>(grad.data(), d, k) = G / p;
      return v;
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
    pt.gain = fast_gain(W, m, s.law, p);
    pt.log_d_p = std::log(p) / logd;
    pt.log_d_gain = std::log(pt.gain) / logd;
    pt.first_order_limit = c_fstar * p;
    pt.tensor_rank_upper = p * mu2 * rank_cap;
    pt.represented = count_represented(W);
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
  const std::string script = (dir / "sweep.gp").string();
  write_file_atomic(script, gp.str());
  const std::string cmd = "gnuplot '" + script + "' 2>'" + (dir / "sweep.gnuplot.log").string() + "'";
  const int rc = std::system(cmd.c_str());
  if (rc != 0)
    throw std::runtime_error("gnuplot failed (exit " + std::to_string(rc) + "); see " + (dir / "sweep.gnuplot.log").string() +
                             " (install: apt-get install gnuplot-nox)");
  return {(dir / "sweep.svg").string(), (dir / "sweep.png").string()};
}

// ---------------------------------------------------------------------------------------------------------
// train
// ---------------------------------------------------------------------------------------------------------

TrainResult train_gain(const TrainConfig& cfg) {
  const Setting s(cfg.d, cfg.n, cfg.m, Law::parse(cfg.law));
  check_probability(cfg.p);
  if (cfg.steps < 1) throw InputError("--steps: must be at least 1");
  if (!(cfg.lr > 0) || !std::isfinite(cfg.lr)) throw InputError("--lr: must be a positive number");
  if (!(cfg.init_scale > 0) || !std::isfinite(cfg.init_scale)) throw InputError("--init-scale: must be a positive number");
  if (cfg.optimizer != "sgd" && cfg.optimizer != "adam")
    throw InputError("--optimizer: unknown optimizer '" + cfg.optimizer + "' (accepted: sgd, adam)");
  const int d = cfg.d, n = cfg.n, m = cfg.m;
  const double p = from_rational<double>(cfg.p);
  const double a0 = std::pow(static_cast<double>(s.law.moment(m + 1) / s.law.moment(2 * m)), 1.0 / m);
  std::mt19937_64 rng(cfg.seed);
  std::normal_distribution<double> g(0.0, cfg.init_scale * std::sqrt(a0 / d));
  Matrix<double> W(d, n);
  for (Eigen::Index k = 0; k < W.size(); ++k) W.data()[k] = g(rng);
  Matrix<double> M1 = Matrix<double>::Zero(d, n), M2 = Matrix<double>::Zero(d, n);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-12;
  double pb1 = 1, pb2 = 1;
  TrainResult res;
  res.best_gain = -std::numeric_limits<double>::infinity();
  const auto t0 = std::chrono::steady_clock::now();
  for (int step = 0; step < cfg.steps; ++step) {
    Matrix<double> G;
    const double gain = fast_gain(W, m, s.law, p, &G);
    res.best_gain = std::max(res.best_gain, gain);
    if (cfg.target > 0 && res.steps_to_target < 0 && gain >= cfg.target) {
      res.steps_to_target = step;
      res.seconds_to_target = seconds_since(t0);
    }
    if (cfg.trace_every > 0 && step % cfg.trace_every == 0) res.trace.emplace_back(step, seconds_since(t0), gain);
    const Matrix<double> grad = G / p;  // ascent direction of gain/p
    if (cfg.optimizer == "sgd") {
      W += cfg.lr * grad;
    } else {
      M1 = b1 * M1 + (1 - b1) * grad;
      M2 = b2 * M2 + (1 - b2) * grad.cwiseAbs2();
      pb1 *= b1;
      pb2 *= b2;
      W += (cfg.lr * (M1 / (1 - pb1)).array() / ((M2 / (1 - pb2)).array().sqrt() + eps)).matrix();
    }
    if (!W.allFinite()) throw InputError("--lr: training diverged (non-finite weights at step " + std::to_string(step + 1) + "); lower the step size");
  }
  res.W = W;
  res.gain = fast_gain(W, m, s.law, p);
  res.best_gain = std::max(res.best_gain, res.gain);
  res.gain_over_p = res.gain / p;
  res.seconds = seconds_since(t0);
  res.trace.emplace_back(cfg.steps, res.seconds, res.gain);
  res.geometry = geometry(W, m);
  return res;
}

}  // namespace superpose
