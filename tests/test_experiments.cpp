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
#include <fcntl.h>
#include <sys/file.h>
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
  BOOST_TEST(last_line(r.err) == "8 passed, 0 failed");  // csv: the summary goes to stderr
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
  BOOST_TEST(last_line(r.err) == "0 passed, 1 failed");  // json: the summary goes to stderr
  const nlohmann::json out = nlohmann::json::parse(r.out);
  BOOST_TEST(out.size() == 1u);
  // One loud line on stderr and one `violations` entry in the JSON per failed upper check.
  std::size_t loud = 0, failed = 0;
  for (std::size_t at = r.err.find("verify: VIOLATION: "); at != std::string::npos; at = r.err.find("verify: VIOLATION: ", at + 1))
    ++loud;
  for (const auto& c : out[0]["checks"]) failed += c["name"].get<std::string>().rfind("upper:", 0) == 0 && c["status"] == "fail";
  BOOST_TEST(failed >= 1u);
  BOOST_TEST(loud == failed);
  BOOST_TEST(out[0]["violations"].size() == failed);
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
  BOOST_TEST(c2.err.find("another verify configuration (--seed 1 in the file, 7 in this run)") != std::string::npos,
             c2.err);
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
  // A second process on the same file while the first runs is refused (the first holds its lock).
  Run second = box.run(grid + " --jobs 1 --out k.jsonl --resume");
  BOOST_TEST(second.code == 2);
  BOOST_TEST(second.err.find("'k.jsonl' is in use") != std::string::npos, second.err);
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
// Trusting the checkpoint: parseable stdout, the lock, row checksums, damaged files, --out DIR, versions.
// ---------------------------------------------------------------------------------------------------------
namespace {

// Three cells of a fraction of a second each.
const std::string kTinyGrid = "--d 2 --n 3 --m 3 --law rademacher --p 1e-4,1e-2,1/3 --starts 2";
const std::string kTiny = "verify " + kTinyGrid + " --quiet";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not found");
  return s.replace(at, from.size(), to);
}

void write_binary(const fs::path& f, const std::string& bytes) { std::ofstream(f, std::ios::binary) << bytes; }

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Runs a shell command in the sandbox folder (for scripts); returns the exit code.
int shell(const Sandbox& box, const std::string& cmd) {
  const int status = std::system(("cd '" + box.dir.string() + "' && " + cmd).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verify_json_and_csv_stdout_parse_and_the_summary_goes_to_stderr) {
  Sandbox box;
  Run j = box.run(kTiny + " --format json");
  BOOST_TEST_INFO("stderr: " << j.err);
  BOOST_TEST(j.code == 0);
  BOOST_TEST(nlohmann::json::parse(j.out).size() == 3u);  // throws on a trailing summary line
  BOOST_TEST(last_line(j.err) == "3 passed, 0 failed");

  Run c = box.run(kTiny + " --format csv");
  BOOST_TEST(c.code == 0);
  BOOST_TEST(last_line(c.err) == "3 passed, 0 failed");
  std::vector<std::vector<std::string>> table;
  for (const auto& line : lines_of(c.out)) table.push_back(split(line, ','));
  BOOST_REQUIRE_EQUAL(table.size(), 4u);  // header + 3 rows, no summary row
  BOOST_TEST(table[0][4] == "law");
  BOOST_TEST(table[0][5] == "p");
  BOOST_TEST(table[0][6] == "p_exact");
  for (size_t i = 1; i < table.size(); ++i) {
    BOOST_TEST(table[i].size() == table[0].size());
    BOOST_TEST(table[i][4] == "rademacher");  // not quoted
  }
  BOOST_TEST(std::stod(table[1][5]) == 1e-4);
  BOOST_TEST(table[3][5] == "0.33333333333333333");  // 1/3 to 17 digits
  BOOST_TEST(table[3][6] == "1/3");

  Run m = box.run(kTiny);  // md: the summary still ends stdout, after the table
  BOOST_TEST(m.code == 0);
  BOOST_TEST(last_line(m.out) == "3 passed, 0 failed");
}

BOOST_AUTO_TEST_CASE(verify_and_merge_refuse_a_checkpoint_locked_by_another_process) {
  Sandbox box;
  Run a = box.run(kTiny + " --out v.jsonl --stop-after 1");
  BOOST_REQUIRE(a.code == 0);
  const std::string before = slurp(box.dir / "v.jsonl");
  // This test process takes the lock a running verify holds.
  const int fd = ::open(box.path("v.jsonl").c_str(), O_RDONLY);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  for (const std::string extra : {" --resume", ""}) {
    Run b = box.run(kTiny + " --out v.jsonl" + extra);
    BOOST_TEST(b.code == 2);
    BOOST_TEST(has(b.err, "--out: 'v.jsonl' is in use: another superpose verify is writing it"), b.err);
    BOOST_TEST(slurp(box.dir / "v.jsonl") == before);
  }
  Run m = box.run("merge --out all.jsonl v.jsonl");
  BOOST_TEST(m.code == 2);
  BOOST_TEST(has(m.err, "merge: 'v.jsonl' is in use"), m.err);
  BOOST_TEST(!fs::exists(box.dir / "all.jsonl"));
  ::close(fd);
  Run c = box.run(kTiny + " --out v.jsonl --resume");
  BOOST_TEST(c.code == 0, c.err);
  BOOST_TEST(count_lines(box.dir / "v.jsonl") == 4u);
}

BOOST_AUTO_TEST_CASE(verify_resume_refuses_edited_and_damaged_checkpoints) {
  Sandbox box;
  Run a = box.run(kTiny + " --out ref.jsonl");
  BOOST_REQUIRE(a.code == 0);
  const std::string ref = slurp(box.dir / "ref.jsonl");
  const std::vector<std::string> lines = lines_of(ref);
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(has(lines[0], "\"version\":\"" + std::string(version()) + "\",\"precision\":\"MPFR-50\""));
  const size_t g = lines[2].find("\"gain\":\"") + 8;
  std::vector<std::string> gain_edit = lines, fake_fail = lines, no_crc = lines, blank = lines, dup = lines;
  gain_edit[2] = lines[2].substr(0, g) + "999" + lines[2].substr(lines[2].find('"', g));
  fake_fail[1] = replaced(lines[1], "\"result\":\"pass\"", "\"result\":\"fail\"");
  no_crc[3] = lines[3].substr(0, lines[3].rfind(",\"crc32\"")) + "}";
  blank.insert(blank.begin() + 2, "");
  dup[2] = lines[1];
  std::string crlf;
  for (const auto& l : lines) crlf += l + "\r\n";
  const std::string other_version = replaced(ref, "\"version\":\"" + std::string(version()), "\"version\":\"0.0.1");
  const std::string old_format = replaced(ref, "\"superpose_verify\":2", "\"superpose_verify\":1");
  const std::string edited_header = replaced(ref, "\"max_evals\":20000", "\"max_evals\":20001");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {join_lines(gain_edit), "line 3 fails its checksum: the row was edited or is corrupt; delete line 3 and the "
                              "lines after it to recompute them"},
      {join_lines(fake_fail), "line 2 fails its checksum"},
      {join_lines(no_crc), "line 4 has no row checksum"},
      {join_lines(blank), "line 3 is empty"},
      {join_lines(dup), "line 3 holds cell 0 where cell 1 belongs"},
      {crlf, "has CRLF line endings (from line 1)"},
      {"\xEF\xBB\xBF" + ref, "starts with a UTF-8 byte-order mark"},
      {ref.substr(ref.find('\n') + 1), "line 1 is not a verify header"},
      {ref.substr(0, 100) + std::string("\0\x01\xff", 3) + ref.substr(100), "holds binary data at byte 100 (0x00)"},
      {other_version, "was written by superpose 0.0.1; this is superpose " + std::string(version())},
      {old_format, "is a checkpoint of format 1"},
      {edited_header, "line 1: the verify header was edited"},
  };
  for (const auto& [text, message] : cases) {
    write_binary(box.dir / "t.jsonl", text);
    Run r = box.run(kTiny + " --out t.jsonl --resume");
    BOOST_TEST_INFO("expected: " << message);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(has(r.err, "--resume: 't.jsonl' " + message), r.err);
    BOOST_TEST(r.err.find('\n') == r.err.size() - 1);  // one line
    BOOST_TEST(slurp(box.dir / "t.jsonl") == text);     // untouched
  }
  // Only a torn last line (a kill during its write) is dropped silently, and recomputed.
  write_binary(box.dir / "t.jsonl", ref.substr(0, ref.size() - 30));
  Run torn = box.run(kTiny + " --out t.jsonl --resume");
  BOOST_TEST(torn.code == 0, torn.err);
  BOOST_TEST(slurp(box.dir / "t.jsonl") == ref);
}

BOOST_AUTO_TEST_CASE(verify_out_directory_is_named_as_such) {
  Sandbox box;
  fs::create_directory(box.dir / "certs");
  for (const std::string extra : {"", " --resume"}) {
    Run r = box.run(kTiny + " --out certs" + extra);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(has(r.err, "--out: 'certs' is a directory"), r.err);
    BOOST_TEST(fs::is_empty(box.dir / "certs"));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Job arrays: verify --shard K/N, merge, scripts/slurm/verify-array.sbatch
// ---------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_CASE(shards_merged_are_byte_identical_to_one_process) {
  Sandbox box;
  const std::string grid = "verify --d 2 --n 3,4 --m 3 --law rademacher --p 1e-4,1e-2,1/3 --starts 2 --quiet";
  Run one = box.run(grid + " --out one.jsonl");
  BOOST_REQUIRE(one.code == 0);
  const std::string ref = slurp(box.dir / "one.jsonl");
  const std::vector<std::string> ref_lines = lines_of(ref);
  BOOST_REQUIRE_EQUAL(ref_lines.size(), 7u);  // header + 6 cells
  // N = 4: shards of 2, 2, 1, 1 cells; shard 1 in two chunks (--stop-after, then --resume of a part file).
  for (int k = 0; k < 4; ++k) {
    const std::string part = " --shard " + std::to_string(k) + "/4 --out part-" + std::to_string(k) + ".jsonl";
    if (k == 1) BOOST_REQUIRE(box.run(grid + part + " --stop-after 1").code == 0);
    Run r = box.run(grid + part + (k == 1 ? " --resume" : "") + " --format csv");
    BOOST_REQUIRE_MESSAGE(r.code == 0, r.err);
    const std::vector<std::string> part_lines = lines_of(slurp(box.dir / ("part-" + std::to_string(k) + ".jsonl")));
    BOOST_TEST(has(part_lines[0], ",\"shard\":\"" + std::to_string(k) + "/4\"}"));
    BOOST_REQUIRE_EQUAL(part_lines.size(), k < 2 ? 3u : 2u);
    for (size_t i = 1; i < part_lines.size(); ++i)  // cell k + 4(i-1): the very line of the one-process file
      BOOST_TEST(part_lines[i] == ref_lines[static_cast<size_t>(k) + 4 * (i - 1) + 1]);
  }
  Run m = box.run("merge --out merged.jsonl part-0.jsonl part-1.jsonl part-2.jsonl part-3.jsonl");
  BOOST_TEST_INFO("stderr: " << m.err);
  BOOST_TEST(m.code == 0);
  BOOST_TEST(last_line(m.out) == "6 passed, 0 failed");
  BOOST_TEST(slurp(box.dir / "merged.jsonl") == ref);
  // The parts of N = 2 (computed with --jobs 2), given in any order, merge to the same file.
  for (int k = 0; k < 2; ++k)
    BOOST_REQUIRE(box.run(grid + " --jobs 2 --shard " + std::to_string(k) + "/2 --out half-" + std::to_string(k) +
                          ".jsonl").code == 0);
  Run m2 = box.run("merge --out merged2.jsonl half-1.jsonl half-0.jsonl --format json");
  BOOST_TEST(m2.code == 0, m2.err);
  BOOST_TEST(nlohmann::json::parse(m2.out).size() == 6u);
  BOOST_TEST(slurp(box.dir / "merged2.jsonl") == ref);
  // The merged file is a finished checkpoint: --resume accepts it and computes nothing.
  Run again = box.run(grid + " --out merged.jsonl --resume");
  BOOST_TEST(again.code == 0);
  BOOST_TEST(has(again.err, "6 rows resumed"));
  BOOST_TEST(slurp(box.dir / "merged.jsonl") == ref);
}

BOOST_AUTO_TEST_CASE(merge_refuses_mismatched_missing_duplicated_and_edited_parts) {
  Sandbox box;
  for (int k = 0; k < 3; ++k)
    BOOST_REQUIRE(box.run(kTiny + " --shard " + std::to_string(k) + "/3 --out part-" + std::to_string(k) + ".jsonl")
                      .code == 0);
  BOOST_REQUIRE(box.run(kTiny + " --seed 2 --shard 2/3 --out other.jsonl").code == 0);
  const std::string part1 = slurp(box.dir / "part-1.jsonl");
  write_binary(box.dir / "edited.jsonl", replaced(part1, "\"represented\":", "\"represented\":1"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"part-0.jsonl part-1.jsonl", "merge: cell 2 is in no part (the grid's cells are 0-2; run or resume --shard 2/3); "
                                    "nothing written"},
      {"part-0.jsonl part-1.jsonl part-2.jsonl part-1.jsonl",
       "merge: cell 1 is in more than one part (cell 1 in 'part-1.jsonl' and 'part-1.jsonl'"},
      {"part-0.jsonl part-1.jsonl other.jsonl",
       "merge: 'other.jsonl' was written by another verify configuration (--seed 2 in the file, 1 in "
       "'part-0.jsonl')"},
      {"part-0.jsonl edited.jsonl part-2.jsonl", "merge: 'edited.jsonl' line 2 fails its checksum"},
      {"part-0.jsonl part-1.jsonl missing.jsonl", "merge: cannot open 'missing.jsonl'"},
  };
  for (const auto& [parts, message] : cases) {
    Run r = box.run("merge --out all.jsonl " + parts);
    BOOST_TEST_INFO("parts: " << parts);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(has(r.err, message), r.err);
    BOOST_TEST(!fs::exists(box.dir / "all.jsonl"));
  }
  Run over = box.run("merge --out part-0.jsonl part-0.jsonl part-1.jsonl part-2.jsonl");
  BOOST_TEST(over.code == 2);
  BOOST_TEST(has(over.err, "--out: 'part-0.jsonl' exists"), over.err);
  Run bad = box.run(kTiny + " --shard 3/3 --out x.jsonl");
  BOOST_TEST(bad.code == 2);
  BOOST_TEST(has(bad.err, "--shard: 3/3 is not K/N with 0 <= K < N"), bad.err);
  BOOST_TEST(!fs::exists(box.dir / "x.jsonl"));
}

BOOST_AUTO_TEST_CASE(slurm_array_script_runs_every_shard_and_merges_to_the_one_process_file) {
  Sandbox box;
  Run one = box.run(kTiny + " --out one.jsonl");
  BOOST_REQUIRE(one.code == 0);
  const std::string script = SUPERPOSE_TEST_DATA "/../../scripts/slurm/verify-array.sbatch";
  const std::string env = "SUPERPOSE='" SUPERPOSE_CLI "' SHARDS=3 OUT=merged.jsonl VERIFY_ARGS='" + kTinyGrid + "' ";
  for (int k = 0; k < 3; ++k)  // what Slurm runs for --array=0-2
    BOOST_TEST(shell(box, env + "SLURM_ARRAY_TASK_ID=" + std::to_string(k) + " bash '" + script + "' > task-" +
                              std::to_string(k) + ".log 2>&1") == 0);
  BOOST_TEST(shell(box, env + "bash '" + script + "' merge > merge.log 2>&1") == 0, slurp(box.dir / "merge.log"));
  BOOST_TEST(slurp(box.dir / "merged.jsonl") == slurp(box.dir / "one.jsonl"));
  // A rerun task resumes its finished part (nothing recomputed); a task outside 0..SHARDS-1 is refused.
  BOOST_TEST(shell(box, env + "SLURM_ARRAY_TASK_ID=1 bash '" + script + "' > rerun.log 2>&1") == 0);
  BOOST_TEST(has(slurp(box.dir / "rerun.log"), "1 rows resumed from part-1.jsonl"), slurp(box.dir / "rerun.log"));
  BOOST_TEST(shell(box, env + "SLURM_ARRAY_TASK_ID=3 bash '" + script + "' > bad.log 2>&1") == 2);
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

