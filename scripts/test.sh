#!/usr/bin/env bash
# The README's test command: set up the environment (a virtual environment in .venv, or
# $VENV) and run every test: the unit tests of seglearn and every chapter under nbval.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_data.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=book,test source scripts/_setup_venv.sh
export TQDM_DISABLE=1 MPLBACKEND=Agg
exec "$VENV/bin/python" -m pytest "$@"
