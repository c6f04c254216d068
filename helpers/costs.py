"""Measuring what each implementation costs: time per call, peak memory, and growth exponents.

Introduced in 06-what-each-implementation-costs.ipynb; benchmarks/run.py uses the same functions.
"""

import math
import os
import time
from numbers import Real

import torch
import torch.nn.functional as F

from .implementations import (
    trans_conv_fold,
    trans_conv_subpixel,
    trans_conv_via_conv,
    trans_conv_via_matrix,
)
from .ops import check_arguments, trans_conv


def torch_operator(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """F.conv_transpose2d behind trans_conv's signature and checks, so it takes the same inputs."""
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    return args.restore(
        F.conv_transpose2d(args.X, args.K, None, args.stride, args.padding, args.output_padding,
                           args.groups, args.dilation)
    )


def dense_matrix(X, K, *args, **kwargs):
    """trans_conv_via_matrix with a dense W^T. It multiplies W^T's structural zeros too, and
    0 * inf = NaN: an inf or NaN in X makes every output NaN."""
    return trans_conv_via_matrix(X, K, *args, sparse=False, **kwargs)


def sparse_matrix(X, K, *args, **kwargs):
    """trans_conv_via_matrix with a sparse W^T, which stores only the kernel's taps."""
    return trans_conv_via_matrix(X, K, *args, sparse=True, **kwargs)


IMPLEMENTATIONS = {
    "loop": trans_conv,
    "dense matrix": dense_matrix,
    "sparse matrix": sparse_matrix,
    "via conv": trans_conv_via_conv,
    "fold": trans_conv_fold,
    "sub-pixel": trans_conv_subpixel,
    "torch": torch_operator,
}
"""Every implementation by name, each called as f(X, K, stride, padding, ...); "torch" is
F.conv_transpose2d."""


def example(n, batch=1, channels=1, kernel_size=4, seed=0):
    """A seeded X (batch, channels, n, n) and K (channels, channels, k, k) of small integers."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(-3, 4, (batch, channels, n, n), generator=g).float()
    return X, torch.randint(
        -3, 4, (channels, channels, kernel_size, kernel_size), generator=g
    ).float()


def seconds(f, *args, repeat=5, budget=0.05, **kwargs):
    """The time of one call f(*args, **kwargs) in seconds: the best of `repeat` rounds, each of as
    many calls as fit in `budget` seconds (at least one), after one warm-up call. The best round is
    the one least disturbed by other work on the machine."""
    start = time.perf_counter()
    f(*args, **kwargs)
    first = time.perf_counter() - start
    number = max(1, int(budget / max(first, 1e-7)))
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            f(*args, **kwargs)
        best = min(best, (time.perf_counter() - start) / number)
    return best


def peak_bytes(f, *args, **kwargs):
    """The most memory the call f(*args, **kwargs) holds at once, in bytes, beyond what existed
    before it: every allocation and release torch records while it runs (torch.profiler with
    profile_memory), added up in order. The result stays alive until the end, so it is counted."""
    os.environ.setdefault(
        "KINETO_LOG_LEVEL", "99"
    )  # keep the profiler's start and stop lines off stderr
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = f(*args, **kwargs)
    steps = []
    for event in prof.events():
        if event.name == "[memory]":  # a release (or allocation) outside any operator
            steps.append((event.time_range.start, event.cpu_memory_usage))
        elif event.self_cpu_memory_usage:
            steps.append((event.time_range.start, event.self_cpu_memory_usage))
    held = peak = 0
    for _, change in sorted(steps, key=lambda s: s[0]):
        held += change
        peak = max(peak, held)
    del result
    return peak


def growth_exponent(sizes, values):
    """The exponent b of the power law value ~ a * size**b that fits best: the slope of the
    least-squares line through (log size, log value). sizes and values: sequences (or 1-D tensors)
    of the same length, at least 2, of finite positive numbers; the sizes not all equal.

    Introduced in 06-what-each-implementation-costs.ipynb.
    """
    sizes, values = _positive_numbers(sizes, "sizes"), _positive_numbers(values, "values")
    if len(sizes) != len(values) or len(sizes) < 2:
        raise ValueError(
            f"sizes and values must be two lists of the same length, at least 2; "
            f"got {len(sizes)} and {len(values)}"
        )
    xs, ys = [math.log(s) for s in sizes], [math.log(v) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("sizes must not all be equal")
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / spread


def _positive_numbers(seq, name):
    if isinstance(seq, torch.Tensor):
        seq = seq.tolist() if seq.ndim == 1 else None
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
        raise TypeError(f"{name} must be a list (or 1-D tensor) of positive numbers; got {seq!r}")
    seq = list(seq)
    for v in seq:
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
            raise TypeError(f"{name} must hold finite real numbers; got {v!r}")
        if v <= 0:
            raise ValueError(f"{name} must be positive to take their logarithms; got {v!r}")
    return seq
