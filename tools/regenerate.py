#!/usr/bin/env python3
"""Refresh the navigation cells, then re-execute notebooks in place, top to bottom from a fresh
kernel, storing outputs and widget state. For contributors: this rewrites the committed notebooks.

    python tools/regenerate.py                    every notebook
    python tools/regenerate.py 01-*.ipynb ...     only these (names inside notebooks/)
"""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(path):
    nb = nbformat.read(path, 4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    # coalesce_streams: a print stored as one output, however the kernel happened to flush it
    client = NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                            coalesce_streams=True,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    nbformat.write(nb, path)


def main(names):
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    paths = [NOTEBOOKS / n for n in names] if names else every
    subprocess.run([sys.executable, str(Path(__file__).with_name("add_navigation.py"))], check=True)
    for path in paths:
        print(f"executing {path.name}", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
