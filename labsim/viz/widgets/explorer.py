"""The one base class of every explorer: controls, a summary line and one picture, redrawn once per change.

An explorer is an ipywidgets ``VBox``: its controls (sliders, a text box, a checkbox) on top, a
``summary`` (HTML) and an ``image`` (a PNG) below. A subclass says what a change means in three
methods: ``compute(values)`` runs the simulation or the arithmetic, ``describe(result, values)``
writes the summary, ``draw(figure, result, values)`` plots into a fresh matplotlib figure.

Why a PNG rather than ``plt.show()`` inside an ``Output`` widget: the browser receives each picture
finished, in one message, so it never shows an empty or half-drawn plot, and nothing depends on
pyplot's current figure or on the inline backend, which can display a figure a second time at the
end of a cell. Why the values are remembered: a frontend that echoes a value it already has (a
browser attaching to the widget, ``set`` moving several controls) must not run the simulation again,
so the picture is drawn once per distinct set of values.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from labsim.viz.plots.png import IMAGE_DPI, SCREEN_DPI, new_figure, to_png

__all__ = ["Explorer", "label_style"]


def label_style(descriptions: list[str]) -> dict[str, str]:
    """A ``style`` wide enough for the longest description, so no label is cut off (``Partition k...``)
    and the controls still line up in one column."""
    longest = max((len(d) for d in descriptions), default=0)
    return {"description_width": f"{longest + 3}ch"}


class Explorer(widgets.VBox):
    """Controls that re-run ``compute`` and redraw one picture whenever a value changes.

    ``controls`` maps each setting's name (as ``set`` and ``compute`` know it) to its widget. Every
    control with a description gets a label column wide enough for the longest one. ``rows`` groups
    control names into lines (default: one per line). ``result`` is the last computed result,
    ``redraws`` counts the pictures drawn, ``png`` is the current picture's bytes.
    """

    #: Figure size in inches (at 100 pixels per inch on screen).
    figsize: tuple[float, float] = (10.0, 3.2)

    def __init__(self, controls: dict[str, widgets.Widget], *, rows: list[list[str]] | None = None) -> None:
        self.controls = dict(controls)
        self.summary = widgets.HTML()
        width = int(self.figsize[0] * SCREEN_DPI)
        # Shown at its on-screen size, or narrower when the notebook is narrower; the PNG has more
        # pixels than that (IMAGE_DPI) so it stays sharp on high-density screens.
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%",
                                                                        height="auto", margin="0"))
        self.result: Any = None
        self.redraws = 0
        self._values: dict[str, Any] | None = None
        self._quiet = False
        described = [c for c in self.controls.values() if getattr(c, "description", "") and
                     not isinstance(c, widgets.Checkbox)]
        style = label_style([c.description for c in described])
        for control in described:
            control.style.description_width = style["description_width"]
        groups = rows or [[name] for name in self.controls]
        lines = [self.controls[g[0]] if len(g) == 1 else widgets.HBox([self.controls[n] for n in g]) for g in groups]
        super().__init__([*lines, self.summary, self.image])
        self.add_class("labsim-explorer")
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.update()

    # -- what a subclass supplies -------------------------------------------------------------------
    def compute(self, values: dict[str, Any]) -> Any:
        """Run whatever the values ask for and return its result."""
        raise NotImplementedError

    def describe(self, result: Any, values: dict[str, Any]) -> str:
        """The summary line (HTML) for ``result``."""
        return ""

    def draw(self, figure: Any, result: Any, values: dict[str, Any]) -> None:
        """Plot ``result`` into ``figure`` (a fresh matplotlib Figure of ``figsize``)."""
        raise NotImplementedError

    # -- the machinery ------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The controls' current values, by setting name."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def png(self) -> bytes:
        """The picture on show, as PNG bytes."""
        return bytes(self.image.value)

    def _changed(self, _change: Any) -> None:
        # A control moved in the browser: this runs in a comm handler, where an exception would be
        # lost in the server's log, so a failure is shown where the learner looks instead.
        if self._quiet:
            return
        try:
            self.update()
        except ValueError as err:  # a learner's input (an empty key ...)
            self._failed(html.escape(str(err)))
        except Exception as err:  # noqa: BLE001 - e.g. the lab was stopped by a later cell
            self._failed(f"This run failed: {html.escape(type(err).__name__)}: {html.escape(str(err))} "
                         "(is the lab still running? Run the setup cell again.)")

    def _failed(self, message: str) -> None:
        self.summary.value = f'<b style="color:#b03a2e">{message}</b>'
        self._values = None  # the next valid value is drawn, even if it is the one shown before

    def update(self) -> Any:
        """Compute and redraw for the current values (nothing to do if they were drawn already)."""
        values = self.values()
        if values == self._values:
            return self.result
        result = self.compute(values)
        figure = new_figure(self.figsize)
        self.draw(figure, result, values)
        picture = to_png(figure, dpi=IMAGE_DPI)
        self.result, self._values = result, values
        self.redraws += 1
        # ipywidgets gives HTML a one-control line height; a summary of several lines reads better tighter.
        self.summary.value = f'<div style="line-height:1.45;margin:4px 0">{self.describe(result, values)}</div>'
        self.image.value = picture
        return result

    def set(self, **values: Any) -> Any:
        """Move controls from code, then compute and draw once: ``explorer.set(rate=2000, shards=2)``."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; choose from {sorted(self.controls)}")
        self._quiet = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._quiet = False
        return self.update()
