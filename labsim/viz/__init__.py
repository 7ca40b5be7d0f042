"""Widgets and plots for the lessons (layer 3, teaching).

Everything here drives the lab through boto3 clients, exactly as a learner's code would, and
uses only ``labsim.lab``, ``labsim.quotas`` and the public helpers of ``labsim.streams``; it never
touches moto. Each widget's logic lives in a plain function that tests call without a browser.

- ``labsim.viz.shards``: the 128-bit hash-key space split into shard ranges (``plot_hash_space``)
  and a type-a-key widget (``key_explorer``).
- ``labsim.viz.producers``: a short, real producer simulation (``simulate_producer``), its plot
  (``plot_run``), the slider-driven ``capacity_planner``, a request counter and CloudWatch helpers.

Submodules are imported on first use, so ``import labsim.viz`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "plot_hash_space": "shards",
    "key_explorer": "shards",
    "hash_fraction": "shards",
    "simulate_producer": "producers",
    "ProducerRun": "producers",
    "plot_run": "producers",
    "capacity_planner": "producers",
    "CapacityPlanner": "producers",
    "RequestCounter": "producers",
    "shards_needed": "producers",
    "shard_metric": "producers",
    "plot_shard_metric": "producers",
    "run_keyed_workload": "producers",
    **{name: "kpl" for name in ("run_kpl", "KplRun", "kpl_explorer", "plot_usage", "plot_latency", "plot_kpl_metrics")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'labsim.viz' has no attribute {name!r}")
