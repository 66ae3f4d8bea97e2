"""Print how many CPUs this process may use: its CPU affinity, capped by a cgroup quota.

``os.cpu_count()`` reports the host's CPUs; a container limited to two of them by a cgroup
quota still sees them all, and a pool of one worker (or one torch thread) per reported CPU
then fights over two. ``scripts/test.sh`` sizes its pytest-xdist pool with this number.
"""

from __future__ import annotations

import math
import os
from pathlib import Path


def _cgroup_limit() -> float | None:
    """CPUs allowed by the cgroup quota (v2 ``cpu.max`` or v1 CFS files), or None."""
    v2 = Path("/sys/fs/cgroup/cpu.max")
    try:
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        v1 = Path("/sys/fs/cgroup/cpu")
        quota = int((v1 / "cpu.cfs_quota_us").read_text())
        period = int((v1 / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus() -> int:
    """The number of CPUs to size a worker pool by (at least 1)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    limit = _cgroup_limit()
    if limit is not None:
        n = min(n, max(1, math.floor(limit)))
    return max(1, n)


if __name__ == "__main__":
    print(usable_cpus())
