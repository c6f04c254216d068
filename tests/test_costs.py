"""helpers.costs: the measuring tools notebook 06 and benchmarks/run.py rely on."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from helpers import costs


def test_every_implementation_agrees_on_the_example():
    X, K = costs.example(5, batch=2, channels=3)
    want = F.conv_transpose2d(X, K, stride=2, padding=1)
    for name, f in costs.IMPLEMENTATIONS.items():
        assert torch.equal(f(X, K, 2, 1), want), name  # small integers: every sum is exact


def test_torch_operator_takes_trans_conv_layouts_and_checks():
    assert costs.torch_operator([[0, 1], [2, 3]], [[0, 1], [2, 3]], stride=2).tolist()[3] == [
        4,
        6,
        6,
        9,
    ]
    with pytest.raises(ValueError, match="padding=2 crops the whole output height"):
        costs.torch_operator(torch.ones(3, 3), torch.ones(2, 2), padding=2)


def test_growth_exponent_recovers_power_laws():
    sizes = [2, 4, 8, 16]
    for b in (0.0, 1.0, 2.0, 4.0, -1.0):
        assert costs.growth_exponent(sizes, [5 * s**b for s in sizes]) == pytest.approx(b)
    for bad in [([1], [1]), ([1, 2], [1]), ([0, 2], [1, 2]), ([1, 2], [1, -2]), ([3, 3], [1, 2])]:
        with pytest.raises(ValueError):
            costs.growth_exponent(*bad)


@pytest.mark.slow
def test_peak_bytes_counts_what_a_call_holds():
    n = 1 << 16
    assert costs.peak_bytes(torch.zeros, n) == 4 * n  # the result itself

    def temporary_then_small():
        big = torch.ones(n)  # held, then released before the small result is made
        del big
        return torch.zeros(16)

    assert costs.peak_bytes(temporary_then_small) == 4 * n
    X, K = costs.example(32)
    dense, sparse = (
        costs.peak_bytes(costs.IMPLEMENTATIONS[m], X, K, 2, 1)
        for m in ("dense matrix", "sparse matrix")
    )
    entries = (64 * 64) * (32 * 32)
    assert dense >= 4 * entries > 10 * sparse  # W^T itself is 16 MiB; its taps are a small fraction


@pytest.mark.slow
def test_peak_bytes_writes_nothing_to_stderr():
    code = (
        "from helpers import costs; import torch; "
        "print(costs.peak_bytes(torch.zeros, 10), costs.peak_bytes(torch.zeros, 10))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["40", "40"] and out.stderr == ""


def test_seconds_measures_a_call():
    import time

    assert 0.002 <= costs.seconds(time.sleep, 0.002, repeat=2, budget=0.004) < 0.05
    calls = []
    costs.seconds(calls.append, 1, repeat=3, budget=0)  # at least one call a round, after a warm-up
    assert len(calls) == 4
