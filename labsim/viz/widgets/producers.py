"""The capacity planner: record size, records/s, key skew and shard count against a real stream."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from labsim import quotas
from labsim.viz.plots.producers import plot_run
from labsim.viz.runs.producers import ProducerRun, shards_needed, simulate_producer
from labsim.viz.widgets.explorer import Explorer

__all__ = ["CapacityPlanner", "capacity_planner", "SIZE_CHOICES", "planner_seconds"]

# What the planner offers: record sizes (bytes counted by the quota: data + partition key).
SIZE_CHOICES = [
    ("100 B", 100), ("250 B", 250), ("500 B", 500), ("1 KiB", 1024), ("2 KiB", 2048),
    ("5 KiB", 5 * 1024), ("10 KiB", 10 * 1024), ("25 KiB", 25 * 1024), ("50 KiB", 50 * 1024),
]
#: The planner shortens a run so one slider move stays well under two seconds: at most this many
#: records and bytes per run, and never fewer than ``PLANNER_MIN_SECONDS`` simulated seconds.
PLANNER_RECORDS_PER_RUN = 30_000
PLANNER_BYTES_PER_RUN = 64 * quotas.MiB
PLANNER_MIN_SECONDS = 5


def planner_seconds(record_size: int, rate: int, seconds: int) -> int:
    """How many simulated seconds one planner run covers (shorter for heavy loads, see above).

    >>> planner_seconds(1024, 1000, 30), planner_seconds(1024, 2000, 30), planner_seconds(50 * 1024, 5000, 30)
    (30, 15, 5)
    """
    rate = max(1, rate)
    fit = min(seconds, PLANNER_RECORDS_PER_RUN // rate, PLANNER_BYTES_PER_RUN // (rate * record_size))
    return int(max(PLANNER_MIN_SECONDS, fit))


class CapacityPlanner(Explorer):
    """Every change runs ``simulate_producer`` afresh (a new stream, PutRecords for a few simulated
    seconds) and plots accepted against throttled records. ``.run`` is the last ``ProducerRun``."""

    figsize = (11.0, 3.4)

    def __init__(self, lab: Any, *, seconds: int = 20, record_size: int = 1024, rate: int = 2000,
                 skew: float = 0.0, shards: int = 1) -> None:
        sizes = dict(SIZE_CHOICES)
        if record_size not in sizes.values():
            raise ValueError(f"record_size must be one of {sorted(sizes.values())}")
        wide = widgets.Layout(width="480px")
        self.size_slider = widgets.SelectionSlider(options=SIZE_CHOICES, value=record_size, description="record size",
                                                   continuous_update=False, layout=wide)
        self.rate_slider = widgets.IntSlider(value=rate, min=100, max=5000, step=100, description="records / second",
                                             continuous_update=False, layout=wide)
        self.skew_slider = widgets.FloatSlider(value=skew, min=0.0, max=1.0, step=0.05, description="share on one key",
                                               readout_format=".0%", continuous_update=False, layout=wide)
        self.shard_slider = widgets.IntSlider(value=shards, min=1, max=10, description="shards",
                                              continuous_update=False, layout=wide)
        self.lab = lab
        self.seconds = seconds
        super().__init__({"record_size": self.size_slider, "rate": self.rate_slider, "skew": self.skew_slider,
                          "shards": self.shard_slider})

    @property
    def run(self) -> ProducerRun | None:
        return self.result

    @property
    def runs(self) -> int:
        return self.redraws

    def compute(self, values: dict[str, Any]) -> ProducerRun:
        size, rate = values["record_size"], values["rate"]
        return simulate_producer(self.lab, record_size=size, rate=rate, skew=values["skew"], shards=values["shards"],
                                 seconds=planner_seconds(size, rate, self.seconds), seed=self.redraws)

    def describe(self, run: ProducerRun, values: dict[str, Any]) -> str:
        size, rate, skew = run.record_size, run.rate, run.skew
        hot = skew * rate
        per_shard = min(quotas.SHARD_WRITE_RECORDS_PER_SECOND, quotas.SHARD_WRITE_BYTES_PER_SECOND / size)
        hot_note = ""
        if hot > per_shard:
            hot_note = (f"<br><b>Hot key:</b> {hot:,.0f} records/s on one key, but one key lives on one shard "
                        f"that takes {per_shard:,.0f}/s: no shard count fixes that, a better key does.")
        return (
            f"Offered {rate * size / quotas.MiB:.2f} MiB/s and {rate:,} records/s. "
            f"Sizing formula (even spread): <b>{shards_needed(size, rate)} shard(s)</b>. "
            f"This run: <b>{run.throttled_share:.1%}</b> throttled over {run.seconds} simulated s, "
            f"{run.requests:,} PutRecords requests.{hot_note}"
        )

    def draw(self, figure: Any, run: ProducerRun, values: dict[str, Any]) -> None:
        plot_run(run, axes=figure.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]}))


def capacity_planner(lab: Any, *, seconds: int = 20, record_size: int = 1024, rate: int = 2000,
                     skew: float = 0.0, shards: int = 1) -> CapacityPlanner:
    """A widget: sliders for record size, records/s, key skew and shard count (see ``CapacityPlanner``)."""
    return CapacityPlanner(lab, seconds=seconds, record_size=record_size, rate=rate, skew=skew, shards=shards)
