"""The code reads on a projector: ruff, with the settings in pyproject.toml (lines of at most 100
columns, pyflakes, pycodestyle, import order), finds nothing in the code or the notebooks' cells.

Run it by hand with `.venv/bin/ruff check .`; `.venv/bin/ruff check --fix .` sorts the imports.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args):
    """ruff from this Python environment, on the whole repository, with the project's settings."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", str(ROOT)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_ruff_checks_the_code_and_the_notebooks():
    files = {Path(line).resolve() for line in ruff("check", "--show-files").stdout.splitlines()}
    assert files, "ruff found no files to check"
    for wanted in ["tasks.py", "helpers/ops.py", "tests/test_style.py",
                   "notebooks/01-transposed-convolution-loop.ipynb"]:
        assert ROOT / wanted in files, f"ruff does not check {wanted}"
    assert not any(".venv" in f.parts or "node_modules" in f.parts for f in files)


def test_ruff_finds_nothing():
    result = ruff("check", "--output-format", "concise")
    assert result.returncode == 0, (
        "ruff check found problems (`.venv/bin/ruff check .` lists them, "
        "`.venv/bin/ruff check --fix .` sorts imports):\n" + result.stdout + result.stderr
    )
