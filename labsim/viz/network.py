"""Networking in one import for the lessons: paths, latency, back-pressure.

Runs (``labsim.viz.runs.network``): ``run_paths`` -> ``PathRun``, ``run_loop`` -> ``LoopRun``,
``run_kpl_backpressure`` / ``run_agent_backpressure`` -> ``BackpressureRun``, ``vpc_with_endpoint``.
Plots (``labsim.viz.plots.network``): ``plot_paths``, ``plot_backpressure``.
Widget (``labsim.viz.widgets.network``): ``network_explorer`` -> ``NetworkExplorer``.
"""

from __future__ import annotations

from labsim.viz.plots.network import plot_backpressure, plot_paths
from labsim.viz.runs.network import (PATH_LABELS, BackpressureRun, LoopRun, PathRun, run_agent_backpressure,
                                     run_kpl_backpressure, run_loop, run_paths, vpc_with_endpoint)
from labsim.viz.widgets.network import NetworkExplorer, network_explorer

__all__ = ["PathRun", "run_paths", "LoopRun", "run_loop", "BackpressureRun", "run_kpl_backpressure",
           "run_agent_backpressure", "vpc_with_endpoint", "PATH_LABELS", "plot_paths", "plot_backpressure",
           "NetworkExplorer", "network_explorer"]
