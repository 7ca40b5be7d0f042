"""Enhanced fan-out: registered consumers and SubscribeToShard over the AWS event stream.

Consumers (kinesis-facts 2; KDS-API RegisterStreamConsumer & co.)
---------------------------------------------------------------
- ``RegisterStreamConsumer(StreamARN, ConsumerName)``: name 1-128 chars of ``[a-zA-Z0-9_.-]``
  (else ValidationException), unique per stream (else ResourceInUseException), at most
  ``quotas.MAX_CONSUMERS_PER_STREAM`` (20) per stream and ``quotas.CONSUMERS_CREATING_AT_ONCE`` (5)
  in CREATING per account (else LimitExceededException). The consumer is CREATING, then ACTIVE after
  ``quotas.CONSUMER_CREATING_SECONDS`` of lab time. Its ARN is
  ``arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<creation epoch seconds>``,
  so re-registering a name later gives a new ARN.
- ``DescribeStreamConsumer`` (by ConsumerARN, or StreamARN + ConsumerName),
  ``ListStreamConsumers`` (MaxResults 1..10,000, pages of at most 100, NextToken) and
  ``DeregisterStreamConsumer`` (DELETING for ``quotas.CONSUMER_DELETING_SECONDS``, then gone; its
  subscriptions end with ResourceNotFoundException).

The objects live in ``stream.consumers`` (so DescribeStreamSummary's ``ConsumerCount`` counts them)
and keep moto's attribute names (``consumer_name``, ``consumer_arn``, ``stream_arn``, ``created``).

SubscribeToShard
----------------
Refused up front (an ordinary error response) when the consumer does not exist
(ResourceNotFoundException), is not ACTIVE (ResourceInUseException), the shard does not exist
(ResourceNotFoundException), the starting position is bad (as GetShardIterator), or the same
consumer subscribed to the same shard less than ``quotas.SUBSCRIBE_RESUBSCRIBE_GUARD_SECONDS`` (5 s)
ago (ResourceInUseException). 5 s or more later, the new call takes over: the old subscription's
event stream ends with a ResourceInUseException event.

Otherwise the answer is an ``application/vnd.amazon.eventstream`` body (``labsim.streams.eventstream``)
that botocore turns into ``resp["EventStream"]``; iterating it yields
``{"SubscribeToShardEvent": {"Records": [...], "ContinuationSequenceNumber": ...,
"MillisBehindLatest": ..., "ChildShards": [...]}}`` dicts (ChildShards only at a closed shard's end,
where ContinuationSequenceNumber is absent and the stream then ends).

The simulation model (events are made lazily, one per ``next()``, on the lab clock):

1. A record becomes deliverable ``latency.propagation_delay("efo")`` (70 ms) after its
   ``ApproximateArrivalTimestamp``. If deliverable records exist, the next event carries them at
   once, as many as the subscription's own 2 MiB/s budget allows (``quotas.EFO_READ_BYTES_PER_SECOND``,
   a token bucket holding one second's worth, independent of every other consumer and of polling
   readers); when the budget is spent, the lab clock is moved forward until it has refilled.
2. If the next record is not deliverable yet, the lab clock is moved to the moment it is (unless a
   heartbeat is due first: then the empty heartbeat event comes now, and the record with the next event).
3. With no data, the clock moves to the next scheduled lab task (a producer written with
   ``lab.clock.call_every`` gets to write), and an empty event is sent every
   ``quotas.EFO_HEARTBEAT_SECONDS`` (1 s), as the service keeps a subscription alive.
4. The stream ends ``quotas.SUBSCRIPTION_LIFETIME_SECONDS`` (5 min) of lab time after the call;
   call SubscribeToShard again with the last ``ContinuationSequenceNumber`` (AFTER_SEQUENCE_NUMBER).

So ``lab.clock.now()`` at the moment an event is received is its delivery time, and for a record
written while subscribed ``delivery - ApproximateArrivalTimestamp`` is the 70 ms push latency.
Iterating a subscription on an idle shard to its end moves lab time by 5 minutes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from bisect import bisect_right
from typing import Any, Iterator

from labsim import quotas

from . import errors as E
from . import eventstream as es
from . import metrics as _metrics
from labsim.tokenbucket import TokenBucket
from .iterators import start_position
from .latency import propagation_delay
from .model import Shard, Stream
from labsim.pagetokens import PageTokens
from .reads import child_shards, find_shard, read_shard
from .retention import trim_shard

_metrics.UNITS.update({
    "SubscribeToShard.Success": "Count",
    "SubscribeToShard.RateExceeded": "Count",
    "SubscribeToShardEvent.Success": "Count",
    "SubscribeToShardEvent.Records": "Count",
    "SubscribeToShardEvent.Bytes": "Bytes",
    "SubscribeToShardEvent.MillisBehindLatest": "Milliseconds",
})

CONSUMER_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]+$")
CONSUMER_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)/consumer/([a-zA-Z0-9_.-]+):(\d+)$")
_EPS = 1e-9


class Consumer:
    """A registered EFO consumer (moto-compatible attribute names)."""

    def __init__(self, name: str, stream: Stream, created_at: float) -> None:
        self.consumer_name = name
        self.stream_arn = stream.arn
        self.stream_name = stream.name
        self.created_at = created_at
        self.consumer_arn = f"{stream.arn}/consumer/{name}:{int(created_at)}"
        self.status = "CREATING"
        self.tags: dict[str, str] = {}

    @property
    def created(self) -> Any:
        import datetime as _dt

        return _dt.datetime.fromtimestamp(self.created_at, tz=_dt.timezone.utc)

    def to_json(self, include_stream_arn: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ConsumerName": self.consumer_name,
            "ConsumerARN": self.consumer_arn,
            "ConsumerStatus": self.status,
            "ConsumerCreationTimestamp": self.created_at,
        }
        if include_stream_arn:
            out["StreamARN"] = self.stream_arn
        return out

    def __repr__(self) -> str:
        return f"<Consumer {self.consumer_name} {self.status}>"


def _record_json(r: Any, encrypted: bool) -> dict[str, Any]:
    out = {
        "SequenceNumber": r.sequence_number,
        "ApproximateArrivalTimestamp": int(r.arrival * 1000) / 1000,
        "Data": binascii.b2a_base64(r.data, newline=False).decode("ascii"),
        "PartitionKey": r.partition_key,
    }
    if encrypted:
        out["EncryptionType"] = "KMS"
    return out


class Subscription:
    """One SubscribeToShard connection: produces its events lazily (see the module docstring)."""

    def __init__(self, fanout: "EnhancedFanOut", consumer: Consumer, stream: Stream, shard: Shard,
                 position: int, not_before: float | None) -> None:
        ctx = fanout.backend
        self.fanout = fanout
        self.backend = ctx
        self.consumer = consumer
        self.stream = stream
        self.shard = shard
        self.position = position
        self.not_before = not_before
        now = ctx.now()
        self.started_at = now
        self.ends_at = now + float(quotas.SUBSCRIPTION_LIFETIME_SECONDS)
        self.last_event_at = now
        self.latency = propagation_delay("efo")
        self.heartbeat = float(quotas.EFO_HEARTBEAT_SECONDS)
        self.budget = TokenBucket(capacity=float(quotas.EFO_READ_BYTES_PER_SECOND), rate=float(quotas.EFO_READ_BYTES_PER_SECOND), now=now)
        self.continuation = self._continuation_at(position)
        self.superseded = False
        self.done = False
        self.events = 0
        self.delivered: list[tuple[float, float]] = []  # (arrival, delivery) of each record, for lessons
        self._lock = threading.Lock()

    # -- helpers ----------------------------------------------------------------------------------
    def _continuation_at(self, pos: int) -> str:
        """A sequence number X such that AFTER_SEQUENCE_NUMBER X resumes at ``pos``."""
        store = self.shard.store
        if store.start < pos <= store.end:
            return store.get(pos - 1).sequence_number
        if store.start <= pos < store.end:  # the predecessor was trimmed: one below this record's
            seq = store.get(pos).sequence_number
            return f"{int(seq) - 1:0{len(seq)}d}"
        last = store.last()
        return last.sequence_number if last is not None else self.shard.starting_sequence_number

    def _advance_to(self, target: float) -> None:
        clock = self.backend.clock
        now = clock.now()
        clock.advance(max(0.0, target - now))

    def _error(self) -> bytes | None:
        acct = self.backend.account_id
        if self.superseded:
            return es.exception_message(
                "ResourceInUseException",
                f"Another subscription for consumer {self.consumer.consumer_arn} and shard {self.shard.shard_id} took over this one.",
            )
        backend = self.backend
        if backend.streams.get(self.stream.name) is not self.stream:
            return es.exception_message("ResourceNotFoundException", f"Stream {self.stream.name} under account {acct} not found.")
        if self.consumer.status != "ACTIVE" or self.consumer not in self.stream.consumers:
            return es.exception_message(
                "ResourceNotFoundException", f"Consumer {self.consumer.consumer_arn} under account {acct} not found."
            )
        return None

    def _event(self, records: list[Any], behind: int, children: list[dict[str, Any]] | None = None) -> bytes:
        encrypted = self.stream.encryption_type == "KMS"
        payload: dict[str, Any] = {"Records": [_record_json(r, encrypted) for r in records], "MillisBehindLatest": behind}
        if children is None:
            payload["ContinuationSequenceNumber"] = self.continuation
        else:
            payload["ChildShards"] = children
        self.events += 1
        now = self.backend.now()
        self.last_event_at = now
        metrics = self.backend.metrics
        if metrics is not None:
            metrics.add(now, self.stream.name, [
                ("SubscribeToShardEvent.Success", 1.0),
                ("SubscribeToShardEvent.Records", float(len(records))),
                ("SubscribeToShardEvent.Bytes", float(sum(r.size for r in records))),
                ("SubscribeToShardEvent.MillisBehindLatest", float(behind)),
            ])
        return es.event_message("SubscribeToShardEvent", payload)

    # -- the event loop -------------------------------------------------------------------------------
    def next_message(self) -> bytes | None:
        """The next message of this subscription's event stream, or None when it has ended."""
        with self._lock:
            if self.done:
                return None
            for _ in range(1_000_000):  # each turn moves the clock or returns
                err = self._error()
                if err is not None:
                    self.done = True
                    return err
                clock = self.backend.clock
                now = clock.now()
                if now >= self.ends_at - _EPS:
                    self.done = True
                    return None
                shard, store = self.shard, self.shard.store
                trim_shard(shard, now - self.stream.retention_hours * 3600.0)
                pos = max(self.position, store.start)
                if self.not_before is not None:
                    pos = max(pos, store.position_at_time(self.not_before))
                    if self.not_before <= now:
                        self.not_before = None
                self.position = pos
                end = store.end
                if pos < end:
                    ready = store.arrival_at(pos) + self.latency
                    if ready > now + _EPS:
                        if now >= self.last_event_at + self.heartbeat - _EPS:
                            return self._event([], 0)  # a heartbeat falls due while the record is in flight
                        self._advance_to(min(ready, self.ends_at))
                        continue
                    first = store.get(pos).size
                    budget = self.budget
                    level = budget.level(now)
                    need = min(first, budget.capacity)
                    if level < need - _EPS:
                        self._advance_to(min(now + (need - level) / budget.rate, self.ends_at))
                        continue
                    seg = store.segment()
                    hi = seg.offset + bisect_right(seg.arrivals, now - self.latency + _EPS)
                    count = min(max(hi - pos, 1), int(quotas.GET_RECORDS_MAX_LIMIT))
                    batch = read_shard(self.stream, shard, pos, count, now, max_bytes=max(int(level), first))
                    records = batch.records
                    budget.take(batch.nbytes, now)
                    self.position = batch.next_position
                    self.continuation = records[-1].sequence_number
                    self.delivered.extend((r.arrival, now) for r in records)
                    return self._event(records, batch.millis_behind_latest)
                if not shard.is_open:
                    self.done = True
                    return self._event([], 0, child_shards(self.stream, shard))
                due = self.last_event_at + self.heartbeat
                if now >= due - _EPS:
                    return self._event([], 0)
                target = min(due, self.ends_at)
                next_task = clock.next_due() if hasattr(clock, "next_due") else None
                if next_task is not None and now <= next_task < target:
                    target = next_task
                self._advance_to(target)
            self.done = True
            return None

    def close(self) -> None:
        self.done = True


class EventStreamBody:
    """The raw HTTP body botocore reads a SubscribeToShard answer from (``stream()`` is lazy)."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self._sent_initial = False

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        while True:
            chunk = self.read()
            if not chunk:
                return
            yield chunk

    def read(self, amt: int | None = None) -> bytes:
        if not self._sent_initial:
            self._sent_initial = True
            return es.initial_response()
        return self.subscription.next_message() or b""

    def close(self) -> None:
        self.subscription.close()


class EnhancedFanOut:
    """Consumers and subscriptions of one lab."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self._tokens = PageTokens(backend.context_secret("list-stream-consumers-tokens"))

    def stop(self) -> None:
        for sub in self.subscriptions.values():
            sub.close()
        self.subscriptions.clear()

    # -- lookups ------------------------------------------------------------------------------------
    def _stream_by_arn(self, arn: Any) -> Stream:
        if not isinstance(arn, str) or not arn:
            raise E.validation_errors(["Value null at 'streamARN' failed to satisfy constraint: Member must not be null"])
        return self.backend.describe_stream(arn, None)

    def _find(self, consumer_arn: Any = None, stream_arn: Any = None, consumer_name: Any = None) -> tuple[Stream, Consumer]:
        acct = self.backend.account_id
        arn = consumer_arn
        if arn:
            m = CONSUMER_ARN_RE.match(arn) if isinstance(arn, str) else None
            if m is None:
                raise E.validation_errors([E.pattern(arn, "consumerARN", "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+")])
            stream = self.backend.streams.get(m.group(3)) if m.group(1) == self.backend.region_name else None
            if stream is not None:
                for c in stream.consumers:
                    if isinstance(c, Consumer) and c.consumer_arn == arn:
                        if stream_arn and stream_arn != stream.arn:
                            break
                        return stream, c
            raise E.ResourceNotFoundError(f"Consumer {arn} under account {acct} not found.")
        name = consumer_name
        if not stream_arn or not name:
            raise E.InvalidArgumentError("Either ConsumerARN or both ConsumerName and StreamARN must be provided.")
        stream = self._stream_by_arn(stream_arn)
        for c in stream.consumers:
            if isinstance(c, Consumer) and c.consumer_name == name:
                return stream, c
        raise E.ResourceNotFoundError(f"Consumer {name} under stream {stream.name} under account {acct} not found.")

    # -- control plane --------------------------------------------------------------------------------
    def register(self, *, stream_arn: Any = None, consumer_name: Any = None, stream_id: Any = None, tags: Any = None) -> dict[str, Any]:
        ctx = self.backend
        acct = ctx.account_id
        name = consumer_name
        problems = []
        if name is None:
            problems.append("Value null at 'consumerName' failed to satisfy constraint: Member must not be null")
        else:
            if len(name) > 128:
                problems.append(E.length_at_most(name, "consumerName", 128))
            if len(name) < 1:
                problems.append(E.length_at_least(name, "consumerName", 1))
            if not CONSUMER_NAME_RE.match(name):
                problems.append(E.pattern(name, "consumerName", "[a-zA-Z0-9_.-]+"))
        if problems:
            raise E.validation_errors(problems)
        stream = self._stream_by_arn(stream_arn)
        if stream.status in ("CREATING", "DELETING"):
            raise E.stream_not_active(stream.name, acct, stream.status)
        consumers = [c for c in stream.consumers if isinstance(c, Consumer)]
        if any(c.consumer_name == name for c in consumers):
            raise E.ResourceInUseError(f"Consumer {name} under stream {stream.name} under account {acct} already exists.")
        if len(stream.consumers) >= quotas.MAX_CONSUMERS_PER_STREAM:
            raise E.LimitExceededError(
                f"Consumer limit exceeded for stream {stream.name} under account {acct}: a stream can have at most "
                f"{int(quotas.MAX_CONSUMERS_PER_STREAM)} registered consumers."
            )
        creating = sum(
            1 for s in list(ctx.streams.values()) for c in s.consumers
            if isinstance(c, Consumer) and c.status == "CREATING"
        )
        if creating >= quotas.CONSUMERS_CREATING_AT_ONCE:
            raise E.LimitExceededError(
                f"Account {acct} already has {creating} consumers in CREATING status; at most "
                f"{int(quotas.CONSUMERS_CREATING_AT_ONCE)} can be created at the same time."
            )
        consumer = Consumer(name, stream, ctx.now())
        tags = tags
        if isinstance(tags, dict):
            consumer.tags.update(tags)
        stream.consumers.append(consumer)

        def activate() -> None:
            if consumer.status == "CREATING":
                consumer.status = "ACTIVE"

        ctx.clock.call_later(float(quotas.CONSUMER_CREATING_SECONDS), activate, name=f"kinesis-consumer-active-{name}")
        return {"Consumer": consumer.to_json()}

    def describe(self, *, stream_arn: Any = None, consumer_name: Any = None, consumer_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        _, consumer = self._find(consumer_arn, stream_arn, consumer_name)
        return {"ConsumerDescription": consumer.to_json(include_stream_arn=True)}

    def list(self, *, stream_arn: Any = None, next_token: Any = None, max_results: Any = None, stream_creation_timestamp: Any = None, stream_id: Any = None) -> dict[str, Any]:
        stream = self._stream_by_arn(stream_arn)
        max_results = max_results
        if max_results is not None:
            if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
                raise E.validation_errors([E.value_at_least(max_results, "maxResults", 1)])
            if max_results > 10_000:
                raise E.validation_errors([E.value_at_most(max_results, "maxResults", 10_000)])
        page = min(max_results or int(quotas.LIST_STREAM_CONSUMERS_MAX_RESULTS), int(quotas.LIST_STREAM_CONSUMERS_MAX_RESULTS))
        consumers = [c for c in stream.consumers if isinstance(c, Consumer)]
        start = 0
        if next_token:
            tag, after = self._tokens.decode(next_token, E.InvalidArgumentError)
            if tag != stream.tag:
                raise E.InvalidArgumentError(f"Invalid NextToken: {next_token}")
            start = next((i + 1 for i, c in enumerate(consumers) if c.consumer_arn == after), len(consumers))
        chunk = consumers[start:start + page]
        out: dict[str, Any] = {"Consumers": [c.to_json() for c in chunk]}
        if start + page < len(consumers):
            out["NextToken"] = self._tokens.encode([stream.tag, chunk[-1].consumer_arn])
        return out

    def deregister(self, *, stream_arn: Any = None, consumer_name: Any = None, consumer_arn: Any = None, stream_id: Any = None) -> dict[str, Any]:
        stream, consumer = self._find(consumer_arn, stream_arn, consumer_name)
        if consumer.status == "DELETING":
            return {}
        consumer.status = "DELETING"

        def remove() -> None:
            with stream.lock:
                if consumer in stream.consumers:
                    stream.consumers.remove(consumer)

        self.backend.clock.call_later(float(quotas.CONSUMER_DELETING_SECONDS), remove, name=f"kinesis-consumer-gone-{consumer.consumer_name}")
        return {}

    # -- SubscribeToShard -----------------------------------------------------------------------------
    def subscribe(self, *, consumer_arn: Any = None, stream_id: Any = None, shard_id: Any = None, starting_position: Any = None, dry_run: Any = None) -> Subscription:
        """Open a subscription (raises the service's errors); the caller streams its events."""
        ctx = self.backend
        acct = ctx.account_id
        if not consumer_arn:
            raise E.validation_errors(["Value null at 'consumerARN' failed to satisfy constraint: Member must not be null"])
        stream, consumer = self._find(consumer_arn)
        if consumer.status != "ACTIVE":
            raise E.ResourceInUseError(
                f"Consumer {consumer.consumer_arn} under account {acct} is not ACTIVE, instead in state {consumer.status}."
            )
        if stream.status == "CREATING":
            raise E.stream_not_found(stream.name, acct)
        now = ctx.now()
        shard = find_shard(stream, shard_id, now, acct)
        key = (consumer.consumer_arn, shard.shard_id)
        metrics = ctx.metrics
        prev = self.subscriptions.get(key)
        if prev is not None and now - prev.started_at < quotas.SUBSCRIBE_RESUBSCRIBE_GUARD_SECONDS:
            if metrics is not None:
                metrics.add(now, stream.name, [("SubscribeToShard.RateExceeded", 1.0)])
            raise E.ResourceInUseError(
                f"Another active subscription exists for this consumer: {acct}:{stream.name}:{shard.shard_id}:{consumer.consumer_name}"
            )
        sp = starting_position
        if not isinstance(sp, dict):
            raise E.validation_errors(["Value null at 'startingPosition' failed to satisfy constraint: Member must not be null"])
        trim_shard(shard, now - stream.retention_hours * 3600.0)
        pos, not_before = start_position(
            stream, shard, sp.get("Type"), sp.get("SequenceNumber"), sp.get("Timestamp"), now,
            account_id=acct, operation="SubscribeToShard", type_field="startingPosition.type",
        )
        if prev is not None:
            prev.superseded = True
        sub = Subscription(self, consumer, stream, shard, pos, not_before)
        self.subscriptions[key] = sub
        if metrics is not None:
            metrics.add(now, stream.name, [("SubscribeToShard.Success", 1.0)])
        return sub
