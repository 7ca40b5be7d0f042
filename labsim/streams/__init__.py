"""Kinesis Data Streams physics (layer 1).

While a lab runs, every boto3 Kinesis client is served by ``LabKinesisBackend`` (a subclass of
moto's backend, swapped in by ``StreamsPhysics.start`` with the lab's context) on labsim's data
model. Every operation has one implementation, a method of that backend; ``api`` registers the
handlers that call them on the request pipeline (``labsim.transport``), and moto's
KinesisResponse serves the few operations ``api`` does not list, reaching the same backend.

Modules:
  model     Stream, Shard, RecordStore, Record, sequence numbers (pure state; see its docstring)
  routing   MD5 hashing, even hash ranges, ``shard_for_key``
  budgets   per-shard token buckets on the lab clock
  errors    the service's error codes and messages
  lifecycle CREATING / ACTIVE / UPDATING / DELETING on the lab clock
  scaling   on-demand capacity
  metrics   AWS/Kinesis CloudWatch metrics, aggregated per simulated second
  iterators the five iterator types; signed, expiring iterators
  reads     GetShardIterator and GetRecords (read budgets), and ``read_shard``: the one read of a
            shard, shared by GetRecords, SubscribeToShard and stream sources
  retention trimming, shard expiry on the clock, the retention APIs
  resharding SplitShard, MergeShards, UpdateShardCount, ListShards
  efo       consumers and SubscribeToShard
  backend   the moto subclass: one method per operation
  api       the pipeline handlers: parameters in, backend method, JSON out

For lessons: ``shard_for_key(describe_stream_response_or_shards, "key")`` tells which shard a
partition key goes to.
"""

from __future__ import annotations

from typing import Any, Callable

from labsim import _moto
from labsim.transport import router

from .model import reset_stream_tags
from labsim.keyspace import partition_key_hash, shard_for_key

__all__ = ["shard_for_key", "partition_key_hash", "StreamsPhysics", "backend_of"]


class StreamsPhysics:
    """The Kinesis physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "kinesis"

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def start(self, lab: Any) -> None:
        from .api import KinesisApi
        from .backend import LabKinesisBackend

        reset_stream_tags()  # deterministic sequence numbers from one lab to the next
        self._undo.append(_moto.swap_backend_class("kinesis", LabKinesisBackend, lab.context))
        api = KinesisApi(self.backend_for)
        for operation, handler in api.handlers().items():
            self._undo.append(router.register("kinesis", operation, handler))
        # CloudWatch publishes this service's pending datapoints before answering a metrics read.
        cloudwatch = lab.physics.get("cloudwatch")
        if cloudwatch is not None:
            self._undo.append(cloudwatch.add_publisher(self.flush_metrics))

    def stop(self, lab: Any) -> None:
        for backend in self._backends():
            backend.reset()
        while self._undo:
            self._undo.pop()()

    @staticmethod
    def backend_for(account_id: str, region: str) -> Any:
        return _moto.get_backend("kinesis")[account_id][region]

    @staticmethod
    def _backends() -> list[Any]:
        return [b for account in list(_moto.get_backend("kinesis").values()) for b in list(account.values())]

    def flush_metrics(self) -> int:
        """Publish every pending Kinesis datapoint to CloudWatch now."""
        return sum(backend.metrics.flush() for backend in self._backends())


def backend_of(lab: Any, region: str | None = None) -> Any:
    """The lab's LabKinesisBackend (for lessons and tests that look under the hood)."""
    return lab.backend("kinesis", region)
