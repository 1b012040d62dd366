#!/usr/bin/python3
"""Generator of tests/data/gain_reference.ipp: exact C, D and gain of the tied power autoencoder, independently of
the engine (theory/), for tests/test_reference.cpp.

Model (docs/theory.md): x_i = xi_i * b_i with b_i ~ Bernoulli(p) and xi_i ~ mu iid (mu symmetric, moments mu_k, odd
moments 0), A = W^T W (n x n), S_i = (A x)_i, C = sum_i E[x_i S_i^m], D = sum_i E[S_i^(2m)], gain = 2C - D, m odd.

Route (shares no code with the engine, which sums cumulants and converts them to moments): moment convolution in
exact rationals. For row i, S_i = A_ii x_i + Z_i with Z_i = sum_{j != i} A_ij x_j, a sum of independent terms whose
moments are E[(A_ij x_j)^k] = A_ij^k p mu_k (k >= 1; 1 for k = 0). The moments of Z_i up to order 2m are built by
convolving one term at a time, E(U+V)^r = sum_s C(r,s) E U^s E V^(r-s); then
    C_i = sum_s C(m,s) A_ii^s E[x^(s+1)] E[Z_i^(m-s)],   D_i = sum_s C(2m,s) A_ii^s E[x^s] E[Z_i^(2m-s)].
Cross-checks asserted for every case where they apply:
  * brute force (discrete laws and rademacher, small n): every support subset T of {1..n} (probability
    p^|T| (1-p)^(n-|T|)) and every assignment of atoms to T, summing x_i S_i^m and S_i^(2m) for every row i;
  * closed form at m = 1: C = p mu_2 tr(A), D = p mu_2 ||A||_F^2.
Each value is printed to 100 significant decimal digits, correctly rounded (half to even) by integer arithmetic.

Standard library only (fractions, itertools, math). Usage:
    /usr/bin/python3 tests/tools/make_reference.py --out tests/data/gain_reference.ipp   # regenerate
    /usr/bin/python3 tests/tools/make_reference.py --check tests/data/gain_reference.ipp # exit 1 if it differs
    /usr/bin/python3 tests/tools/make_reference.py                                       # table on stdout
Exit codes: 0 success, 1 check failed (table differs, or a cross-check disagreed), 2 bad command line.
"""

import itertools
import math
import os
import sys
from fractions import Fraction

DIGITS = 100
COMMAND = "/usr/bin/python3 tests/tools/make_reference.py --out tests/data/gain_reference.ipp"
BRUTE_FORCE_LIMIT = 3000  # enumerate when (1 + number of atoms)^n is at most this


class InputError(Exception):
    pass


# ------------------------------------------------------------------------------------------------------------------
# Exact numbers, the grammar of numerics/numerics.cpp parse_rational (re-implemented, not shared)
# ------------------------------------------------------------------------------------------------------------------

def _bad(text, what):
    raise InputError(f"{what}: '{text}' is not a number (accepted: integers, decimals such as 0.25 or 1e-6, "
                     "fractions such as 3/7)")


def _parse_decimal(s, original, what):
    """[+-]digits[.digits][(e|E)[+-]digits], at least one digit, exponent of 1..6 digits."""
    i, negative = 0, False
    if i < len(s) and s[i] in "+-":
        negative = s[i] == "-"
        i += 1
    mantissa, frac_digits, seen_point = "", 0, False
    while i < len(s):
        c = s[i]
        if c.isdigit() and c.isascii():
            mantissa += c
            frac_digits += seen_point
        elif c == "." and not seen_point:
            seen_point = True
        else:
            break
        i += 1
    if not mantissa:
        _bad(original, what)
    exponent = 0
    if i < len(s):
        if s[i] not in "eE":
            _bad(original, what)
        i += 1
        eneg = False
        if i < len(s) and s[i] in "+-":
            eneg = s[i] == "-"
            i += 1
        ed = s[i:]
        if not ed or not (ed.isdigit() and ed.isascii()) or len(ed) > 6:
            _bad(original, what)
        exponent = -int(ed) if eneg else int(ed)
    q = Fraction(int(mantissa)) * Fraction(10) ** (exponent - frac_digits)
    return -q if negative else q


def parse_rational(text, what):
    s = text.strip(" \t\n\v\f\r")
    if not s:
        _bad(text, what)
    if "/" in s:
        a, b = s.split("/", 1)
        num = _parse_decimal(a.strip(" \t\n\v\f\r"), text, what)
        den = _parse_decimal(b.strip(" \t\n\v\f\r"), text, what)
        if den == 0:
            raise InputError(f"{what}: '{text}' has a zero denominator")
        return num / den
    return _parse_decimal(s, text, what)


# ------------------------------------------------------------------------------------------------------------------
# Laws: the grammar of theory/law.cpp Law::parse (re-implemented), moments from their closed forms
# ------------------------------------------------------------------------------------------------------------------

class Law:
    def __init__(self, spec):
        self.spec = spec
        self.atoms = None  # [(value, probability)] for rademacher and discrete laws
        if spec == "rademacher":
            self.kind, self.atoms = spec, [(Fraction(-1), Fraction(1, 2)), (Fraction(1), Fraction(1, 2))]
        elif spec in ("gaussian", "uniform", "laplace"):
            self.kind = spec
        elif spec.startswith("discrete:"):
            self.kind = "discrete"
            self.atoms = self._parse_discrete(spec[len("discrete:"):])
            if self.moment(2) == 0:
                raise InputError("law: the discrete law is degenerate (all mass at 0, so mu_2 = 0)")
        else:
            raise InputError(f"law: unknown law '{spec}' (accepted: rademacher, gaussian, uniform, laplace, "
                             "discrete:v1:w1,v2:w2,...)")
        self._moments = {}

    @staticmethod
    def _parse_discrete(body):
        if not body:
            raise InputError("law: the discrete law is empty (write discrete:v1:w1,v2:w2,...)")
        mass, total, any_negative = {}, Fraction(0), False
        for item in body.split(","):
            parts = item.split(":")
            if len(parts) != 2:
                raise InputError(f"law: discrete atom '{item}' is not value:weight (write discrete:v1:w1,v2:w2,...)")
            v = parse_rational(parts[0], "law value")
            w = parse_rational(parts[1], "law weight")
            if w <= 0:
                raise InputError(f"law: weight '{parts[1]}' must be positive")
            any_negative |= v < 0
            mass[v] = mass.get(v, Fraction(0)) + w
            total += w
        if any_negative:
            for v, w in mass.items():
                if mass.get(-v) != w:
                    raise InputError(f"law: the discrete law is asymmetric (the weight at {v} differs from the "
                                     f"weight at {-v})")
            sym = dict(mass)
        else:
            sym = {}
            for v, w in mass.items():
                for value, share in ([(v, w)] if v == 0 else [(v, w / 2), (-v, w / 2)]):
                    sym[value] = sym.get(value, Fraction(0)) + share
        return sorted((v, w / total) for v, w in sym.items())

    def moment(self, k):
        """mu_k = E xi^k, exact."""
        if k == 0:
            return Fraction(1)
        if k % 2:
            return Fraction(0)
        if self.atoms is not None:
            return sum((w * v ** k for v, w in self.atoms), Fraction(0))
        if k not in self._moments:
            if self.kind == "gaussian":  # (k-1)!!
                self._moments[k] = Fraction(math.prod(range(k - 1, 0, -2)))
            elif self.kind == "uniform":  # int_{-1}^{1} t^k dt / 2
                self._moments[k] = Fraction(1, k + 1)
            else:  # laplace: int_0^inf t^k e^{-t} dt = k!
                self._moments[k] = Fraction(math.factorial(k))
        return self._moments[k]


# ------------------------------------------------------------------------------------------------------------------
# The three routes
# ------------------------------------------------------------------------------------------------------------------

def gram(W, d, n):
    return [[sum((W[r][i] * W[r][j] for r in range(d)), Fraction(0)) for j in range(n)] for i in range(n)]


def by_convolution(A, m, law, p):
    """Per-row (C_i, D_i) by moment convolution."""
    n, top = len(A), 2 * m
    ex = [Fraction(1)] + [p * law.moment(k) for k in range(1, top + 1)]  # E[x^k]
    rows = []
    for i in range(n):
        z = [Fraction(1)] + [Fraction(0)] * top  # moments of the empty sum
        for j in range(n):
            if j == i or A[i][j] == 0:
                continue
            a2 = A[i][j] ** 2
            t = [Fraction(1)] + [Fraction(0)] * top
            for k in range(2, top + 1, 2):
                t[k] = a2 ** (k // 2) * ex[k]
            z = [sum((math.comb(r, s) * t[s] * z[r - s] for s in range(0, r + 1, 2)), Fraction(0)) if r % 2 == 0
                 else Fraction(0) for r in range(top + 1)]
        a = A[i][i]
        c = sum((math.comb(m, s) * a ** s * ex[s + 1] * z[m - s] for s in range(m + 1)), Fraction(0))
        dd = sum((math.comb(top, s) * a ** s * ex[s] * z[top - s] for s in range(top + 1)), Fraction(0))
        rows.append((c, dd))
    return rows


def brute_force_size(law, n):
    return None if law.atoms is None else (1 + len(law.atoms)) ** n


def by_enumeration(A, m, law, p):
    """Per-row (C_i, D_i) by summing over every support subset and every atom assignment."""
    n = len(A)
    C, D = [Fraction(0)] * n, [Fraction(0)] * n
    for size in range(n + 1):
        p_support = p ** size * (1 - p) ** (n - size)
        if p_support == 0:
            continue
        for support in itertools.combinations(range(n), size):
            for choice in itertools.product(law.atoms, repeat=size):
                prob = p_support * math.prod((w for _, w in choice), start=Fraction(1))
                x = [Fraction(0)] * n
                for j, (v, _) in zip(support, choice):
                    x[j] = v
                for i in range(n):
                    s = sum((A[i][j] * x[j] for j in support), Fraction(0))
                    C[i] += prob * x[i] * s ** m
                    D[i] += prob * s ** (2 * m)
    return list(zip(C, D))


def closed_form_m1(A, law, p):
    n = len(A)
    return (p * law.moment(2) * sum(A[i][i] for i in range(n)),
            p * law.moment(2) * sum(A[i][j] ** 2 for i in range(n) for j in range(n)))


# ------------------------------------------------------------------------------------------------------------------
# Exact decimal output
# ------------------------------------------------------------------------------------------------------------------

def to_decimal(q, digits=DIGITS):
    """q to `digits` significant digits, correctly rounded (half to even), in the style of printf %g: fixed for
    decimal exponents -4..digits-1, else scientific with at least two exponent digits; trailing zeros dropped."""
    if q == 0:
        return "0"
    sign, q = ("-" if q < 0 else ""), abs(q)
    e = len(str(q.numerator)) - len(str(q.denominator))  # 10^(e-1) < q < 10^(e+1)
    while q >= Fraction(10) ** (e + 1):
        e += 1
    while q < Fraction(10) ** e:
        e -= 1
    scaled = q / Fraction(10) ** (e - digits + 1)  # in [10^(digits-1), 10^digits)
    N, rem = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rem
    if twice > scaled.denominator or (twice == scaled.denominator and N % 2 == 1):
        N += 1
    if N == 10 ** digits:
        N, e = 10 ** (digits - 1), e + 1
    ds = str(N)
    assert len(ds) == digits
    if -4 <= e < digits:
        if e >= 0:
            head, tail = ds[:e + 1], ds[e + 1:].rstrip("0")
        else:
            head, tail = "0", ("0" * (-e - 1) + ds).rstrip("0")
        return sign + head + ("." + tail if tail else "")
    tail = ds[1:].rstrip("0")
    return f"{sign}{ds[0]}{'.' + tail if tail else ''}e{'-' if e < 0 else '+'}{abs(e):02d}"


# ------------------------------------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------------------------------------

class Lcg:
    """A fixed 64-bit linear congruential sequence, so the table depends on no library's random generator."""

    def __init__(self, seed):
        self.state = seed

    def below(self, k):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        return (self.state >> 33) % k


DYADIC = ["-1", "-3/4", "-1/2", "-1/4", "0", "1/4", "1/2", "3/4", "1"]
DECIMAL = ["-1.25", "-0.7", "-0.3", "-0.1", "0", "0.1", "0.3", "0.7", "1.25"]
LEGACY_LAWS = ["rademacher", "gaussian", "uniform", "laplace", "discrete:1/2:1,2:3"]
HEAVY_LAWS = ["discrete:0:1,1:1,10:1", "discrete:1:100,20:1"]


def random_w(rng, d, n, menu):
    return [[menu[rng.below(len(menu))] for _ in range(n)] for _ in range(d)]


def dominant_w(rng, n, ratio, sign):
    """d = 2. Feature 0 is short (length 1/ratio), feature 1 is long (length ratio) and (anti)parallel to it, so
    in row 0 the off-diagonal A_01 = sign is ratio^2 times the diagonal A_00; the other features are small."""
    cols = [[f"1/{ratio}", "0"], [f"{sign * ratio}", "1/8"]]
    for _ in range(n - 2):
        cols.append([DYADIC[2 + rng.below(5)] for _ in range(2)])  # entries in -1/2..1/2
    return [[cols[j][r] for j in range(n)] for r in range(2)]


def cases():
    rng = Lcg(20261122)
    out = []
    # Block 1: the coverage of the earlier table; every law at m = 1..7 over six decades of p.
    count = 0
    for law in LEGACY_LAWS:
        for m in (1, 3, 5, 7):
            for p in ("1/1000000", "1/100", "1/3", "1"):
                d, n = 2 + count % 3, 4 + (count * 7) % 9
                out.append((law, m, p, d, n, random_w(rng, d, n, DECIMAL if count % 4 == 3 else DYADIC)))
                count += 1
    # Block 2: large powers, every law including heavy-tailed discrete ones, small to full p.
    for law in LEGACY_LAWS + HEAVY_LAWS:
        for m in (9, 11, 15, 21):
            for p in ("1/1000", "1/2", "1"):
                d, n = 2 + count % 2, 3 + count % 4
                out.append((law, m, p, d, n, random_w(rng, d, n, DYADIC if count % 3 else DECIMAL)))
                count += 1
    # Block 3: one off-diagonal A_ij dominating its row, heavy tails and laplace, at p = 1/2 and 1, every power.
    for law in ("rademacher", "laplace") + tuple(HEAVY_LAWS):
        for m in (1, 3, 5, 7, 9, 11, 15, 21):
            for p in ("1/2", "1"):
                n = 3 + count % 3
                out.append((law, m, p, 2, n, dominant_w(rng, n, 4 if count % 2 else 10, 1 if count % 3 else -1)))
                count += 1
    return out


def evaluate_case(law_spec, m, p_text, d, n, W_text, stats):
    law = Law(law_spec)
    p = parse_rational(p_text, "p")
    W = [[parse_rational(t, "W") for t in row] for row in W_text]
    A = gram(W, d, n)
    rows = by_convolution(A, m, law, p)
    size = brute_force_size(law, n)
    if size is not None and size <= BRUTE_FORCE_LIMIT:
        if by_enumeration(A, m, law, p) != rows:
            raise AssertionError(f"enumeration disagrees with convolution: {law_spec} m={m} p={p_text} W={W_text}")
        stats["enumerated"] += 1
    C = sum((c for c, _ in rows), Fraction(0))
    D = sum((dd for _, dd in rows), Fraction(0))
    if m == 1:
        if closed_form_m1(A, law, p) != (C, D):
            raise AssertionError(f"m = 1 closed form disagrees: {law_spec} p={p_text} W={W_text}")
        stats["closed_form"] += 1
    if C == 0 or D == 0:
        raise AssertionError(f"C or D is zero (relative errors undefined): {law_spec} m={m} p={p_text}")
    return C, D, 2 * C - D


def table():
    stats = {"enumerated": 0, "closed_form": 0}
    lines = [
        "// Generated by tests/tools/make_reference.py (exact rationals by moment convolution; no engine code);",
        "// do not edit. Regenerate with:",
        f"//   {COMMAND}",
        "// Fields: law, m, p, d, n, W (row-major), C, D, gain; each value exact, printed to 100 significant digits,",
        "// correctly rounded.",
    ]
    all_cases = cases()
    for law, m, p, d, n, W in all_cases:
        C, D, gain = evaluate_case(law, m, p, d, n, W, stats)
        entries = ",".join(t for row in W for t in row)
        lines.append(f'{{"{law}", {m}, "{p}", {d}, {n}, "{entries}",')
        lines.append(f' "{to_decimal(C)}",')
        lines.append(f' "{to_decimal(D)}",')
        lines.append(f' "{to_decimal(gain)}"}},')
    return "\n".join(lines) + "\n", len(all_cases), stats


def self_test():
    """The decimal conversion and the parser on values with known text; raises AssertionError on a mismatch."""
    assert to_decimal(Fraction(1, 3), 5) == "0.33333"
    assert to_decimal(Fraction(2, 3), 5) == "0.66667"
    assert to_decimal(Fraction(125, 10 ** 8), 2) == "1.2e-06"  # tie, half to even
    assert to_decimal(Fraction(135, 10 ** 8), 2) == "1.4e-06"
    assert to_decimal(Fraction(99999, 1), 3) == "1e+05"
    assert to_decimal(Fraction(-9995, 10), 3) == "-1e+03"
    assert to_decimal(Fraction(12345, 100), 100) == "123.45"
    assert parse_rational(" -2.5E+3 ", "x") == -2500 and parse_rational("3/-6", "x") == Fraction(-1, 2)
    assert parse_rational(".5", "x") == Fraction(1, 2) and parse_rational("1e-6", "x") == Fraction(1, 10 ** 6)
    for bad in ("", "1/0", "nan", "1e", "1e1234567", "1.2.3", "--1", "1/2/3"):
        try:
            parse_rational(bad, "x")
        except InputError:
            continue
        raise AssertionError(f"parse_rational accepted '{bad}'")
    law = Law("discrete:1/2:1,2:3")
    assert law.atoms == [(-2, Fraction(3, 8)), (Fraction(-1, 2), Fraction(1, 8)), (Fraction(1, 2), Fraction(1, 8)),
                         (2, Fraction(3, 8))]
    assert Law("discrete:-1:1,1:1,0:2").moment(2) == Fraction(1, 2)


def main(argv):
    usage = ("usage: make_reference.py [--out FILE | --check FILE] (table on stdout without options; "
             "--out writes FILE atomically; --check exits 1 unless FILE is byte-identical to the table)")
    if len(argv) not in (0, 2) or (argv and argv[0] not in ("--out", "--check")):
        print(f"make_reference.py: bad arguments {' '.join(argv) or '(none)'}; {usage}", file=sys.stderr)
        return 2
    mode, path = (argv[0], argv[1]) if argv else (None, None)
    if mode == "--out" and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        print(f"make_reference.py: --out {path}: the folder does not exist", file=sys.stderr)
        return 2
    if mode == "--check" and not os.path.isfile(path):
        print(f"make_reference.py: --check {path}: no such file", file=sys.stderr)
        return 2
    try:
        self_test()
        text, count, stats = table()
    except AssertionError as e:
        print(f"make_reference.py: cross-check failed: {e}", file=sys.stderr)
        return 1
    summary = (f"{count} cases; enumeration cross-checked {stats['enumerated']}, "
               f"m = 1 closed form {stats['closed_form']}")
    if mode is None:
        sys.stdout.write(text)
    elif mode == "--out":
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    else:
        with open(path, "rb") as f:
            if f.read() != text.encode("ascii"):
                print(f"make_reference.py: {path} differs from the generated table; regenerate with {COMMAND}",
                      file=sys.stderr)
                return 1
    print(f"make_reference.py: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
