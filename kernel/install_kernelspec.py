#!/usr/bin/env python3
"""Installs the circ kernelspec for this Python (run with the kernel's venv python):

    python kernel/install_kernelspec.py CIRC_EXECUTABLE [--user | --sys-prefix]

The kernel runs `CIRC_EXECUTABLE serve`; the kernelspec points at this Python and at kernel/.
"""
import json
import os
import sys
import tempfile

from jupyter_client.kernelspec import KernelSpecManager


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    circ = os.path.abspath(sys.argv[1])
    if not os.access(circ, os.X_OK):
        sys.exit(f"install_kernelspec: {circ} is not an executable circ")
    here = os.path.dirname(os.path.abspath(__file__))
    spec = {"argv": [sys.executable, "-m", "circ_kernel", "-f", "{connection_file}"], "display_name": "circ",
            "language": "circ", "interrupt_mode": "signal", "env": {"CIRC_EXECUTABLE": circ, "PYTHONPATH": here}}
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "kernel.json"), "w") as handle:
            json.dump(spec, handle, indent=1)
        where = KernelSpecManager().install_kernel_spec(folder, kernel_name="circ", user="--user" in sys.argv,
                                                         prefix=sys.prefix if "--sys-prefix" in sys.argv else None)
    print(f"installed the circ kernel in {where} (circ: {circ})")


if __name__ == "__main__":
    main()
