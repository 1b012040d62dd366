// Certified very sparse limits at finite n (verify/certify.cpp, docs/theory.md §5.8): the Gegenbauer basis and the
// exact nonnegativity test against hand-made cases, the LP bound against independent values (1 at n = 1, F*(d,m) at
// the design size, n equally spaced lines for d = 2 from a numerical trigonometric sum), lower ≤ upper, every
// certificate re-verified, corrupted certificates rejected.
#define BOOST_TEST_MODULE certify
#include <boost/test/unit_test.hpp>

#include "verify/verify.hpp"

#include <boost/math/constants/constants.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace superpose;

namespace {

using Poly = std::vector<Rational>;

OptimizeOptions few_starts() {
  OptimizeOptions o;
  o.starts = 4;
  return o;
}

FstarCertificate make_certificate(int d, int m, int n) {
  FstarCertificate c;
  c.d = d;
  c.m = m;
  c.n = n;
  const LpUpper up = lp_upper_bound(d, m, n);
  c.f = up.f;
  c.upper = up.value;
  c.lower = exact_lower_bound(d, m, n, few_starts());
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gegenbauer_basis_is_chebyshev_for_d2_and_legendre_for_d3) {
  const auto T = gegenbauer_polynomials(2, 4);
  BOOST_TEST((T[4] == Poly{1, 0, -8, 0, 8}));  // T_4 = 8t^4 − 8t^2 + 1
  const auto P = gegenbauer_polynomials(3, 3);
  BOOST_TEST((P[2] == Poly{Rational(-1, 2), 0, Rational(3, 2)}));  // P_2 = (3t^2 − 1)/2
  BOOST_TEST((P[3] == Poly{0, Rational(-3, 2), 0, Rational(5, 2)}));
  for (int d : {2, 3, 5, 10}) {
    const auto G = gegenbauer_polynomials(d, 12);
    for (const Poly& g : G) {
      Rational at1 = 0;
      for (const Rational& c : g) at1 += c;
      BOOST_TEST(at1 == 1);  // normalised G_k(1) = 1
    }
  }
  BOOST_CHECK_THROW(gegenbauer_polynomials(1, 3), InputError);
}

BOOST_AUTO_TEST_CASE(exact_nonnegativity_on_an_interval) {
  const Rational a(-1), b(1);
  BOOST_TEST(polynomial_nonnegative(Poly{Rational(1, 4), -1, 1}, a, b));    // (t − 1/2)^2
  BOOST_TEST(!polynomial_nonnegative(Poly{Rational(-1, 4), 1, -1}, a, b));  // −(t − 1/2)^2
  BOOST_TEST(!polynomial_nonnegative(Poly{0, 1}, a, b));                    // t on [−1, 1]
  BOOST_TEST(polynomial_nonnegative(Poly{0, 1}, Rational(0), b));           // t on [0, 1]: root at the end point
  BOOST_TEST(!polynomial_nonnegative(Poly{0, 0, 0, 1}, a, b));              // t^3
  // (t^2 − 1/4)^2·(1 − t): double roots at ±1/2, a simple root at the end point 1.
  const Poly q{Rational(1, 16), Rational(-1, 16), Rational(-1, 2), Rational(1, 2), 1, -1};
  BOOST_TEST(polynomial_nonnegative(q, a, b));
  Poly minus_q = q;
  for (Rational& c : minus_q) c = -c;
  BOOST_TEST(!polynomial_nonnegative(minus_q, a, b));  // the simple root at the end point b flips no sign inside
  // (t − 1/2)^2·(t − 3/4) changes sign at 3/4 only: negative on [−1, 3/4), nonnegative on [3/4, 1].
  const Poly cubic{Rational(-3, 16), Rational(1, 1), Rational(-7, 4), 1};  // (t − 1/2)^2 (t − 3/4)
  BOOST_TEST(!polynomial_nonnegative(cubic, a, b));
  BOOST_TEST(polynomial_nonnegative(cubic, Rational(3, 4), b));
  BOOST_TEST(polynomial_nonnegative(Poly{}, a, b));
}

BOOST_AUTO_TEST_CASE(lp_bound_is_one_at_n_1_and_f_star_at_the_design_size) {
  for (int d : {2, 3, 4})
    for (int m : {3, 5}) {
      BOOST_TEST_INFO("d=" << d << " m=" << m);
      BOOST_TEST(lp_upper_bound(d, m, 1).value == 1);
      // F*_n = F*(d,m) for n ≥ C(d+2m−1, 2m) (Proposition 5.4), and the bound never exceeds F* (f = t^2m).
      const int design = static_cast<int>(numerator(sym_dim(d, 2 * m)));
      BOOST_TEST(lp_upper_bound(d, m, design).value == f_star(d, m));
      BOOST_TEST(lp_upper_bound(d, m, 100000).value == f_star(d, m));
    }
}

BOOST_AUTO_TEST_CASE(lp_bound_grows_with_n_towards_f_star) {
  for (int d : {3, 4}) {
    Rational prev = 0;
    for (int n = 1; n <= 12; ++n) {
      const Rational v = lp_upper_bound(d, 3, n).value;
      BOOST_TEST_INFO("d=" << d << " n=" << n << " bound " << v);
      BOOST_TEST(v >= prev);
      BOOST_TEST(v <= f_star(d, 3));
      BOOST_TEST(v <= n);  // F ≤ rank Ã ≤ n, and f = 0 gives exactly n
      prev = v;
    }
  }
}

BOOST_AUTO_TEST_CASE(d2_lp_bound_equals_n_equally_spaced_lines) {
  // Independent value: F of n lines at angles jπ/n is n / Σ_{j<n} cos^{2m}(πj/n), summed numerically in MPFR-100.
  const Real100 pi = boost::math::constants::pi<Real100>();
  for (int m : {3, 5})
    for (int n = 1; n <= m + 1; ++n) {
      Real100 s = 0;
      for (int j = 0; j < n; ++j) s += pow(cos(pi * j / n), 2 * m);
      const Real100 lines = Real100(n) / s;
      const LpUpper up = lp_upper_bound(2, m, n);
      BOOST_TEST_INFO("m=" << m << " n=" << n << " bound " << up.value << " (" << up.method << ")");
      BOOST_TEST(abs(Real100(up.value) - lines) < Real100("1e-80"));
      BOOST_TEST(equally_spaced_lines_ratio(n, m) == up.value);
      OptimizeOptions none;
      none.starts = 0;
      const ExactLower lo = exact_lower_bound(2, m, n, none);
      BOOST_TEST(lo.value == up.value);  // proved: F*_n(2, m) = that fraction
    }
}

BOOST_AUTO_TEST_CASE(lower_below_upper_and_certificates_verify) {
  for (int d : {2, 3, 4})
    for (int n : {1, 2, 5}) {
      const FstarCertificate c = make_certificate(d, 3, n);
      BOOST_TEST_INFO("d=" << d << " n=" << n << " lower " << c.lower.value << " upper " << c.upper);
      BOOST_TEST(c.lower.value <= c.upper);
      const std::string json = certificate_to_json(c);
      BOOST_TEST(check_certificate(parse_certificate(json, "t"), c.proved() ? "proved" : "bracketed") == "");
      if (n <= d) BOOST_TEST(c.proved());  // F*_n = n for n ≤ d: orthonormal columns and f = 0
    }
}

BOOST_AUTO_TEST_CASE(corrupted_certificates_are_rejected) {
  const FstarCertificate good = make_certificate(3, 3, 5);
  BOOST_REQUIRE(check_certificate(good) == "");
  BOOST_REQUIRE(good.lower.kind == "weights");
  {
    FstarCertificate c = good;  // one coefficient changed
    size_t k = 0;
    while (k + 1 < c.f.size() && c.f[k] == 0) ++k;
    c.f[k] += Rational(1, 1000);
    BOOST_TEST(check_certificate(c) != "");
  }
  {
    FstarCertificate c = good;  // f_2 made negative
    c.f[2] = Rational(-1, 100);
    BOOST_TEST(check_certificate(c).find("negative") != std::string::npos);
  }
  {
    FstarCertificate c = good;  // one W entry changed
    c.lower.W(0, 0) += Rational(1, 7);
    BOOST_TEST(check_certificate(c).find("F(W)") != std::string::npos);
  }
  {
    FstarCertificate c = good;  // a lower bound above the upper bound
    c.lower.value = c.upper + 1;
    c.lower.ratio = c.lower.value;
    BOOST_TEST(check_certificate(c) != "");
  }
  BOOST_TEST(check_certificate(good, "proved") == (good.proved() ? "" : "status 'proved' but lower != upper"));
  BOOST_CHECK_THROW(parse_certificate("{", "x"), InputError);
  BOOST_CHECK_THROW(parse_certificate("{\"format\": \"superpose-fstar-certificate-1\", \"d\": 1}", "x"), InputError);
}

namespace {

// The Gram matrix of the 6 diagonals of the icosahedron (unit vectors, off-diagonal ±1/√5): G = I + B·√5 with B
// symmetric, B_ij = ±1/5 (i ≠ j). Signs from the vectors (0, ±1, φ) and cyclic shifts, φ = (1 + √5)/2.
GramWitness icosahedron() {
  const double phi = (1 + std::sqrt(5.0)) / 2;
  const double v[6][3] = {{0, 1, phi}, {0, -1, phi}, {1, phi, 0}, {-1, phi, 0}, {phi, 0, 1}, {phi, 0, -1}};
  GramWitness g;
  g.radicand = 5;
  g.G = Matrix<Rational>::Identity(6, 6);
  g.G_sqrt = Matrix<Rational>::Zero(6, 6);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      if (i != j) {
        const double dot = v[i][0] * v[j][0] + v[i][1] * v[j][1] + v[i][2] * v[j][2];
        g.G_sqrt(i, j) = Rational(dot > 0 ? 1 : -1, 5);
      }
  return g;
}

}  // namespace

// Independent values: icosahedron F = 36/(6 + 30·5^{−3}) = 75/13 at m = 3; cube diagonals (G_ij = ±1/3) F = 16/(4 +
// 12·3^{−6}) = 243/61. Both equal the LP bound (docs/theory.md §5.8), so those cells are proved.
BOOST_AUTO_TEST_CASE(gram_witnesses_are_checked_exactly) {
  Rational F;
  BOOST_TEST(check_gram_witness(3, 3, 6, icosahedron(), &F) == "");
  BOOST_TEST(F == Rational(75, 13));
  BOOST_TEST(lp_upper_bound(3, 3, 6).value == Rational(75, 13));
  BOOST_TEST(check_gram_witness(2, 3, 6, icosahedron()).find("rank above d") != std::string::npos);
  BOOST_TEST(check_gram_witness(3, 3, 5, icosahedron()) != "");  // more columns than n
  GramWitness bad = icosahedron();
  bad.G_sqrt(0, 1) = bad.G_sqrt(1, 0) = Rational(3, 5);  // |G_01| = 3/√5 > 1: not PSD
  BOOST_TEST(check_gram_witness(3, 3, 6, bad).find("not positive semidefinite") != std::string::npos);
  bad = icosahedron();
  bad.G_sqrt(0, 1) = -bad.G_sqrt(0, 1);  // one entry of the symmetric pair flipped
  BOOST_TEST(check_gram_witness(3, 3, 6, bad).find("symmetric") != std::string::npos);
  bad = icosahedron();
  bad.radicand = 20;  // not square-free
  BOOST_TEST(check_gram_witness(3, 3, 6, bad).find("square-free") != std::string::npos);

  GramWitness cube;  // the 4 diagonals (1, ±1, ±1)/√3 of the cube
  const int s[4][3] = {{1, 1, 1}, {1, 1, -1}, {1, -1, 1}, {1, -1, -1}};
  cube.G = Matrix<Rational>(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) cube.G(i, j) = Rational(s[i][0] * s[j][0] + s[i][1] * s[j][1] + s[i][2] * s[j][2], 3);
  BOOST_TEST(check_gram_witness(3, 3, 4, cube, &F) == "");
  BOOST_TEST(F == Rational(243, 61));

  // A certificate with a Gram witness: proved, round trip through the JSON, corrupted copies rejected.
  FstarCertificate c;
  c.d = 3;
  c.m = 3;
  c.n = 6;
  const LpUpper up = lp_upper_bound(3, 3, 6);
  c.f = up.f;
  c.upper = up.value;
  c.lower.kind = "gram";
  c.lower.gram = icosahedron();
  c.lower.ratio = c.lower.value = Rational(75, 13);
  BOOST_TEST(c.proved());
  const std::string json = certificate_to_json(c);
  BOOST_TEST(json.find("superpose-fstar-certificate-2") != std::string::npos);
  const FstarCertificate back = parse_certificate(json, "t");
  BOOST_TEST(check_certificate(back, "proved") == "");
  FstarCertificate changed = back;
  changed.lower.gram.G(2, 3) = changed.lower.gram.G(3, 2) = Rational(1, 1000000);
  BOOST_TEST(check_certificate(changed) != "");
  std::string v1 = json;
  v1.replace(v1.find("certificate-2"), 13, "certificate-1");  // version 1 has no Gram witnesses
  BOOST_CHECK_THROW(parse_certificate(v1, "t"), InputError);
}

BOOST_AUTO_TEST_CASE(fstar_n_bracket_is_the_lines_closed_form_for_d2_and_f_star_from_the_design_size) {
  // Independent value: n lines at angles jπ/n, F = n / Σ_{j<n} cos^{2m}(πj/n), summed numerically in MPFR-100
  // (Lemma 5.12 is what the bracket's lower side uses; the LP side is computed independently of it).
  const Real100 pi = boost::math::constants::pi<Real100>();
  for (int m : {3, 5})
    for (int n = 1; n <= m + 1; ++n) {
      Real100 s = 0;
      for (int j = 0; j < n; ++j) s += pow(cos(pi * j / n), 2 * m);
      const FstarBracket b = fstar_n_bracket(2, m, n);
      BOOST_TEST_INFO("m=" << m << " n=" << n << " [" << b.lower << ", " << b.upper << "]");
      BOOST_TEST(b.proved());
      BOOST_TEST(abs(Real100(b.upper) - Real100(n) / s) < Real100("1e-80"));
    }
  // From the design size C(d+2m−1, 2m) on: F*(d, m) = d(d+2)⋯(d+2m−2)/(2m−1)!!, written out.
  BOOST_TEST(fstar_n_bracket(2, 3, 7).upper == Rational(2 * 4 * 6, 15));  // C(7, 6) = 7
  BOOST_TEST(fstar_n_bracket(2, 3, 7).lower_kind == "design");
  BOOST_TEST(fstar_n_bracket(3, 3, 28).lower == Rational(3 * 5 * 7, 15));  // C(8, 6) = 28
  // Below it, a bracket with lower ≤ upper < F*, the same object when asked twice (cached).
  const FstarBracket b = fstar_n_bracket(3, 3, 5);
  BOOST_TEST(b.lower <= b.upper);
  BOOST_TEST(b.upper < Rational(7));
  BOOST_TEST(b.lower >= Rational(3));  // the unsuperposed W
  BOOST_TEST(fstar_n_bracket(3, 3, 5).upper == b.upper);
  BOOST_CHECK_THROW(fstar_n_bracket(2, 4, 3), InputError);
  BOOST_CHECK_THROW(fstar_n_bracket(2, 3, 0), InputError);
}

BOOST_AUTO_TEST_CASE(laplace_limit_row_uses_f_star_n_below_the_design_size) {
  // d = 2, n = 2, m = 3, laplace: c_μ = μ_4²/μ_6 = 24²/720 = 4/5 (the standard laplace law has E x^k = k! for even
  // k), and F*_2(2, 3) from two orthogonal lines: F = (1 + 1)² / (1 + 1 + 2·cos^6(π/2)) = 2. So the p → 0 slope of
  // sup L̃ is (4/5)·2 = 1.6, not c_μ·F*(2, 3) = (4/5)·(48/15) = 2.56 (issue 8).
  const Setting s(2, 2, 3, Law::parse("laplace"));
  const Rational c_mu = s.law.c_mu(3);
  BOOST_TEST(c_mu == Rational(24 * 24, 720));
  const std::vector<BoundRow<Real50>> rows = bound_table<Real50>(s, {Real50("1e-3")}, false);
  auto find = [](const std::vector<Bound<Real50>>& bounds) -> const Bound<Real50>* {
    for (const auto& b : bounds)
      if (b.name == "first_order_limit") return &b;
    return nullptr;
  };
  const Bound<Real50>* limit = find(rows.at(0).bounds);
  BOOST_TEST_REQUIRE(limit != nullptr);
  BOOST_TEST((limit->side == BoundSide::limit));
  BOOST_TEST(abs(limit->value - Real50("1.6e-3")) < Real50("1e-45"));
  BOOST_TEST(limit->detail.find("F*_n(d,m) = 2 (proved") != std::string::npos);
  // At the design size the row is theory's c_μ·F*(d, m)·p unchanged.
  const Setting big(2, 7, 3, Law::parse("laplace"));
  const std::vector<BoundRow<Real50>> big_rows = bound_table<Real50>(big, {Real50("1e-3")}, false);
  const Bound<Real50>* at_design = find(big_rows.at(0).bounds);
  BOOST_TEST_REQUIRE(at_design != nullptr);
  BOOST_TEST(abs(at_design->value - Real50("2.56e-3")) < Real50("1e-45"));
}

// fstar-table with --cert-dir extends a table: the first n starts from the certificate of the largest smaller n in
// the folder (F*_n is nondecreasing: a zero column leaves F unchanged), after re-checking it exactly; a certificate
// that fails its check is refused as an input error and nothing is written for the new cell.
BOOST_AUTO_TEST_CASE(fstar_table_extends_from_the_certificates_in_its_folder) {
  const auto dir = std::filesystem::temp_directory_path() / ("superpose_fstar_seed_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FstarTableConfig cfg;
  cfg.d_values = {3};
  cfg.m_values = {3};
  cfg.search = few_starts();
  cfg.cert_dir = dir.string();
  std::vector<FstarCell> cells;
  cfg.n_values = {5};
  run_fstar_table(cfg, [&](const FstarCell& c) { cells.push_back(c); });
  BOOST_REQUIRE_EQUAL(cells.size(), 1u);
  const Rational seeded_from = cells[0].cert.lower.value;
  BOOST_TEST(seeded_from > Rational(3));  // five lines in R^3 beat three orthonormal ones
  // n = 7 without search: its lower bound is exactly the n = 5 witness's F (n = 6 is absent, 5 is the largest below).
  cfg.search.starts = 0;
  cfg.n_values = {7};
  cells.clear();
  run_fstar_table(cfg, [&](const FstarCell& c) { cells.push_back(c); });
  BOOST_REQUIRE_EQUAL(cells.size(), 1u);
  BOOST_TEST(cells[0].cert.lower.value == seeded_from);
  BOOST_TEST(check_certificate(cells[0].cert) == "");
  // Without the folder and without search the lower bound of n = 7 is not the n = 5 witness.
  FstarTableConfig bare = cfg;
  bare.cert_dir.clear();
  cells.clear();
  run_fstar_table(bare, [&](const FstarCell& c) { cells.push_back(c); });
  BOOST_TEST(cells[0].cert.lower.value < seeded_from);
  // A corrupted certificate of n = 5 is refused before n = 6 is written.
  const auto five = dir / "fstar_d3_m3_n5.json";
  std::ifstream in(five);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str());
  j["lower"]["W"][0][0] = "1/7";
  std::ofstream(five) << j.dump();
  cfg.n_values = {6};
  BOOST_CHECK_THROW(run_fstar_table(cfg, [](const FstarCell&) {}), InputError);
  BOOST_TEST(!std::filesystem::exists(dir / "fstar_d3_m3_n6.json"));
  std::filesystem::remove_all(dir);
}

namespace {

Bound<Real50> first_order_row(const std::vector<Bound<Real50>>& bounds) {
  for (const auto& b : bounds)
    if (b.name == "first_order_limit") return b;
  throw std::logic_error("no first_order_limit row");
}

}  // namespace

// Issue 13: at d = 2 below the design size, the limit every command compares with is c_mu*F*_n(2,m)*p, F*_n from
// n <= m + 1 equally spaced lines (Lemma 5.12), here summed independently in MPFR-100, with c_mu = mu_{m+1}^2/mu_{2m}
// from the law's moments. known_bounds is what bounds/optimize/report print; verify_point's gain/first_order_limit
// column divides by the same value.
BOOST_AUTO_TEST_CASE(limit_at_d2_is_c_mu_times_the_lines_value_for_every_law) {
  const Real100 pi = boost::math::constants::pi<Real100>();
  const Real50 p("1e-3");
  for (const char* law : {"rademacher", "gaussian", "uniform", "laplace"})
    for (int n : {2, 3}) {
      const int m = 3;
      Real100 sum = 0;
      for (int j = 0; j < n; ++j) sum += pow(cos(pi * j / n), 2 * m);
      const Law L = Law::parse(law);
      const Real100 c_mu = Real100(L.moment(m + 1) * L.moment(m + 1) / L.moment(2 * m));
      const Real100 expected = c_mu * (Real100(n) / sum) * Real100(p);
      const Bound<Real50> b = first_order_row(known_bounds(Setting(2, n, m, L), p));
      BOOST_TEST_INFO(law << " n = " << n << ": " << b.detail);
      BOOST_TEST(abs(Real100(b.value) - expected) / expected < Real100("1e-45"));
      BOOST_TEST(b.detail.find("F*_n(d,m) = " + std::string(n == 2 ? "2" : "32/11") + " (proved") != std::string::npos);
    }
  // verify's column gain/first_order_limit: gain / (c_mu * 32/11 * p), gaussian c_mu = 3^2/15 = 3/5.
  VerifyConfig cfg;
  cfg.starts = 2;
  const VerifyPoint pt{0, 2, 3, 3, "gaussian", GridP{"1e-3", Rational(1, 1000)}};
  const VerifyRow row = verify_point(cfg, pt, (std::filesystem::temp_directory_path() / "superpose_fstar13").string());
  const double limit = 3.0 / 5.0 * 32.0 / 11.0 * 1e-3;
  BOOST_TEST(row.over_first_order_limit == std::stod(row.gain) / limit, boost::test_tools::tolerance(1e-12));
  bool seen = false;
  for (const VerifyCheck& c : row.checks)
    if (c.name == "very_sparse") {
      seen = true;
      BOOST_TEST(c.ratio == std::stod(row.gain) / limit, boost::test_tools::tolerance(1e-12));
    }
  BOOST_TEST(seen);
}

// Issue 13 item 3: the bracket's lower end is a searched witness (the fstar-table search, 2 starts), at least the
// closed forms and at most the exact LP bound. At d = 3, n = 8, m = 3 the closed forms give min(d, n) = 3; the
// certified table of docs/theory.md §5.8 has a witness 6.4319... and the LP bound 6.5426...
BOOST_AUTO_TEST_CASE(bracket_lower_end_is_a_searched_witness_below_the_lp_bound) {
  const FstarBracket old = fstar_n_closed_form_bracket(3, 3, 8);
  const FstarBracket b = fstar_n_bracket(3, 3, 8);
  BOOST_TEST(old.lower == Rational(3));
  BOOST_TEST(b.lower >= old.lower);
  BOOST_TEST(b.lower > Rational(64, 10));  // the search finds the witness, not only the unsuperposed W
  BOOST_TEST(b.lower <= b.upper);
  BOOST_TEST(b.upper == lp_upper_bound(3, 3, 8).value);
  BOOST_TEST(abs(static_cast<double>(b.upper) - 6.542646577664739) < 1e-12);
  BOOST_TEST(b.upper <= old.upper);
  BOOST_TEST(b.lower_kind != "design");
}

// Issue 13 item 2: laplace, d = 2, m = 5, below the design size C(11, 10) = 11: the row prints c_mu*F*_n*p with
// F*_n = F*(2,5) = 256/63 (n >= m + 1 lines, proved), and its refutation certificate states and beats that value.
BOOST_AUTO_TEST_CASE(laplace_d2_m5_certificate_beats_the_printed_value) {
  for (int n : {6, 8}) {
    const Setting s(2, n, 5, Law::parse("laplace"));
    const Bound<Real50> b = first_order_row(known_bounds(s, Real50(1)));
    BOOST_TEST_INFO("n = " << n << ": " << b.citation);
    BOOST_TEST((b.status == BoundStatus::refuted));
    BOOST_REQUIRE(b.certificate.has_value());
    const Certificate& c = *b.certificate;
    // c_mu = (6!)^2/10! = 1/7 for laplace (E x^k = k!), so the printed slope is 256/441.
    BOOST_TEST(c.p == Rational(1));
    BOOST_TEST(c.bound == Rational(256, 441));
    BOOST_TEST(abs(b.value - from_rational<Real50>(c.bound)) < Real50("1e-45"));  // the value printed at p = 1
    Matrix<Rational> full = Matrix<Rational>::Zero(2, n);
    full.leftCols(c.W.cols()) = c.W;
    const Rational gain = evaluate(full, 5, s.law, c.p).gain;
    BOOST_TEST(gain == c.gain);
    BOOST_TEST(gain > c.bound);
    BOOST_TEST(b.citation.find("> c_mu*F*_n*p = 256/441") != std::string::npos);
  }
}
