"""superpose.bows.load_run against the CLI of the same build: a tiny corpus prepared and trained by
`superpose bows prepare/train`, its vocabulary against vocab.tsv read here, and the category cosines computed here
with numpy from the loaded W against those `superpose bows analyze --what similarity` wrote (an independent code
path: C++ float32 statistics against numpy float64 on the same weights)."""
import csv
import itertools
import random

import numpy as np
import pytest


import superpose.bows as sb

MONTHS = "January February March April May June July August September October November December".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from conftest import cli_path
    import subprocess
    root = tmp_path_factory.mktemp("bows")
    txt = root / "txt"
    txt.mkdir()
    rng = random.Random(1)
    words = ("the cat dog sat on mat in january february march april may june july monday tuesday red blue green "
             "house tree river city king queen").split()
    for k in range(4):
        (txt / f"doc{k}.txt").write_text(
            "\n".join(" ".join(rng.choice(words) for _ in range(15)) for _ in range(100)) + "\n")
    cli = cli_path()

    def run(*args):
        r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 0, (args, r.stderr)
    run("bows", "prepare", "--corpus", f"text:{txt}", "--vocab", 45, "--window", 5, "--heldout", 0.25,
        "--out", root / "data")
    run("bows", "train", "--data", root / "data", "--out", root / "run", "--d", 4, "--steps", 20, "--batch", 16,
        "--checkpoint-every", 10, "--eval-windows", 16)
    run("bows", "analyze", root / "run", "--what", "similarity", "--top", 10, "--no-plot")
    return root


def test_load_run_shapes_and_vocabulary(tiny_run):
    r = sb.load_run(str(tiny_run / "run"))
    assert r.W.shape == (4, 45) and r.W.dtype == np.float32
    assert r.b.shape == (45,)
    assert r.relu is True
    with open(tiny_run / "data" / "vocab.tsv") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    assert rows[0] == ["index", "word", "count"]
    assert r.vocabulary == [w for _, w, _ in rows[1:]]
    assert r.counts == [int(c) for _, _, c in rows[1:]]
    assert r.config["d"] == 4
    assert np.all(np.isfinite(r.W)) and np.any(r.W != 0)


def test_load_run_category_cosines_match_the_cli(tiny_run):
    r = sb.load_run(str(tiny_run / "run"))
    with open(tiny_run / "run" / "analysis" / "similarity_categories.csv") as f:
        cli_mean = {row["category"]: float(row["mean_within_cosine"]) for row in csv.DictReader(f)}
    for name, group in [("months", MONTHS), ("days", DAYS)]:
        U = r.W[:, [r.word_index(w) for w in group]].astype(np.float64)
        U /= np.linalg.norm(U, axis=0)
        ours = np.mean([U[:, i] @ U[:, j] for i, j in itertools.combinations(range(len(group)), 2)])
        # the CSV prints 5 significant digits
        assert ours == pytest.approx(cli_mean[name], abs=5e-6 + 5e-5 * abs(cli_mean[name])), name


def test_load_run_refuses_a_corrupt_checkpoint(tiny_run, tmp_path):
    import shutil
    bad = tmp_path / "run"
    shutil.copytree(tiny_run / "run", bad)
    blob = bytearray((bad / "checkpoint.bin").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (bad / "checkpoint.bin").write_bytes(bytes(blob))
    with pytest.raises(ValueError):
        sb.load_run(str(bad), str(tiny_run / "data"))
    with pytest.raises(KeyError):
        sb.load_run(str(tiny_run / "run")).word_index("NotAWord")
    with pytest.raises(ValueError):
        sb.load_run(str(tmp_path / "missing"))
