// `superpose check` (verify/check.cpp) and the certified values it rests on (theory/certified.cpp): over a grid of
// (d, n, m, law) x p a planted false upper bound is refuted in exactly the cells where it is false, by certificates
// whose exact gain, recomputed here from the written file, beats the bound's exact value computed here; true bounds
// (tensor rank, the gaussian Stein bound for d = 2 written out) are never refuted; a run resumed after --stop-after
// prints and writes the same bytes as an uninterrupted one, and a damaged checkpoint row is refused; a bad grid or
// expression exits 2 with one line and no file; a lower bound above a proved upper bound is refuted; expressions
// evaluate exactly or to enclosures of the independently known values; laplace's limit row says what is proved.
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


// The planted bound of the grid tests: tensor_rank_upper (docs/theory.md §4.3, proved) times a factor that is 1 for
// (d = 2, gaussian) and 1/10 in every other cell (rademacher has mu(4) = 1, gaussian mu(4) = 3), where it drops below
// the unsuperposed gain c_mu*min(d, n)*p (a structured start of every search): false exactly there.
const char* kPlanted =
    "p*mu(2)*min(n, binomial(d+m-1,m))*min(max(0.1, min(1, mu(4)-1)), max(0.1, min(1, 3-d)))";
const char* kPlantedGrid = "--d 2,3 --n 4 --m 3 --law gaussian,rademacher --p 0.01 --starts 2 --max-evals 300 --quiet";

// The factor of kPlanted, computed here.
Rational planted_factor(int d, const std::string& law) { return d == 2 && law == "gaussian" ? Rational(1) : Rational(1, 10); }

}  // namespace

BOOST_AUTO_TEST_CASE(planted_false_upper_bound_is_refuted_in_exactly_the_expected_cells_of_a_grid) {
  Sandbox box;
  const test::Run r = box.run(std::string("check --bound '") + kPlanted + "' " + kPlantedGrid + " --format json");
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.code == 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["verdict"] == "refuted");
  BOOST_REQUIRE(j["rows"].size() == 4u);  // (d, n) in {(2, 4), (3, 4)} x {gaussian, rademacher} x one p
  BOOST_TEST(j["refuted"] == 3);
  BOOST_TEST(j["refutations"].size() == 3u);
  BOOST_TEST(j["violations"].empty());
  const Rational p(1, 100);
  int index = 0;
  for (int d : {2, 3})
    for (const std::string law : {"gaussian", "rademacher"}) {
      const auto& row = j["rows"][index];
      BOOST_TEST_INFO("d = " << d << ", law = " << law);
      BOOST_TEST(row["index"] == index);
      BOOST_TEST(row["d"] == d);
      BOOST_TEST(row["law"] == law);
      const Law mu = Law::parse(law);
      // The bound's exact value, computed here: p*mu_2*min(4, C(d+2, 3))*factor.
      const Rational bound = p * mu.moment(2) * std::min(Rational(4), sym_dim(d, 3)) * planted_factor(d, law);
      BOOST_TEST(row["bound"]["fraction"].get<std::string>() == bound.str());
      const bool refuted = planted_factor(d, law) != 1;
      BOOST_TEST(row["verdict"] == (refuted ? "refuted" : "not-beaten"));
      ++index;
    }
  for (const auto& f : j["refutations"]) {
    const int d = f["d"];
    const std::string law = f["law"];
    const Law mu = Law::parse(law);
    // Recomputed here: the W written to the file, its exact gain, and the bound's exact value.
    const Matrix<Rational> W = read_matrix_csv((box.dir / f["certificate"]["file"].get<std::string>()).string());
    BOOST_TEST(W.rows() == d);
    BOOST_TEST(W.cols() == 4);
    const Rational gain = evaluate(W, 3, mu, p).gain;
    const Rational bound = p * mu.moment(2) * std::min(Rational(4), sym_dim(d, 3)) * Rational(1, 10);
    BOOST_TEST(gain > bound);
    BOOST_TEST(f["certificate"]["gain"]["fraction"].get<std::string>() == gain.str());
    BOOST_TEST(f["certificate"]["bound"]["fraction"].get<std::string>() == bound.str());
  }
  BOOST_TEST(!fs::exists(box.dir / "check_d2_n4_m3_gaussian_p0.01.csv"));
  BOOST_TEST(fs::exists(box.dir / "check_d2_n4_m3_rademacher_p0.01.csv"));
}

BOOST_AUTO_TEST_CASE(resume_after_stop_after_is_byte_identical_and_a_damaged_row_is_refused) {
  Sandbox box;
  const std::string base = std::string("check --bound '") + kPlanted + "' " + kPlantedGrid;
  for (const std::string format : {"json", "text"}) {
    BOOST_TEST_INFO(format);
    fs::remove(box.dir / "whole.jsonl");
    fs::remove(box.dir / "part.jsonl");
    const test::Run whole = box.run(base + " --format " + format + " --out whole.jsonl");
    BOOST_TEST(whole.code == 1);
    const test::Run first = box.run(base + " --format " + format + " --out part.jsonl --stop-after 3");
    BOOST_TEST_INFO(first.err);
    BOOST_TEST(first.code == 1);  // the rademacher cell of d = 2 is among the first 3
    BOOST_TEST(first.err.find("stopped after 3 new points (--stop-after); 1 remain") != std::string::npos);
    const test::Run rest = box.run(base + " --format " + format + " --out part.jsonl --resume");
    BOOST_TEST_INFO(rest.err);
    BOOST_TEST(rest.code == 1);
    BOOST_TEST(rest.err.find("3 points resumed from part.jsonl") != std::string::npos);
    BOOST_TEST(rest.out == whole.out);
    BOOST_TEST(test::slurp(box.dir / "part.jsonl") == test::slurp(box.dir / "whole.jsonl"));
  }
  // Without --resume an existing checkpoint is refused; another configuration is named by its flag.
  const test::Run again = box.run(base + " --out whole.jsonl");
  BOOST_TEST(again.code == 2);
  BOOST_TEST(again.err.find("exists; pass --resume") != std::string::npos);
  const test::Run other = box.run(base + " --seed 2 --out whole.jsonl --resume");
  BOOST_TEST(other.code == 2);
  BOOST_TEST(other.err.find("--seed 1 in the file, 2 in this run") != std::string::npos);

  // One digit of row 3 changed: refused with exit 2, one line naming the line, and the file left as it was.
  std::string text = test::slurp(box.dir / "whole.jsonl");
  size_t line3 = 0;
  for (int k = 0; k < 2; ++k) line3 = text.find('\n', line3) + 1;
  const size_t digit = text.find_first_of("123456789", text.find("\"gain\":\"", line3) + 8);
  BOOST_REQUIRE(digit < text.find('\n', line3));
  text[digit] = text[digit] == '1' ? '2' : '1';
  box.write("damaged.jsonl", text);
  const test::Run bad = box.run(base + " --out damaged.jsonl --resume");
  BOOST_TEST_INFO(bad.err);
  BOOST_TEST(bad.code == 2);
  BOOST_TEST(bad.err.find("line 3 fails its checksum") != std::string::npos);
  BOOST_TEST(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
  BOOST_TEST(bad.out.empty());
  BOOST_TEST(test::slurp(box.dir / "damaged.jsonl") == text);
}

BOOST_AUTO_TEST_CASE(a_bad_grid_is_refused_before_any_work_with_nothing_written) {
  Sandbox box;
  for (const auto& [grid, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"--d 2,0 --p 0.5", "--d: hidden widths must lie in 1..64 (got 0)"},
           {"--d 2 --m 3,4 --p 0.5", "--m: activation powers must be odd"},
           {"--d 2 --law gaussian,cauchy --p 0.5", "cauchy"},
           {"--d 2..3 --n 4 --p 0.5,2", "--p"},
           {"--d 2,3 --n 1..2 --p 0.5",
            "grid point d = 3, n = 1, m = 3, law = gaussian: --bound \"1/(d-3)\" at p = 0.5: division by 0"}}) {
    const test::Run r = box.run("check --bound '1/(d-3)' " + grid + " --out cp.jsonl --quiet");
    BOOST_TEST_INFO(grid << " -> " << r.err);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.find(fragment) != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.out.empty());
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(box.dir)) files.push_back(e.path().filename().string());
  BOOST_TEST(files.size() == 2u);  // out.txt and err.txt only: no checkpoint, no certificate
}

BOOST_AUTO_TEST_CASE(true_upper_bounds_are_never_refuted_over_a_grid) {
  Sandbox box;
  // tensor_rank_upper (docs/theory.md §4.3) over a grid of two (d, n) cells and two laws, and gaussian_stein_upper
  // (Theorem 4.6) written out for d = 2: c_mu*E[min(2, N)] = c_mu*(2 - 2(1-p)^n - n p (1-p)^(n-1)), attained at
  // p = 1 (unsuperposed).
  for (const auto& [bound, grid] : std::vector<std::pair<std::string, std::string>>{
           {"p*mu(2)*min(n, binomial(d+m-1,m))", "--d 2,3 --n 5 --law gaussian,laplace --p 1e-2,1"},
           {"c_mu*(2 - 2*(1-p)^n - n*p*(1-p)^(n-1))", "--d 2 --n 3..4 --law gaussian --p 1e-2,0.5,1"}}) {
    const test::Run r = box.run("check --bound '" + bound + "' " + grid + " --m 3 --starts 2 --max-evals 300 --format csv --quiet");
    BOOST_TEST_INFO(bound << ": " << r.err);
    BOOST_TEST(r.code == 0);
    const std::vector<std::string> lines = split(trim(r.out), '\n');
    BOOST_TEST(lines.size() == (bound[0] == 'p' ? 9u : 7u));  // header + one line per point
    for (size_t k = 1; k < lines.size(); ++k) BOOST_TEST(lines[k].find(",not-beaten,") != std::string::npos);
  }
  BOOST_TEST(!fs::exists(box.dir / "check_d2_n4_m3_gaussian_p1.csv"));
}

// The status of laplace's first_order_limit row (issue 8): the limit c_mu*F*_n*p (docs/theory.md Theorem 5.5(b)) is
// proved, so the row is proved-here wherever known_bounds can state it: F*_n proved (d = 2, n <= m + 1: the
// equally spaced lines meet the LP bound) or bracketed (its upper end, the detail says so).
BOOST_AUTO_TEST_CASE(laplace_limit_row_says_what_is_proved) {
  const Law laplace = Law::parse("laplace");
  auto row = [&](int d, int n, int m) {
    for (const Bound<Real50>& b : known_bounds(Setting(d, n, m, laplace), Real50("0.5")))
      if (b.name == "first_order_limit") return b;
    throw std::logic_error("no first_order_limit row");
  };
  const Bound<Real50> proved = row(2, 3, 3);
  BOOST_TEST(to_string(proved.status) == "proved-here");
  BOOST_TEST(to_string(proved.side) == "limit");
  // F*_3(2, 3) = F of 3 lines at 60 degrees, 4^3 / sum_{r = 3 mod 3} C(6, r) = 64/22 (closed form, §5.8).
  const Rational f3 = Rational(64, 22);
  BOOST_TEST(equally_spaced_lines_ratio(3, 3) == f3);
  BOOST_TEST(static_cast<double>(abs(proved.value - from_rational<Real50>(Rational(1, 2) * laplace.c_mu(3) * f3))) < 1e-40);
  BOOST_TEST(proved.detail.find("F*_n(d,m) = 32/11 (proved: the equally_spaced_lines witness meets the upper bound by LP certificate") != std::string::npos);
  const Bound<Real50> design = row(2, 8, 3);  // n >= C(7, 6): F*_n = F*(2, 3)
  BOOST_TEST(to_string(design.status) == "proved-here");
  BOOST_TEST(static_cast<double>(abs(design.value - from_rational<Real50>(Rational(1, 2) * laplace.c_mu(3) * f_star(2, 3)))) < 1e-40);
  const FstarBracket f = fstar_n_bracket(3, 3, 5);
  BOOST_REQUIRE(!f.proved());
  const Bound<Real50> bracketed = row(3, 5, 3);
  BOOST_TEST(to_string(bracketed.status) == "proved-here");
  BOOST_TEST(bracketed.detail.find("(certified; lower: ") != std::string::npos);
  BOOST_TEST(bracketed.detail.find("the upper end is used") != std::string::npos);
  BOOST_TEST(bracketed.citation.find("at least p times the p->0 limit") != std::string::npos);
  // The refuted setting keeps its certificate (laplace, d = 2, m = 5, n = 6: the 6 lines of §6.3).
  BOOST_TEST(to_string(row(2, 6, 5).status) == "refuted");
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
