"""Firehose's CloudWatch metrics (namespace ``AWS/Firehose``, dimension ``DeliveryStreamName``).

One datapoint per metric per simulated second: samples are summed into per-second cells (Sum,
SampleCount, Minimum, Maximum) and published to the lab's CloudWatch at the end of each minute that
has data (one clock task per minute) and before any CloudWatch read in the lab, so a lesson charts
``DeliveryToS3.DataFreshness`` against the buffering interval second by second.

Names follow the service (FH-DG23 ``monitoring-with-cloudwatch-metrics.md``): IncomingBytes,
IncomingRecords, IncomingPutRequests, ThrottledRecords, PutRecord.{Requests,Bytes},
PutRecordBatch.{Requests,Records,Bytes}, DeliveryToS3.{Records,Bytes,Success,DataFreshness,ObjectCount},
DeliveryToHttpEndpoint.{Records,Bytes,Success,DataFreshness}, BackupToS3.{Records,Bytes,Success},
DataReadFromKinesisStream.{Records,Bytes}, KinesisMillisBehindLatest,
{BytesPerSecond,RecordsPerSecond,PutRequestsPerSecond}Limit.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Callable

NAMESPACE = "AWS/Firehose"

UNITS = {
    "IncomingBytes": "Bytes", "PutRecord.Bytes": "Bytes", "PutRecordBatch.Bytes": "Bytes",
    "DeliveryToS3.Bytes": "Bytes", "DeliveryToHttpEndpoint.Bytes": "Bytes", "BackupToS3.Bytes": "Bytes",
    "DataReadFromKinesisStream.Bytes": "Bytes", "BytesPerSecondLimit": "Bytes",
    "DeliveryToS3.DataFreshness": "Seconds", "DeliveryToHttpEndpoint.DataFreshness": "Seconds",
    "BackupToS3.DataFreshness": "Seconds", "KinesisMillisBehindLatest": "Milliseconds",
}


class FirehoseMetrics:
    """Per-second aggregation of one account+Region's Firehose metrics into moto's CloudWatch."""

    __slots__ = ("clock", "_cloudwatch", "_lock", "_cells", "_minutes", "published")

    def __init__(self, clock: Any, cloudwatch: Callable[[], Any]) -> None:
        self.clock = clock
        self._cloudwatch = cloudwatch
        self._lock = threading.Lock()
        self._cells: dict[int, dict[tuple[str, str], list[float]]] = {}
        self._minutes: set[int] = set()  # minute ends with a publication scheduled
        self.published = 0

    def add(self, now: float, stream: str, name: str, value: float, count: int = 1) -> None:
        """``count`` samples summing to ``value`` (count=1: one sample of ``value``)."""
        second = int(now)
        with self._lock:
            cells = self._cells.get(second)
            if cells is None:
                cells = self._cells[second] = {}
                # Publish a minute's seconds together (and before any CloudWatch read in the lab): a day
                # of per-second freshness costs 1,440 CloudWatch writes instead of 86,400.
                minute_end = (second // 60 + 1) * 60
                if minute_end not in self._minutes:
                    self._minutes.add(minute_end)
                    self.clock.call_at(minute_end, lambda: self._publish_minute(minute_end), name="firehose-metrics")
            cell = cells.get((stream, name))
            each = value / count if count else value
            if cell is None:
                cells[(stream, name)] = [value, count, each, each]
            else:
                cell[0] += value
                cell[1] += count
                cell[2] = min(cell[2], each)
                cell[3] = max(cell[3], each)

    def _publish_minute(self, minute_end: int) -> None:
        with self._lock:
            self._minutes.discard(minute_end)
        self.flush(before=minute_end)

    def flush(self, before: float | None = None) -> int:
        with self._lock:
            seconds = sorted(s for s in self._cells if before is None or s < before)
            batches = [(s, self._cells.pop(s)) for s in seconds]
        data = []
        for second, cells in batches:
            stamp = _dt.datetime.fromtimestamp(second, tz=_dt.timezone.utc).replace(tzinfo=None)
            for (stream, name), (total, count, lo, hi) in cells.items():
                data.append({
                    "MetricName": name, "Timestamp": stamp, "Unit": UNITS.get(name, "Count"),
                    "Dimensions": [{"Name": "DeliveryStreamName", "Value": stream}],
                    "StatisticValues": {"SampleCount": float(count), "Sum": float(total),
                                        "Minimum": float(lo), "Maximum": float(hi)},
                })
        if data:
            self._cloudwatch().put_metric_data(namespace=NAMESPACE, metric_data=data)
            self.published += len(data)
        return len(data)
