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
    certificate: Optional[Dict[str, Any]]

def bounds(d: int, n: int, m: int, law: Union[str, Law], p: Number, digits: Optional[int] = ...) -> List[Bound]: ...
def f_star(d: int, m: int) -> Fraction: ...
def regime(d: int, m: int, p: Number) -> str: ...

class Optimum:
    W: np.ndarray
    gain: Value
    gain_over_p: Value
    loss: Value
    zero_loss: Value
    grad_norm: Value
    polished: bool
    newton_steps: int
    polish_note: str
    geometry: Dict[str, Any]
    bounds: List[Bound]
    best_lower: Value
    proved_upper: Value
    position: Value
    starts: List[Dict[str, Any]]
    W_double: np.ndarray
    gain_double: float

def optimize(d: int, n: int, m: int, law: Union[str, Law], p: Number, seed: int = ..., starts: Optional[int] = ...,
             algorithm: str = ..., max_evals: int = ..., init: Optional[ArrayLike] = ..., polish: bool = ...,
             polish_max_params: int = ...) -> Optimum: ...
def sweep(d: int = ..., n: int = ..., m: int = ..., law: Union[str, Law] = ..., p_min_factor: float = ...,
          points: int = ..., out_dir: Optional[str] = ..., seed: int = ..., max_evals: int = ...,
          with_train: bool = ..., train_steps: int = ..., structured_starts: int = ..., random_starts: int = ...,
          check_points: int = ...) -> Any: ...  # list of dicts, or a pandas DataFrame
def verify(d: Sequence[int] = ..., n: Sequence[int] = ..., m: Sequence[int] = ..., laws: Sequence[str] = ...,
           p: str = ..., starts: int = ..., seed: int = ..., max_evals: int = ..., jobs: int = ...,
           out_jsonl: str = ..., resume: bool = ..., cert_dir: str = ...) -> Any: ...
def geometry(W: ArrayLike, m: int, layout: str = ...) -> Dict[str, Any]: ...
