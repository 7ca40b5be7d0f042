"""Polling against enhanced fan-out: consumers, write rate and shards on sliders."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from labsim import quotas
from labsim.viz.plots.consumers import plot_consumer_comparison
from labsim.viz.runs.consumers import consumer_comparison
from labsim.viz.widgets.explorer import Explorer

__all__ = ["ConsumerModeExplorer", "consumer_mode_explorer"]


class ConsumerModeExplorer(Explorer):
    """Per-consumer MiB/s and latency for 1..10 consumers (or more), polling against EFO, with the
    numbers for the chosen consumer count in the summary. ``.result`` is its ``consumer_comparison``."""

    figsize = (11.0, 3.4)

    def __init__(self, write_mib_per_s: float = 1.0, shards: int = 1, consumers: int = 3) -> None:
        narrow = widgets.Layout(width="330px")
        super().__init__({
            "consumers": widgets.IntSlider(value=consumers, min=1, max=int(quotas.MAX_CONSUMERS_PER_STREAM),
                                           description="consumers", continuous_update=False, layout=narrow),
            "write_mib_per_s": widgets.FloatSlider(value=write_mib_per_s, min=0.1, max=4.0, step=0.1,
                                                   description="MiB/s in", continuous_update=False, layout=narrow),
            "shards": widgets.IntSlider(value=shards, min=1, max=8, description="shards", continuous_update=False,
                                        layout=narrow),
        }, rows=[["consumers", "write_mib_per_s", "shards"]])

    def compute(self, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return consumer_comparison(values["consumers"], values["write_mib_per_s"], values["shards"])

    def describe(self, row: dict[str, dict[str, Any]], values: dict[str, Any]) -> str:
        lines = []
        for mode in ("polling", "efo"):
            r = row[mode]
            lines.append(f"{mode:8} {r['per_consumer_mib_per_s']:.2f} MiB/s each, ~{r['latency_ms']:.0f} ms, "
                         f"{'keeps up' if r['keeps_up'] else 'FALLS BEHIND'}")
        return f"<pre style='margin:4px 0'>{html.escape(chr(10).join(lines))}</pre>"

    def draw(self, figure: Any, row: dict[str, dict[str, Any]], values: dict[str, Any]) -> None:
        n = values["consumers"]
        plot_consumer_comparison(values["write_mib_per_s"], values["shards"], max(10, n), highlight=n,
                                 axes=figure.subplots(1, 2))


def consumer_mode_explorer(write_mib_per_s: float = 1.0, shards: int = 1, consumers: int = 3) -> ConsumerModeExplorer:
    """Sliders for consumers, write rate and shards (see ``ConsumerModeExplorer``)."""
    return ConsumerModeExplorer(write_mib_per_s=write_mib_per_s, shards=shards, consumers=consumers)
