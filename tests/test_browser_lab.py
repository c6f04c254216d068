"""Every notebook in JupyterLab, driven by Chromium: the explorers run live, redraw on every
move, and show in the light and the dark theme.

JupyterLab serves a temporary copy of the notebooks (site_builder.jupyter; the committed ones are
never touched) on a free localhost port. Screenshots are written to artifacts/browser/, which git
ignores; the slider-to-page latency goes to the table printed at the end of the run. Without
Chromium these tests are skipped, unless REQUIRE_BROWSER is set (as .ci/run does), when they fail.
The browser tests are three modules (Lab, the lecture view, the explorers' modules) so that
pytest-xdist can run them on different workers; this one, the longest, is first alphabetically,
so it starts first (tasks.py runs the modules in collection order).
"""

import json
from pathlib import Path

import pytest

from site_builder import jupyter
from site_builder.jupyter import LAB_EXPLORER, NOTEBOOKS, explorer_cells

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
MOVES = 20  # slider moves per explorer for the latency figures
LIVE = [p for p in NOTEBOOKS if explorer_cells(p)]
STILL = [p for p in NOTEBOOKS if not explorer_cells(p)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with jupyter.lab(jupyter.prepare_workdir(tmp_path_factory.mktemp("lab"))) as url:
        yield url


STATIC_SNAPSHOTS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets
    .filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().includes('_explorer('));
  const html = '.jp-OutputArea-output[data-mime-type="text/html"]';
  const shown = cells.filter(c => c.node.querySelector(`${html} table, ${html} img`));
  return cells.length === %d && shown.length === cells.length;
}"""
THEMED = "(theme) => document.body.dataset.jpThemeName === theme"
CLEAR_OF_TOOLBAR = (
    "e => { e.scrollIntoView(); e.closest('.jp-WindowedPanel-outer').scrollBy(0, -60); }"
)
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def cells_to_run(path):
    """The indices of the notebook's first code cell (its imports) and of its explorer cells."""
    cells = json.loads(path.read_text())["cells"]
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    explorers = [i for i in code if "_explorer(" in "".join(cells[i]["source"])]
    return [code[0], *explorers]


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.name)
def test_notebook_runs_in_jupyterlab_with_live_explorers(path, pages, lab, record_property):
    """Opened: every stored output is drawn, each explorer's snapshot included. Then the imports
    and the explorer cells run, and every explorer is live and redraws on every move. The other
    cells are not run again here: strict nbval executes every cell in a kernel of this same
    environment, and the lecture-view test runs every notebook, explorers included, in Voila."""
    expected = explorer_cells(path)
    page = pages.new_page()
    try:
        jupyter.open_in_lab(page, lab, path)
        # before anything runs, the committed notebook (untrusted) shows each explorer's snapshot
        page.wait_for_function(STATIC_SNAPSHOTS % expected, timeout=60000)
        page.wait_for_function(SHOWN, arg=stored_outputs(path), timeout=60000)
        jupyter.run_cells_in_lab(page, cells_to_run(path))
        # widget views attach after their cell has finished: wait for all of them (or time out)
        page.wait_for_function(
            f"() => document.querySelectorAll('{LAB_EXPLORER}').length >= {expected}",
            timeout=60000,
        )
        assert jupyter.page_problems(page, LAB_EXPLORER, expected) == [], path.name
        page.screenshot(path=str(ARTIFACTS / f"lab-{path.stem}.png"))
        latency = {}
        for i in range(expected):
            moves = jupyter.move_first_slider(page, page.locator(LAB_EXPLORER).nth(i), MOVES)
            redrawn = all(changed for _, changed in moves)
            assert redrawn, f"explorer {i} of {path.name} did not redraw"
            latency[f"lab {path.stem} explorer {i}"] = [ms for ms, _ in moves]
        record_property("latency", latency)
        for theme in ("JupyterLab Dark", "JupyterLab Light"):
            page.evaluate(
                f"() => window.jupyterapp.commands.execute('apputils:change-theme', "
                f"{{theme: '{theme}'}})"
            )
            # JupyterLab names the theme on the body once its style sheet has loaded
            page.wait_for_function(THEMED, arg=theme, timeout=30000)
            page.evaluate(NEXT_FRAME)
            suffix = "dark" if "Dark" in theme else "light"
            for i in range(expected):
                box = page.locator(LAB_EXPLORER).nth(i)
                # clear of the notebook's sticky toolbar, so the controls show in the picture
                box.evaluate(CLEAR_OF_TOOLBAR)
                box.screenshot(path=str(ARTIFACTS / f"lab-{path.stem}-explorer{i}-{suffix}.png"))
    finally:
        page.close()


def stored_outputs(path):
    """How many outputs the notebook's file holds, as JupyterLab shows them: one per output, with
    consecutive pieces of one stream (stdout, stderr) shown as one."""
    count = 0
    for cell in json.loads(path.read_text())["cells"]:
        previous = None
        for out in cell.get("outputs", []):
            stream = out.get("name") if out["output_type"] == "stream" else None
            count += not (stream and stream == previous)
            previous = stream
    return count


SHOWN = """(n) => {
  const outputs = document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output');
  const images = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) img')];
  return outputs.length >= n && images.every(i => i.complete && i.naturalWidth > 0);
}"""


@pytest.mark.parametrize("path", STILL, ids=lambda p: p.name)
def test_notebook_without_explorers_shows_its_outputs_in_jupyterlab(path, pages, lab):
    """Opened, not run: every stored output is drawn (each picture loaded), none is an error.
    Running it here would repeat strict nbval, which executes the same cells in a kernel of this
    same environment and requires exactly the stored outputs (no error, no stderr); with no
    explorer on the page, JupyterLab's part is drawing those outputs, which this checks."""
    expected = stored_outputs(path)
    page = pages.new_page()
    try:
        jupyter.open_in_lab(page, lab, path, kernel=False)
        page.wait_for_function(SHOWN, arg=expected, timeout=60000)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        assert panel.locator(".jp-OutputArea-output").count() == expected
        assert jupyter.page_problems(page, LAB_EXPLORER, 0) == [], path.name
        page.screenshot(path=str(ARTIFACTS / f"lab-{path.stem}.png"))
    finally:
        page.close()
