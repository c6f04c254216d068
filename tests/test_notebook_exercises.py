"""Every exercise in the notebooks has a hint and a solution one click away, and each solution shown to
the learner passes the exercise's own checker.

An exercise is a markdown cell starting "**N.**" under "## Exercises"; a checked exercise has a code cell
tagged `exercise` (the stub, ending in its `check_*(...)` call); then comes a markdown cell tagged
`solution` with a collapsed Hint and a collapsed Solution (for a checked exercise, a python block).
"""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
TASK = re.compile(r"^\*\*\d+\.\*\*", re.M)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def exercise_cells(path):
    """(task cell, stub cell or None, solution cell or None) for every exercise of the notebook."""
    cs = cells(path)
    start = next((i for i, c in enumerate(cs) if source(c).lstrip().startswith("## Exercises")
                  or "\n## Exercises" in source(c)), None)
    if start is None:
        return []
    found = []
    tasks = [i for i in range(start, len(cs)) if cs[i]["cell_type"] == "markdown"
             and "solution" not in tags(cs[i]) and TASK.search(source(cs[i]).split("## Exercises")[-1])]
    for n, i in enumerate(tasks):
        end = tasks[n + 1] if n + 1 < len(tasks) else len(cs)
        following = cs[i + 1:end]
        stub = next((c for c in following if c["cell_type"] == "code" and "exercise" in tags(c)), None)
        solution = next((c for c in following if c["cell_type"] == "markdown" and "solution" in tags(c)), None)
        found.append((cs[i], stub, solution))
    return found


def imports_of_first_code_cell(path):
    first = next(c for c in cells(path) if c["cell_type"] == "code")
    tree = ast.parse(source(first))
    return ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])


def check_call(stub):
    """The stub cell's last statement, a call to a check_* function."""
    last = ast.parse(source(stub)).body[-1]
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), source(stub)
    assert getattr(last.value.func, "id", "").startswith("check_"), source(stub)
    return ast.Expression(last.value)


CASES = [(path, k) for path in NOTEBOOKS for k in range(len(exercise_cells(path)))]


def test_the_notebooks_have_exercises():
    assert NOTEBOOKS
    with_exercises = [p.name for p in NOTEBOOKS if exercise_cells(p)]
    assert len(with_exercises) >= len(NOTEBOOKS) - 1, with_exercises  # every lesson but the index


@pytest.mark.parametrize("path, k", CASES, ids=[f"{p.stem[:2]}-ex{k + 1}" for p, k in CASES])
def test_exercise_has_a_hint_and_a_solution(path, k):
    task, stub, solution = exercise_cells(path)[k]
    assert solution is not None, f"{path.name}: no cell tagged 'solution' after {source(task)[:60]!r}"
    text = source(solution)
    assert "<summary>Hint</summary>" in text and "<summary>Solution</summary>" in text, text[:200]
    assert text.index("<summary>Hint</summary>") < text.index("<summary>Solution</summary>")
    if stub is not None:
        assert "NotImplementedError" in source(stub)


@pytest.mark.parametrize("path, k", CASES, ids=[f"{p.stem[:2]}-ex{k + 1}" for p, k in CASES])
def test_solution_shown_in_the_notebook_passes_its_checker(path, k):
    task, stub, solution = exercise_cells(path)[k]
    if stub is None:
        assert "NotImplementedError" not in source(task)
        return  # an exercise to think about: its worked answer is prose, checked by reading
    blocks = PYTHON_BLOCK.findall(source(solution))
    assert blocks, f"{path.name}: the Solution of a checked exercise needs a python block"
    namespace = {}
    exec(compile(imports_of_first_code_cell(path), path.name, "exec"), namespace)
    exec(compile("\n".join(blocks), f"{path.name} solution", "exec"), namespace)
    result = eval(compile(check_call(stub), f"{path.name} check", "eval"), namespace)
    assert result.status == "correct", result
