"""Widgets and plots for the lessons (layer 3, teaching), split along three seams.

- ``labsim.viz.runs``: short, real simulations in a lab (boto3 calls, a real KPL producer) and the
  numbers they measure. No plotting, no widgets.
- ``labsim.viz.plots``: matplotlib pictures of those results, drawn into the Axes they are given.
- ``labsim.viz.widgets``: the explorers a learner drives with sliders. Every one subclasses
  ``labsim.viz.widgets.explorer.Explorer``, which computes and draws one complete picture per change.

Lessons import by topic, one line each: ``labsim.viz.shards`` (the hash-key space, ``key_explorer``),
``labsim.viz.producers`` (``simulate_producer``, ``plot_run``, ``capacity_planner`` ...),
``labsim.viz.consumers`` (iterators, polling readers, EFO, lineage, ``consumer_mode_explorer``) and
``labsim.viz.kpl`` (``run_kpl``, its plots, ``kpl_explorer``). Those modules only re-export.

Everything here drives the lab through boto3 clients, exactly as a learner's code would, and uses
only ``labsim.lab``, ``labsim.quotas``, ``labsim.kpl`` and the public helpers of ``labsim.streams``;
it never touches moto. Submodules are imported on first use, so ``import labsim.viz`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    **{name: "shards" for name in ("plot_hash_space", "key_explorer", "KeyExplorer", "hash_fraction", "describe_key")},
    **{name: "producers" for name in ("simulate_producer", "ProducerRun", "plot_run", "capacity_planner",
                                      "CapacityPlanner", "RequestCounter", "shards_needed", "shard_metric",
                                      "plot_shard_metric", "run_keyed_workload")},
    **{name: "consumers" for name in ("iterator_starts", "plot_iterator_starts", "simulate_polling_readers",
                                      "plot_polling_runs", "consumer_comparison", "plot_consumer_comparison",
                                      "consumer_mode_explorer", "ConsumerModeExplorer", "cost_dimensions",
                                      "lineage", "plot_lineage")},
    **{name: "kpl" for name in ("run_kpl", "KplRun", "kpl_explorer", "KplExplorer", "plot_usage", "plot_latency",
                                "plot_kpl_metrics")},
    "Explorer": "widgets.explorer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'labsim.viz' has no attribute {name!r}")
