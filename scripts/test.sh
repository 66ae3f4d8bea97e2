#!/usr/bin/env bash
# The README's test command: set up the environment (a virtual environment in .venv, or
# $VENV) and run every test: the unit tests of seglearn and every chapter under nbval.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_data.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[book,test]"
export TQDM_DISABLE=1 MPLBACKEND=Agg
exec "$VENV/bin/python" -m pytest "$@"
