# Sourced by demo.sh and test.sh: make ./.venv (Python 3.11 preferred) and upgrade pip.
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

# pip install into ./.venv, quietly: setuptools' banner about editable installs is a
# Python warning printed by the build backend, which PYTHONWARNINGS silences.
pip_install() {
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q "$@"
}

# setuptools and wheel: scripts/demo.sh builds the local projects without build isolation.
pip_install --upgrade pip 'setuptools>=77' wheel
