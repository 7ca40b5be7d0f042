"""The Kinesis Producer Library under the microscope, in one import for lessons and exercises.

Runs (``labsim.viz.runs.kpl``): ``run_kpl`` -> ``KplRun``, ``sweep_buffered_time``, ``stream_usage``,
``kpl_metric``, ``percentile``, ``hexdump``, ``run_table``. Plots (``labsim.viz.plots.kpl``):
``plot_usage``, ``plot_latency``, ``plot_delivery``, ``plot_tradeoff``, ``plot_kpl_metrics``.
Widget (``labsim.viz.widgets.kpl``): ``kpl_explorer`` -> ``KplExplorer``.
"""

from __future__ import annotations

from labsim.viz.plots.kpl import DEFAULT_PANELS, plot_delivery, plot_kpl_metrics, plot_latency, plot_tradeoff, plot_usage
from labsim.viz.runs.kpl import KplRun, hexdump, kpl_metric, percentile, run_kpl, run_table, stream_usage, sweep_buffered_time
from labsim.viz.widgets.kpl import (BUFFER_CHOICES, EXPLORER_MAX_RECORDS, EXPLORER_MAX_RECORDS_UNAGGREGATED,
                                    SIZE_CHOICES, KplExplorer, kpl_explorer)

__all__ = [
    "KplRun", "run_kpl", "percentile", "stream_usage", "sweep_buffered_time", "kpl_metric", "hexdump", "run_table",
    "plot_usage", "plot_latency", "plot_delivery", "plot_tradeoff", "plot_kpl_metrics", "DEFAULT_PANELS",
    "kpl_explorer", "KplExplorer", "SIZE_CHOICES", "BUFFER_CHOICES", "EXPLORER_MAX_RECORDS",
    "EXPLORER_MAX_RECORDS_UNAGGREGATED",
]
