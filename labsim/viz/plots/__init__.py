"""Plots: matplotlib pictures of what ``labsim.viz.runs`` measured (no simulation, no widgets).

Every function draws into the Axes it is given (``ax=`` / ``axes=``), or into a new pyplot figure
when none is given, and returns the Axes. The explorers (``labsim.viz.widgets``) pass Axes of a
figure of their own, so nothing here depends on pyplot's current figure.

- ``labsim.viz.plots.shards``: ``plot_hash_space``.
- ``labsim.viz.plots.producers``: ``plot_run``, ``plot_shard_metric``.
- ``labsim.viz.plots.consumers``: ``plot_iterator_starts``, ``plot_polling_runs``,
  ``plot_consumer_comparison``, ``plot_lineage``.
- ``labsim.viz.plots.kpl``: ``plot_usage``, ``plot_latency``, ``plot_delivery``, ``plot_tradeoff``,
  ``plot_kpl_metrics``.
- ``labsim.viz.plots.png``: a figure as PNG bytes (what an explorer shows).
"""
