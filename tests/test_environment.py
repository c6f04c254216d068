"""The pins: requirements.txt and environment.yml agree, and every package the collection imports is
pinned."""

import ast
import json
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)\s*$")


def pins(path):
    found = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line.split("#")[0])
        if m:
            found[m.group(1).lower().replace("_", "-")] = m.group(2)
    assert found, f"no pins in {path.name}"
    return found


def requirement_lines(path):
    return [
        line.split("#")[0].strip()
        for line in path.read_text().splitlines()
        if line.split("#")[0].strip()
    ]


def test_every_requirement_is_pinned_exactly():
    for name in ["requirements.txt", "requirements-nodeps.txt"]:
        for line in requirement_lines(ROOT / name):
            assert PIN.match(line), f"{name}: {line!r} is not pinned with =="


def test_environment_yml_carries_the_same_pins():
    env = pins(ROOT / "environment.yml")
    req = pins(ROOT / "requirements.txt")
    assert env == req, {
        k: (req.get(k), env.get(k)) for k in set(env) | set(req) if env.get(k) != req.get(k)
    }


def test_torch_and_torchvision_are_a_matching_pair():
    req = pins(ROOT / "requirements.txt")
    assert req["torch"] == "2.14.1" and req["torchvision"] == "0.29.2"


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, pinned in {
        **pins(ROOT / "requirements.txt"),
        **pins(ROOT / "requirements-nodeps.txt"),
    }.items():
        assert version(name).split("+")[0] == pinned, name


def imported_modules():
    """Top-level modules imported by helpers/, tests/, tools/, benchmarks/ and the notebooks."""
    sources = [
        p.read_text()
        for d in ["helpers", "tests", "tools", "benchmarks", "site_builder"]
        for p in (ROOT / d).glob("*.py")
    ]
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and sources
    for nb in notebooks:
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                sources.append("".join(cell["source"]))
    modules = set()
    for src in sources:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_package_is_pinned():
    pinned = set(pins(ROOT / "requirements.txt")) | set(pins(ROOT / "requirements-nodeps.txt"))
    local = {
        "helpers",
        "site_builder",
        "conftest",
        "tasks",
        *(
            p.stem
            for folder in ("tests", "benchmarks", "tools", "site_builder")
            for p in (ROOT / folder).glob("*.py")
        ),
    }
    dists = packages_distributions()
    missing = []
    for module in sorted(imported_modules() - local - set(sys.stdlib_module_names)):
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & pinned:
            missing.append((module, sorted(names)))
    assert not missing, f"imported but not pinned: {missing}"


def load_tasks():
    """tasks.py as a module (it lives at the repository's root, outside any package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_advertised_pythons_are_the_ones_tasks_accepts():
    (lo, hi) = load_tasks().PYTHONS
    assert lo == (3, 11)  # the pinned ipykernel needs 3.11
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={lo[0]}.{lo[1]},<{hi[0]}.{hi[1] + 1}"' in pyproject
    readme = (ROOT / "README.md").read_text()
    versions = ", ".join(f"3.{m}" for m in range(lo[1], hi[1]))
    assert f"You need Python {versions} or 3.{hi[1]}" in readme
    assert "3.10" not in readme.split("## Contents")[0]


def test_a_healthy_environment_has_no_broken_package():
    assert load_tasks()._broken_packages() == []


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_whole_process_group_and_prints_one_line(tmp_path, signum):
    """What `tasks.py lab|lecture|test` does on Ctrl-C or SIGTERM: the child and what it started
    are stopped and waited for, and one line is printed, no traceback."""
    pid_file = tmp_path / "grandchild.pid"
    child = (f"import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
             f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
             "try:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    pass")
    script = (f"import sys, tasks; tasks.COMMANDS['probe'] = lambda args: tasks.run("
              f"[sys.executable, '-c', {child!r}], env={{}}); "
              "tasks.ensure_environment = lambda: None; "
              f"sys.exit(tasks.main(['probe']))")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, out
    assert f"Stopped by {signal.Signals(signum).name}" in out and "Traceback" not in out, out
    assert not alive(int(pid_file.read_text()))


def alive(pid, wait=5.0):
    """Whether process `pid` still runs `wait` seconds from now (a zombie, exited but not yet
    collected by its new parent, does not count)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return True
