#!/usr/bin/env python3
"""The course's two commands. Needs only Python 3.10+; installs everything else into ./.venv.

    python3 course.py start     install what is missing, then open JupyterLab on lesson 00
    python3 course.py test      install what is missing (with test tools), then run the whole test suite

Extra arguments after `test` go to pytest (e.g. `python3 course.py test -k lab -x`).
Set LABSIM_VENV to use another virtual environment folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LABSIM_VENV", ROOT / ".venv"))
FIRST_LESSON = "lessons/00-start-here.ipynb"
#: JupyterLab settings the course needs, written to the venv's overrides.json by `start`: every cell
#: painted, so a quiz's Review link lands on its section's heading (with JupyterLab's default windowing,
#: cells not yet painted have estimated heights and the heading can land below the screen).
LAB_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}


def fail(message: str) -> None:
    print(f"course.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    if sys.version_info < (3, 10):
        fail(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # Debian/Ubuntu ship venv without ensurepip
            fail(
                f"could not create a virtual environment ({exc}).\n"
                "On Debian/Ubuntu install it first: sudo apt-get install python3-venv"
            )
    return python


STAMP = ".labsim-installed"


def read_stamp() -> tuple[str | None, set[str]]:
    """(pyproject digest, extras) of the last install into the venv; (None, set()) if none was stamped."""
    try:
        stamp = json.loads((VENV / STAMP).read_text())
        return str(stamp["pyproject"]), set(stamp["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, set()


def ensure_installed(python: Path, extras: str) -> None:
    """pip-install the course (editable) with ``extras`` unless this venv already holds them.

    One stamp records what the last install put in: ``test`` installs the course and its test tools,
    so a later ``start`` (the course alone) needs nothing more. When pyproject.toml changes, the
    extras installed before are installed again with the new list.
    """
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    wanted = {e for e in extras.split(",") if e}
    stamped, have = read_stamp()
    if stamped == digest and wanted <= have:
        return
    if stamped is None and not any(VENV.glob(STAMP + "-*")):
        note = "the first time takes a few minutes"
    elif stamped != digest:
        note = "pyproject.toml changed since the last install"
    else:
        note = f"adding {', '.join(sorted(wanted - have))}"
    everything = sorted(wanted | have)
    target = f".[{','.join(everything)}]" if everything else "."
    print(f"Installing the course and its dependencies ({target}); {note} ...", flush=True)
    run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip"])
    run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target])
    for old in VENV.glob(STAMP + "-*"):  # the one-stamp-per-extra files of earlier versions
        old.unlink()
    (VENV / STAMP).write_text(json.dumps({"pyproject": digest, "extras": everything}))


def run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        fail(f"command failed with exit code {result.returncode}: {' '.join(cmd)}")


def write_lab_settings() -> Path:
    """Merge LAB_SETTINGS into the venv's JupyterLab overrides.json (a learner's own settings still win)."""
    path = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = {}
    merged = {**current, **{plugin: {**current.get(plugin, {}), **values} for plugin, values in LAB_SETTINGS.items()}}
    if merged != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n")
    return path


def start(args: list[str]) -> int:
    python = ensure_venv()
    ensure_installed(python, "")
    write_lab_settings()
    # Serve the whole course folder (lessons, exercises) and open lesson 00 in it; passing the file
    # itself would make Jupyter serve only lessons/.
    cmd = [
        str(python), "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}",
        *args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses that unless told
    print("Opening JupyterLab on", FIRST_LESSON, "(Ctrl-C twice to stop)", flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def test(args: list[str]) -> int:
    python = ensure_venv()
    ensure_installed(python, "test")
    workers = [] if any(a.startswith("-n") for a in args) else ["-n", "auto"]
    return subprocess.call([str(python), "-m", "pytest", *workers, *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    commands = {"start": start, "test": test}
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in commands:
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
