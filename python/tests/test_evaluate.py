"""superpose.evaluate, certify, bounds and Law against the CLI's JSON and against independent values: closed forms in
exact rationals, numpy Monte Carlo with its error bar, central finite differences for the gradient."""
from fractions import Fraction

import numpy as np
import math
import pytest

import superpose

# A fixed W (d = 3, n = 5) with short decimals, so the CSV file and the float64 array hold the same numbers.
W35 = np.array([[0.5, -0.25, 0.125, 0.75, 0.0],
                [0.25, 0.5, -0.5, 0.125, 0.375],
                [-0.125, 0.25, 0.625, -0.25, 0.5]])


def write_csv(path, W):
    path.write_text("\n".join(",".join(repr(float(x)) for x in row) for row in W) + "\n")
    return path


# ---------------------------------------------------------------------------------------------------------------
# Against the CLI
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("law,p,m", [("gaussian", "0.01", 3), ("rademacher", "1/7", 5), ("uniform", "0.5", 1),
                                     ("discrete:1:3,2:1", "1e-3", 3)])
def test_double_matches_cli_json(cli, tmp_path, law, p, m):
    j = cli.json("loss", "--weights", write_csv(tmp_path / "W.csv", W35), "--m", m, "--law", law, "--p", p)
    ev = superpose.evaluate(W35, m, law, p)
    assert ev.computed_in == j["computed_in"] == "double"
    digits = j["correct_digits"]["gain"]
    assert ev.gain_digits == digits
    # The CLI prints each value with the digits the engine vouches for: the module's value rounds to that string.
    assert float(j["gain"]) == pytest.approx(ev.gain, rel=10.0 ** (1 - digits))
    assert float(j["loss"]) == pytest.approx(ev.loss, rel=10.0 ** (1 - j["correct_digits"]["loss"]))
    for k in ("C", "D"):
        assert float(j[k]) == pytest.approx(getattr(ev, k), rel=10.0 ** (1 - j["correct_digits"]["C_D"]))
    assert float(j["zero_loss"]) == pytest.approx(ev.zero_loss, rel=1e-14)


def test_mpfr50_matches_cli_json(cli, tmp_path):
    import mpmath
    j = cli.json("loss", "--weights", write_csv(tmp_path / "W.csv", W35), "--m", 3, "--law", "gaussian", "--p",
                 "1e-4", "--digits", 50)
    ev = superpose.evaluate(W35, 3, "gaussian", "1e-4", digits=50)
    assert ev.computed_in == "MPFR-50" and isinstance(ev.gain, mpmath.mpf)
    digits = j["correct_digits"]["gain"]
    assert digits >= 40
    with mpmath.workdps(60):
        assert abs(ev.gain - mpmath.mpf(j["gain"])) <= abs(ev.gain) * mpmath.mpf(10) ** (1 - digits)


def test_exact_matches_cli_json(cli, tmp_path):
    Wq = [[Fraction(1, 3), Fraction(-2, 7), "0.5"], [Fraction(1, 5), 1, "-3/11"]]
    (tmp_path / "W.csv").write_text("1/3,-2/7,0.5\n1/5,1,-3/11\n")
    j = cli.json("loss", "--weights", tmp_path / "W.csv", "--m", 3, "--law", "rademacher", "--p", "1/10", "--exact")
    ev = superpose.evaluate(Wq, 3, "rademacher", Fraction(1, 10), digits="exact")
    assert ev.computed_in == "exact rationals"
    assert isinstance(ev.gain, Fraction)
    assert ev.gain == Fraction(j["gain"]) and ev.loss == Fraction(j["loss"])
    assert ev.C == Fraction(j["C"]) and ev.D == Fraction(j["D"])
    assert ev.rel_error == 0 and ev.gain_digits is None


# ---------------------------------------------------------------------------------------------------------------
# Against closed forms (exact rationals)
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("m", [1, 3, 5])
def test_orthogonal_features_closed_form(m):
    # Orthogonal columns with A_ii = a^2: each feature is alone, C = p n a^(2m) mu_{m+1}, D = p n a^(4m) mu_{2m}.
    a, p, n = Fraction(2, 3), Fraction(3, 10), 2
    law = superpose.Law("gaussian")
    W = [[a, 0], [0, a]]
    ev = superpose.evaluate(W, m, law, p, digits="exact")
    C = p * n * a ** (2 * m) * law.moment(m + 1)
    D = p * n * a ** (4 * m) * law.moment(2 * m)
    assert (ev.C, ev.D, ev.gain) == (C, D, 2 * C - D)
    assert ev.zero_loss == p * n * law.moment(2) and ev.loss == ev.zero_loss - ev.gain


def test_two_features_rademacher_m1_closed_form():
    # m = 1, one hidden unit, features weights u, v: S_1 = u^2 x1 + uv x2; with Rademacher inputs
    # C = p(u^2 + v^2), D = p(u^4 + v^4 + 2u^2 v^2) + (E x1 x2 terms vanish): D = E (S_1^2 + S_2^2)
    #   = p[(u^4 + u^2 v^2) + (v^4 + u^2 v^2)].
    u, v, p = Fraction(1, 2), Fraction(3, 4), Fraction(1, 3)
    ev = superpose.evaluate([[u, v]], 1, "rademacher", p, digits="exact")
    assert ev.C == p * (u ** 2 + v ** 2)
    assert ev.D == p * (u ** 4 + v ** 4 + 2 * u ** 2 * v ** 2)


def test_mpf_agrees_with_exact_to_its_digits():
    import mpmath
    Wq = [[Fraction(1, 3), Fraction(-2, 7), Fraction(1, 2)], [Fraction(1, 5), Fraction(1), Fraction(-3, 11)]]
    exact = superpose.evaluate(Wq, 5, "laplace", "1/1000", digits="exact").gain
    for digits in (50, 100):
        ev = superpose.evaluate(Wq, 5, "laplace", "1/1000", digits=digits)
        assert ev.computed_in == f"MPFR-{digits}"
        with mpmath.workdps(digits + 20):
            err = abs(ev.gain - mpmath.mpf(exact.numerator) / exact.denominator) / abs(ev.gain)
            assert err <= mpmath.mpf(10) ** (1 - ev.gain_digits)
            assert ev.gain_digits >= digits - 10


def test_certify_encloses_exact():
    Wq = [[Fraction(1, 3), Fraction(-2, 7), Fraction(1, 2)], [Fraction(1, 5), Fraction(1), Fraction(-3, 11)]]
    exact = superpose.evaluate(Wq, 3, "gaussian", "0.01", digits="exact")
    for what in ("gain", "C", "D", "loss"):
        lo, hi = superpose.certify(Wq, 3, "gaussian", "0.01", what=what)
        assert Fraction(lo) <= getattr(exact, what) <= Fraction(hi)
        assert Fraction(hi) - Fraction(lo) < abs(getattr(exact, what)) * Fraction(1, 10 ** 25)


# ---------------------------------------------------------------------------------------------------------------
# Against Monte Carlo and finite differences (numpy)
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("law", ["rademacher", "gaussian", "uniform"])
def test_loss_against_monte_carlo(law):
    rng = np.random.default_rng(7)
    d, n, m, p = 3, 12, 3, 0.2
    W = rng.normal(size=(d, n)) * 0.6
    A = W.T @ W
    N = 400_000
    b = rng.random((N, n)) < p
    xi = {"rademacher": lambda s: rng.choice([-1.0, 1.0], size=s), "gaussian": lambda s: rng.normal(size=s),
          "uniform": lambda s: rng.uniform(-1, 1, size=s)}[law]((N, n))
    x = xi * b
    samples = ((x @ A) ** m - x) ** 2
    per = samples.sum(axis=1)
    mean, se = per.mean(), per.std(ddof=1) / np.sqrt(N)
    ev = superpose.evaluate(W, m, law, p)
    assert abs(ev.loss - mean) < 5 * se, (ev.loss, mean, se)
    # The test can fail: the loss is far from the zero-W loss at this error bar.
    assert abs(ev.loss - ev.zero_loss) > 20 * se


def test_gradient_against_finite_differences():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 7)) * 0.5
    ev = superpose.evaluate(W, 3, "gaussian", 0.05, gradient=True)
    assert ev.grad.shape == (3, 7) and ev.grad.dtype == np.float64
    h = 1e-5
    fd = np.zeros_like(W)
    for i in range(3):
        for j in range(7):
            Wp, Wm = W.copy(), W.copy()
            Wp[i, j] += h
            Wm[i, j] -= h
            fd[i, j] = (superpose.evaluate(Wp, 3, "gaussian", 0.05).gain -
                        superpose.evaluate(Wm, 3, "gaussian", 0.05).gain) / (2 * h)
    assert np.max(np.abs(fd - ev.grad)) < 1e-7 * np.max(np.abs(ev.grad))
    assert np.max(np.abs(ev.grad)) > 1e-3


def test_gradient_exact_types():
    Wq = [[Fraction(1, 3), Fraction(-2, 7)], [Fraction(1, 5), Fraction(1)]]
    ev = superpose.evaluate(Wq, 3, "rademacher", "1/2", gradient=True, digits="exact")
    ev50 = superpose.evaluate(Wq, 3, "rademacher", "1/2", gradient=True, digits=50)
    assert ev.grad_exact.shape == (2, 2) and isinstance(ev.grad_exact[0, 1], Fraction)
    import mpmath
    with mpmath.workdps(60):
        for i in range(2):
            for j in range(2):
                g, g50 = ev.grad_exact[i, j], ev50.grad_exact[i, j]
                assert abs(mpmath.mpf(g.numerator) / g.denominator - g50) <= abs(g50) * mpmath.mpf(10) ** -45
    assert np.allclose(ev.grad, ev50.grad, rtol=1e-15, atol=0)


# ---------------------------------------------------------------------------------------------------------------
# Shapes, layouts, input types
# ---------------------------------------------------------------------------------------------------------------

def test_layout_nd_is_the_transpose():
    rng = np.random.default_rng(11)
    W = rng.normal(size=(4, 9))
    dn = superpose.evaluate(W, 3, "gaussian", 1e-3, gradient=True)
    nd = superpose.evaluate(W.T.copy(), 3, "gaussian", 1e-3, gradient=True, layout="nd")
    assert nd.gain == dn.gain
    assert dn.grad.shape == (4, 9) and nd.grad.shape == (9, 4)
    assert np.array_equal(nd.grad, dn.grad.T)
    # Fortran-ordered and float32 inputs are the same W.
    f = superpose.evaluate(np.asfortranarray(W), 3, "gaussian", 1e-3)
    assert f.gain == dn.gain
    w32 = W.astype(np.float32)
    assert superpose.evaluate(w32, 3, "gaussian", 1e-3).gain == superpose.evaluate(w32.astype(np.float64), 3,
                                                                                    "gaussian", 1e-3).gain


def test_array_likes_and_p_types():
    W = [[0.5, 0.25, -0.5], [0.125, 1.0, 0.5]]
    ref = superpose.evaluate(np.array(W), 3, "gaussian", "0.0001").gain
    assert superpose.evaluate(W, 3, "gaussian", 1e-4).gain == ref
    assert superpose.evaluate(tuple(map(tuple, W)), 3, superpose.Law("gaussian"), Fraction(1, 10000)).gain == ref
    assert superpose.evaluate([["1/2", "0.25", "-0.5"], ["1/8", 1, 0.5]], 3, "gaussian", "1e-4").gain == ref


def test_double_range_climbs_like_the_cli(cli, tmp_path):
    (tmp_path / "W.csv").write_text("1e200,0\n0,1e200\n")
    j = cli.json("loss", "--weights", tmp_path / "W.csv", "--m", 3, "--law", "gaussian", "--p", "0.5")
    ev = superpose.evaluate([["1e200", "0"], ["0", "1e200"]], 3, "gaussian", 0.5)
    assert ev.computed_in == j["computed_in"] != "double"
    assert ev.precision_note == j["precision_note"]
    with pytest.raises(superpose.PrecisionError):
        superpose.evaluate(np.array([[1e200, 0], [0, 1e200]]), 3, "gaussian", 0.5, climb=False)


# ---------------------------------------------------------------------------------------------------------------
# Errors: ValueError with the CLI's one-line message
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,kw", [
    (("--m", 2, "--law", "gaussian", "--p", "0.1"), dict(m=2, law="gaussian", p="0.1")),
    (("--m", 3, "--law", "cauchy", "--p", "0.1"), dict(m=3, law="cauchy", p="0.1")),
    (("--m", 3, "--law", "gaussian", "--p", "1.5"), dict(m=3, law="gaussian", p="1.5")),
    (("--m", 3, "--law", "gaussian", "--p", "abc"), dict(m=3, law="gaussian", p="abc")),
    (("--m", 3, "--law", "discrete:1:0", "--p", "0.1"), dict(m=3, law="discrete:1:0", p="0.1")),
])
def test_errors_carry_the_cli_message(cli, tmp_path, args, kw):
    msg = cli.error("loss", "--weights", write_csv(tmp_path / "W.csv", W35), *args)
    with pytest.raises(ValueError) as e:
        superpose.evaluate(W35, **kw)
    assert str(e.value) == msg
    assert isinstance(e.value, superpose.InputError)


def test_errors_of_the_python_layer():
    with pytest.raises(ValueError, match="layout"):
        superpose.evaluate(W35, 3, "gaussian", 0.1, layout="dx")
    with pytest.raises(ValueError, match="digits"):
        superpose.evaluate(W35, 3, "gaussian", 0.1, digits=30)
    with pytest.raises(ValueError, match="2-D"):
        superpose.evaluate([1.0, 2.0], 3, "gaussian", 0.1)
    for digits in (None, "exact"):
        with pytest.raises(ValueError, match=r"W\(1,2\) is NaN or infinite"):
            superpose.evaluate([[1.0, float("nan")]], 3, "gaussian", 0.1, digits=digits)
    with pytest.raises(ValueError, match=r"W\(1,2\)"):
        superpose.evaluate([["1", "x"]], 3, "gaussian", 0.1)
    with pytest.raises(ValueError, match="at least one"):
        superpose.evaluate(np.zeros((0, 3)), 3, "gaussian", 0.1)


# ---------------------------------------------------------------------------------------------------------------
# bounds, Law
# ---------------------------------------------------------------------------------------------------------------

def test_bounds_closed_forms_and_cli(cli):
    law = superpose.Law("rademacher")
    d, n, m, p = 3, 20, 3, Fraction(1, 1000)
    bs = superpose.bounds(d, n, m, law, p, digits=50)
    by = {b.name: b for b in bs}
    assert by["zero_loss"].value == pytest.approx(float(p * n * law.moment(2)), rel=1e-15)
    assert by["unsuperposed"].value == pytest.approx(float(p * min(d, n) * law.c_mu(m)), rel=1e-15)
    fs = superpose.f_star(d, m)
    assert fs == Fraction(3 * 5 * 7, 15)
    assert by["first_order_limit"].value == pytest.approx(float(law.c_mu(m) * fs * p), rel=1e-15)
    j = cli.json("bounds", "--d", d, "--n", n, "--m", m, "--law", "rademacher", "--p", "1/1000", "--digits", 50,
                 "--no-constructions")
    rows = j[0]["bounds"] if isinstance(j, list) else j["rows"][0]["bounds"]
    assert [r["name"] for r in rows] == [b.name for b in bs]
    for r, b in zip(rows, bs):
        assert (r["status"], r["side"], r["citation"]) == (b.status, b.side, b.citation)
        assert float(r["value"]) == pytest.approx(float(b.value), rel=1e-12)
    assert superpose.regime(d, m, p) == "very-sparse"


@pytest.mark.parametrize("law,d,n,m", [("discrete:1:999,10:1", 2, 3, 3),  # refuted by the search only (§5.5)
                                       ("laplace", 2, 6, 5),               # by the m + 1 lines family
                                       ("laplace", 2, 3, 3)])              # not refuted: the limit row, proved
def test_bounds_report_refuted_where_the_cli_does(cli, law, d, n, m):
    """The module's bounds() give first_order_limit the status, citation and certificate `superpose bounds` prints
    (one place: verify.hpp known_bounds); a certificate's exact gain, recomputed here, beats the bound."""
    by = {b.name: b for b in superpose.bounds(d, n, m, law, 1)}
    rows = cli.json("bounds", "--d", d, "--n", n, "--m", m, "--law", law, "--p", 1, "--no-constructions")
    row = {r["name"]: r for r in (rows[0]["bounds"] if isinstance(rows, list) else rows["rows"][0]["bounds"])}
    b, r = by["first_order_limit"], row["first_order_limit"]
    assert (b.status, b.side, b.citation) == (r["status"], r["side"], r["citation"])
    assert b.value == pytest.approx(float(r["value"]), rel=1e-12)
    if law == "laplace" and m == 3:
        assert (b.status, b.side, b.certificate) == ("proved-here", "limit", None)
        return
    assert b.status == "refuted"
    c = b.certificate
    assert c["p"] == Fraction(r["certificate"]["p"]) and c["gain"] == Fraction(r["certificate"]["gain"])
    assert [[str(x) for x in row_] for row_ in c["W"]] == r["certificate"]["W"]
    # The bound is the printed value c_mu*F*_n(2,m)*p; for d = 2, n <= m + 1, F*_n is n equally spaced lines
    # (docs/theory.md Lemma 5.12), n / sum_j cos(pi j/n)^(2m), exact here since cos^2(pi j/n) is in {0, 1/4, 1/2, 3/4,
    # 1} for n = 3, 6.
    cos2 = [Fraction(math.cos(math.pi * j / n) ** 2).limit_denominator(8) for j in range(n)]
    lines = Fraction(n) / sum(x ** m for x in cos2)
    assert c["bound"] == superpose.Law(law).c_mu(m) * lines * c["p"]
    exact = superpose.evaluate([[str(x) for x in row_] for row_ in c["W"]], m, law, c["p"], digits="exact")
    assert exact.gain == c["gain"] > c["bound"]


def test_law_moments():
    law = superpose.Law("discrete:1:3,2:1")  # mass 3/8 at +-1, 1/8 at +-2
    assert law.name == "discrete:1:3,2:1"
    assert [law.moment(k) for k in range(7)] == [1, 0, Fraction(7, 4), 0, Fraction(19, 4), 0, Fraction(67, 4)]
    assert isinstance(law.moment(2), Fraction)
    assert law.c_mu(3) == Fraction(19, 4) ** 2 / Fraction(67, 4)
    assert superpose.Law("gaussian").moment(8) == 105
    with pytest.raises(ValueError, match="unknown law"):
        superpose.Law("cauchy")
    with pytest.raises(ValueError, match="--m"):
        law.c_mu(4)
