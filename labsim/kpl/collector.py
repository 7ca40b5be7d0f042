"""The collector: Kinesis records batched into PutRecords requests (KPL ``Collector``).

A request holds at most ``collection_max_count`` (500) records and ``collection_max_size`` bytes
(the bytes the service counts: data + partition key). It goes when it is full, when one shard has
256 KiB waiting (``KPL_COLLECTOR_SHARD_FLUSH_BYTES``, so a busy shard is not held back by the
others), when the earliest deadline of a record in it has come, or at once on ``flush()``.

>>> from labsim.kpl.config import ProducerConfig
>>> from labsim.kpl.records import KinesisRecord, PendingUserRecord
>>> cfg = ProducerConfig(collection_max_count=2)
>>> collector = Collector(cfg)
>>> for n in range(3):
...     record = KinesisRecord("shard-0")
...     record.add(PendingUserRecord(b"x", f"k{n}", None, n, 0.0, cfg, None))
...     collector.add(record)
>>> collector.due(0.0), [len(collector.take()) for _ in range(2)]   # two full requests' worth
(True, [2, 1])
"""

from __future__ import annotations

from labsim import quotas as q

from .config import ProducerConfig
from .records import KinesisRecord

__all__ = ["Collector"]

_SHARD_FLUSH_BYTES = int(q.KPL_COLLECTOR_SHARD_FLUSH_BYTES)


class Collector:
    """Kinesis records waiting to be sent, and the rule for when a request goes."""

    __slots__ = ("max_count", "max_size", "items", "size", "per_shard", "trigger")

    def __init__(self, cfg: ProducerConfig) -> None:
        self.max_count = min(cfg.collection_max_count, int(q.PUT_RECORDS_MAX_RECORDS))
        self.max_size = min(cfg.collection_max_size, int(q.PUT_RECORDS_MAX_BYTES))
        self.items: list[KinesisRecord] = []
        self.size = 0
        self.per_shard: dict[str, int] = {}
        self.trigger = False  # a full request (or a shard's 256 KiB) is waiting: send without delay

    def __len__(self) -> int:
        return len(self.items)

    def add(self, record: KinesisRecord) -> None:
        record.ready_at = record.deadline
        self.items.append(record)
        billed = record.billed_size
        self.size += billed
        if record.shard is not None:
            held = self.per_shard.get(record.shard, 0) + billed
            self.per_shard[record.shard] = held
            if held >= _SHARD_FLUSH_BYTES:
                self.trigger = True
        if len(self.items) >= self.max_count or self.size >= self.max_size:
            self.trigger = True

    def force(self, now: float) -> None:
        """``flush()``: everything waiting is due now."""
        for record in self.items:
            if record.ready_at > now:
                record.ready_at = now

    def next_time(self) -> float | None:
        if not self.items:
            return None
        return min(record.ready_at for record in self.items)

    def due(self, now: float) -> bool:
        return bool(self.items) and (self.trigger or self.next_time() <= now)  # type: ignore[operator]

    def take(self) -> list[KinesisRecord]:
        """One request's worth, earliest deadline first."""
        self.items.sort(key=lambda record: record.deadline)
        batch: list[KinesisRecord] = []
        size = 0
        for record in self.items:
            billed = record.billed_size
            if batch and (len(batch) >= self.max_count or size + billed > self.max_size):
                break
            batch.append(record)
            size += billed
        del self.items[: len(batch)]
        self.size -= size
        for record in batch:
            if record.shard is not None:
                self.per_shard[record.shard] -= record.billed_size
        self.trigger = len(self.items) >= self.max_count or self.size >= self.max_size or any(
            v >= _SHARD_FLUSH_BYTES for v in self.per_shard.values()
        )
        return batch

    def take_all(self) -> list[KinesisRecord]:
        """Everything waiting (the producer fails it when its lab has stopped)."""
        items, self.items = self.items, []
        self.size = 0
        self.per_shard.clear()
        self.trigger = False
        return items
