#!/usr/bin/env python3
"""Slider-to-page latency of every explorer in Chromium, in JupyterLab and in the lecture view.

    .venv/bin/python benchmarks/widget_latency.py [--repeat N] [--notebooks 04 ...]
    (tasks.py bench runs it)

A temporary copy of the notebooks is served by JupyterLab (every cell run) and by Voila (the
lecture template), on free localhost ports (site_builder.jupyter, as in the browser tests). In
each explorer, 5*N key presses move its range controls in turn (right, or left at the end of a
range); each is timed from the key press to the view's redraw (the first change of the page's DOM
under the view), so the figure is what a learner waits for. The explorers compute in the page, so
no move waits for the kernel. p50 and p95 per explorer and view; the target is a p95 of at most
16 ms (one frame at 60 Hz). Needs Chromium (skipped with a message without it). The table is also
written to artifacts/browser/widget_latency.txt.
"""
import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from site_builder import jupyter
from site_builder.offline import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]

TARGET_MS = 16.0  # every explorer's p95 at most this
def percentile(times, q):
    """The q-quantile of the measured times (nearest rank below)."""
    ordered = sorted(times)
    return ordered[int(q * (len(ordered) - 1))]


def time_moves(page, box, moves):
    """Press arrow keys on the explorer's range controls in turn; the time of each redraw, in ms."""
    sliders = box.locator("input[type=range]")
    times = []
    for move in range(moves):
        slider = sliders.nth(move % sliders.count())
        slider.scroll_into_view_if_needed()
        at_end = slider.evaluate("e => Number(e.value) >= Number(e.max)")
        box.evaluate(jupyter.MEASURE)  # the browser tests' timing, from key press to redraw
        slider.press("ArrowLeft" if at_end else "ArrowRight")
        times.append(page.wait_for_function(jupyter.REDRAWN, timeout=15000).json_value()["ms"])
    return times


def explorers_in(page, selector):
    boxes = page.locator(selector)
    return [(box, box.get_attribute("data-explorer")) for box in boxes.all()]


def measure(moves, only=()):
    """{(view, notebook, explorer index, explorer name): [ms, ...]} for every explorer of every
    notebook."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    results = {}
    work = Path(tempfile.mkdtemp(prefix="widget-latency-"))
    try:
        jupyter.prepare_workdir(work)
        pages = [
            p
            for p in jupyter.NOTEBOOKS
            if jupyter.explorer_cells(p) and (not only or any(o in p.name for o in only))
        ]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for view, server in (("lab", jupyter.lab), ("voila", jupyter.voila)):
                with server(work) as url:
                    for path in pages:
                        page = browser.new_page(viewport={"width": 1400, "height": 1000})
                        try:
                            selector = open_page(page, view, url, path)
                            for i, (box, name) in enumerate(explorers_in(page, selector)):
                                results[(view, path.stem, i, name)] = time_moves(page, box, moves)
                                say(f"  {view} {path.stem} {name}: done")
                        except PlaywrightError as err:  # a notebook that fails: measure the rest
                            say(f"  {view} {path.stem}: not measured ({str(err).splitlines()[0]})")
                            results[(view, path.stem, -1, "(not measured)")] = []
                        finally:
                            page.close()
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def say(text):
    print(text, file=sys.stderr, flush=True)


def open_page(page, view, url, path):
    """Open one notebook (in JupyterLab, run every cell); wait for its explorers; return their
    selector."""
    expected = jupyter.explorer_cells(path)
    if view == "voila":
        selector = jupyter.VOILA_EXPLORER
        page.goto(f"{url}/voila/render/{path.name}", timeout=240000)
    else:
        selector = jupyter.LAB_EXPLORER
        jupyter.open_in_lab(page, url, path)
        jupyter.run_all_in_lab(page)
    page.wait_for_function(
        f"() => document.querySelectorAll('{selector}').length >= {expected}", timeout=180000
    )
    page.wait_for_timeout(1000)
    return selector


def report(repeat, only=()):
    """Print one line per explorer and view (moves, p50, p95, max), then the worst p95."""
    if chromium_path() is None:
        print(
            "Chromium is not installed: no explorer latency"
            " (Debian/Ubuntu: apt-get install chromium)"
        )
        return
    results = measure(5 * repeat, only)
    lines = [
        f"{'view':<7}{'notebook':<34}{'explorer':<28}{'moves':>6}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
    ]
    worst = 0.0
    for (view, stem, i, name), times in results.items():
        if not times:
            lines.append(f"{view:<7}{stem:<34}{name:<28}{0:>6}")
            continue
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        lines.append(f"{view:<7}{stem:<34}{name:<28}{len(times):>6}{statistics.median(times):>9.1f}{p95:>9.1f}"
                     f"{max(times):>9.1f}")
    lines.append(f"worst p95: {worst:.1f} ms (target: at most {TARGET_MS:g} ms)")
    text = "\n".join(lines)
    print(text)
    out = ROOT / "artifacts" / "browser"
    out.mkdir(parents=True, exist_ok=True)
    (out / "widget_latency.txt").write_text(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=20, help="5 x this many key presses per explorer"
    )
    parser.add_argument(
        "--notebooks", nargs="*", default=(), help="only notebooks whose names contain these"
    )
    args = parser.parse_args()
    report(args.repeat, args.notebooks)


if __name__ == "__main__":
    main()
