from typing import Any, Dict, List
import numpy as np

class Run:
    W: np.ndarray  # float32 (d, V)
    b: np.ndarray  # float32 (V,)
    vocabulary: List[str]
    counts: List[int]
    relu: bool
    config: Dict[str, Any]
    data_dir: str
    dataset_id: str
    def word_index(self, word: str) -> int: ...

def load_run(path: str, data: str = ...) -> Run: ...
