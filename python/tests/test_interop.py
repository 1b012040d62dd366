"""The CLI reads and writes .npy files (numerics read_matrix_npy / matrix_to_npy): numpy.save files in C and Fortran
order, float64 and float32, versions 1.0 and 2.0, give the gain of the same W given to the module; --grad x.npy is
what the module returns; bad .npy files are refused with a one-line message."""
import numpy as np
import pytest

import superpose

W = np.array([[0.5, -0.25, 0.125, 0.75], [0.25, 0.5, -0.5, 0.1], [-0.125, 0.3, 0.625, -0.25]])


def cli_gain(cli, path, *extra):
    return cli.json("loss", "--weights", path, "--m", 3, "--law", "gaussian", "--p", "0.01", *extra)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cli_reads_npy(cli, tmp_path, order, dtype):
    a = np.array(W, dtype=dtype, order=order)
    np.save(tmp_path / "W.npy", a)
    j = cli_gain(cli, tmp_path / "W.npy", "--exact")
    # The .npy entries are read at their exact binary value: the same exact gain as the module's.
    from fractions import Fraction
    ev = superpose.evaluate(a.astype(np.float64), 3, "gaussian", "0.01", digits="exact")
    assert Fraction(j["gain"]) == ev.gain


def test_cli_reads_npy_version_2_and_layout_nd(cli, tmp_path):
    with open(tmp_path / "W2.npy", "wb") as f:
        np.lib.format.write_array(f, W.T.copy(), version=(2, 0))
    j = cli_gain(cli, tmp_path / "W2.npy", "--layout", "nd")
    assert float(j["gain"]) == pytest.approx(superpose.evaluate(W, 3, "gaussian", "0.01").gain,
                                             rel=10.0 ** (1 - j["correct_digits"]["gain"]))


def test_cli_writes_npy_gradient(cli, tmp_path):
    np.save(tmp_path / "W.npy", W)
    cli("loss", "--weights", tmp_path / "W.npy", "--m", 3, "--law", "gaussian", "--p", "0.01", "--grad",
        tmp_path / "g.npy")
    g = np.load(tmp_path / "g.npy")
    assert g.shape == W.shape and g.dtype == np.float64
    ev = superpose.evaluate(W, 3, "gaussian", 0.01, gradient=True)
    assert np.allclose(g, ev.grad, rtol=1e-14, atol=0)


@pytest.mark.parametrize("make,expect", [
    (lambda p: np.save(p, W.astype(">f8")), "dtype '>f8'"),
    (lambda p: np.save(p, W.astype(np.int64)), "dtype '<i8'"),
    (lambda p: np.save(p, W[0]), "shape (4,)"),
    (lambda p: np.save(p, np.zeros((0, 3))), "shape (0, 3)"),
    (lambda p: p.write_bytes(b"not a numpy file"), "not a .npy file"),
    (lambda p: (np.save(p, W), p.write_bytes(p.read_bytes()[:-5])), "truncated"),
    (lambda p: np.save(p, np.array([[1.0, np.inf]])), "W(1,2) is not a finite number"),
])
def test_cli_refuses_bad_npy(cli, tmp_path, make, expect):
    path = tmp_path / "bad.npy"
    make(path)
    msg = cli.error("loss", "--weights", path, "--m", 3, "--p", "0.1")
    assert expect in msg and str(path) in msg
