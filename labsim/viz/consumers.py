"""Reading a stream, in one import for lessons and exercises.

Runs (``labsim.viz.runs.consumers``): ``iterator_starts``, ``simulate_polling_readers`` ->
``PollingRun``, ``consumer_comparison``, ``cost_dimensions`` (with ``EXAMPLE_RATES``), ``lineage``.
Plots (``labsim.viz.plots.consumers``): ``plot_iterator_starts``, ``plot_polling_runs``,
``plot_consumer_comparison``, ``plot_lineage``. Widget (``labsim.viz.widgets.consumers``):
``consumer_mode_explorer`` -> ``ConsumerModeExplorer``.
"""

from __future__ import annotations

from labsim.viz.plots.consumers import plot_consumer_comparison, plot_iterator_starts, plot_lineage, plot_polling_runs
from labsim.viz.runs.consumers import (EXAMPLE_RATES, ITERATOR_TYPES, PollingRun, ReaderStats, consumer_comparison,
                                       cost_dimensions, iterator_starts, lineage, simulate_polling_readers)
from labsim.viz.widgets.consumers import ConsumerModeExplorer, consumer_mode_explorer

__all__ = [
    "ITERATOR_TYPES", "iterator_starts", "plot_iterator_starts",
    "ReaderStats", "PollingRun", "simulate_polling_readers", "plot_polling_runs",
    "consumer_comparison", "plot_consumer_comparison", "consumer_mode_explorer", "ConsumerModeExplorer",
    "EXAMPLE_RATES", "cost_dimensions", "lineage", "plot_lineage",
]
