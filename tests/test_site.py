"""The course's static site (book/): built with every lesson executed, quizzes readable, links that work.

The whole build (test_the_site_builds_with_every_lesson_executed) executes every lesson, like
tests/test_notebooks.py, then runs Jupyter Book with warnings as errors; the quick tests below prove that
the build really fails on a cell error and on a broken link, and that the table of contents is the course map.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

import build as site  # noqa: E402  (book/build.py)
import static_quiz  # noqa: E402  (book/static_quiz.py)

LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


# --- quick checks (no build) ------------------------------------------------------------------------------
def test_the_table_of_contents_is_the_course_map():
    toc = site.table_of_contents()
    lessons, exercises = toc["parts"]
    assert [c["file"] for c in lessons["chapters"]] == [f"lessons/{p.stem}" for p in LESSONS]
    listed = [s["file"] for unit in exercises["chapters"] for s in unit["sections"]]
    assert listed == [f"exercises/{p.parent.name}/{p.stem}" for p in EXERCISES]
    assert not any("solutions" in f for f in listed), "the site never shows the solutions"


def test_a_quiz_renders_without_a_kernel_with_its_answers_folded():
    from labsim.quiz import load_bank

    questions = [q for q in load_bank() if q.topic == "kds-write"][:2]
    html = static_quiz.to_html("Self-check: kds-write", questions)
    for q in questions:
        assert q.id in html
        right = ", ".join(letter for letter, o in zip("abcdefghij", q.options) if o.correct)
        answer = html.split(q.id, 1)[1].split("</details>", 1)[0]
        assert f"The answer: <strong>{right}</strong>" in answer
        assert answer.index("<details>") < answer.index("The answer"), "the answer is folded away"
    assert html.count("<details>") == len(questions)


def test_a_lesson_that_raises_fails_the_build(tmp_path):
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('a broken experiment')")])
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    with pytest.raises(RuntimeError, match="ValueError: a broken experiment"):
        site.execute_lesson(path, tmp_path / "out.ipynb")


def test_the_build_shows_a_kept_run_only_while_the_lesson_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "EXECUTED", tmp_path / "kept")
    lesson = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('executed')")]), lesson)
    kept = nbformat.read(lesson, as_version=4)
    site.with_static_quizzes(kept)
    kept.cells[1].outputs = [nbformat.v4.new_output("display_data", data={
        site.WIDGET_MIME: {"model_id": "0"}, "text/html": '<div class="static-quiz">from the kept run</div>'})]
    site.keep_executed(lesson, kept)

    with pytest.raises(RuntimeError, match="ValueError: executed"):  # --fresh: executed whatever is kept
        site.execute_lesson(lesson, tmp_path / "out.ipynb", reuse=False)
    assert site.execute_lesson(lesson, tmp_path / "out.ipynb") is None, "the kept run is shown, not executed"
    assert "from the kept run" in (tmp_path / "out.ipynb").read_text()

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('edited')")]), lesson)
    with pytest.raises(RuntimeError, match="ValueError: edited"):  # changed: executed again, not taken
        site.execute_lesson(lesson, tmp_path / "out.ipynb")


def test_a_broken_link_fails_the_build(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "_config.yml").write_text((ROOT / "book" / "_config.yml").read_text())
    (src / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (src / "intro.md").write_text("# Intro\n\nSee [the next lesson](lessons/no-such-lesson.ipynb).\n")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
         "build", str(src), "--path-output", str(tmp_path / "out"), "--warningiserror", "--keep-going"],
        capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert "no-such-lesson" in done.stdout + done.stderr


# --- the whole site ----------------------------------------------------------------------------------------
@pytest.mark.site
@pytest.mark.slow
def test_the_site_builds_with_every_lesson_executed(tmp_path):
    html = site.build(tmp_path / "site", quiet=True)
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)  # not theme macros

    for lesson in LESSONS:
        page = html / "lessons" / f"{lesson.stem}.html"
        assert page.is_file(), f"no page for {lesson.name}"
        text = page.read_text(encoding="utf-8")
        assert re.search(r'<img [^>]*src="[^"]*\.png"', text), f"{page.name} shows no plot: were outputs kept?"
        assert 'class="static-quiz"' in text and "<details>" in text, f"{page.name} shows no readable quiz"
        assert "Traceback" not in text and "widget-view+json" not in text, page.name
        assert "static_quiz" not in text, f"{page.name} shows the build's hidden cell"
    for exercise in EXERCISES:
        assert (html / "exercises" / exercise.parent.name / f"{exercise.stem}.html").is_file()

    # The navigation on the home page lists the course map in order.
    home = (html / "intro.html").read_text(encoding="utf-8")
    positions = [home.find(f"lessons/{p.stem}.html") for p in LESSONS]
    assert -1 not in positions and positions == sorted(positions), "the lessons are in the navigation, in order"

    # Every local link and image of every page resolves, fragments included; nothing loads from the web.
    broken = []
    for page in pages:
        parsed = _parse(page)
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto") or link.startswith("//"):
                if page.parent == html / "lessons":
                    assert not link.endswith(".js"), f"{page.name} loads a script from the web: {link}"
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(html)} -> {link}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in _parse(target).ids:
                broken.append(f"{page.relative_to(html)} -> {link} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken[:20])

    # Outputs live in the site only: the committed notebooks are still clean.
    for lesson in LESSONS:
        assert not any(c.get("outputs") for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "code")
