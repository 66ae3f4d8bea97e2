"""Inputs shared by the loss tests (imported by them; pytest puts tests/ on sys.path).

The hand-made example: one 2×2 image, K = 2, class-0 logits 0 and class-1 logits
[[0, ln 3], [ln 3, −ln 3]], so the class-1 softmax probabilities are
p1 = [[1/2, 3/4], [3/4, 1/4]] and the truth is t1 = [[0, 1], [1, 0]].
"""

import math

import torch

LN3 = math.log(3.0)


def tiny(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The hand-made example: logits (1, 2, 2, 2) of ``dtype``, masks (1, 2, 2) int64."""
    logits = torch.tensor([[[[0.0, 0.0], [0.0, 0.0]], [[0.0, LN3], [LN3, -LN3]]]],
                          dtype=dtype)  # (1, 2, 2, 2)
    return logits, torch.tensor([[[0, 1], [1, 0]]])


def random_case(*, n: int, k: int, h: int, w: int, seed: int = 0,
                dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard-normal logits (n, k, h, w) and uniform masks (n, h, w) from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, h, w, generator=g, dtype=dtype)
    return logits, torch.randint(0, k, (n, h, w), generator=g)
