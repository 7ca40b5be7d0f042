"""The aggregator: user records for the same predicted shard packed into Kinesis records.

One :class:`Reducer` per shard holds the Kinesis record being filled (KPL ``Aggregator`` with one
``Reducer`` per shard). A user record goes into its shard's reducer; the Kinesis record leaves when
the next user record would make it pass ``aggregation_max_size`` (50 KiB), when it holds
``aggregation_max_count`` records or reaches the size, or when its deadline comes: the earliest
``record_max_buffered_time_ms`` (100 ms) of the user records in it. There is no minimum wait: the
"at least 50 ms" of KPL 0.9.0 (``kMinBufferTime``) was removed in 0.10.0 (July 2015).

>>> from labsim.kpl.config import ProducerConfig
>>> from labsim.kpl.records import PendingUserRecord
>>> cfg = ProducerConfig(aggregation_max_count=3)
>>> agg = Aggregator(cfg)
>>> def user(n, now=0.0):
...     return PendingUserRecord(b"x" * 10, f"k{n}", None, n, now, cfg, None)
>>> [len(agg.add(user(n), "shard-0")) for n in range(4)]     # the third fills an aggregate
[0, 0, 1, 0]
>>> agg.next_deadline()                                        # the fourth waits 100 ms
0.1
>>> [len(k.items) for k in agg.take_due(0.1)]
[1]
"""

from __future__ import annotations

import math
from typing import Iterable

from .config import ProducerConfig
from .records import KinesisRecord, PendingUserRecord

__all__ = ["Aggregator", "Reducer"]


class Reducer:
    """The Kinesis record being filled for one shard."""

    __slots__ = ("shard", "current", "max_size", "max_count")

    def __init__(self, shard: str, max_size: int, max_count: int) -> None:
        self.shard = shard
        self.current: KinesisRecord | None = None
        self.max_size = max_size
        self.max_count = max_count

    def add(self, ur: PendingUserRecord) -> list[KinesisRecord]:
        """Add ``ur``; return the Kinesis records that are complete (none, one or two)."""
        out = []
        cur = self.current
        if cur is None:
            cur = self.current = KinesisRecord(self.shard)
        if not cur.try_add(ur, self.max_size):
            out.append(cur)
            cur = self.current = KinesisRecord(self.shard)
            cur.try_add(ur, self.max_size)
        if len(cur.items) >= self.max_count or cur.size >= self.max_size:
            out.append(cur)
            self.current = None
        return out

    @property
    def deadline(self) -> float:
        return self.current.deadline if self.current is not None else math.inf

    def take(self) -> KinesisRecord | None:
        cur, self.current = self.current, None
        return cur


class Aggregator:
    """Every shard's reducer, in the order the shards were first seen (so runs repeat exactly)."""

    __slots__ = ("_reducers", "max_size", "max_count")

    def __init__(self, cfg: ProducerConfig) -> None:
        self._reducers: dict[str, Reducer] = {}
        self.max_size = cfg.aggregation_max_size
        self.max_count = cfg.aggregation_max_count

    def add(self, ur: PendingUserRecord, shard: str) -> list[KinesisRecord]:
        """Put ``ur`` in ``shard``'s reducer; return the Kinesis records it completed."""
        reducer = self._reducers.get(shard)
        if reducer is None:
            reducer = self._reducers[shard] = Reducer(shard, self.max_size, self.max_count)
        return reducer.add(ur)

    def deadline_of(self, shard: str) -> float:
        reducer = self._reducers.get(shard)
        return reducer.deadline if reducer is not None else math.inf

    def next_deadline(self) -> float | None:
        """The earliest deadline of a Kinesis record being filled, or None if all are empty."""
        first = min((r.deadline for r in self._reducers.values()), default=math.inf)
        return None if first == math.inf else first

    def take_due(self, now: float) -> list[KinesisRecord]:
        """The Kinesis records whose deadline has come."""
        return [r.take() for r in self._reducers.values() if r.current is not None and r.deadline <= now]  # type: ignore[misc]

    def take_all(self) -> list[KinesisRecord]:
        """Every Kinesis record being filled (``flush()``)."""
        return [r.take() for r in self._reducers.values() if r.current is not None]  # type: ignore[misc]

    def regroup(self, open_shards: Iterable[str]) -> list[PendingUserRecord]:
        """The shards changed: forget reducers of shards no longer open; return every buffered record."""
        pending = [ur for k in self.take_all() for ur in k.items]
        keep = set(open_shards)
        self._reducers = {sid: r for sid, r in self._reducers.items() if sid in keep}
        return pending
