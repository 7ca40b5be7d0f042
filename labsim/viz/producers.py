"""Producers under load, in one import for lessons and exercises.

Runs (``labsim.viz.runs.producers``): ``simulate_producer`` -> ``ProducerRun``, ``run_keyed_workload``
-> ``WorkloadResult``, ``shards_needed``, ``RequestCounter``, ``shard_metric``, ``HOT_KEY``. Plots
(``labsim.viz.plots.producers``): ``plot_run``, ``plot_shard_metric``. Widget
(``labsim.viz.widgets.producers``): ``capacity_planner`` -> ``CapacityPlanner``.
"""

from __future__ import annotations

from labsim.viz.plots.producers import plot_run, plot_shard_metric
from labsim.viz.runs.producers import (HOT_KEY, SHARD_METRICS, ProducerRun, RequestCounter, WorkloadResult,
                                       run_keyed_workload, shard_metric, shards_needed, simulate_producer)
from labsim.viz.widgets.producers import (PLANNER_MIN_SECONDS, SIZE_CHOICES, CapacityPlanner, capacity_planner,
                                          planner_seconds)

__all__ = [
    "HOT_KEY", "SHARD_METRICS", "ProducerRun", "simulate_producer", "run_keyed_workload", "WorkloadResult",
    "shards_needed", "RequestCounter", "shard_metric", "plot_run", "plot_shard_metric",
    "capacity_planner", "CapacityPlanner", "planner_seconds", "SIZE_CHOICES", "PLANNER_MIN_SECONDS",
]
