"""The KPL explorer: buffered time, record size, offered rate and aggregation on a 1-shard stream."""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as widgets

from labsim.viz.plots.kpl import plot_latency, plot_usage
from labsim.viz.runs.kpl import KplRun, run_kpl, stream_usage
from labsim.viz.widgets.explorer import Explorer

__all__ = ["KplExplorer", "kpl_explorer", "SIZE_CHOICES", "BUFFER_CHOICES"]

#: Record sizes (bytes of data per user record) and buffered times (ms) the explorer offers.
SIZE_CHOICES = [("50 B", 50), ("100 B", 100), ("250 B", 250), ("500 B", 500), ("1 KiB", 1024), ("2 KiB", 2048)]
BUFFER_CHOICES = [0, 25, 50, 100, 200, 500, 1000, 2000, 5000]
#: The explorer keeps one slider move quick: at most this many user records per run.
EXPLORER_MAX_RECORDS = 8000
EXPLORER_MAX_RECORDS_UNAGGREGATED = 3000


def explorer_seconds(rate: int, aggregation: bool, seconds: float) -> float:
    """Simulated seconds of one explorer run: ``seconds``, shortened for heavy loads (at least 1).

    >>> explorer_seconds(3000, True, 2), explorer_seconds(3000, False, 2), explorer_seconds(8000, False, 2)
    (2.0, 1.0, 1.0)
    """
    cap = EXPLORER_MAX_RECORDS if aggregation else EXPLORER_MAX_RECORDS_UNAGGREGATED
    return max(1.0, min(float(seconds), math.floor(cap / max(1, rate))))


class KplExplorer(Explorer):
    """Every change runs ``run_kpl`` on a fresh 1-shard stream and shows the shard's per-second byte
    and record use (from CloudWatch) and the latency distribution (from the futures).

    ``.run`` is the last ``KplRun``, ``.runs`` how many runs so far; ``.set(...)`` moves controls.
    """

    figsize = (13.0, 3.2)

    def __init__(self, lab: Any, *, record_max_buffered_time_ms: int = 100, record_size: int = 100,
                 rate: int = 3000, aggregation_enabled: bool = True, seconds: float = 2) -> None:
        if record_size not in dict(SIZE_CHOICES).values():
            raise ValueError(f"record_size must be one of {[v for _, v in SIZE_CHOICES]}")
        if record_max_buffered_time_ms not in BUFFER_CHOICES:
            raise ValueError(f"record_max_buffered_time_ms must be one of {BUFFER_CHOICES}")
        wide = widgets.Layout(width="560px")
        self.buffer_slider = widgets.SelectionSlider(
            options=[(f"{v:,} ms", v) for v in BUFFER_CHOICES], value=record_max_buffered_time_ms,
            description="record_max_buffered_time_ms", continuous_update=False, layout=wide)
        self.size_slider = widgets.SelectionSlider(options=SIZE_CHOICES, value=record_size, description="record size",
                                                   continuous_update=False, layout=wide)
        self.rate_slider = widgets.IntSlider(value=rate, min=500, max=8000, step=500,
                                             description="user records / s offered", continuous_update=False,
                                             layout=wide)
        self.aggregation = widgets.Checkbox(value=aggregation_enabled, description="aggregation_enabled", indent=False)
        self.lab = lab
        self.seconds = seconds
        self.cloudwatch = lab.client("cloudwatch")
        self.kinesis = lab.client("kinesis")
        self.usage: dict[str, list[float]] = {}
        super().__init__({"record_max_buffered_time_ms": self.buffer_slider, "record_size": self.size_slider,
                          "rate": self.rate_slider, "aggregation_enabled": self.aggregation})

    @property
    def run(self) -> KplRun | None:
        return self.result

    @property
    def runs(self) -> int:
        return self.redraws

    def compute(self, values: dict[str, Any]) -> KplRun:
        agg = bool(values["aggregation_enabled"])
        rate = int(values["rate"])
        run = run_kpl(self.lab, rate=rate, seconds=explorer_seconds(rate, agg, self.seconds),
                      record_size=int(values["record_size"]), shards=1, seed=self.redraws, delete=False,
                      aggregation_enabled=agg, record_max_buffered_time_ms=int(values["record_max_buffered_time_ms"]),
                      metrics_level="none")
        try:
            self.usage = stream_usage(self.cloudwatch, run)
        finally:
            # The run's stream goes (its CloudWatch datapoints stay, as in AWS).
            self.kinesis.delete_stream(StreamName=run.stream)
        return run

    def describe(self, run: KplRun, values: dict[str, Any]) -> str:
        failed = f", <b>{run.failed:,} failed</b>" if run.failed else ""
        return (
            f"{run.offered:,} user records over {run.seconds:g} simulated s: delivered {run.delivered:,}{failed} at "
            f"<b>{run.throughput:,.0f}/s</b> in {run.kinesis_records:,} Kinesis records "
            f"({run.user_per_kinesis_record:,.1f} each) and {run.requests:,} PutRecords requests; "
            f"latency p95 <b>{run.p95:,.0f} ms</b>; {run.retries:,} retries. Busiest second: "
            f"{max(self.usage['bytes_share']):.0%} of the byte limit, "
            f"{max(self.usage['records_share']):.0%} of the record limit."
        )

    def draw(self, figure: Any, run: KplRun, values: dict[str, Any]) -> None:
        axes = figure.subplots(1, 3)
        plot_usage(self.cloudwatch, [run], axes=axes[:2], labels=["this run"], usage=[self.usage])
        plot_latency([run], ax=axes[2], labels=["this run"])
        figure.tight_layout()


def kpl_explorer(lab: Any, *, record_max_buffered_time_ms: int = 100, record_size: int = 100, rate: int = 3000,
                 aggregation_enabled: bool = True, seconds: float = 2) -> KplExplorer:
    """A widget: buffered time, record size, offered rate and aggregation on/off for a 1-shard stream.

    Every change runs ``run_kpl`` for ``seconds`` simulated seconds (shorter for heavy unaggregated
    loads). Returns a ``KplExplorer`` whose ``.run`` is the last ``KplRun``.
    """
    return KplExplorer(lab, record_max_buffered_time_ms=record_max_buffered_time_ms, record_size=record_size,
                       rate=rate, aggregation_enabled=aggregation_enabled, seconds=seconds)
