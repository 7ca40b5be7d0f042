"""Buffers and sending for one flow (``tailing/SimplePublisher``, ``KinesisSender``, ``FirehoseSender``).

Records collect in a buffer until it holds ``maxBufferSizeRecords`` records, would pass
``maxBufferSizeBytes``, or its first record is ``maxBufferAgeMillis`` old. A full buffer goes to the
publish queue and is sent in one PutRecords (Kinesis) or PutRecordBatch (Firehose) call. When some
records fail, only those are sent again, after a back-off that doubles from
``retryInitialBackoffMillis`` up to ``retryMaxBackoffMillis`` (+/- 30 % jitter, from the lab's seed).
A buffer counts as sent only when every record of it is in; then, and only then, its end offset is
checkpointed, so checkpoints move forward in file order.
"""

from __future__ import annotations

import collections
import hashlib
import random
from typing import Any

from labsim import quotas as q

from .config import FlowConfig

COUNTERS = ("RecordsParsed", "RecordsSkipped", "RecordsTruncated", "DataProcessingErrors", "RecordSendAttempts",
            "RecordsSent", "RecordSendErrors", "BytesSent", "ServiceErrors", "BuffersSent", "ReadsPausedQueueFull")
#: The ones the Java senders publish to CloudWatch (``KinesisSender``/``FirehoseSender``).
CLOUDWATCH_METRICS = (("BytesSent", "Bytes"), ("RecordSendAttempts", "Count"), ("RecordSendErrors", "Count"),
                      ("RecordsSent", "Count"), ("ServiceErrors", "Count"))


class Position:
    """Where a buffer ends in its file: what a checkpoint records."""

    __slots__ = ("path", "file_id", "mtime_ms", "size", "offset")

    def __init__(self, path: str, file_id: str, mtime_ms: int, size: int, offset: int) -> None:
        self.path, self.file_id, self.mtime_ms, self.size, self.offset = path, file_id, mtime_ms, size, offset


class Buffer:
    """Records waiting to go out together, and the file position just after the last of them."""

    __slots__ = ("records", "bytes", "first_at", "end")

    def __init__(self) -> None:
        self.records: list[tuple[bytes, str | None]] = []
        self.bytes = 0
        self.first_at: float | None = None
        self.end: Position | None = None


class FlowSender:
    """Builds buffers from records and sends them with retries; reports which buffers completed."""

    __slots__ = ("flow", "client", "open", "queue", "failures", "retry_at", "counts", "rng", "_sent_since")

    def __init__(self, flow: FlowConfig, client: Any, rng: random.Random) -> None:
        self.flow, self.client, self.rng = flow, client, rng
        self.open = Buffer()
        self.queue: collections.deque[Buffer] = collections.deque()
        self.failures = 0
        self.retry_at = 0.0
        self.counts = dict.fromkeys(COUNTERS, 0)
        self._sent_since = dict.fromkeys(COUNTERS, 0)

    # -- building buffers ---------------------------------------------------------------------------
    def partition_key(self, data: bytes) -> str | None:
        if self.flow.kind != "kinesis":
            return None
        if self.flow.partition_key_option == "DETERMINISTIC":
            return hashlib.md5(data).hexdigest()
        return repr(self.rng.random() * q.AGENT_PARTITION_KEY_RANDOM_BOUND)  # "" + nextDouble(1000000)

    def truncate(self, data: bytes, key: str | None) -> bytes:
        """A record over the max record size keeps its head and ends with truncatedRecordTerminator."""
        key_len = len(key) if key else 0
        if len(data) + key_len <= self.flow.max_record_bytes:
            return data
        self.counts["RecordsTruncated"] += 1
        terminator = self.flow.truncated_record_terminator
        keep = self.flow.max_record_bytes - key_len - len(terminator)
        return data[:keep] + terminator

    def add(self, data: bytes, now: float, position: Position) -> None:
        key = self.partition_key(data)
        data = self.truncate(data, key)
        size = len(data) + (len(key) if key else 0)
        buf = self.open
        if buf.records and buf.bytes + size > self.flow.max_buffer_bytes:
            self.seal()
            buf = self.open
        if buf.first_at is None:
            buf.first_at = now
        buf.records.append((data, key))
        buf.bytes += size
        buf.end = position
        if len(buf.records) >= self.flow.max_buffer_records:
            self.seal()

    def mark(self, position: Position) -> None:
        """The buffer now covers the file up to ``position`` (also for records a converter dropped)."""
        self.open.end = position

    def seal(self) -> None:
        if self.open.records or self.open.end is not None:
            self.queue.append(self.open)
        self.open = Buffer()

    def seal_if_old(self, now: float) -> None:
        first = self.open.first_at
        if first is not None and (now - first) * 1000 >= self.flow.max_buffer_age_ms:
            self.seal()

    def queue_full(self) -> bool:
        return len(self.queue) >= self.flow.publish_queue_capacity

    # -- sending --------------------------------------------------------------------------------------
    def send_ready(self, now: float) -> list[Buffer]:
        """Send queued buffers in order until one must wait for a back-off; return those fully sent."""
        done: list[Buffer] = []
        while self.queue and now >= self.retry_at:
            buf = self.queue[0]
            if buf.records and not self._send(buf, now):
                break
            self.queue.popleft()
            self.counts["BuffersSent"] += 1
            done.append(buf)
        return done

    def _send(self, buf: Buffer, now: float) -> bool:
        """One call with the buffer's remaining records; True once none is left."""
        self.counts["RecordSendAttempts"] += len(buf.records)
        try:
            failed = self._call(buf.records)
        except Exception:  # throttled call, missing stream, ...: the whole request failed
            self.counts["ServiceErrors"] += 1
            self._back_off(now)
            return False
        sent = [r for i, r in enumerate(buf.records) if i not in failed]
        self.counts["RecordsSent"] += len(sent)
        self.counts["BytesSent"] += sum(len(d) + (len(k) if k else 0) for d, k in sent)
        self.counts["RecordSendErrors"] += len(failed)
        if failed:
            buf.records = [r for i, r in enumerate(buf.records) if i in failed]
            self._back_off(now)
            return False
        buf.records = []
        self.failures = 0
        return True

    def _call(self, records: list[tuple[bytes, str | None]]) -> set[int]:
        """The one API call; returns the indexes of the records that failed."""
        if self.flow.kind == "kinesis":
            response = self.client.put_records(
                StreamName=self.flow.destination, Records=[{"Data": d, "PartitionKey": k} for d, k in records])
            entries = response["Records"]
        else:
            response = self.client.put_record_batch(
                DeliveryStreamName=self.flow.destination, Records=[{"Data": d} for d, _ in records])
            entries = response["RequestResponses"]
        return {i for i, entry in enumerate(entries) if entry.get("ErrorCode")}

    def _back_off(self, now: float) -> None:
        self.failures += 1
        base = min(self.flow.retry_max_ms,
                   self.flow.retry_initial_ms * q.AGENT_BACKOFF_FACTOR ** (self.failures - 1))
        jitter = 1 + q.AGENT_BACKOFF_JITTER * (2 * self.rng.random() - 1)
        self.retry_at = now + base * jitter / 1000

    def take_metrics(self) -> dict[str, int]:
        """Counts since the last call (what one CloudWatch upload reports)."""
        delta = {k: self.counts[k] - self._sent_since[k] for k in COUNTERS}
        self._sent_since = dict(self.counts)
        return delta
