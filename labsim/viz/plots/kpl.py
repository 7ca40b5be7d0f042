"""The KPL under load, drawn: the stream's per-second use of its write limits, latency CDFs,
deliveries per second, the buffered-time trade-off and the KPL's own CloudWatch metrics (pictures
of ``labsim.viz.runs.kpl``)."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Sequence

from labsim import quotas
from labsim.viz.runs.kpl import KplRun, kpl_metric, stream_usage

__all__ = ["plot_usage", "plot_latency", "plot_delivery", "plot_tradeoff", "DEFAULT_PANELS", "plot_kpl_metrics"]



def plot_usage(cloudwatch: Any, runs: Sequence[KplRun], *, axes: Any = None, labels: Sequence[str] | None = None,
               usage: Sequence[dict[str, list[float]]] | None = None) -> Any:
    """Two panels per second: share of the shards' byte budget and of their record budget used.

    ``usage`` (one ``stream_usage`` result per run) saves asking CloudWatch again."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.3), sharex=True)
    ax, bx = axes
    for k, run in enumerate(runs):
        label = labels[k] if labels is not None else run.label
        use = usage[k] if usage is not None else stream_usage(cloudwatch, run)
        ax.step(use["seconds"], [100 * s for s in use["bytes_share"]], where="post", marker="o", ms=3, label=label)
        bx.step(use["seconds"], [100 * s for s in use["records_share"]], where="post", marker="o", ms=3, label=label)
    for a, title in ((ax, "bytes: % of shards x 1 MiB/s"), (bx, "records: % of shards x 1,000 records/s")):
        a.axhline(100, color="black", ls="--", lw=1)
        a.set_ylim(bottom=0)
        a.set_xlabel("simulated second")
        a.set_ylabel("% of the write limit")
        a.set_title(title)
    bx.legend(fontsize=8, loc="best")
    ax.figure.tight_layout()
    return axes


# --- plots from the futures -------------------------------------------------------------------------
def plot_latency(runs: Sequence[KplRun], *, ax: Any = None, labels: Sequence[str] | None = None) -> Any:
    """Cumulative distribution of put-to-acknowledgement latency, one line per run."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.3))
    for k, run in enumerate(runs):
        lat = sorted(run.latencies_ms)
        if not lat:
            continue
        label = labels[k] if labels is not None else run.label
        ax.step(lat, [(i + 1) / len(lat) for i in range(len(lat))], where="post",
                label=f"{label} (p95 {run.p95:,.0f} ms)")
    ax.axhline(0.95, color="grey", ls=":", lw=1)
    ax.set_xlabel("latency: put_record to acknowledged (ms)")
    ax.set_ylabel("share of user records")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_delivery(runs: Sequence[KplRun], *, ax: Any = None, labels: Sequence[str] | None = None) -> Any:
    """User records acknowledged per simulated second, one line per run, with the offered rate."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.3))
    for k, run in enumerate(runs):
        label = labels[k] if labels is not None else run.label
        series = run.per_second("user")
        ax.step(range(len(series)), series, where="post", marker="o", ms=3, label=label)
    if runs:
        ax.axhline(runs[0].rate, color="black", ls="--", lw=1, label="offered")
    ax.set_xlabel("simulated second")
    ax.set_ylabel("user records acknowledged")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def plot_tradeoff(runs: Sequence[KplRun], *, axes: Any = None) -> Any:
    """A ``record_max_buffered_time_ms`` sweep: latency (p50, p95) against user records per Kinesis
    record and PutRecords requests per second."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.3))
    ax, bx = axes
    xs = [max(1, int(r.settings.get("record_max_buffered_time_ms", quotas.KPL_RECORD_MAX_BUFFERED_TIME_MS))) for r in runs]
    ax.plot(xs, [r.p50 for r in runs], marker="o", label="p50")
    ax.plot(xs, [r.p95 for r in runs], marker="s", label="p95")
    ax.plot(xs, xs, color="grey", ls=":", lw=1, label="y = buffered time")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("record_max_buffered_time_ms")
    ax.set_ylabel("latency (ms)")
    ax.set_title("the price: latency")
    ax.legend(fontsize=8)
    bx.plot(xs, [r.user_per_kinesis_record for r in runs], marker="o", color="tab:green")
    bx.set_xscale("log")
    bx.set_xlabel("record_max_buffered_time_ms")
    bx.set_ylabel("user records per Kinesis record", color="tab:green")
    cx = bx.twinx()
    cx.plot(xs, [r.requests / r.elapsed for r in runs], marker="s", color="tab:purple")
    cx.set_ylabel("PutRecords requests / s", color="tab:purple")
    bx.set_title("the gain: fuller records, fewer requests")
    ax.figure.tight_layout()
    return axes


DEFAULT_PANELS = (
    ("UserRecordsPut", "Sum"),
    ("KinesisRecordsPut", "Sum"),
    ("UserRecordsPerKinesisRecord", "Average"),
    ("RetriesPerRecord", "Average"),
    ("BufferingTime", "Average"),
    ("BufferingTime", "Maximum"),
)


def plot_kpl_metrics(
    cloudwatch: Any, stream: str, start: Any, end: Any, *, panels: Sequence[tuple[str, str]] = DEFAULT_PANELS,
    period: int = 1, axes: Any = None,
) -> Any:
    """Small multiples of KPL metrics (``(metric, statistic)`` pairs) over time, from CloudWatch."""
    import matplotlib.pyplot as plt

    if axes is None:
        cols = 3
        rows = int(math.ceil(len(panels) / cols))
        _, grid = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False)
        axes = [a for row in grid for a in row]
    t0 = start.timestamp() if isinstance(start, _dt.datetime) else float(start)
    for ax, (metric, stat) in zip(axes, panels):
        series = kpl_metric(cloudwatch, stream, metric, start, end, statistic=stat, period=period)
        xs = [p[0].timestamp() - t0 for p in series]
        ax.bar(xs, [p[1] for p in series], width=0.8 * period, color="#3a7dc9" if "Retries" not in metric else "#d64545")
        ax.set_title(f"{metric} ({stat})", fontsize=9)
        ax.set_xlabel("seconds", fontsize=8)
    for ax in list(axes)[len(panels):]:
        ax.set_visible(False)
    axes[0].figure.tight_layout()
    return axes


