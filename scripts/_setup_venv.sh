# Sourced by scripts/test.sh and scripts/book.sh: create (or reuse) the virtual environment
# $VENV (default .venv) and install the package with the extras named in $EXTRAS.
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[${EXTRAS}]"
