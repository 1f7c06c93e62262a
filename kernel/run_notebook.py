#!/usr/bin/env python3
"""Executes a notebook with the circ kernel through a real Jupyter client (nbclient):

    python kernel/run_notebook.py docs/tutorial.ipynb OUT.ipynb

Cells tagged raises-exception may fail; any other failing cell stops the run with its error.
"""
import sys

import nbformat
from nbclient import NotebookClient


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    notebook = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(notebook, kernel_name="circ", timeout=900, resources={"metadata": {"path": "."}}).execute()
    nbformat.write(notebook, sys.argv[2])
    print(f"executed {sys.argv[1]} into {sys.argv[2]}: {len(notebook.cells)} cells")


if __name__ == "__main__":
    main()
