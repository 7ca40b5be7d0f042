"""The delivery pipeline of one delivery stream: buffer -> [transforms] -> destination writer.

``Pipeline.add`` puts records in the buffer. The buffer is delivered when it holds ``SizeInMBs``
(measured before compression; the record that crosses the size is included, records are never
split) or when its oldest record has waited ``IntervalInSeconds``, whichever comes first
(kinesis-facts 7.3). The interval is a task on the lab clock, so nothing is delivered early.

A delivery goes through ``transforms`` (callables ``Batch -> Batch``; empty today: issue 12 plugs
Lambda and the built-in processors in here) and then the destination ``Writer``
(``labsim.firehose.destinations``). A failed delivery is retried with a back-off
(``quotas.FIREHOSE_RETRY_FIRST_SECONDS`` doubling up to ``FIREHOSE_RETRY_MAX_SECONDS``, labsim's
model) until the writer's retry window is over (24 h for S3, RetryOptions for HTTP endpoints; with a
Kinesis data stream as source, S3 delivery is retried while the stream would still hold the data);
then the writer's ``give_up`` runs (S3: data dropped and counted; HTTP: backed up to S3). While a
delivery is being retried, new records keep arriving in the buffer, which grows past its hint; the
first delivery after recovery carries the whole backlog in one bigger object, as Firehose raises its
buffer size to catch up.

Each second while data is waiting, ``<Destination>.DataFreshness`` (age of the oldest undelivered
record) is published, so a chart shows the saw-tooth of the buffering interval.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Protocol

from labsim import quotas


class Batch:
    """The records of one delivery attempt (data only; concatenated with no delimiter)."""

    __slots__ = ("records", "arrivals", "nbytes", "attempts", "first_attempt", "meta")

    def __init__(self, records: list[bytes], arrivals: list[float], nbytes: int, meta: list[Any] | None = None) -> None:
        self.records = records
        self.arrivals = arrivals
        self.nbytes = nbytes
        #: Per record: the Kinesis source's kinesisRecordMetadata (dict), or None (labsim.firehose.processing).
        self.meta = meta if meta is not None else [None] * len(records)
        self.attempts = 0
        self.first_attempt: float | None = None

    @property
    def oldest(self) -> float:
        return min(self.arrivals)

    def __len__(self) -> int:
        return len(self.records)


class Writer(Protocol):
    """A destination: ``deliver`` returns None on success or (error code, message)."""

    metric: str  # "DeliveryToS3", "DeliveryToHttpEndpoint"

    def retry_window(self) -> float: ...

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None: ...

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None: ...


class Buffer:
    __slots__ = ("records", "arrivals", "nbytes", "meta")

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self.arrivals: list[float] = []
        self.nbytes = 0
        self.meta: list[Any] = []

    def take(self) -> Batch:
        batch = Batch(self.records, self.arrivals, self.nbytes, self.meta)
        self.records, self.arrivals, self.nbytes, self.meta = [], [], 0, []
        return batch


class Pipeline:
    """One stream's buffer, its timers, and the writer it delivers to."""

    __slots__ = ("clock", "stream", "writer", "transforms", "metrics", "buffer", "size_limit", "interval",
                 "retrying", "timer", "retry_task", "ticker", "delivered", "dropped", "errors", "closed",
                 "on_idle", "lock", "source_retention")

    def __init__(self, clock: Any, stream: str, writer: Writer, size_limit: int, interval: float,
                 metrics: Any, transforms: list[Callable[[Batch], Batch]] | None = None) -> None:
        self.clock = clock
        self.stream = stream
        self.writer = writer
        self.transforms = transforms or []
        self.metrics = metrics
        self.buffer = Buffer()
        self.size_limit = size_limit
        self.interval = interval
        self.retrying: Batch | None = None
        self.timer: Any = None
        self.retry_task: Any = None
        self.ticker: Any = None
        self.delivered = 0  # records
        self.dropped = 0
        #: (lab time, error code, message) of every failed attempt, newest last.
        self.errors: list[tuple[float, str, str]] = []
        self.closed = False
        self.on_idle: Callable[[], None] | None = None
        # Producers on other threads (a Kinesis Agent, a learner's thread pool) add while the clock's
        # thread flushes; re-entrant because a size-triggered flush runs inside add().
        self.lock = threading.RLock()
        #: Set for a Kinesis data stream source: S3 delivery is retried as long as the source keeps the
        #: data (its retention, counted from the record's arrival in the stream), not a fixed 24 h.
        self.source_retention: float | None = None

    # -- intake ----------------------------------------------------------------------------------
    def add(self, records: list[bytes], arrivals: list[float], nbytes: int, meta: list[Any] | None = None) -> None:
        with self.lock:
            self._add(records, arrivals, nbytes, meta)

    def _add(self, records: list[bytes], arrivals: list[float], nbytes: int, meta: list[Any] | None = None) -> None:
        buf = self.buffer
        was_empty = not buf.records
        buf.records.extend(records)
        buf.meta.extend(meta if meta is not None else [None] * len(records))
        buf.arrivals.extend(arrivals)
        buf.nbytes += nbytes
        now = self.clock.now()
        if was_empty and records:
            self._start_ticker(now)
        if self.retrying is not None:
            return  # backlog: the buffer grows until the destination recovers
        if buf.nbytes >= self.size_limit:
            self.flush()
        elif was_empty and records:
            due = max(now, min(arrivals) + self.interval)
            self.timer = self.clock.call_at(due, self.flush, name=f"firehose-interval:{self.stream}")

    def waiting_records(self) -> int:
        return len(self.buffer.records) + (len(self.retrying) if self.retrying is not None else 0)

    def oldest_waiting(self) -> float | None:
        times = []
        if self.buffer.arrivals:
            times.append(min(self.buffer.arrivals))
        if self.retrying is not None:
            times.append(self.retrying.oldest)
        return min(times) if times else None

    # -- delivery --------------------------------------------------------------------------------
    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.retrying is not None or not self.buffer.records:
            return
        batch = self.buffer.take()
        for transform in self.transforms:
            batch = transform(batch)
        self._attempt(batch)

    def _attempt(self, batch: Batch) -> None:
        now = self.clock.now()
        if batch.first_attempt is None:
            batch.first_attempt = now
        batch.attempts += 1
        error = self.writer.deliver(batch, now)
        if self.writer.metric:  # a processing stage (labsim.firehose.transform) reports its own metrics
            self.metrics.add(now, self.stream, f"{self.writer.metric}.Success", 0.0 if error else 1.0)
        if error is None:
            self.retrying = None
            self.delivered += len(batch)
            self._after_delivery(now)
            return
        self.errors.append((now, error[0], error[1]))
        batch = self._age_out(batch, now, error)
        if batch is None or self._expired(batch, now):
            if batch is not None:
                self.writer.give_up(batch, now, error)
                self.dropped += len(batch)
            self.retrying = None
            self._after_delivery(now)
            return
        self.retrying = batch
        backoff = min(quotas.FIREHOSE_RETRY_MAX_SECONDS, quotas.FIREHOSE_RETRY_FIRST_SECONDS * 2 ** min(batch.attempts - 1, 30))
        deadline = (batch.oldest + self.source_retention if self.source_retention is not None and self.writer.metric == "DeliveryToS3"
                    else batch.first_attempt + self.writer.retry_window())
        backoff = min(backoff, deadline - now)  # the last try falls on the deadline
        self.retry_task = self.clock.call_at(now + backoff, lambda: self._retry(batch), name=f"firehose-retry:{self.stream}")

    def _retry(self, batch: Batch) -> None:
        with self.lock:
            self._attempt(batch)

    def _age_out(self, batch: Batch, now: float, error: tuple[str, str]) -> Batch | None:
        """With a stream as source, records older than its retention are gone from it: drop those only."""
        if self.source_retention is None or self.writer.metric != "DeliveryToS3":
            return batch
        keep = [i for i, t in enumerate(batch.arrivals) if now - t < self.source_retention]
        if len(keep) == len(batch):
            return batch
        kept = set(keep)
        gone = [i for i in range(len(batch)) if i not in kept]
        expired = Batch([batch.records[i] for i in gone], [batch.arrivals[i] for i in gone],
                        sum(len(batch.records[i]) for i in gone))
        expired.attempts, expired.first_attempt = batch.attempts, batch.first_attempt
        self.writer.give_up(expired, now, error)
        self.dropped += len(expired)
        if not keep:
            return None
        rest = Batch([batch.records[i] for i in keep], [batch.arrivals[i] for i in keep], batch.nbytes - expired.nbytes)
        rest.attempts, rest.first_attempt = batch.attempts, batch.first_attempt
        return rest

    def _expired(self, batch: Batch, now: float) -> bool:
        if self.source_retention is not None and self.writer.metric == "DeliveryToS3":
            return now - batch.oldest >= self.source_retention
        return now - batch.first_attempt >= self.writer.retry_window()

    def _after_delivery(self, now: float) -> None:
        buf = self.buffer
        if not buf.records:
            self._stop_ticker()
            if self.on_idle is not None:
                self.on_idle()
            return
        if buf.nbytes >= self.size_limit or min(buf.arrivals) + self.interval <= now:
            self.timer = self.clock.call_at(now, self.flush, name=f"firehose-backlog:{self.stream}")
        elif self.timer is None:
            self.timer = self.clock.call_at(min(buf.arrivals) + self.interval, self.flush,
                                            name=f"firehose-interval:{self.stream}")

    def close(self) -> None:
        """Deliver what is buffered now (DeleteDeliveryStream, UpdateDestination), then stop timers."""
        with self.lock:
            self._flush()
            for task in (self.timer, self.ticker):
                if task is not None:
                    task.cancel()
            self.timer = self.ticker = None
            self.closed = True

    # -- freshness -------------------------------------------------------------------------------
    def _start_ticker(self, now: float) -> None:
        if self.ticker is None:
            first = (math.floor(now) + 1) - now
            self.ticker = self.clock.call_every(1.0, self._tick, name=f"firehose-freshness:{self.stream}", first=first)

    def _stop_ticker(self) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
            self.ticker = None

    def _tick(self) -> None:
        oldest = self.oldest_waiting()
        if oldest is None:
            self._stop_ticker()
            return
        now = self.clock.now()
        if self.writer.metric:
            self.metrics.add(now, self.stream, f"{self.writer.metric}.DataFreshness", max(0.0, now - oldest))
