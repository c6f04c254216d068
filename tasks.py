#!/usr/bin/env python3
"""Set up and run the collection: every command makes (or reuses) .venv at the repository's root.

    python3 tasks.py lab           JupyterLab on notebooks/00-index.ipynb (localhost, token on)
    python3 tasks.py test          the whole suite: unit and widget tests, strict nbval, browser
    python3 tasks.py test --quick  the unit tests of helpers and explorers (no nbval, no browser)
    python3 tasks.py lecture       the lecture view: notebooks without code, for a projector (Voila)
    python3 tasks.py regenerate    re-execute every notebook in place from a fresh kernel
    python3 tasks.py bench         the benchmarks: implementations, explorers, notebooks
    python3 tasks.py site          build site/, the static web book (offline, no kernel)

Extra arguments go to the tool underneath (jupyter lab, pytest, the benchmark script).
Nothing is written outside the repository: uv (pinned, installed into .venv by pip) installs the
packages with its cache under .venv/state, removed afterwards (unless UV_CACHE_DIR is set), and
Jupyter, IPython and matplotlib keep their settings and caches under .venv/state.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STATE = VENV / "state"
STAMP = VENV / "installed.sha256"
LOCK = VENV / "installing.pid"
SETUP_FILES = ["requirements.txt", "requirements-nodeps.txt", "pyproject.toml"]
INSTALLER = "uv==0.13.9"
"""What installs the pinned set into .venv: uv fetches and unpacks the wheels in parallel, which
takes a fresh install on the 2-core machine from about 130 s (pip, one wheel at a time) to about
30 s; it resolves the same versions from the same pins."""
PYTHONS = ((3, 11), (3, 13))
"""The oldest and newest Python that install the pinned set (the pinned ipykernel needs 3.11)."""
SANITIZE = "tests/nbval_sanitize.cfg"
NBVAL = [
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    SANITIZE,
    "-p",
    "no:cacheprovider",
    "-n",
    "2",
    "--dist",
    "loadscope",
    "--no-loadscope-reorder",
]
"""pytest's arguments for strict nbval, shared by `test` and benchmarks/run.py's timing of the
notebooks: two workers (pytest-xdist), each module and each notebook's cells in one worker, in
order (loadscope), handed out in collection order, so the longest module, tests/test_browser_lab.py
(first alphabetically), starts first instead of last (xdist would otherwise order by test count)."""
QUICK = [
    "tests",
    "-p",
    "no:cacheprovider",
    "-n",
    "2",
    "--quick",
    "--ignore-glob=tests/test_browser_*.py",
    "--ignore=tests/test_site.py",
]
"""`test --quick`: the unit tests of the helpers and explorers, without nbval and the browser."""
PHASES = {}
"""Seconds spent in each phase of this run (install, tests), printed at the end of `test`."""


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def environment():
    """os.environ with every per-user Jupyter, IPython and matplotlib location in .venv/state."""
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
    env["PYTHONNOUSERSITE"] = (
        "1"  # packages in the user's site-packages must not shadow the pinned ones
    )
    env.pop("PYTHONPATH", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    return env


def fingerprint():
    """What the environment is installed from: this Python's version and the setup files' bytes."""
    h = hashlib.sha256(f"{sys.version_info[:2]} {INSTALLER}".encode())
    for name in SETUP_FILES:
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


class Stop(Exception):
    """SIGINT (Ctrl-C) or SIGTERM arrived; `signum` says which."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


_running = []  # the child started by run(), the signal that stops it cleanly, when it was sent
_received = []  # the signals tasks.py received


def _on_signal(signum, frame):
    """Pass the stop on to the child's whole process group (everything it started), then let run()
    wait for it: installers clean up their temporary files, servers shut their kernels down."""
    _received.append(signum)
    if not _running:
        raise Stop(signum)
    child, stop_with, stopping = _running[-1]
    if stopping:
        return
    _running[-1] = (child, stop_with, time.monotonic())
    _signal_group(child, stop_with)


def _signal_group(child, signum):
    try:
        if os.name == "posix":
            os.killpg(child.pid, signum)
        else:
            child.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass


def run(cmd, env=None, stop_with=signal.SIGINT):
    """Run cmd in its own process group and return its exit code.

    On Ctrl-C or SIGTERM the group gets `stop_with` (SIGINT lets uv and pytest clean up; servers
    get SIGTERM, which shuts down without asking), is waited for (SIGKILL after 60 s), and Stop is
    raised.
    """
    print("+", " ".join(str(c) for c in cmd), flush=True)
    child = subprocess.Popen(
        [str(c) for c in cmd],
        cwd=ROOT,
        env=env or environment(),
        start_new_session=os.name == "posix",
    )
    _running.append((child, stop_with, None))
    try:
        while True:
            try:
                code = child.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                stopping = _running[-1][2]
                if stopping and time.monotonic() - stopping > 60:
                    _signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))
        stopping = _running[-1][2]
    finally:
        _running.pop()
        if os.name == "posix":
            _signal_group(child, signal.SIGTERM)  # whatever it left behind in its group
    if stopping:
        raise Stop(_received[0])
    return code


def _venv_version():
    """The (major, minor) of the Python that made .venv, from pyvenv.cfg; None if unreadable."""
    try:
        for line in (VENV / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return tuple(int(v) for v in value.strip().split(".")[:2])
    except (OSError, ValueError):
        pass
    return None


def _venv_works():
    """Whether .venv's Python starts and has pip (a half-made .venv has neither)."""
    if not venv_python().exists():
        return False
    probe = subprocess.run([str(venv_python()), "-c", "import pip"], capture_output=True)
    return probe.returncode == 0


def _broken_packages():
    """The installed distributions (name==version) missing a file or holding one of the wrong size,
    per their RECORD: what an install killed half-way leaves behind, and pip considers installed."""
    script = (
        "import importlib.metadata as md, os\n"
        "for d in md.distributions():\n"
        "    for f in d.files or []:\n"
        "        if f.hash is None or f.size is None or f.suffix == '.pyc':  # .pyc are rewritten\n"
        "            continue\n"
        "        try:\n"
        "            ok = os.path.getsize(d.locate_file(f)) == f.size\n"
        "        except OSError:\n"
        "            ok = False\n"
        "        if not ok:\n"
        "            print(f\"{d.metadata['Name']}=={d.version}\")\n"
        "            break\n"
    )
    out = subprocess.run(
        [str(venv_python()), "-c", script], capture_output=True, text=True, env=environment()
    )
    return sorted(set(out.stdout.split())) if out.returncode == 0 else []


def _lock_install():
    """Refuse to install while another tasks.py installs into the same .venv (two pips in one
    environment break it); a lock left by a process that no longer runs is taken over."""
    try:
        other = int(LOCK.read_text())
        os.kill(other, 0)  # raises if no such process
    except (OSError, ValueError):
        LOCK.write_text(f"{os.getpid()}\n")
        return
    if other != os.getpid():
        sys.exit(
            f"Another tasks.py (process {other}) is installing into .venv; wait for it to "
            f"finish or stop it (kill {other}), then run this command again."
        )


def ensure_environment():
    """Create .venv and install the pinned set and helpers (editable); a no-op when nothing changed.

    A .venv made by another Python, or half made, is rebuilt. The stamp is removed before installing
    and written afterwards with the fingerprint taken before: an install that is interrupted, or
    whose setup files change while it runs, is redone next time; packages left broken are
    reinstalled. Two installs into one .venv at once are refused.
    """
    (lo, hi), here = PYTHONS, sys.version_info[:2]
    if not lo <= here <= hi:
        sys.exit(
            f"This is Python {sys.version.split()[0]}; the pinned packages install on Python "
            f"{lo[0]}.{lo[1]} to {hi[0]}.{hi[1]}. Run this file with one of those, for example "
            f"python3.{hi[1]} tasks.py ..."
        )
    wanted = fingerprint()
    made_by = _venv_version()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and made_by == here and _venv_works():
        return
    start = time.monotonic()
    if VENV.exists() and (made_by != here or not _venv_works()):
        why = (
            f"it was made by Python {made_by[0]}.{made_by[1]}"
            if made_by and made_by != here
            else "it is incomplete"
        )
        print(
            f"Rebuilding {VENV.relative_to(ROOT)} with Python {sys.version.split()[0]}: {why}",
            flush=True,
        )
        shutil.rmtree(VENV)
    if not VENV.exists():
        print(f"Creating {VENV.relative_to(ROOT)} with Python {sys.version.split()[0]}", flush=True)
        try:
            import ensurepip  # noqa: F401
            import venv  # noqa: F401
        except ImportError:
            sys.exit(
                "This Python has no venv/ensurepip module; "
                "on Debian or Ubuntu: apt-get install python3-venv"
            )
        if run([sys.executable, "-m", "venv", str(VENV)]):
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit("Could not create .venv (on Debian or Ubuntu: apt-get install python3-venv)")
    _lock_install()
    STAMP.unlink(missing_ok=True)  # not installed until every step below has finished
    pip = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir"]
    uv_exe = venv_python().parent / ("uv.exe" if os.name == "nt" else "uv")
    # --compile-bytecode, as pip does: otherwise the first run's test workers, kernels and servers
    # each compile the same modules at once while importing them
    uv = [uv_exe, "pip", "install", "--python", venv_python(), "--compile-bytecode"]
    cache = None
    if "UV_CACHE_DIR" not in os.environ:
        cache = STATE / "uv-cache"  # on .venv's file system: uv links files instead of copying
        uv += ["--cache-dir", cache]
    broken = _broken_packages()
    steps = [
        [*pip, "--quiet", INSTALLER],
        *([[*uv, "--reinstall", "--no-deps", *broken]] if broken else []),
        [*uv, "-r", "requirements.txt"],
        # d2l's own metadata hard-pins releases that do not install on Python 3.12+
        [*uv, "--no-deps", "-r", "requirements-nodeps.txt"],
        [*uv, "--no-deps", "-e", "."],
    ]
    if broken:
        print(
            f"Reinstalling what an interrupted install left broken: {', '.join(broken)}", flush=True
        )
    for cmd in steps:
        if run(cmd):
            sys.exit(
                "Installation failed; see the message above. Run the same command again to retry."
            )
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    STAMP.write_text(wanted + "\n")
    LOCK.unlink(missing_ok=True)
    PHASES["install"] = time.monotonic() - start
    print(f"Environment ready in {PHASES['install']:.0f} s", flush=True)


def notebook_digests():
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ROOT.glob("notebooks/*.ipynb"))
    }


def quiet_lab_settings():
    """JupyterLab defaults for a classroom: no pop-ups asking to fetch news or check for updates."""
    overrides = VENV / "share/jupyter/lab/settings/overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:notification": {
                    "fetchNews": "false",
                    "checkForUpdates": False,
                },
            },
            indent=2,
        )
        + "\n"
    )


def lab(args):
    quiet_lab_settings()
    cmd = [
        venv_python(),
        "-m",
        "jupyterlab",
        "notebooks/00-index.ipynb",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={ROOT}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return run([*cmd, *args], stop_with=signal.SIGTERM)


def test(args):
    """The whole suite (tests and strict nbval, on two workers), or with --quick the unit tests
    alone; the time of each phase is printed at the end."""
    before = notebook_digests()
    quick = "--quick" in args
    rest = [a for a in args if a != "--quick"]
    cmd = [*QUICK, *rest] if quick else ["tests", "notebooks", *NBVAL, *rest]
    start = time.monotonic()
    try:
        code = run([venv_python(), "-m", "pytest", *cmd])
    finally:
        PHASES["quick tests" if quick else "tests"] = time.monotonic() - start
        print_phases()
    if notebook_digests() != before:
        print("FAILED: the test run modified a committed notebook", flush=True)
        return 1
    return code


def print_phases():
    phases = {"install": PHASES.get("install", 0.0), **PHASES}
    parts = [f"{name} {seconds:.0f} s" for name, seconds in phases.items()]
    print(f"Time per phase: {', '.join(parts)}; total {sum(phases.values()):.0f} s", flush=True)


def lecture(args):
    """Voila on localhost, token on, code and tracebacks hidden, with the projector template."""
    target = args[0] if args and not args[0].startswith("-") else "notebooks"
    if target != "notebooks" and not target.startswith("notebooks/"):
        target = f"notebooks/{target}"
    rest = args[1:] if args and not args[0].startswith("-") else args
    env = environment()
    env["JUPYTER_PATH"] = str(ROOT / "lecture")  # where the "lecture" template lives
    cmd = [
        venv_python(),
        "-m",
        "voila",
        target,
        "--Voila.ip=127.0.0.1",
        "--token",
        "--VoilaConfiguration.template=lecture",
        "--VoilaConfiguration.show_tracebacks=False",
        *rest,
    ]
    return run(cmd, env=env, stop_with=signal.SIGTERM)


def regenerate(args):
    return run([venv_python(), "tools/regenerate.py", *args])


def bench(args):
    return run([venv_python(), "benchmarks/run.py", *args])


def site(args):
    """The notebooks with their stored outputs, rendered to site/ (never executed or written)."""
    return run([venv_python(), "site_builder/build.py", *args])


COMMANDS = {
    "lab": lab,
    "test": test,
    "lecture": lecture,
    "regenerate": regenerate,
    "bench": bench,
    "site": site,
}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    for signum in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if signum is not None:
            signal.signal(signum, _on_signal)
    try:
        ensure_environment()
        return COMMANDS[argv[0]](argv[1:])
    except Stop as stop:
        name = signal.Signals(stop.signum).name
        print(
            f"\nStopped by {name}: everything `tasks.py {argv[0]}` started has exited.", flush=True
        )
        return 128 + stop.signum


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
