"""The web book (python3 tasks.py site), built in a temporary folder, read offline in Chromium.

The build runs here (it fetches KaTeX with `npm ci` the first time, from package-lock.json) and must
leave every notebook as it was. Chromium then opens every page from a server on 127.0.0.1 with every
request to another host refused, and checks: nothing left the machine, no console error, no formula
left untypeset, every explorer live (its ES module running in the page) and redrawing on every
keyboard move of each of its controls, with the same numbers as the explorer built in Python for
the same state (helpers) and the same main grids as torch.nn.functional, previous/contents/next
links, and the lecture mode.
Without Chromium the browser tests are skipped, unless REQUIRE_BROWSER is set (as .ci/run does).
"""

import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.offline import OfflineContext, serve

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MAX_MOVES = 24  # keyboard moves per control at most (right to the end, left to the start, back)


def page_name(path):
    return "index.html" if path.name == "00-index.ipynb" else path.stem + ".html"


def explorer_count(path):
    cells = json.loads(path.read_text())["cells"]
    return sum(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c.get("outputs", []))


def has_math(path):
    cells = json.loads(path.read_text())["cells"]
    return any(c["cell_type"] == "markdown" and "$" in "".join(c["source"]) for c in cells)


def digests():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    assert NOTEBOOKS, "no notebooks found"
    out = tmp_path_factory.mktemp("book") / "site"
    before = digests()
    result = subprocess.run(
        [sys.executable, str(ROOT / "site_builder/build.py"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"out": out, "before": before, "after": digests(), "log": result.stdout}


def test_building_leaves_every_notebook_unchanged(built):
    assert built["before"] == built["after"]


def test_every_notebook_has_a_page_and_everything_is_inside_the_site(built):
    out = built["out"]
    for path in NOTEBOOKS:
        assert (out / page_name(path)).is_file(), f"no page for {path.name}"
    assert (out / "assets/katex/katex.min.css").is_file()
    assert list((out / "assets/katex/fonts").glob("*.woff2")), "KaTeX's fonts were not copied"
    links = re.compile(r'(?:href|src)="([^"#]*)')
    for page in out.glob("*.html"):
        for target in links.findall(page.read_text()):
            if not target or target.startswith(("data:", "mailto:")):
                continue
            assert not re.match(r"^[a-z]+:|^//", target), (
                f"{page.name} refers outside the site: {target}"
            )
            assert (out / target).exists(), (
                f"{page.name} links to {target}, which is not in the site"
            )
    sheets = (out / "assets/katex/katex.min.css").read_text()
    assert "http" not in re.sub(r"/\*.*?\*/", "", sheets, flags=re.DOTALL), (
        "KaTeX's CSS refers to the network"
    )


@pytest.fixture(scope="module")
def origin(built):
    with serve(built["out"]) as url:
        yield url


@pytest.fixture
def offline(browser, origin):
    ctx = OfflineContext(browser, origin, viewport={"width": 1200, "height": 900})
    yield ctx
    ctx.close()


def settle(page):
    """Wait until the page's explorers are running: leaving earlier would abort their modules'
    loading."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.explorersReady !== undefined")
    page.evaluate("() => window.explorersReady")


def open_page(offline, name):
    page = offline.new_page()
    page.goto(f"{offline.origin}/{name}", wait_until="load")
    settle(page)
    return page


TEXT_OUTSIDE_CODE = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(n) {
    return n.parentElement.closest('pre, code, script, style, .katex')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
  }});
  while (walker.nextNode()) parts.push(walker.currentNode.textContent);
  return parts.join(' ');
}"""
RAW_LATEX = re.compile(r"\$[^$\s][^$]*\$|\$\$|\\[()\[\]]|\\[A-Za-z]+")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_reads_offline_with_its_math_typeset(offline, path):
    page = open_page(offline, page_name(path))
    text = page.evaluate(TEXT_OUTSIDE_CODE)
    raw = RAW_LATEX.findall(text)
    assert not raw, f"untypeset LaTeX on {page_name(path)}: {raw[:5]}"
    assert page.locator(".katex-error").count() == 0
    if has_math(path):
        assert page.locator(".katex").count() > 0
    assert page.locator("main h1").count() == 1
    assert offline.refused == [], f"requests left the machine: {offline.refused}"
    assert offline.errors == [], offline.errors


def test_previous_contents_next_walk_through_the_book(offline):
    page = open_page(offline, "index.html")
    names = [page_name(p) for p in NOTEBOOKS]
    for k, name in enumerate(names):
        assert page.url.endswith("/" + name)
        prev_link = page.locator("header .nav-prev a")
        if k == 0:
            assert prev_link.count() == 0
        else:
            assert prev_link.get_attribute("href") == names[k - 1]
        if k > 0:
            assert page.locator("header .nav-contents a").get_attribute("href") == "index.html"
        if k + 1 < len(names):
            page.locator("footer .nav-next a").click()
            page.wait_for_url("**/" + names[k + 1])
            settle(page)
        else:
            assert page.locator("header .nav-next a").count() == 0
    assert offline.refused == [] and offline.errors == [], offline.refused + offline.errors


def test_lecture_mode_enlarges_the_type_and_folds_the_code(offline):
    name = page_name(NOTEBOOKS[1])
    page = open_page(offline, name)
    size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    normal = page.evaluate(size)
    assert page.locator("details.code[open]").count() == page.locator("details.code").count() > 0
    page.locator("header .reading-toggle").click()
    assert page.evaluate(size) >= 1.3 * normal
    assert page.locator("details.code[open]").count() == 0
    page.reload(wait_until="load")  # the choice is remembered
    assert page.evaluate("() => document.documentElement.classList.contains('lecture')")
    assert page.locator("details.code[open]").count() == 0
    page.keyboard.press("l")
    assert page.evaluate(size) == normal
    assert page.locator("details.code[open]").count() == page.locator("details.code").count()
    assert offline.errors == [], offline.errors


# ----- explorers ----------------------------------------------------------------------------------

WATCH = """(box) => {
  const view = box.querySelector('.tc-view');
  window.__redraws = 0;
  if (window.__observer) window.__observer.disconnect();
  window.__observer = new MutationObserver(() => { window.__redraws += 1; });
  window.__observer.observe(view,
    {childList: true, subtree: true, characterData: true, attributes: true});
}"""
STATE = """(box) => Object.fromEntries([...box.querySelectorAll('.tc-controls [name]')].map(
  e => [e.name,
        e.type === 'checkbox' ? e.checked : e.type === 'range' ? Number(e.value) : e.value]))"""


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def numbers(html):
    """Every number an explorer's view shows (grid cells, captions), in order, from its HTML."""
    parser = _Text()
    parser.feed(html)
    return NUMBER.findall(" ".join(parser.parts))


def python_view(name, values):
    """The same explorer built in Python for the same control values: its view as HTML, computed
    with helpers (whose tests check them against torch.nn.functional) and torch."""
    import helpers.widgets as hw

    explorer = getattr(hw, name)()
    with explorer.hold_trait_notifications():
        for key, value in values.items():
            setattr(explorer, key, value)
    return explorer.snapshot()


TABLES = """(view) => [...view.querySelectorAll('table[data-role]')].map(t => [t.dataset.role,
  [...t.rows].map(r => [...r.cells].map(c => c.textContent))])"""


def torch_mismatch(torch_grids, name, state, tables):
    """The first main grid the page shows differently from torch.nn.functional for `state`, or None
    (the grids torch computes directly for each explorer: conftest's torch_grids)."""
    from helpers.plots import fmt

    by_role = {}
    for role, rows in tables:
        by_role.setdefault(role, []).append(rows)
    for (role, index), expected in torch_grids(name, state).items():
        rows = by_role[role][index]
        want = [[fmt(t) for t in row] for row in expected.tolist()]
        if expected.abs().max() > 0 and all(all(c == "" for c in r) for r in rows):
            continue  # a grid drawn without numbers (too many cells to print)
        if rows != want:
            return {"grid": role, "torch": want, "page": rows}
    return None


def keyboard_moves(control):
    """The keys that move a control one step at a time through its range and back, each a change."""
    kind = control.evaluate("e => e.type")
    if kind == "checkbox":
        return [" ", " "]
    if kind == "range":
        lo, hi, value, step = control.evaluate(
            "e => [Number(e.min), Number(e.max), Number(e.value), Number(e.step) || 1]"
        )
        up, span, down = (hi - value) // step, (hi - lo) // step, (value - lo) // step
        keys = ["ArrowRight"] * up + ["ArrowLeft"] * span + ["ArrowRight"] * down
    else:
        n, k = control.evaluate("e => [e.options.length, e.selectedIndex]")
        keys = ["ArrowDown"] * (n - 1 - k) + ["ArrowUp"] * (n - 1) + ["ArrowDown"] * k
    return keys[:MAX_MOVES]


def explorer_pages():
    pages = [p for p in NOTEBOOKS if explorer_count(p)]
    assert pages, "no notebook has an explorer"
    return pages


BEFORE = f"(box) => {{ ({WATCH})(box); return ({STATE})(box); }}"
"""Watch the explorer's view for a redraw; return its controls' values."""
AFTER = f"""(box) => {{
  const view = box.querySelector('.tc-view');
  return {{state: ({STATE})(box), html: view.innerHTML, tables: ({TABLES})(view)}};
}}"""
"""The explorer's controls' values, its view's HTML and its view's tables, read at once."""


@pytest.mark.parametrize("path", explorer_pages(), ids=[p.stem for p in explorer_pages()])
def test_every_explorer_is_live_redraws_on_every_keyboard_move_and_agrees_with_python(
    offline, path, torch_grids
):
    page = open_page(offline, page_name(path))
    boxes = page.locator(".explorer")
    assert boxes.count() == explorer_count(path)
    compared = 0
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert box.get_attribute("data-live") == "yes", f"explorer {i} on {path.name} is not live"
        explorer = box.locator(".tc-explorer").get_attribute("data-explorer")
        assert box.locator(".explorer-snapshot").is_hidden()
        controls = box.locator(".tc-controls [name]")
        assert controls.count() > 0
        for c in range(controls.count()):
            control = controls.nth(c)
            control.scroll_into_view_if_needed()
            name = control.get_attribute("name")
            for key in keyboard_moves(control):
                before = box.evaluate(BEFORE)
                control.press(key)
                page.wait_for_function("() => window.__redraws > 0", timeout=5000)
                now = box.evaluate(AFTER)
                after, shown, tables = now["state"], now["html"], now["tables"]
                assert after != before, f"{name} on {path.name}: {key} did not move the control"
                assert numbers(shown), f"{explorer}, {name}: the view shows no number"
                expected = numbers(python_view(explorer, after))
                assert numbers(shown) == expected, (
                    f"{explorer} at {after}: the page and Python differ"
                )
                differs = torch_mismatch(torch_grids, explorer, after, tables)
                assert differs is None, (
                    f"{explorer} at {after}: the page and torch differ: {differs}"
                )
                compared += 1
    assert compared > 0
    assert offline.refused == [] and offline.errors == [], offline.refused + offline.errors


def test_opened_from_the_disk_the_pages_read_and_the_explorers_run(built, browser):
    """A page opened as a file (file://): no error, formulas typeset, every explorer live."""
    path = explorer_pages()[0]
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((built["out"] / page_name(path)).as_uri(), wait_until="load")
    page.evaluate("() => window.explorersReady")
    lives = page.locator(".explorer").evaluate_all("boxes => boxes.map(b => b.dataset.live)")
    context.close()
    assert lives and all(v == "yes" for v in lives), lives
    assert errors == [], errors
