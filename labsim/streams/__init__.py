"""Kinesis Data Streams physics (layer 1).

While a lab runs, every boto3 Kinesis client is served by ``LabKinesisBackend`` (a subclass of
moto's backend, swapped in by ``StreamsPhysics.start``) on labsim's data model, with the service's
status machine, per-shard write budgets, request validation, on-demand scaling and CloudWatch
metrics. Hot operations are answered by fast handlers (``wire``); the rest by moto's
KinesisResponse, which reaches the same backend.

Modules:
  model     Stream, Shard, RecordStore, Record, sequence numbers (pure state; see its docstring)
  routing   MD5 hashing, even hash ranges, ``shard_for_key``
  budgets   per-shard token buckets on the lab clock
  errors    the service's error codes and messages
  lifecycle CREATING / ACTIVE / UPDATING / DELETING on the lab clock
  scaling   on-demand capacity
  metrics   AWS/Kinesis CloudWatch metrics, aggregated per simulated second
  backend   the moto subclass
  wire      fast handlers (JSON in, JSON out)

For lessons: ``shard_for_key(describe_stream_response_or_shards, "key")`` tells which shard a
partition key goes to.
"""

from __future__ import annotations

from typing import Any

from labsim import _moto
from labsim.transport import router

from .model import reset_stream_tags
from .routing import partition_key_hash, shard_for_key

__all__ = ["shard_for_key", "partition_key_hash", "StreamsPhysics", "backend_of"]

_CLOUDWATCH_READS = ("GetMetricStatistics", "GetMetricData", "ListMetrics")


class StreamsPhysics:
    """The Kinesis physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "kinesis"

    def __init__(self) -> None:
        self._undo: Any = None
        self.read_side: Any = None
        self._backends: dict[str, Any] = {}
        self.account_id = ""

    def start(self, lab: Any) -> None:
        from .backend import LabKinesisBackend
        from .wire import KinesisWire

        self.account_id = lab.account_id
        self._backends = {}
        reset_stream_tags()  # deterministic sequence numbers from one lab to the next
        self._undo = _moto.swap_backend_class("kinesis", LabKinesisBackend, lab.context)
        wire = KinesisWire(self.backend_for, lab.region)
        for operation, handler in wire.handlers().items():
            router.register("kinesis", operation, handler)
        for operation in _CLOUDWATCH_READS:
            router.register("cloudwatch", operation, self._flush_before_read)
        # The read side (iterators, GetRecords limits, retention, resharding, EFO) registers after
        # the write side, so its handlers win for any operation both serve.
        from .readside import install

        self.read_side = install(lab, router, self.backend_for)

    def stop(self, lab: Any) -> None:
        if self.read_side is not None:
            side, self.read_side = self.read_side, None
            side.stop()
        for operation in _CLOUDWATCH_READS:
            if router.fast.get(("cloudwatch", operation)) == self._flush_before_read:
                del router.fast[("cloudwatch", operation)]
        self._backends = {}
        if self._undo is not None:
            undo, self._undo = self._undo, None
            undo()

    def backend_for(self, region: str) -> Any:
        backend = self._backends.get(region)
        if backend is None:
            backend = self._backends[region] = _moto.get_backend("kinesis")[self.account_id][region]
        return backend

    def flush_metrics(self) -> int:
        """Publish every pending Kinesis datapoint to CloudWatch now."""
        sent = 0
        for account in list(_moto.get_backend("kinesis").values()):
            for backend in list(account.values()):
                metrics = getattr(backend, "metrics", None)
                if metrics is not None:
                    sent += metrics.flush()
        return sent

    def _flush_before_read(self, request: Any) -> None:
        self.flush_metrics()
        return None  # let moto answer the read


def backend_of(lab: Any, region: str | None = None) -> Any:
    """The lab's LabKinesisBackend (for lessons and tests that look under the hood)."""
    return lab.backend("kinesis", region)

