#!/usr/bin/env python3
"""Write the navigation line (previous · contents · next) at the top and bottom of every notebook,
and the reading path in 00-index.ipynb. Re-runnable: it finds its cells by their marker comments.

    python tools/add_navigation.py          rewrite the notebooks that are out of date
    python tools/add_navigation.py --check  exit 1 if any notebook is out of date (writes nothing)
"""
import copy
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAV = "<!--NAVIGATION-->"
CONTENTS = "<!--CONTENTS-->"
INDEX = "00-index.ipynb"


def title_and_summary(nb):
    """The H1 title of the first cell and the paragraph that follows it."""
    lines = nb.cells[0].source.strip().splitlines()
    title = lines[0].lstrip("# ").strip()
    rest = "\n".join(lines[1:]).strip().split("\n\n")[0].replace("\n", " ")
    return title, rest


def nav_line(paths, k):
    def title(path):
        return title_and_summary(nbformat.read(path, 4))[0]

    parts = []
    if k > 0:
        parts.append(f"&lt; [{title(paths[k - 1])}]({paths[k - 1].name})")
    if paths[k].name != INDEX:
        parts.append(f"[Contents]({INDEX})")
    if k + 1 < len(paths):
        parts.append(f"[{title(paths[k + 1])}]({paths[k + 1].name}) &gt;")
    return f"{NAV}\n" + " | ".join(parts)


def contents(paths):
    items = []
    for p in paths:
        if p.name == INDEX:
            continue
        title, summary = title_and_summary(nbformat.read(p, 4))
        items.append(f"1. [{title}]({p.name}): {summary}")
    return f"{CONTENTS}\n## Reading path\n\n" + "\n".join(items)


def updated(nb, path, paths, k):
    """A copy of the notebook with its generated cells rewritten (or added where missing)."""
    nb = copy.deepcopy(nb)
    nav = nav_line(paths, k)
    cells = [c for c in nb.cells if not c.source.startswith(NAV)]
    cells.insert(1, nbformat.v4.new_markdown_cell(nav))
    cells.append(nbformat.v4.new_markdown_cell(nav))
    if path.name == INDEX:
        for c in cells:
            if c.source.startswith(CONTENTS):
                c.source = contents(paths)
                break
        else:
            cells.insert(2, nbformat.v4.new_markdown_cell(contents(paths)))
    # keep the ids of cells that already existed, so a re-run changes nothing
    old = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(NAV)]
    new = [c for c in cells if c.cell_type == "markdown" and c.source.startswith(NAV)]
    for o, n in zip(old, new):
        n.id = o.id
    return nbformat.from_dict(dict(nb, cells=cells))


def main(check):
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if not paths or paths[0].name != INDEX:
        sys.exit(f"expected {INDEX} first among {len(paths)} notebooks in {NOTEBOOKS}")
    stale = []
    for k, path in enumerate(paths):
        nb = nbformat.read(path, 4)
        new = updated(nb, path, paths, k)
        if nbformat.writes(new) != nbformat.writes(nb):
            stale.append(path.name)
            if not check:
                nbformat.write(new, path)
    verb = "out of date" if check else "updated"
    listed = ": " + ", ".join(stale) if stale else ""
    print(f"navigation: {len(paths)} notebooks, {len(stale)} {verb}{listed}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
