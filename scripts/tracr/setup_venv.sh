#!/bin/sh
# Makes (or brings up to date) the Python venv in which scripts/tracr/ compiles RASP programs with
# Tracr (tracr-pypi, which brings JAX: about 650 MB), and prints its path on the last line.
#
#   scripts/tracr/setup_venv.sh            venv at $CIRC_TRACR_VENV, else ~/.cache/circ/tracr-venv
#
# Needs Python >= 3.11 (JAX 0.10 and NumPy 2.4 require it; $PYTHON, else python3) and PyPI, unless
# the venv already holds the pinned versions of requirements.txt. Exits non-zero with the reason on
# stderr when it cannot make the venv.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${CIRC_TRACR_VENV:-$HOME/.cache/circ/tracr-venv}
python=${PYTHON:-python3}

version=$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null) ||
    { echo "setup_venv: cannot run the Python interpreter '$python' (set PYTHON to one of version 3.11 or later)" >&2; exit 1; }
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup_venv: $python is Python $version; Tracr's pinned JAX needs 3.11 or later (set PYTHON)" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >&2 || { echo "setup_venv: cannot create a venv at $venv" >&2; exit 1; }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2 ||
    { echo "setup_venv: pip could not install $here/requirements.txt into $venv" >&2; exit 1; }
echo "$venv"
