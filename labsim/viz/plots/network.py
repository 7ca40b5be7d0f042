"""Networking, drawn: requests per second and record latency per network path, and producers'
buffers growing under throttling (pictures of ``labsim.viz.runs.network``)."""

from __future__ import annotations

from typing import Any

from labsim.network import PATHS
from labsim.viz.runs.network import BackpressureRun, PathRun

__all__ = ["plot_paths", "plot_backpressure", "PATH_COLOURS"]

PATH_COLOURS = {"vpc-endpoint": "#2e86c1", "internet": "#f39c12", "cross-region": "#c0392b"}


def plot_paths(runs: dict[str, PathRun], *, axes: Any = None) -> Any:
    """Left: requests/s one synchronous loop achieved per path. Right: each record's latency (ms)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.3))
    ax, bx = axes
    paths = [p for p in PATHS if p in runs]
    ax.bar(paths, [runs[p].rate for p in paths], color=[PATH_COLOURS[p] for p in paths])
    for i, p in enumerate(paths):
        ax.annotate(f"{runs[p].rate:,.0f}/s", (i, runs[p].rate), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("PutRecord requests per second")
    ax.set_title("one synchronous producer")
    for p in paths:  # the share of records that arrived within x ms (an empirical CDF)
        values = sorted(runs[p].latencies_ms)
        bx.step(values, [(i + 1) / len(values) for i in range(len(values))], where="post", color=PATH_COLOURS[p], label=p)
    bx.set_xscale("log")
    bx.set_xlabel("record latency, ms (arrival minus call; log scale)")
    bx.set_ylabel("share of records")
    bx.set_title("how long a record takes to arrive")
    bx.legend(fontsize=8, loc="lower right")
    ax.figure.tight_layout()
    return axes


def plot_backpressure(runs: list[BackpressureRun], *, axes: Any = None, capacity: int | None = None) -> Any:
    """One panel per run: the producer's buffer over simulated time; shaded while records were offered."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 3.2), squeeze=False)
        axes = axes[0]
    for ax, run in zip(axes, runs):
        ax.step(run.times, run.pending, where="post", color="#8e44ad")
        if run.offered_until:
            ax.axvspan(0, run.offered_until, color="#f5cba7", alpha=0.5, label="records offered faster than the shard takes")
        cap = run.extra.get("capacity")
        if cap:
            ax.axhline(cap, color="black", ls="--", lw=1, label=f"publishQueueCapacity = {cap}")
        ax.set_xlabel("simulated seconds")
        ax.set_ylabel(run.what)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].figure.tight_layout()
    return axes
