"""Every exercise in the notebooks has a hint and a solution one click away, and each solution
shown to the learner passes the exercise's own checker.

An exercise is a markdown cell starting "**N.**" under "## Exercises"; a checked exercise has a code
cell tagged `exercise` (the stub, ending in its `check_*(...)` call); then comes a markdown cell
tagged `solution` with a collapsed Hint and a collapsed Solution (for a checked exercise, a python
block). conftest.py finds them (`exercise`, one notebook exercise per test) and runs a Solution
(`Exercise.run_solution`), as test_exercises.py's reference solutions do.
"""
import ast


def source(cell):
    return "".join(cell["source"])


def test_the_notebooks_have_exercises(exercises_by_notebook):
    with_exercises = [path.name for path, found in exercises_by_notebook.items() if found]
    assert len(with_exercises) >= len(exercises_by_notebook) - 1, with_exercises  # all but 00


def test_exercise_has_a_hint_and_a_solution(exercise):
    assert exercise.solution is not None, (
        f"{exercise.notebook.name}: no cell tagged 'solution' after {source(exercise.task)[:60]!r}"
    )
    text = source(exercise.solution)
    assert "<summary>Hint</summary>" in text and "<summary>Solution</summary>" in text, text[:200]
    assert text.index("<summary>Hint</summary>") < text.index("<summary>Solution</summary>")
    if exercise.stub is not None:
        assert "NotImplementedError" in source(exercise.stub)


def test_solution_shown_in_the_notebook_passes_its_checker(exercise):
    if exercise.stub is None:
        assert "NotImplementedError" not in source(exercise.task)
        return  # an exercise to think about: its worked answer is prose, checked by reading
    namespace = exercise.run_solution()
    check = ast.Expression(exercise.check_call())
    result = eval(compile(check, f"{exercise.notebook.name} check", "eval"), namespace)
    assert result.status == "correct", result
