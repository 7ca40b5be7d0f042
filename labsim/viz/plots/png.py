"""A matplotlib figure as PNG bytes, drawn completely before anyone sees it.

The explorers show their picture as these bytes in an image widget: the browser receives one
finished image per change, never an empty or half-drawn canvas, and pyplot's global state (the
current figure, the inline backend's display at the end of a cell) is never involved.

>>> fig = new_figure((2, 1))
>>> _ = fig.subplots().plot([0, 1], [1, 0])
>>> to_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["new_figure", "to_png", "SCREEN_DPI", "IMAGE_DPI"]

#: Pixels per inch on screen (as the notebook's inline backend) and in the PNG (sharp on HiDPI screens).
SCREEN_DPI = 100
IMAGE_DPI = 144


def new_figure(figsize: tuple[float, float]) -> Any:
    """A figure that belongs to no pyplot window or notebook display."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=SCREEN_DPI)


def to_png(figure: Any, dpi: int = IMAGE_DPI) -> bytes:
    """Render ``figure`` to PNG bytes on a white background."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
