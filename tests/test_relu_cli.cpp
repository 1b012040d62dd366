// `superpose relu train` and `superpose relu metrics` (apps/cmd_relu_train.cpp): bad input gives one line, exit
// code 2 and no file; a run writes what it prints; metrics of an antipodal pair give D = 1/2 and a digon.
#define BOOST_TEST_MODULE relu_cli
#include <boost/test/unit_test.hpp>

#include "tests/cli_sandbox.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

using superpose::test::Run;
using superpose::test::Sandbox;

BOOST_AUTO_TEST_CASE(bad_input_exits_2_and_writes_nothing) {
  Sandbox sb("superpose_relu_cli_bad_");
  const struct {
    const char* args;
    const char* names;
  } cases[] = {{"relu train --p 2 --out o", "--p"},
               {"relu train --law cauchy --out o", "--law"},
               {"relu train --preset elhage-n7 --out o", "--preset"},
               {"relu train --steps 0 --out o", "--steps"},
               {"relu train --importance-ratio 0 --out o", "--importance-ratio"},
               {"relu train --tolerance 1 --out o", "--tolerance"},
               {"relu train --k 4 --out o", "--k"},
               {"relu metrics --weights missing.csv", "missing.csv"},
               {"relu metrics --weights w.csv --layout xy", "--layout"}};
  sb.write("w.csv", "1,-1\n");
  for (const auto& c : cases) {
    const Run r = sb.run(c.args);
    BOOST_TEST_INFO(c.args << " -> " << r.code << ": " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.find(c.names) != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(!std::filesystem::exists(sb.dir / "o"));
  }
}

BOOST_AUTO_TEST_CASE(train_writes_what_it_prints_and_metrics_reads_it) {
  Sandbox sb("superpose_relu_cli_run_");
  const Run r = sb.run("relu train --d 1 --n 2 --p 1/20,1 --steps 300 --eval-samples 4096 --format json --out o "
                       "--no-plot --quiet");
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  BOOST_TEST_REQUIRE(j.size() == 2u);
  BOOST_TEST(j[0]["p"] == "1/20");
  BOOST_TEST(j[0]["one_over_p"].get<double>() == 20.0);
  for (const auto& inst : j) {
    BOOST_TEST(std::isfinite(inst["loss"].get<double>()));
    BOOST_TEST(inst["loss_se"].get<double>() > 0);
  }
  // W_1.csv holds the W of the JSON, to 17 digits: metrics gives the same D_i.
  const Run m = sb.run("relu metrics --weights o/W_1.csv --format json");
  BOOST_TEST_REQUIRE(m.code == 0, m.err);
  const nlohmann::json g = nlohmann::json::parse(m.out);
  for (int i = 0; i < 2; ++i)
    BOOST_TEST(std::abs(g["dimensionality"][i].get<double>() - j[0]["geometry"]["dimensionality"][i].get<double>()) < 1e-12);
  BOOST_TEST(std::filesystem::exists(sb.dir / "o" / "relu_train.csv"));
  BOOST_TEST(std::filesystem::exists(sb.dir / "o" / "b_2.csv"));
}

BOOST_AUTO_TEST_CASE(metrics_of_an_antipodal_pair) {
  Sandbox sb("superpose_relu_cli_pair_");
  sb.write("w.csv", "1,-1,0\n0,0,1\n");  // a digon and a dedicated dimension
  const Run m = sb.run("relu metrics --weights w.csv --format json");
  BOOST_TEST_REQUIRE(m.code == 0, m.err);
  const nlohmann::json g = nlohmann::json::parse(m.out);
  BOOST_TEST(g["dimensionality"][0].get<double>() == 0.5);
  BOOST_TEST(g["dimensionality"][2].get<double>() == 1.0);
  BOOST_TEST(g["shape"][0] == "digon");
  BOOST_TEST(g["shape"][2] == "dedicated");
  BOOST_TEST(std::abs(g["fractions"]["digon"].get<double>() - 2.0 / 3) < 1e-15);
  BOOST_TEST(g["dimensions_per_feature"].get<double>() == 2.0 / 3);
}
