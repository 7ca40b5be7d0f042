"""Start one user's JupyterLab on the class hub: JupyterHub's Spawner.cmd, run as that user.

Before the server starts, as the user (never as root, so nothing here can touch another account):
- the home folder becomes private (0700) and new files private by default (umask 077): another
  learner cannot read this learner's labs, quiz history (~/.labsim) or work in progress;
- on the first start the course is copied to ~/kinesis-course: the lessons for everyone, and for
  instructors (who can read <prefix>/instructor) also the solutions, the exercises and nbgrader's
  course configuration, so `nbgrader` commands work from that folder;
then it becomes jupyterhub-singleuser, with the arguments the spawner passed, working in that folder.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent  # <prefix>/etc
PREFIX = HERE.parent
COURSE_FOLDER = "kinesis-course"


def copy_missing(source: Path, target: Path) -> None:
    """Copy what ``source`` holds into ``target``, leaving alone anything the user already has."""
    target.mkdir(exist_ok=True)
    for item in sorted(source.iterdir()):
        dest = target / item.name
        if dest.exists() or dest.is_symlink():
            continue
        if item.is_dir():
            shutil.copytree(item, dest, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(item, dest)


def prepare(home: Path) -> Path:
    os.umask(0o077)
    home.chmod(0o700)
    course = home / COURSE_FOLDER
    copy_missing(PREFIX / "share" / "course", course)
    instructor_kit = PREFIX / "instructor"
    if os.access(instructor_kit, os.R_OK | os.X_OK):  # only the instructors' group can read it
        copy_missing(instructor_kit, course)
    return course


def main() -> None:
    if os.geteuid() == 0:
        raise SystemExit("start_lab.py runs as the learner, never as root: check c.JupyterHub.spawner_class")
    course = prepare(Path.home())
    os.chdir(course)  # nbgrader's formgrader takes the course folder from the working directory
    os.execv(sys.executable, [sys.executable, "-m", "jupyterhub.singleuser", *sys.argv[1:]])


if __name__ == "__main__":
    main()
