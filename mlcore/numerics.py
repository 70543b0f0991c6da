"""Reproducible CPU numerics: one thread per process and seeded generators.

Parallel reductions split a sum differently for each thread count, so the same model gives
different last bits with 1, 2 or 16 threads; pinning one intra-op thread (torch, OpenMP, MKL)
removes that source. What remains between CPUs is the instruction set of the vectorised kernels
(AVX-512 vs AVX2 vs plain SSE): a few 1e-7 on probabilities, which decisions must not hinge on
(tests/ml/test_cross_isa.py runs the default models under each kernel set and compares).

The environment variables only take effect if set before torch (OpenMP, MKL) is first imported:
call `pin_thread_env()` at the very start of a process, `pin_torch()` once torch is loaded.
"""

from __future__ import annotations

import os
import random

THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def pin_thread_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Set one-thread defaults in `env` (os.environ by default) unless already set there."""
    target = os.environ if env is None else env
    for name, value in THREAD_ENV.items():
        target.setdefault(name, value)
    return dict(target)


def pin_torch(threads: int = 1, seed: int | None = None) -> None:
    """Fix torch's intra-op thread count and, when given, seed python, numpy and torch."""
    import numpy as np
    import torch

    torch.set_num_threads(max(1, threads))
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
