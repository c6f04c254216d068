#!/usr/bin/env python3
"""The web book in Chromium: each page's load time and the slider-to-page latency of its explorers.

    .venv/bin/python benchmarks/site_latency.py [--site DIR] [--loads N] [--moves N]

Builds the site into a temporary folder (or reads one with --site), serves it on 127.0.0.1 with
every other host refused, and measures:
- load: navigation start to the `load` event, each page opened --loads times in a fresh browser
  context (empty cache), median and worst;
- slider to page: every range control of every explorer moved --moves times with the arrow keys,
  from the key press (keydown) to the redrawn view (the first change of the explorer's view in the
  DOM), p50 and p95; and to the next animation frame after it (when the browser paints it).
Targets: load at most 1 s per page, slider-to-page p95 at most 16 ms (one 60 Hz frame).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from site_builder.offline import CHROMIUM_ARGS, OfflineContext, chromium_path, serve

ROOT = Path(__file__).resolve().parents[1]

LOAD_TARGET_MS, SLIDER_TARGET_MS = 1000.0, 16.0

LOAD_TIME = "() => performance.getEntriesByType('navigation')[0].loadEventStart"
MEASURE = """(box) => {
  const view = box.querySelector('.tc-view');
  const t = window.__latency = {start: null, dom: null, frame: null};
  document.addEventListener('keydown', () => { t.start = performance.now(); },
    {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (t.start === null || t.dom !== null) return;
    t.dom = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => { t.frame = performance.now(); });
  });
  observer.observe(view, {childList: true, subtree: true, characterData: true, attributes: true});
}"""


def percentile(times, q):
    ordered = sorted(times)
    return ordered[int(q * (len(ordered) - 1))]


def measure_loads(browser, origin, pages, loads):
    rows = []
    for name in pages:
        times = []
        for _ in range(loads):
            ctx = OfflineContext(browser, origin, viewport={"width": 1200, "height": 900})
            page = ctx.new_page()
            page.goto(f"{origin}/{name}", wait_until="load")
            times.append(page.evaluate(LOAD_TIME))
            if ctx.refused or ctx.errors:
                sys.exit(f"{name}: {ctx.refused + ctx.errors}")
            ctx.close()
        rows.append((name, statistics.median(times), max(times)))
    return rows


def measure_sliders(browser, origin, pages, moves):
    rows = []
    ctx = OfflineContext(browser, origin, viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    for name in pages:
        page.goto(f"{origin}/{name}", wait_until="load")
        page.evaluate("() => window.explorersReady")
        boxes = page.locator(".explorer")
        for i in range(boxes.count()):
            box = boxes.nth(i)
            label = f"{name} #{i + 1}"
            if box.get_attribute("data-live") != "yes":
                rows.append((label, None, None, None, None, 0))
                continue
            label = f"{box.locator('.tc-explorer').get_attribute('data-explorer')} ({name})"
            dom, frame = [], []
            sliders = box.locator(".tc-controls input[type=range]")
            for s in range(sliders.count()):
                slider = sliders.nth(s)
                slider.scroll_into_view_if_needed()
                for _ in range(moves):
                    lo, hi, value = slider.evaluate(
                        "e => [Number(e.min), Number(e.max), Number(e.value)]"
                    )
                    if lo == hi:
                        break
                    box.evaluate(MEASURE)
                    slider.press("ArrowLeft" if value == hi else "ArrowRight")
                    page.wait_for_function("() => window.__latency.frame !== null", timeout=10000)
                    t = page.evaluate("() => window.__latency")
                    dom.append(t["dom"] - t["start"])
                    frame.append(t["frame"] - t["start"])
            if dom:
                rows.append(
                    (
                        label,
                        statistics.median(dom),
                        percentile(dom, 0.95),
                        statistics.median(frame),
                        percentile(frame, 0.95),
                        len(dom),
                    )
                )
            else:
                rows.append((label, None, None, None, None, 0))
    if ctx.refused or ctx.errors:
        sys.exit(f"{ctx.refused + ctx.errors}")
    ctx.close()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--site", type=Path, help="a built site (default: build one into a temporary folder)"
    )
    parser.add_argument("--loads", type=int, default=3, help="loads per page (default 3)")
    parser.add_argument("--moves", type=int, default=20, help="moves per slider (default 20)")
    args = parser.parse_args()
    path = chromium_path()
    if path is None:
        sys.exit("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            subprocess.run(
                [sys.executable, str(ROOT / "site_builder/build.py"), "--out", str(site)],
                check=True,
            )
        pages = sorted(p.name for p in site.glob("*.html"))
        from playwright.sync_api import sync_playwright

        with serve(site) as origin, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            loads = measure_loads(browser, origin, pages, args.loads)
            sliders = measure_sliders(browser, origin, pages, args.moves)
            browser.close()
    print(
        f"\nPage load, navigation start to `load`, {args.loads} cold loads each"
        " (target: at most 1 s)"
    )
    print(f"{'page':50} {'median':>9} {'worst':>9}")
    for name, median, worst in loads:
        print(f"{name:50} {median:7.0f} ms {worst:7.0f} ms")
    print(
        "\nSlider to page, key press to redrawn view (and to the next frame),"
        f" {args.moves} moves per slider"
        f" (target: p95 at most {SLIDER_TARGET_MS:.0f} ms)"
    )
    print(f"{'explorer':60} {'p50':>8} {'p95':>8} {'frame p50':>10} {'frame p95':>10} {'moves':>6}")
    for label, p50, p95, f50, f95, n in sliders:
        if n == 0:
            print(f"{label:60} {'not live (static snapshot)':>46}")
        else:
            print(f"{label:60} {p50:5.1f} ms {p95:5.1f} ms {f50:7.1f} ms {f95:7.1f} ms {n:6d}")
    worst_load = max(w for _, _, w in loads)
    live = [r for r in sliders if r[5]]
    print(f"\nWorst page load {worst_load:.0f} ms (target {LOAD_TARGET_MS:.0f} ms); ", end="")
    if live:
        print(
            f"worst slider p95 {max(r[2] for r in live):.1f} ms"
            f" (target {SLIDER_TARGET_MS:.0f} ms); "
            f"{len(sliders) - len(live)} of {len(sliders)} explorers not live"
        )
    else:
        print("no live explorer to measure")


if __name__ == "__main__":
    main()
