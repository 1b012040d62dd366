// core/: atomic writes through symlinks, refusal of special files, --version; and the one p-grid grammar giving the
// same points in `bounds` and `verify`.
#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>

#include "core/core.hpp"
#include "tests/cli_sandbox.hpp"
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

using namespace superpose;
namespace fs = std::filesystem;

namespace {
struct Sandbox : test::Sandbox {
  Sandbox() : test::Sandbox("superpose_core_") {}
};
}  // namespace

BOOST_AUTO_TEST_CASE(atomic_write_goes_through_a_symlink) {
  Sandbox box;
  fs::create_directories(box.dir / "real");
  box.write("real/target.txt", "old\n");
  fs::create_symlink("real/target.txt", box.dir / "link.txt");
  write_file_atomic(box.path("link.txt"), "new content\n");
  BOOST_TEST(fs::is_symlink(fs::symlink_status(box.dir / "link.txt")));  // the link stays a link
  BOOST_TEST(test::slurp(box.dir / "real/target.txt") == "new content\n");  // its target got the content
  BOOST_TEST(!fs::exists(box.dir / "real/target.txt.tmp"));
  BOOST_TEST(!fs::exists(box.dir / "link.txt.tmp"));
  // A dangling link: the target is created, the link kept.
  fs::create_symlink("real/new.txt", box.dir / "dangling.txt");
  write_file_atomic(box.path("dangling.txt"), "x");
  BOOST_TEST(fs::is_symlink(fs::symlink_status(box.dir / "dangling.txt")));
  BOOST_TEST(test::slurp(box.dir / "real/new.txt") == "x");
}

BOOST_AUTO_TEST_CASE(atomic_write_refuses_special_files) {
  Sandbox box;
  fs::create_directories(box.dir / "folder");
  BOOST_CHECK_THROW(write_file_atomic(box.path("folder"), "x"), InputError);
  BOOST_TEST(fs::is_directory(box.dir / "folder"));
  BOOST_CHECK_THROW(write_file_atomic("/dev/null", "x"), InputError);
  BOOST_TEST(!fs::is_regular_file("/dev/null"));  // still the device node
  fs::create_symlink("/dev/null", box.dir / "null_link");
  BOOST_CHECK_THROW(check_output_path(box.path("null_link"), "--out"), InputError);
  try {
    check_output_path("/dev/null", "--out");
    BOOST_FAIL("no error");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("--out") != std::string::npos);
    BOOST_TEST(msg.find("/dev/null") != std::string::npos);
    BOOST_TEST(msg.find("character device") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(cli_refuses_special_outputs_before_work) {
  Sandbox box;
  fs::create_directories(box.dir / "folder");
  for (const std::string out : {"/dev/null", "folder"}) {
    const test::Run r = box.run("optimize --d 2 --n 4 --m 3 --law rademacher --p 1e-4 --quiet --out " + out);
    BOOST_TEST_INFO("--out " << out << " -> " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
    BOOST_TEST(r.err.find(out) != std::string::npos);
    BOOST_TEST(r.out.empty());  // refused before any work
  }
  const test::Run b = box.run("bounds --d 2 --n 4 --m 3 --p 0.1 --out folder");
  BOOST_TEST(b.code == 2);
  BOOST_TEST(fs::is_directory(box.dir / "folder"));
}

BOOST_AUTO_TEST_CASE(csv_fields_are_quoted_only_when_needed_and_crc32_matches_its_check_value) {
  BOOST_TEST(csv_field("rademacher") == "rademacher");
  BOOST_TEST(csv_field("discrete:1,2:1,1") == "\"discrete:1,2:1,1\"");
  BOOST_TEST(csv_field("a\"b") == "\"a\"\"b\"");
  BOOST_TEST(csv_field("two\nlines") == "\"two\nlines\"");
  BOOST_TEST(csv_field("") == "");
  // The CRC-32 check value of the catalogue (zlib/PNG polynomial): "123456789" -> cbf43926.
  BOOST_TEST(crc32_hex("123456789") == "cbf43926");
  BOOST_TEST(crc32_hex("") == "00000000");
}

BOOST_AUTO_TEST_CASE(version_flag_prints_the_cmake_version) {
  Sandbox box;
  const test::Run r = box.run("--version");
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.out == version_string() + "\n");
  BOOST_TEST(version_string().rfind("superpose ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(bounds_and_verify_read_lo_hi_count_alike) {
  // 1e-6:1e-1:7 has irrational interior points 10^(-6+5i/6); the grammar rounds each to 12 digits, read exactly.
  const std::string spec = "1e-6:1e-1:7";
  VerifyConfig cfg;
  cfg.d_values = {2};
  cfg.n_values = {4};
  cfg.m_values = {3};
  cfg.laws = {"gaussian"};
  cfg.p_spec = spec;
  const std::vector<VerifyPoint> grid = verify_grid(cfg);
  BOOST_REQUIRE_EQUAL(grid.size(), 7u);
  Sandbox box;
  const test::Run r = box.run("bounds --d 2 --n 4 --m 3 --no-constructions --digits 50 --format json --p " + spec);
  BOOST_REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  BOOST_REQUIRE_EQUAL(j.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    // Independent value: 10^(-6 + 5i/6) to 12 significant digits, in double.
    const double expect = std::pow(10.0, -6.0 + 5.0 * static_cast<double>(i) / 6.0);
    const Rational& q = grid[i].p.value;
    BOOST_TEST(std::abs(from_rational<double>(q) / expect - 1) < 1e-11);
    BOOST_TEST(j[i]["p"].get<std::string>() == to_decimal(from_rational<Real50>(q), 50));  // the same exact point
  }
}
