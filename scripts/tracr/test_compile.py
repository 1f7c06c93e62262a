#!/usr/bin/env python3
"""Compiles copy and reverse again with Tracr and checks them against the committed files.

    python3 scripts/tracr/test_compile.py

Standard library only; it makes the Tracr venv with setup_venv.sh and runs the rest in it.
Checks: the new model files and data are byte for byte the ones in models/tracr/; each new model
gets every row of its data right (scripts/tracr_reference.py); the new copy and reverse equal the
paper's (Tests/Fixtures/tracr/) up to the order of dimensions (compare_models.py); and
compare_models_test.py passes on them. Exit 0 when all pass, 1 when one fails, 77 (skipped, reason
on stderr) when the venv cannot be made, e.g. without Python 3.11 or PyPI.
"""
import filecmp
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COMMITTED = os.path.join(ROOT, "models", "tracr")
PAPER = os.path.join(ROOT, "Tests", "Fixtures", "tracr")
PROGRAMS = ("copy", "reverse")


def run(command):
    """(exit code, stdout + stderr) of a command."""
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.returncode, done.stdout


def main():
    started = time.monotonic()
    setup = subprocess.run([os.path.join(HERE, "setup_venv.sh")], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    if setup.returncode != 0:
        print(f"test_compile: skipped: no Tracr venv: {setup.stderr.strip()}", file=sys.stderr)
        return 77
    python = os.path.join(setup.stdout.strip().splitlines()[-1], "bin", "python")
    print(f"venv ready in {time.monotonic() - started:.1f} s")
    failures, passes = [], 0

    def check(what, ok, detail=""):
        nonlocal passes
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if ok:
            passes += 1
        else:
            failures.append(what)
            if detail:
                print(detail.rstrip())

    with tempfile.TemporaryDirectory() as out:
        compile_started = time.monotonic()
        code, log = run([python, os.path.join(HERE, "compile_programs.py"), out, *PROGRAMS])
        check(f"compile {' and '.join(PROGRAMS)}", code == 0, log)
        print(f"compiled in {time.monotonic() - compile_started:.1f} s")
        if code == 0:
            for name in PROGRAMS:
                new, old = os.path.join(out, f"{name}.safetensors"), os.path.join(COMMITTED, f"{name}.safetensors")
                same = os.path.isfile(old) and filecmp.cmp(new, old, shallow=False)
                detail = "" if same or not os.path.isfile(old) else \
                    run([python, os.path.join(HERE, "compare_models.py"), old, new])[1]
                check(f"{name}.safetensors equals models/tracr/{name}.safetensors byte for byte", same, detail)
                data = os.path.join("data", f"{name}.tsv")
                same = os.path.isfile(os.path.join(COMMITTED, data)) and \
                    filecmp.cmp(os.path.join(out, data), os.path.join(COMMITTED, data), shallow=False)
                check(f"{data} equals models/tracr/{data}", same)
                code, log = run([python, os.path.join(ROOT, "scripts", "tracr_reference.py"), new,
                                 "--accuracy", os.path.join(out, data)])
                check(f"{name} gets all 256 rows right: {log.strip()}", code == 0 and '"correct": 256, "rows": 256' in log, log)
                code, log = run([python, os.path.join(HERE, "compare_models.py"),
                                 os.path.join(PAPER, f"{name}.safetensors"), new])
                check(f"{name} equals the paper's {name} up to the order of dimensions", code == 0, log)
            code, log = run([python, os.path.join(HERE, "compare_models_test.py"),
                             os.path.join(out, "reverse.safetensors"), os.path.join(out, "copy.safetensors")])
            check("compare_models_test.py", code == 0, log)
    print(f"{passes} passed, {len(failures)} failed")
    print(f"test_compile: {time.monotonic() - started:.1f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
