"""superpose.bows: trained Bag-of-Words Superposition runs (bows/bows.hpp; docs/bows.md), for studying their
geometry in Python. Notation of BOWS: V vocabulary size (input dimension), d latent width; the tied autoencoder
x -> ReLU(W^T W x + b) (relu=False: the linear one)."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List

import numpy as np

from . import _core

__all__ = ["Run", "load_run"]


@dataclasses.dataclass(frozen=True)
class Run:
    """A trained run. W: numpy float32 (d, V), the tied weights as trained (float32, as in the checkpoint);
    b: float32 (V,), the decoder bias; vocabulary: the V words, vocabulary[j] is column j of W; counts: their
    occurrences in the training documents; relu: False for the linear autoencoder; config: the run's config.json;
    data_dir, dataset_id: the dataset folder it was checked against."""
    W: np.ndarray
    b: np.ndarray
    vocabulary: List[str]
    counts: List[int]
    relu: bool
    config: Dict[str, Any]
    data_dir: str
    dataset_id: str

    def word_index(self, word: str) -> int:
        """Column of W for `word`; raises KeyError if it is not in the vocabulary."""
        try:
            return self.vocabulary.index(word)
        except ValueError:
            raise KeyError(word) from None


def load_run(path: str, data: str = "") -> Run:
    """Reads a run folder written by `superpose bows train` (PATH/checkpoint.bin, PATH/config.json) and the
    vocabulary of the dataset it was trained on (`data`, or the folder config.json names). Raises
    superpose.InputError (ValueError) with the CLI's message: no run folder, a corrupt checkpoint (CRC-32), no data
    folder with the run's dataset id, or a vocabulary size that differs from the model's. Source:
    bows/bows.hpp load_trained_run."""
    if not hasattr(_core, "_bows_load_run"):
        raise ImportError("superpose was built without BOWS (bows/ is missing from the build)")
    r = _core._bows_load_run(str(path), str(data))
    return Run(W=r["W"], b=r["b"], vocabulary=list(r["vocabulary"]), counts=list(r["counts"]), relu=bool(r["relu"]),
               config=json.loads(r["config"]), data_dir=r["data_dir"], dataset_id=r["dataset_id"])
