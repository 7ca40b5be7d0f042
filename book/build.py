#!/usr/bin/env python3
"""Build the course's static site: every lesson executed, its quiz readable without a kernel.

    .venv/bin/python book/build.py                 # -> build/site/_build/html/index.html
    .venv/bin/python -m http.server -d build/site/_build/html 8000 --bind 127.0.0.1   # preview

Steps (the committed notebooks stay without outputs; outputs live only in the built site):
1. stage the book in build/site-src/: book/*.md and _config.yml, a table of contents made from the
   course map (lessons/ in order, then each exercises/<unit>/), and an index page per exercise unit;
2. execute each lesson in a fresh kernel, as tests/test_notebooks.py does, after a hidden first cell
   that makes every quiz also render the very questions it drew as HTML (answers folded); then the
   quiz widgets give way to that HTML, and other outputs that only a live kernel can draw
   (ipywidgets) to a note saying so. A lesson's run is kept in build/executed-lessons/ under a digest
   of the notebook, labsim and the quiz cell, and reused while none of them changes (tests/test_notebooks.py
   keeps its runs there too, so the suite executes each lesson once for both); --fresh ignores them;
3. run Jupyter Book with warnings as errors, so a missing file or a broken cross-reference fails.
Exits non-zero on a cell error or a warning. Why Jupyter Book 1 and not 2: see book/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
CELL_TIMEOUT = 120
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LIVE_ONLY_NOTE = (
    "<p><em>An interactive control stands here when the lesson runs in JupyterLab "
    "(<code>python3 course.py start</code>); it needs a live kernel.</em></p>"
)
# Run first, hidden: every quiz the lesson shows then also carries an HTML rendering of its questions.
STATIC_QUIZ_CELL = (
    "import sys\n"
    f"sys.path.insert(0, {str(BOOK)!r})\n"
    "import static_quiz\n"
    "static_quiz.register()"
)
#: Lessons already executed with the hidden quiz cell (by an earlier build, or by tests/test_notebooks.py),
#: named by everything their outputs depend on, so a build never shows stale outputs.
EXECUTED = ROOT / "build" / "executed-lessons"
FOLDER_LINK = re.compile(r"\]\((\.\./exercises/[^)#\s]+)/\)")


# --- staging ---------------------------------------------------------------------------------------
def notebook_title(path: Path) -> str:
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError(f"{path} has no '# ' title in a markdown cell")


def lessons() -> list[Path]:
    return sorted((ROOT / "lessons").glob("*.ipynb"))


def exercise_units() -> list[Path]:
    return sorted(p for p in (ROOT / "exercises").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def table_of_contents() -> dict:
    """The course map as Jupyter Book's table of contents: lessons in order, then exercise units."""
    return {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {"caption": "Lessons", "chapters": [{"file": f"lessons/{p.stem}"} for p in lessons()]},
            {
                "caption": "Graded exercises",
                "chapters": [
                    {
                        "file": f"exercises/{unit.name}/index",
                        "sections": [{"file": f"exercises/{unit.name}/{nb.stem}"} for nb in sorted(unit.glob("*.ipynb"))],
                    }
                    for unit in exercise_units()
                ],
            },
        ],
    }


def unit_index(unit: Path) -> str:
    lines = [
        f"# Exercise {unit.name}",
        "",
        "A graded nbgrader assignment, shown as learners receive it. Run it in JupyterLab, replace each "
        "`raise NotImplementedError()` with your answer, and check your work with "
        f"`nbgrader validate exercises/{unit.name}/<notebook>.ipynb`.",
        "",
    ]
    lines += [f"- [{notebook_title(nb)}]({nb.name})" for nb in sorted(unit.glob("*.ipynb"))]
    return "\n".join(lines) + "\n"


def stage(src: Path) -> None:
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for path in BOOK.glob("*.md"):
        if path.name != "README.md":
            shutil.copyfile(path, src / path.name)
    shutil.copyfile(BOOK / "_config.yml", src / "_config.yml")
    (src / "_toc.yml").write_text(yaml.safe_dump(table_of_contents(), sort_keys=False))
    for unit in exercise_units():
        target = src / "exercises" / unit.name
        target.mkdir(parents=True)
        for nb in sorted(unit.glob("*.ipynb")):
            shutil.copyfile(nb, target / nb.name)
        (target / "index.md").write_text(unit_index(unit))
    (src / "lessons").mkdir()


# --- executing the lessons -------------------------------------------------------------------------
def with_static_quizzes(nb: nbformat.NotebookNode) -> None:
    """Prepend the hidden cell that teaches the kernel to render quizzes as HTML too."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(STATIC_QUIZ_CELL, metadata={"tags": ["remove-cell"]}))


def without_live_only_outputs(nb: nbformat.NotebookNode) -> int:
    """Quiz widgets give way to their HTML rendering; other widgets to a note. No widget state kept.
    Returns how many quizzes the page shows."""
    quizzes = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME not in data:
                outputs.append(output)
            elif "static-quiz" in data.get("text/html", ""):
                outputs.append(nbformat.v4.new_output("display_data", data={"text/html": data["text/html"]}))
                quizzes += 1
            else:
                outputs.append(nbformat.v4.new_output("display_data", data={"text/html": LIVE_ONLY_NOTE}))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return quizzes


def fix_folder_links(nb: nbformat.NotebookNode) -> None:
    """A lesson's link to an exercise folder points at that unit's index page on the site."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = FOLDER_LINK.sub(r"](\1/index.md)", cell.source)


def execution_key(path: Path) -> str:
    """A digest of what a lesson's outputs depend on: the notebook, labsim's code and questions, the quiz cell."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((ROOT / "labsim").rglob("*")):
        if source.suffix in (".py", ".yaml") and "__pycache__" not in source.parts:
            digest.update(str(source.relative_to(ROOT)).encode())
            digest.update(source.read_bytes())
    digest.update((BOOK / "static_quiz.py").read_bytes())
    digest.update(STATIC_QUIZ_CELL.encode())
    return digest.hexdigest()[:20]


def executed_copy(path: Path) -> Path:
    return EXECUTED / f"{path.stem}-{execution_key(path)}.ipynb"


def keep_executed(path: Path, nb: nbformat.NotebookNode) -> None:
    """Keep a lesson run with the hidden quiz cell first (and nothing else added) for the next build."""
    target = executed_copy(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{path.stem}-*.ipynb"):
        stale.unlink(missing_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    nbformat.write(nb, partial)
    partial.replace(target)  # atomic: a build in another process never reads half a notebook


def execute_lesson(path: Path, target: Path, *, reuse: bool = True) -> float | None:
    """Execute a lesson (or take its kept run, if labsim and the lesson are unchanged) and stage it.

    Returns the seconds it took to execute, or None when a kept run was used."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    kept = executed_copy(path)
    elapsed = None
    if reuse and kept.is_file():
        nb = nbformat.read(kept, as_version=4)
    else:
        nb = nbformat.read(path, as_version=4)
        with_static_quizzes(nb)
        started = time.perf_counter()
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except CellExecutionError as exc:
            raise RuntimeError(f"{path.name}: {exc.ename}: {exc.evalue}") from None
        elapsed = time.perf_counter() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError(f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    if elapsed is not None:
        keep_executed(path, nb)
    if not without_live_only_outputs(nb):
        raise RuntimeError(f"{path.name} shows no self-check quiz (DESIGN.md: every lesson ends with one)")
    fix_folder_links(nb)
    nbformat.write(nb, target)
    return elapsed


# --- the whole build -------------------------------------------------------------------------------
def build(out: Path, *, quiet: bool = False, reuse: bool = True) -> Path:
    src = out.parent / (out.name + "-src")
    stage(src)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    with tempfile.TemporaryDirectory(prefix="labsim-site-home-") as home:
        # The quizzes record answers in a history file: keep the builder's own history out of it.
        # Plots must reach the page: the inline backend, whatever MPLBACKEND the caller has set.
        kernel_env = {"LABSIM_HOME": home, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        saved = {name: os.environ.get(name) for name in kernel_env}
        os.environ.update(kernel_env)
        try:
            for lesson in lessons():
                seconds = execute_lesson(lesson, src / "lessons" / lesson.name, reuse=reuse)
                say(f"executed {lesson.relative_to(ROOT)} in {seconds:.1f} s" if seconds is not None
                    else f"took {lesson.relative_to(ROOT)} as run before (unchanged since)")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    if out.exists():
        shutil.rmtree(out)
    jupyter_book = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())"]
    cmd = [*jupyter_book, "build", str(src), "--path-output", str(out), "--builder", "html",
           "--warningiserror", "--keep-going", "--all"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    log = done.stdout + done.stderr
    (out.parent / (out.name + ".log")).write_text(log)
    if done.returncode != 0:
        raise RuntimeError(f"jupyter-book failed (exit {done.returncode}):\n{log[-6000:]}")
    if not (out / "_build" / "html" / "index.html").is_file():
        raise RuntimeError(f"jupyter-book wrote no index.html:\n{log[-6000:]}")
    say(f"site built: {out / '_build' / 'html' / 'index.html'}")
    return out / "_build" / "html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "site"), help="output folder (default %(default)s)")
    parser.add_argument("--fresh", action="store_true",
                        help="execute every lesson again, even one whose run since its last change is kept")
    args = parser.parse_args(argv)
    try:
        html = build(Path(args.out).resolve(), reuse=not args.fresh)
    except RuntimeError as exc:
        print(f"book/build.py: {exc}", file=sys.stderr)
        return 1
    print(f"Preview: {sys.executable} -m http.server -d {html} 8000 --bind 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
