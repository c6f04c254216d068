#!/usr/bin/env python3
"""Build the static web book: one HTML page per committed notebook, readable offline, no kernel.

    python site_builder/build.py              write site/ (python3 tasks.py site runs this)
    python site_builder/build.py --out DIR    write somewhere else
    python site_builder/build.py --notebooks DIR    read other notebooks

The notebooks are read, never executed and never written. Prose goes through nbconvert's Markdown
filter (mistune with math), code through Pygments, and every formula is typeset here, at build time,
by KaTeX from the pinned npm package (package-lock.json; `npm ci` runs when node_modules is
missing or stale). Every explorer keeps its static snapshot and, when its stored widget state
carries an ES module (an anywidget widget), the page runs that module in the browser with a small
stand-in for the widget model (assets/explorers.js), so the explorer computes and redraws there.
"""

import argparse
import base64
import hashlib
import html
import json
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from nbconvert.filters.ansi import ansi2html
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = ROOT / "notebooks"
INDEX = "00-index.ipynb"
NAV_MARKER = "<!--NAVIGATION-->"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATH = "\x02MATH{}\x03"
MATH_RE = re.compile("\x02MATH(\\d+)\x03")
PRELOAD_FONTS = {"KaTeX_Main-Regular": 'class="katex"', "KaTeX_Math-Italic": "mathnormal"}
"""KaTeX's two commonest fonts, fetched with the page (not after its style is computed)."""
RELATIVE_IMPORT = re.compile(r"""\bfrom\s*["']\./""")
EXPLORER_SOURCES = ROOT / "helpers/explorers"
NOTEBOOK_LINK = re.compile(r"^(\d\d-[\w.-]+?)\.ipynb(#.*)?$")


def page_name(notebook_name):
    """00-index.ipynb is the book's front page; NN-name.ipynb becomes NN-name.html."""
    return "index.html" if notebook_name == INDEX else notebook_name[: -len(".ipynb")] + ".html"


class Renderer(IPythonRenderer):
    """nbconvert's Markdown renderer; formulas set aside for KaTeX, notebook links made pages."""

    def __init__(self, formulas):
        super().__init__(escape=False, anchor_link_text="¶")
        self.formulas = formulas

    def _math(self, tex, display):
        self.formulas.append({"tex": tex.strip(), "display": display})
        return MATH.format(len(self.formulas) - 1)

    def block_math(self, body):
        return self._math(body, True)

    def latex_environment(self, name, body):
        return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", True)

    def inline_math(self, body):
        return self._math(body, False)

    def link(self, text, url, title=None):
        match = NOTEBOOK_LINK.match(url)
        if match:
            url = page_name(match.group(1) + ".ipynb") + (match.group(2) or "")
        return super().link(text, url, title)


def markdown(source, formulas):
    return MarkdownWithMath(renderer=Renderer(formulas)).render(source)


def png_size(data):
    """Width and height from a PNG's header: the page keeps the figure's place before it loads."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


def joined(value):
    return "".join(value) if isinstance(value, list) else value


def plain_title(nb):
    first = nb.cells[0].source.strip().splitlines()[0]
    return re.sub(r"[`*]", "", first.lstrip("# ").strip())


def model_closure(state, model_id):
    """The ids of a widget model and every model it refers to (children, layout, style)."""
    seen, todo = set(), [model_id]
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        todo.extend(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[mid]["state"])))
    return seen


class Book:
    def __init__(self, out):
        self.out = out
        self.formulas = []
        self.modules = {}  # ES module source digest -> file name under explorers/
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=False,
            keep_trailing_newline=True,
        )
        self.lexer = PythonLexer()
        self.formatter = HtmlFormatter(cssclass="highlight", nowrap=False)

    # ----- assets -------------------------------------------------------------------------------
    def asset_file(self, text, suffix):
        """Write an explorer's module or style sheet once, under a name made of its digest."""
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        name = f"explorers/{digest}{suffix}"
        if name not in self.modules:
            (self.out / name).write_text(text)
            self.modules[name] = digest
            if suffix == ".js" and not RELATIVE_IMPORT.search(text):
                # the same text as a classic script, which browsers run from file:// where they
                # refuse module files; assets/explorers.js turns it into a module there
                table = "(window.explorerSources = window.explorerSources || {})"
                classic = f"{table}[{json.dumps(name)}] = "
                (self.out / f"explorers/{digest}.classic.js").write_text(
                    classic + json.dumps(text) + ";\n"
                )
        return name

    def copy_explorer_sources(self):
        for js in EXPLORER_SOURCES.glob("*.js"):
            shutil.copy2(js, self.out / "explorers" / js.name)

    # ----- cells --------------------------------------------------------------------------------
    def explorer(self, data, page):
        """An explorer: its static snapshot inside a box that assets/explorers.js makes live."""
        view = data[WIDGET_VIEW]
        model_id = view.get("model_id", "")
        snapshot = joined(data.get("text/html", "")) or html.escape(
            joined(data.get("text/plain", ""))
        )
        attrs = [f'data-model-id="{html.escape(model_id)}"']
        if model_id in page["state"]:
            page["explorer_ids"].append(model_id)
        return (
            f'<div class="explorer" {" ".join(attrs)}>'
            f'<div class="explorer-snapshot">{snapshot}</div></div>'
        )

    def output(self, out, page, alt):
        kind = out["output_type"]
        if kind == "stream":
            css = "stderr" if out.get("name") == "stderr" else "stdout"
            return f'<pre class="output {css}">{ansi2html(joined(out["text"]))}</pre>'
        if kind == "error":
            return f'<pre class="output stderr">{ansi2html(chr(10).join(out["traceback"]))}</pre>'
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            return self.explorer(data, page)
        if "text/html" in data:
            return f'<div class="output html">{joined(data["text/html"])}</div>'
        for mime, suffix in (("image/png", ".png"), ("image/jpeg", ".jpg")):
            if mime in data:
                raw = base64.b64decode(joined(data[mime]))
                page["figures"] += 1
                name = f"figures/{page['stem']}-{page['figures']}{suffix}"
                (self.out / name).write_bytes(raw)
                size = png_size(raw) if mime == "image/png" else None
                dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
                return (
                    f'<figure class="output image"><img src="{name}"{dims} alt="{html.escape(alt)}"'
                    f' loading="lazy" decoding="async"></figure>'
                )
        if "text/markdown" in data:
            text = markdown(joined(data["text/markdown"]), self.formulas)
            return f'<div class="output markdown">{text}</div>'
        if "text/latex" in data:
            return (
                f'<div class="output latex">{self.formulas_for(joined(data["text/latex"]))}</div>'
            )
        if "text/plain" in data:
            return f'<pre class="output">{ansi2html(joined(data["text/plain"]))}</pre>'
        return ""

    def formulas_for(self, tex):
        tex = tex.strip().strip("$")
        self.formulas.append({"tex": tex, "display": True})
        return MATH.format(len(self.formulas) - 1)

    def code_cell(self, cell, page, alt):
        tags = cell.metadata.get("tags", [])
        count = cell.get("execution_count")
        prompt = f"In [{count}]" if count else "In [ ]"
        source = highlight(cell.source, self.lexer, self.formatter) if cell.source.strip() else ""
        outputs = "".join(self.output(o, page, alt) for o in cell.outputs)
        classes = " ".join(["cell", "code-cell", *(f"tag-{t}" for t in tags)])
        folded = (
            f'<details class="code" open><summary><span class="prompt">{prompt}</span>'
            f'<span class="fold-label">code</span></summary>{source}</details>'
            if source
            else ""
        )
        return f'<section class="{classes}">{folded}<div class="outputs">{outputs}</div></section>'

    def markdown_cell(self, cell):
        tags = cell.metadata.get("tags", [])
        classes = " ".join(["cell", "text-cell", *(f"tag-{t}" for t in tags)])
        return f'<section class="{classes}">{markdown(cell.source, self.formulas)}</section>'

    # ----- pages --------------------------------------------------------------------------------
    def read_page(self, path):
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        widget_state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        page = {
            "name": page_name(path.name),
            "stem": path.stem,
            "title": plain_title(nb),
            "state": widget_state,
            "explorer_ids": [],
            "figures": 0,
        }
        parts = []
        cells = [
            c
            for c in nb.cells
            if not (c.cell_type == "markdown" and c.source.startswith(NAV_MARKER))
        ]
        for k, cell in enumerate(cells):
            if cell.cell_type == "markdown":
                parts.append(self.markdown_cell(cell))
            elif cell.cell_type == "code":
                following = next(
                    (c.source for c in cells[k + 1 :] if c.cell_type == "markdown"), ""
                )
                alt = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", following.split("\n\n")[0])
                alt = re.sub(r"[`*$\\]", "", alt).strip()[:300]
                parts.append(self.code_cell(cell, page, alt or page["title"]))
        page["body"] = "\n".join(parts)
        page["explorers"] = self.explorer_state(page)
        return page

    def explorer_state(self, page):
        """The stored state of the page's explorers and their models; modules moved to files."""
        state = page.pop("state")
        models, css = {}, []
        for model_id in page["explorer_ids"]:
            for mid in sorted(model_closure(state, model_id)):
                entry = json.loads(json.dumps(state[mid]))
                traits = entry["state"]
                if entry.get("model_name") == "AnyModel" and not isinstance(
                    traits.get("_esm"), str
                ):
                    # stored without its module (saved with defaults dropped): use the module's
                    # source file, helpers/explorers/NAME.js for NAME_explorer, with its neighbours
                    source = EXPLORER_SOURCES / (
                        traits.get("_name", "").removesuffix("_explorer") + ".js"
                    )
                    if not source.is_file():
                        sys.exit(
                            f"{page['stem']}: explorer {mid} has no ES module (state, {source})"
                        )
                    self.copy_explorer_sources()
                    traits["_esm"] = {"file": f"explorers/{source.name}"}
                if isinstance(traits.get("_esm"), str):
                    if RELATIVE_IMPORT.search(
                        traits["_esm"]
                    ):  # a module that imports its neighbours
                        self.copy_explorer_sources()
                    traits["_esm"] = {"file": self.asset_file(traits["_esm"], ".js")}
                if isinstance(traits.get("_css"), str) and traits["_css"].strip():
                    name = self.asset_file(traits["_css"], ".css")
                    traits["_css"] = {"file": name}
                    css.append(name)
                models[mid] = entry
        page["css"] = sorted(set(css))
        return models

    def typeset(self):
        """Every formula of the book in one call to KaTeX (node), in the order of collection."""
        if not self.formulas:
            return []
        result = subprocess.run(
            ["node", str(HERE / "katex_render.mjs")],
            input=json.dumps(self.formulas),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if result.returncode:
            sys.exit(f"KaTeX failed:\n{result.stderr}")
        rendered = json.loads(result.stdout)
        bad = [(f["tex"], r["error"]) for f, r in zip(self.formulas, rendered) if "error" in r]
        if bad:
            sys.exit("KaTeX cannot typeset:\n" + "\n".join(f"  {t!r}: {e}" for t, e in bad))
        return [r["html"] for r in rendered]

    def write(self, pages):
        typeset = self.typeset()
        template = self.env.get_template("page.html")
        book_js = (HERE / "static/book.js").read_text()
        for k, page in enumerate(pages):
            body = MATH_RE.sub(lambda m: typeset[int(m.group(1))], page["body"])
            page["fonts"] = [font for font, mark in PRELOAD_FONTS.items() if mark in body]
            prev_page = pages[k - 1] if k > 0 else None
            next_page = pages[k + 1] if k + 1 < len(pages) else None
            state = json.dumps(page["explorers"], separators=(",", ":")).replace("</", "<\\/")
            text = template.render(
                page=page,
                body=body,
                prev=prev_page,
                next=next_page,
                contents=pages[0],
                widget_state=state,
                book_js=book_js,
            )
            (self.out / page["name"]).write_text(text, encoding="utf-8")


def ensure_katex():
    """node_modules as package-lock.json pins it: `npm ci` when it is missing or another version."""
    lock = json.loads((ROOT / "package-lock.json").read_text())
    want = lock["packages"]["node_modules/katex"]["version"]
    have = ROOT / "node_modules/katex/package.json"
    if have.exists() and json.loads(have.read_text())["version"] == want:
        return
    if shutil.which("npm") is None:
        sys.exit("npm is needed to fetch KaTeX (pinned in package-lock.json): install Node.js 20+")
    cmd = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    print("+", " ".join(cmd), flush=True)
    if subprocess.run(cmd, cwd=ROOT, check=False).returncode:
        sys.exit("npm ci failed; see its message above")


def copy_assets(out):
    assets = out / "assets"
    shutil.copytree(HERE / "static", assets, ignore=shutil.ignore_patterns("book.js"))  # inlined
    katex = ROOT / "node_modules/katex/dist"
    (assets / "katex").mkdir()
    shutil.copy2(katex / "katex.min.css", assets / "katex/katex.min.css")
    shutil.copytree(katex / "fonts", assets / "katex/fonts")
    (assets / "pygments.css").write_text(
        HtmlFormatter(style="default").get_style_defs(".highlight")
    )


def build(out, notebooks=NOTEBOOKS):
    start = time.monotonic()
    ensure_katex()
    paths = sorted(notebooks.glob("[0-9][0-9]-*.ipynb"))
    if not paths or paths[0].name != INDEX:
        sys.exit(f"no notebooks, or no {INDEX}, in {notebooks}")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "figures").mkdir(parents=True)
    (tmp / "explorers").mkdir()
    book = Book(tmp)
    pages = [book.read_page(p) for p in paths]
    book.write(pages)
    copy_assets(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    explorers = sum(len(p["explorer_ids"]) for p in pages)
    print(
        f"Wrote {len(pages)} pages to {out} ({size / 2**20:.1f} MiB, {len(book.formulas)} formulas,"
        f" {explorers} explorers) in {time.monotonic() - start:.1f} s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="where to write the site")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="where the notebooks are")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.notebooks.resolve())


if __name__ == "__main__":
    main()
