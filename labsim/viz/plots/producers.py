"""Producers under load, drawn: accepted against throttled records, and per-shard CloudWatch sums
(pictures of ``labsim.viz.runs.producers``)."""

from __future__ import annotations

from typing import Any

from labsim import quotas
from labsim.viz.runs.producers import ProducerRun

__all__ = ["plot_run", "plot_shard_metric"]


# --- plots ---------------------------------------------------------------------------------------
def plot_run(run: ProducerRun, *, axes: Any = None) -> Any:
    """Two panels: accepted vs throttled records per second, and accepted records per shard."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [2.2, 1]})
    ax, bx = axes
    t = list(range(run.seconds))
    ax.stackplot(t, run.accepted, run.throttled, labels=["accepted", "throttled"],
                 colors=["#3a9d5d", "#d64545"], alpha=0.85, step="post")
    ax.axhline(run.capacity_records_per_second(), color="black", ls="--", lw=1,
               label="capacity with an even spread")
    ax.set_xlabel("simulated second")
    ax.set_ylabel("records per second")
    ax.set_xlim(0, max(1, run.seconds - 1))
    ax.set_title(f"{run.throttled_share:.1%} throttled ({run.total_throttled:,} of {run.total_offered:,})")
    ax.legend(loc="upper right", fontsize=8)

    totals = run.shard_totals("accepted")
    refused = run.shard_totals("throttled")
    labels = [s.rsplit("-", 1)[-1].lstrip("0") or "0" for s in run.shard_ids]
    bx.bar(labels, [totals[s] / run.seconds for s in run.shard_ids], color="#3a9d5d", label="accepted")
    bx.bar(labels, [refused[s] / run.seconds for s in run.shard_ids],
           bottom=[totals[s] / run.seconds for s in run.shard_ids], color="#d64545", label="throttled")
    per_shard = min(quotas.SHARD_WRITE_RECORDS_PER_SECOND, quotas.SHARD_WRITE_BYTES_PER_SECOND / run.record_size)
    bx.axhline(per_shard, color="black", ls="--", lw=1, label="one shard's limit")
    bx.set_xlabel("shard")
    bx.set_ylabel("records per second (mean)")
    bx.set_title("offered load per shard")
    bx.legend(fontsize=8)
    ax.figure.tight_layout()
    return axes


def plot_shard_metric(series: dict[str, list[tuple[Any, float]]], metric: str, *, ax: Any = None) -> Any:
    """Bars per shard of a ``shard_metric`` result, summed over the time range."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    labels = [k.rsplit("-", 1)[-1].lstrip("0") or "0" if k.startswith("shardId-") else k for k in series]
    values = [sum(v for _, v in points) for points in series.values()]
    ax.bar(labels, values, color="#d64545" if "Exceeded" in metric else "#3a7dc9")
    ax.set_xlabel("shard")
    ax.set_ylabel(f"{metric} (Sum)")
    ax.set_title(metric)
    return ax
