"""Polling reads: GetShardIterator and GetRecords, with the service's limits on the lab clock.

GetShardIterator
----------------
Resolves one of the five starting positions (``labsim.streams.iterators``) and returns an opaque
iterator valid for 5 minutes. At most ``quotas.GET_SHARD_ITERATOR_CALLS_PER_SECOND`` (5) calls per
second per shard; the sixth within one second is ProvisionedThroughputExceededException. A shard
that does not exist, or has EXPIRED, is ResourceNotFoundException.

GetRecords
----------
``Limit`` 1..10,000 (default 10,000; above is InvalidArgumentException; below 1 botocore refuses
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

import binascii
import json
from collections import deque
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from labsim import quotas
from labsim.transport import make_response, request_json

from . import errors as E
from . import metrics as _metrics
from .iterators import start_position
from .model import Shard, Stream
from .readside import ReadContext, error_response
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

_JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}
_b2a = binascii.b2a_base64
_dumps = json.dumps


class ShardReadBudget:
    """The polling read limits of one shard (see the module docstring for the model)."""

    __slots__ = ("calls", "tokens", "updated", "penalty_until", "rate", "capacity", "throttled", "calls_per_second")

    def __init__(
        self,
        now: float,
        bytes_per_second: float = quotas.SHARD_READ_BYTES_PER_SECOND,
        calls_per_second: int = quotas.SHARD_READ_CALLS_PER_SECOND,
    ) -> None:
        self.rate = float(bytes_per_second)
        self.capacity = float(bytes_per_second)
        self.tokens = self.capacity
        self.updated = now
        self.calls_per_second = int(calls_per_second)
        self.calls: deque[float] = deque(maxlen=self.calls_per_second)
        self.penalty_until = float("-inf")
        self.throttled = 0

    def level(self, now: float) -> float:
        if now > self.updated:
            t = self.tokens + (now - self.updated) * self.rate
            self.tokens = t if t < self.capacity else self.capacity
            self.updated = now
        return self.tokens

    def admit(self, now: float) -> str | None:
        """None if a call may proceed now (and count it), else why it is refused."""
        if now < self.penalty_until:
            self.throttled += 1
            return "a previous call returned 10 MiB"
        calls = self.calls
        if len(calls) == self.calls_per_second and now - calls[0] < 1.0:
            self.throttled += 1
            return "calls"
        if self.level(now) < 0:
            self.throttled += 1
            return "bytes"
        calls.append(now)
        return None

    def take(self, nbytes: int, now: float, big: bool) -> None:
        """Charge ``nbytes`` just returned; ``big`` = the call hit the 10 MiB cap."""
        self.tokens -= nbytes
        if big:
            self.penalty_until = now + float(quotas.GET_RECORDS_BIG_READ_PENALTY_SECONDS)


class _CallLimiter:
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


class Reads:
    """GetShardIterator and GetRecords for one lab."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self._pk_cache: dict[str, str] = {}
        self._max_bytes = int(quotas.GET_RECORDS_MAX_BYTES)
        self._max_limit = int(quotas.GET_RECORDS_MAX_LIMIT)

    def handlers(self) -> dict[str, Any]:
        return {
            "GetShardIterator": self.ctx.json_handler(self.get_shard_iterator),
            "GetRecords": self.handle_get_records,
        }

    # -- GetShardIterator ---------------------------------------------------------------------------
    def get_shard_iterator(self, p: dict[str, Any], region: str) -> dict[str, Any]:
        ctx = self.ctx
        backend = ctx.backend(region)
        stream = backend.data_stream(p.get("StreamName"), p.get("StreamARN"))
        now = ctx.now()
        shard = find_shard(stream, p.get("ShardId"), now, ctx.account_id)
        limiter = shard.extra.get("get_shard_iterator_limiter")
        if limiter is None:
            limiter = shard.extra["get_shard_iterator_limiter"] = _CallLimiter(int(quotas.GET_SHARD_ITERATOR_CALLS_PER_SECOND))
        if not limiter.admit(now):
            raise E.ThroughputExceededError(E.shard_throttled(shard.shard_id, stream.name, ctx.account_id))
        trim_shard(shard, now - stream.retention_hours * 3600.0)
        pos, not_before = start_position(
            stream, shard, p.get("ShardIteratorType"), p.get("StartingSequenceNumber"), p.get("Timestamp"), now,
            account_id=ctx.account_id,
        )
        return {"ShardIterator": ctx.codec.encode(stream, shard, pos, now, not_before)}

    # -- GetRecords (hot path: builds its JSON body by hand) ----------------------------------------
    def handle_get_records(self, request: AWSPreparedRequest) -> AWSResponse:
        try:
            body = self.get_records_body(request_json(request), self.ctx.region_of(request))
        except E.KinesisError as err:
            return error_response(request, err)
        except ValueError:
            return error_response(request, E.KinesisError("Start of structure or map found where not expected.", "SerializationException"))
        return make_response(request, 200, dict(_JSON_HEADERS), body)

    def get_records(self, p: dict[str, Any], region: str) -> dict[str, Any]:
        """GetRecords as a dict (the JSON the fast path sends), for callers inside labsim."""
        return json.loads(self.get_records_body(p, region))

    def get_records_body(self, p: dict[str, Any], region: str) -> str:
        ctx = self.ctx
        token = p.get("ShardIterator")
        limit = p.get("Limit")
        if limit is None:
            limit = self._max_limit
        elif isinstance(limit, bool) or not isinstance(limit, int) or limit < 1 or limit > self._max_limit:
            raise E.InvalidArgumentError(
                f"Limit {limit} is invalid: GetRecords returns 1 to {self._max_limit} records per call."
            )
        if not isinstance(token, str) or not token:
            raise E.InvalidArgumentError("Invalid ShardIterator.")
        state = ctx.codec.decode(token)
        now = ctx.now()
        ctx.codec.check_fresh(state, now)
        backend = ctx.backend(region)
        stream = backend.streams.get(state.stream_name)
        if stream is None or stream.tag != state.stream_tag or stream.status == "CREATING":
            raise shard_not_found(state.shard_id, state.stream_name, ctx.account_id)
        arn = p.get("StreamARN")
        if arn is not None and arn != stream.arn:
            raise E.InvalidArgumentError(f"The ShardIterator was not issued for stream {arn}.")
        shard = find_shard(stream, state.shard_id, now, ctx.account_id)
        metrics = getattr(backend, "metrics", None)

        budget = shard.read_budget
        if budget is None:
            budget = shard.read_budget = ShardReadBudget(now)
        refused = budget.admit(now)
        if refused is not None:
            if metrics is not None:
                metrics.add(now, stream.name, [("ReadProvisionedThroughputExceeded", 1.0)])
                if _shard_metrics_on(stream, "ReadProvisionedThroughputExceeded"):
                    metrics.add(now, stream.name, [("ReadProvisionedThroughputExceeded", 1.0)], shard=shard.shard_id)
            raise E.ThroughputExceededError(E.shard_throttled(shard.shard_id, stream.name, ctx.account_id))

        store = shard.store
        trim_shard(shard, now - stream.retention_hours * 3600.0)
        pos = state.position
        not_before = state.not_before
        if not_before is not None:
            pos = max(pos, store.position_at_time(not_before))
            if not_before <= now:
                not_before = None
        records, next_pos = store.read(pos, limit, self._max_bytes)

        # Serialise: one string per record, no intermediate dicts.
        parts = []
        nbytes = 0
        last_arrival = None
        ts = ""
        pk_cache = self._pk_cache
        b2a = _b2a
        encrypted = ',"EncryptionType":"KMS"' if stream.encryption_type == "KMS" else ""
        for r in records:
            nbytes += r.size
            if r.arrival != last_arrival:
                last_arrival = r.arrival
                ts = "%.3f" % (int(r.arrival * 1000) / 1000)
            key = r.partition_key
            pk = pk_cache.get(key)
            if pk is None:
                pk = _dumps(key)
                if len(pk_cache) < 100_000:
                    pk_cache[key] = pk
            parts.append(
                '{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"Data":"%s","PartitionKey":%s%s}'
                % (r.sequence_number, ts, b2a(r.data, newline=False).decode("ascii"), pk, encrypted)
            )
        end = store.end
        if next_pos < end:
            behind = int((now - store.arrival_at(next_pos)) * 1000)
            if behind < 1:  # unread records remain: never report 0 ("caught up") while they do
                behind = 1
        else:
            behind = 0
        # The 10 MiB cap stopped this call if fewer than Limit records came back while more remain.
        big = nbytes >= self._max_bytes or (0 < len(records) < limit and next_pos < end)
        budget.take(nbytes, now, big)

        if not shard.is_open and next_pos >= end:
            tail = ',"ChildShards":' + _dumps(child_shards(stream, shard))
        else:
            tail = ',"NextShardIterator":"%s"' % ctx.codec.encode(stream, shard, next_pos, now, not_before)

        if metrics is not None:
            n = len(records)
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

        return '{"Records":[%s],"MillisBehindLatest":%d%s}' % (",".join(parts), behind, tail)
