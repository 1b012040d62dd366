// Experiments of issue 3: `superpose verify` (checks, planted failure, checkpoint and resume), the sweep, and
// training on the exact gain. Expected numbers come from closed forms computed here, not from the code under test.
#define BOOST_TEST_MODULE experiments
#include <boost/test/unit_test.hpp>

#include "tests/cli_sandbox.hpp"
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

using namespace superpose;
namespace fs = std::filesystem;

namespace {

using test::Run;
using test::slurp;

struct Sandbox : test::Sandbox {
  Sandbox() : test::Sandbox("superpose_exp_") {}
};

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

std::vector<nlohmann::json> jsonl_rows(const std::string& text) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      first = false;
      continue;
    }
    rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

size_t count_lines(const fs::path& f) {
  const std::string s = slurp(f);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_CASE(p_grid_is_exact_and_log_spaced) {
  // 1e-6:1e-1:6 must be exactly 10^-6, ..., 10^-1 (12-digit rounding of exp of the log grid, read exactly).
  std::vector<GridP> ps = parse_p_grid("1e-6:1e-1:6", "--p");
  BOOST_REQUIRE_EQUAL(ps.size(), 6u);
  Rational expect(1, 1000000);
  for (const auto& p : ps) {
    BOOST_TEST(p.value == expect, p.text);
    expect *= 10;
  }
  BOOST_TEST(parse_p_grid("3/7", "--p")[0].value == Rational(3, 7));
  BOOST_CHECK_THROW(parse_p_grid("0:1:3", "--p"), InputError);
  BOOST_CHECK_THROW(parse_p_grid("1e-3:1e-1:1", "--p"), InputError);
  BOOST_CHECK_THROW(parse_p_grid("2", "--p"), InputError);
}

BOOST_AUTO_TEST_CASE(verify_small_grid_passes_with_independent_values) {
  Sandbox box;
  // d = 2; n = 2 (n <= d: the optimum for rademacher is p*n*mu_2 = 2p, where unsuperposed meets every upper bound)
  // and n = 8 (>= C(2+6-1, 6) = 7, so a projective 6-design fits: very sparse check applies at p = 1e-6).
  Run r = box.run("verify --d 2 --n 2,8 --m 3 --law rademacher,gaussian --p 1e-6,1e-2 --jobs 2 --quiet "
                  "--out v.jsonl --format csv");
  BOOST_TEST_INFO("stderr: " << r.err);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(last_line(r.out) == "8 passed, 0 failed");
  std::vector<nlohmann::json> rows = jsonl_rows(slurp(box.dir / "v.jsonl"));
  BOOST_REQUIRE_EQUAL(rows.size(), 8u);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& j = rows[i];
    BOOST_TEST(j["index"].get<int>() == static_cast<int>(i));
    BOOST_TEST(j["result"] == "pass");
    const double gop = j["gain_over_p"];
    const std::string law = j["law"];
    // c_mu(3) = mu_4^2/mu_6: rademacher 1, gaussian 9/15; F*(2,3) = 2*4*6/15 = 16/5.
    const double c_mu = law == "rademacher" ? 1.0 : 0.6;
    if (j["n"] == 2) {
      // Optimum = unsuperposed: p * 2 * c_mu, exactly (the 50-digit gain must agree far beyond double).
      BOOST_TEST(std::abs(gop - 2 * c_mu) < 1e-12);
    } else if (j["p"] == "1e-06") {
      BOOST_TEST(std::abs(gop / (c_mu * 3.2) - 1) < 1e-4);
      bool seen = false;
      for (const auto& c : j["checks"])
        if (c["name"] == "very_sparse") {
          seen = true;
          BOOST_TEST(c["status"] == "pass");
        }
      BOOST_TEST(seen);
    }
    for (const auto& c : j["checks"])
      if (c["name"].get<std::string>().rfind("upper:", 0) == 0) BOOST_TEST(c["ratio"].get<double>() <= 1 + 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(planted_wrong_upper_bound_is_caught_and_certified) {
  Sandbox box;
  // Planted: every proved upper bound times 1/4. For d = 2, n = 3, m = 3, rademacher: tensor_rank_upper =
  // p*mu_2*min(3, C(4,3)) = 3p, planted 0.75p, while the unsuperposed construction alone gives 2p.
  Run r = box.run("verify --d 2 --n 3 --m 3 --law rademacher --p 1e-4 --plant-upper-factor 1/4 --quiet --out v.jsonl "
                  "--format json");
  BOOST_TEST_INFO("stderr: " << r.err);
  BOOST_TEST(r.code == 1);
  BOOST_TEST(last_line(r.out) == "0 passed, 1 failed");
  std::vector<nlohmann::json> rows = jsonl_rows(slurp(box.dir / "v.jsonl"));
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0]["result"] == "fail");
  bool tensor_failed = false;
  for (const auto& c : rows[0]["checks"])
    if (c["name"] == "upper:tensor_rank_upper") tensor_failed = c["status"] == "fail";
  BOOST_TEST(tensor_failed);
  // The certificate is a file of exact decimals; its exact gain lies between the planted and the true bound.
  const std::string cert = rows[0]["certificate"];
  BOOST_REQUIRE(fs::exists(box.dir / cert) || fs::exists(cert));
  const Matrix<Rational> W = read_matrix_csv(fs::exists(cert) ? cert : (box.dir / cert).string());
  BOOST_REQUIRE_EQUAL(W.rows(), 2);
  BOOST_REQUIRE_EQUAL(W.cols(), 3);
  const Rational p(1, 10000);
  const Rational g = evaluate(W, 3, Law::parse("rademacher"), p).gain;
  BOOST_TEST(g > Rational(3, 4) * p);
  BOOST_TEST(g <= 3 * p);
  BOOST_TEST(g >= 2 * p);  // at least the unsuperposed optimum
}

BOOST_AUTO_TEST_CASE(resume_gives_the_same_file) {
  Sandbox box;
  const std::string grid = "verify --d 2,3 --n 4 --m 3 --law rademacher,gaussian --p 1e-4,1e-2 --quiet";
  Run full = box.run(grid + " --jobs 2 --out full.jsonl");
  BOOST_TEST_INFO("stderr: " << full.err);
  BOOST_REQUIRE(full.code == 0);
  const std::string reference = slurp(box.dir / "full.jsonl");
  BOOST_REQUIRE_EQUAL(count_lines(box.dir / "full.jsonl"), 9u);  // header + 8 rows

  // (a) chunked: stop after 3 new points, then resume.
  Run a1 = box.run(grid + " --out a.jsonl --stop-after 3");
  BOOST_TEST(a1.code == 0);
  BOOST_TEST(last_line(a1.out) == "3 passed, 0 failed");
  BOOST_TEST(count_lines(box.dir / "a.jsonl") == 4u);
  Run a2 = box.run(grid + " --out a.jsonl --resume");
  BOOST_TEST(a2.code == 0);
  BOOST_TEST(last_line(a2.out) == "8 passed, 0 failed");
  BOOST_TEST(slurp(box.dir / "a.jsonl") == reference);

  // (b) a torn last line (a kill in the middle of a write) is dropped and recomputed.
  const size_t cut = reference.find('\n', reference.find('\n', reference.find('\n') + 1) + 1);  // after 2 rows
  std::ofstream(box.dir / "b.jsonl", std::ios::binary) << reference.substr(0, cut + 1 + 40);
  Run b = box.run(grid + " --out b.jsonl --resume");
  BOOST_TEST(b.code == 0);
  BOOST_TEST(slurp(box.dir / "b.jsonl") == reference);

  // (c) no silent overwrite, and no resume under a different configuration.
  Run c1 = box.run(grid + " --out full.jsonl");
  BOOST_TEST(c1.code == 2);
  BOOST_TEST(c1.err.find("--resume") != std::string::npos);
  Run c2 = box.run("verify --d 2,3 --n 4 --m 3 --law rademacher,gaussian --p 1e-4,1e-2 --quiet --seed 7 "
                   "--out full.jsonl --resume");
  BOOST_TEST(c2.code == 2);
  BOOST_TEST(slurp(box.dir / "full.jsonl") == reference);
}

BOOST_AUTO_TEST_CASE(resume_after_sigkill_gives_the_same_file) {
  Sandbox box;
  // Heavier points (d = 4, n = 20, m = 5: seconds each) so that the kill lands mid-run.
  const std::string grid = "verify --d 4 --n 20 --m 5 --law gaussian --p 1e-5,1e-3,1e-1 --starts 4 --quiet";
  Run full = box.run(grid + " --jobs 2 --out full.jsonl");
  BOOST_REQUIRE(full.code == 0);
  const std::string reference = slurp(box.dir / "full.jsonl");

  std::fflush(stdout);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::chdir(box.dir.c_str()) != 0) ::_exit(127);
    std::freopen("/dev/null", "w", stdout);
    ::execl(SUPERPOSE_CLI, SUPERPOSE_CLI, "verify", "--d", "4", "--n", "20", "--m", "5", "--law", "gaussian", "--p",
            "1e-5,1e-3,1e-1", "--starts", "4", "--quiet", "--jobs", "1", "--out", "k.jsonl", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill as soon as the first row is on disk (header + 1 row).
  const auto t0 = std::chrono::steady_clock::now();
  while (count_lines(box.dir / "k.jsonl") < 2 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const size_t lines_at_kill = count_lines(box.dir / "k.jsonl");
  BOOST_TEST_MESSAGE("killed with " << lines_at_kill << " lines on disk");
  BOOST_TEST(lines_at_kill < 4u);  // really interrupted
  Run r = box.run(grid + " --jobs 1 --out k.jsonl --resume");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(slurp(box.dir / "k.jsonl") == reference);
}

// ---------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_CASE(adam_on_the_exact_gain_reaches_the_optimum_for_n_le_d) {
  // n <= d with rademacher inputs: sup gain = p*n*mu_2 (= zero_loss = tensor_rank_upper; unsuperposed attains it).
  for (int n : {2, 3}) {
    TrainConfig tc;
    tc.d = 3;
    tc.n = n;
    tc.m = 3;
    tc.law = "rademacher";
    tc.p = Rational(1, 1000);
    tc.steps = 3000;
    tc.lr = 0.01;
    tc.optimizer = TrainOptimizer::adam;
    TrainResult t = train_gain(tc);
    const double opt = 1e-3 * n;
    BOOST_TEST_INFO("n = " << n << ": trained gain/optimum = " << t.gain / opt);
    BOOST_TEST(t.gain >= (1 - 1e-3) * opt);
    BOOST_TEST(t.gain <= opt * (1 + 1e-12));
  }
}

BOOST_AUTO_TEST_CASE(train_rejects_bad_input) {
  TrainConfig tc;
  BOOST_CHECK_THROW(parse_train_optimizer("rmsprop"), InputError);
  tc.optimizer = parse_train_optimizer("sgd");
  tc.lr = -1;
  BOOST_CHECK_THROW(train_gain(tc), InputError);
}

BOOST_AUTO_TEST_CASE(sweep_small_run_respects_bounds_and_slopes) {
  Sandbox box;
  SweepConfig cfg;
  cfg.d = 3;
  cfg.n = 40;
  cfg.m = 3;
  cfg.law = "gaussian";
  cfg.points = 6;
  cfg.p_min_factor = 0.01;
  cfg.max_evals = 200;
  cfg.check_points = 0;  // the self-check is tested in test_sweep.cpp
  cfg.out_dir = box.path("sweep");
  SweepResult r = run_sweep(cfg);
  BOOST_REQUIRE_EQUAL(r.points.size(), 6u);
  // Independent constants: c_mu = 9/15, F*(3,3) = 3*5*7/15 = 7, C(3+2,3) = 10, so tensor_rank_upper = 10p.
  const double pmin = 0.01 / 27;
  BOOST_TEST(std::abs(r.points.front().p_value / pmin - 1) < 1e-11);
  BOOST_TEST(r.points.back().p_value == 1.0);
  for (const auto& pt : r.points) {
    BOOST_TEST(pt.gain <= 10 * pt.p_value * (1 + 1e-12));                   // proved upper bound
    BOOST_TEST(pt.gain >= 3 * 0.6 * pt.p_value * (1 - 1e-12));              // unsuperposed lower bound
    BOOST_TEST(std::abs(pt.first_order_limit / (0.6 * 7 * pt.p_value) - 1) < 1e-12);
  }
  // At p = d^-m/100 the gain is within a few per cent of c_mu*F*p (n = 40 >= C(8,6) = 28 allows a design).
  BOOST_TEST(r.points.front().gain / r.points.front().first_order_limit > 0.97);
  BOOST_TEST(std::abs(r.points.front().slope - 1) < 0.05);  // slope 1 in the very sparse regime
  const std::string csv = slurp(r.csv_path);
  BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') == 7);
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    std::vector<std::string> files = plot_sweep(r, cfg);
    BOOST_REQUIRE_EQUAL(files.size(), 2u);
    for (const auto& f : files) BOOST_TEST(fs::file_size(f) > 1000u);
  }
}

