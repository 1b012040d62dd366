// Every input of the power-model commands (loss, bounds, optimize, first-order, verify, sweep, train, report) is
// validated before any work or any file: each case reproduces a failure class a new user hit (hostile inputs F2,
// F10-F19, F42-F45, F47) and checks the fix: exit code 2, one line naming the problem and the accepted values,
// nothing on stdout, no file or folder left. Also: a failed write to stdout is an error, and `optimize` prints only
// the digits its error estimate vouches for, each of them correct against exact rationals.
#define BOOST_TEST_MODULE validation
#include <boost/test/unit_test.hpp>

#include "search/search.hpp"
#include "tests/cli_sandbox.hpp"
#include "tests/test_support.hpp"
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

using namespace superpose;
namespace fs = std::filesystem;

namespace {

using test::Run;

struct Sandbox : test::Sandbox {
  Sandbox() : test::Sandbox("superpose_validation_") { write("W.csv", "1,0,0.5,-1/2,0.25\n0,1,0.5,1/2,-0.75\n"); }
};

/// `superpose args` exits 2 with one line on stderr holding every fragment, nothing on stdout, and leaves none of
/// `must_not_exist` (files or folders) behind.
void expect_refused(const Sandbox& box, const std::string& args, std::initializer_list<std::string> fragments,
                    std::initializer_list<std::string> must_not_exist = {}) {
  const Run r = box.run(args);
  BOOST_TEST_INFO("superpose " << args << " -> rc " << r.code << ", stderr: " << r.err);
  BOOST_TEST(r.code == 2);
  for (const std::string& f : fragments) BOOST_TEST(r.err.find(f) != std::string::npos, "fragment '" << f << "'");
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  BOOST_TEST(r.err.find("internal error") == std::string::npos);
  BOOST_TEST(r.out.empty());
  for (const std::string& f : must_not_exist) BOOST_TEST(!fs::exists(box.dir / f), f << " was left behind");
}

}  // namespace

// F2, F3, F37: sizes beyond any machine's memory are refused up front with the figure needed, never
// std::bad_alloc, and no output folder is created.
BOOST_AUTO_TEST_CASE(sizes_are_checked_against_memory_before_any_work) {
  Sandbox box;
  const std::initializer_list<std::string> figure = {"GB of memory", "this machine has", "d*n = "};
  expect_refused(box, "bounds --d 1e6 --n 1e6 --p 0.1 --out B.md", figure, {"B.md"});
  expect_refused(box, "bounds --d 2147483647 --n 2147483647 --p 0.1", figure);
  expect_refused(box, "bounds --d 10 --n 1e8 --p 0.1", {"GB of memory", "--no-constructions"});
  expect_refused(box, "optimize --d 1e6 --n 1e6 --out W1.csv", figure, {"W1.csv"});
  expect_refused(box, "optimize --d 10 --n 1e7", {"--d, --n", "GB of memory"});  // the n x n Gram matrix
  expect_refused(box, "first-order --d 1e6 --n 1e6", figure);
  expect_refused(box, "sweep --d 1e6 --n 1e6 --out big --quiet", figure, {"big"});
  expect_refused(box, "train --d 1e6 --n 1e6 --quiet", figure);
  expect_refused(box, "report --n 1e8 --no-sweep --out rep", {"--n", "GB of memory"}, {"rep"});
  expect_refused(box, "report --sweep-n 1e8 --out rep", {"--sweep-n", "GB of memory"}, {"rep"});
}

// The estimates grow with the scalar type: an MPFR-50 entry costs several doubles, an exact one more.
BOOST_AUTO_TEST_CASE(memory_estimates_follow_the_scalar_type) {
  const double dbl = evaluation_memory_bytes(10, 1e5, 3, 16, true);
  const double r50 = evaluation_memory_bytes(10, 1e5, 3, 50, true);
  BOOST_TEST(scalar_bytes(16) == 8.0);
  BOOST_TEST(scalar_bytes(50) >= 5 * scalar_bytes(16));
  BOOST_TEST(scalar_bytes(100) > scalar_bytes(50));
  BOOST_TEST(r50 > 5 * dbl);
  // The pass-1 staging alone is n^2*m/(2*128) scalars: 1.17e8 doubles at n = 1e5, m = 3.
  BOOST_TEST(dbl > 8.0 * 1e10 * 3 / 256);
  BOOST_TEST(optimize_memory_bytes(10, 100000, 3, 32) > 8e10);  // geometry's n x n Gram matrix
}

// F10, F11, F12: a byte-order mark is accepted, binary bytes are shown escaped, a folder is named as one.
BOOST_AUTO_TEST_CASE(weight_files_bom_binary_and_folders) {
  Sandbox box;
  box.write("bom.csv", "\xEF\xBB\xBF" "1,0,0.5,-1/2,0.25\n0,1,0.5,1/2,-0.75\n");
  const Run plain = box.run("loss --weights W.csv --m 3 --p 0.01 --format json");
  const Run bom = box.run("loss --weights bom.csv --m 3 --p 0.01 --format json");
  BOOST_REQUIRE(plain.code == 0);
  BOOST_TEST(bom.code == 0, bom.err);
  BOOST_TEST(bom.out == plain.out);

  box.write("bin.csv", std::string("\x89PNG\r\n\x1a\n\x00\x01\xff\xfe", 12) + "\x07junk");
  expect_refused(box, "loss --weights bin.csv --m 3 --p 0.01 --grad G.csv", {"\\x89PNG", "is not a number"}, {"G.csv"});
  const Run bin = box.run("loss --weights bin.csv --m 3 --p 0.01");
  BOOST_TEST(std::none_of(bin.err.begin(), bin.err.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n') || u >= 0x7f;
  }));  // no raw byte reaches the terminal

  fs::create_directory(box.dir / "Wdir");
  fs::create_directory(box.dir / "Wdir.npy");
  expect_refused(box, "loss --weights Wdir --m 3 --p 0.01", {"'Wdir' is a directory"});
  expect_refused(box, "loss --weights Wdir.npy --m 3 --p 0.01", {"'Wdir.npy' is a directory"});
}

// F14: a failed write to standard output is an error with a nonzero exit code, not rc 0.
BOOST_AUTO_TEST_CASE(a_full_stdout_is_a_write_error) {
  if (!fs::exists("/dev/full")) return;
  Sandbox box;
  for (const std::string args : {"bounds --d 3 --n 10 --p 0.1", "loss --weights W.csv --m 3 --p 0.01"}) {
    const std::string cmd =
        "cd '" + box.dir.string() + "' && '" SUPERPOSE_CLI "' " + args + " > /dev/full 2> err.txt";
    const int status = std::system(cmd.c_str());
    const std::string err = test::slurp(box.dir / "err.txt");
    BOOST_TEST_INFO(args << " -> " << err);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 2);
    BOOST_TEST(err.find("cannot write to standard output") != std::string::npos);
  }
}

// F15, F43, F44: optimize and first-order check --out, --max-evals and --min-n before the optimisation (with a
// million starts it would run for hours, so a late check would time the test out).
BOOST_AUTO_TEST_CASE(optimize_and_first_order_check_everything_first) {
  Sandbox box;
  fs::create_directory(box.dir / "Odir");
  const std::string slow = " --starts 1000000 --quiet";
  expect_refused(box, "optimize --d 3 --n 12 --out Odir" + slow, {"--out", "is a directory"});
  expect_refused(box, "optimize --d 3 --n 12 --out missing/W.csv" + slow, {"--out", "does not exist"}, {"missing"});
  expect_refused(box, "first-order --d 3 --n 12 --out Odir" + slow, {"--out", "is a directory"});
  expect_refused(box, "first-order --d 3 --n 12 --out missing/V.csv" + slow, {"--out", "does not exist"});
  for (const std::string v : {"0", "-1"}) {
    expect_refused(box, "optimize --max-evals " + v + slow, {"--max-evals", "at least 1"});
    expect_refused(box, "first-order --max-evals " + v + slow, {"--max-evals", "at least 1"});
  }
  expect_refused(box, "first-order --min-n 0" + slow, {"--min-n", ">= 1"});
  expect_refused(box, "first-order --min-n -3" + slow, {"--min-n", ">= 1"});
  expect_refused(box, "optimize --starts 0", {"--starts", "1..1000000"});
  expect_refused(box, "optimize --law discrete:1e200:1" + slow, {"--law", "outside double's range"});
}

// F16, F17: verify validates every cell of the grid and --cert-dir before any row is computed or written.
BOOST_AUTO_TEST_CASE(verify_validates_the_whole_grid_first) {
  Sandbox box;
  box.write("afile", "x\n");
  // Before: the rademacher rows were computed, printed and checkpointed, then the second law failed in double.
  expect_refused(box, "verify --d 2 --n 8 --m 3 --law rademacher,discrete:1e200:1 --p 1e-3 --out v.jsonl --quiet",
                 {"grid point d = 2, n = 8, m = 3, law = discrete:1e200:1", "outside double's range"}, {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3 --law gaussian --p 1e-3,1e-400 --out v.jsonl --quiet",
                 {"--p", "underflows double"}, {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3 --starts 2000000 --out v.jsonl --quiet", {"--starts"}, {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3,23 --law rademacher --p 1e-3 --out v.jsonl --quiet", {"--m", "23"},
                 {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8,3000 --m 3 --law rademacher --p 1e-3 --out v.jsonl --quiet",
                 {"--n", "1..2000"}, {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3 --law rademacher,cauchy --p 1e-3 --out v.jsonl --quiet",
                 {"unknown law"}, {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3 --law rademacher --p 1e-3,2 --out v.jsonl --quiet", {"(0, 1]"},
                 {"v.jsonl"});
  expect_refused(box, "verify --d 2 --n 8 --m 3 --law rademacher --p 1e-3 --cert-dir afile --out v.jsonl --quiet",
                 {"--cert-dir", "'afile' exists and is not a folder"}, {"v.jsonl"});
}

// F18, F19 and every former CLI11 range check: readable messages naming the flag typed, no 300-digit number.
BOOST_AUTO_TEST_CASE(report_names_the_flag_typed) {
  Sandbox box;
  expect_refused(box, "report --sweep-n 0 --out rep", {"--sweep-n", ">= 1"}, {"rep"});
  expect_refused(box, "report --n 0 --out rep", {"--n:", ">= 1"}, {"rep"});
  expect_refused(box, "report --n -5 --out rep", {"--n:", ">= 1"}, {"rep"});
  expect_refused(box, "report --points 1 --out rep", {"--points", "2..200"}, {"rep"});
  expect_refused(box, "report --sweep-points 500 --out rep", {"--sweep-points", "2..200"}, {"rep"});
  for (const std::string args : {"report --n 0 --out rep", "report --points 0 --out rep"}) {
    const Run r = box.run(args);
    BOOST_TEST(r.err.size() < 200u, r.err);
    BOOST_TEST(r.err.find("1797") == std::string::npos);
  }
}

// F42: an initial scale that would overflow is refused under its own flag, not blamed on --lr.
BOOST_AUTO_TEST_CASE(train_names_init_scale) {
  Sandbox box;
  expect_refused(box, "train --init-scale 1e300 --quiet", {"--init-scale", "(0, 1000]"});
  expect_refused(box, "train --init-scale 0 --quiet", {"--init-scale"});
  expect_refused(box, "train --init-scale nan --quiet", {"--init-scale"});
  expect_refused(box, "train --ref-starts 0 --quiet", {"--ref-starts"});
}

// F45: seeds out of range are refused, with the accepted range, in every power-model command.
BOOST_AUTO_TEST_CASE(seeds_out_of_range_are_refused) {
  Sandbox box;
  for (const std::string cmd : {"bounds --d 3 --n 10 --p 0.1", "optimize", "first-order", "verify", "sweep --quiet",
                                "train --quiet", "report --out rep"})
    for (const std::string seed : {"-1", "18446744073709551616", "1e23", "0.5"})
      expect_refused(box, cmd + " --seed " + seed, {"--seed", "0..18446744073709551615"}, {"rep", "out"});
  const Run ok = box.run("bounds --d 3 --n 10 --p 0.1 --seed 18446744073709551615 --format csv");
  BOOST_TEST(ok.code == 0, ok.err);
  const Run sci = box.run("bounds --d 3 --n 10 --p 0.1 --seed 1e0 --format csv");
  const Run one = box.run("bounds --d 3 --n 10 --p 0.1 --seed 1 --format csv");
  BOOST_TEST(sci.code == 0);
  BOOST_TEST(sci.out == one.out);  // 1e0 is read as the integer 1
}

// F47: an empty value is called empty, in every command, for numbers and lists alike.
BOOST_AUTO_TEST_CASE(empty_values_are_called_empty) {
  Sandbox box;
  expect_refused(box, "loss --weights W.csv --m '' --p 0.1", {"--m", "empty value"});
  expect_refused(box, "loss --weights W.csv --m 3 --p ''", {"--p", "empty value"});
  expect_refused(box, "bounds --m '' --p 0.1", {"--m", "empty value"});
  expect_refused(box, "bounds --d '' --p 0.1", {"--d", "empty value"});
  expect_refused(box, "verify --m '' --quiet", {"--m", "empty value"});
  expect_refused(box, "verify --m 3,,5 --quiet", {"--m", "empty value"});
  expect_refused(box, "optimize --n ''", {"--n", "empty value"});
  expect_refused(box, "train --lr '' --quiet", {"--lr", "empty value"});
  expect_refused(box, "sweep --p-min-factor '' --quiet", {"--p-min-factor", "empty value"});
}

// optimize prints the MPFR-50 gain with the digits the engine's error estimate vouches for (as loss does), in text
// and JSON, and each printed digit is correct: the weights it wrote, evaluated in exact rationals, agree.
BOOST_AUTO_TEST_CASE(optimize_prints_only_vouched_digits) {
  Sandbox box;
  const Run r = box.run("optimize --d 2 --n 3 --m 3 --law rademacher --p 1/1000 --starts 4 --out W50.csv "
                        "--format json --quiet");
  BOOST_REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const int dg = j["correct_digits"]["gain"].get<int>(), dl = j["correct_digits"]["loss"].get<int>();
  BOOST_TEST(dg >= 30);
  BOOST_TEST(dg < 50);  // the estimate never vouches for the last digits of the type
  BOOST_TEST(dl >= 30);
  auto significant = [](std::string s) {
    s = s.substr(0, s.find_first_of("eE"));
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == '.'; }), s.end());
    return static_cast<int>(s.size() - std::min(s.size(), s.find_first_not_of('0')));
  };
  BOOST_TEST(significant(j["gain"].get<std::string>()) <= dg);
  BOOST_TEST(significant(j["loss"].get<std::string>()) <= dl);
  const Matrix<Rational> W = read_matrix_csv(box.path("W50.csv"));
  const Evaluation<Rational> exact = evaluate(W, 3, Law::parse("rademacher"), Rational(1, 1000));
  BOOST_TEST(test::rel_err(Real100(parse_rational(j["gain"].get<std::string>(), "gain")), exact.gain) <
             std::pow(10.0, 1 - dg));
  BOOST_TEST(test::rel_err(Real100(parse_rational(j["loss"].get<std::string>(), "loss")), exact.loss) <
             std::pow(10.0, 1 - dl));
  const Run t = box.run("optimize --d 2 --n 3 --m 3 --law rademacher --p 1/1000 --starts 4 --quiet");
  BOOST_TEST(t.out.find("gain        " + j["gain"].get<std::string>() + "   (MPFR-50; " + std::to_string(dg) +
                        " correct digits") != std::string::npos,
             t.out);
}
