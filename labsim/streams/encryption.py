"""Kinesis server-side encryption with KMS: Start/StopStreamEncryption, and the key checks of reads and writes.

What the lab does (kinesis-facts 8.3 and 8.5):

- ``StartStreamEncryption(EncryptionType="KMS", KeyId=...)`` takes a key id, key ARN, alias name,
  alias ARN, or the AWS managed ``alias/aws/kinesis`` (created on first use). The stream goes
  UPDATING, then ACTIVE after ``quotas.SSE_UPDATING_SECONDS`` (the lab's model); reads and writes
  continue meanwhile. Records written from ACTIVE on are encrypted; records already stored are not
  re-encrypted, and records written after ``StopStreamEncryption`` are not encrypted.
- Start and stop each allow ``quotas.SSE_CHANGES_PER_DAY`` successful changes per stream per
  rolling 24 hours (``LimitExceededException`` after that).
- Writing to an encrypting stream needs ``kms:GenerateDataKey`` on the key, reading an encrypted
  record ``kms:Decrypt``. Kinesis asks KMS for a data key once per stream, caller credential and
  ``quotas.SSE_DATA_KEY_REUSE_SECONDS``, so a key disabled live is noticed when the cached data
  key is due for renewal (the lab's model of the documented 5-minute reuse), and each new
  credential costs KMS calls. KMS problems surface from PutRecord(s) and GetRecords (never from
  GetShardIterator) as KMSNotFoundException, KMSDisabledException, KMSInvalidStateException,
  KMSAccessDeniedException and KMSThrottlingException.

A stream keeps ``sse_spans``: ``(from_time, key_arn or None)`` in time order; a record's key is that
of the last span starting at or before its arrival. Streams that were never encrypted have none,
so the data plane pays one attribute test.
"""

from __future__ import annotations

from typing import Any

from labsim import iam, kms, quotas

from . import errors as E
from . import lifecycle
from .model import Stream

ADMIN = "admin"


def _error(problem: kms.KmsProblem) -> E.KinesisError:
    return E.KinesisError(problem.message, problem.error_type)


def key_at(spans: list[tuple[float, str | None]] | None, t: float) -> str | None:
    """The key ARN that encrypted a record arriving at ``t`` (None: stored unencrypted)."""
    key = None
    for start, arn in spans or ():
        if start > t:
            break
        key = arn
    return key


class StreamEncryption:
    """SSE for one ``LabKinesisBackend``: changes, the change limit, data-key use on the data plane."""

    __slots__ = ("backend", "changes", "data_keys")

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        #: (stream ARN, "start"|"stop") -> times of successful changes in the rolling window
        self.changes: dict[tuple[str, str], list[float]] = {}
        #: (stream ARN, caller, key ARN, operation) -> when the cached data key must be renewed
        self.data_keys: dict[tuple[str, str, str, str], float] = {}

    # -- control plane ------------------------------------------------------------------------------
    def _count_change(self, stream: Stream, kind: str, now: float) -> None:
        window = float(quotas.SSE_CHANGE_WINDOW_SECONDS)
        times = [t for t in self.changes.get((stream.arn, kind), []) if t > now - window]
        if len(times) >= quotas.SSE_CHANGES_PER_DAY:
            op = "StartStreamEncryption" if kind == "start" else "StopStreamEncryption"
            raise E.KinesisError(
                f"Exceeded the limit of {int(quotas.SSE_CHANGES_PER_DAY)} {op} calls for stream {stream.name} under "
                f"account {stream.account_id} in a rolling 24-hour period.", "LimitExceededException")
        times.append(now)
        self.changes[(stream.arn, kind)] = times

    def start(self, stream: Stream, encryption_type: Any, key_id: Any) -> None:
        backend = self.backend
        if encryption_type != "KMS":
            raise E.InvalidArgumentError(f"Encryption type {encryption_type} is not valid for StartStreamEncryption: use KMS.")
        if stream.status != "ACTIVE":
            raise E.stream_not_active(stream.name, backend.account_id, stream.status)
        try:
            key = kms.find_key(stream.account_id, stream.region, str(key_id))
            kms.use_key(backend.context, key, iam.current(), "DescribeKey", "kinesis", stream.region, backend.now())
        except kms.KmsProblem as problem:
            raise _error(problem) from None
        now = backend.now()
        self._count_change(stream, "start", now)
        stream.encryption_type = "KMS"
        stream.key_id = str(key_id)
        self._switch(stream, key.arn, now)

    def stop(self, stream: Stream, encryption_type: Any, key_id: Any) -> None:
        backend = self.backend
        if stream.status != "ACTIVE":
            raise E.stream_not_active(stream.name, backend.account_id, stream.status)
        now = backend.now()
        self._count_change(stream, "stop", now)
        stream.encryption_type = "NONE"
        stream.key_id = None
        self._switch(stream, None, now)

    def _switch(self, stream: Stream, key_arn: str | None, now: float) -> None:
        delay = float(quotas.SSE_UPDATING_SECONDS)
        lifecycle.begin_updating(self.backend.clock, stream, delay)
        spans = stream.sse_spans
        if spans is None:
            spans = stream.sse_spans = []
        spans.append((now + delay, key_arn))

    # -- data plane ---------------------------------------------------------------------------------
    def _use(self, stream: Stream, key_arn: str, operation: str, now: float) -> None:
        principal = iam.current()
        cache_key = (stream.arn, principal.arn if principal is not None else ADMIN, key_arn, operation)
        due = self.data_keys.get(cache_key)
        if due is not None and now < due:
            return
        try:
            key = kms.find_key(stream.account_id, stream.region, key_arn)
            kms.use_key(self.backend.context, key, principal, operation, "kinesis", stream.region, now)
        except kms.KmsProblem as problem:
            self.data_keys.pop(cache_key, None)
            raise _error(problem) from None
        self.data_keys[cache_key] = now + float(quotas.SSE_DATA_KEY_REUSE_SECONDS)


    def before_write(self, stream: Stream, now: float) -> None:
        """A write to a stream that has been encrypted: the caller needs a data key (GenerateDataKey)."""
        key = key_at(stream.sse_spans, now)
        if key is not None:
            self._use(stream, key, "GenerateDataKey", now)

    def before_read(self, stream: Stream, records: list[Any], now: float) -> None:
        """A read returning ``records``: each key that encrypted some of them must decrypt (Decrypt)."""
        if not records:
            return
        first, last = records[0].arrival, records[-1].arrival
        keys = {key_at(stream.sse_spans, first)}
        for start, arn in stream.sse_spans or ():
            if first < start <= last:
                keys.add(arn)
        for key in keys:
            if key is not None:
                self._use(stream, key, "Decrypt", now)

    def encrypted(self, stream: Stream, record: Any) -> bool:
        """Whether ``record`` was stored encrypted (GetRecords' per-record EncryptionType)."""
        return stream.sse_spans is not None and key_at(stream.sse_spans, record.arrival) is not None
