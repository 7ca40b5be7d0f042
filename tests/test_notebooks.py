"""Every lesson runs top to bottom in a fresh kernel (each solution does in its exercise's round trip).

Also checks the conventions of DESIGN.md that a reviewer would otherwise have to eyeball:
no committed outputs or widget state, and the chapter structure of a lesson.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

import build as site  # noqa: E402  (book/build.py: the site reuses the lessons' first runs made here)

LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
CELL_TIMEOUT = 120


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _grouped(paths):
    # A lesson's run and its determinism check share a pytest-xdist worker (--dist loadgroup), so the
    # check compares with the run instead of executing the lesson a third time.
    return [pytest.param(p, id=str(p.relative_to(ROOT)), marks=pytest.mark.xdist_group(p.stem)) for p in paths]


def test_there_are_notebooks_to_run():
    assert (ROOT / "lessons" / "00-start-here.ipynb") in LESSONS
    assert SOLUTIONS, "at least one graded exercise exists"


#: Python's global random state before a lesson runs: two different ones (a kernel in which other
#: cells ran before), and the second run under CPU load; a lesson must print the same either way.
GLOBAL_RANDOM_STATES = (4, 15)
_FIRST_RUN: dict[Path, list[list[str]]] = {}


def _execute(path: Path, tmp_path: Path, global_seed: int | None = None):
    """Run a notebook in a fresh kernel. A lesson runs as the site's build runs it (book/build.py: the
    hidden quiz cell first, plots inline), so its first run can be kept for the site."""
    nb = nbformat.read(path, as_version=4)
    lesson = path in LESSONS
    env_home = tmp_path / "home"
    env_home.mkdir(parents=True, exist_ok=True)
    # A learner's history and settings go to a scratch folder, not the tester's home.
    os.environ["LABSIM_HOME"] = str(env_home)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline" if lesson else "Agg"
    if lesson:
        site.with_static_quizzes(nb)
    if global_seed is not None:  # disturb the kernel's global random state first, as earlier cells would
        nb.cells.insert(0, nbformat.v4.new_code_cell(
            f"import random as _r\n_r.seed({global_seed})\n_ = [_r.random() for _ in range({global_seed})]"))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    if global_seed is not None:
        nb.cells.pop(0)
    return nb, time.perf_counter() - started


def _visible_outputs(nb) -> list[list[str]]:
    """What a learner reads in each code cell: printed text, results, plots (by hash), errors.

    Left out: stderr (progress bars print wall-clock rates there) and widget views (their model ids
    are random by design); memory addresses in reprs and figures on lines about real (wall-clock)
    time are masked; printed text is compared whole, however the kernel split it into messages.
    """
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):  # the site's hidden cell
            continue
        printed = ""
        seen = []
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind == "stream" and o.get("name") == "stdout":
                printed += o.get("text", "")
            elif kind in ("execute_result", "display_data"):
                data = o.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data:
                    continue
                if "image/png" in data:
                    seen.append("png:" + hashlib.sha256(data["image/png"].encode()).hexdigest()[:16])
                elif "text/plain" in data:
                    seen.append(data["text/plain"])
            elif kind == "error":
                seen.append(f"{o.get('ename')}: {o.get('evalue')}")
        out.append([_mask(text) for text in [printed, *seen]])
    return out


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_WALL_LINE = re.compile(r"^.*\b(real time|wall[- ]clock|wall time)\b.*$", re.IGNORECASE | re.MULTILINE)


def _mask(text: str) -> str:
    text = _WALL_LINE.sub(lambda m: re.sub(r"\d+(\.\d+)?", "#", m.group(0)), text)
    return _ADDRESS.sub("0x?", text)


def test_every_solution_runs_top_to_bottom_in_its_round_trip():
    # A solution notebook runs in the suite once: in its exercise's round trip (labsim.grading.assert_round_trip),
    # which fails if any of its cells raises, graded or not. So each needs a round-trip test.
    round_trips = [p.read_text() for p in (ROOT / "tests").glob("test_*.py") if "assert_round_trip(" in p.read_text()]
    missing = [str(p.relative_to(ROOT)) for p in SOLUTIONS
               if not any(f'"{p.name}"' in text and f'"{p.parent.name}"' in text or f'"{p.parent.name}/{p.name}"' in text
                          for text in round_trips)]
    assert not missing, f"solutions without a round-trip test (tests/test_exercise_*.py): {missing}"


@pytest.mark.notebook
@pytest.mark.parametrize("path", _grouped(LESSONS))
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path, record_property):
    nb, elapsed = _execute(path, tmp_path, GLOBAL_RANDOM_STATES[0])
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
    _FIRST_RUN[path] = _visible_outputs(nb)
    site.keep_executed(path, nb)  # the site's build (tests/test_site.py) shows this run


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", _grouped(LESSONS))
def test_lesson_prints_the_same_whatever_ran_before_and_however_busy_the_machine(path: Path, tmp_path: Path):
    first = _FIRST_RUN.get(path)
    if first is None:  # the run above happened in another worker: make the reference run here
        first = _visible_outputs(_execute(path, tmp_path / "a", GLOBAL_RANDOM_STATES[0])[0])
    # A busy machine, at the lowest priority: it shifts the kernel's timing without starving it (an unniced
    # burner on 2 cores beside the other pytest-xdist worker slowed some lessons tenfold).
    burner = subprocess.Popen([sys.executable, "-c", "import os\nos.nice(19)\nwhile True: pass"])
    try:
        second = _visible_outputs(_execute(path, tmp_path / "b", GLOBAL_RANDOM_STATES[1])[0])
    finally:
        burner.kill()
        burner.wait()
    for index, (a, b) in enumerate(zip(first, second)):
        assert a == b, (
            f"{path.name}: code cell {index} printed something else when Python's global random state "
            f"differed and the machine was busy.\nfirst run:  {a!r}\nsecond run: {b!r}\n"
            "Everything random that a learner sees must come from the lab's seed."
        )
    assert len(first) == len(second)


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


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_python_shown_in_the_prose_is_python(path: Path):
    # The published site highlights ```python blocks and treats a lexing failure as an error.
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.findall(r"```python\n(.*?)```", cell.source, re.S):
            try:
                compile(block, f"{path.name} (markdown)", "exec")
            except SyntaxError as err:
                raise AssertionError(f"{path.name}: a ```python block in the prose does not parse: {err}") from None
