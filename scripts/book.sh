#!/usr/bin/env bash
# The README's book command: set up the environment (.venv, or $VENV), re-execute every
# chapter against the current package (each notebook rebuilt from its text source
# book/src/<chapter>.md, then run: the committed outputs are refreshed), and build the
# HTML book into _build/html. `--no-execute` builds from the committed outputs (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=book source scripts/_setup_venv.sh
if [ "${1:-}" != "--no-execute" ]; then
  "$VENV/bin/python" scripts/execute_notebooks.py
fi
"$VENV/bin/jupyter-book" build . -W -n --keep-going
echo "The book is in _build/html/index.html"
