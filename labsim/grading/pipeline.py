"""The nbgrader side of the course: generate exercises, autograde notebooks, test the round trip.

``solutions/<assignment>/`` is nbgrader's source directory and ``exercises/<assignment>/`` its release
directory (see ``nbgrader_config.py``). Everything here runs nbgrader in a throw-away course directory
under a temporary folder, so no ``gradebook.db`` or ``autograded/`` folder is ever left in the repository.

Instructors::

    python -m labsim.grading generate          # rebuild exercises/ from solutions/ (then commit it)
    python -m labsim.grading check             # exit 1 if exercises/ is out of date
    python -m labsim.grading roundtrip 00-warm-up   # autograde solution and untouched exercise

Tests (one line per assignment)::

    from labsim.grading import assert_round_trip, Wrong
    assert_round_trip("solutions/00-warm-up/warm-up.ipynb", wrong_answers={
        "reads with LATEST": Wrong({"read": lambda src: src.replace("TRIM_HORIZON", "LATEST")},
                                   loses=["test_read"]),
    })
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import sys
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Union

import nbformat
from nbformat import NotebookNode

CONFIG_FILE = "nbgrader_config.py"
NotebookLike = Union[str, os.PathLike, NotebookNode]
CellEdit = Union[str, Callable[[str], str]]

# Cell and notebook metadata that records a run, not the content: dropped from committed notebooks.
_RUN_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
_RUN_NOTEBOOK_METADATA = ("widgets",)


# --- finding the course and its configuration ------------------------------------------------------
def find_root(start: str | os.PathLike | None = None) -> Path:
    """The course root: the nearest folder at or above ``start`` (default: cwd) with nbgrader_config.py.

    Falls back to the checkout that holds this package, so tests and tools work from any cwd.
    """
    here = Path(start or os.getcwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    package_root = Path(__file__).resolve().parents[2]
    if (package_root / CONFIG_FILE).is_file():
        return package_root
    raise FileNotFoundError(f"no {CONFIG_FILE} found in {here} or above: run this from the course folder")


def load_config(root: str | os.PathLike | None = None) -> Any:
    """The course's nbgrader configuration (a traitlets ``Config``), as nbgrader itself would load it."""
    from traitlets.config.loader import PyFileConfigLoader

    root = find_root(root)
    return PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()


def _dirs(config: Any) -> tuple[str, str]:
    course = config.CourseDirectory
    return (course.get("source_directory", "source"), course.get("release_directory", "release"))


def list_assignments(root: str | os.PathLike | None = None) -> list[str]:
    """Assignment names: the folders of the source directory (``solutions/``) that hold a notebook."""
    root = find_root(root)
    source = root / _dirs(load_config(root))[0]
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


# --- notebooks -----------------------------------------------------------------------------------
def read_notebook(notebook: NotebookLike) -> NotebookNode:
    if isinstance(notebook, NotebookNode):
        return copy.deepcopy(notebook)
    return nbformat.read(os.fspath(notebook), as_version=4)


def strip_notebook(nb: NotebookNode) -> NotebookNode:
    """Remove outputs, execution counts, run metadata and widget state (in place; returns ``nb``)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _RUN_CELL_METADATA:
            cell.metadata.pop(key, None)
    for key in _RUN_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    return nb


def grade_ids(nb: NotebookNode) -> dict[str, NotebookNode]:
    """Cells that carry nbgrader metadata, by ``grade_id``."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "grade_id" in c.metadata.get("nbgrader", {})}


def edit_cells(notebook: NotebookLike, edits: Mapping[str, CellEdit]) -> NotebookNode:
    """A copy of ``notebook`` with cells replaced by ``grade_id``: a string is the new source, a
    callable gets the old source and returns the new one (``lambda s: s.replace("A", "B")``)."""
    nb = read_notebook(notebook)
    cells = grade_ids(nb)
    for grade_id, edit in edits.items():
        if grade_id not in cells:
            raise KeyError(f"no cell with grade_id {grade_id!r}; the notebook has {sorted(cells)}")
        old = cells[grade_id].source
        new = edit(old) if callable(edit) else edit
        if new == old:
            raise ValueError(f"the edit of cell {grade_id!r} changed nothing: check the text it replaces")
        cells[grade_id].source = new
    return nb


# --- running nbgrader in a scratch course ----------------------------------------------------------
@contextmanager
def _scratch(workdir: str | os.PathLike | None) -> Iterator[Path]:
    if workdir is not None:
        path = Path(workdir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="labsim-grading-") as tmp:
            yield Path(tmp)


@contextmanager
def _nbgrader_env(cwd: Path) -> Iterator[None]:
    """nbgrader runs ``alembic`` from PATH and resolves some paths against the working directory:
    put this interpreter's scripts folder on PATH and work inside the scratch course."""
    scripts = str(Path(sys.executable).parent)
    saved_path, saved_cwd = os.environ.get("PATH", ""), os.getcwd()
    if scripts not in saved_path.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + saved_path
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ["PATH"] = saved_path


class _Course:
    """A scratch nbgrader course: the real config with its root moved to ``path``."""

    def __init__(self, root: Path, path: Path) -> None:
        self.root, self.path = root, path
        self.config = load_config(root)
        self.config.CourseDirectory.root = str(path)
        self.source_dir, self.release_dir = _dirs(self.config)

    def add_source(self, assignment: str, folder: Path) -> None:
        target = self.path / self.source_dir / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def run(self, converter_cls: Any, assignment: str, student: str = ".", **traits: Any) -> str:
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.utils import capture_log

        config = copy.deepcopy(self.config)
        for name, value in traits.items():
            cls_name, trait = name.split(".")
            config[cls_name][trait] = value
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = assignment
        coursedir.student_id = student
        converter = converter_cls(coursedir=coursedir, config=config)
        converter.force = True
        with _nbgrader_env(self.path), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SQLAlchemy noise
            result = capture_log(converter)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader {converter_cls.__name__} failed for {assignment!r}:\n"
                f"{result.get('log', '')}\n{result.get('error', '')}"
            )
        return result.get("log", "")

    def release(self, assignment: str, *, database: bool) -> Path:
        from nbgrader.converters import GenerateAssignment

        traits: dict[str, Any] = {"GenerateAssignment.create_assignment": True}
        if not database:
            traits.update({"GenerateAssignment.no_database": True, "SaveCells.enabled": False})
        self.run(GenerateAssignment, assignment, **traits)
        return self.path / self.release_dir / assignment


# --- generating exercises/ ------------------------------------------------------------------------
def generate(
    assignments: list[str] | None = None,
    *,
    root: str | os.PathLike | None = None,
    dest: str | os.PathLike | None = None,
) -> list[Path]:
    """Build the student version of each assignment from ``solutions/`` into ``exercises/``.

    Wraps ``nbgrader generate_assignment <name> --force --no-db`` run in a scratch course, then strips
    outputs and run metadata. ``dest`` (default: the course's release directory) receives one folder
    per assignment, replaced as a whole. Returns the notebooks written.
    """
    root = find_root(root)
    names = assignments or list_assignments(root)
    source_dir, release_dir = _dirs(load_config(root))
    dest = Path(dest) if dest is not None else root / release_dir
    written: list[Path] = []
    with _scratch(None) as tmp:
        course = _Course(root, tmp)
        for name in names:
            folder = root / source_dir / name
            if not folder.is_dir():
                raise FileNotFoundError(f"no assignment {name!r}: {folder} does not exist")
            course.add_source(name, folder)
            released = course.release(name, database=False)
            target = dest / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(released, target)
            for path in sorted(target.rglob("*.ipynb")):
                nb = strip_notebook(nbformat.read(path, as_version=4))
                nbformat.write(nb, path)
                written.append(path)
    return written


def _comparable(nb: NotebookNode) -> list[tuple[Any, ...]]:
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        out.append((cell.cell_type, cell.source, tuple(sorted((k, repr(v)) for k, v in meta.items()))))
    return out


def check_sync(
    assignments: list[str] | None = None, *, root: str | os.PathLike | None = None
) -> list[str]:
    """Differences between the committed ``exercises/`` and a fresh generation (empty list = in sync).

    Compares each notebook's cells (type, source, nbgrader metadata); other metadata may differ.
    """
    root = find_root(root)
    names = assignments or list_assignments(root)
    release_dir = root / _dirs(load_config(root))[1]
    problems: list[str] = []
    with _scratch(None) as tmp:
        fresh = generate(names, root=root, dest=tmp)
        for path in fresh:
            rel = path.relative_to(tmp)
            committed = release_dir / rel
            if not committed.exists():
                problems.append(f"{committed} is missing")
                continue
            new, old = _comparable(nbformat.read(path, as_version=4)), _comparable(nbformat.read(committed, as_version=4))
            if len(new) != len(old):
                problems.append(f"{committed}: {len(old)} cells, a fresh generation has {len(new)}")
                continue
            for i, (a, b) in enumerate(zip(old, new)):
                if a != b:
                    problems.append(f"{committed}: cell {i} differs from a fresh generation")
        for name in names:
            expected = {p.relative_to(tmp / name) for p in (tmp / name).rglob("*") if p.is_file()}
            present = {p.relative_to(release_dir / name) for p in (release_dir / name).rglob("*") if p.is_file()}
            for extra in sorted(present - expected):
                problems.append(f"{release_dir / name / extra} is not produced from the solutions")
    if problems:
        problems.append("Regenerate with: python -m labsim.grading generate")
    return problems


# --- autograding ----------------------------------------------------------------------------------
@dataclass
class Scores:
    """One autograded submission: points per graded cell, their maxima, and why a test cell failed."""

    student: str
    cells: dict[str, float]
    max: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)
    # Errors in cells that are not graded ("cell N": why), e.g. an answer cell left as handed out.
    ungraded_errors: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.cells.values())

    @property
    def max_total(self) -> float:
        return sum(self.max.values())

    def as_dict(self) -> dict[str, Any]:
        return {"cells": dict(self.cells), "total": self.total, "max_total": self.max_total}

    def explain(self) -> str:
        lines = [f"{self.student}: {self.total:g}/{self.max_total:g}"]
        for cell, score in self.cells.items():
            line = f"  {cell}: {score:g}/{self.max[cell]:g}"
            if cell in self.errors:
                line += f"  <- {self.errors[cell]}"
            lines.append(line)
        return "\n".join(lines)


def _solution_path(solution: str | os.PathLike) -> Path:
    path = Path(solution).resolve()
    if path.is_dir():
        notebooks = sorted(path.glob("*.ipynb"))
        if len(notebooks) != 1:
            raise ValueError(f"{path} holds {len(notebooks)} notebooks: pass the one to grade")
        path = notebooks[0]
    if not path.is_file():
        raise FileNotFoundError(f"no solution notebook at {path}")
    return path


def _errors(nb: NotebookNode, *, graded: bool = True) -> dict[str, str]:
    """Why each graded cell raised, by grade_id; with ``graded=False``, the other cells, by "cell N"."""
    out = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or bool(meta.get("grade")) != graded:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                out[meta["grade_id"] if graded else f"cell {index}"] = f"{output.get('ename')}: {output.get('evalue')}"[:1500]
    return out


def autograde(
    submissions: Mapping[str, NotebookLike] | NotebookLike,
    solution: str | os.PathLike,
    workdir: str | os.PathLike | None = None,
) -> dict[str, Scores] | Scores:
    """Autograde notebooks against ``solution`` the way ``nbgrader autograde`` does, in a scratch course.

    ``solution`` is the instructor notebook, ``solutions/<assignment>/<notebook>.ipynb``; its folder
    name is the assignment. ``submissions`` maps a student id to a notebook (path or NotebookNode);
    a single notebook is graded as student ``learner`` and its ``Scores`` returned directly.
    The scratch course lives in ``workdir`` if given (kept for inspection), else in a temporary folder.
    """
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde

    single = isinstance(submissions, (NotebookNode, str, os.PathLike))  # a NotebookNode is a Mapping too
    subs: Mapping[str, NotebookLike] = {"learner": submissions} if single else submissions  # type: ignore[dict-item]
    solution = _solution_path(solution)
    assignment, notebook_id = solution.parent.name, solution.stem
    with _scratch(workdir) as tmp:
        course = _Course(find_root(solution), tmp)
        course.add_source(assignment, solution.parent)
        course.release(assignment, database=True)
        for student, notebook in subs.items():
            folder = tmp / "submitted" / student / assignment
            if folder.exists():
                shutil.rmtree(folder)
            shutil.copytree(tmp / course.release_dir / assignment, folder)  # data files, as fetched
            # Only the notebook under test is submitted: the assignment's other notebooks would
            # otherwise be executed (and graded) again for every student, doubling the run time.
            for other in folder.glob("*.ipynb"):
                if other.stem != notebook_id:
                    other.unlink()
            nbformat.write(read_notebook(notebook), folder / f"{notebook_id}.ipynb")
        course.run(Autograde, assignment, student="*", **{"Autograde.create_student": True})
        results: dict[str, Scores] = {}
        with _nbgrader_env(tmp), Gradebook(f"sqlite:///{tmp / 'gradebook.db'}") as gradebook:
            for student in subs:
                submitted = gradebook.find_submission_notebook(notebook_id, assignment, student)
                cells = {g.name: float(g.score or 0) for g in submitted.grades}
                maxima = {g.name: float(g.max_score) for g in submitted.grades}
                graded = nbformat.read(tmp / "autograded" / student / assignment / f"{notebook_id}.ipynb", as_version=4)
                results[student] = Scores(student, cells, maxima, _errors(graded), _errors(graded, graded=False))
    return results["learner"] if single else results


# --- the round trip -------------------------------------------------------------------------------
@dataclass
class Wrong:
    """A typical wrong answer: cell edits by ``grade_id`` (see ``edit_cells``) and the graded cells
    that must then score 0. Every other graded cell must keep full marks. Without ``loses``, the
    total must merely fall strictly between 0 and full marks."""

    cells: Mapping[str, CellEdit]
    loses: list[str] | None = None


def assert_round_trip(
    solution: str | os.PathLike,
    wrong_answers: Mapping[str, Wrong | Mapping[str, CellEdit]] | None = None,
    *,
    workdir: str | os.PathLike | None = None,
) -> dict[str, Scores]:
    """Assert the grader tells right from wrong: the solution earns full marks, the untouched student
    version earns zero, and each wrong answer loses exactly the points it should. One autograde run
    grades them all. Returns the scores by submission name ("solution", "untouched", then the
    wrong answers' labels)."""
    solution = _solution_path(solution)
    wrongs = {label: w if isinstance(w, Wrong) else Wrong(w) for label, w in (wrong_answers or {}).items()}
    reserved = {"solution", "untouched"} & set(wrongs)
    if reserved:
        raise ValueError(f"wrong-answer labels {sorted(reserved)} are reserved")
    with _scratch(workdir) as tmp:
        root = find_root(solution)
        course = _Course(root, tmp / "release")
        course.add_source(solution.parent.name, solution.parent)
        untouched = course.release(solution.parent.name, database=False) / solution.name
        subs: dict[str, NotebookLike] = {"solution": solution, "untouched": untouched}
        ids = {"solution": "solution", "untouched": "untouched"}
        for i, (label, wrong) in enumerate(wrongs.items()):
            ids[label] = f"wrong{i}"
            subs[label] = edit_cells(solution, wrong.cells)
        graded = autograde({ids[k]: v for k, v in subs.items()}, solution, tmp / "course")
    scores = {label: dataclasses.replace(graded[ids[label]], student=label) for label in subs}
    failures: list[str] = []
    full = scores["solution"]
    if not full.max:
        failures.append("the notebook has no graded cells")
    if full.total != full.max_total:
        failures.append(f"the solution should earn full marks:\n{full.explain()}")
    if full.ungraded_errors:  # the round trip is the suite's run of the solution: it must run clean throughout
        failures.append(f"the solution raised outside its graded cells: {full.ungraded_errors}")
    if scores["untouched"].total != 0:
        failures.append(f"the untouched exercise should earn nothing:\n{scores['untouched'].explain()}")
    for label, wrong in wrongs.items():
        got = scores[label]
        if wrong.loses is None:
            if not 0 < got.total < got.max_total:
                failures.append(f"wrong answer {label!r} should earn partial marks:\n{got.explain()}")
            continue
        unknown = set(wrong.loses) - set(got.max)
        if unknown:
            failures.append(f"wrong answer {label!r}: no graded cells {sorted(unknown)}; graded cells are {sorted(got.max)}")
            continue
        for cell, score in got.cells.items():
            should = 0.0 if cell in wrong.loses else got.max[cell]
            if score != should:
                failures.append(
                    f"wrong answer {label!r}: {cell} scored {score:g}, expected {should:g}:\n{got.explain()}"
                )
                break
    if failures:
        raise AssertionError("\n\n".join(failures))
    return scores
