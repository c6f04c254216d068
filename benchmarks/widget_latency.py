#!/usr/bin/env python3
"""Update latency of every *_explorer: time from setting a control to the redrawn view, p50 and p95.

    .venv/bin/python benchmarks/widget_latency.py [--repeat N]     (python3 tasks.py bench runs it too)

Each explorer is built with its defaults, and again with every slider at its maximum; from there each
control is moved through its whole range (every option of a dropdown, every value of a slider),
`--repeat` times, and each move is timed.
This measures the kernel's side (recompute and re-render the HTML); the browser's part is not included.
"""
import argparse
import inspect
import statistics
import time

import helpers.widgets as hw

TARGET_MS = 16.0  # every explorer's update p95 at most this


def control_values(control):
    if hasattr(control, "options"):
        return list(control.options)
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    return list(range(control.min, control.max + 1))


def measure(explorer, repeat):
    times = []
    for _ in range(repeat):
        for control in explorer.controls.values():
            start_value = control.value
            for v in control_values(control) + [start_value]:
                if v == control.value:
                    continue
                t = time.perf_counter()
                control.value = v
                times.append((time.perf_counter() - t) * 1000)
    return times


def percentile(times, q):
    """The q-quantile of the measured times (nearest rank below)."""
    ordered = sorted(times)
    return ordered[int(q * (len(ordered) - 1))]


def latencies(repeat):
    """(explorer name, "defaults" or "largest", every move's time in ms) for every *_explorer."""
    explorers = [(n, f) for n, f in inspect.getmembers(hw, inspect.isfunction) if n.endswith("_explorer")]
    for name, build in explorers:
        for start in ("defaults", "largest"):
            explorer = build()
            if start == "largest":  # every slider at its maximum: the biggest grids this explorer draws
                for control in explorer.controls.values():
                    if hasattr(control, "max"):
                        control.value = control.max
            yield name, start, measure(explorer, repeat)


def report(repeat):
    """Print one line per explorer and starting point (p50, p95, max), then the worst p95."""
    print(f"{'explorer':<28}{'start':<10}{'moves':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    worst = 0.0
    for name, start, times in latencies(repeat):
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        print(f"{name:<28}{start:<10}{len(times):>7}{statistics.median(times):>9.2f}{p95:>9.2f}{max(times):>9.2f}")
    print(f"worst p95: {worst:.2f} ms (target: at most {TARGET_MS:g} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    report(parser.parse_args().repeat)


if __name__ == "__main__":
    main()
