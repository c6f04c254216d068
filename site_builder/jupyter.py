"""JupyterLab and the Voila lecture view serving a temporary copy of the notebooks on a free
localhost port, and what a page of theirs shows: for tests/test_browser_*.py and
benchmarks/widget_latency.py.

The committed notebooks are never touched: the servers read a copy made by prepare_workdir.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
TOKEN = "browser-test-token"
LAB_EXPLORER = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output .tc-explorer"
"""An explorer in the notebook open in JupyterLab (not one in a hidden panel)."""
VOILA_EXPLORER = ".jp-OutputArea-output .tc-explorer"
"""An explorer in the Voila lecture view."""


def explorer_cells(path):
    """How many code cells of the notebook at `path` build an explorer."""
    cells = json.loads(path.read_text())["cells"]
    return sum(
        1 for c in cells if c["cell_type"] == "code" and "_explorer(" in "".join(c["source"])
    )


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


def prepare_workdir(work):
    """A copy of the notebooks in `work`, with JupyterLab's settings, workspaces and runtime
    folders; every cell rendered, not only those in view, so that every explorer is on the page."""
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    for sub in ("settings", "workspaces", "runtime"):
        (work / sub).mkdir()
    tracker = work / "settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    return work


def serve(cmd, url, work):
    """Start `cmd` in `work` (its output in work/server-N.log); return the process once `url`
    answers."""
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_PATH=str(ROOT / "lecture"),
    )
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


@contextlib.contextmanager
def lab(work):
    """JupyterLab on the notebooks of `work` (made by prepare_workdir); yields its URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={work / 'notebooks'}", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={work / 'settings'}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    process = serve(cmd, f"http://127.0.0.1:{port}/api/status?token={TOKEN}", work)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@contextlib.contextmanager
def voila(work):
    """The lecture view (Voila, the lecture template) on the notebooks of `work`; yields its URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "voila", str(work / "notebooks"), "--no-browser",
        "--Voila.ip=127.0.0.1", f"--port={port}", "--VoilaConfiguration.template=lecture",
        "--VoilaConfiguration.show_tracebacks=False",
    ]  # fmt: skip
    process = serve(cmd, f"http://127.0.0.1:{port}/", work)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


PANEL = "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
KERNEL = (
    "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
    " return s && s.session && s.session.kernel; }"
)


def open_in_lab(page, url, path, kernel=True):
    """Open the notebook `path` in JupyterLab at `url`, in a workspace of its own, reset, so that
    no other notebook is open behind it; with `kernel`, wait until its kernel is there."""
    page.goto(f"{url}/lab/workspaces/{path.stem}/tree/{path.name}?reset&token={TOKEN}")
    page.wait_for_function(PANEL, timeout=90000)
    if kernel:
        page.wait_for_function(KERNEL, timeout=90000)


def run_all_in_lab(page):
    """Run every cell of the open notebook; wait until each has run and the kernel is idle."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
          const panel = window.jupyterapp.shell.currentWidget;
          const kernel = panel.sessionContext.session.kernel;
          const cells = panel.content.widgets.filter(c => c.model.type === 'code');
          return kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
        }""",
        timeout=240000,
        polling=500,
    )


RUN_CELLS = """(indices) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const notebook = panel.content;
  for (const i of indices) {
    notebook.activeCellIndex = i;
    notebook.deselectAll();
    window.jupyterapp.commands.execute('notebook:run-cell');
  }
}"""
CELLS_DONE = """(indices) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const cells = indices.map(i => panel.content.widgets[i]);
  return kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
}"""


def run_cells_in_lab(page, indices):
    """Run the cells at `indices` (0-based, in that order) of the open notebook; wait until each
    has run and the kernel is idle."""
    page.evaluate(RUN_CELLS, indices)
    page.wait_for_function(CELLS_DONE, arg=indices, timeout=240000, polling=200)


def page_problems(page, selector, expected):
    """What is wrong on a page that should show `expected` explorers (found by `selector`): an
    error or stderr output, a widget that failed to display, a missing explorer, or an explorer
    whose view is empty or an error message. An empty list when nothing is."""
    problems = []
    errors = page.locator(
        '[data-mime-type="application/vnd.jupyter.stderr"],'
        ' [data-mime-type="application/vnd.jupyter.error"]'
    )
    if errors.count():
        problems.append(f"an error or stderr output: {errors.first.inner_text()[:500]}")
    if page.locator(".jp-OutputArea-output").filter(has_text="Error displaying widget").count():
        problems.append("a widget shows 'Error displaying widget'")
    found = page.locator(selector).count()
    if found != expected:
        problems.append(f"{found} explorers on the page, {expected} expected")
    for i in range(min(found, expected)):
        view = page.locator(selector).nth(i).locator(".tc-view").inner_html()
        if "<table" not in view and "<canvas" not in view:
            problems.append(f"explorer {i} shows no grid or image")
        if 'data-role="message"' in view:
            problems.append(f"explorer {i} shows an error")
    return problems


MEASURE = """(box) => {
  const view = box.querySelector('.tc-view');
  const t = window.__latency = {start: null, end: null, before: view.innerHTML, view};
  document.addEventListener('keydown', () => { t.start = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (t.start !== null && t.end === null) {
      t.end = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(view, {childList: true, subtree: true, characterData: true});
}"""
REDRAWN = """() => { const t = window.__latency;
  return t.end !== null && {ms: t.end - t.start, changed: t.view.innerHTML !== t.before}; }"""


def move_first_slider(page, box, moves):
    """Press ArrowRight and ArrowLeft in turn on the first slider of the explorer `box`, `moves`
    times. Each press: the time from the key press to the first change of the explorer's view,
    in ms, and whether the view then differs from before the press: [(ms, changed), ...]."""
    handle = box.locator("input[type=range]").first
    handle.scroll_into_view_if_needed()
    found = []
    for move in range(moves):
        box.evaluate(MEASURE)
        handle.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
        t = page.wait_for_function(REDRAWN, timeout=15000).json_value()
        found.append((t["ms"], t["changed"]))
    return found
