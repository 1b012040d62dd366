"""superpose.optimize, sweep, verify against the CLI's JSON and against bounds; Ctrl-C during a long call."""
import os
import signal
import threading

import numpy as np
import pytest

import superpose


def test_optimize_matches_cli_and_bounds(cli):
    d, n, m, p = 2, 6, 3, "1e-3"
    o = superpose.optimize(d, n, m, "rademacher", p, seed=1, starts=4)
    assert o.W.shape == (d, n) and o.W.dtype == np.float64
    j = cli.json("optimize", "--d", d, "--n", n, "--m", m, "--law", "rademacher", "--p", p, "--seed", 1,
                 "--starts", 4)
    import mpmath
    with mpmath.workdps(50):
        assert abs(o.gain - mpmath.mpf(j["gain"])) <= abs(o.gain) * mpmath.mpf(10) ** -40
        assert abs(o.position - mpmath.mpf(j["position"])) < mpmath.mpf(10) ** -10
    # The optimum's exact gain, re-evaluated independently by evaluate at 50 digits, and it obeys every proved upper
    # bound while beating the unsuperposed construction.
    ev = superpose.evaluate(o.W, m, "rademacher", p, digits=50)
    assert abs(float(ev.gain) - float(o.gain)) < 1e-12 * float(o.gain)
    for b in o.bounds:
        if b.status in ("proved-in-paper", "proved-here") and b.side in ("upper", "exact"):
            assert float(o.gain) <= float(b.value) * (1 + 1e-12), b.name
    assert float(o.gain) > float({b.name: b for b in o.bounds}["unsuperposed"].value)
    assert o.geometry["represented"] >= 3


def test_optimize_init_shape_error():
    with pytest.raises(ValueError, match=r"init: W has shape \(3, 2\)"):
        superpose.optimize(2, 3, 3, "gaussian", 0.01, init=np.zeros((3, 2)))


def test_sweep_and_verify_rows():
    rows = superpose.sweep(d=2, n=6, m=3, law="gaussian", points=4, max_evals=50)
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    assert len(rows) == 4
    for r in rows:
        assert 0 < r["gain"] <= r["tensor_rank_upper"] * (1 + 1e-9)
    assert [r["p_value"] for r in rows] == sorted(r["p_value"] for r in rows)
    v = superpose.verify(d=[2], n=[6], m=[3], laws=["rademacher"], p="1e-3", starts=2)
    v = v.to_dict("records") if hasattr(v, "to_dict") else v
    assert len(v) == 1 and v[0]["pass"] and v[0]["checks"]
    assert all(c["status"] in ("pass", "skip") for c in v[0]["checks"])
    assert v[0]["first_order_limit_status"] == "conjecture"  # rademacher, d = 2: no certificate known


def test_verify_reports_first_order_limit_refuted_where_bounds_does():
    law = "discrete:1:999,10:1"  # refuted at d = 2, n = 3, m = 3 by the search certificate (docs/theory.md §5.5)
    v = superpose.verify(d=[2], n=[3], m=[3], laws=[law], p="0.5", starts=2, max_evals=500)
    v = v.to_dict("records") if hasattr(v, "to_dict") else v
    b = {x.name: x for x in superpose.bounds(2, 3, 3, law, "0.5")}["first_order_limit"]
    assert b.status == v[0]["first_order_limit_status"] == "refuted"
    assert b.citation == v[0]["first_order_limit_citation"]


def test_sweep_leaves_the_unsuperposed_saddle_and_checks_itself():
    # d = 3, n = 10, gaussian: a warm start alone stays at the unsuperposed saddle (gain/p = c_mu * d = 1.8). The sweep
    # must find what an independent superpose.optimize finds at the same p, and its self-check records exactly that.
    rows = superpose.sweep(d=3, n=10, m=3, law="gaussian", points=3, check_points=3)
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    for r in rows:
        assert r["optimize_gain"] is not None
        opt = superpose.optimize(3, 10, 3, "gaussian", r["p"], starts=32, polish=False)
        assert r["optimize_gain"] == pytest.approx(float(opt.gain_double), rel=1e-12)
        assert r["gain"] >= r["optimize_gain"] * (1 - 1e-6)
    assert rows[0]["gain"] / rows[0]["p_value"] > 1.8 * 1.5


def test_ctrl_c_during_optimize_raises_keyboard_interrupt():
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Thousands of starts: minutes of work unless interrupted.
            superpose.optimize(4, 30, 3, "gaussian", 0.01, starts=5000, max_evals=200, polish=False)
    finally:
        timer.cancel()
    # The interpreter and the module are still usable.
    ev = superpose.evaluate(np.eye(2), 3, "rademacher", 0.5)
    assert ev.gain == pytest.approx(2 * 0.5 * (2 - 1))
