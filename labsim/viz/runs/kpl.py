"""The Kinesis Producer Library under load: short real runs and their numbers (layer 3: boto3,
``labsim.lab``, ``labsim.quotas`` and ``labsim.kpl`` only).

Nothing here models the KPL or Kinesis. ``run_kpl`` creates a real stream in the running lab, feeds
a real :class:`labsim.kpl.KinesisProducer` a steady stream of user records on the lab clock (a
batch every 10 simulated ms), waits for every future and keeps what they say: when each record was
put, when it was acknowledged, in which Kinesis record (sequence number) and after how many
attempts. The limits it meets are the lab's physics; the numbers it quotes come from
``labsim.quotas``.

- ``run_kpl`` -> ``KplRun``: throughput, latency percentiles, requests, Kinesis records, user records
  per Kinesis record, retries, error codes, per-second series, and an exactly-once check.
- ``sweep_buffered_time``: one run per ``record_max_buffered_time_ms`` value.
- ``stream_usage``: the stream's per-second ``IncomingBytes`` / ``IncomingRecords`` from the lab's
  CloudWatch, as a share of what the shards accept.
- ``kpl_metric``: one of the KPL's own CloudWatch metrics (``KinesisProducerLibrary``).
- ``hexdump`` (the first bytes of a record, to spot the aggregation magic F3 89 9A C2), ``run_table``.

>>> from labsim import Lab
>>> with Lab() as lab:
...     run = run_kpl(lab, rate=2000, seconds=1, shards=1)
>>> run.delivered, run.failed, run.exactly_once_by_result()
(2000, 0, True)
>>> run.kinesis_records < 100       # aggregation: a few Kinesis records carry 2,000 user records
True
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from labsim import quotas

__all__ = [
    "KplRun",
    "run_kpl",
    "percentile",
    "sweep_buffered_time",
    "stream_usage",
    "kpl_metric",
    "hexdump",
    "run_table",
]

_names = itertools.count(1)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0-100) of ``values``; NaN for an empty sequence.

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (20, 40)
    """
    if not values:
        return float("nan")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be between 0 and 100, got {p!r}")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# --- one run ---------------------------------------------------------------------------------------
@dataclass
class KplRun:
    """What happened to every user record of one ``run_kpl`` run.

    Times are lab epoch seconds. ``sent[i]`` is the (data, partition key) of user record ``i``,
    ``put_times[i]`` when it was put and ``results[i]`` its settled ``UserRecordResult``.
    """

    stream: str
    shards: int
    rate: int
    seconds: float
    record_size: int
    settings: dict[str, Any]
    started: float
    finished: float
    sent: list[tuple[bytes, str]]
    put_times: list[float]
    results: list[Any]
    requests: int
    metrics: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    # -- counts -------------------------------------------------------------------------------------
    @property
    def offered(self) -> int:
        return len(self.sent)

    @property
    def delivered(self) -> int:
        return sum(1 for r in self.results if r.successful)

    @property
    def failed(self) -> int:
        return self.offered - self.delivered

    @property
    def error_codes(self) -> Counter:
        """Final error codes of the records that failed (``Expired``, a throttling code, ...)."""
        return Counter(r.error_code for r in self.results if not r.successful)

    @property
    def kinesis_records(self) -> int:
        """Distinct Kinesis records (shard, sequence number) that carried the delivered user records."""
        return len({(r.shard_id, r.sequence_number) for r in self.results if r.successful})

    @property
    def user_per_kinesis_record(self) -> float:
        return self.delivered / self.kinesis_records if self.kinesis_records else 0.0

    @property
    def retries(self) -> int:
        """Attempts beyond the first, over all user records."""
        return sum(len(r.attempts) - 1 for r in self.results)

    # -- time ---------------------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds from the first ``put_record`` to the last record settling."""
        return max(self.finished - self.started, 1e-9)

    @property
    def throughput(self) -> float:
        """Delivered user records per second over the whole run (first put to last acknowledgement)."""
        return self.delivered / self.elapsed

    @property
    def latencies_ms(self) -> list[float]:
        """For each delivered record: milliseconds from ``put_record`` to its acknowledgement."""
        return [
            (r.attempts[-1].ended_at - t) * 1000.0 for r, t in zip(self.results, self.put_times) if r.successful
        ]

    def latency(self, p: float) -> float:
        """Latency percentile in ms (``run.latency(95)``)."""
        return percentile(self.latencies_ms, p)

    @property
    def p50(self) -> float:
        return self.latency(50)

    @property
    def p95(self) -> float:
        return self.latency(95)

    def per_second(self, what: str = "user") -> list[int]:
        """Per simulated second since the start: ``user`` records acknowledged, ``kinesis`` records
        stored (counted in the second their request ended), or ``retries`` (failed attempts)."""
        n = int(math.ceil(self.elapsed)) or 1
        out = [0] * n
        seen: set[tuple[str, str]] = set()
        for r in self.results:
            if what == "retries":
                for a in r.attempts:
                    if not a.success and a.error_code != "Expired":
                        out[min(n - 1, int(a.ended_at - self.started))] += 1
                continue
            if not r.successful:
                continue
            i = min(n - 1, int(r.attempts[-1].ended_at - self.started))
            if what == "user":
                out[i] += 1
            elif what == "kinesis":
                key = (r.shard_id, r.sequence_number)
                if key not in seen:
                    seen.add(key)
                    out[i] += 1
            else:
                raise ValueError("what must be 'user', 'kinesis' or 'retries'")
        return out

    def exactly_once_by_result(self) -> bool:
        """Every user record has settled successfully, and no two share (sequence, sub-sequence)."""
        keys = [(r.shard_id, r.sequence_number, r.sub_sequence_number) for r in self.results if r.successful]
        return len(keys) == self.offered and len(set(keys)) == len(keys)

    @property
    def start_datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(math.floor(self.started), tz=_dt.timezone.utc)

    @property
    def end_datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(math.ceil(self.finished) + 1, tz=_dt.timezone.utc)

    @property
    def label(self) -> str:
        if not self.settings:
            return "KPL defaults"
        return ", ".join(f"{k}={v}" for k, v in self.settings.items())

    ROW_COLUMNS = ("settings", "user records", "delivered", "PutRecords requests", "Kinesis records",
                   "user / Kinesis record", "user records/s", "p50 ms", "p95 ms", "retries")

    def row(self) -> dict[str, Any]:
        """The headline numbers as a dict (one table row)."""
        return {
            "settings": self.label,
            "user records": self.offered,
            "delivered": self.delivered,
            "PutRecords requests": self.requests,
            "Kinesis records": self.kinesis_records,
            "user / Kinesis record": round(self.user_per_kinesis_record, 1),
            "user records/s": round(self.throughput),
            "p50 ms": round(self.p50),
            "p95 ms": round(self.p95),
            "retries": self.retries,
        }

    def summary(self) -> str:
        errors = ", ".join(f"{n:,} {code}" for code, n in self.error_codes.most_common()) or "none"
        return (
            f"{self.label}: {self.offered:,} user records of {self.record_size} B offered at {self.rate:,}/s "
            f"to {self.shards} shard(s); {self.delivered:,} delivered ({self.throughput:,.0f}/s overall) "
            f"in {self.kinesis_records:,} Kinesis records ({self.user_per_kinesis_record:,.1f} user records each) "
            f"and {self.requests:,} PutRecords requests; latency p50 {self.p50:,.0f} ms, p95 {self.p95:,.0f} ms; "
            f"{self.retries:,} retries; failed: {errors}"
        )


def _fast_client(lab: Any) -> Any:
    from botocore.config import Config

    # The producer builds valid requests itself, so botocore's client-side validation is skipped (speed).
    return lab.client("kinesis", config=Config(parameter_validation=False))


def _ensure_stream(client: Any, name: str, shards: int) -> int:
    try:
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    except client.exceptions.ResourceNotFoundException:
        client.create_stream(StreamName=name, ShardCount=shards)
        client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return shards
    return int(summary["OpenShardCount"])


def run_kpl(
    lab: Any,
    *,
    rate: int = 2000,
    seconds: float = 2,
    record_size: int = 100,
    shards: int = 1,
    keys: int = 10_000,
    stream: str | None = None,
    client: Any = None,
    seed: int = 0,
    tick_ms: int = 10,
    delete: bool = False,
    **settings: Any,
) -> KplRun:
    """Offer a KinesisProducer ``rate`` user records/s for ``seconds`` simulated seconds; wait for all.

    ``record_size`` is the bytes of *data* per user record (the partition key, ``user-<n>``, comes on
    top). Each record has a unique id at the front of its data and one of ``keys`` partition keys,
    drawn with ``seed``. ``stream``: an existing stream to write to, or the name of one to create with
    ``shards`` shards (default: a fresh ``kpl-<n>``). Any other keyword is a KPL setting
    (``aggregation_enabled=False``, ``record_max_buffered_time_ms=500`` ...). ``delete=True`` deletes
    the stream afterwards. Returns a :class:`KplRun`.
    """
    from labsim.kpl import KinesisProducer

    if rate < 1 or seconds <= 0 or tick_ms < 1:
        raise ValueError("rate >= 1, seconds > 0 and tick_ms >= 1 are required")
    if not 10 <= record_size <= quotas.RECORD_MAX_BYTES_DEFAULT:
        raise ValueError(f"record_size must be between 10 and {int(quotas.RECORD_MAX_BYTES_DEFAULT):,} bytes")
    if not 1 <= keys <= 10**9:
        raise ValueError("keys must be between 1 and 10**9")
    kinesis = client if client is not None else _fast_client(lab)
    name = stream or f"kpl-{next(_names)}"
    shard_count = _ensure_stream(kinesis, name, shards)

    rng = random.Random(seed)
    total = int(round(rate * seconds))
    filler = b"." * max(0, record_size - 10)
    sent = [(b"%09d|" % i + filler, f"user-{rng.randrange(keys)}") for i in range(total)]

    requests = [0]

    def count(**_: Any) -> None:
        requests[0] += 1

    event = "before-call.kinesis.PutRecords"
    kinesis.meta.events.register(event, count)
    try:
        producer = KinesisProducer(name, client=kinesis, **settings)
        clock = lab.clock
        tick = tick_ms / 1000.0
        # Start on a whole second, so run seconds line up with CloudWatch's per-second datapoints.
        clock.advance(math.ceil(clock.now()) - clock.now())
        t0 = clock.now()
        futures, put_times = [], []
        i, step = 0, 0
        put = producer.put_record
        while i < total:
            step += 1
            due = min(total, int(round(rate * step * tick)))
            now = clock.now()
            while i < due:
                data, key = sent[i]
                futures.append(put(data, partition_key=key))
                put_times.append(now)
                i += 1
            clock.advance(max(0.0, t0 + step * tick - clock.now()))
        producer.flush()
        results = [f.result() for f in futures]
        producer.close()
        metrics = producer.metrics()
    finally:
        kinesis.meta.events.unregister(event, count)
    finished = max((r.attempts[-1].ended_at for r in results if r.attempts), default=t0)
    if delete:
        kinesis.delete_stream(StreamName=name)
    return KplRun(
        stream=name, shards=shard_count, rate=int(rate), seconds=float(seconds), record_size=int(record_size),
        settings=dict(settings), started=t0, finished=finished, sent=sent, put_times=put_times, results=results,
        requests=requests[0], metrics=metrics,
    )


def sweep_buffered_time(lab: Any, values: Iterable[int], **kwargs: Any) -> list[KplRun]:
    """One ``run_kpl`` per ``record_max_buffered_time_ms`` value (each on a fresh, deleted stream)."""
    kwargs.setdefault("delete", True)
    return [run_kpl(lab, record_max_buffered_time_ms=int(v), **kwargs) for v in values]


# --- CloudWatch: the stream's side -----------------------------------------------------------------
def stream_usage(cloudwatch: Any, run: KplRun) -> dict[str, list[float]]:
    """Per-second ``IncomingBytes`` and ``IncomingRecords`` of the run's stream (``AWS/Kinesis``,
    dimension ``StreamName`` only), from the run's first second to its last.

    Returns ``{"seconds", "IncomingBytes", "IncomingRecords", "bytes_share", "records_share"}``: the
    shares are of what the stream's shards accept per second (shards x 1 MiB, shards x 1,000).
    """
    start = math.floor(run.started)
    n = max(1, int(math.ceil(run.finished)) - start + 1)
    out: dict[str, list[float]] = {"seconds": list(range(n))}
    for metric in ("IncomingBytes", "IncomingRecords"):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=metric, Dimensions=[{"Name": "StreamName", "Value": run.stream}],
            StartTime=run.start_datetime, EndTime=run.end_datetime, Period=1, Statistics=["Sum"],
        )["Datapoints"]
        series = [0.0] * n
        for p in points:
            i = int(round(p["Timestamp"].timestamp())) - start
            if 0 <= i < n:
                series[i] += p["Sum"]
        out[metric] = series
    out["bytes_share"] = [b / (run.shards * quotas.SHARD_WRITE_BYTES_PER_SECOND) for b in out["IncomingBytes"]]
    out["records_share"] = [r / (run.shards * quotas.SHARD_WRITE_RECORDS_PER_SECOND) for r in out["IncomingRecords"]]
    return out

# --- CloudWatch: the KPL's own metrics --------------------------------------------------------------
def kpl_metric(
    cloudwatch: Any,
    stream: str,
    metric: str,
    start: Any,
    end: Any,
    *,
    statistic: str = "Sum",
    period: int = 1,
    namespace: str = "KinesisProducerLibrary",
    shard_id: str | None = None,
) -> list[tuple[_dt.datetime, float]]:
    """One KPL metric from CloudWatch, ``[(timestamp, value), ...]`` sorted by time.

    Asks for the stream-level copy (dimension ``StreamName``), or the shard-level one with
    ``shard_id``. CloudWatch treats every dimension combination as its own metric. Plain moto
    matches any datapoint that *includes* the requested dimensions, so with the KPL's default
    ``metrics_granularity="shard"`` a stream-level query there would also count the per-shard
    copies: produce with ``metrics_granularity="stream"`` (as the lessons do) or ask per shard, and
    the answer is right either way.
    """
    dims = [{"Name": "StreamName", "Value": stream}]
    if shard_id is not None:
        dims.append({"Name": "ShardId", "Value": shard_id})
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=metric, Dimensions=dims, StartTime=start, EndTime=end,
        Period=period, Statistics=[statistic],
    )["Datapoints"]
    return sorted((p["Timestamp"], p[statistic]) for p in points)


# --- bytes ----------------------------------------------------------------------------------------
def hexdump(data: bytes, n: int = 32) -> str:
    """The first ``n`` bytes as hex pairs, then as text (dots for non-printable bytes).

    >>> hexdump(b"\\xf3\\x89\\x9a\\xc2\\x0a\\x06user-1", 12)
    'f3 89 9a c2 0a 06 75 73 65 72 2d 31  |......user-1|'
    """
    head = bytes(data[:n])
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
    more = " ..." if len(data) > n else ""
    return f"{head.hex(' ')}  |{text}|{more}"


def run_table(runs: Sequence[KplRun], columns: Sequence[str] | None = None, labels: Sequence[str] | None = None) -> str:
    """A plain-text table of ``KplRun.row()`` values, one line per run (``labels`` replace the
    settings column).

    >>> print(run_table([], columns=["p95 ms"]))
    settings  p95 ms
    """
    cols = list(columns) if columns is not None else list(KplRun.ROW_COLUMNS)
    rows = []
    for k, run in enumerate(runs):
        row = run.row()
        if labels is not None:
            row["settings"] = labels[k]
        rows.append(["{:,}".format(row[c]) if isinstance(row[c], (int, float)) else str(row[c]) for c in cols])
    header = ["settings"] + [c for c in cols if c != "settings"]
    body = [[r[cols.index("settings")] if "settings" in cols else ""] + [v for c, v in zip(cols, r) if c != "settings"]
            for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))).rstrip()]
    for r in body:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(lines)


