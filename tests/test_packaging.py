"""The two install routes (pip via pyproject.toml, conda via environment.yml) agree."""

from __future__ import annotations

import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement.strip())
    assert match, f"cannot parse requirement {requirement!r}"
    name = match.group(1).lower().replace("_", "-")
    return name, (match.group(2) or "") + match.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_normalise(r) for r in reqs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep["pip"]:
                if not pip_dep.startswith("-e"):
                    name, spec = _normalise(pip_dep)
                    out[name] = spec
        else:
            name, spec = _normalise(dep)
            if name not in ("python", "pip"):
                out[name] = spec
    return out


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    py, conda = _pyproject(), _environment()
    assert set(py) == set(conda), (
        f"only in pyproject: {sorted(set(py) - set(conda))}; only in environment.yml: {sorted(set(conda) - set(py))}"
    )
    for name in py:
        assert py[name] == conda[name], f"{name}: pyproject says {py[name]!r}, environment.yml says {conda[name]!r}"


def test_moto_is_pinned_to_one_exact_version():
    spec = _pyproject()["moto"]
    assert re.search(r"==\d+\.\d+\.\d+$", spec), f"moto must be pinned exactly, got {spec!r}"
    from labsim import _moto

    assert spec.endswith("==" + _moto.MOTO_VERSION)


def test_python_floor_is_3_10():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"
    assert "python>=3.10" in (ROOT / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 course.py test"
    assert command in readme, "the README names the test command"
    assert command in ci, ".ci/run runs the README's test command"
    assert "python3 course.py start" in readme
