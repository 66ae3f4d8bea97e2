"""Settings shared by every test."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The tests' tensors are too small to share between threads; on a busy 2-core machine
    # two spinning threads made the training tests ~10x slower (measured), so use one.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
