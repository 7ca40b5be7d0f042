"""Retention: records disappear on the lab clock, closed shards expire, and the two retention APIs.

Model
-----
A record is readable while ``arrival >= now - RetentionPeriodHours * 3600`` (lab clock). Trimming
is lazy *and* periodic: every GetShardIterator, GetRecords and SubscribeToShard event trims the
shard it reads first, and a clock task (``quotas.RETENTION_SWEEP_SECONDS``, 60 s) sweeps every
stream. Shards expire exactly on time, by a clock task per closed shard (``Retention.watch``). Either way a read after ``lab.clock.advance(25 * 3600)`` on a 24-hour stream
sees nothing, and TRIM_HORIZON moves forward with time.

Shard states (kinesis-facts 1.6): OPEN -> CLOSED (after a split or merge; no new writes, still
readable) -> EXPIRED, once ``closed_at + retention`` has passed: by then every record in it has
aged out. An expired shard is removed from ``stream.shards`` (so ListShards and DescribeStream
stop listing it; its id is kept in ``stream.expired_shard_ids``), and GetShardIterator on it
is ResourceNotFoundException. Its children still name it as their parent, as in the service.

APIs (KDS-API; bounds ``quotas.RETENTION_MIN_HOURS`` .. ``RETENTION_MAX_HOURS`` = 24 .. 8,760)
------------------------------------------------------------------------------------------------
- ``IncreaseStreamRetentionPeriod``: the new period must be larger than the current one; data
  already trimmed does not come back.
- ``DecreaseStreamRetentionPeriod``: the new period must be smaller; records older than it become
  unreadable at once (the stream is swept immediately).
- Out of bounds, or the wrong direction: InvalidArgumentException with the service's wording; a
  stream that is not ACTIVE: ResourceInUseException.
"""

from __future__ import annotations

from typing import Any

from labsim import quotas

from . import errors as E
from .model import Shard, Stream


def retention_seconds(stream: Stream) -> float:
    return stream.retention_hours * 3600.0


def trim_shard(shard: Shard, cutoff: float) -> int:
    """Drop the shard's records that arrived before ``cutoff``; cheap when there is nothing to drop."""
    store = shard.store
    seg = store.segment()
    i = store.start - seg.offset
    if i < len(seg.arrivals) and seg.arrivals[i] < cutoff:
        return store.trim_before(cutoff)
    return 0


def expired(stream: Stream, shard: Shard, now: float) -> bool:
    """A closed shard is EXPIRED once its retention period has passed since it closed."""
    closed = shard.closed_at
    return closed is not None and now - closed >= retention_seconds(stream)


def shard_state(stream: Stream, shard: Shard, now: float) -> str:
    """'OPEN', 'CLOSED' or 'EXPIRED' (the states of kinesis-facts 1.6), for lessons."""
    if shard.is_open:
        return "OPEN"
    return "EXPIRED" if expired(stream, shard, now) else "CLOSED"


def sweep_stream(stream: Stream, now: float) -> list[str]:
    """Trim every shard of ``stream`` and remove the expired ones. Returns the ids removed."""
    cutoff = now - retention_seconds(stream)
    gone = []
    for shard in list(stream.shards.values()):
        trim_shard(shard, cutoff)
        if expired(stream, shard, now):
            gone.append(shard)
    if gone:
        with stream.lock:
            log = stream.expired_shard_ids
            for shard in gone:
                if stream.shards.get(shard.shard_id) is shard:
                    del stream.shards[shard.shard_id]
                    log.append(shard.shard_id)
    return [s.shard_id for s in gone]


class Retention:
    """Retention of one account and Region: expiry on the lab clock and the two retention APIs.

    Each closed shard expires at ``closed_at + retention`` exactly: a clock task removes it then
    (``watch``), so DescribeStream, ListShards and GetShardIterator agree at every instant, whoever
    looks first. Records age out lazily (every read trims first) and in a periodic sweep: a record
    past retention is unreadable either way.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._due: set[tuple[int, str, float]] = set()

    def watch(self, stream: Stream) -> None:
        """Schedule the expiry of every closed shard of ``stream`` (after a reshard or a retention change)."""
        clock = self.backend.clock
        for shard in list(stream.shards.values()):
            if shard.closed_at is None:
                continue
            due = shard.closed_at + retention_seconds(stream)
            key = (id(stream), shard.shard_id, due)
            if key in self._due:
                continue
            self._due.add(key)

            def expire(stream: Stream = stream, key: tuple[int, str, float] = key) -> None:
                self._due.discard(key)
                sweep_stream(stream, clock.now())

            clock.call_at(max(due, clock.now()), expire, name=f"kinesis-expire-{stream.name}-{shard.shard_id}")

    def sweep_all(self) -> None:
        now = self.backend.now()
        for stream in list(self.backend.streams.values()):
            sweep_stream(stream, now)

    def _validate(self, stream_name: Any, stream_arn: Any, hours: Any) -> Stream:
        backend = self.backend
        stream = backend.describe_stream(stream_arn, stream_name)
        if hours < quotas.RETENTION_MIN_HOURS:
            raise E.InvalidArgumentError(
                f"Minimum allowed retention period is {int(quotas.RETENTION_MIN_HOURS)} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > quotas.RETENTION_MAX_HOURS:
            raise E.InvalidArgumentError(
                f"Maximum allowed retention period is {int(quotas.RETENTION_MAX_HOURS)} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        if stream.status != "ACTIVE":
            raise E.stream_not_active(stream.name, backend.account_id, stream.status)
        return stream

    def increase(self, stream_name: Any, stream_arn: Any, retention_period_hours: int) -> None:
        hours = retention_period_hours
        stream = self._validate(stream_name, stream_arn, hours)
        if hours <= stream.retention_hours:
            raise E.InvalidArgumentError(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be shorter than "
                f"or equal to the existing retention period ({stream.retention_hours} hours). Use DecreaseRetentionPeriod API."
            )
        # Trim under the old period first: data already gone does not come back.
        sweep_stream(stream, self.backend.now())
        stream.retention_hours = hours
        self.watch(stream)

    def decrease(self, stream_name: Any, stream_arn: Any, retention_period_hours: int) -> None:
        hours = retention_period_hours
        stream = self._validate(stream_name, stream_arn, hours)
        if hours >= stream.retention_hours:
            raise E.InvalidArgumentError(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be longer than "
                f"or equal to the existing retention period ({stream.retention_hours} hours). Use IncreaseRetentionPeriod API."
            )
        stream.retention_hours = hours
        sweep_stream(stream, self.backend.now())  # older data is unreadable at once
        self.watch(stream)
