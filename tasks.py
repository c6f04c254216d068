#!/usr/bin/env python3
"""Set up and run the collection: every command makes (or reuses) .venv at the repository root first.

    python3 tasks.py lab          start JupyterLab on notebooks/00-index.ipynb (localhost, token on)
    python3 tasks.py test         run the whole suite: unit and widget tests, strict nbval on every notebook
    python3 tasks.py lecture      the lecture view: the notebooks without code, sized for a projector (Voila)
    python3 tasks.py regenerate   re-execute every notebook in place from a fresh kernel (contributors)
    python3 tasks.py bench        print the benchmarks: implementations against torch, explorers, notebooks
    python3 tasks.py site         build site/, the static web book (offline, live explorers, no kernel)

Extra arguments go to the tool underneath (jupyter lab, pytest, the benchmark script).
Nothing is written outside the repository: pip runs without its cache (unless PIP_CACHE_DIR is set),
and Jupyter, IPython and matplotlib keep their settings and caches under .venv/state.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STATE = VENV / "state"
STAMP = VENV / "installed.sha256"
SETUP_FILES = ["requirements.txt", "requirements-nodeps.txt", "pyproject.toml"]
SANITIZE = "tests/nbval_sanitize.cfg"
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", SANITIZE, "-p", "no:cacheprovider"]
"""pytest's arguments for strict nbval, shared by `test` and benchmarks/run.py's timing of the notebooks."""


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def environment():
    """os.environ with every per-user Jupyter, IPython and matplotlib location moved into .venv/state."""
    env = dict(os.environ)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "jupyter/config"),
        ("JUPYTER_DATA_DIR", "jupyter/data"),
        ("JUPYTER_RUNTIME_DIR", "jupyter/runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "jupyter/lab/user-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "jupyter/lab/workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_CONFIG_HOME", "config"),  # Chromium's crash-report settings, in the browser tests
        ("npm_config_cache", "npm"),  # JupyterLab asks npm for its prefix, and npm writes a log
    ]:
        path = STATE / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["PYTHONNOUSERSITE"] = "1"  # packages in the user's site-packages must not shadow the pinned ones
    env.pop("PYTHONPATH", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    return env


def fingerprint():
    h = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for name in SETUP_FILES:
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=environment(), **kwargs).returncode


def ensure_environment():
    """Create .venv and install the pinned set and helpers (editable); a no-op when nothing changed."""
    if sys.version_info < (3, 10):
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint() and venv_python().exists():
        return
    start = time.monotonic()
    if not venv_python().exists():
        print(f"Creating {VENV.relative_to(ROOT)} with Python {sys.version.split()[0]}", flush=True)
        try:
            import venv  # noqa: F401
            import ensurepip  # noqa: F401
        except ImportError:
            sys.exit("This Python has no venv/ensurepip module; on Debian or Ubuntu: apt-get install python3-venv")
        if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode:
            sys.exit("Could not create .venv (on Debian or Ubuntu: apt-get install python3-venv)")
    pip = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check"]
    if "PIP_CACHE_DIR" not in os.environ:
        pip.append("--no-cache-dir")
    steps = [
        [*pip, "-r", "requirements.txt"],
        # d2l's own metadata hard-pins releases that do not install on Python 3.12+
        [*pip, "--no-deps", "-r", "requirements-nodeps.txt"],
        [*pip, "--no-deps", "-e", "."],
    ]
    for cmd in steps:
        if run(cmd):
            sys.exit("Installation failed; see pip's message above. Run the same command again to retry.")
    STAMP.write_text(fingerprint() + "\n")
    print(f"Environment ready in {time.monotonic() - start:.0f} s", flush=True)


def notebook_digests():
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ROOT.glob("notebooks/*.ipynb"))}


def quiet_lab_settings():
    """JupyterLab defaults for a classroom: no pop-ups asking to fetch news or check for updates."""
    overrides = VENV / "share/jupyter/lab/settings/overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    }, indent=2) + "\n")


def lab(args):
    quiet_lab_settings()
    cmd = [venv_python(), "-m", "jupyterlab", "notebooks/00-index.ipynb",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={ROOT}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return run([*cmd, *args])


def test(args):
    before = notebook_digests()
    code = run([venv_python(), "-m", "pytest", "tests", "notebooks", *NBVAL, *args])
    if notebook_digests() != before:
        print("FAILED: the test run modified a committed notebook", flush=True)
        return 1
    return code


def lecture(args):
    """Voila on localhost, token on, code and tracebacks hidden, with the projector-sized template."""
    target = args[0] if args and not args[0].startswith("-") else "notebooks"
    if target != "notebooks" and not target.startswith("notebooks/"):
        target = f"notebooks/{target}"
    rest = args[1:] if args and not args[0].startswith("-") else args
    env = environment()
    env["JUPYTER_PATH"] = str(ROOT / "lecture")  # where the "lecture" template lives
    cmd = [venv_python(), "-m", "voila", target, "--Voila.ip=127.0.0.1", "--token",
           "--VoilaConfiguration.template=lecture", "--VoilaConfiguration.show_tracebacks=False", *rest]
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode


def regenerate(args):
    return run([venv_python(), "tools/regenerate.py", *args])


def bench(args):
    return run([venv_python(), "benchmarks/run.py", *args])


def site(args):
    """The notebooks with their stored outputs, rendered to site/ (never executed, never written)."""
    return run([venv_python(), "site_builder/build.py", *args])


COMMANDS = {"lab": lab, "test": test, "lecture": lecture, "regenerate": regenerate, "bench": bench,
            "site": site}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    ensure_environment()
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
