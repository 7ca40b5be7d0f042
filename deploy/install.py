#!/usr/bin/env python3
"""Install the course once for a whole class on one Linux server, for JupyterHub (run as root).

    sudo python3 deploy/install.py                 # /opt/kinesis-course, exchange /srv/nbgrader/exchange

What it lays out (every path under --prefix, default /opt/kinesis-course):

    venv/                  one Python environment with the course and JupyterHub (pip install .[hub])
    share/course/lessons/  the lessons, read-only, copied to each user's ~/kinesis-course on first start
    instructor/            solutions, exercises and nbgrader_config.py: readable by the instructors'
                           group only (learners never see the solutions or hidden tests)
    etc/                   jupyterhub_config.py, start_lab.py, jupyter/nbgrader_config.py, class.json
    state/                 the hub's database and cookie secret (root only)

and nbgrader's exchange folder (--exchange), world-writable as nbgrader requires (it then guards
each course's inbound folder itself). It also creates the two Unix groups if they are missing.
Add people with the system's tools: `adduser alice && adduser alice kinesis-students`.
Running it again updates the course and keeps the hub's state and everyone's home folders.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the course checkout
DEPLOY = ROOT / "deploy"
HUB_FILES = ("jupyterhub_config.py", "start_lab.py")


def fail(message: str) -> None:
    print(f"install.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def course_id() -> str:
    """The course id the checkout's nbgrader_config.py sets (read as text: no nbgrader needed yet)."""
    text = (ROOT / "nbgrader_config.py").read_text()
    match = re.search(r"""^c\.CourseDirectory\.course_id\s*=\s*["']([^"']+)["']""", text, re.M)
    if not match:
        fail("nbgrader_config.py sets no c.CourseDirectory.course_id")
    return match.group(1)


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", name], check=True)
        return grp.getgrnam(name).gr_gid


def set_modes(top: Path, *, dirs: int, files: int, gid: int = 0) -> None:
    for folder, subdirs, names in os.walk(top):
        os.chown(folder, 0, gid)
        os.chmod(folder, dirs)
        for name in names:
            path = os.path.join(folder, name)
            os.chown(path, 0, gid)
            os.chmod(path, files)


def replace_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def install_environment(prefix: Path, python: str | None) -> None:
    venv = prefix / "venv"
    if python:  # an environment that already has the course with its hub extra (tests, conda users)
        existing = Path(subprocess.check_output([python, "-c", "import sys; print(sys.prefix)"], text=True).strip())
        if venv.is_symlink() or venv.exists():
            if venv.is_symlink():
                venv.unlink()
            else:
                shutil.rmtree(venv)
        venv.symlink_to(existing, target_is_directory=True)
        return
    if not (venv / "bin" / "python").exists():
        if subprocess.run([sys.executable, "-m", "venv", str(venv)]).returncode != 0:
            fail(f"could not create {venv}; on Debian/Ubuntu install venv first: apt-get install python3-venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, f"{ROOT}[hub]"], check=True)  # not editable: the checkout may go away


def install(args: argparse.Namespace) -> Path:
    prefix = Path(args.prefix).resolve()
    exchange = Path(args.exchange).resolve()
    instructors_gid = ensure_group(args.instructors_group)
    ensure_group(args.students_group)

    prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(prefix, 0o755)
    install_environment(prefix, args.python)

    share = prefix / "share" / "course"
    share.mkdir(parents=True, exist_ok=True)
    replace_tree(ROOT / "lessons", share / "lessons")
    set_modes(prefix / "share", dirs=0o755, files=0o644)

    kit = prefix / "instructor"
    kit.mkdir(exist_ok=True)
    for folder in ("solutions", "exercises"):
        replace_tree(ROOT / folder, kit / folder)
    shutil.copyfile(ROOT / "nbgrader_config.py", kit / "nbgrader_config.py")
    set_modes(kit, dirs=0o750, files=0o640, gid=instructors_gid)

    etc = prefix / "etc"
    (etc / "jupyter").mkdir(parents=True, exist_ok=True)
    for name in HUB_FILES:
        shutil.copyfile(DEPLOY / name, etc / name)
    shutil.copyfile(DEPLOY / "jupyter" / "nbgrader_config.py", etc / "jupyter" / "nbgrader_config.py")
    settings = {
        "prefix": str(prefix),
        "exchange": str(exchange),
        "course_id": course_id(),
        "instructors_group": args.instructors_group,
        "students_group": args.students_group,
    }
    (etc / "class.json").write_text(json.dumps(settings, indent=2) + "\n")
    set_modes(etc, dirs=0o755, files=0o644)

    state = prefix / "state"
    state.mkdir(exist_ok=True)
    os.chmod(state, 0o700)

    # nbgrader insists on exactly 0777 for the exchange root (it re-checks on every release).
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)
    return etc / "jupyterhub_config.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="/opt/kinesis-course", help="where the course goes (default %(default)s)")
    parser.add_argument("--exchange", default="/srv/nbgrader/exchange", help="nbgrader's exchange (default %(default)s)")
    parser.add_argument("--instructors-group", default="kinesis-instructors", help="Unix group of the teachers")
    parser.add_argument("--students-group", default="kinesis-students", help="Unix group of the learners")
    parser.add_argument(
        "--python",
        help="use this existing environment's Python (with the course and its hub extra installed) "
        "instead of creating <prefix>/venv",
    )
    args = parser.parse_args(argv)
    if sys.platform != "linux":
        fail("the class server layout is for Linux (Unix accounts, PAM); see deploy/README.md for Kubernetes")
    if os.geteuid() != 0:
        fail("run as root (it creates groups, /opt and /srv folders): sudo python3 deploy/install.py")
    config = install(args)
    print(f"Installed. Start the hub as root with:\n  {Path(args.prefix).resolve() / 'venv/bin/jupyterhub'} -f {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
