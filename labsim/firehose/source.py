"""A Kinesis data stream as a delivery stream's source (DeliveryStreamType KinesisStreamAsSource).

Firehose reads the stream like a polling consumer (kinesis-facts 7.1): about one GetRecords per
second per shard (``quotas.FIREHOSE_SOURCE_POLL_SECONDS``), through ``kds_reads`` (so it shares the
shard's read limits and shows in its metrics), parents before children after a reshard, starting at
the delivery stream's ``DeliveryStartTimestamp`` (its creation time: labsim's reading of the docs),
and de-aggregates KPL aggregated records into their user records. It stops reading while its
destination is failing (back-pressure), so data then waits in the stream, but only as long as the
stream's retention. Record arrival times are the stream's ``ApproximateArrivalTimestamp``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import kds_reads

KPL_MAGIC = b"\xf3\x89\x9a\xc2"


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        wire = key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield key >> 3, value
        elif wire == 2:
            n, i = _varint(buf, i)
            yield key >> 3, buf[i:i + n]
            i += n
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")


def deaggregate(data: bytes) -> list[bytes]:
    """The user records inside a KPL aggregated record (KPL aggregation-format.md), else [data]."""
    if len(data) < 20 or not data.startswith(KPL_MAGIC):
        return [data]
    body, digest = data[4:-16], data[-16:]
    if hashlib.md5(body).digest() != digest:
        return [data]  # not a valid aggregate: delivered as is, as the service does
    try:
        out = []
        for number, value in _fields(body):
            if number == 3:
                out.extend(v for n, v in _fields(value) if n == 3)
        return out
    except (ValueError, IndexError):
        return [data]


class SourcePoller:
    """Polls every shard of one source stream each second and feeds the delivery pipeline."""

    __slots__ = ("stream_arn", "kinesis", "pipeline", "metrics", "name", "start", "cursors", "task", "clock", "refresh")

    def __init__(self, clock: Any, kinesis: Any, stream_arn: str, pipeline: Any, metrics: Any, name: str, start: float) -> None:
        self.clock = clock
        self.kinesis = kinesis
        self.stream_arn = stream_arn
        self.pipeline = pipeline
        self.metrics = metrics
        self.name = name
        self.start = start
        self.cursors: dict[str, kds_reads.ShardCursor] = {}
        self.refresh = True
        self.task: Any = None

    def begin(self, interval: float) -> None:
        self.task = self.clock.call_every(interval, self.poll, name=f"firehose-source:{self.name}", first=0)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def _ready(self, cursor: kds_reads.ShardCursor) -> bool:
        return not cursor.finished and all(
            p not in self.cursors or self.cursors[p].finished for p in cursor.parents
        )

    def poll(self) -> None:
        if self.pipeline.retrying is not None:
            return  # back-pressure: the destination is failing, the data waits in the stream
        if self.refresh:
            for shard_id, parents in kds_reads.list_shards(self.kinesis, self.stream_arn):
                if shard_id not in self.cursors:
                    self.cursors[shard_id] = kds_reads.ShardCursor(shard_id, parents, self.start)
            self.refresh = False
        now = self.clock.now()
        behind = 0
        for cursor in list(self.cursors.values()):
            if not self._ready(cursor):
                continue
            page = kds_reads.read_shard(self.kinesis, self.stream_arn, cursor)
            if cursor.finished:
                self.refresh = True  # a closed parent: its children are listed next time
            if page is None:
                continue
            behind = max(behind, page.get("MillisBehindLatest", 0))
            records, arrivals, nbytes, meta = [], [], 0, []
            for r in page["Records"]:
                arrival = r["ApproximateArrivalTimestamp"].timestamp()
                for sub, data in enumerate(deaggregate(r["Data"])):
                    records.append(data)
                    arrivals.append(arrival)
                    nbytes += len(data)
                    # what a transformation Lambda sees as kinesisRecordMetadata
                    meta.append({"shardId": cursor.shard_id, "partitionKey": r["PartitionKey"],
                                 "approximateArrivalTimestamp": int(arrival * 1000),
                                 "sequenceNumber": r["SequenceNumber"], "subsequenceNumber": sub})
            if records:
                self.metrics.add(now, self.name, "DataReadFromKinesisStream.Records", float(len(records)))
                self.metrics.add(now, self.name, "DataReadFromKinesisStream.Bytes", float(nbytes))
                self.pipeline.add(records, arrivals, nbytes, meta)
        self.metrics.add(now, self.name, "KinesisMillisBehindLatest", float(behind))
