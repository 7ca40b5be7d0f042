"""Every notebook in lessons/ and solutions/ runs top to bottom in a fresh kernel.

Also checks the conventions of DESIGN.md that a reviewer would otherwise have to eyeball:
no committed outputs or widget state, and the chapter structure of a lesson.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
CELL_TIMEOUT = 120


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_notebooks_to_run():
    assert (ROOT / "lessons" / "00-start-here.ipynb") in LESSONS
    assert SOLUTIONS, "at least one graded exercise exists"


@pytest.mark.notebook
@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=_ids(LESSONS + SOLUTIONS))
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path, record_property):
    nb = nbformat.read(path, as_version=4)
    env_home = tmp_path / "home"
    env_home.mkdir()
    # A learner's history and settings go to a scratch folder, not the tester's home.
    os.environ["LABSIM_HOME"] = str(env_home)
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    # Reported, never asserted (timings depend on the machine): conftest prints every notebook's
    # time in the terminal summary, also under pytest-xdist.
    record_property("execution_seconds", round(elapsed, 1))
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} raised: {errors[0].get('ename')}: {errors[0].get('evalue')}"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS + EXERCISES, ids=_ids(LESSONS + SOLUTIONS + EXERCISES))
def test_notebook_is_committed_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name} carries saved widget state; clear it before committing"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name} has committed outputs in cells {dirty}; strip them before committing"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_follows_the_chapter_structure(path: Path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("# "), "opens with a title"
    sections = {
        "learning objectives": ("objectives", "you will be able to"),
        "time needed": ("time",),
        "prerequisites": ("prerequisites",),
        "key points": ("key points",),
    }
    for section, phrases in sections.items():
        assert any(p in markdown for p in phrases), f"{path.name} lacks a '{section}' section"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup_cells = [s for s in code if "from labsim import" in s and "Lab" in s]
    assert len(setup_cells) == 1, f"{path.name} should have exactly one setup cell importing the Lab"
