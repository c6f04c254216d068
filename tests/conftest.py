import sys
from pathlib import Path

import pytest

# tests/solutions.py holds the exercises' reference solutions
sys.path.insert(0, str(Path(__file__).resolve().parent))

LATENCY_REPORT = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the browser tests' latency figures, which they also save under artifacts/browser/."""
    report = config.stash.get(LATENCY_REPORT, None)
    if report:
        terminalreporter.write_sep("-", "browser latency")
        terminalreporter.write_line(report)
