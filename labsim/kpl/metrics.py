"""The KPL's own CloudWatch metrics: names, levels, units, dimensions and upload.

Every metric the producer records is a stream of samples; CloudWatch receives, per upload window,
a *statistic set* (SampleCount, Sum, Minimum, Maximum) for each metric and each combination of
dimensions, exactly as the KPL uploads them (``aws/metrics/metrics_manager.cc``).

Dimensions form a hierarchy (``aws/metrics/metrics_manager.h``): a sample recorded for
``MetricName=KinesisRecordsPut, StreamName=clicks, ShardId=shardId-000000000000`` also counts for
``StreamName=clicks`` alone and for the metric with no dimensions at all. ``ErrorsByCode`` adds an
``ErrorCode`` dimension right after the name. ``metrics_granularity`` decides how deep the uploaded
copies go: ``global`` (no dimensions), ``stream`` (+ StreamName) or ``shard`` (+ ShardId, the
default, which uploads all three levels). ``metrics_level`` decides which metrics are uploaded:

========================================  =========  ============
metric                                    level      unit
========================================  =========  ============
UserRecordsReceived, UserRecordsPending   detailed   Count
UserRecordsPut                            summary    Count
UserRecordsDataPut                        detailed   Bytes
KinesisRecordsPut                         summary    Count
KinesisRecordsDataPut                     detailed   Bytes
ErrorsByCode, AllErrors                   summary    Count
RetriesPerRecord                          detailed   Count
UserRecordExpired                         summary    Count
BufferingTime                             summary    Milliseconds
RequestTime                               detailed   Milliseconds
UserRecordsPerKinesisRecord,              detailed   Count
KinesisRecordsPerPutRecordsRequest,
UserRecordsPerPutRecordsRequest
========================================  =========  ============

(kinesis-facts 4.5; KPL ``aws/metrics/metrics_constants.cc``.) Reading them: *Sum* of
UserRecordsPut is how many user records succeeded, *Average* of UserRecordsPerKinesisRecord is
the aggregation ratio, *Sum* of ErrorsByCode per ErrorCode shows throttling.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from typing import Any

LEVELS = {"none": 0, "summary": 1, "detailed": 2}
GRANULARITIES = {"global": 0, "stream": 1, "shard": 2}

#: metric name -> (level, unit)
METRICS: dict[str, tuple[str, str]] = {
    "UserRecordsReceived": ("detailed", "Count"),
    "UserRecordsPending": ("detailed", "Count"),
    "UserRecordsPut": ("summary", "Count"),
    "UserRecordsDataPut": ("detailed", "Bytes"),
    "KinesisRecordsPut": ("summary", "Count"),
    "KinesisRecordsDataPut": ("detailed", "Bytes"),
    "ErrorsByCode": ("summary", "Count"),
    "AllErrors": ("summary", "Count"),
    "RetriesPerRecord": ("detailed", "Count"),
    "UserRecordExpired": ("summary", "Count"),
    "BufferingTime": ("summary", "Milliseconds"),
    "RequestTime": ("detailed", "Milliseconds"),
    "UserRecordsPerKinesisRecord": ("detailed", "Count"),
    "KinesisRecordsPerPutRecordsRequest": ("detailed", "Count"),
    "UserRecordsPerPutRecordsRequest": ("detailed", "Count"),
}

#: The KPL uploads at most 20 metric data per PutMetricData request.
DATA_PER_REQUEST = 20

Key = tuple[str, str | None, str | None, str | None]  # (name, error_code, stream, shard)


@dataclass
class Stats:
    """A statistic set: what CloudWatch keeps for each upload."""

    count: float = 0.0
    sum: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value

    def merge(self, count: float, total: float, lo: float, hi: float) -> None:
        self.count += count
        self.sum += total
        if lo < self.minimum:
            self.minimum = lo
        if hi > self.maximum:
            self.maximum = hi

    @property
    def average(self) -> float:
        return self.sum / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "SampleCount": self.count,
            "Sum": self.sum,
            "Minimum": self.minimum if self.count else 0.0,
            "Maximum": self.maximum if self.count else 0.0,
            "Average": self.average,
        }


def _ancestors(key: Key) -> list[Key]:
    name, code, stream, shard = key
    out = [key]
    if shard is not None:
        out.append((name, code, stream, None))
    if stream is not None:
        out.append((name, code, None, None))
    if code is not None:
        out.append((name, None, None, None))
    return out


def _granularity(key: Key) -> int:
    if key[3] is not None:
        return 2
    if key[2] is not None:
        return 1
    return 0


def dimensions_of(key: Key) -> list[dict[str, str]]:
    _, code, stream, shard = key
    dims = []
    if code is not None:
        dims.append({"Name": "ErrorCode", "Value": code})
    if stream is not None:
        dims.append({"Name": "StreamName", "Value": stream})
    if shard is not None:
        dims.append({"Name": "ShardId", "Value": shard})
    return dims


class MetricsRecorder:
    """Keeps every sample twice: for the current upload window and for the producer's lifetime.

    Samples are stored under their most specific dimensions only; the coarser copies (stream,
    global) are statistic sets merged from them when uploading or reading, which gives exactly the
    numbers the KPL's metric hierarchy accumulates.
    """

    def __init__(self, level: str, granularity: str, namespace: str) -> None:
        self.level = LEVELS[level]
        self.granularity = GRANULARITIES[granularity]
        self.namespace = namespace
        self.window: dict[Key, Stats] = {}
        self.lifetime: dict[Key, Stats] = {}
        self._lock = threading.Lock()
        self.uploads = 0
        self.upload_errors: list[str] = []

    def _pair(self, key: Key) -> tuple[Stats, Stats]:
        w = self.window.get(key)
        if w is None:
            w = self.window[key] = Stats()
        life = self.lifetime.get(key)
        if life is None:
            life = self.lifetime[key] = Stats()
        return w, life

    def put(self, name: str, value: float, stream: str | None = None, shard: str | None = None, error_code: str | None = None) -> None:
        """Record one sample."""
        key = (name, error_code, stream, shard if stream is not None else None)
        with self._lock:
            for stats in self._pair(key):
                stats.add(value)

    def put_many(self, name: str, values: list[float], stream: str | None = None, shard: str | None = None, error_code: str | None = None) -> None:
        """Record several samples at once (same dimensions)."""
        if not values:
            return
        key = (name, error_code, stream, shard if stream is not None else None)
        n, total, lo, hi = len(values), float(sum(values)), min(values), max(values)
        with self._lock:
            for stats in self._pair(key):
                stats.merge(n, total, lo, hi)

    def put_repeated(self, name: str, value: float, count: int, stream: str | None = None, shard: str | None = None) -> None:
        """Record ``count`` samples that all have ``value``."""
        if count <= 0:
            return
        key = (name, None, stream, shard if stream is not None else None)
        with self._lock:
            for stats in self._pair(key):
                stats.merge(count, value * count, value, value)

    @staticmethod
    def _rolled_up(leaves: dict[Key, Stats]) -> dict[Key, Stats]:
        out: dict[Key, Stats] = {}
        for key, stats in leaves.items():
            for anc in _ancestors(key):
                agg = out.get(anc)
                if agg is None:
                    agg = out[anc] = Stats()
                agg.merge(stats.count, stats.sum, stats.minimum, stats.maximum)
        return out

    def _wanted(self, key: Key) -> bool:
        level = LEVELS[METRICS[key[0]][0]]
        return self.level > 0 and level <= self.level and _granularity(key) <= self.granularity

    def take_window(self, timestamp: _dt.datetime) -> list[dict[str, Any]]:
        """The metric data to upload now (and start a new window)."""
        with self._lock:
            window, self.window = self.window, {}
        rolled = self._rolled_up(window)
        data = []
        for key in sorted(rolled, key=lambda k: (k[0], k[1] or "", k[2] or "", k[3] or "")):
            if not self._wanted(key):
                continue
            stats = rolled[key]
            data.append(
                {
                    "MetricName": key[0],
                    "Dimensions": dimensions_of(key),
                    "Timestamp": timestamp,
                    "StatisticValues": {
                        "SampleCount": stats.count,
                        "Sum": stats.sum,
                        "Minimum": stats.minimum,
                        "Maximum": stats.maximum,
                    },
                    "Unit": METRICS[key[0]][1],
                }
            )
        return data

    def upload(self, client: Any, timestamp: _dt.datetime) -> int:
        """Send the current window with PutMetricData; returns the number of metric data sent."""
        data = self.take_window(timestamp)
        for i in range(0, len(data), DATA_PER_REQUEST):
            client.put_metric_data(Namespace=self.namespace, MetricData=data[i : i + DATA_PER_REQUEST])
            self.uploads += 1
        return len(data)

    def snapshot(self, detail: bool = False) -> Any:
        """Lifetime values. Default: ``{name: {SampleCount, Sum, Minimum, Maximum, Average}}`` with no
        dimensions (ErrorsByCode is also given per code as ``ErrorsByCode[<code>]``). With
        ``detail=True``: a list of ``{"MetricName", "Dimensions", ...stats}`` for every dimension
        combination, as CloudWatch would list them."""
        with self._lock:
            leaves = {k: Stats(s.count, s.sum, s.minimum, s.maximum) for k, s in self.lifetime.items()}
        rolled = self._rolled_up(leaves)
        if detail:
            rows = []
            for key, stats in sorted(rolled.items(), key=lambda i: (i[0][0], i[0][1] or "", i[0][2] or "", i[0][3] or "")):
                rows.append({"MetricName": key[0], "Dimensions": dimensions_of(key), **stats.as_dict()})
            return rows
        out: dict[str, dict[str, float]] = {}
        for key, stats in rolled.items():
            name, code, stream, shard = key
            if stream is not None or shard is not None:
                continue
            label = f"{name}[{code}]" if code is not None else name
            out[label] = stats.as_dict()
        return dict(sorted(out.items()))
