"""Coverage of a stack of dilated convolutions: gridding holes and the HDC rule.

Which input offsets a stack of stride-1 dilated convolutions reaches, and the hybrid
dilated convolution (HDC) rule for choosing rates without holes.

Chapter: book/receptive_fields

References:
    Yu & Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
    Wang et al., "Understanding convolution for semantic segmentation", WACV 2018 (hybrid
    dilated convolution, HDC).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DilationCoverage", "dilation_coverage"]


@dataclass(frozen=True, eq=False)
class DilationCoverage:
    """Which input offsets a stack of stride-1 dilated convolutions reaches.

    Offsets are relative to the output pixel, from ``-(RF - 1) / 2`` to ``(RF - 1) / 2``;
    array index ``i`` holds offset ``i - (RF - 1) // 2``.

    Attributes:
        dilations: the rates ``r_1 … r_n``, first layer first.
        kernel_size: k of every layer.
        receptive_field: side ``RF = 1 + (k - 1) Σ r_i`` of the square field.
        offsets: sorted 1-D offsets reached (one axis; the 2-D set is their product).
        counts_1d: int64 ``(RF,)``, number of tap paths reaching each 1-D offset.
        counts: int64 ``(RF, RF)``, number of tap paths reaching each 2-D offset
            (``outer(counts_1d, counts_1d)``: a 2-D tap is a pair of 1-D taps); it sums to
            ``k ** (2 n)``.
        covered: bool ``(RF, RF)``, ``counts > 0``.
        num_holes: offsets of the square field never reached (2-D): the gridding artefact.
        num_holes_1d: the same along one axis.
        hdc_m: ``(M_1, …, M_n)`` of Wang et al.'s rule.
        hdc_ok: the rule holds: ``M_2 <= kernel_size`` (one layer: ``r_1 == 1``).
        common_factor: greatest common divisor of the rates (> 1 always leaves holes).

    Chapter: book/receptive_fields
    """

    dilations: tuple[int, ...]
    kernel_size: int
    receptive_field: int
    offsets: tuple[int, ...]
    counts_1d: np.ndarray
    counts: np.ndarray
    covered: np.ndarray
    num_holes: int
    num_holes_1d: int
    hdc_m: tuple[int, ...]
    hdc_ok: bool
    common_factor: int


def _hdc_m(rates: Sequence[int]) -> tuple[int, ...]:
    m = [rates[-1]]  # M_n = r_n, then backwards to M_1
    for r in reversed(rates[:-1]):
        nxt = m[0]
        m.insert(0, max(nxt - 2 * r, nxt - 2 * (nxt - r), r))
    return tuple(m)


def dilation_coverage(dilations: Sequence[int], kernel_size: int = 3) -> DilationCoverage:
    """Offsets reached by a stack of ``kernel_size`` convolutions with the given rates.

    All layers have stride 1 and odd ``kernel_size``. An offset is reached when some choice
    of one tap per layer sums to it; ``counts`` says by how many choices (paths), the
    picture of which the chapter draws. ``num_holes`` counts the offsets inside the square
    receptive field that no path reaches: rates with a common factor (2, 2, 2 or 2, 4, 8)
    see only a sparse lattice of their field (gridding).

    The hybrid dilated convolution rule (Wang et al., WACV 2018) is reported too:
    ``M_i = max(M_{i+1} - 2 r_i, M_{i+1} - 2 (M_{i+1} - r_i), r_i)``, ``M_n = r_n``, and the
    design goal ``M_2 <= kernel_size``. The rule alone is not enough — (2, 2, 2) passes it
    and still has holes, because the paper also asks for rates without a common factor —
    so the direct coverage (``num_holes``) is the truth; ``hdc_ok`` is for comparison.

    Args:
        dilations: positive integer rates, first layer first (non-empty).
        kernel_size: odd positive kernel side.

    Returns:
        A :class:`DilationCoverage`.

    Raises:
        ValueError: empty or non-positive rates, even or non-positive ``kernel_size``.

    Chapter: book/receptive_fields
    """
    rates = tuple(int(r) for r in dilations)
    if not rates or min(rates) < 1:
        raise ValueError(f"dilations must be a non-empty list of positive ints, got {rates}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive, got {kernel_size}")
    counts_1d = np.ones(1, dtype=np.int64)
    for r in rates:
        taps = np.zeros(r * (kernel_size - 1) + 1, dtype=np.int64)
        taps[::r] = 1  # (k_eff,) the k taps of a dilated kernel
        counts_1d = np.convolve(counts_1d, taps)
    rf = counts_1d.size
    half = (rf - 1) // 2
    counts = np.outer(counts_1d, counts_1d)  # (RF, RF)
    covered = counts > 0
    m = _hdc_m(rates)
    return DilationCoverage(
        dilations=rates,
        kernel_size=kernel_size,
        receptive_field=rf,
        offsets=tuple(int(i) - half for i in np.flatnonzero(counts_1d)),
        counts_1d=counts_1d,
        counts=counts,
        covered=covered,
        num_holes=int(covered.size - covered.sum()),
        num_holes_1d=int(rf - np.count_nonzero(counts_1d)),
        hdc_m=m,
        hdc_ok=m[1] <= kernel_size if len(rates) > 1 else rates[0] == 1,
        common_factor=math.gcd(*rates),
    )
