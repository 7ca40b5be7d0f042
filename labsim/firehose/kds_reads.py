"""The ONE place Firehose reads a Kinesis data stream (the seam the lead rewires to the domain API).

Today it reads through an internal boto3 Kinesis client of the lab (no retries), so Firehose is a
polling consumer like any other: its GetShardIterator/GetRecords/ListShards calls go through the
Kinesis read side (``labsim.streams.reads``), share the shard's 5 calls/s and 2 MiB/s with other
readers, and show in the stream's GetRecords.* metrics.

``read_shard(kinesis, stream_arn, cursor)`` returns the next GetRecords page for ``cursor`` (or None
when the shard's read budget refused the call this time) and moves the cursor on;
``list_shards(kinesis, stream_arn)`` lists the stream's shards (id, parents) and ``stream_status``
checks the source exists; ``client_for(context, region)`` makes the internal client.
"""

from __future__ import annotations

from typing import Any

from labsim import quotas


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


def list_shards(kinesis: Any, stream_arn: str) -> list[tuple[str, tuple[str, ...]]]:
    shards, token = [], None
    while True:
        page = kinesis.list_shards(NextToken=token) if token else kinesis.list_shards(StreamARN=stream_arn)
        for s in page["Shards"]:
            parents = tuple(p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p)
            shards.append((s["ShardId"], parents))
        token = page.get("NextToken")
        if not token:
            return shards


def read_shard(kinesis: Any, stream_arn: str, cursor: ShardCursor) -> dict[str, Any] | None:
    errors = kinesis.exceptions
    try:
        if cursor.iterator is None:
            if cursor.last_sequence is not None:
                position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": cursor.last_sequence}
            else:
                position = {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": cursor.start}
            cursor.iterator = kinesis.get_shard_iterator(StreamARN=stream_arn, ShardId=cursor.shard_id, **position)["ShardIterator"]
        page = kinesis.get_records(ShardIterator=cursor.iterator, Limit=int(quotas.GET_RECORDS_MAX_LIMIT))
    except errors.ProvisionedThroughputExceededException:
        return None  # the shard's read budget is spent (other readers): try again next second
    except errors.ExpiredIteratorException:
        cursor.iterator = None
        return None
    except errors.ResourceNotFoundException:  # the shard expired (retention) or the stream is gone
        cursor.finished = True
        return None
    if page["Records"]:
        cursor.last_sequence = page["Records"][-1]["SequenceNumber"]
    cursor.iterator = page.get("NextShardIterator")
    if cursor.iterator is None:
        cursor.finished = True
    return page


_clients: dict[tuple[int, str], Any] = {}


def client_for(context: Any, region: str) -> Any:
    """The lab's internal Kinesis client for ``region`` (fake credentials, served in-process, no retries)."""
    key = (id(context), region)
    client = _clients.get(key)
    if client is None:
        import boto3
        from botocore.config import Config

        from labsim.safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

        client = _clients[key] = boto3.session.Session().client(
            "kinesis", region_name=region, aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY,
            config=Config(retries={"total_max_attempts": 1}),
        )
    return client


def drop_clients(context: Any) -> None:
    for key in [k for k in _clients if k[0] == id(context)]:
        del _clients[key]


def retention_seconds(kinesis: Any, stream_arn: str) -> float:
    """The source stream's retention period, in seconds."""
    summary = kinesis.describe_stream_summary(StreamARN=stream_arn)["StreamDescriptionSummary"]
    return float(summary["RetentionPeriodHours"]) * 3600


def stream_status(kinesis: Any, stream_arn: str) -> str | None:
    """The source stream's status, or None if it does not exist."""
    try:
        return kinesis.describe_stream_summary(StreamARN=stream_arn)["StreamDescriptionSummary"]["StreamStatus"]
    except kinesis.exceptions.ResourceNotFoundException:
        return None
