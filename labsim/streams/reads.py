"""Polling reads: GetShardIterator and GetRecords, with the service's limits on the lab clock.

GetShardIterator
----------------
Resolves one of the five starting positions (``labsim.streams.iterators``) and returns an opaque
iterator valid for 5 minutes. At most ``quotas.GET_SHARD_ITERATOR_CALLS_PER_SECOND`` (5) calls per
second per shard; the sixth within one second is ProvisionedThroughputExceededException. A shard
that does not exist, or has EXPIRED, is ResourceNotFoundException.

GetRecords
----------
``Limit`` 1..10,000 (default 10,000; outside it ValidationException from the model guard, as AWS answers;
before sending). One call returns the records from the iterator's position, in order, up to
``Limit`` records and at most 10 MiB (``quotas.GET_RECORDS_MAX_BYTES``), with each record's
``ApproximateArrivalTimestamp`` (lab clock, ms precision), plus:

- ``NextShardIterator``: a fresh iterator (5 more minutes) just after the last record returned;
  absent (``None`` in boto3) once a CLOSED shard has been read to its end, and then
  ``ChildShards`` names its children (``ShardId``, ``ParentShards``, ``HashKeyRange``). An open
  shard with nothing new returns ``Records == []`` and a NextShardIterator.
- ``MillisBehindLatest``: how far the reader is from the tip, measured against *now*: the age of the
  oldest record still unread after this call, in ms; 0 only when caught up (at least 1
  while unread records remain, even ones written in the same millisecond: AWS's 0 means "nothing new").

The read budget of a shard (one ``ShardReadBudget``, shared by every polling consumer)
-----------------------------------------------------------------------------------------
The service says: 5 GetRecords calls per second per shard, 2 MiB/s per shard, at most 10 MiB per
call, and after a call that returned 10 MiB the next 5 seconds of calls are refused
(kinesis-facts 1.1). labsim models this as

1. **calls**: a call is refused if 5 calls were admitted in the last second (sliding window);
2. **bytes**: a token bucket of 2 MiB, refilled at 2 MiB/s. A call is admitted while the bucket is
   not in debt; the bytes it returns are then taken, *which may push the bucket into debt* (a
   10 MiB read from a full bucket leaves it 8 MiB short). While in debt, calls are refused; the
   debt is repaid at 2 MiB/s. So one big read is allowed, and the average stays at 2 MiB/s;
3. **big reads**: a call that returned ``GET_RECORDS_MAX_BYTES`` also blocks the shard for
   ``GET_RECORDS_BIG_READ_PENALTY_SECONDS`` (5 s).

A refused call returns no data, costs nothing, and is ProvisionedThroughputExceededException
("Rate exceeded for shard ... in stream ... under account ..."); it is counted in the
``ReadProvisionedThroughputExceeded`` metric. botocore retries it with a back-off sleep, which in a
lab moves the virtual clock, so a plain ``get_records`` loop still completes (just later in lab
time, as it would against AWS).

Metrics (``AWS/Kinesis``, through the write side's aggregator): GetRecords.Success, .Records,
.Bytes, .IteratorAgeMilliseconds, .Latency, ReadProvisionedThroughputExceeded; shard level (with
enhanced monitoring) OutgoingBytes, OutgoingRecords, IteratorAgeMilliseconds,
ReadProvisionedThroughputExceeded.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from labsim import quotas

from . import errors as E
from . import metrics as _metrics
from labsim.tokenbucket import TokenBucket
from .iterators import start_position
from .model import Shard, Stream
from .retention import expired, trim_shard

_metrics.UNITS.update({
    "GetRecords.Success": "Count",
    "GetRecords.Records": "Count",
    "GetRecords.Bytes": "Bytes",
    "GetRecords.IteratorAgeMilliseconds": "Milliseconds",
    "GetRecords.Latency": "Milliseconds",
    "ReadProvisionedThroughputExceeded": "Count",
    "OutgoingBytes": "Bytes",
    "OutgoingRecords": "Count",
    "IteratorAgeMilliseconds": "Milliseconds",
})

#: GetRecords.Latency reported to CloudWatch: a labsim model value (AWS publishes no figure).
GET_RECORDS_LATENCY_MS = 10.0



class ShardReadBudget:
    """The polling read limits of one shard (see the module docstring for the model)."""

    __slots__ = ("calls", "bytes", "penalty_until", "throttled", "calls_per_second")

    def __init__(
        self,
        now: float,
        bytes_per_second: float = quotas.SHARD_READ_BYTES_PER_SECOND,
        calls_per_second: int = quotas.SHARD_READ_CALLS_PER_SECOND,
    ) -> None:
        self.bytes = TokenBucket(capacity=float(bytes_per_second), rate=float(bytes_per_second), now=now)
        self.calls_per_second = int(calls_per_second)
        self.calls: deque[float] = deque(maxlen=self.calls_per_second)
        self.penalty_until = float("-inf")
        self.throttled = 0

    def level(self, now: float) -> float:
        """Bytes of read budget left at ``now`` (negative while a big read is being repaid)."""
        return self.bytes.level(now)

    def admit(self, now: float) -> str | None:
        """None if a call may proceed now (and count it), else why it is refused."""
        if now < self.penalty_until:
            self.throttled += 1
            return "a previous call returned 10 MiB"
        calls = self.calls
        if len(calls) == self.calls_per_second and now - calls[0] < 1.0:
            self.throttled += 1
            return "calls"
        if self.bytes.level(now) < 0:
            self.throttled += 1
            return "bytes"
        calls.append(now)
        return None

    def take(self, nbytes: int, now: float, big: bool) -> None:
        """Charge ``nbytes`` just returned; ``big`` = the call hit the 10 MiB cap."""
        self.bytes.take(nbytes, now)
        if big:
            self.penalty_until = now + float(quotas.GET_RECORDS_BIG_READ_PENALTY_SECONDS)


class CallLimiter:
    """At most ``n`` calls in any one-second window (GetShardIterator's 5 per second per shard)."""

    __slots__ = ("times", "n")

    def __init__(self, n: int) -> None:
        self.n = n
        self.times: deque[float] = deque(maxlen=n)

    def admit(self, now: float) -> bool:
        t = self.times
        if len(t) == self.n and now - t[0] < 1.0:
            return False
        t.append(now)
        return True


def read_budget(shard: Shard, now: float) -> ShardReadBudget:
    budget = shard.read_budget
    if budget is None:
        budget = shard.read_budget = ShardReadBudget(now)
    return budget


def child_shards(stream: Stream, shard: Shard) -> list[dict[str, Any]]:
    """``ChildShards`` of a closed shard: its children with their parents and hash ranges."""
    sid = shard.shard_id
    out = []
    for s in list(stream.shards.values()):
        if s.parent_shard_id == sid or s.adjacent_parent_shard_id == sid:
            out.append({
                "ShardId": s.shard_id,
                "ParentShards": [p for p in (s.parent_shard_id, s.adjacent_parent_shard_id) if p],
                "HashKeyRange": {"StartingHashKey": str(s.starting_hash), "EndingHashKey": str(s.ending_hash)},
            })
    return out


def shard_not_found(shard_id: Any, stream_name: str, account_id: str) -> E.ResourceNotFoundError:
    return E.ResourceNotFoundError(f"Shard {shard_id} in stream {stream_name} under account {account_id} does not exist")


def find_shard(stream: Stream, shard_id: Any, now: float, account_id: str) -> Shard:
    shard = stream.shards.get(shard_id) if isinstance(shard_id, str) else None
    if shard is None or expired(stream, shard, now):
        raise shard_not_found(shard_id, stream.name, account_id)
    return shard


def _shard_metrics_on(stream: Stream, name: str) -> bool:
    levels = stream.shard_level_metrics
    return bool(levels) and ("ALL" in levels or name in levels)


class ShardBatch:
    """What one read of a shard gives: records, where the next read starts, how far behind it is.

    ``records`` are ``model.Record`` objects in order; ``next_position`` is the store position just
    after the last one; ``millis_behind_latest`` is measured against now (0 only when caught up);
    ``child_shards`` is set (and ``next_iterator`` is None) once a closed shard has been read to its
    end. ``next_iterator`` is GetRecords' fresh iterator; ``nbytes`` is what the records weigh.
    """

    __slots__ = ("stream", "shard", "records", "next_position", "millis_behind_latest", "child_shards", "next_iterator", "nbytes", "not_before")

    def __init__(self, stream: Stream, shard: Shard, records: list[Any], next_position: int, millis_behind_latest: int,
                 child_shards: list[dict[str, Any]] | None, nbytes: int, not_before: float | None) -> None:
        self.stream = stream
        self.shard = shard
        self.records = records
        self.next_position = next_position
        self.millis_behind_latest = millis_behind_latest
        self.child_shards = child_shards
        self.next_iterator: str | None = None
        self.nbytes = nbytes
        self.not_before = not_before

    @property
    def at_end(self) -> bool:
        """True once a closed shard has been read to its end (its children come next)."""
        return self.child_shards is not None


def read_shard(stream: Stream, shard: Shard, position: int, limit: int, now: float, *,
               max_bytes: int = int(quotas.GET_RECORDS_MAX_BYTES), not_before: float | None = None) -> ShardBatch:
    """Read ``shard`` from store ``position``: at most ``limit`` records and ``max_bytes`` bytes.

    The one read of the data plane, without budgets or metrics: GetRecords charges and meters it,
    SubscribeToShard paces it, and a stream source (Firehose, an event source mapping) calls it as is.
    Records older than the stream's retention are trimmed first; ``not_before`` (an AT_TIMESTAMP
    start in the future of the records) skips records that arrived earlier.
    """
    store = shard.store
    trim_shard(shard, now - stream.retention_hours * 3600.0)
    if not_before is not None:
        position = max(position, store.position_at_time(not_before))
        if not_before <= now:
            not_before = None
    records, next_pos = store.read(position, limit, max_bytes)
    nbytes = 0
    for r in records:
        nbytes += r.size
    end = store.end
    if next_pos < end:
        behind = int((now - store.arrival_at(next_pos)) * 1000)
        if behind < 1:  # unread records remain: never report 0 ("caught up") while they do
            behind = 1
    else:
        behind = 0
    children = child_shards(stream, shard) if not shard.is_open and next_pos >= end else None
    return ShardBatch(stream, shard, records, next_pos, behind, children, nbytes, not_before)


class Reads:
    """GetShardIterator and GetRecords of one account and Region (owned by its backend)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._max_bytes = int(quotas.GET_RECORDS_MAX_BYTES)

    # -- GetShardIterator ---------------------------------------------------------------------------
    def get_shard_iterator(self, stream_name: Any, stream_arn: Any, shard_id: Any, shard_iterator_type: Any,
                           starting_sequence_number: Any = None, timestamp: Any = None) -> str:
        backend = self.backend
        stream = backend.data_stream(stream_name, stream_arn)
        now = backend.now()
        shard = find_shard(stream, shard_id, now, backend.account_id)
        limiter = shard.iterator_calls
        if limiter is None:
            limiter = shard.iterator_calls = CallLimiter(int(quotas.GET_SHARD_ITERATOR_CALLS_PER_SECOND))
        if not limiter.admit(now):
            raise E.ThroughputExceededError(E.shard_throttled(shard.shard_id, stream.name, backend.account_id))
        trim_shard(shard, now - stream.retention_hours * 3600.0)
        pos, not_before = start_position(
            stream, shard, shard_iterator_type, starting_sequence_number, timestamp, now,
            account_id=backend.account_id,
        )
        return backend.iterator_codec.encode(stream, shard, pos, now, not_before)

    # -- GetRecords -----------------------------------------------------------------------------------
    def get_records(self, shard_iterator: Any, limit: Any = None, stream_arn: Any = None) -> ShardBatch:
        """GetRecords: decode the iterator, charge the shard's read budget, read, meter."""
        backend = self.backend
        codec = backend.iterator_codec
        if limit is None:
            limit = int(quotas.GET_RECORDS_MAX_LIMIT)
        state = codec.decode(shard_iterator)
        now = backend.now()
        codec.check_fresh(state, now)
        stream = backend.streams.get(state.stream_name)
        if stream is None or stream.tag != state.stream_tag or stream.status == "CREATING":
            raise shard_not_found(state.shard_id, state.stream_name, backend.account_id)
        if stream_arn is not None and stream_arn != stream.arn:
            raise E.InvalidArgumentError(f"The ShardIterator was not issued for stream {stream_arn}.")
        shard = find_shard(stream, state.shard_id, now, backend.account_id)
        metrics = backend.metrics

        budget = shard.read_budget
        if budget is None:
            budget = shard.read_budget = ShardReadBudget(now)
        if budget.admit(now) is not None:
            metrics.add(now, stream.name, [("ReadProvisionedThroughputExceeded", 1.0)])
            if _shard_metrics_on(stream, "ReadProvisionedThroughputExceeded"):
                metrics.add(now, stream.name, [("ReadProvisionedThroughputExceeded", 1.0)], shard=shard.shard_id)
            raise E.ThroughputExceededError(E.shard_throttled(shard.shard_id, stream.name, backend.account_id))

        faults = backend.context.faults if backend.context is not None else None
        if faults is not None and faults.active and faults.draw("kinesis", "GetRecords", "EmptyBatch"):
            limit = 0  # an empty batch before the tip: nothing returned, the iterator stays put
        batch = read_shard(stream, shard, state.position, limit, now, max_bytes=self._max_bytes, not_before=state.not_before)
        nbytes = batch.nbytes
        n = len(batch.records)
        # The 10 MiB cap stopped this call if fewer than Limit records came back while more remain.
        big = nbytes >= self._max_bytes or (0 < n < limit and batch.next_position < shard.store.end)
        budget.take(nbytes, now, big)
        if batch.child_shards is None:
            batch.next_iterator = codec.encode(stream, shard, batch.next_position, now, batch.not_before)

        behind = batch.millis_behind_latest
        metrics.add(now, stream.name, [
            ("GetRecords.Success", 1.0),
            ("GetRecords.Records", float(n)),
            ("GetRecords.Bytes", float(nbytes)),
            ("GetRecords.IteratorAgeMilliseconds", float(behind)),
            ("GetRecords.Latency", GET_RECORDS_LATENCY_MS),
        ])
        if stream.shard_level_metrics:
            shard_samples = [
                (name, value)
                for name, value in (("OutgoingBytes", float(nbytes)), ("OutgoingRecords", float(n)), ("IteratorAgeMilliseconds", float(behind)))
                if _shard_metrics_on(stream, name)
            ]
            if shard_samples:
                metrics.add(now, stream.name, shard_samples, shard=shard.shard_id)
        return batch
