// `superpose check` (verify/check.cpp) and the certified values it rests on (theory/certified.cpp): a planted
// false upper bound is refuted by a certificate whose exact gain, recomputed here from the written file, beats the
// bound's exact value computed here; true bounds (tensor rank, the gaussian Stein bound for d = 2 written out) are
// never refuted; a lower bound above a proved upper bound is refuted; bad expressions exit 2 with one line and no
// file; expressions evaluate exactly or to enclosures of the independently known values.
#define BOOST_TEST_MODULE check
#include <boost/test/unit_test.hpp>

#include "tests/cli_sandbox.hpp"
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace superpose;
namespace fs = std::filesystem;

namespace {

struct Sandbox : test::Sandbox {
  Sandbox() : test::Sandbox("superpose_check_") {}
};

Rational lo(const Interval& x) { return Rational(mp::lower(x)); }
Rational hi(const Interval& x) { return Rational(mp::upper(x)); }

}  // namespace

BOOST_AUTO_TEST_CASE(planted_false_upper_bound_is_refuted_with_an_exact_certificate) {
  Sandbox box;
  const test::Run r = box.run(
      "check --bound '0.5*c_mu*fstar*p' --side upper --d 2 --n 4 --m 3 --law gaussian --p 1e-3,1e-2 --starts 4 "
      "--format json --quiet");
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.code == 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["verdict"] == "refuted");
  BOOST_TEST(j["rows"].size() == 2u);
  const Law law = Law::parse("gaussian");
  for (const auto& row : j["rows"]) {
    BOOST_TEST(row["verdict"] == "refuted");
    BOOST_TEST(row["certified"] == "exact rationals");
    const Rational p = parse_rational(row["p"].get<std::string>(), "p");
    // Recomputed here: the W written to the file, its exact gain, and the bound's exact value.
    const std::string file = row["certificate"]["file"].get<std::string>();
    const Matrix<Rational> W = read_matrix_csv((box.dir / file).string());
    BOOST_TEST(W.rows() == 2);
    BOOST_TEST(W.cols() == 4);
    const auto& text = row["certificate"]["W"];
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k) BOOST_TEST(parse_rational(text[i][k].get<std::string>(), "W") == W(i, k));
    const Rational gain = evaluate(W, 3, law, p).gain;
    const Rational bound = Rational(1, 2) * Rational(3, 5) * Rational(16, 5) * p;  // c_mu = 3²/15, F*(2,3) = 16/5
    BOOST_TEST(law.c_mu(3) == Rational(3, 5));
    BOOST_TEST(f_star(2, 3) == Rational(16, 5));
    BOOST_TEST(gain > bound);
    BOOST_TEST(row["certificate"]["gain"]["fraction"].get<std::string>() == gain.str());
    BOOST_TEST(row["bound"]["fraction"].get<std::string>() == bound.str());
  }
}

BOOST_AUTO_TEST_CASE(true_upper_bounds_are_never_refuted) {
  Sandbox box;
  // tensor_rank_upper (docs/theory.md §4.3) and gaussian_stein_upper (Theorem 4.6) written out for d = 2:
  // c_mu*E[min(2, N)] = c_mu*(2 - 2(1-p)^n - n p (1-p)^(n-1)); the latter is attained at p = 1 (unsuperposed).
  for (const std::string& bound :
       {std::string("p*mu(2)*min(n, binomial(d+m-1,m))"), std::string("c_mu*(2 - 2*(1-p)^n - n*p*(1-p)^(n-1))")}) {
    const test::Run r = box.run("check --bound '" + bound +
                                "' --d 2 --n 4 --m 3 --law gaussian --p 1e-2,0.5,1 --starts 3 --format json --quiet");
    BOOST_TEST_INFO(bound << ": " << r.err);
    BOOST_TEST(r.code == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    BOOST_TEST(j["verdict"] == "no counterexample");
    for (const auto& row : j["rows"]) BOOST_TEST(row["verdict"] == "not-beaten");
  }
  BOOST_TEST(!fs::exists(box.dir / "check_d2_n4_m3_gaussian_p1.csv"));
}

BOOST_AUTO_TEST_CASE(lower_bound_above_a_proved_upper_bound_is_refuted) {
  Sandbox box;
  const test::Run bad = box.run("check --bound '2*p*n*mu(2)' --side lower --d 2 --n 4 --m 3 --p 1e-3 --format json --quiet");
  BOOST_TEST_INFO(bad.err);
  BOOST_TEST(bad.code == 1);
  const nlohmann::json j = nlohmann::json::parse(bad.out);
  BOOST_TEST(j["rows"][0]["verdict"] == "refuted");
  BOOST_TEST(j["rows"][0]["certified"] == "exact rationals");
  // The unsuperposed gain is a construction: a true lower bound, consistent and established.
  const test::Run good = box.run("check --bound 'p*min(d,n)*c_mu' --side lower --d 2 --n 4 --m 3 --p 1e-3 --quiet");
  BOOST_TEST_INFO(good.out << good.err);
  BOOST_TEST(good.code == 0);
  BOOST_TEST(good.out.find("consistent") != std::string::npos);
  BOOST_TEST(good.out.find("holds: below a construction") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_expressions_exit_2_with_one_line_and_no_file) {
  Sandbox box;
  for (const auto& [bound, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"p*x", "unknown name 'x'"},
           {"sin(p)", "unknown name 'sin'"},
           {"Pi*p", "unknown name 'Pi'"},
           {"mu*p", "'mu' is a function"},
           {"p(2)", "'p' is a number, not a function"},
           {"p*{1}", "unexpected character '{'"},
           {"min(p, n, d)", "cannot parse it: no function \"min\" with 3 arguments (accepted"},
           {"p*", "cannot parse"},
           {"log(1 - p)", "at p = 1: the log of a number that may be <= 0"},
           {"p/(p - 1)", "at p = 1: division by 0"}}) {
    const test::Run r = box.run("check --bound '" + bound + "' --d 2 --n 4 --m 3 --p 0.5,1 --cert-dir .");
    BOOST_TEST_INFO(bound << " -> " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.find(fragment) != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.out.empty());
  }
  const test::Run r = box.run("check --bound 'p*x' --d 2 --n 4 --m 3 --p 0.5");
  BOOST_TEST(r.err.find("accepted: p, n, d, m, c_mu, fstar") != std::string::npos);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(box.dir)) files.push_back(e.path().filename().string());
  BOOST_TEST(files.size() == 2u);  // out.txt and err.txt only
}

BOOST_AUTO_TEST_CASE(expressions_evaluate_exactly_or_to_tight_enclosures) {
  const Setting s(2, 4, 3, Law::parse("gaussian"));
  const Rational p(1, 4);
  auto at = [&](const std::string& e) { return BoundExpression::parse(e).at(s, p); };
  // Exact: decimals read exactly, integer powers, mu, binomial, min, max, exact roots.
  BOOST_TEST(*at("0.5*c_mu*fstar*p").exact == Rational(1, 2) * Rational(3, 5) * Rational(16, 5) * p);
  BOOST_TEST(*at("p*mu(2)*min(n, binomial(d+m-1,m))").exact == p * 4);  // min(4, C(4,3)) = 4
  BOOST_TEST(*at("mu(6) + max(1e-3, p^2) - 2^(-2)").exact == Rational(15) + Rational(1, 16) - Rational(1, 4));
  BOOST_TEST(*at("sqrt(p) + (p/2)^(2/3)").exact == Rational(3, 4));
  BOOST_TEST(*at("exp(0) + log(1)").exact == 1);
  // Enclosures: contain the value computed independently in MPFR-100 and are about 55 digits tight.
  for (const auto& [e, value] : std::vector<std::pair<std::string, Real100>>{
           {"sqrt(2)*p", sqrt(Real100(2)) / 4},
           {"exp(-n*p) + log(d)", exp(Real100(-1)) + log(Real100(2))},
           {"p^(1/m)*min(sqrt(d), 1.5)", pow(Real100(1) / 4, Real100(1) / 3) * sqrt(Real100(2))}}) {
    const CertifiedReal v = at(e);
    BOOST_TEST_INFO(e);
    BOOST_TEST(!v.exact);
    BOOST_TEST(Rational(value) > lo(v.enclosure));
    BOOST_TEST(Rational(value) < hi(v.enclosure));
    BOOST_TEST(interval_digits(v.enclosure) >= 50);
  }
}

BOOST_AUTO_TEST_CASE(certified_upper_bounds_agree_with_the_floating_point_closed_forms) {
  // Independent of theory/certified.cpp's formulas: closed_form_bounds in MPFR-100 (theory/bounds.cpp, lgamma and
  // expm1 routes). Exact values (n = 12) and the MPFI route (n = 200000, where (1-p)^n would have 10^6 digits).
  for (const auto& [law, n] : std::vector<std::pair<std::string, int>>{{"gaussian", 12}, {"rademacher", 12}, {"gaussian", 200000}}) {
    const Setting s(3, n, 3, Law::parse(law));
    for (const std::string ptext : {"1e-6", "0.0123456789012", "0.5", "1"}) {
      const Rational p = parse_rational(ptext, "p");
      const FstarBracket fstar_n = fstar_n_bracket(3, 3, n);
      const auto certified = certified_upper_bounds(s, p, fstar_n);
      const auto floating = closed_form_bounds(s, from_rational<Real100>(p), fstar_n);
      int matched = 0;
      for (const CertifiedBound& b : certified) {
        BOOST_TEST_INFO(law << " n = " << n << " p = " << ptext << " " << b.name);
        if (n == 12) BOOST_TEST(b.value.exact.has_value());
        if (n == 200000 && ptext == "1e-6") BOOST_TEST(!b.value.exact.has_value());
        for (const auto& f : floating)
          if (f.name == b.name) {
            ++matched;
            const Real100 mid = b.value.exact ? Real100(*b.value.exact) : Real100(mp::median(b.value.enclosure));
            BOOST_TEST(static_cast<double>(abs(mid - f.value) / f.value) < 1e-40);
          }
      }
      BOOST_TEST(matched == static_cast<int>(certified.size()));
      BOOST_TEST(certified.size() >= (law == "gaussian" ? 4u : 3u));  // zero_loss, tensor_rank, split (, stein)
    }
  }
}
