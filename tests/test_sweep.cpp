// `superpose sweep` (verify/sweep.cpp): it finds the optimum (not the unsuperposed saddle), refuses d = 1, removes
// stale figures, and its checkpoint resumes to the file of an uninterrupted run and refuses foreign or edited
// checkpoints. Reference gains come from optimize_weights run here, independently of the sweep's own self-check.
#define BOOST_TEST_MODULE sweep
#include <boost/test/unit_test.hpp>

#include "tests/cli_sandbox.hpp"
#include "verify/verify.hpp"

#include <filesystem>
#include <fstream>
#include <regex>

using namespace superpose;
namespace fs = std::filesystem;

namespace {

using test::Run;
using test::slurp;

struct Sandbox : test::Sandbox {
  Sandbox() : test::Sandbox("superpose_sweep_") {}
};

/// The F34 setting: d = 3, n = 10, m = 3, Gaussian inputs, 4 points, no self-check (the test does its own).
SweepConfig small(const Sandbox& box, const std::string& dir) {
  SweepConfig cfg;
  cfg.d = 3;
  cfg.n = 10;
  cfg.m = 3;
  cfg.law = "gaussian";
  cfg.points = 4;
  cfg.check_points = 0;
  cfg.out_dir = box.path(dir);
  return cfg;
}

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

BOOST_AUTO_TEST_CASE(sweep_leaves_the_unsuperposed_saddle) {
  // F34: the sweep used to stay at the unsuperposed W (gain/p = 3·c_μ = 1.8) at every p, while optimize finds
  // 4.1467 at p = d^-3/100. Every point must now be within 1e-6 of a 32-start optimize_weights at the same p.
  Sandbox box;
  const SweepConfig cfg = small(box, "s");
  const SweepResult r = run_sweep(cfg);
  BOOST_REQUIRE_EQUAL(r.points.size(), 4u);
  const Setting s(3, 10, 3, Law::parse("gaussian"));
  for (const SweepPoint& pt : r.points) {
    OptimizeOptions o;
    o.polish = false;
    const double opt = optimize_weights(s, parse_rational(pt.p, "p"), o).gain_double;
    BOOST_TEST_INFO("p = " << pt.p << ": sweep " << pt.gain << ", optimize " << opt);
    BOOST_TEST(pt.gain >= opt * (1 - 1e-6));
  }
  BOOST_TEST(r.points.front().gain / r.points.front().p_value > 4.14);  // unsuperposed: 1.8
  BOOST_TEST(r.points.front().represented == 10);
}

BOOST_AUTO_TEST_CASE(self_check_records_optimize_gain_and_flags_a_weak_sweep) {
  Sandbox box;
  SweepConfig cfg = small(box, "s");
  cfg.points = 3;
  cfg.check_points = 2;  // the first and the last point
  const SweepResult r = run_sweep(cfg);
  BOOST_TEST(r.points[0].optimize_gain > 0);
  BOOST_TEST(r.points[1].optimize_gain == 0);
  BOOST_TEST(r.points[2].optimize_gain > 0);
  BOOST_TEST(r.check_failures.empty());
  const std::string csv = slurp(r.csv_path);
  BOOST_TEST(csv.find(",optimize_gain\n") != std::string::npos);
  std::vector<std::string> lines;
  for (size_t a = 0, b; (b = csv.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(csv.substr(a, b - a));
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(lines[2].back() == ',');  // the unchecked middle point: optimize_gain empty
  BOOST_TEST(lines[3].back() != ',');

  // A crippled sweep (one structured start, no random one, 1 evaluation: it stays at its start) is caught:
  // optimize finds gain/p = 4.1467 there.
  SweepConfig weak = small(box, "weak");
  weak.points = 2;
  weak.structured_starts = 1;
  weak.random_starts = 0;
  weak.max_evals = 1;
  weak.check_points = 1;
  const SweepResult w = run_sweep(weak);
  BOOST_REQUIRE_EQUAL(w.check_failures.size(), 1u);
  BOOST_TEST(w.check_failures[0] == 0);
  BOOST_TEST(w.points[0].optimize_gain > w.points[0].gain * (1 + 1e-6));
}

BOOST_AUTO_TEST_CASE(d_1_is_refused_before_any_work) {
  // F35: d = 1 gave log_d p = -inf and NaN slopes.
  Sandbox box;
  SweepConfig cfg = small(box, "s1");
  cfg.d = 1;
  cfg.n = 1;
  BOOST_CHECK_THROW(run_sweep(cfg), InputError);
  BOOST_TEST(!fs::exists(cfg.out_dir));
  const Run r = box.run("sweep --d 1 --n 1 --out s2 --quiet");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(count_lines(r.err) == 1u);
  BOOST_TEST(r.err.find("--d") != std::string::npos);
  BOOST_TEST(r.err.find("d >= 2") != std::string::npos);
  BOOST_TEST(!fs::exists(box.dir / "s2"));
}

BOOST_AUTO_TEST_CASE(stale_figures_are_removed) {
  // F36: `sweep --no-plot` into a folder with an earlier sweep kept the old sweep.png/svg beside the new CSV.
  Sandbox box;
  fs::create_directories(box.dir / "s");
  for (const char* f : {"s/sweep.png", "s/sweep.svg", "s/sweep.csv", "s/sweep.gp"}) box.write(f, "old\n");
  Run r = box.run("sweep --d 3 --n 10 --points 3 --check-points 0 --no-plot --quiet --out s");
  BOOST_TEST(r.code == 2);  // an earlier sweep is not overwritten silently
  BOOST_TEST(r.err.find("--force") != std::string::npos);
  BOOST_TEST(slurp(box.dir / "s/sweep.csv") == "old\n");
  r = box.run("sweep --d 3 --n 10 --points 3 --check-points 0 --no-plot --quiet --force --out s");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(!fs::exists(box.dir / "s/sweep.png"));
  BOOST_TEST(!fs::exists(box.dir / "s/sweep.svg"));
  BOOST_TEST(!fs::exists(box.dir / "s/sweep.gp"));
  BOOST_TEST(count_lines(slurp(box.dir / "s/sweep.csv")) == 4u);
}

BOOST_AUTO_TEST_CASE(resume_gives_the_file_of_an_uninterrupted_run) {
  Sandbox box;
  SweepConfig whole = small(box, "whole");
  whole.points = 5;
  whole.check_points = 2;
  const SweepResult a = run_sweep(whole);
  BOOST_REQUIRE(a.complete);

  SweepConfig part = whole;
  part.out_dir = box.path("part");
  part.stop_after = 2;
  SweepResult b = run_sweep(part);
  BOOST_TEST(!b.complete);
  BOOST_TEST(b.points.size() == 2u);
  BOOST_TEST(count_lines(slurp(b.csv_path)) == 3u);
  part.resume = true;
  part.stop_after = 1;
  b = run_sweep(part);
  BOOST_TEST(b.resumed == 2);
  BOOST_TEST(b.points.size() == 3u);
  part.stop_after = 0;
  b = run_sweep(part);
  BOOST_TEST(b.resumed == 3);
  BOOST_TEST(b.complete);
  BOOST_TEST(slurp(b.csv_path) == slurp(a.csv_path));
  BOOST_TEST(slurp(box.dir / "part/sweep.checkpoint.json") == slurp(box.dir / "whole/sweep.checkpoint.json"));
  // The same through the CLI: interrupt after 2 points, resume, compare with the library's uninterrupted file.
  Run r = box.run("sweep --d 3 --n 10 --points 5 --check-points 2 --quiet --no-plot --out cli --stop-after 2");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err.find("rerun with --resume") != std::string::npos);
  r = box.run("sweep --d 3 --n 10 --points 5 --check-points 2 --quiet --no-plot --out cli --resume");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.out.find("(2 resumed)") != std::string::npos);
  BOOST_TEST(slurp(box.dir / "cli/sweep.csv") == slurp(a.csv_path));
}

BOOST_AUTO_TEST_CASE(foreign_or_edited_checkpoints_are_refused) {
  Sandbox box;
  SweepConfig cfg = small(box, "s");
  cfg.points = 4;
  cfg.stop_after = 2;
  (void)run_sweep(cfg);
  const fs::path ckpt = box.dir / "s/sweep.checkpoint.json";
  const std::string good = slurp(ckpt);
  const std::string csv = slurp(box.dir / "s/sweep.csv");
  const std::string args = "sweep --d 3 --n 10 --points 4 --check-points 0 --quiet --no-plot --out s --resume";

  // Another configuration (seed 2): refused, nothing changed.
  Run r = box.run(args + " --seed 2");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(count_lines(r.err) == 1u);
  BOOST_TEST(r.err.find("different sweep configuration") != std::string::npos);
  BOOST_TEST(slurp(ckpt) == good);
  BOOST_TEST(slurp(box.dir / "s/sweep.csv") == csv);

  // One digit of a stored gain changed: its CRC-32 fails.
  const std::regex gain_re("(\"gain\": )([0-9.e-]+)");
  std::smatch mt;
  BOOST_REQUIRE(std::regex_search(good, mt, gain_re));
  std::string bad = good;
  const size_t at = static_cast<size_t>(mt.position(2)) + 3;
  bad[at] = bad[at] == '7' ? '8' : '7';
  box.write("s/sweep.checkpoint.json", bad);
  r = box.run(args);
  BOOST_TEST(r.code == 2);
  BOOST_TEST(count_lines(r.err) == 1u);
  BOOST_TEST(r.err.find("point 1 fails its CRC-32") != std::string::npos);
  BOOST_TEST(slurp(box.dir / "s/sweep.csv") == csv);

  // Another program version: refused.
  std::string other = good;
  const std::string producer = "\"producer\": \"" + version_string() + "\"";
  BOOST_REQUIRE(other.find(producer) != std::string::npos);
  other.replace(other.find(producer), producer.size(), "\"producer\": \"superpose 0.0.0\"");
  box.write("s/sweep.checkpoint.json", other);
  r = box.run(args);
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.err.find("superpose 0.0.0") != std::string::npos);

  // Nothing to resume.
  r = box.run("sweep --d 3 --n 10 --points 4 --check-points 0 --quiet --no-plot --out empty --resume");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.err.find("no sweep checkpoint") != std::string::npos);

  // The intact checkpoint resumes.
  box.write("s/sweep.checkpoint.json", good);
  r = box.run(args);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(count_lines(slurp(box.dir / "s/sweep.csv")) == 5u);
}
