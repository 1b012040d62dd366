"""superpose: exact losses, bounds and optimal weights of the tied power autoencoder, from Python.

The model (Basu Roy Chowdhury & Weiner, arXiv 2606.18538, Section 2; docs/theory.md §1): n features, hidden width d,
weights W (d x n), A = W^T W, output (A x)^m coordinatewise for an odd power m; inputs x_i = xi_i * b_i with
b_i ~ Bernoulli(p) (p is the feature probability) and xi_i from a symmetric law mu. C = E<x, (Ax)^m>,
D = E|(Ax)^m|^2, gain = 2C - D (paper Eq. 7), zero_loss = p*n*mu_2, loss = zero_loss - gain (Eq. 6).

Everything is computed by the C++ library (superpose._core, a pybind11 binding of theory/, verify/, bows/); this
layer only converts arguments (array-likes, Fractions, strings) and results (numpy, mpmath.mpf, Fraction).
Errors: bad input raises superpose.InputError, a subclass of ValueError, with the CLI's one-line message;
PrecisionError (a subclass of InputError) when a value cannot be computed in the requested precision.
The GIL is released during every computation; optimize, sweep and verify honour Ctrl-C (KeyboardInterrupt).
See docs/python.md.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._core import InputError, Law, PrecisionError, MAX_POWER
from . import bows

__all__ = [
    "Law", "InputError", "PrecisionError", "MAX_POWER", "Evaluation", "Bound", "evaluate", "certify", "bounds",
    "f_star", "regime", "Optimum", "optimize", "sweep", "verify", "geometry", "bows",
]

Number = Union[float, int, str, Fraction]


# ---------------------------------------------------------------------------------------------------------------
# Conversions (no arithmetic on model quantities happens here)
# ---------------------------------------------------------------------------------------------------------------

def _p_text(p: Number) -> str:
    """p as the text the library parses exactly: a str as given, a Fraction as "num/den", a float by its shortest
    round-trip decimal (repr: 1e-4 -> "0.0001", read as 1/10000), an int as itself."""
    if isinstance(p, bool):
        raise InputError("--p: the feature probability must be a number in (0, 1], not a bool")
    if isinstance(p, str):
        return p
    if isinstance(p, Fraction):
        return f"{p.numerator}/{p.denominator}"
    if isinstance(p, (int, np.integer)):
        return str(int(p))
    if isinstance(p, (float, np.floating)):
        return repr(float(p))
    raise InputError(f"--p: cannot read {type(p).__name__} {p!r} as a feature probability (give a float, str or Fraction)")


def _law_text(law: Union[str, Law]) -> str:
    return law.name if isinstance(law, Law) else str(law)


def _cell_text(x: Any) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, Fraction):
        return f"{x.numerator}/{x.denominator}"
    if isinstance(x, (bool, np.bool_)):
        raise InputError("W: entries must be numbers, not bools")
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        f = Fraction(float(x))  # the exact binary value (raises for nan/inf)
        return f"{f.numerator}/{f.denominator}"
    try:
        import mpmath
        if isinstance(x, mpmath.mpf):
            if not mpmath.isfinite(x):
                raise InputError(f"W: entry {x} is not a finite number")
            man, exp = x.man_exp
            f = Fraction(int(man)) * Fraction(2) ** int(exp)
            return f"{f.numerator}/{f.denominator}"
    except ImportError:
        pass
    raise InputError(f"W: cannot read entry {x!r} of type {type(x).__name__} (accepted: float, int, Fraction, "
                     "str such as '3/7' or '0.1')")


def _weights(W: Any, layout: str) -> Any:
    """W as the binding takes it, in the d x n layout: a 2-D float64 ndarray for numeric input, or rows of exact
    text for Fractions and strings (dtype object or str)."""
    if layout not in ("dn", "nd"):
        raise InputError(f"layout: unknown layout {layout!r} (accepted: 'dn' = d rows of n columns, 'nd' = n rows "
                         "of d, PyTorch's layout)")
    if hasattr(W, "detach") and hasattr(W, "cpu"):  # a torch.Tensor, without importing torch
        W = W.detach().cpu().numpy()
    try:
        a = W if isinstance(W, np.ndarray) else np.asarray(W)
    except ValueError as e:
        raise InputError(f"W: not a rectangular array (rows of unequal length?): {e}") from None
    if a.ndim != 2:
        raise InputError(f"W: expected a 2-D array (d rows of n columns), got {a.ndim} dimensions")
    if a.dtype.kind == "b":
        raise InputError("W: entries must be numbers, not bools")
    if layout == "nd":
        a = a.T
    if a.dtype.kind in "fiu":
        return np.ascontiguousarray(a, dtype=np.float64)
    return [[_cell_text(x) for x in row] for row in a.tolist()]


def _digits_code(digits: Any) -> int:
    if digits is None:
        return 16
    if digits == "exact":
        return 0
    if isinstance(digits, (int, np.integer)) and not isinstance(digits, bool) and int(digits) in (16, 50, 100):
        return int(digits)
    raise InputError(f"digits: unsupported precision {digits!r} (accepted: None (double), 16, 50, 100, 'exact')")


def _value(text: Any, digits: int) -> Any:
    """A library scalar as a Python number: float for double, mpmath.mpf (converted from the decimal string with
    mp.dps set locally to the type's digits) for MPFR, Fraction for exact rationals."""
    if digits == 16 or isinstance(text, float):
        return float(text)
    if digits == 0:
        return Fraction(text)
    import mpmath
    with mpmath.workdps(digits):
        return mpmath.mpf(text)


# ---------------------------------------------------------------------------------------------------------------
# evaluate, certify
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The exact evaluation of one W (theory.hpp Evaluation<T>). Values are float (computed_in "double"),
    mpmath.mpf ("MPFR-50", "MPFR-100") or fractions.Fraction ("exact rationals").

    gain = 2C - D (paper Eq. 7), loss = zero_loss - gain (Eq. 6), zero_loss = p*n*mu_2, in units of xi^2 summed
    over features. grad = d gain / d W as a numpy float64 array in the layout of the W given ((d, n) for "dn",
    (n, d) for "nd"), None unless gradient=True; grad_exact holds it in the result's type (an object array of mpf
    or Fraction; None for double). rel_error estimates the relative error of C and D (|gain error| <=
    rel_error*(2C + D); 0 when exact); gain_digits the correct significant digits of the gain (None when exact).
    computed_in names the type actually used: the evaluation climbs double -> MPFR-50 -> MPFR-100 -> exact when
    too few digits of the gain survive or W leaves double's range, as `superpose loss` does (precision_note says
    why; climb=False turns this off)."""
    gain: Any
    loss: Any
    zero_loss: Any
    C: Any
    D: Any
    grad: Optional[np.ndarray]
    grad_exact: Optional[np.ndarray]
    rel_error: float
    gain_digits: Optional[int]
    computed_in: str
    precision_note: str
    convolution_rows: int


def evaluate(W: Any, m: int, law: Union[str, Law], p: Number, gradient: bool = False,
             digits: Union[None, int, str] = None, layout: str = "dn", climb: bool = True,
             threads: int = 0) -> Evaluation:
    """Exact gain, loss and gradient of the tied power autoencoder x -> (W^T W x)^m at W.

    W: array-like (numpy, lists, a torch tensor) of shape (d, n) with layout="dn", or (n, d) with layout="nd"
    (n rows of d, as PyTorch code often stores W); floats, ints, Fractions, or strings such as "3/7" or "0.1"
    (read exactly). m: odd power 1..21. law: a Law or its spec ("gaussian", "rademacher", "uniform", "laplace",
    "discrete:v1:w1,..."). p: feature probability in (0, 1], a float (read as its shortest decimal), str or Fraction.
    digits: None (double, climbing when needed), 50 or 100 (MPFR, values as mpmath.mpf), "exact" (values as
    Fraction; floats in W are taken at their exact binary value). threads: 0 uses every core.
    Cost O(n^2 (d + m)) (docs/theory.md §2). Raises InputError (ValueError) with the CLI's message for a bad m, law,
    p, layout, digits or W (empty, ragged, non-finite); PrecisionError with climb=False when the type is too
    narrow. Source: theory.hpp evaluate / evaluate_with_ladder."""
    code = _digits_code(digits)
    Wc = _weights(W, layout)
    r = _core._evaluate(Wc, int(m), _law_text(law), _p_text(p), bool(gradient), code, bool(climb), int(threads))
    got = r["digits"]
    grad = r["grad"]
    grad_exact = None
    if grad is not None:
        if "grad_text" in r:
            grad_exact = np.array([[_value(x, got) for x in row] for row in r["grad_text"]], dtype=object)
        if layout == "nd":
            grad = np.ascontiguousarray(grad.T)
            grad_exact = None if grad_exact is None else grad_exact.T.copy()
    return Evaluation(gain=_value(r["gain"], got), loss=_value(r["loss"], got), zero_loss=_value(r["zero_loss"], got),
                      C=_value(r["C"], got), D=_value(r["D"], got), grad=grad, grad_exact=grad_exact,
                      rel_error=r["rel_error"], gain_digits=r["gain_digits"], computed_in=r["computed_in"],
                      precision_note=r["precision_note"], convolution_rows=r["convolution_rows"])


def certify(W: Any, m: int, law: Union[str, Law], p: Number, layout: str = "dn", threads: int = 0,
            what: str = "gain") -> Tuple[str, str]:
    """A certified enclosure (lo, hi) of the exact gain of W as given (decimal strings with 40 digits, rounded
    outward; interval arithmetic, MPFI, theory.hpp enclose_gain). W as in evaluate (floats at their exact binary
    value); what: "gain", "loss", "C", "D" or "zero_loss". Cost O(n^2 (d + m^2)) interval operations, about a
    second at d = 15, n = 200. Raises InputError for bad m, law, p, W or what."""
    if what not in ("gain", "loss", "C", "D", "zero_loss"):
        raise InputError(f"what: unknown quantity {what!r} (accepted: gain, loss, C, D, zero_loss)")
    r = _core._certify(_weights(W, layout), int(m), _law_text(law), _p_text(p), int(threads))
    return tuple(r[what])


# ---------------------------------------------------------------------------------------------------------------
# bounds
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Bound:
    """One bound on sup_W gain (theory.hpp Bound<T>): value in gain units; side "lower", "upper", "exact" or
    "limit"; status "proved-in-paper", "proved-here", "conjecture", "unreviewed-claim", "construction", "order" or
    "refuted"; citation the paper's equation/theorem or docs/theory.md section; precision of the value ("50 digits",
    ...); detail the parameters of a construction; certificate, for a refuted bound only (else None), the exact
    counterexample as {"W": rows of Fractions (d x k, k <= n), "p", "gain", "bound": Fractions, "family": str} with
    gain > bound at that p (the same certificate `superpose bounds` prints)."""
    name: str
    value: Any
    side: str
    status: str
    citation: str
    precision: str = ""
    detail: str = ""
    certificate: Optional[Dict[str, Any]] = None


def bounds(d: int, n: int, m: int, law: Union[str, Law], p: Number, digits: Optional[int] = None) -> List[Bound]:
    """Every closed-form bound on sup_W gain at (d, n, m, law, p), in the library's fixed order (zero_loss,
    unsuperposed, linear (m = 1), tensor_rank_upper, split_upper, gaussian_stein_upper (gaussian), first_order_limit,
    theorem_2_2_lower_order, theorem_2_2_upper_order, followup_upper (m >= 3)), with the statuses `superpose bounds`
    prints (first_order_limit `refuted` with its certificate where one is known). digits: None (float), 50 or 100
    (mpmath.mpf). Raises InputError for d, n < 1, bad m, law or p. Source: verify.hpp known_bounds."""
    code = _digits_code(digits)
    rows = _core._bounds(int(d), int(n), int(m), _law_text(law), _p_text(p), code)
    return [Bound(**{**r, "value": _value(r["value"], code)}) for r in rows]


def f_star(d: int, m: int) -> Fraction:
    """F*(d, m) = d(d+2)...(d+2m-2)/(2m-1)!!, exact (docs/theory.md §5): the very sparse limit of sup gain/(c_mu p)
    from the design size C(d+2m-1, 2m) on; below it the limit is F*_n(d, m) <= F*(d, m) (Theorem 5.5)."""
    return _core._f_star(int(d), int(m))


def regime(d: int, m: int, p: Number) -> str:
    """Regime of Theorem 2.2 at p: "very-sparse" (p <= d^-m), "intermediate" (<= d^(1-m)) or "dense"."""
    return _core._regime(int(d), int(m), _p_text(p))


def _rows_out(rows: List[dict]) -> Any:
    """Rows as a pandas DataFrame when pandas imports, else the list of dicts itself."""
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# optimize, sweep, verify, geometry (search/search.hpp, verify/verify.hpp)
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Optimum:
    """The best optimum found by optimize over its starts (search.hpp OptimizeResult; not a certified global one). W: numpy float64 (d, n), the polished
    MPFR-50 weights rounded to double; gain, loss, zero_loss, gain_over_p, grad_norm (the Frobenius norm of
    d gain/dW at W, MPFR-50): mpmath.mpf with 50 digits. geometry: dict (eigenvalues of A = W^T W, column norms,
    represented, dimensionality, max_cos, design_defects). bounds: the closed-form bounds at p (50 digits);
    best_lower (largest construction), proved_upper (smallest proved upper bound) and position =
    (gain - best_lower)/(proved_upper - best_lower): where the optimum lies between them. starts: one dict per
    start (kind, start_gain_over_p, gain_over_p, evals, status, ok)."""
    W: np.ndarray
    gain: Any
    gain_over_p: Any
    loss: Any
    zero_loss: Any
    grad_norm: Any
    polished: bool
    newton_steps: int
    polish_note: str
    geometry: dict
    bounds: List[Bound]
    best_lower: Any
    proved_upper: Any
    position: Any
    starts: List[dict]
    W_double: np.ndarray
    gain_double: float


def optimize(d: int, n: int, m: int, law: Union[str, Law], p: Number, seed: int = 1, starts: Optional[int] = None,
             algorithm: str = "lbfgs", max_evals: int = 20000, init: Any = None, polish: bool = True,
             polish_max_params: int = 400) -> Optimum:
    """Maximises the gain over W in R^{d x n} at p: multi-start NLopt in double (structured starts first: the
    unsuperposed W, the d = 2 projective design, seeded tight frames; random Gaussian starts fill up to `starts`,
    default 32), then Newton polish in MPFR-50 (search.hpp optimize_weights). init: an extra (d, n) start.
    algorithm: lbfgs, mma, slsqp, bobyqa, mlsl. The GIL is released; Ctrl-C raises KeyboardInterrupt after the
    current start. Raises InputError for bad sizes, m, law, p, algorithm, starts or init shape."""
    r = _core._optimize(int(d), int(n), int(m), _law_text(law), _p_text(p), int(seed),
                        32 if starts is None else int(starts), str(algorithm), int(max_evals),
                        None if init is None else np.ascontiguousarray(np.asarray(init, dtype=np.float64)),
                        bool(polish), int(polish_max_params))
    v = lambda k: _value(r[k], 50)
    return Optimum(W=r["W"], gain=v("gain"), gain_over_p=v("gain_over_p"), loss=v("loss"), zero_loss=v("zero_loss"),
                   grad_norm=v("grad_norm"), polished=r["polished"], newton_steps=r["newton_steps"],
                   polish_note=r["polish_note"], geometry=r["geometry"],
                   bounds=[Bound(**{**b, "value": _value(b["value"], 50)}) for b in r["bounds"]],
                   best_lower=v("best_lower"), proved_upper=v("proved_upper"), position=v("position"),
                   starts=r["starts"], W_double=r["W_double"], gain_double=r["gain_double"])


def sweep(d: int = 10, n: int = 1000, m: int = 3, law: Union[str, Law] = "gaussian", p_min_factor: float = 0.01,
          points: int = 20, out_dir: Optional[str] = None, seed: int = 1, max_evals: int = 250,
          with_train: bool = False, train_steps: int = 300, structured_starts: int = 3, random_starts: int = 1,
          check_points: int = 3) -> Any:
    """The gain against p (the paper's Figure 3): p log-spaced from d^-m * p_min_factor to 1, each point L-BFGS
    from the previous optimum (warm start) and from the `structured_starts` best structured starts and
    `random_starts` random ones (verify.hpp run_sweep, as `superpose sweep`). Self-check: at `check_points` points
    (first, middle, last) the full optimize also runs; its gain is the row's `optimize_gain` (None elsewhere), and
    a row whose gain is below it by more than 1e-6 relative means the sweep missed the optimum there. Returns one row
    per p (p, p_value, gain, log_d_p, log_d_gain, slope, first_order_limit, tensor_rank_upper, represented, evals,
    start, optimize_gain, seconds; train_gain with with_train) as a list of dicts, or a pandas DataFrame when pandas
    imports.
    out_dir receives sweep.csv (default: a temporary folder, removed afterwards). Ctrl-C raises KeyboardInterrupt
    after the current point. Raises InputError for bad sizes, law, p_min_factor or points."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="superpose-sweep-") as tmp:
        rows = _core._sweep(int(d), int(n), int(m), _law_text(law), float(p_min_factor), int(points),
                            str(out_dir) if out_dir is not None else tmp, int(seed), int(max_evals), bool(with_train),
                            int(train_steps), int(structured_starts), int(random_starts), int(check_points))
    return _rows_out(list(rows))


def verify(d: Sequence[int] = (2, 3, 4), n: Sequence[int] = (8, 20), m: Sequence[int] = (3, 5),
           laws: Sequence[str] = ("rademacher", "gaussian"), p: str = "1e-6:1e-1:6", starts: int = 8, seed: int = 1,
           max_evals: int = 20000, jobs: int = 1, out_jsonl: str = "", resume: bool = False,
           cert_dir: str = "") -> Any:
    """Runs optimize at every point of the grid d x n x m x laws x p (p: "v", "v1,v2" or "lo:hi:count") and checks
    every proved bound there (verify.hpp run_verify). Returns one row per point (index, d, n, m, law, p, regime,
    gain (50-digit string), gain_over_p, grad_norm, polished, represented, checks (list of {name, status, ratio,
    detail}), over_first_order_limit, first_order_limit_status and first_order_limit_citation (as bounds() gives
    them: "refuted" where a certificate is known), over_followup_upper, over_order_lower, over_order_upper, pass,
    certificate, exact_gain) as a list of dicts, or a pandas DataFrame when pandas imports. out_jsonl/resume: a JSON-lines
    checkpoint as `superpose verify --out`. Ctrl-C raises KeyboardInterrupt after the current point. Raises
    InputError for a bad grid."""
    rows = _core._verify([int(x) for x in d], [int(x) for x in n], [int(x) for x in m], [_law_text(x) for x in laws],
                         str(p), int(starts), int(seed), int(max_evals), int(jobs), str(out_jsonl), bool(resume),
                         str(cert_dir))
    return _rows_out(list(rows))


def geometry(W: Any, m: int, layout: str = "dn") -> dict:
    """Geometry of W (search.hpp geometry): eigenvalues of A = W^T W (the min(d, n) largest, descending), column
    norms, represented features, dimensionality D_i (Elhage et al. 2022), max |cos| between represented features,
    and the design defects delta_k, k = 1..m (all 0 for a weighted projective 2m-design)."""
    Wc = _weights(W, layout)
    if not isinstance(Wc, np.ndarray):
        Wc = np.array([[float(Fraction(x)) for x in row] for row in Wc])
    return _core._geometry(Wc, int(m))
