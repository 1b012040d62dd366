# Type stubs of the superpose package (python/superpose/__init__.py and the compiled superpose._core).
# Shapes: W is (d, n) with layout="dn", (n, d) with layout="nd"; grad has the layout of the W given.
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import bows as bows

Number = Union[float, int, str, Fraction]
Value = Any  # float (double), mpmath.mpf (MPFR-50/100) or fractions.Fraction (exact)
ArrayLike = npt.ArrayLike
Digits = Union[None, int, str]  # None, 16, 50, 100 or "exact"

MAX_POWER: int

class InputError(ValueError): ...
class PrecisionError(InputError): ...

class Law:
    def __init__(self, spec: str) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def strongly_log_concave(self) -> bool: ...
    def moment(self, k: int) -> Fraction: ...
    def c_mu(self, m: int) -> Fraction: ...

class Evaluation:
    gain: Value
    loss: Value
    zero_loss: Value
    C: Value
    D: Value
    grad: Optional[np.ndarray]
    grad_exact: Optional[np.ndarray]
    rel_error: float
    gain_digits: Optional[int]
    computed_in: str
    precision_note: str
    convolution_rows: int

def evaluate(W: ArrayLike, m: int, law: Union[str, Law], p: Number, gradient: bool = ..., digits: Digits = ...,
             layout: str = ..., climb: bool = ..., threads: int = ...) -> Evaluation: ...
def certify(W: ArrayLike, m: int, law: Union[str, Law], p: Number, layout: str = ..., threads: int = ...,
            what: str = ...) -> Tuple[str, str]: ...

class Bound:
    name: str
    value: Value
    side: str
    status: str
    citation: str
    precision: str
    detail: str
    position: Optional[float]

def bounds(d: int, n: int, m: int, law: Union[str, Law], p: Number, digits: Optional[int] = ...) -> List[Bound]: ...
def f_star(d: int, m: int) -> Fraction: ...
def regime(d: int, m: int, p: Number) -> str: ...
