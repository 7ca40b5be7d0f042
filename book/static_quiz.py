"""A lesson's self-check quiz as plain HTML, for the static site (no kernel, no JavaScript).

book/build.py runs ``static_quiz.register()`` in a hidden first cell of each lesson: from then on every
quiz the lesson displays also carries an HTML rendering of exactly the questions it drew, each with
its options and, folded under "Answer", the right letters and why every option is right or wrong.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark").enable("table")
LETTERS = "abcdefghij"


def _md(text: str) -> str:
    return _markdown.render(text.strip())


def _md_inline(text: str) -> str:
    """One option or explanation, on the line of its letter."""
    return _markdown.renderInline(" ".join(text.split()))


def to_html(title: str, questions) -> str:
    parts = [f'<div class="static-quiz"><p><strong>{html.escape(title)}</strong> '
             f"({len(questions)} questions; run the lesson in JupyterLab to check your own answers)</p>"]
    for number, q in enumerate(questions, 1):
        options = "".join(f"<li><strong>{letter})</strong> {_md_inline(o.text)}</li>" for letter, o in zip(LETTERS, q.options))
        right = ", ".join(letter for letter, o in zip(LETTERS, q.options) if o.correct)
        why = "".join(
            f"<li><strong>{letter})</strong> {'right' if o.correct else 'wrong'}: {_md_inline(o.explanation)}</li>"
            for letter, o in zip(LETTERS, q.options)
        )
        parts.append(
            f"<p><strong>Question {number}</strong> <small>({html.escape(q.id)})</small></p>{_md(q.question)}"
            f'<ul style="list-style: none">{options}</ul>'
            f"<details><summary>Answer</summary><p>The answer: <strong>{right}</strong>.</p>"
            f'<ul style="list-style: none">{why}</ul></details>'
        )
    parts.append("</div>")
    return "".join(parts)


def register() -> None:
    """Give every quiz displayed in this kernel a text/html rendering beside its widget."""
    from IPython import get_ipython

    from labsim.quiz.widget import QuizView

    formatter = get_ipython().display_formatter.formatters["text/html"]
    formatter.for_type(QuizView, lambda view: to_html(view.title, list(view.session.questions)))
