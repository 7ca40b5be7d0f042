"""course.py's install stamp: `start` after `test` installs nothing again, a changed pyproject does."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project = tmp_path / "course"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setattr(module, "ROOT", project)
    monkeypatch.setattr(module, "VENV", tmp_path / "venv")
    (tmp_path / "venv").mkdir()
    module.pip_calls = []
    monkeypatch.setattr(module, "run", lambda cmd: module.pip_calls.append(cmd[-1]))
    return module


def test_start_after_test_installs_nothing_and_says_nothing(course, capsys):
    course.ensure_installed(Path("python"), "test")
    assert course.pip_calls == ["pip", ".[test]"]
    assert "first time takes a few minutes" in capsys.readouterr().out
    course.ensure_installed(Path("python"), "")  # what `start` asks for
    course.ensure_installed(Path("python"), "test")
    assert course.pip_calls == ["pip", ".[test]"]
    assert capsys.readouterr().out == ""


def test_test_after_start_adds_the_test_tools(course, capsys):
    course.ensure_installed(Path("python"), "")
    course.ensure_installed(Path("python"), "test")
    assert course.pip_calls == ["pip", ".", "pip", ".[test]"]
    out = capsys.readouterr().out
    assert out.count("first time") == 1 and "adding test" in out


def test_a_changed_pyproject_reinstalls_what_was_there(course, capsys):
    course.ensure_installed(Path("python"), "test")
    (course.ROOT / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    course.ensure_installed(Path("python"), "")
    assert course.pip_calls[-1] == ".[test]"  # the test tools stay in step with the new list
    assert "pyproject.toml changed" in capsys.readouterr().out


def test_start_gives_jupyterlab_the_course_settings_and_keeps_the_others(course, monkeypatch):
    overrides = course.VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_text('{"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}')
    monkeypatch.setattr(course, "ensure_venv", lambda: Path("python"))
    monkeypatch.setattr(course.subprocess, "call", lambda cmd, cwd: 0)
    assert course.start([]) == 0
    written = json.loads(overrides.read_text())
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert written["@jupyterlab/notebook-extension:tracker"] == {"windowingMode": "none"}
