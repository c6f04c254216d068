"""In a real browser: every notebook in JupyterLab, and the lecture view in Voila, driven by Chromium.

JupyterLab and Voila serve a temporary copy of the notebooks (the committed ones are never touched),
on a free localhost port. Screenshots and the measured slider-to-page latency are written to
artifacts/browser/, which git ignores. Without Chromium these tests are skipped, unless
REQUIRE_BROWSER is set (as .ci/run does), when they fail.
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import LATENCY_REPORT

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ARTIFACTS = ROOT / "artifacts" / "browser"
TOKEN = "browser-test-token"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
MOVES = 20  # slider moves per explorer for the latency figures


def explorer_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code" and "_explorer(" in "".join(c["source"]))


def chromium_path():
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"nothing answered at {url} within {seconds} s")


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (Debian/Ubuntu: apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("pages")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    for sub in ("settings", "workspaces", "runtime"):
        (work / sub).mkdir()
    # render every cell, not only those in view, so that every explorer is on the page at once
    tracker = work / "settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return work


def serve(cmd, url, work):
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(work / "runtime"), JUPYTER_PATH=str(ROOT / "lecture"))
    log = work / f"server-{len(list(work.glob('server-*')))}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(url)
    except TimeoutError:
        stop(process)
        raise TimeoutError(f"{cmd[2]} did not start; its log: {log.read_text()[-2000:]}") from None
    return process


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def lab(workdir):
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={workdir / 'notebooks'}",
           "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={workdir / 'settings'}",
           f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    process = serve(cmd, f"http://127.0.0.1:{port}/api/status?token={TOKEN}", workdir)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="module")
def voila(workdir):
    port = free_port()
    cmd = [sys.executable, "-m", "voila", str(workdir / "notebooks"), "--no-browser", "--Voila.ip=127.0.0.1",
           f"--port={port}", "--VoilaConfiguration.template=lecture", "--VoilaConfiguration.show_tracebacks=False"]
    process = serve(cmd, f"http://127.0.0.1:{port}/", workdir)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="module")
def latencies(request):
    found = {}
    yield found
    if found:
        lines = [f"{'page':<50}{'moves':>6}{'p50 ms':>9}{'p95 ms':>9}"]
        for name, times in found.items():
            times = sorted(times)
            lines.append(f"{name:<50}{len(times):>6}{statistics.median(times):>9.1f}"
                         f"{times[int(0.95 * (len(times) - 1))]:>9.1f}")
        report = "\n".join(lines)
        (ARTIFACTS / "latency.txt").write_text(report + "\n")
        # printed at the end of the run by conftest.pytest_terminal_summary
        request.config.stash[LATENCY_REPORT] = "slider-to-page latency in Chromium (target: p95 at most 100 ms)\n" + report


EXPLORER = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output .widget-vbox"  # in the open notebook
MEASURE = """(i) => {
  const box = document.querySelectorAll('%s')[i];
  const view = [...box.querySelectorAll('.widget-html-content')].pop();
  window.__latency = {start: null, end: null};
  document.addEventListener('keydown', () => { window.__latency.start = performance.now(); }, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (window.__latency.start !== null && window.__latency.end === null) {
      window.__latency.end = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(view, {childList: true, subtree: true, characterData: true});
}"""


STATIC_SNAPSHOTS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets
    .filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().includes('_explorer('));
  const shown = cells.filter(c => c.node.querySelector(
    '.jp-OutputArea-output[data-mime-type="text/html"] table, .jp-OutputArea-output[data-mime-type="text/html"] img'));
  return cells.length === %d && shown.length === cells.length;
}"""


def view_html(page, selector, i):
    return page.locator(selector).nth(i).locator(".widget-html-content").last.inner_html()


def move_sliders(page, selector, count, name, latencies):
    """Each explorer: its first slider moves right and left; the view must change after every move."""
    for i in range(count):
        handle = page.locator(selector).nth(i).locator(".widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        times = []
        for move in range(MOVES):
            before = view_html(page, selector, i)
            page.evaluate(MEASURE % selector, i)
            handle.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
            page.wait_for_function("() => window.__latency.end !== null", timeout=15000)
            times.append(page.evaluate("() => window.__latency.end - window.__latency.start"))
            assert view_html(page, selector, i) != before, f"explorer {i} of {name} did not redraw"
        latencies[f"{name} explorer {i}"] = times


def check_page(page, selector, expected, name):
    errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"], [data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert page.locator(".jp-OutputArea-output").filter(has_text="Error displaying widget").count() == 0
    assert page.locator(selector).count() == expected
    for i in range(expected):
        view = view_html(page, selector, i)
        assert "<table" in view or "<img" in view, f"explorer {i} of {name} shows no grid or image"
        assert "border-left:6px" not in view, f"explorer {i} of {name} shows an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_jupyterlab(path, browser, lab, latencies):
    expected = explorer_cells(path)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a workspace of its own, reset, so no other notebook is open behind this one
        page.goto(f"{lab}/lab/workspaces/{path.stem}/tree/{path.name}?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=90000)
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel", timeout=90000)
        # before anything runs, the committed notebook (untrusted) shows each explorer's static snapshot
        page.wait_for_function(STATIC_SNAPSHOTS % expected, timeout=60000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            """() => {
              const panel = window.jupyterapp.shell.currentWidget;
              const kernel = panel.sessionContext.session.kernel;
              const cells = panel.content.widgets.filter(c => c.model.type === 'code');
              return kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
            }""", timeout=240000, polling=500)
        # widget views attach after their cell has finished; wait for all of them (or time out and report)
        page.wait_for_function(f"() => document.querySelectorAll('{EXPLORER}').length >= {expected}", timeout=60000)
        check_page(page, EXPLORER, expected, path.name)
        page.screenshot(path=str(ARTIFACTS / f"lab-{path.stem}.png"))
        move_sliders(page, EXPLORER, expected, f"lab {path.stem}", latencies)
        for theme in ("JupyterLab Dark", "JupyterLab Light"):
            page.evaluate(f"() => window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
            page.wait_for_timeout(1500)
            suffix = "dark" if "Dark" in theme else "light"
            for i in range(expected):
                box = page.locator(EXPLORER).nth(i)
                # clear of the notebook's sticky toolbar, so the controls show in the picture
                box.evaluate("e => { e.scrollIntoView(); e.closest('.jp-WindowedPanel-outer').scrollBy(0, -60); }")
                box.screenshot(path=str(ARTIFACTS / f"lab-{path.stem}-explorer{i}-{suffix}.png"))
    finally:
        page.close()


LECTURE = [p for p in NOTEBOOKS if explorer_cells(p)]


@pytest.mark.parametrize("path", LECTURE, ids=lambda p: p.name)
def test_lecture_view_in_voila(path, browser, voila, latencies):
    expected = explorer_cells(path)
    selector = ".jp-OutputArea-output .widget-vbox"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{voila}/voila/render/{path.name}", timeout=240000)
        page.wait_for_function(f"() => document.querySelectorAll('{selector}').length >= {expected}", timeout=240000)
        check_page(page, selector, expected, path.name)
        assert page.locator(".jp-InputArea-editor:visible").count() == 0, "the lecture view shows code"
        assert "Traceback" not in page.content()
        page.screenshot(path=str(ARTIFACTS / f"voila-{path.stem}.png"))
        move_sliders(page, selector, expected, f"voila {path.stem}", latencies)
        for i in range(expected):
            page.locator(selector).nth(i).screenshot(path=str(ARTIFACTS / f"voila-{path.stem}-explorer{i}.png"))
    finally:
        page.close()
