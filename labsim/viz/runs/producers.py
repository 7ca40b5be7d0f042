"""Producers under load: a short real PutRecords simulation, a keyed workload, sizing and request
counting (layer 3: boto3, ``labsim.quotas`` and ``labsim.keyspace`` only).

Nothing here models Kinesis. ``simulate_producer`` creates a real stream in the running lab and
sends real ``PutRecords`` requests, a few times per simulated second, then counts what the
service accepted and what it refused with ``ProvisionedThroughputExceededException``. The limits
it runs into are the lab's physics (``labsim.streams``); the numbers it quotes come from
``labsim.quotas``.

>>> from labsim import Lab
>>> with Lab() as lab:
...     run = simulate_producer(lab, record_size=1024, rate=1500, shards=1, seconds=5)
...     run.total_offered, run.total_accepted + run.total_throttled
(7500, 7500)
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from labsim import quotas
from labsim.keyspace import shard_for_key

__all__ = [
    "HOT_KEY",
    "SHARD_METRICS",
    "ProducerRun",
    "simulate_producer",
    "run_keyed_workload",
    "WorkloadResult",
    "shards_needed",
    "RequestCounter",
    "shard_metric",
]

HOT_KEY = "key-HOT!"
#: Shard-level write metrics (kinesis-facts 1.9) the helpers below switch on and read.
SHARD_METRICS = ("IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded")
_KEY_WIDTH = len(HOT_KEY)
_names = itertools.count(1)


# --- sizing --------------------------------------------------------------------------------------
def shards_needed(record_size: int, rate: float, consumers: int = 1) -> int:
    """Provisioned shards for ``rate`` records/s of ``record_size`` bytes (kinesis-facts 1.4).

    The larger of: write bytes / 1 MiB/s, write records / 1,000/s, and read bytes (write bytes times
    the number of polling consumers) / 2 MiB/s. Hot keys need more: this assumes an even spread.

    >>> shards_needed(1024, 1500)          # 1.46 MiB/s and 1,500 records/s: the record count decides
    2
    >>> shards_needed(100 * 1024, 30, consumers=3)   # 2.9 MiB/s written, 8.8 MiB/s read
    5
    """
    if record_size <= 0 or rate < 0 or consumers < 0:
        raise ValueError("record_size must be positive; rate and consumers must not be negative")
    write_bytes = record_size * rate
    need = max(
        write_bytes / quotas.SHARD_WRITE_BYTES_PER_SECOND,
        rate / quotas.SHARD_WRITE_RECORDS_PER_SECOND,
        write_bytes * consumers / quotas.SHARD_READ_BYTES_PER_SECOND,
    )
    return max(1, math.ceil(round(need, 9)))


# --- counting HTTP requests ----------------------------------------------------------------------
class RequestCounter:
    """Count the HTTP requests a boto3 client sends, per operation, including botocore's retries.

    >>> counter = RequestCounter(kinesis)        # doctest: +SKIP
    >>> kinesis.put_records(...); counter.counts  # doctest: +SKIP
    {'PutRecords': 1}
    """

    def __init__(self, client: Any) -> None:
        self.counts: dict[str, int] = {}
        self._client = client
        service = client.meta.service_model.service_id.hyphenize()
        self._event = f"request-created.{service}"
        client.meta.events.register(self._event, self._count)

    def _count(self, request: Any = None, operation_name: str | None = None, **kwargs: Any) -> None:
        name = operation_name or "?"
        self.counts[name] = self.counts.get(name, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()

    def close(self) -> None:
        self._client.meta.events.unregister(self._event, self._count)

    def __repr__(self) -> str:
        return f"<RequestCounter {self.counts}>"


# --- the simulation ------------------------------------------------------------------------------
@dataclass
class ProducerRun:
    """What happened during one ``simulate_producer`` run, second by second."""

    stream: str
    shards: int
    record_size: int
    rate: int
    skew: float
    seconds: int
    shard_ids: list[str]
    offered: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    throttled: list[int] = field(default_factory=list)
    accepted_by_shard: list[dict[str, int]] = field(default_factory=list)
    bytes_by_shard: list[dict[str, int]] = field(default_factory=list)
    throttled_by_shard: list[dict[str, int]] = field(default_factory=list)
    requests: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)

    @property
    def total_offered(self) -> int:
        return sum(self.offered)

    @property
    def total_accepted(self) -> int:
        return sum(self.accepted)

    @property
    def total_throttled(self) -> int:
        return sum(self.throttled)

    @property
    def throttled_share(self) -> float:
        return self.total_throttled / self.total_offered if self.total_offered else 0.0

    def shard_totals(self, what: str = "accepted") -> dict[str, int]:
        """Records per shard over the run: ``what`` is 'accepted', 'throttled' or 'bytes'."""
        series = {"accepted": self.accepted_by_shard, "throttled": self.throttled_by_shard,
                  "bytes": self.bytes_by_shard}[what]
        return {s: sum(second.get(s, 0) for second in series) for s in self.shard_ids}

    def capacity_records_per_second(self) -> float:
        """What the stream can take per second at this record size with an even spread."""
        per_shard = min(quotas.SHARD_WRITE_RECORDS_PER_SECOND, quotas.SHARD_WRITE_BYTES_PER_SECOND / self.record_size)
        return per_shard * self.shards

    def summary(self) -> str:
        offered_mib = self.rate * self.record_size / quotas.MiB
        return (
            f"{self.shards} shard(s), {self.rate:,} records/s x {self.record_size:,} B = {offered_mib:.2f} MiB/s "
            f"offered, {self.skew:.0%} on one key, {self.seconds} s: "
            f"{self.total_accepted:,} accepted, {self.total_throttled:,} throttled "
            f"({self.throttled_share:.1%}) in {self.requests:,} PutRecords requests"
        )


def _batches(entries: Sequence[dict[str, Any]], sizes: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Split into PutRecords requests: at most 500 records and 10 MiB each. Yields (start, end)."""
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i - start >= quotas.PUT_RECORDS_MAX_RECORDS or total + size > quotas.PUT_RECORDS_MAX_BYTES:
            yield start, i
            start, total = i, 0
        total += size
    if start < len(entries):
        yield start, len(entries)


def simulate_producer(
    lab: Any,
    record_size: int = 1024,
    rate: int = 1000,
    skew: float = 0.0,
    shards: int = 1,
    seconds: int = 30,
    *,
    keys: int = 1000,
    ticks_per_second: int = 10,
    seed: int = 0,
    stream_name: str | None = None,
    delete: bool = True,
    shard_metrics: bool = False,
) -> ProducerRun:
    """Create a ``shards``-shard stream in ``lab`` and offer it ``rate`` records/s for ``seconds``.

    ``record_size`` counts what the quota counts: data plus partition key (bytes). A share ``skew``
    of the records uses one hot partition key; the rest use ``keys`` other keys at random (seeded).
    Records go out as ``PutRecords`` requests ``ticks_per_second`` times per simulated second, with
    no retries, so every refused record shows up as throttled. ``shard_metrics=True`` switches on
    shard-level CloudWatch metrics (``EnableEnhancedMonitoring``) before the first write;
    ``delete=False`` keeps the stream afterwards. Returns a ``ProducerRun``.
    """
    if not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a positive int, got {shards!r}")
    if not _KEY_WIDTH < record_size <= quotas.RECORD_MAX_BYTES_DEFAULT:
        raise ValueError(f"record_size must be between {_KEY_WIDTH + 1} and {int(quotas.RECORD_MAX_BYTES_DEFAULT):,} bytes")
    if rate < 0 or seconds < 1 or not 0.0 <= skew <= 1.0 or not 1 <= keys <= 10_000 or ticks_per_second < 1:
        raise ValueError("rate >= 0, seconds >= 1, 0 <= skew <= 1, 1 <= keys <= 10,000 and ticks_per_second >= 1 are required")
    from botocore.config import Config

    # The requests are built by this function, so botocore's client-side validation is skipped (speed).
    kinesis = lab.client("kinesis", config=Config(parameter_validation=False))
    name = stream_name or f"planner-{next(_names)}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    if shard_metrics:
        kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=list(SHARD_METRICS))
    listed = kinesis.list_shards(StreamName=name)["Shards"]
    shard_ids = [s["ShardId"] for s in listed]

    cold = [f"key-{i:04d}" for i in range(keys)]
    route = {k: shard_for_key(listed, k) for k in cold + [HOT_KEY]}
    payload = b"x" * (record_size - _KEY_WIDTH)
    hot_entry = {"Data": payload, "PartitionKey": HOT_KEY}
    cold_entries = [{"Data": payload, "PartitionKey": k} for k in cold]
    rng = random.Random(seed)

    run = ProducerRun(name, shards, record_size, int(rate), float(skew), int(seconds), shard_ids)
    # Ticks fall at exact fractions of whole seconds after t0 (no drift from adding 0.1 repeatedly),
    # so the run's seconds line up with the seconds CloudWatch datapoints are stamped with.
    t0 = math.ceil(lab.clock.now())
    lab.clock.advance(t0 - lab.clock.now())
    for second in range(seconds):
        acc = dict.fromkeys(shard_ids, 0)
        thr = dict.fromkeys(shard_ids, 0)
        byt = dict.fromkeys(shard_ids, 0)
        offered = 0
        for tick in range(ticks_per_second):
            n = rate * (tick + 1) // ticks_per_second - rate * tick // ticks_per_second
            offered += n
            entries = [hot_entry if rng.random() < skew else cold_entries[rng.randrange(keys)] for _ in range(n)]
            for start, end in _batches(entries, [record_size] * n):
                batch = entries[start:end]
                response = kinesis.put_records(StreamName=name, Records=batch)
                run.requests += 1
                for entry, result in zip(batch, response["Records"]):
                    shard = route[entry["PartitionKey"]]
                    code = result.get("ErrorCode")
                    if code is None:
                        acc[shard] += 1
                        byt[shard] += record_size
                    else:
                        thr[shard] += 1
                        run.error_codes[code] = run.error_codes.get(code, 0) + 1
            _advance_to(lab, t0 + second + (tick + 1) / ticks_per_second)
        run.offered.append(offered)
        run.accepted.append(sum(acc.values()))
        run.throttled.append(sum(thr.values()))
        run.accepted_by_shard.append(acc)
        run.throttled_by_shard.append(thr)
        run.bytes_by_shard.append(byt)
    if delete:
        kinesis.delete_stream(StreamName=name)
    return run


def _advance_to(lab: Any, when: float) -> None:
    lab.clock.advance(max(0.0, when - lab.clock.now()))


# --- a keyed workload (used by the hot-partition exercise) ---------------------------------------
@dataclass
class WorkloadResult:
    """Per-shard outcome of ``run_keyed_workload``."""

    accepted: dict[str, int]
    throttled: dict[str, int]
    keys: list[str]
    requests: int

    @property
    def total(self) -> int:
        return sum(self.accepted.values()) + sum(self.throttled.values())

    @property
    def throttled_share(self) -> float:
        return sum(self.throttled.values()) / self.total if self.total else 0.0

    @property
    def offered_by_shard(self) -> dict[str, int]:
        return {s: self.accepted[s] + self.throttled[s] for s in self.accepted}

    @property
    def imbalance(self) -> float:
        """Busiest shard's offered load divided by the mean (1.0 = perfectly even)."""
        load = list(self.offered_by_shard.values())
        mean = sum(load) / len(load) if load else 0
        return max(load) / mean if mean else 0.0


def run_keyed_workload(
    lab: Any,
    client: Any,
    stream: str,
    events: Sequence[dict[str, Any]],
    key_fn: Callable[[dict[str, Any]], str],
    *,
    rate: int,
    encode: Callable[[dict[str, Any]], bytes] | None = None,
    ticks_per_second: int = 10,
) -> WorkloadResult:
    """Send ``events`` to ``stream`` at ``rate`` events/s with ``PartitionKey=key_fn(event)``.

    PutRecords requests go out ``ticks_per_second`` times per simulated second; nothing is retried,
    so the result shows how the key scheme alone spreads the load. Shards are identified from each
    accepted entry's ``ShardId`` and, for refused entries, from the stream's hash ranges.
    """
    import json

    encode = encode or (lambda e: json.dumps(e, separators=(",", ":")).encode())
    shards = client.list_shards(StreamName=stream)["Shards"]
    accepted = {s["ShardId"]: 0 for s in shards if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})}
    throttled = dict.fromkeys(accepted, 0)
    keys = [key_fn(e) for e in events]
    per_tick = max(1, rate // ticks_per_second)
    requests = 0
    t0 = math.ceil(lab.clock.now())
    _advance_to(lab, t0)
    for tick, start in enumerate(range(0, len(events), per_tick)):
        chunk = range(start, min(start + per_tick, len(events)))
        entries = [{"Data": encode(events[i]), "PartitionKey": keys[i]} for i in chunk]
        for b0, b1 in _batches(entries, [len(e["Data"]) + len(e["PartitionKey"].encode()) for e in entries]):
            batch = entries[b0:b1]
            response = client.put_records(StreamName=stream, Records=batch)
            requests += 1
            for entry, result in zip(batch, response["Records"]):
                if "ErrorCode" in result:
                    throttled[shard_for_key(shards, entry["PartitionKey"])] += 1
                else:
                    accepted[result["ShardId"]] += 1
        _advance_to(lab, t0 + (tick + 1) / ticks_per_second)
    return WorkloadResult(accepted, throttled, keys, requests)


# --- CloudWatch ----------------------------------------------------------------------------------
def shard_metric(
    cloudwatch: Any,
    stream: str,
    metric: str,
    shard_ids: Sequence[str] | None,
    start: Any,
    end: Any,
    *,
    period: int = 60,
    statistic: str = "Sum",
) -> dict[str, list[tuple[Any, float]]]:
    """``get_metric_statistics`` for an ``AWS/Kinesis`` metric, per shard (or for the stream if
    ``shard_ids`` is None). Returns {shard id or stream name: [(timestamp, value), ...]} sorted by time."""
    targets = list(shard_ids) if shard_ids is not None else [None]
    out: dict[str, list[tuple[Any, float]]] = {}
    for shard in targets:
        dims = [{"Name": "StreamName", "Value": stream}]
        if shard is not None:
            dims.append({"Name": "ShardId", "Value": shard})
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=metric, Dimensions=dims,
            StartTime=start, EndTime=end, Period=period, Statistics=[statistic],
        )["Datapoints"]
        out[shard or stream] = sorted((p["Timestamp"], p[statistic]) for p in points)
    return out


