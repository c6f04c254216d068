import ast
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

import helpers
from helpers import costs, trans_conv_output_shape

ROOT = Path(__file__).resolve().parents[1]


def _offline():
    """site_builder/offline.py (Chromium's path and arguments, the offline server), as module `offline`."""
    if "offline" not in sys.modules:
        spec = importlib.util.spec_from_file_location("offline", ROOT / "site_builder" / "offline.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["offline"] = module
    return sys.modules["offline"]


CHROMIUM_ARGS, chromium_path = _offline().CHROMIUM_ARGS, _offline().chromium_path


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


LATENCY_REPORT = pytest.StashKey[str]()
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
    config.stash[_STARTED] = time.time()
    config.addinivalue_line(
        "markers", "slow: takes seconds (a subprocess, a profiler, a sweep); left out by --quick"
    )


_STARTED = pytest.StashKey[float]()


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
    """Print the browser tests' latency figures, which they also save under artifacts/browser/
    (under pytest-xdist the test ran in a worker, so the controller reads the file it wrote during
    this
    run)."""
    report = config.stash.get(LATENCY_REPORT, None)
    started = config.stash.get(_STARTED, None)
    ran = any(
        getattr(r, "nodeid", "").startswith("tests/test_browser.py")
        for reports in terminalreporter.stats.values()
        for r in reports
    )
    fresh = started and LATENCY_FILE.exists() and LATENCY_FILE.stat().st_mtime >= started
    if not report and ran and fresh:
        report = LATENCY_FILE.read_text().strip()
    if report:
        terminalreporter.write_sep("-", "browser latency")
        terminalreporter.write_line(report)


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
