"""The ONE place Firehose reads a Kinesis data stream: through the Kinesis backend's domain API.

Firehose is a polling consumer like any other: it reads with the Kinesis backend's own
``get_shard_iterator`` / ``get_records`` (``labsim.streams.reads``), so it shares each shard's
5 calls/s and 2 MiB/s with the other readers and shows in the stream's GetRecords.* metrics, but
no JSON is built or parsed between the two services.

``kinesis_for(account_id, region)`` is the Kinesis backend of the delivery stream's account and
Region; ``read_shard(kinesis, stream_arn, cursor)`` returns the next page for ``cursor`` (or None
when the shard's read budget refused the call this time) and moves the cursor on;
``list_shards(kinesis, stream_arn)`` lists the stream's shards (id, parents); ``stream_status`` and
``retention_seconds`` describe the source. Given the source role's ``access``
(``labsim.firehose.access.SourceAccess``), each call is first checked against the role, as Kinesis
checks Firehose's calls on AWS (``labsim.iam.AccessDenied`` when the role may not).
"""

from __future__ import annotations

from typing import Any

from labsim import _moto, quotas
from labsim.streams.errors import ExpiredIteratorError, ResourceNotFoundError, ThroughputExceededError


class ShardCursor:
    """Where Firehose is in one shard: its iterator, the last sequence read, whether it ended."""

    __slots__ = ("shard_id", "parents", "iterator", "last_sequence", "start", "finished")

    def __init__(self, shard_id: str, parents: tuple[str, ...], start: float) -> None:
        self.shard_id = shard_id
        self.parents = parents
        self.iterator: str | None = None
        self.last_sequence: str | None = None
        self.start = start
        self.finished = False


def kinesis_for(account_id: str, region: str) -> Any:
    """The lab's Kinesis backend (``LabKinesisBackend``) for ``account_id`` and ``region``."""
    return _moto.get_backend("kinesis")[account_id][region]


def list_shards(kinesis: Any, stream_arn: str, access: Any = None) -> list[tuple[str, tuple[str, ...]]]:
    if access is not None:
        access.require("kinesis:DescribeStream", "kinesis:ListShards")
    stream = kinesis.describe_stream(stream_arn, None)
    return [
        (s.shard_id, tuple(p for p in (s.parent_shard_id, s.adjacent_parent_shard_id) if p))
        for s in sorted(stream.shards.values(), key=lambda s: s.index)
    ]


def read_shard(kinesis: Any, stream_arn: str, cursor: ShardCursor, access: Any = None) -> dict[str, Any] | None:
    if access is not None:
        access.require(*(("kinesis:GetShardIterator", "kinesis:GetRecords") if cursor.iterator is None else ("kinesis:GetRecords",)))
    try:
        if cursor.iterator is None:
            if cursor.last_sequence is not None:
                cursor.iterator = kinesis.get_shard_iterator(None, stream_arn, cursor.shard_id, "AFTER_SEQUENCE_NUMBER",
                                                             starting_sequence_number=cursor.last_sequence)
            else:
                cursor.iterator = kinesis.get_shard_iterator(None, stream_arn, cursor.shard_id, "AT_TIMESTAMP",
                                                             timestamp=min(cursor.start, kinesis.now()))
        if access is not None:
            with access.acting():  # an encrypted stream: Kinesis checks the role's kms:Decrypt
                batch = kinesis.get_records(cursor.iterator, int(quotas.GET_RECORDS_MAX_LIMIT))
        else:
            batch = kinesis.get_records(cursor.iterator, int(quotas.GET_RECORDS_MAX_LIMIT))
    except ThroughputExceededError:
        return None  # the shard's read budget is spent (other readers): try again next second
    except ExpiredIteratorError:
        cursor.iterator = None
        return None
    except ResourceNotFoundError:  # the shard expired (retention) or the stream is gone
        cursor.finished = True
        return None
    records = [r.to_json() for r in batch.records]
    if records:
        cursor.last_sequence = records[-1]["SequenceNumber"]
    cursor.iterator = batch.next_iterator
    if cursor.iterator is None:
        cursor.finished = True
    return {"Records": records, "MillisBehindLatest": batch.millis_behind_latest}


def retention_seconds(kinesis: Any, stream_arn: str) -> float:
    """The source stream's retention period, in seconds."""
    return float(kinesis.describe_stream(stream_arn, None).retention_hours) * 3600


def stream_status(kinesis: Any, stream_arn: str) -> str | None:
    """The source stream's status, or None if it does not exist."""
    try:
        return kinesis.describe_stream(stream_arn, None).status
    except ResourceNotFoundError:
        return None
