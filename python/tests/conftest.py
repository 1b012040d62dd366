"""Shared fixtures of the Python tests: the CLI of the same build (SUPERPOSE_CLI, set by CTest; else build/apps)."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli_path() -> str:
    p = os.environ.get("SUPERPOSE_CLI") or str(ROOT / "build" / "apps" / "superpose")
    if not os.path.exists(p):
        pytest.skip(f"the superpose CLI is not built ({p})")
    return p


@pytest.fixture
def cli():
    """cli(*args) -> CompletedProcess of the superpose CLI (text mode); cli.json(*args) -> its parsed JSON."""
    path = cli_path()

    class Cli:
        def __call__(self, *args, check=True):
            r = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
            if check and r.returncode != 0:
                raise AssertionError(f"superpose {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
            return r

        def json(self, *args):
            return json.loads(self(*args, "--format", "json").stdout)

        def error(self, *args):
            """The one-line message of a refused command (exit code 2), without the 'superpose: error: ' prefix."""
            r = self(*args, check=False)
            assert r.returncode == 2, (r.returncode, r.stderr)
            line = r.stderr.strip().splitlines()[-1]
            prefix = "superpose: error: "
            assert line.startswith(prefix), line
            return line[len(prefix):]

    return Cli()
