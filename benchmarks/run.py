#!/usr/bin/env python3
"""Every benchmark in one run: the implementations against torch's operator, the explorers'
slider-to-page latency in Chromium (JupyterLab and the Voila lecture view), the web book's page
loads and slider latency, and the wall time of the notebook suite under strict nbval.

    python3 tasks.py bench     (or: .venv/bin/python benchmarks/run.py [--quick] [--skip-notebooks]
                                [--subpixel-only] [--threads N])

Times are the best of several rounds (helpers.costs.seconds); ratios are to F.conv_transpose2d on
the same input in the same run, so they mean more than the absolute times on a shared machine.
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
import widget_latency

from helpers import costs, trans_conv_output_shape

ROOT = Path(__file__).resolve().parents[1]


def nbval_arguments():
    """tasks.NBVAL: the nbval arguments of `python3 tasks.py test`, read from tasks.py itself."""
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    return tasks.NBVAL


# (what, batch, channels, n): every case uses kernel 4, stride 2, padding 1, float32
CASES = [
    ("target: batch 8, 16 -> 16 channels, 32x32", 8, 16, 32),
    ("one channel, 32x32", 1, 1, 32),
    ("one channel, 128x128", 1, 1, 128),
]
FOLD_TARGET = 2.0  # trans_conv_fold at most this many times torch's time, in the first case
SUBPIXEL_TARGET = 1.0  # trans_conv_subpixel at most this many times torch's time, in the first case
NOTEBOOK_TARGET_S = 60.0
DENSE_BYTES_LIMIT = 2**30  # the dense matrix is not built beyond 1 GiB


def torch_without_onednn(X, K, *args):
    """torch's own matrix-product-and-col2im path, the one it takes when oneDNN is off."""
    # switching oneDNN off warns about TF32 on Intel GPUs, irrelevant here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False):
            return costs.torch_operator(X, K, *args)


def implementations(quick):
    print(
        "## Implementations, time relative to F.conv_transpose2d "
        "(kernel 4, stride 2, padding 1, float32)"
    )
    print(f"torch threads: {torch.get_num_threads()}")
    rounds = dict(repeat=3, budget=0.02) if quick else dict(repeat=7, budget=0.1)
    fold_ratio = None
    for what, batch, channels, n in CASES:
        X, K = costs.example(n, batch, channels)
        o = trans_conv_output_shape(n, 4, 2, 1)[0]
        dense_bytes = 4 * (channels * o * o) * (channels * n * n)
        named = dict(costs.IMPLEMENTATIONS, **{"torch without oneDNN": torch_without_onednn})
        for name in ("torch", "fold", "via conv"):
            # first calls set things up (oneDNN's kernels, the allocator's pool)
            named[name](X, K, 2, 1)
        # torch's time is the better of a measurement before and one after the others
        base = costs.seconds(costs.torch_operator, X, K, 2, 1, **rounds)
        times = {}
        print(f"\n{what}\n{'implementation':<24}{'ms per call':>14}{'x torch':>10}")
        for name, f in named.items():
            if name == "dense matrix" and dense_bytes > DENSE_BYTES_LIMIT:
                times[name] = f"not run: W^T would take {format_bytes(dense_bytes)}"
                continue
            if name == "loop" and quick and batch * channels * n * n > 4096:
                times[name] = "not run with --quick"
                continue
            slow = name == "loop"  # seconds per call: two rounds of one call are enough
            times[name] = costs.seconds(
                f, X, K, 2, 1, **(dict(repeat=2, budget=0) if slow else rounds)
            )
        base = min(base, times["torch"])
        for name, t in times.items():
            print(
                f"{name:<24}{t:>34}"
                if isinstance(t, str)
                else f"{name:<24}{t * 1e3:>14.3f}{t / base:>10.2f}"
            )
        if fold_ratio is None:
            fold_ratio = times["fold"] / base
    verdict = "met" if fold_ratio <= FOLD_TARGET else f"missed by {fold_ratio / FOLD_TARGET:.2f}x"
    print(
        f"\ntrans_conv_fold / F.conv_transpose2d at the target size: {fold_ratio:.2f} "
        f"(target: at most {FOLD_TARGET:g}; {verdict})"
    )


def subpixel(quick, when):
    """trans_conv_subpixel against F.conv_transpose2d, interleaved: each round times torch, then the
    sub-pixel implementation, on the same input; the ratio reported is the median of the rounds'
    ratios, so a burst of other work on the machine moves one round, not the result.

    `when` says what ran before in this process. Both operators' times depend on it: after the
    implementations section's large runs the memory allocator hands out blocks that earlier
    calls touched, and both get faster, not by the same factor (F.conv_transpose2d's time about
    halves), so the run measures in both states and reports both ratios."""
    print(
        "\n## The sub-pixel implementation against F.conv_transpose2d, interleaved "
        f"(kernel 4, stride 2, padding 1, float32), {when}"
    )
    rounds, budget = (5, 0.02) if quick else (15, 0.05)
    print(f"torch threads: {torch.get_num_threads()}")
    print(
        f"{'case':<44}{'torch ms':>10}{'sub-pixel ms':>14}{'ratio':>8}"
        f"   (medians of {rounds} rounds)"
    )
    target_ratio = None
    for what, batch, channels, n in CASES:
        X, K = costs.example(n, batch, channels)
        pair = (costs.torch_operator, costs.IMPLEMENTATIONS["sub-pixel"])
        for f in pair:
            f(X, K, 2, 1)  # first calls set things up
        torch_ms, sub_ms, ratios = [], [], []
        for _ in range(rounds):
            t, u = (costs.seconds(f, X, K, 2, 1, repeat=1, budget=budget) for f in pair)
            torch_ms.append(t * 1e3)
            sub_ms.append(u * 1e3)
            ratios.append(u / t)
        ratio = statistics.median(ratios)
        torch_median, sub_median = statistics.median(torch_ms), statistics.median(sub_ms)
        print(f"{what:<44}{torch_median:>10.3f}{sub_median:>14.3f}{ratio:>8.2f}")
        if target_ratio is None:
            target_ratio = ratio
    verdict = (
        "met"
        if target_ratio <= SUBPIXEL_TARGET
        else f"missed by {target_ratio / SUBPIXEL_TARGET:.2f}x"
    )
    print(
        f"trans_conv_subpixel / F.conv_transpose2d at the target size, {when}: "
        f"{target_ratio:.2f} (target: at most {SUBPIXEL_TARGET:g}; {verdict})"
    )


def format_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


def explorers(quick):
    print(
        "\n## Explorers, slider to page in Chromium (key press -> view redrawn), "
        "JupyterLab and Voila"
    )
    widget_latency.report(3 if quick else 20)


def site(quick):
    print("\n## The web book: page loads and slider to page, in Chromium, no kernel")
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "site_latency.py"),
        *(["--loads", "1", "--moves", "5"] if quick else []),
    ]
    return subprocess.run(cmd, cwd=ROOT).returncode


def notebooks():
    print("\n## Notebook suite under strict nbval (install excluded)")
    cmd = [sys.executable, "-m", "pytest", "notebooks", *nbval_arguments(), "-q"]
    print("+", " ".join(cmd[2:]), flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{summary}\nwall time: {wall:.1f} s (target: at most {NOTEBOOK_TARGET_S:g} s)")
    return done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, and the loop only on small inputs"
    )
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument(
        "--subpixel-only",
        action="store_true",
        help="only the interleaved comparison of trans_conv_subpixel with torch's operator",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's choice, one per core); "
        "1 is steadier on a busy machine",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    subpixel(args.quick, "in a fresh process")
    if args.subpixel_only:
        return 0
    implementations(args.quick)
    subpixel(args.quick, "after the implementations section")
    explorers(args.quick)
    site(args.quick)
    return 0 if args.skip_notebooks else notebooks()


if __name__ == "__main__":
    sys.exit(main())
