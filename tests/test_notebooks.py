"""The notebooks as files: executed top to bottom, clean outputs, navigation that resolves, the
right shape."""

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def test_notebooks_are_numbered_with_the_index_first():
    assert NOTEBOOKS, "no notebooks found"
    names = [p.name for p in NOTEBOOKS]
    assert names[0] == "00-index.ipynb"
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", n) for n in names), names
    assert [int(n[:2]) for n in names] == list(range(len(names)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom_with_clean_outputs(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and source(c).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error", source(c)
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), source(c)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_link_resolves(path):
    markdown = [source(c) for c in cells(path) if c["cell_type"] == "markdown"]
    links = [link for text in markdown for link in LINK.findall(text)]
    assert links, "a notebook without links has no navigation"
    for link in links:
        if re.match(r"[a-z]+://", link) or link.startswith("#"):
            continue
        target = (path.parent / unquote(link.split("#")[0])).resolve()
        assert target.exists(), f"{path.name} links to {link}, which does not exist"


def test_readme_links_resolve():
    for link in LINK.findall((ROOT / "README.md").read_text()):
        if not re.match(r"[a-z]+://", link) and not link.startswith("#"):
            assert (ROOT / unquote(link.split("#")[0])).exists(), link


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_navigation_at_top_and_bottom(path):
    cs = cells(path)
    assert source(cs[1]).startswith("<!--NAVIGATION-->") and source(cs[-1]).startswith(
        "<!--NAVIGATION-->"
    )


def test_navigation_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/add_navigation.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_index_lists_every_notebook():
    index = " ".join(source(c) for c in cells(NOTEBOOKS[0]))
    for p in NOTEBOOKS[1:]:
        assert f"]({p.name})" in index, p.name


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_lesson_shape(path):
    cs = cells(path)
    assert source(cs[0]).startswith("# "), "an H1 title first"
    markdown = [source(c) for c in cs if c["cell_type"] == "markdown"]
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("## ")]
    assert "## Summary" in headings and "## Exercises" in headings
    assert headings.index("## Summary") == len(headings) - 2, (
        "Summary, then Exercises, close the notebook"
    )
    for c in cs:
        if c["cell_type"] == "code":
            assert len(source(c).splitlines()) <= 25, "long code belongs in helpers/"
