"""The lecture view (Voila, code hidden) of every notebook, driven by Chromium: what a class
sees, the explorers live and redrawing on every move.

Voila serves a temporary copy of the notebooks (site_builder.jupyter; the committed ones are never
touched) on a free localhost port. Screenshots are written to artifacts/browser/, which git
ignores; the slider-to-page latency goes to the table printed at the end of the run. Without
Chromium these tests are skipped, unless REQUIRE_BROWSER is set (as .ci/run does), when they fail.
"""

import json
import re
from pathlib import Path

import pytest

from site_builder import jupyter
from site_builder.jupyter import NOTEBOOKS, VOILA_EXPLORER, explorer_cells

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
MOVES = 20  # slider moves per explorer for the latency figures
BOOLEANS = re.compile(r"^[\[(]?\s*(True|False)(\s*,\s*(True|False))*\s*,?\s*[\])]?$")


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with jupyter.voila(jupyter.prepare_workdir(tmp_path_factory.mktemp("lecture"))) as url:
        yield url


def shown_sources(path):
    """How many code cells are tagged show-source: code that is itself the lesson, shown in the
    lecture view."""
    cells = json.loads(path.read_text())["cells"]
    return sum(
        1
        for c in cells
        if c["cell_type"] == "code" and "show-source" in c["metadata"].get("tags", [])
    )


def check_lecture_outputs(page):
    """What a class sees: no cell output that reads as a bare True/False (or a list of them), no
    exercise stub. Read per cell: a print may reach the page as several stream pieces ("...:"
    then " True")."""
    texts = page.locator(".jp-Cell-outputArea:visible").all_inner_texts()
    assert texts, "no cell output area found in the lecture view"
    for text in texts:
        shown = text.strip()
        assert not BOOLEANS.match(shown), f"the lecture view shows a bare boolean: {shown!r}"
        short = shown[:200]
        assert "not attempted" not in text, f"the lecture view shows a stub's output: {short!r}"
        assert "NotImplementedError" not in text, f"the lecture view shows an error: {short!r}"


RENDERED = """([cells, explorers, sources]) => {
  const shown = (q) => [...document.querySelectorAll(q)].filter(e => e.offsetParent !== null);
  return document.querySelectorAll('.jp-Cell:not(.lecture-source), [data-lecture-hidden]').length
      >= cells
    && document.querySelectorAll('%s').length >= explorers
    && shown('.jp-Cell').length > 0
    && shown('[data-lecture-shown="source"] .jp-InputArea-editor').length >= sources;
}""" % VOILA_EXPLORER


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lecture_view_in_voila(path, pages, voila, record_property):
    expected = explorer_cells(path)
    page = pages.new_page()
    try:
        page.goto(f"{voila}/voila/render/{path.name}", timeout=240000)
        # every cell on the page (an exercise stub as its empty wrapper), every explorer, and the
        # page shown: Voila keeps the cells hidden until the notebook has finished running
        cells = len(json.loads(path.read_text())["cells"])
        page.wait_for_function(
            RENDERED, arg=[cells, expected, shown_sources(path)], timeout=240000
        )
        assert jupyter.page_problems(page, VOILA_EXPLORER, expected) == [], path.name
        shown = page.locator('[data-lecture-shown="source"] .jp-InputArea-editor:visible').count()
        assert shown == shown_sources(path), "the code of cells tagged show-source is missing"
        code = page.locator(".jp-InputArea-editor:visible").count()
        assert code == shown, "the lecture view shows code"
        assert "Traceback" not in page.content()
        check_lecture_outputs(page)
        page.screenshot(path=str(ARTIFACTS / f"voila-{path.stem}.png"))
        latency = {}
        for i in range(expected):
            box = page.locator(VOILA_EXPLORER).nth(i)
            moves = jupyter.move_first_slider(page, box, MOVES)
            redrawn = all(changed for _, changed in moves)
            assert redrawn, f"explorer {i} of {path.name} did not redraw"
            latency[f"voila {path.stem} explorer {i}"] = [ms for ms, _ in moves]
            box.screenshot(path=str(ARTIFACTS / f"voila-{path.stem}-explorer{i}.png"))
        record_property("latency", latency)
    finally:
        page.close()
