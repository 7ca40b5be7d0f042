"""The Kinesis Producer Library under the microscope: short real runs, their numbers and plots, and a
widget (layer 3: boto3, ``labsim.lab``, ``labsim.quotas`` and ``labsim.kpl`` only).

Nothing here models the KPL or Kinesis. ``run_kpl`` creates a real stream in the running lab, feeds
a real :class:`labsim.kpl.KinesisProducer` a steady stream of user records on the lab clock (a
batch every 10 simulated ms), waits for every future and keeps what they say: when each record was
put, when it was acknowledged, in which Kinesis record (sequence number) and after how many
attempts. The limits it meets are the lab's physics; the numbers it quotes come from
``labsim.quotas``.

- ``run_kpl`` → ``KplRun``: throughput, latency percentiles, requests, Kinesis records, user records
  per Kinesis record, retries, error codes, per-second series, and an exactly-once check.
- ``stream_usage`` / ``plot_usage``: the stream's per-second ``IncomingBytes`` / ``IncomingRecords``
  from the lab's CloudWatch, as a share of what the shards accept.
- ``plot_latency`` (latency CDFs), ``plot_delivery`` (user records acknowledged per second),
  ``plot_tradeoff`` (a ``record_max_buffered_time_ms`` sweep).
- ``kpl_metric`` / ``plot_kpl_metrics``: the KPL's own CloudWatch metrics (``KinesisProducerLibrary``).
- ``hexdump``: the first bytes of a record, to spot the aggregation magic F3 89 9A C2.
- ``kpl_explorer``: sliders for ``record_max_buffered_time_ms``, record size and rate, and an
  aggregation switch; every change re-runs a short simulation and redraws.

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
    "stream_usage",
    "plot_usage",
    "plot_latency",
    "plot_delivery",
    "sweep_buffered_time",
    "plot_tradeoff",
    "kpl_metric",
    "plot_kpl_metrics",
    "hexdump",
    "run_table",
    "kpl_explorer",
    "KplExplorer",
    "SIZE_CHOICES",
    "BUFFER_CHOICES",
]

MiB = 1024 * 1024
_names = itertools.count(1)

#: Record sizes (bytes of data per user record) and buffered times (ms) the explorer offers.
SIZE_CHOICES = [("50 B", 50), ("100 B", 100), ("250 B", 250), ("500 B", 500), ("1 KiB", 1024), ("2 KiB", 2048)]
BUFFER_CHOICES = [0, 25, 50, 100, 200, 500, 1000, 2000, 5000]
#: The explorer keeps one slider move quick: at most this many user records per run.
EXPLORER_MAX_RECORDS = 8000
EXPLORER_MAX_RECORDS_UNAGGREGATED = 3000


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


def plot_usage(cloudwatch: Any, runs: Sequence[KplRun], *, axes: Any = None, labels: Sequence[str] | None = None) -> Any:
    """Two panels per second: share of the shards' byte budget and of their record budget used."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.3), sharex=True)
    ax, bx = axes
    for k, run in enumerate(runs):
        label = labels[k] if labels is not None else run.label
        use = stream_usage(cloudwatch, run)
        ax.step(use["seconds"], [100 * s for s in use["bytes_share"]], where="post", marker="o", ms=3, label=label)
        bx.step(use["seconds"], [100 * s for s in use["records_share"]], where="post", marker="o", ms=3, label=label)
    for a, title in ((ax, "bytes: % of shards x 1 MiB/s"), (bx, "records: % of shards x 1,000 records/s")):
        a.axhline(100, color="black", ls="--", lw=1)
        a.set_ylim(bottom=0)
        a.set_xlabel("simulated second")
        a.set_ylabel("% of the write limit")
        a.set_title(title)
    bx.legend(fontsize=8, loc="best")
    ax.figure.tight_layout()
    return axes


# --- plots from the futures -------------------------------------------------------------------------
def plot_latency(runs: Sequence[KplRun], *, ax: Any = None, labels: Sequence[str] | None = None) -> Any:
    """Cumulative distribution of put-to-acknowledgement latency, one line per run."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.3))
    for k, run in enumerate(runs):
        lat = sorted(run.latencies_ms)
        if not lat:
            continue
        label = labels[k] if labels is not None else run.label
        ax.step(lat, [(i + 1) / len(lat) for i in range(len(lat))], where="post",
                label=f"{label} (p95 {run.p95:,.0f} ms)")
    ax.axhline(0.95, color="grey", ls=":", lw=1)
    ax.set_xlabel("latency: put_record to acknowledged (ms)")
    ax.set_ylabel("share of user records")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_delivery(runs: Sequence[KplRun], *, ax: Any = None, labels: Sequence[str] | None = None) -> Any:
    """User records acknowledged per simulated second, one line per run, with the offered rate."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.3))
    for k, run in enumerate(runs):
        label = labels[k] if labels is not None else run.label
        series = run.per_second("user")
        ax.step(range(len(series)), series, where="post", marker="o", ms=3, label=label)
    if runs:
        ax.axhline(runs[0].rate, color="black", ls="--", lw=1, label="offered")
    ax.set_xlabel("simulated second")
    ax.set_ylabel("user records acknowledged")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def plot_tradeoff(runs: Sequence[KplRun], *, axes: Any = None) -> Any:
    """A ``record_max_buffered_time_ms`` sweep: latency (p50, p95) against user records per Kinesis
    record and PutRecords requests per second."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.3))
    ax, bx = axes
    xs = [max(1, int(r.settings.get("record_max_buffered_time_ms", quotas.KPL_RECORD_MAX_BUFFERED_TIME_MS))) for r in runs]
    ax.plot(xs, [r.p50 for r in runs], marker="o", label="p50")
    ax.plot(xs, [r.p95 for r in runs], marker="s", label="p95")
    ax.plot(xs, xs, color="grey", ls=":", lw=1, label="y = buffered time")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("record_max_buffered_time_ms")
    ax.set_ylabel("latency (ms)")
    ax.set_title("the price: latency")
    ax.legend(fontsize=8)
    bx.plot(xs, [r.user_per_kinesis_record for r in runs], marker="o", color="tab:green")
    bx.set_xscale("log")
    bx.set_xlabel("record_max_buffered_time_ms")
    bx.set_ylabel("user records per Kinesis record", color="tab:green")
    cx = bx.twinx()
    cx.plot(xs, [r.requests / r.elapsed for r in runs], marker="s", color="tab:purple")
    cx.set_ylabel("PutRecords requests / s", color="tab:purple")
    bx.set_title("the gain: fuller records, fewer requests")
    ax.figure.tight_layout()
    return axes


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


DEFAULT_PANELS = (
    ("UserRecordsPut", "Sum"),
    ("KinesisRecordsPut", "Sum"),
    ("UserRecordsPerKinesisRecord", "Average"),
    ("RetriesPerRecord", "Average"),
    ("BufferingTime", "Average"),
    ("BufferingTime", "Maximum"),
)


def plot_kpl_metrics(
    cloudwatch: Any, stream: str, start: Any, end: Any, *, panels: Sequence[tuple[str, str]] = DEFAULT_PANELS,
    period: int = 1, axes: Any = None,
) -> Any:
    """Small multiples of KPL metrics (``(metric, statistic)`` pairs) over time, from CloudWatch."""
    import matplotlib.pyplot as plt

    if axes is None:
        cols = 3
        rows = int(math.ceil(len(panels) / cols))
        _, grid = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False)
        axes = [a for row in grid for a in row]
    t0 = start.timestamp() if isinstance(start, _dt.datetime) else float(start)
    for ax, (metric, stat) in zip(axes, panels):
        series = kpl_metric(cloudwatch, stream, metric, start, end, statistic=stat, period=period)
        xs = [p[0].timestamp() - t0 for p in series]
        ax.bar(xs, [p[1] for p in series], width=0.8 * period, color="#3a7dc9" if "Retries" not in metric else "#d64545")
        ax.set_title(f"{metric} ({stat})", fontsize=9)
        ax.set_xlabel("seconds", fontsize=8)
    for ax in list(axes)[len(panels):]:
        ax.set_visible(False)
    axes[0].figure.tight_layout()
    return axes


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


# --- the explorer widget --------------------------------------------------------------------------
def _explorer_seconds(rate: int, aggregation: bool, seconds: float) -> float:
    cap = EXPLORER_MAX_RECORDS if aggregation else EXPLORER_MAX_RECORDS_UNAGGREGATED
    return max(1.0, min(float(seconds), math.floor(cap / max(1, rate))))


def kpl_explorer(lab: Any, *, record_max_buffered_time_ms: int = 100, record_size: int = 100, rate: int = 3000,
                 aggregation_enabled: bool = True, seconds: float = 2) -> Any:
    """A widget: buffered time, record size, offered rate and aggregation on/off for a 1-shard stream.

    Every change runs ``run_kpl`` on a fresh 1-shard stream for ``seconds`` simulated seconds
    (shorter for heavy unaggregated loads) and shows the shard's per-second byte and record use (from
    CloudWatch) and the latency distribution (from the futures). Returns a ``KplExplorer`` (an
    ipywidgets VBox) whose ``.run`` is the last ``KplRun``; ``.set(...)`` moves controls from code.
    """
    return _explorer_class()(lab, record_max_buffered_time_ms=record_max_buffered_time_ms, record_size=record_size,
                             rate=rate, aggregation_enabled=aggregation_enabled, seconds=seconds)


_EXPLORER_CLASS: Any = None


def _explorer_class() -> type:
    """The KplExplorer class, built on first use so importing this module needs no ipywidgets."""
    global _EXPLORER_CLASS
    if _EXPLORER_CLASS is not None:
        return _EXPLORER_CLASS
    import ipywidgets as widgets

    class _KplExplorer(widgets.VBox):
        def __init__(self, lab: Any, *, record_max_buffered_time_ms: int, record_size: int, rate: int,
                     aggregation_enabled: bool, seconds: float) -> None:
            style = {"description_width": "190px"}
            wide = widgets.Layout(width="520px")
            if record_size not in dict(SIZE_CHOICES).values():
                raise ValueError(f"record_size must be one of {[v for _, v in SIZE_CHOICES]}")
            if record_max_buffered_time_ms not in BUFFER_CHOICES:
                raise ValueError(f"record_max_buffered_time_ms must be one of {BUFFER_CHOICES}")
            self.buffer_slider = widgets.SelectionSlider(
                options=[(f"{v:,} ms", v) for v in BUFFER_CHOICES], value=record_max_buffered_time_ms,
                description="record_max_buffered_time_ms", continuous_update=False, style=style, layout=wide)
            self.size_slider = widgets.SelectionSlider(options=SIZE_CHOICES, value=record_size, description="record size",
                                                       continuous_update=False, style=style, layout=wide)
            self.rate_slider = widgets.IntSlider(value=rate, min=500, max=8000, step=500, description="user records / s offered",
                                                 continuous_update=False, style=style, layout=wide)
            self.aggregation = widgets.Checkbox(value=aggregation_enabled, description="aggregation_enabled", indent=False)
            self.summary = widgets.HTML()
            self.output = widgets.Output()
            super().__init__([self.buffer_slider, self.size_slider, self.rate_slider, self.aggregation,
                              self.summary, self.output])
            self.lab = lab
            self.seconds = seconds
            self.cloudwatch = lab.client("cloudwatch")
            self.run: KplRun | None = None
            self.runs = 0
            self._quiet = False
            for control in (self.buffer_slider, self.size_slider, self.rate_slider, self.aggregation):
                control.observe(self._changed, names="value")
            self.update()

        def _changed(self, _change: Any) -> None:
            if not self._quiet:
                self.update()

        def update(self) -> KplRun:
            import matplotlib.pyplot as plt

            agg = bool(self.aggregation.value)
            rate = int(self.rate_slider.value)
            seconds = _explorer_seconds(rate, agg, self.seconds)
            run = run_kpl(self.lab, rate=rate, seconds=seconds, record_size=int(self.size_slider.value), shards=1,
                          seed=self.runs, delete=False, aggregation_enabled=agg,
                          record_max_buffered_time_ms=int(self.buffer_slider.value), metrics_level="none")
            self.run = run
            self.runs += 1
            use = stream_usage(self.cloudwatch, run)
            busiest_bytes = max(use["bytes_share"])
            busiest_records = max(use["records_share"])
            failed = f", <b>{run.failed:,} failed</b>" if run.failed else ""
            self.summary.value = (
                f"{run.offered:,} user records over {seconds:g} simulated s: delivered {run.delivered:,}{failed} at "
                f"<b>{run.throughput:,.0f}/s</b> in {run.kinesis_records:,} Kinesis records "
                f"({run.user_per_kinesis_record:,.1f} each) and {run.requests:,} PutRecords requests; "
                f"latency p95 <b>{run.p95:,.0f} ms</b>; {run.retries:,} retries. Busiest second: "
                f"{busiest_bytes:.0%} of the byte limit, {busiest_records:.0%} of the record limit."
            )
            self.output.clear_output(wait=True)
            with self.output:
                fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
                plot_usage(self.cloudwatch, [run], axes=axes[:2], labels=["this run"])
                plot_latency([run], ax=axes[2], labels=["this run"])
                fig.tight_layout()
                plt.show()
            self.kinesis_cleanup(run)
            return run

        def kinesis_cleanup(self, run: KplRun) -> None:
            # Delete the run's stream (its CloudWatch datapoints stay, as in AWS).
            client = self.lab.client("kinesis")
            client.delete_stream(StreamName=run.stream)

        def set(self, **values: Any) -> KplRun:
            """Move controls from code: ``explorer.set(aggregation_enabled=False, rate=2000)`` (runs once)."""
            controls = {"record_max_buffered_time_ms": self.buffer_slider, "record_size": self.size_slider,
                        "rate": self.rate_slider, "aggregation_enabled": self.aggregation}
            unknown = set(values) - set(controls)
            if unknown:
                raise ValueError(f"unknown setting(s) {sorted(unknown)}; choose from {sorted(controls)}")
            self._quiet = True
            try:
                for name, value in values.items():
                    controls[name].value = value
            finally:
                self._quiet = False
            return self.update()

    _KplExplorer.__name__ = _KplExplorer.__qualname__ = "KplExplorer"
    _EXPLORER_CLASS = _KplExplorer
    return _KplExplorer


def __getattr__(name: str) -> Any:
    if name == "KplExplorer":
        return _explorer_class()
    raise AttributeError(name)
