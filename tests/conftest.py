import ast
import json
import os
import re
import statistics
from pathlib import Path
from typing import NamedTuple

import pytest

import helpers
from helpers import costs, trans_conv_output_shape
from site_builder.offline import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; skipped without it, unless REQUIRE_BROWSER is set."""
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
def pages(browser):
    """One browser context (1400 x 1000) for a module's pages: they share its HTTP cache, so every
    page after the first takes JupyterLab's or Voila's scripts from it instead of the server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


@pytest.fixture(scope="session")
def torch_grids():
    """A function (explorer name, state) -> {(role, index): tensor}: the grids of the explorer's
    view that torch.nn.functional computes directly for that state (index: which table of that
    role). Shared by the browser tests of the explorers' modules and of the web book."""
    import torch
    import torch.nn.functional as F

    import helpers.widgets as hw

    def batch(t):
        return torch.as_tensor(t, dtype=torch.float64)[None, None]

    def grids(name, v):
        if name == "parameter_explorer":
            X = hw.GRID_PRESETS[v["x"]]((v["in_h"], v["in_w"]))
            K = hw.GRID_PRESETS[v["k"]]((v["k_h"], v["k_w"]))
            args = {k: v[k] for k in ("stride", "padding", "output_padding", "dilation")}
            try:
                return {("output", -1): F.conv_transpose2d(batch(X), batch(K), **args)[0, 0]}
            except RuntimeError:
                return {}
        if name == "loop_explorer":
            X, K = hw.X_PRESETS[v["x"]](), hw.K_PRESETS[v["k"]]()
            flat = X.flatten().clone()
            flat[v["step"] :] = 0
            Y = F.conv_transpose2d(batch(flat.reshape(X.shape)), batch(K), stride=v["stride"])
            return {("output", -1): Y[0, 0]}
        if name == "equivalent_conv_explorer":
            if v["stride"] - 2 * v["padding"] + 3 < 1:
                return {}
            args = {"stride": v["stride"], "padding": v["padding"]}
            Y = F.conv_transpose2d(batch(hw.EQUIV_X), batch(hw.EQUIV_K), **args)
            return {("output", -1): Y[0, 0]}
        if name == "matrix_explorer":
            n, k, s, p = v["size"], v["kernel_size"], v["stride"], v["padding"]
            if n + 2 * p < k:
                return {}
            K = torch.arange(1.0, k * k + 1).reshape(k, k)
            h = (n + 2 * p - k) // s + 1
            if v["show"] == hw.MATRIX_SHOW[0]:
                x = torch.arange(1.0, n * n + 1).reshape(n, n)
                return {("output", -1): F.conv2d(batch(x), batch(K), stride=s, padding=p)[0, 0]}
            y = torch.arange(1.0, h * h + 1).reshape(h, h)
            op = n - ((h - 1) * s - 2 * p + k)
            Y = F.conv_transpose2d(batch(y), batch(K), stride=s, padding=p, output_padding=op)
            return {("output", -1): Y[0, 0]}
        if name == "checkerboard_explorer":
            k, s = v["kernel_size"], v["stride"]
            side, _ = hw.checker_geometry(k, s, v["layers"])
            Y = torch.ones(1, 1, side, side, dtype=torch.float64)
            for _ in range(v["layers"]):
                Y = F.conv_transpose2d(Y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)
            n = Y.shape[-1]
            start, size = max(0, (n - hw.CHECKER_VIEW) // 2), min(n, hw.CHECKER_VIEW)
            return {("output", 0): Y[0, 0, start : start + size, start : start + size]}
        if name == "subpixel_explorer":
            K = hw.SUBPIXEL_KERNELS[v["kernel"]](v["kernel_size"], v["stride"])
            n = hw.subpixel_side(v["kernel_size"], v["stride"])
            X = torch.ones(1, 1, n, n, dtype=torch.float64)
            return {("output", -1): F.conv_transpose2d(X, batch(K), stride=v["stride"])[0, 0]}
        return {}

    return grids


LATENCY_FILE = Path(__file__).resolve().parents[1] / "artifacts" / "browser" / "latency.txt"
QUICK_EVERY = 10
"""With --quick, tests parametrised by a random `seed` run one seed in QUICK_EVERY, and tests marked
slow do not run."""


def pytest_addoption(parser):
    parser.addoption(
        "--quick",
        action="store_true",
        help=f"run one random configuration in {QUICK_EVERY} (python3 tasks.py test --quick)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: takes seconds (a subprocess, a profiler, a sweep); left out by --quick"
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--quick"):
        return
    keep, skip = [], []
    for item in items:
        seed = getattr(getattr(item, "callspec", None), "params", {}).get("seed")
        thinned = isinstance(seed, int) and seed % QUICK_EVERY
        (skip if thinned or item.get_closest_marker("slow") else keep).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the browser tests' slider-to-page latency figures and save them in LATENCY_FILE. Each
    test records its own as the user property "latency" ({explorer: [ms, ...]}), which
    pytest-xdist carries from the worker to this report."""
    found = {}
    for reports in terminalreporter.stats.values():
        for r in reports:
            for key, value in getattr(r, "user_properties", None) or ():
                if key == "latency" and getattr(r, "when", "call") == "call":
                    found.update(value)
    if not found:
        return
    lines = [f"{'page':<50}{'moves':>6}{'p50 ms':>9}{'p95 ms':>9}"]
    for name, times in sorted(found.items()):
        times = sorted(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        lines.append(f"{name:<50}{len(times):>6}{statistics.median(times):>9.1f}{p95:>9.1f}")
    LATENCY_FILE.parent.mkdir(parents=True, exist_ok=True)
    LATENCY_FILE.write_text("\n".join(lines) + "\n")
    terminalreporter.write_sep("-", "browser latency")
    terminalreporter.write_line("slider-to-page latency in Chromium (target: p95 at most 16 ms)")
    terminalreporter.write_line("\n".join(lines))


# What several test modules share: the ways of computing the transposed convolution, random
# configurations, and the notebooks' exercises with the solutions they show.

IMPLEMENTATIONS = {
    **{name: f for name, f in costs.IMPLEMENTATIONS.items() if name != "torch"},
    "via matrix": helpers.trans_conv_via_matrix,  # W^T dense or sparse, by its size
}
"""Every way of computing the transposed convolution, each called as trans_conv is."""


@pytest.fixture(params=list(IMPLEMENTATIONS))
def implementation(request):
    """Each way of computing the transposed convolution in turn, called as trans_conv is."""
    return IMPLEMENTATIONS[request.param]


@pytest.fixture
def random_trans_conv_config():
    """A function r -> a valid ConvTranspose2d configuration drawn with the random.Random r: i
    (input size), k (kernel size) and the keyword arguments, each a pair (h, w) or sometimes an
    int; the output is never empty."""

    def draw(r):
        while True:
            k = (r.randint(1, 4), r.randint(1, 4))
            s = (r.randint(1, 3), r.randint(1, 3))
            d = (r.randint(1, 3), r.randint(1, 3))
            op = tuple(r.randint(0, max(sa, da) - 1) for sa, da in zip(s, d))
            i = (r.randint(1, 5), r.randint(1, 5))
            p = (r.randint(0, 3), r.randint(0, 3))
            try:  # refused when the output would be empty, as PyTorch refuses it (test_ops)
                trans_conv_output_shape(i, k, s, p, op, d)
                break
            except ValueError:
                continue

        def as_arg(t):  # sometimes a plain int
            return t if r.random() < 0.7 or t[0] != t[1] else t[0]

        return dict(i=i, k=k, stride=as_arg(s), padding=as_arg(p), output_padding=as_arg(op),
                    dilation=as_arg(d))

    return draw


LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
TASK = re.compile(r"^\*\*\d+\.\*\*", re.M)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _source(cell):
    return "".join(cell["source"])


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


class Exercise(NamedTuple):
    """One exercise of a notebook, as its cells: the task (a markdown cell starting "**N.**"
    under "## Exercises"), the stub (a code cell tagged `exercise` ending in its check_* call;
    None for an exercise to think about) and the solution (a markdown cell tagged `solution`
    with a collapsed Hint and Solution; None when it is missing)."""

    notebook: Path
    number: int
    task: dict
    stub: dict | None
    solution: dict | None

    @property
    def name(self):
        return f"{self.notebook.stem[:2]}-ex{self.number}"

    def check_call(self):
        """The stub's last statement, a call check_xxx(answer), as an ast.Call."""
        last = ast.parse(_source(self.stub)).body[-1]
        assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), _source(self.stub)
        assert getattr(last.value.func, "id", "").startswith("check_"), _source(self.stub)
        return last.value

    def run_solution(self):
        """The names the notebook's imports (in its first code cell) and then the python blocks
        of the Solution define: what a learner has after pasting the solution."""
        blocks = PYTHON_BLOCK.findall(_source(self.solution))
        assert blocks, f"{self.notebook.name}: a checked exercise's Solution needs a python block"
        first = next(c for c in json.loads(self.notebook.read_text())["cells"]
                     if c["cell_type"] == "code")
        imports = [n for n in ast.parse(_source(first)).body
                   if isinstance(n, (ast.Import, ast.ImportFrom))]
        namespace = {}
        exec(compile(ast.Module(body=imports, type_ignores=[]), self.notebook.name, "exec"),
             namespace)
        exec(compile("\n".join(blocks), f"{self.notebook.name} solution", "exec"), namespace)
        return namespace


def notebook_exercises(path):
    """Every exercise of the notebook at `path`, in order."""
    cells = json.loads(path.read_text())["cells"]
    start = next((i for i, c in enumerate(cells) if _source(c).lstrip().startswith("## Exercises")
                  or "\n## Exercises" in _source(c)), None)
    if start is None:
        return []
    tasks = [i for i in range(start, len(cells)) if cells[i]["cell_type"] == "markdown"
             and "solution" not in _tags(cells[i])
             and TASK.search(_source(cells[i]).split("## Exercises")[-1])]
    found = []
    for n, i in enumerate(tasks):
        following = cells[i + 1:tasks[n + 1] if n + 1 < len(tasks) else len(cells)]
        stub = next((c for c in following if c["cell_type"] == "code" and "exercise" in _tags(c)),
                    None)
        solution = next((c for c in following
                         if c["cell_type"] == "markdown" and "solution" in _tags(c)), None)
        found.append(Exercise(path, n + 1, cells[i], stub, solution))
    return found


def pytest_generate_tests(metafunc):
    """A test that takes `exercise` runs once for each exercise of each notebook."""
    if "exercise" in metafunc.fixturenames:
        found = [e for path in LESSONS for e in notebook_exercises(path)]
        metafunc.parametrize("exercise", found, ids=[e.name for e in found])


@pytest.fixture(scope="session")
def exercises_by_notebook():
    """{notebook path: its exercises} for every numbered notebook."""
    assert LESSONS, "no notebooks found"
    return {path: notebook_exercises(path) for path in LESSONS}


@pytest.fixture(scope="session")
def reference_solutions(exercises_by_notebook):
    """{checker name: the solution a notebook shows for the exercise that checker checks}: the
    function the exercise's stub passes to check_xxx, defined by the Solution's python block."""
    found = {}
    for exercise in (e for es in exercises_by_notebook.values() for e in es if e.stub):
        call = exercise.check_call()
        assert call.func.id not in found, f"{call.func.id} checks two exercises"
        found[call.func.id] = exercise.run_solution()[call.args[0].id]
    return found
