"""Widgets: the explorers a learner drives with sliders in JupyterLab (ipywidgets).

Every explorer subclasses ``labsim.viz.widgets.explorer.Explorer``: controls on top, a summary and
one picture that is computed and drawn once per change (``runs`` measure, ``plots`` draw).

- ``labsim.viz.widgets.shards``: ``KeyExplorer`` / ``key_explorer`` (type a key, see its shard).
- ``labsim.viz.widgets.producers``: ``CapacityPlanner`` / ``capacity_planner``.
- ``labsim.viz.widgets.consumers``: ``ConsumerModeExplorer`` / ``consumer_mode_explorer``.
- ``labsim.viz.widgets.kpl``: ``KplExplorer`` / ``kpl_explorer``.
"""
