"""Settling user records: their results, their per-record metrics, then their futures.

A user record settles once, as a success (shard, sequence number, sub-sequence number) or a
failure (the last error code). :class:`Outcomes` builds the :class:`~labsim.kpl.futures.UserRecordResult`
at once but defers the rest: the per-record metrics (``UserRecordsPut``, ``UserRecordsDataPut``,
``BufferingTime``, ``RetriesPerRecord``, ``UserRecordExpired``) are recorded in bulk, and the
futures are set and their callbacks run by the producer outside its lock (``take()``), so a
callback may put more records.
"""

from __future__ import annotations

from .futures import RecordFuture, UserRecordResult
from .metrics import MetricsRecorder
from .records import PendingUserRecord

__all__ = ["Outcomes"]


class _ShardTally:
    """Per-record metric values gathered for one shard since the last ``record_metrics``."""

    __slots__ = ("put_ok", "data_sizes", "buffering", "retries", "expired")

    def __init__(self) -> None:
        self.put_ok: list[int] = []
        self.data_sizes: list[int] = []
        self.buffering: list[float] = []
        self.retries: list[int] = []
        self.expired = 0


class Outcomes:
    """Results waiting to be handed to their futures, and the count of records settled so far."""

    __slots__ = ("_ready", "_tallies", "settled")

    def __init__(self) -> None:
        self._ready: list[tuple[RecordFuture, UserRecordResult]] = []
        self._tallies: dict[str | None, _ShardTally] = {}
        self.settled = 0

    def succeed(self, ur: PendingUserRecord, shard: str | None, seq: str, sub: int, start: float, end: float) -> None:
        ur.attempts.append(ur.attempt(start, end, True, shard_id=shard, sequence_number=seq))
        result = UserRecordResult(True, seq, sub, shard, tuple(ur.attempts), ur.partition_key, ur.explicit_hash_key)
        self._settle(ur, result, shard)

    def fail(self, ur: PendingUserRecord, start: float, end: float, code: str, message: str) -> None:
        ur.attempts.append(ur.attempt(start, end, False, code, message))
        result = UserRecordResult(False, None, None, None, tuple(ur.attempts), ur.partition_key, ur.explicit_hash_key)
        self._settle(ur, result, ur.shard)

    def _settle(self, ur: PendingUserRecord, result: UserRecordResult, shard: str | None) -> None:
        tally = self._tallies.get(shard)
        if tally is None:
            tally = self._tallies[shard] = _ShardTally()
        attempts = result.attempts
        if result.successful:
            tally.put_ok.append(1)
            tally.data_sizes.append(len(ur.data))
        else:
            tally.put_ok.append(0)
            if attempts[-1].error_code == "Expired":
                tally.expired += 1
        last = ur.arrival
        for a in attempts:
            tally.buffering.append((a.started_at - last) * 1000.0)
            last = a.ended_at
        tally.retries.append(len(attempts) - 1)
        self.settled += 1
        self._ready.append((ur.future, result))

    def record_metrics(self, metrics: MetricsRecorder, stream: str) -> None:
        """Record the gathered per-record metrics in bulk (much faster than one by one)."""
        for shard, t in self._tallies.items():
            metrics.put_many("UserRecordsPut", t.put_ok, stream, shard)
            metrics.put_many("UserRecordsDataPut", t.data_sizes, stream, shard)
            metrics.put_many("BufferingTime", t.buffering, stream, shard)
            metrics.put_many("RetriesPerRecord", t.retries, stream, shard)
            metrics.put_repeated("UserRecordExpired", 1, t.expired, stream, shard)
        self._tallies = {}

    def take(self) -> list[tuple[RecordFuture, UserRecordResult]]:
        """The settled futures with their results, to be set outside the producer's lock."""
        ready, self._ready = self._ready, []
        return ready

    def __repr__(self) -> str:
        return f"<Outcomes settled={self.settled} waiting={len(self._ready)}>"
