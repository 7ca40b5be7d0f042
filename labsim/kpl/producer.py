"""``KinesisProducer``: the KPL's pipeline, in Python, on the lab's clock.

What happens to a record after ``put_record`` (the KPL's pipeline, ``aws/kinesis/core``)::

    put_record ─► aggregator (one per predicted shard) ─► limiter (one per shard) ─► collector ─► PutRecords
        ▲                                                                                              │
        └──────────────── retrier: failed user records go back in, until record_ttl_ms ◄──────────────┘

1. **Predict the shard.** The partition key is hashed (MD5 → 128-bit number; or the explicit hash
   key is used) and looked up in the shard map read with ListShards.
2. **Aggregate.** Records for the same shard are packed into one Kinesis record until it would
   pass ``aggregation_max_size`` (50 KiB) or holds ``aggregation_max_count`` records, or until the
   oldest one has waited ``record_max_buffered_time_ms`` (100 ms). A container with one record is
   sent as that record; one with several is an aggregate with partition key ``"a"`` and
   ExplicitHashKey = the first user record's hash key (kinesis-facts 4.1).
3. **Rate-limit.** Each shard's token bucket lets Kinesis records through at ``rate_limit`` % of
   1,000 records/s and 1 MiB/s (see ``labsim.kpl.limiter``).
4. **Collect.** Kinesis records are batched into one PutRecords request, up to
   ``collection_max_count`` (500) records and ``collection_max_size`` bytes; the request goes when
   it is full, when one shard has 256 KiB waiting, or when a record's deadline is reached.
5. **Retry.** PutRecords answers per record. Successful records settle their futures with the
   shard, sequence number and sub-sequence number. Failed records (throttling, internal errors,
   or a whole request that failed) go back to step 2 with a new deadline of half
   ``record_max_buffered_time_ms``; no back-off curve. After ``record_ttl_ms`` (30 s) a record
   fails with error code ``Expired``. With ``fail_if_throttled=True`` a throttled record fails at
   once. A record that lands in a shard other than the predicted one ("Wrong Shard", after a
   reshard) makes the producer re-read the shard map and re-send the user records that do not
   belong where they landed (consumers drop those copies: see ``deaggregate(max_key_range=)``).

Each buffer waits at least 50 ms after its last addition before a timed send (the KPL's
``kMinBufferTime``), and ``flush()`` sends everything buffered at once (the limiter still applies).

Time: every step runs on a scheduler (``labsim.kpl.scheduler``): the lab's clock inside a lab, a
real-time thread elsewhere. In a virtual-clock lab nothing is sent until simulated time moves;
``flush()``, ``close()`` and ``future.result()`` move it for you, so a notebook cell gives the same
numbers every run.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import threading
import warnings
from typing import Any, Callable, Iterable

from labsim import quotas as q

from .aggregation import MAX_HASH_KEY, AggregatedRecordBuilder, hash_key_of
from .config import ProducerConfig
from .futures import Attempt, RecordFuture, UserRecordResult, warn_callback
from .limiter import ShardLimiter
from .metrics import MetricsRecorder
from .scheduler import ThreadScheduler, is_virtual, running_lab
from .shard_map import ShardMap

__all__ = ["KinesisProducer", "ProducerClosedError"]

THROTTLED = "ProvisionedThroughputExceededException"
_EHK_PATTERN = re.compile(r"^(0|[1-9]\d{0,38})$")
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_MIN_BUFFER = q.KPL_REDUCER_MIN_BUFFER_MS / 1000.0
_SHARD_FLUSH_BYTES = int(q.KPL_COLLECTOR_SHARD_FLUSH_BYTES)
_EPSILON = 1e-3  # smallest step the send loop reschedules itself by


class ProducerClosedError(RuntimeError):
    """``put_record`` on a producer that has been closed."""


# --- the records in flight -------------------------------------------------------------------------
class _Pending:
    """One user record inside the producer (KPL ``UserRecord``)."""

    __slots__ = (
        "data", "partition_key", "explicit_hash_key", "hash_key", "arrival", "deadline",
        "expiration", "future", "attempts", "last_end", "shard",
    )

    def __init__(self, data: bytes, pk: str, ehk: str | None, hk: int, now: float, cfg: ProducerConfig, future: RecordFuture):
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


class _Container:
    """One Kinesis record: a lone user record or an aggregate (KPL ``KinesisRecord``)."""

    __slots__ = ("items", "builder", "shard", "deadline", "expiration", "ready_at", "_data")

    def __init__(self, shard: str | None) -> None:
        self.items: list[_Pending] = []
        self.builder = AggregatedRecordBuilder()
        self.shard = shard
        self.deadline = math.inf
        self.expiration = math.inf
        self.ready_at = math.inf
        self._data: bytes | None = None

    def add(self, ur: _Pending) -> None:
        self.try_add(ur, math.inf)

    def try_add(self, ur: _Pending, limit: float) -> bool:
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


class _Aggregator:
    """Per-shard reducer of user records into containers (KPL ``Aggregator`` + ``Reducer``)."""

    __slots__ = ("shard", "current", "flush_at", "max_size", "max_count")

    def __init__(self, shard: str, cfg: ProducerConfig) -> None:
        self.shard = shard
        self.current: _Container | None = None
        self.flush_at = math.inf
        self.max_size = cfg.aggregation_max_size
        self.max_count = cfg.aggregation_max_count

    def add(self, ur: _Pending, now: float) -> list[_Container]:
        out = []
        cur = self.current
        if cur is None:
            cur = self.current = _Container(self.shard)
        if not cur.try_add(ur, self.max_size):
            out.append(self.take())
            cur = self.current = _Container(self.shard)
            cur.try_add(ur, self.max_size)
        if len(cur.items) >= self.max_count or cur.size >= self.max_size:
            out.append(self.take())
        else:
            self.flush_at = min(self.flush_at, max(cur.deadline, now + _MIN_BUFFER))
        return out

    def take(self) -> _Container:
        cur = self.current
        assert cur is not None
        self.current = None
        self.flush_at = math.inf
        return cur


class _Collector:
    """Batches containers into PutRecords requests (KPL ``Collector``)."""

    def __init__(self, cfg: ProducerConfig) -> None:
        self.max_count = min(cfg.collection_max_count, int(q.PUT_RECORDS_MAX_RECORDS))
        self.max_size = min(cfg.collection_max_size, int(q.PUT_RECORDS_MAX_BYTES))
        self.items: list[_Container] = []
        self.size = 0
        self.per_shard: dict[str, int] = {}
        self.trigger = False

    def __len__(self) -> int:
        return len(self.items)

    def add(self, c: _Container, now: float) -> None:
        c.ready_at = max(c.deadline, now + _MIN_BUFFER)
        self.items.append(c)
        billed = c.billed_size
        self.size += billed
        if c.shard is not None:
            held = self.per_shard.get(c.shard, 0) + billed
            self.per_shard[c.shard] = held
            if held >= _SHARD_FLUSH_BYTES:
                self.trigger = True
        if len(self.items) >= self.max_count or self.size >= self.max_size:
            self.trigger = True

    def force(self, now: float) -> None:
        for c in self.items:
            if c.ready_at > now:
                c.ready_at = now

    def next_time(self) -> float | None:
        if not self.items:
            return None
        return min(c.ready_at for c in self.items)

    def due(self, now: float) -> bool:
        return bool(self.items) and (self.trigger or self.next_time() <= now)  # type: ignore[operator]

    def take(self) -> list[_Container]:
        self.items.sort(key=lambda c: c.deadline)
        batch: list[_Container] = []
        size = 0
        for c in self.items:
            billed = c.billed_size
            if batch and (len(batch) >= self.max_count or size + billed > self.max_size):
                break
            batch.append(c)
            size += billed
        del self.items[: len(batch)]
        self.size -= size
        for c in batch:
            if c.shard is not None:
                self.per_shard[c.shard] -= c.billed_size
        self.trigger = len(self.items) >= self.max_count or self.size >= self.max_size or any(
            v >= _SHARD_FLUSH_BYTES for v in self.per_shard.values()
        )
        return batch


# --- the producer ----------------------------------------------------------------------------------
class KinesisProducer:
    """Put user records into one stream the way the KPL does. See the module docstring.

    >>> from labsim import Lab
    >>> with Lab() as lab:
    ...     kinesis = lab.client("kinesis")
    ...     _ = kinesis.create_stream(StreamName="clicks", ShardCount=1)
    ...     _ = lab.clock.advance(30)
    ...     with KinesisProducer("clicks", client=kinesis) as producer:
    ...         futures = [producer.put_record(b"click %d" % i, partition_key=f"user-{i}") for i in range(3)]
    ...     [(f.result().successful, f.result().sub_sequence_number) for f in futures]
    [(True, 0), (True, 1), (True, 2)]

    Arguments: ``stream_name``; ``client`` (a boto3 Kinesis client; default: the lab's, or
    ``boto3.client("kinesis")``); ``cloudwatch_client`` (default: the lab's, or one made lazily in
    the Kinesis client's Region, only if metrics are on); ``scheduler`` (see
    ``labsim.kpl.scheduler``); and any KPL setting in snake_case (``labsim.kpl.ProducerConfig``).
    """

    def __init__(
        self,
        stream_name: str,
        *,
        client: Any = None,
        cloudwatch_client: Any = None,
        scheduler: Any = None,
        **settings: Any,
    ) -> None:
        if not isinstance(stream_name, str) or not _STREAM_NAME.match(stream_name):
            raise ValueError(
                f"stream_name must be 1-128 characters of letters, digits, '_', '.' or '-', got {stream_name!r}"
            )
        self.config = ProducerConfig.from_kwargs(**settings)
        self.stream_name = stream_name
        lab = running_lab()
        if client is None:
            client = lab.client("kinesis") if lab is not None else _boto3_client("kinesis", None)
        self.client = client
        self._cloudwatch = cloudwatch_client
        self._own_scheduler = False
        if scheduler is None:
            if lab is not None:
                scheduler = lab.clock
            else:
                scheduler = ThreadScheduler(name=f"labsim-kpl-{stream_name}")
                self._own_scheduler = True
        self.scheduler = scheduler
        self.virtual = is_virtual(scheduler)

        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._closed = False
        self._outstanding = 0
        self._received = 0
        self._latest_expiration = 0.0
        self._aggregators: dict[str, _Aggregator] = {}
        self._limiters: dict[str, ShardLimiter] = {}
        self._collector = _Collector(self.config)
        self._force = False
        self._wake_at: float | None = None
        self._wake_task: Any = None
        self._wake_token = 0
        self._in_pump = False
        self._pump_thread: int | None = None
        self._notify_queue: list[tuple[RecordFuture, UserRecordResult]] = []
        self._settled: dict[str | None, tuple[list, list, list, list, list]] = {}
        #: Exceptions raised by done-callbacks (the producer caught them and carried on).
        self.callback_errors: list[BaseException] = []

        self.shard_map: ShardMap | None = None
        self._map_stale = False
        self._map_failures = 0
        self._map_retry_at = 0.0
        #: The last error met while reading the shard map (None after a successful read).
        self.shard_map_error: str | None = None
        self._refresh_shard_map(self.scheduler.now())

        cfg = self.config
        self._metrics = MetricsRecorder(cfg.metrics_level, cfg.metrics_granularity, cfg.metrics_namespace)
        self._metrics_task = None
        self._metrics_warned = False
        if cfg.metrics_level != "none":
            delay = cfg.metrics_upload_delay_ms / 1000.0
            self._metrics_task = scheduler.call_every(delay, self._upload_metrics, name=f"kpl-metrics-{stream_name}")

    # -- public API ---------------------------------------------------------------------------------
    def put_record(
        self,
        data: bytes,
        partition_key: str,
        explicit_hash_key: str | int | None = None,
    ) -> RecordFuture:
        """Buffer one user record; return a :class:`~labsim.kpl.futures.RecordFuture` at once.

        ``data``: bytes (at most ``max_user_record_size``). ``partition_key``: 1-256 characters.
        ``explicit_hash_key``: optional decimal string (or int) from 0 to 2**128 - 1 that picks
        the shard instead of the key's MD5.
        """
        if self._closed:
            raise ProducerClosedError(
                f"this producer for stream {self.stream_name!r} is closed: create a new KinesisProducer to put more records"
            )
        data = self._check_data(data)
        self._check_partition_key(partition_key)
        ehk = self._check_explicit_hash_key(explicit_hash_key)
        future = RecordFuture(self)
        with self._lock:
            now = self.scheduler.now()
            ur = _Pending(data, partition_key, ehk, hash_key_of(partition_key, ehk), now, self.config, future)
            self._outstanding += 1
            if ur.expiration > self._latest_expiration:
                self._latest_expiration = ur.expiration
            self._received += 1  # reported as UserRecordsReceived by the send loop
            self._admit(ur, now)
        return future

    def put_record_sync(self, data: bytes, partition_key: str, explicit_hash_key: str | int | None = None, timeout: float | None = None) -> UserRecordResult:
        """``put_record(...)`` then wait for its result (flushing, so it does not wait for the buffer)."""
        future = self.put_record(data, partition_key, explicit_hash_key)
        with self._lock:
            self._force = True
        self._schedule(self.scheduler.now())
        return future.result(timeout)

    def flush(self, timeout: float | None = None) -> None:
        """Send everything buffered now and return once every record put so far has settled.

        In a virtual-clock lab this moves simulated time forward as far as needed (at most the
        records' time to live). ``timeout`` (seconds; simulated in a virtual lab) bounds the wait;
        without it the wait ends at the latest when every record has succeeded or expired.
        """
        with self._lock:
            if self._outstanding == 0:
                return
            self._force = True
        self._schedule(self.scheduler.now())
        self._wait_until(lambda: self._outstanding == 0, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush, upload the last metrics and refuse further records. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush(timeout)
        finally:
            if self._metrics_task is not None:
                self._metrics_task.cancel()
                self._metrics_task = None
                self._upload_metrics()
            if self._own_scheduler and self._outstanding == 0:
                self.scheduler.close()

    def __enter__(self) -> "KinesisProducer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def outstanding_records(self) -> int:
        """User records put but not yet settled (buffered, in flight or waiting to be retried)."""
        return self._outstanding

    @property
    def closed(self) -> bool:
        return self._closed

    def metrics(self, detail: bool = False) -> Any:
        """Current values of the KPL metrics since the producer started (see ``labsim.kpl.metrics``).

        Default: ``{metric name: {"SampleCount", "Sum", "Minimum", "Maximum", "Average"}}`` over all
        streams and shards (``ErrorsByCode`` per code as ``"ErrorsByCode[<code>]"``). ``detail=True``
        gives one row per dimension combination (StreamName, ShardId, ErrorCode), like CloudWatch.
        These are kept whatever ``metrics_level`` says; the level only decides what is uploaded.
        """
        with self._lock:
            self._flush_received()
        return self._metrics.snapshot(detail)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<KinesisProducer stream={self.stream_name!r} {state} outstanding={self._outstanding}>"

    # -- validation ---------------------------------------------------------------------------------
    def _check_data(self, data: Any) -> bytes:
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            hint = " (encode text first, e.g. text.encode('utf-8'), or json.dumps(obj).encode())" if isinstance(data, str) else ""
            raise TypeError(f"data must be bytes, got {type(data).__name__}{hint}")
        limit = self.config.max_user_record_size
        if len(data) > limit:
            raise ValueError(
                f"data is {len(data):,} bytes but a user record may be at most {limit:,} bytes "
                f"(max_user_record_size; the KPL allows {q.KPL_MAX_USER_RECORD_BYTES_MIN:,} to {q.KPL_MAX_USER_RECORD_BYTES_MAX:,})"
            )
        return data

    @staticmethod
    def _check_partition_key(pk: Any) -> None:
        if not isinstance(pk, str):
            raise TypeError(f"partition_key must be a str of 1-256 characters, got {type(pk).__name__}")
        if not q.PARTITION_KEY_MIN_LENGTH <= len(pk) <= q.PARTITION_KEY_MAX_LENGTH:
            raise ValueError(f"partition_key must be 1-256 characters long, got {len(pk)} characters")

    @staticmethod
    def _check_explicit_hash_key(ehk: Any) -> str | None:
        if ehk is None:
            return None
        if isinstance(ehk, int) and not isinstance(ehk, bool):
            ehk = str(ehk)
        if not isinstance(ehk, str):
            raise TypeError(f"explicit_hash_key must be a decimal string (or int), got {type(ehk).__name__}")
        if not _EHK_PATTERN.match(ehk) or int(ehk) > MAX_HASH_KEY:
            raise ValueError(
                f"explicit_hash_key must be a decimal number from 0 to 2**128 - 1 "
                f"(340282366920938463463374607431768211455) without leading zeros, got {ehk!r}"
            )
        return ehk

    # -- buffering ----------------------------------------------------------------------------------
    def _admit(self, ur: _Pending, now: float) -> None:
        """Route a user record (new or retried) into the pipeline. Caller holds the lock."""
        shard = self.shard_map.shard_for(ur.hash_key) if self.shard_map is not None else None
        ur.shard = shard
        if shard is None or not self.config.aggregation_enabled:
            c = _Container(shard)
            c.add(ur)
            self._to_limiter(c, now)
            self._schedule_locked(now if shard is not None else c.ready_at)
            return
        agg = self._aggregators.get(shard)
        if agg is None:
            agg = self._aggregators[shard] = _Aggregator(shard, self.config)
        full = agg.add(ur, now)
        for c in full:
            self._to_limiter(c, now)
        self._schedule_locked(now if full else agg.flush_at)

    def _to_limiter(self, c: _Container, now: float) -> None:
        if c.shard is None:
            self._collector.add(c, now)  # unknown shard: the limiter cannot help (as in the KPL)
            return
        lim = self._limiters.get(c.shard)
        if lim is None:
            lim = self._limiters[c.shard] = ShardLimiter(c.shard, self.config.rate_multiplier, now)
        lim.put(c)

    # -- scheduling ---------------------------------------------------------------------------------
    def _schedule(self, when: float) -> None:
        with self._lock:
            self._schedule_locked(when)

    def _schedule_locked(self, when: float) -> None:
        if self._wake_at is not None and self._wake_at <= when:
            return
        if self._wake_task is not None:
            self._wake_task.cancel()
        self._wake_token += 1
        token = self._wake_token
        self._wake_at = when
        self._wake_task = self.scheduler.call_at(when, lambda: self._on_wake(token), name=f"kpl-send-{self.stream_name}")

    def _on_wake(self, token: int) -> None:
        with self._lock:
            if token != self._wake_token:
                return
            self._wake_at = None
            self._wake_task = None
        self._pump()

    def _next_event(self, now: float) -> float | None:
        times = [a.flush_at for a in self._aggregators.values() if a.current is not None]
        for lim in self._limiters.values():
            t = lim.next_event(now)
            if t is not None:
                times.append(t)
        t = self._collector.next_time()
        if t is not None:
            times.append(t if not self._collector.trigger else now)
        if not times:
            return None
        return min(times)

    # -- the send loop ------------------------------------------------------------------------------
    def _pump(self) -> None:
        """Do everything that is due now; then ask the scheduler to call again when needed."""
        if self._in_pump:
            return  # a nested clock advance (e.g. a retry back-off inside boto3) reached us again
        self._in_pump = True
        self._pump_thread = threading.get_ident()
        try:
            now = self.scheduler.now()
            self._maybe_refresh_shard_map(now)
            with self._lock:
                force, self._force = self._force, False
                if force:
                    for agg in self._aggregators.values():
                        if agg.current is not None:
                            self._to_limiter(agg.take(), now)
                self._flush_received()
                self._metrics.put("UserRecordsPending", self._outstanding, self.stream_name)
            first = True
            while True:
                with self._lock:
                    now = self.scheduler.now()
                    batch = self._next_batch(now, force and first)
                    first = False
                self._notify()
                if not batch:
                    break
                self._send(batch)
                self._notify()
                self._maybe_refresh_shard_map(self.scheduler.now())
            with self._lock:
                now = self.scheduler.now()
                nxt = self._next_event(now)
                if nxt is not None:
                    self._schedule_locked(max(nxt, now + _EPSILON) if nxt <= now else nxt)
        finally:
            self._in_pump = False
            self._pump_thread = None

    def _flush_received(self) -> None:
        if self._received:
            self._metrics.put_repeated("UserRecordsReceived", 1, self._received, self.stream_name)
            self._received = 0

    def _next_batch(self, now: float, force: bool) -> list[_Container] | None:
        for agg in self._aggregators.values():
            if agg.current is not None and agg.flush_at <= now:
                self._to_limiter(agg.take(), now)
        for lim in self._limiters.values():
            lim.expire(now, lambda c: self._fail_container(c, now, now, "Expired", "Record has reached expiration"))
            lim.drain(now, lambda c: self._collector.add(c, now))
        if force:
            self._collector.force(now)
        if self._collector.due(now):
            return self._collector.take()
        return None

    def _send(self, batch: list[_Container]) -> None:
        request = [
            {"Data": c.data, "PartitionKey": c.partition_key, "ExplicitHashKey": c.explicit_hash_key} for c in batch
        ]
        start = self.scheduler.now()
        response = None
        code = message = None
        try:
            response = self.client.put_records(StreamName=self.stream_name, Records=request)
        except Exception as exc:  # the whole request failed: every record in it is retried
            code, message = _error_of(exc)
        end = self.scheduler.now()
        stream = self.stream_name
        m = self._metrics
        with self._lock:
            users = 0
            for c in batch:
                m.put("UserRecordsPerKinesisRecord", len(c.items), stream, c.shard)
                users += len(c.items)
            m.put("RequestTime", (end - start) * 1000.0, stream)
            m.put("KinesisRecordsPerPutRecordsRequest", len(batch), stream)
            m.put("UserRecordsPerPutRecordsRequest", users, stream)
            if response is None:
                m.put("ErrorsByCode", 1, stream, error_code=code)
                m.put("AllErrors", 1, stream)
                for c in batch:
                    self._retry_or_fail(c.items, start, end, code or "Unknown", message or "")
                return
            results = response.get("Records", [])
            if len(results) != len(batch):
                msg = f"PutRecords answered {len(results)} records for {len(batch)} sent"
                for c in batch:
                    self._fail_container(c, start, end, "Record Count Mismatch", msg)
                return
        wrong: list[tuple[_Container, int, dict[str, Any]]] = []
        with self._lock:
            for i, (c, res) in enumerate(zip(batch, results)):
                seq = res.get("SequenceNumber")
                if seq:
                    m.put("KinesisRecordsPut", 1, stream, c.shard)
                    m.put("KinesisRecordsDataPut", c.size, stream, c.shard)
                    m.put("AllErrors", 0, stream, c.shard)
                    if c.shard is not None and res.get("ShardId") != c.shard and self.config.aggregation_enabled:
                        wrong.append((c, i, res))
                    else:
                        self._succeed_container(c, res, start, end)
                else:
                    err = res.get("ErrorCode") or "Unknown"
                    m.put("KinesisRecordsPut", 0, stream, c.shard)
                    m.put("ErrorsByCode", 1, stream, c.shard, error_code=err)
                    m.put("AllErrors", 1, stream, c.shard)
                    self._retry_or_fail(c.items, start, end, err, res.get("ErrorMessage") or "")
        if wrong:
            self._handle_wrong_shard(wrong, start, end)

    def _handle_wrong_shard(self, wrong: list[tuple[_Container, int, dict[str, Any]]], start: float, end: float) -> None:
        """Some containers landed in a shard we did not predict: the shard map has changed."""
        smap = self.shard_map
        if smap is None or any(res.get("ShardId") not in smap.ranges for _, _, res in wrong):
            # The landing shard is new to us: read the map now, so we can tell which user records
            # really belong there (the KPL retries them all, which can duplicate records).
            self._refresh_shard_map(self.scheduler.now())
            smap = self.shard_map
        else:
            with self._lock:
                self._map_stale = True  # re-read at the next turn of the send loop
        with self._lock:
            for c, _, res in wrong:
                actual = res["ShardId"]
                bad = []
                seq = res["SequenceNumber"]
                aggregated = len(c.items) > 1
                for idx, ur in enumerate(c.items):
                    if smap is not None and smap.contains(actual, ur.hash_key):
                        self._finish_success(ur, actual, seq, idx if aggregated else 0, start, end)
                    else:
                        bad.append(ur)
                if bad:
                    self._retry_or_fail(
                        bad, start, end, "Wrong Shard",
                        f"Record did not end up in expected shard: it was predicted for {c.shard} but landed in {actual}",
                    )

    def _succeed_container(self, c: _Container, res: dict[str, Any], start: float, end: float) -> None:
        aggregated = len(c.items) > 1
        seq, shard = res["SequenceNumber"], res.get("ShardId")
        for idx, ur in enumerate(c.items):
            self._finish_success(ur, shard, seq, idx if aggregated else 0, start, end)

    def _retry_or_fail(self, items: Iterable[_Pending], start: float, end: float, code: str, message: str) -> None:
        now = self.scheduler.now()
        half = self.config.record_max_buffered_time_ms / 2000.0
        for ur in items:
            if self.config.fail_if_throttled and code == THROTTLED:
                self._finish_failure(ur, start, end, code, message)
                continue
            ur.attempts.append(_attempt(ur, start, end, False, code, message))
            ur.last_end = end
            if now >= ur.expiration:
                self._finish_failure(ur, now, now, "Expired", "Record has reached expiration")
            else:
                ur.deadline = min(now + half, ur.expiration)
                self._admit(ur, now)

    def _fail_container(self, c: _Container, start: float, end: float, code: str, message: str) -> None:
        for ur in c.items:
            self._finish_failure(ur, start, end, code, message)

    # -- settling -----------------------------------------------------------------------------------
    def _finish_success(self, ur: _Pending, shard: str | None, seq: str, sub: int, start: float, end: float) -> None:
        ur.attempts.append(_attempt(ur, start, end, True, shard_id=shard, sequence_number=seq))
        result = UserRecordResult(True, seq, sub, shard, tuple(ur.attempts), ur.partition_key, ur.explicit_hash_key)
        self._settle(ur, result, shard)

    def _finish_failure(self, ur: _Pending, start: float, end: float, code: str, message: str) -> None:
        ur.attempts.append(_attempt(ur, start, end, False, code, message))
        result = UserRecordResult(False, None, None, None, tuple(ur.attempts), ur.partition_key, ur.explicit_hash_key)
        self._settle(ur, result, ur.shard)

    def _settle(self, ur: _Pending, result: UserRecordResult, shard: str | None) -> None:
        # Per-record metrics are gathered here and recorded in bulk by _notify (it is much faster).
        acc = self._settled.get(shard)
        if acc is None:
            acc = self._settled[shard] = ([], [], [], [], [0])
        put_ok, data_sizes, buffering, retries, expired = acc
        attempts = result.attempts
        if result.successful:
            put_ok.append(1)
            data_sizes.append(len(ur.data))
        else:
            put_ok.append(0)
            if attempts[-1].error_code == "Expired":
                expired[0] += 1
        last = ur.arrival
        for a in attempts:
            buffering.append((a.started_at - last) * 1000.0)
            last = a.ended_at
        retries.append(len(attempts) - 1)
        self._outstanding -= 1
        self._notify_queue.append((ur.future, result))

    def _record_settled(self) -> None:
        m, stream = self._metrics, self.stream_name
        for shard, (put_ok, data_sizes, buffering, retries, expired) in self._settled.items():
            m.put_many("UserRecordsPut", put_ok, stream, shard)
            m.put_many("UserRecordsDataPut", data_sizes, stream, shard)
            m.put_many("BufferingTime", buffering, stream, shard)
            m.put_many("RetriesPerRecord", retries, stream, shard)
            m.put_repeated("UserRecordExpired", 1, expired[0], stream, shard)
        self._settled = {}

    def _notify(self) -> None:
        """Record metrics, settle futures and run their callbacks (callbacks outside the lock)."""
        with self._lock:
            self._record_settled()
            queue, self._notify_queue = self._notify_queue, []
        for future, result in queue:
            for fn in future._set(result):
                self._run_callback(fn, future)
        if queue and self._outstanding == 0:
            with self._lock:
                self._idle.notify_all()

    def _run_callback(self, fn: Callable[[RecordFuture], Any], future: RecordFuture) -> None:
        try:
            fn(future)
        except Exception as exc:  # a learner's callback must not break the producer
            self.callback_errors.append(exc)
            warn_callback(exc)

    # -- waiting ------------------------------------------------------------------------------------
    def _wait_for(self, future: RecordFuture, timeout: float | None) -> None:
        if self.virtual or future.done():
            self._wait_until(future.done, timeout)
        else:
            self._check_not_on_send_loop()
            future._wait_real(timeout)

    def _wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> None:
        if predicate():
            return
        self._check_not_on_send_loop()
        if self.virtual:
            self._drive(predicate, timeout)
            return
        deadline = None if timeout is None else self.scheduler.now() + timeout
        with self._idle:
            while not predicate():
                left = None if deadline is None else deadline - self.scheduler.now()
                if left is not None and left <= 0:
                    return
                self._idle.wait(0.05 if left is None else min(left, 0.05))
                if self._wake_at is None and self._outstanding and not self._in_pump:
                    self._schedule_locked(self.scheduler.now())

    def _check_not_on_send_loop(self) -> None:
        if self._pump_thread == threading.get_ident() or (
            isinstance(self.scheduler, ThreadScheduler) and self.scheduler.on_own_thread()
        ):
            raise RuntimeError(
                "do not wait for records (result(), flush(), close()) inside a done-callback: the callback runs "
                "on the producer's send loop, which would then wait for itself. Chain work with add_done_callback instead."
            )

    def _drive(self, predicate: Callable[[], bool], timeout: float | None) -> None:
        """Virtual clock: advance simulated time, one step of the send loop at a time."""
        clock = self.scheduler
        start = clock.now()
        while not predicate():
            now = clock.now()
            limit = start + timeout if timeout is not None else self._latest_expiration + 1.0
            with self._lock:
                if self._wake_at is None:
                    if self._outstanding == 0:
                        return
                    self._schedule_locked(now)
                nxt = self._wake_at
            assert nxt is not None
            if nxt > limit:
                if limit > now:
                    clock.advance(limit - now)
                return
            clock.advance(max(0.0, nxt - now))

    # -- shard map ----------------------------------------------------------------------------------
    def _maybe_refresh_shard_map(self, now: float) -> None:
        smap = self.shard_map
        if smap is None:
            if now >= self._map_retry_at:
                self._refresh_shard_map(now)
        elif self._map_stale or (smap.fetched_at is not None and now - smap.fetched_at >= self.config.shard_map_refresh_s):
            self._refresh_shard_map(now)

    def _refresh_shard_map(self, now: float) -> None:
        try:
            new = ShardMap.fetch(self.client, self.stream_name, now)
        except Exception as exc:
            code, message = _error_of(exc)
            with self._lock:
                self.shard_map_error = f"{code}: {message}"
                self._map_failures += 1
                self._map_retry_at = now + min(30.0, 2.0 ** (self._map_failures - 1))
            return
        if not len(new):
            with self._lock:
                self.shard_map_error = "ListShards returned no open shard"
                self._map_failures += 1
                self._map_retry_at = now + min(30.0, 2.0 ** (self._map_failures - 1))
            return
        with self._lock:
            old = self.shard_map
            self.shard_map = new
            self.shard_map_error = None
            self._map_failures = 0
            self._map_stale = False
            if old is not None and old.ranges != new.ranges:
                self._regroup(now)

    def _regroup(self, now: float) -> None:
        """The shards changed: put buffered user records into the aggregators of their new shards."""
        pending: list[_Pending] = []
        for agg in self._aggregators.values():
            if agg.current is not None:
                pending.extend(agg.take().items)
        self._aggregators = {sid: a for sid, a in self._aggregators.items() if sid in self.shard_map.shard_ids}  # type: ignore[union-attr]
        for ur in pending:
            self._admit(ur, now)

    # -- metrics upload -----------------------------------------------------------------------------
    def _upload_metrics(self) -> None:
        try:
            client = self._cloudwatch
            if client is None:
                lab = running_lab()
                client = lab.client("cloudwatch") if lab is not None else _boto3_client("cloudwatch", self.client)
                self._cloudwatch = client
            with self._lock:
                self._flush_received()
            when = _dt.datetime.fromtimestamp(self.scheduler.now(), tz=_dt.timezone.utc)
            self._metrics.upload(client, when)
        except Exception as exc:  # metrics must never stop the producer
            code, message = _error_of(exc)
            self._metrics.upload_errors.append(f"{code}: {message}")
            if not self._metrics_warned:
                self._metrics_warned = True
                warnings.warn(f"labsim.kpl: metrics upload to CloudWatch failed ({code}: {message}); records are unaffected", stacklevel=2)


def _attempt(
    ur: _Pending, start: float, end: float, success: bool, code: str | None = None, message: str | None = None,
    shard_id: str | None = None, sequence_number: str | None = None,
) -> Attempt:
    return Attempt(
        started_at=start,
        ended_at=end,
        delay_ms=max(0.0, (start - ur.last_end) * 1000.0),
        duration_ms=(end - start) * 1000.0,
        success=success,
        error_code=code,
        error_message=message,
        shard_id=shard_id,
        sequence_number=sequence_number,
    )


def _error_of(exc: BaseException) -> tuple[str, str]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return str(err.get("Code") or type(exc).__name__), str(err.get("Message") or exc)
    return type(exc).__name__, str(exc)


def _boto3_client(service: str, like: Any) -> Any:
    import boto3

    region = getattr(getattr(like, "meta", None), "region_name", None)
    return boto3.client(service, region_name=region) if region else boto3.client(service)
