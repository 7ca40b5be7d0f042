"""The retrier: what happens to each user record once PutRecords has answered (KPL ``Retrier``).

- **Success** in the predicted shard: every user record in the Kinesis record succeeds, with the
  entry's shard and sequence number and its own sub-sequence number (its place in the aggregate).
- **Failure** of an entry (throttling, ``InternalFailure``) or of the whole request: each user
  record goes back into the pipeline with a new deadline of half ``record_max_buffered_time_ms``
  (no back-off curve), unless its ``record_ttl_ms`` has run out (it fails with ``Expired``) or
  ``fail_if_throttled`` is set and the error is a throttle (it fails at once). kinesis-facts 4.4.
- **Wrong Shard**: the entry succeeded but landed in a shard other than the predicted one (the
  stream was resharded). The user records that belong where they landed succeed; the others are
  retried as ``Wrong Shard`` (consumers drop the copies that landed in the wrong shard: see
  ``deaggregate(max_key_range=)``), and the producer re-reads its shard map.

The retrier keeps no state of its own: it is handed the records and calls back into the producer
to put a record back (``put_back``) and to settle it (:class:`~labsim.kpl.outcomes.Outcomes`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .config import ProducerConfig
from .errors import EXPIRED, EXPIRED_MESSAGE, THROTTLED, WRONG_SHARD
from .metrics import MetricsRecorder
from .outcomes import Outcomes
from .records import KinesisRecord, PendingUserRecord
from .shard_map import ShardMap

__all__ = ["Retrier", "WrongShard"]

#: A Kinesis record that landed in a shard it was not predicted for, with its PutRecords result.
WrongShard = tuple[KinesisRecord, dict[str, Any]]


class Retrier:
    """Settles or re-queues the user records of one answered PutRecords request."""

    __slots__ = ("cfg", "stream", "metrics", "outcomes", "put_back")

    def __init__(
        self, cfg: ProducerConfig, stream: str, metrics: MetricsRecorder, outcomes: Outcomes,
        put_back: Callable[[PendingUserRecord, float], None],
    ) -> None:
        self.cfg = cfg
        self.stream = stream
        self.metrics = metrics
        self.outcomes = outcomes
        self.put_back = put_back

    def request_failed(self, batch: list[KinesisRecord], start: float, end: float, code: str, message: str, now: float) -> None:
        """The whole request failed (an exception instead of a response): every record is retried."""
        self._request_metrics(batch, start, end)
        self.metrics.put("ErrorsByCode", 1, self.stream, error_code=code)
        self.metrics.put("AllErrors", 1, self.stream)
        for k in batch:
            self.retry_or_fail(k.items, start, end, code, message, now)

    def answered(
        self, batch: list[KinesisRecord], results: list[dict[str, Any]], start: float, end: float, now: float,
    ) -> list[WrongShard]:
        """Handle each entry's result; return those that landed in an unexpected shard (for ``wrong_shard``)."""
        self._request_metrics(batch, start, end)
        if len(results) != len(batch):
            msg = f"PutRecords answered {len(results)} records for {len(batch)} sent"
            for k in batch:
                for ur in k.items:
                    self.outcomes.fail(ur, start, end, "Record Count Mismatch", msg)
            return []
        m, stream = self.metrics, self.stream
        wrong: list[WrongShard] = []
        for k, res in zip(batch, results):
            seq = res.get("SequenceNumber")
            if seq:
                m.put("KinesisRecordsPut", 1, stream, k.shard)
                m.put("KinesisRecordsDataPut", k.size, stream, k.shard)
                m.put("AllErrors", 0, stream, k.shard)
                if k.shard is not None and res.get("ShardId") != k.shard and self.cfg.aggregation_enabled:
                    wrong.append((k, res))
                else:
                    self._succeed(k, res, start, end)
            else:
                err = res.get("ErrorCode") or "Unknown"
                m.put("KinesisRecordsPut", 0, stream, k.shard)
                m.put("ErrorsByCode", 1, stream, k.shard, error_code=err)
                m.put("AllErrors", 1, stream, k.shard)
                self.retry_or_fail(k.items, start, end, err, res.get("ErrorMessage") or "", now)
        return wrong

    def wrong_shard(self, wrong: list[WrongShard], smap: ShardMap | None, start: float, end: float, now: float) -> None:
        """Keep the user records that belong where their aggregate landed; retry the others."""
        for k, res in wrong:
            actual = res["ShardId"]
            seq = res["SequenceNumber"]
            aggregated = len(k.items) > 1
            bad = []
            for idx, ur in enumerate(k.items):
                if smap is not None and smap.contains(actual, ur.hash_key):
                    self.outcomes.succeed(ur, actual, seq, idx if aggregated else 0, start, end)
                else:
                    bad.append(ur)
            if bad:
                self.retry_or_fail(
                    bad, start, end, WRONG_SHARD,
                    f"Record did not end up in expected shard: it was predicted for {k.shard} but landed in {actual}",
                    now,
                )

    def retry_or_fail(
        self, items: Iterable[PendingUserRecord], start: float, end: float, code: str, message: str, now: float,
    ) -> None:
        half = self.cfg.record_max_buffered_time_ms / 2000.0
        for ur in items:
            if self.cfg.fail_if_throttled and code == THROTTLED:
                self.outcomes.fail(ur, start, end, code, message)
                continue
            ur.attempts.append(ur.attempt(start, end, False, code, message))
            ur.last_end = end
            if now >= ur.expiration:
                self.outcomes.fail(ur, now, now, EXPIRED, EXPIRED_MESSAGE)
            else:
                ur.deadline = min(now + half, ur.expiration)
                self.put_back(ur, now)

    def _succeed(self, k: KinesisRecord, res: dict[str, Any], start: float, end: float) -> None:
        aggregated = len(k.items) > 1
        seq, shard = res["SequenceNumber"], res.get("ShardId")
        for idx, ur in enumerate(k.items):
            self.outcomes.succeed(ur, shard, seq, idx if aggregated else 0, start, end)

    def _request_metrics(self, batch: list[KinesisRecord], start: float, end: float) -> None:
        m, stream = self.metrics, self.stream
        users = 0
        for k in batch:
            m.put("UserRecordsPerKinesisRecord", len(k.items), stream, k.shard)
            users += len(k.items)
        m.put("RequestTime", (end - start) * 1000.0, stream)
        m.put("KinesisRecordsPerPutRecordsRequest", len(batch), stream)
        m.put("UserRecordsPerPutRecordsRequest", users, stream)
