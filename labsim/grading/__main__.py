"""Instructor commands for the graded exercises.

    python -m labsim.grading generate [ASSIGNMENT ...]   rebuild exercises/ from solutions/
    python -m labsim.grading check [ASSIGNMENT ...]      exit 1 if exercises/ is out of date
    python -m labsim.grading roundtrip [ASSIGNMENT ...]  autograde each solution and its untouched
                                                         student version in a scratch course

``generate`` wraps ``nbgrader generate_assignment <name> --force --no-db`` for every assignment
(folders of solutions/), run in a temporary course folder so no gradebook.db is left behind, and
strips outputs. Commit the regenerated exercises/ together with the solutions/ change.
Run from the course folder (the one with nbgrader_config.py) or pass --root.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsim.grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["generate", "check", "roundtrip"])
    parser.add_argument("assignments", nargs="*", help="assignment folders under solutions/ (default: all)")
    parser.add_argument("--root", help="course folder holding nbgrader_config.py (default: found from cwd)")
    args = parser.parse_args(argv)
    root = pipeline.find_root(args.root)
    names = args.assignments or pipeline.list_assignments(root)
    if args.command == "generate":
        for path in pipeline.generate(names, root=root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    if args.command == "check":
        problems = pipeline.check_sync(names, root=root)
        print("\n".join(problems) if problems else f"exercises/ is in sync with solutions/ ({', '.join(names)})")
        return 1 if problems else 0
    source = root / pipeline._dirs(pipeline.load_config(root))[0]
    status = 0
    for name in names:
        start = time.perf_counter()
        for notebook in sorted((source / name).glob("*.ipynb")):
            try:
                scores = pipeline.assert_round_trip(notebook)
            except AssertionError as exc:
                print(f"{name}/{notebook.name}: FAILED\n{exc}")
                status = 1
                continue
            for label, result in scores.items():
                print(f"{name}/{notebook.name} {result.explain().replace(result.student, label, 1)}")
        print(f"{name}: {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
