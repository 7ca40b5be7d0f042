"""The hash-key space, in one import for lessons: which shard owns which slice, and where keys land.

Runs (``labsim.viz.runs.shards``): ``hash_fraction``, ``describe_key``. Plot
(``labsim.viz.plots.shards``): ``plot_hash_space``. Widget (``labsim.viz.widgets.shards``):
``key_explorer`` -> ``KeyExplorer``.

>>> round(hash_fraction("user-42"), 4)
0.4617
"""

from __future__ import annotations

from labsim.viz.plots.shards import plot_hash_space
from labsim.viz.runs.shards import describe_key, hash_fraction
from labsim.viz.widgets.shards import KeyExplorer, key_explorer

__all__ = ["hash_fraction", "describe_key", "plot_hash_space", "key_explorer", "KeyExplorer"]
