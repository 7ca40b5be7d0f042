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
3. **Rate-limit.** Each shard's token buckets let Kinesis records through at ``rate_limit`` % of
   1,000 records/s and 1 MiB/s; a record that has to wait leaves at one of the limiter's drains,
   every 25 ms (see ``labsim.kpl.limiter``).
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

Buffers hold a record until its deadline and no longer (there is no minimum wait: the "at least
50 ms" of KPL 0.9.0 was removed in 0.10.0, July 2015), and ``flush()`` sends everything buffered at
once (the limiter still applies).

Where each step lives: ``records`` (the user and Kinesis records in flight), ``aggregator``,
``limiter``, ``collector``, ``retrier``, ``outcomes`` (settling futures), ``shard_map``. This
module wires them into the send loop and holds the public API.

Time: every step runs on a scheduler (``labsim.kpl.scheduler``): the clock of the lab running when
the producer is made (or the ``scheduler=`` you pass), a real-time thread when there is no lab. The
lab is looked up once, at construction; a producer whose lab has stopped fails its records at once
with error code ``LabStopped`` and makes no network attempt. In a virtual-clock lab nothing is
sent until simulated time moves; ``flush()``, ``close()`` and ``future.result()`` move it for you,
so a notebook cell gives the same numbers every run.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
import warnings
import weakref
from typing import Any, Callable

from labsim import quotas as q
from labsim.lab import current_lab

from .aggregation import MAX_HASH_KEY, hash_key_of
from .aggregator import Aggregator
from .collector import Collector
from .config import ProducerConfig
from .errors import EXPIRED, EXPIRED_MESSAGE, LAB_STOPPED, ProducerClosedError, error_of, lab_stopped_message
from .futures import RecordFuture, UserRecordResult, warn_callback
from .limiter import Limiter
from .metrics import MetricsRecorder
from .outcomes import Outcomes
from .records import KinesisRecord, PendingUserRecord
from .retrier import Retrier
from .scheduler import ThreadScheduler, is_virtual
from .shard_map import ShardMap, ShardMapCache

__all__ = ["KinesisProducer", "ProducerClosedError"]

_EHK_PATTERN = re.compile(r"^(0|[1-9]\d{0,38})$")
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_EPSILON = 1e-3  # smallest step the send loop reschedules itself by


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
    the Kinesis client's Region, only if metrics are on); ``scheduler``: what runs the send loop
    and tells the time (default: the running lab's clock, taken once here; with no lab, a
    :class:`~labsim.kpl.scheduler.ThreadScheduler` in real time); and any KPL setting in
    snake_case (``labsim.kpl.ProducerConfig``).
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
        self.config = cfg = ProducerConfig.from_kwargs(**settings)
        self.stream_name = stream_name
        # The lab is looked up once, here: it gives the clock and the clients, and tells the
        # producer when it has stopped (then nothing may be sent).
        self._lab = lab = current_lab()
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
        self._accepted = 0  # user records put; outstanding = accepted - settled
        self._received = 0  # reported as UserRecordsReceived by the send loop
        self._latest_expiration = 0.0
        self._metrics = MetricsRecorder(cfg.metrics_level, cfg.metrics_granularity, cfg.metrics_namespace)
        self._outcomes = Outcomes()
        self._aggregator = Aggregator(cfg)
        self._limiter = Limiter(cfg.rate_multiplier)
        self._collector = Collector(cfg)
        self._retrier = Retrier(cfg, stream_name, self._metrics, self._outcomes, self._admit)
        self._shards = ShardMapCache(client, stream_name, cfg.shard_map_refresh_s)
        self._force = False
        self._wake_at: float | None = None
        self._wake_task: Any = None
        self._wake_token = 0
        self._in_pump = False
        self._pump_thread: int | None = None
        #: Exceptions raised by done-callbacks (the producer caught them and carried on).
        self.callback_errors: list[BaseException] = []
        self._refresh_shard_map(self.scheduler.now())

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
            ur = PendingUserRecord(data, partition_key, ehk, hash_key_of(partition_key, ehk), now, self.config, future)
            self._accepted += 1
            if ur.expiration > self._latest_expiration:
                self._latest_expiration = ur.expiration
            self._received += 1
            if self._lab_stopped():
                self._outcomes.fail(ur, now, now, LAB_STOPPED, lab_stopped_message(self.stream_name))
            else:
                self._admit(ur, now)
        if future.done() or self._lab_stopped():
            self._fail_all_if_lab_stopped()
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
        if self._fail_all_if_lab_stopped():
            return
        with self._lock:
            if self.outstanding_records == 0:
                return
            self._force = True
        self._schedule(self.scheduler.now())
        self._wait_until(lambda: self.outstanding_records == 0, timeout)

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
            if self._own_scheduler and self.outstanding_records == 0:
                self.scheduler.close()

    def __enter__(self) -> "KinesisProducer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def outstanding_records(self) -> int:
        """User records put but not yet settled (buffered, in flight or waiting to be retried)."""
        return self._accepted - self._outcomes.settled

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def shard_map(self) -> ShardMap | None:
        """The producer's current picture of the stream's open shards (``None`` until read)."""
        return self._shards.current

    @property
    def shard_map_error(self) -> str | None:
        """The last error met while reading the shard map (None after a successful read)."""
        return self._shards.error

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
        return f"<KinesisProducer stream={self.stream_name!r} {state} outstanding={self.outstanding_records}>"

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

    # -- the pipeline: aggregator -> limiter -> collector ---------------------------------------------
    def _admit(self, ur: PendingUserRecord, now: float) -> None:
        """Route a user record (new or retried) into the pipeline. Caller holds the lock."""
        smap = self._shards.current
        shard = smap.shard_for(ur.hash_key) if smap is not None else None
        ur.shard = shard
        if shard is None or not self.config.aggregation_enabled:
            k = KinesisRecord(shard)
            k.add(ur)
            self._to_limiter(k, now)
            self._schedule_locked(now if shard is not None else k.ready_at)
            return
        full = self._aggregator.add(ur, shard)
        for k in full:
            self._to_limiter(k, now)
        self._schedule_locked(now if full else self._aggregator.deadline_of(shard))

    def _to_limiter(self, k: KinesisRecord, now: float) -> None:
        if k.shard is None:
            self._collector.add(k)  # unknown shard: the limiter cannot help (as in the KPL)
        else:
            self._limiter.put(k, now)

    def _regroup(self, now: float) -> None:
        """The shards changed: put buffered user records into the aggregators of their new shards."""
        smap = self._shards.current
        for ur in self._aggregator.regroup(smap.shard_ids if smap is not None else ()):
            self._admit(ur, now)

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
        times = [t for t in (self._aggregator.next_deadline(), self._limiter.next_event(now)) if t is not None]
        t = self._collector.next_time()
        if t is not None:
            times.append(t if not self._collector.trigger else now)
        return min(times) if times else None

    # -- the send loop ------------------------------------------------------------------------------
    def _pump(self) -> None:
        """Do everything that is due now; then ask the scheduler to call again when needed."""
        if self._in_pump:
            return  # a nested clock advance (e.g. a retry back-off inside boto3) reached us again
        if self._fail_all_if_lab_stopped():
            return
        self._in_pump = True
        self._pump_thread = threading.get_ident()
        try:
            now = self.scheduler.now()
            self._maybe_refresh_shard_map(now)
            with self._lock:
                force, self._force = self._force, False
                if force:
                    for k in self._aggregator.take_all():
                        self._to_limiter(k, now)
                self._flush_received()
                self._metrics.put("UserRecordsPending", self.outstanding_records, self.stream_name)
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

    def _next_batch(self, now: float, force: bool) -> list[KinesisRecord] | None:
        for k in self._aggregator.take_due(now):
            self._to_limiter(k, now)
        self._limiter.release(now, lambda k: self._fail_all_in(k, now, EXPIRED, EXPIRED_MESSAGE), self._collector.add)
        if force:
            self._collector.force(now)
        if self._collector.due(now):
            return self._collector.take()
        return None

    def _send(self, batch: list[KinesisRecord]) -> None:
        start = self.scheduler.now()
        if self._lab_stopped():  # no network attempt: the lab's clients would reach for AWS
            with self._lock:
                for k in batch:
                    self._fail_all_in(k, start, LAB_STOPPED, lab_stopped_message(self.stream_name))
            return
        request = [k.entry() for k in batch]
        response = None
        code = message = ""
        try:
            response = self.client.put_records(StreamName=self.stream_name, Records=request)
        except Exception as exc:  # the whole request failed: every record in it is retried
            code, message = error_of(exc)
        end = self.scheduler.now()
        with self._lock:
            if response is None:
                self._retrier.request_failed(batch, start, end, code or "Unknown", message or "", self.scheduler.now())
                return
            wrong = self._retrier.answered(batch, response.get("Records", []), start, end, self.scheduler.now())
        if wrong:
            if self.shard_map is None or any(res.get("ShardId") not in self.shard_map.ranges for _, res in wrong):
                # The landing shard is new to us: read the map now, so we can tell which user records
                # really belong there (the KPL retries them all, which can duplicate records).
                self._refresh_shard_map(self.scheduler.now())
            else:
                with self._lock:
                    self._shards.stale = True  # re-read at the next turn of the send loop
            with self._lock:
                self._retrier.wrong_shard(wrong, self.shard_map, start, end, self.scheduler.now())

    def _fail_all_in(self, k: KinesisRecord, now: float, code: str, message: str) -> None:
        for ur in k.items:
            self._outcomes.fail(ur, now, now, code, message)

    # -- settling -----------------------------------------------------------------------------------
    def _notify(self) -> None:
        """Record metrics, settle futures and run their callbacks (callbacks outside the lock)."""
        with self._lock:
            self._outcomes.record_metrics(self._metrics, self.stream_name)
            ready = self._outcomes.take()
        for future, result in ready:
            for fn in future.set_result(result):
                self.run_callback(fn, future)
        if ready and self.outstanding_records == 0:
            with self._lock:
                self._idle.notify_all()

    def run_callback(self, fn: Callable[[RecordFuture], Any], future: RecordFuture) -> None:
        """Run a done-callback; an exception in it is kept in ``callback_errors`` and warned about."""
        try:
            fn(future)
        except Exception as exc:  # a learner's callback must not break the producer
            self.callback_errors.append(exc)
            warn_callback(exc)

    # -- a stopped lab ------------------------------------------------------------------------------
    def _lab_stopped(self) -> bool:
        return self._lab is not None and not self._lab.running

    def _fail_all_if_lab_stopped(self) -> bool:
        """If the producer's lab has stopped, fail every record still in the producer at once."""
        if not self._lab_stopped():
            return False
        with self._lock:
            now = self.scheduler.now()
            message = lab_stopped_message(self.stream_name)
            for k in self._aggregator.take_all() + self._limiter.take_all() + self._collector.take_all():
                self._fail_all_in(k, now, LAB_STOPPED, message)
            if self._wake_task is not None:
                self._wake_task.cancel()
            self._wake_task = self._wake_at = None
        self._notify()
        return True

    # -- waiting ------------------------------------------------------------------------------------
    def wait_for(self, future: RecordFuture, timeout: float | None) -> None:
        """What ``future.result(timeout)`` does: move a virtual clock, or block, until it settles."""
        if self._fail_all_if_lab_stopped():
            return
        if self.virtual or future.done():
            self._wait_until(future.done, timeout)
        else:
            self._check_not_on_send_loop()
            future.wait_settled(timeout)

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
                if self._fail_all_if_lab_stopped():
                    return
                if self._wake_at is None and self.outstanding_records and not self._in_pump:
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
            if self._fail_all_if_lab_stopped():
                return
            now = clock.now()
            limit = start + timeout if timeout is not None else self._latest_expiration + 1.0
            with self._lock:
                if self._wake_at is None:
                    if self.outstanding_records == 0:
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
        if self._shards.due(now):
            self._refresh_shard_map(now)

    def _refresh_shard_map(self, now: float) -> None:
        result = self._shards.read(now)  # ListShards, outside the lock
        with self._lock:
            if self._shards.apply(result, now):
                self._regroup(now)

    # -- metrics upload -----------------------------------------------------------------------------
    def _upload_metrics(self) -> None:
        if self._lab_stopped():
            self._metrics.upload_errors.append(f"{LAB_STOPPED}: {lab_stopped_message(self.stream_name)}")
            return
        try:
            client = self._cloudwatch
            if client is None:
                lab = self._lab
                client = _lab_cloudwatch(lab) if lab is not None else _boto3_client("cloudwatch", self.client)
                self._cloudwatch = client
            with self._lock:
                self._flush_received()
            when = _dt.datetime.fromtimestamp(self.scheduler.now(), tz=_dt.timezone.utc)
            self._metrics.upload(client, when)
        except Exception as exc:  # metrics must never stop the producer
            code, message = error_of(exc)
            self._metrics.upload_errors.append(f"{code}: {message}")
            if not self._metrics_warned:
                self._metrics_warned = True
                warnings.warn(f"labsim.kpl: metrics upload to CloudWatch failed ({code}: {message}); records are unaffected", stacklevel=2)


# One CloudWatch client per lab, shared by its producers: making a boto3 client costs far more than
# an upload, and a notebook may run dozens of producers. (boto3 clients are thread-safe.)
_CLOUDWATCH_BY_LAB: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def _lab_cloudwatch(lab: Any) -> Any:
    client = _CLOUDWATCH_BY_LAB.get(lab)
    if client is None:
        client = _CLOUDWATCH_BY_LAB[lab] = lab.client("cloudwatch")
    return client


def _boto3_client(service: str, like: Any) -> Any:
    import boto3

    region = getattr(getattr(like, "meta", None), "region_name", None)
    return boto3.client(service, region_name=region) if region else boto3.client(service)
