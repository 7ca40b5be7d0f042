"""deploy/ without a hub: the configuration files load and agree, and start_lab.py prepares a home.

tests/test_deploy_hub.py runs the whole class on a real JupyterHub (root only); these run anywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def etc(tmp_path):
    """deploy/'s configuration laid out as install.py lays it out in <prefix>/etc."""
    etc = tmp_path / "etc"
    (etc / "jupyter").mkdir(parents=True)
    shutil.copyfile(DEPLOY / "jupyterhub_config.py", etc / "jupyterhub_config.py")
    shutil.copyfile(DEPLOY / "jupyter" / "nbgrader_config.py", etc / "jupyter" / "nbgrader_config.py")
    (etc / "class.json").write_text(json.dumps({
        "prefix": str(tmp_path), "exchange": "/srv/exchange-for-test", "course_id": _module("install").course_id(),
        "instructors_group": "teachers-x", "students_group": "learners-x",
    }))
    return etc


def test_the_hub_runs_each_lab_as_its_owner_and_admits_only_the_class(etc, tmp_path):
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(etc)).load_config()
    assert config.JupyterHub.spawner_class == "localprocess"
    assert config.Spawner.cmd == [str(tmp_path / "venv" / "bin" / "python"), str(etc / "start_lab.py")]
    assert config.PAMAuthenticator.allowed_groups == {"teachers-x", "learners-x"}
    assert config.PAMAuthenticator.admin_groups == {"teachers-x"}
    assert config.JupyterHub.hub_ip == config.Spawner.ip == "127.0.0.1"
    assert config.Spawner.environment["JUPYTER_CONFIG_PATH"] == str(etc / "jupyter")
    assert config.ConfigurableHTTPProxy.command == [str(tmp_path / "venv" / "bin" / "configurable-http-proxy")]
    assert config.JupyterHub.cleanup_servers is True
    assert str(tmp_path / "state") in config.JupyterHub.db_url


def test_every_lab_shares_one_exchange_for_the_course_s_own_id(etc):
    every_lab = PyFileConfigLoader("nbgrader_config.py", path=str(etc / "jupyter")).load_config()
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert every_lab.Exchange.root == "/srv/exchange-for-test"
    assert every_lab.CourseDirectory.course_id == course.CourseDirectory.course_id


def test_start_lab_makes_the_home_private_and_copies_the_course_once(tmp_path, monkeypatch):
    start_lab = _module("start_lab")
    prefix = tmp_path / "prefix"
    shutil.copytree(ROOT / "lessons", prefix / "share" / "course" / "lessons")
    monkeypatch.setattr(start_lab, "PREFIX", prefix)
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    saved_umask = os.umask(0o022)
    try:
        _prepare_three_times(start_lab, prefix, home)
    finally:
        os.umask(saved_umask)  # prepare() sets the process's umask, as it should in a lab


def _prepare_three_times(start_lab, prefix: Path, home: Path) -> None:
    course = start_lab.prepare(home)
    assert os.umask(0o077) == 0o077, "files a lab creates are private"
    assert home.stat().st_mode & 0o777 == 0o700
    lesson = course / "lessons" / "00-start-here.ipynb"
    assert lesson.read_bytes() == (ROOT / "lessons" / "00-start-here.ipynb").read_bytes()
    assert not (course / "solutions").exists(), "no instructor kit in this prefix, so no solutions"
    lesson.write_text("the learner's own edits")
    start_lab.prepare(home)
    assert lesson.read_text() == "the learner's own edits", "a restart never overwrites the learner's work"

    kit = prefix / "instructor"
    shutil.copytree(ROOT / "solutions", kit / "solutions")
    start_lab.prepare(home)
    assert (course / "solutions" / "00-warm-up" / "warm-up.ipynb").is_file(), "who can read the kit gets it"
