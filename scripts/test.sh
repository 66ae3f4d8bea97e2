#!/usr/bin/env bash
# The README's test command: set up the environment (a virtual environment in .venv, or
# $VENV) and run every test: the unit tests of seglearn and every chapter under nbval.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_data.py -x`
# (`-n 0` runs everything in this process, e.g. for `--pdb`).
#
# Tests run in parallel, one pytest-xdist worker per usable CPU (a cgroup quota counts,
# see scripts/usable_cpus.py), each test file or notebook whole on one worker
# (`--dist loadfile`: a notebook's cells share one kernel and run in order), and one torch
# thread per worker: the book's small networks gain little from a second thread, and
# workers with two threads each on two CPUs would fight over them.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=book,test source scripts/_setup_venv.sh
export TQDM_DISABLE=1 MPLBACKEND=Agg
workers=${SEGLEARN_TEST_WORKERS:-$("$VENV/bin/python" scripts/usable_cpus.py)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# If someone raises the thread count, idle OpenMP threads sleep instead of spinning against
# the other workers (spinning threads made training 3-20x slower on a busy 2-core machine).
# seglearn's fit and segment use one thread on the CPU anyway (SEGLEARN_NUM_THREADS).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$VENV/bin/python" -m pytest -n "$workers" --dist loadfile "$@"
