"""Runs: short, real simulations in a lab and the numbers they measure (no plotting, no widgets).

Each driver creates real streams in the running lab and makes real boto3 calls (or drives a real
``labsim.kpl.KinesisProducer``) on the lab clock, then returns a plain result object that the plots
(``labsim.viz.plots``) draw and the explorers (``labsim.viz.widgets``) re-run on every change.

- ``labsim.viz.runs.shards``: where a partition key lands in the hash-key space.
- ``labsim.viz.runs.producers``: ``simulate_producer`` (PutRecords against the shard limits),
  ``run_keyed_workload``, ``shards_needed``, ``RequestCounter``, ``shard_metric``.
- ``labsim.viz.runs.consumers``: iterator starts, polling readers sharing a shard, polling against
  enhanced fan-out, cost dimensions, shard lineage.
- ``labsim.viz.runs.kpl``: ``run_kpl`` (a real KPL producer under load), ``stream_usage``, ``kpl_metric``.
"""
