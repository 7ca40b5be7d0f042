"""The two kinds of record inside the producer: the user's, and the Kinesis record that carries them.

A :class:`PendingUserRecord` is one ``put_record`` call on its way (KPL ``UserRecord``): the data,
its keys and predicted hash key, its deadline (when it must be sent) and expiration (when it fails
with ``Expired``), its future and the attempts so far. A :class:`KinesisRecord` is what one
PutRecords entry will carry (KPL ``KinesisRecord``): one user record as itself, or several as an
aggregate (``labsim.kpl.aggregation``) with partition key ``"a"`` and the first user record's hash
key as ExplicitHashKey (kinesis-facts 4.1).
"""

from __future__ import annotations

import math

from .aggregation import AggregatedRecordBuilder
from .config import ProducerConfig
from .futures import Attempt, RecordFuture

__all__ = ["PendingUserRecord", "KinesisRecord"]


class PendingUserRecord:
    """One user record inside the producer, from ``put_record`` until its future settles."""

    __slots__ = (
        "data", "partition_key", "explicit_hash_key", "hash_key", "arrival", "deadline",
        "expiration", "future", "attempts", "last_end", "shard",
    )

    def __init__(
        self, data: bytes, pk: str, ehk: str | None, hk: int, now: float, cfg: ProducerConfig, future: RecordFuture,
    ) -> None:
        self.data = data
        self.partition_key = pk
        self.explicit_hash_key = ehk
        self.hash_key = hk
        self.arrival = now
        self.deadline = now + cfg.record_max_buffered_time_ms / 1000.0
        self.expiration = now + cfg.record_ttl_ms / 1000.0
        self.future = future
        self.attempts: list[Attempt] = []
        self.last_end = now
        self.shard: str | None = None

    def attempt(
        self, start: float, end: float, success: bool, code: str | None = None, message: str | None = None,
        shard_id: str | None = None, sequence_number: str | None = None,
    ) -> Attempt:
        """The :class:`Attempt` for one try that ran from ``start`` to ``end`` (not yet recorded)."""
        return Attempt(
            started_at=start,
            ended_at=end,
            delay_ms=max(0.0, (start - self.last_end) * 1000.0),
            duration_ms=(end - start) * 1000.0,
            success=success,
            error_code=code,
            error_message=message,
            shard_id=shard_id,
            sequence_number=sequence_number,
        )


class KinesisRecord:
    """One PutRecords entry: a lone user record or an aggregate of several for the same shard."""

    __slots__ = ("items", "builder", "shard", "deadline", "expiration", "ready_at", "_data")

    def __init__(self, shard: str | None) -> None:
        self.items: list[PendingUserRecord] = []
        self.builder = AggregatedRecordBuilder()
        self.shard = shard
        self.deadline = math.inf
        self.expiration = math.inf
        self.ready_at = math.inf  # when the collector sends it: its deadline, or now on flush()
        self._data: bytes | None = None

    def add(self, ur: PendingUserRecord) -> None:
        self.try_add(ur, math.inf)

    def try_add(self, ur: PendingUserRecord, limit: float) -> bool:
        """Add ``ur`` unless the serialized aggregate would pass ``limit`` bytes."""
        if not self.builder.try_add(ur.partition_key, ur.explicit_hash_key, ur.data, limit):  # type: ignore[arg-type]
            return False
        self.items.append(ur)
        if ur.deadline < self.deadline:
            self.deadline = ur.deadline
        if ur.expiration < self.expiration:
            self.expiration = ur.expiration
        self._data = None
        return True

    @property
    def size(self) -> int:
        return self.builder.size

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.items[0].data if len(self.items) == 1 else self.builder.serialize()
        return self._data

    @property
    def partition_key(self) -> str:
        return self.items[0].partition_key if len(self.items) == 1 else "a"

    @property
    def explicit_hash_key(self) -> str:
        # The KPL always sets it to the first user record's hash key (kinesis_record.cc).
        return str(self.items[0].hash_key)

    @property
    def billed_size(self) -> int:
        """Bytes the service counts against the shard and the request: data + partition key."""
        if len(self.items) == 1:
            ur = self.items[0]
            return len(ur.data) + len(ur.partition_key.encode("utf-8"))
        return self.builder.size + 1

    def entry(self) -> dict[str, object]:
        """This record as one entry of a PutRecords request."""
        return {"Data": self.data, "PartitionKey": self.partition_key, "ExplicitHashKey": self.explicit_hash_key}
