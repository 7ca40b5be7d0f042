"""The network explorer: one producer thread, a network path and a batch size, on a 1-shard stream."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from labsim import quotas
from labsim.network import PATHS
from labsim.viz.plots.network import PATH_COLOURS
from labsim.viz.runs.network import LoopRun, run_loop, vpc_with_endpoint
from labsim.viz.widgets.explorer import Explorer

__all__ = ["NetworkExplorer", "network_explorer", "BATCH_CHOICES"]

BATCH_CHOICES = [1, 10, 50, 100, 250, 500]


class NetworkExplorer(Explorer):
    """Every change runs ``run_loop`` for one simulated second on the chosen path and batch size and
    shows the records accepted per second against the shard's 1,000, and the round trips."""

    figsize = (11.0, 3.0)

    def __init__(self, lab: Any, stream: str, *, path: str = "internet", batch: int = 1, vpc: str | None = None) -> None:
        if path not in PATHS:
            raise ValueError(f"path must be one of {list(PATHS)}")
        if batch not in BATCH_CHOICES:
            raise ValueError(f"batch must be one of {BATCH_CHOICES}")
        self.lab, self.stream = lab, stream
        # a VPC with a Kinesis interface endpoint (private DNS) for the vpc-endpoint path
        self.vpc = vpc if vpc is not None else vpc_with_endpoint(lab)[0]
        self.path_buttons = widgets.ToggleButtons(options=list(PATHS), value=path, description="network path")
        self.batch_slider = widgets.SelectionSlider(options=BATCH_CHOICES, value=batch, description="records per request",
                                                    continuous_update=False, layout=widgets.Layout(width="480px"))
        super().__init__({"path": self.path_buttons, "batch": self.batch_slider})

    def compute(self, values: dict[str, Any]) -> LoopRun:
        self.lab.clock.advance(2)  # a fresh second of shard capacity for every run
        return run_loop(self.lab, self.stream, values["path"], self.vpc, batch=int(values["batch"]))

    def describe(self, run: LoopRun, values: dict[str, Any]) -> str:
        throttled = f", <b>{run.throttled:,} throttled</b>" if run.throttled else ""
        return (f"{run.requests:,} requests in {run.seconds:.2f} simulated s ({run.request_rate:,.0f}/s): "
                f"<b>{run.accepted_rate:,.0f} records/s accepted</b>{throttled}. The shard takes "
                f"{quotas.SHARD_WRITE_RECORDS_PER_SECOND:,} records/s, after one second's worth at once when it was idle.")

    def draw(self, figure: Any, run: LoopRun, values: dict[str, Any]) -> None:
        ax, bx = figure.subplots(1, 2)
        ax.barh(["accepted/s"], [run.accepted_rate], color=PATH_COLOURS[run.path])
        ax.axvline(quotas.SHARD_WRITE_RECORDS_PER_SECOND, color="black", ls="--", lw=1, label="shard limit")
        ax.set_xlim(0, max(1200, run.accepted_rate * 1.1))
        ax.set_xlabel("records per second")
        ax.legend(fontsize=8)
        bx.hist(run.round_trips_ms, bins=20, color=PATH_COLOURS[run.path])
        bx.set_xlabel("round trip, ms")
        bx.set_ylabel("requests")
        figure.tight_layout()


def network_explorer(lab: Any, stream: str, *, path: str = "internet", batch: int = 1,
                     vpc: str | None = None) -> NetworkExplorer:
    """A widget: pick a network path and a batch size; one producer thread runs for one simulated second.

    ``vpc``: a VPC whose Kinesis interface endpoint has private DNS (default: one is made)."""
    return NetworkExplorer(lab, stream, path=path, batch=batch, vpc=vpc)
