"""The hash-key space, drawn: which shard owns which slice, and where partition keys land
(a picture of ``labsim.viz.runs.shards``)."""

from __future__ import annotations

from typing import Any, Iterable

from labsim.viz.runs.shards import HASH_KEY_SPACE, hash_fraction, open_ranges, shard_label

__all__ = ["plot_hash_space"]


def plot_hash_space(shards: Any, keys: Iterable[str] = (), *, ax: Any = None, highlight: str | None = None) -> Any:
    """Draw the hash space as one bar split into the open shards' ranges, with ``keys`` marked on it.

    ``shards`` is a ``list_shards`` / ``describe_stream`` response or its ``Shards`` list.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.4))
    ranges = open_ranges(shards)
    colours = plt.get_cmap("tab10")
    for i, (start, end, shard_id) in enumerate(ranges):
        left = start / HASH_KEY_SPACE
        width = (end + 1 - start) / HASH_KEY_SPACE
        ax.barh(0, width, left=left, height=0.5, color=colours(i % 10), alpha=0.35, edgecolor="black")
        ax.text(left + width / 2, -0.3, shard_label(shard_id), ha="center", va="top", fontsize=8)
    # Each label goes on the lowest line where it clears the labels already placed there (widths
    # estimated from the Axes' size in points), so keys that hash close together never overprint.
    axes_points = ax.get_position().width * ax.figure.get_figwidth() * 72
    per_char = 5.2 / max(axes_points, 1.0)  # about the width of one 8-point character, as a fraction
    line_ends: list[float] = []
    for key in sorted(dict.fromkeys(keys), key=hash_fraction):
        x = hash_fraction(key)
        half = len(key) * per_char / 2
        line = next((i for i, end in enumerate(line_ends) if end < x - half), len(line_ends))
        if line == len(line_ends):
            line_ends.append(0.0)
        line_ends[line] = x + half + per_char
        bold = key == highlight
        ax.plot([x, x], [-0.25, 0.25], color="crimson" if bold else "black", lw=2.5 if bold else 1.2)
        ax.annotate(key, (x, 0.25), xytext=(0, 6 + 11 * line), textcoords="offset points",
                    ha="center", fontsize=8, fontweight="bold" if bold else "normal",
                    color="crimson" if bold else "black")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.8, 1.1 + 0.25 * max(0, len(line_ends) - 3))
    ax.set_yticks([])
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_xticklabels(["0", "2\u00b9\u00b2\u2078/4", "2\u00b9\u00b2\u2078/2", "3\u00b72\u00b9\u00b2\u2078/4", "2\u00b9\u00b2\u2078\u22121"])
    ax.set_xlabel("hash key = MD5(partition key) as a 128-bit integer")
    ax.set_title(f"{len(ranges)} open shard(s): each owns one contiguous slice of the hash-key space")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax

