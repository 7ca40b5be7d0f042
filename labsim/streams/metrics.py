"""Kinesis's CloudWatch metrics (namespace ``AWS/Kinesis``), one datapoint per metric per second.

Stream-level metrics (dimension ``StreamName``) are always published; shard-level metrics
(dimensions ``StreamName`` and ``ShardId``) only for the names switched on with
``EnableEnhancedMonitoring`` (or ``ALL``). Names and meaning: kinesis-facts 1.9 (KDS-DG22
monitoring-with-cloudwatch.md).

Write-side metrics published here:

=================================  =========  ==============================================
metric                             unit       one sample per ...
=================================  =========  ==============================================
IncomingBytes / IncomingRecords    Bytes/Count  accepted record (stream and shard level)
WriteProvisionedThroughputExceeded Count      record refused for throughput (stream and shard)
PutRecord.Success                  Count      PutRecord call: 1 stored, 0 refused
PutRecord.Bytes / .Latency         Bytes/ms   stored PutRecord / every PutRecord call
PutRecords.Success                 Count      PutRecords call: 1 if at least one record stored
PutRecords.Bytes                   Bytes      PutRecords call: bytes stored
PutRecords.TotalRecords / .SuccessfulRecords / .FailedRecords / .ThrottledRecords / .Latency
=================================  =========  ==============================================

Aggregation: the data plane adds to an in-memory table keyed by (second, dimensions, metric);
each cell keeps Sum, SampleCount, Minimum and Maximum, and is published as one CloudWatch
``StatisticValues`` datum stamped with that second (lab clock). Publishing happens when the
second is over (one clock task per pending second, so advancing the clock by a day costs
nothing when nothing was written) and before any CloudWatch read in the lab (a transport hook on
GetMetricStatistics / GetMetricData / ListMetrics), so a lesson sees its traffic immediately and
charting 60 s of traffic reads 60 datapoints per metric, not one per call.

Latency is a labsim model value (``quotas.PUT_RECORD_LATENCY_MS`` / ``PUT_RECORDS_LATENCY_MS``):
deterministic, so plots are identical from run to run.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Callable

NAMESPACE = "AWS/Kinesis"

#: Shard-level metric names (``EnableEnhancedMonitoring``) this module publishes.
SHARD_WRITE_METRICS = ("IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded")

UNITS = {
    "IncomingBytes": "Bytes",
    "IncomingRecords": "Count",
    "WriteProvisionedThroughputExceeded": "Count",
    "PutRecord.Success": "Count",
    "PutRecord.Bytes": "Bytes",
    "PutRecord.Latency": "Milliseconds",
    "PutRecords.Success": "Count",
    "PutRecords.Bytes": "Bytes",
    "PutRecords.Latency": "Milliseconds",
    "PutRecords.TotalRecords": "Count",
    "PutRecords.SuccessfulRecords": "Count",
    "PutRecords.FailedRecords": "Count",
    "PutRecords.ThrottledRecords": "Count",
}


class MetricsAggregator:
    """Per-second aggregation of one account+Region's Kinesis metrics into moto's CloudWatch."""

    def __init__(self, clock: Any, cloudwatch: Callable[[], Any]) -> None:
        self.clock = clock
        self._cloudwatch = cloudwatch  # returns moto's CloudWatch backend (looked up lazily)
        self._lock = threading.Lock()
        # second -> {(stream, shard_id or None, metric): [sum, count, min, max]}
        self._pending: dict[int, dict[tuple[str, str | None, str], list[float]]] = {}
        self._scheduled: set[int] = set()
        self.published = 0

    # -- recording (hot path) ----------------------------------------------------------------------
    def _cells(self, second: int) -> dict[tuple[str, str | None, str], list[float]]:
        """The pending cells of one lab second, scheduling its publication on first use (lock held)."""
        cells = self._pending.get(second)
        if cells is None:
            cells = self._pending[second] = {}
            if second not in self._scheduled:
                self._scheduled.add(second)
                self._schedule(second)
        return cells

    def add(self, now: float, stream: str, samples: list[tuple[str, float]], shard: str | None = None) -> None:
        """Add one sample per (metric, value) for ``stream`` (and ``shard``) at lab time ``now``."""
        with self._lock:
            cells = self._cells(int(now))
            for name, value in samples:
                key = (stream, shard, name)
                cell = cells.get(key)
                if cell is None:
                    cells[key] = [value, 1, value, value]
                else:
                    cell[0] += value
                    cell[1] += 1
                    if value < cell[2]:
                        cell[2] = value
                    if value > cell[3]:
                        cell[3] = value

    def add_totals(self, now: float, stream: str, shard: str | None, name: str, total: float, count: int, lo: float, hi: float) -> None:
        """Add ``count`` samples summing to ``total`` at once (per-record metrics of a batch)."""
        if count <= 0:
            return
        with self._lock:
            cells = self._cells(int(now))
            key = (stream, shard, name)
            cell = cells.get(key)
            if cell is None:
                cells[key] = [total, count, lo, hi]
            else:
                cell[0] += total
                cell[1] += count
                cell[2] = min(cell[2], lo)
                cell[3] = max(cell[3], hi)

    def _schedule(self, second: int) -> None:
        try:
            self.clock.call_at(second + 1, lambda: self.flush(before=second + 1), name="kinesis-metrics-flush")
        except Exception:  # a closed clock (lab stopping): publish on the next read instead
            pass

    # -- publishing --------------------------------------------------------------------------------
    def flush(self, before: float | None = None) -> int:
        """Publish every pending second (or those earlier than ``before``). Returns datapoints sent."""
        with self._lock:
            seconds = sorted(s for s in self._pending if before is None or s < before)
            batches = [(s, self._pending.pop(s)) for s in seconds]
            for s in seconds:
                self._scheduled.discard(s)
        if not batches:
            return 0
        data: list[dict[str, Any]] = []
        for second, cells in batches:
            stamp = _dt.datetime.fromtimestamp(second, tz=_dt.timezone.utc).replace(tzinfo=None)
            for (stream, shard, name), (total, count, lo, hi) in cells.items():
                dims = [{"Name": "StreamName", "Value": stream}]
                if shard is not None:
                    dims.append({"Name": "ShardId", "Value": shard})
                data.append({
                    "MetricName": name,
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Unit": UNITS.get(name, "None"),
                    "StatisticValues": {"SampleCount": float(count), "Sum": float(total), "Minimum": float(lo), "Maximum": float(hi)},
                })
        self._cloudwatch().put_metric_data(namespace=NAMESPACE, metric_data=data)
        self.published += len(data)
        return len(data)

    def discard(self) -> None:
        with self._lock:
            self._pending.clear()
            self._scheduled.clear()
