"""Reading a stream, measured: where iterators start, polling readers sharing a shard, polling
against enhanced fan-out, cost dimensions and shard lineage (layer 3: boto3, ``labsim.quotas`` and
public helpers only).

- ``iterator_starts``: the first record each of the five iterator types returns.
- ``simulate_polling_readers``: a producer and N polling applications on one shard, run on the lab
  clock through real GetRecords calls; what each reader got, how often it was throttled, and how
  late its records arrived.
- ``consumer_comparison``: per-consumer throughput and latency for polling against enhanced fan-out,
  from the published limits and ``labsim.streams.latency``.
- ``cost_dimensions``: what each choice is billed for, with *example* rates you edit yourself.
- ``lineage``: parents and children after SplitShard / MergeShards.

>>> row = consumer_comparison(consumers=5, write_mib_per_s=1.0, shards=1)
>>> row["polling"]["per_consumer_mib_per_s"], row["efo"]["per_consumer_mib_per_s"]
(0.4, 1.0)
>>> row["polling"]["latency_ms"], row["efo"]["latency_ms"]
(1000.0, 70.0)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from labsim import quotas
from labsim.streams.latency import propagation_delay

__all__ = [
    "ITERATOR_TYPES", "epoch_seconds", "iterator_starts",
    "ReaderStats", "PollingRun", "simulate_polling_readers",
    "consumer_comparison", "EXAMPLE_RATES", "cost_dimensions", "lineage",
]

MiB = quotas.MiB
ITERATOR_TYPES = ("TRIM_HORIZON", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "LATEST")


def epoch_seconds(t: Any) -> float:
    """A datetime or a number of seconds, as epoch seconds."""
    return t.timestamp() if isinstance(t, _dt.datetime) else float(t)


def _no_retry_client(client: Any) -> Any:
    """A client like ``client`` (same session, Region) whose throttles are not retried by botocore."""
    import boto3
    from botocore.config import Config

    creds = client._request_signer._credentials
    session = boto3.session.Session(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key)
    return session.client(
        "kinesis", region_name=client.meta.region_name, config=Config(retries={"total_max_attempts": 1})
    )


# --- 1. where each iterator type starts ---------------------------------------------------------
def iterator_starts(
    client: Any, stream: str, shard_id: str, *, sequence_number: str, timestamp: Any
) -> dict[str, str | None]:
    """The sequence number of the first record each iterator type returns (None: nothing yet).

    Calls GetShardIterator and one GetRecords(Limit=1) per type, as a learner would.
    ``sequence_number`` is used for AT_/AFTER_SEQUENCE_NUMBER, ``timestamp`` for AT_TIMESTAMP.
    """
    out: dict[str, str | None] = {}
    for kind in ITERATOR_TYPES:
        extra: dict[str, Any] = {}
        if kind.endswith("SEQUENCE_NUMBER"):
            extra["StartingSequenceNumber"] = sequence_number
        elif kind == "AT_TIMESTAMP":
            extra["Timestamp"] = timestamp
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType=kind, **extra)["ShardIterator"]
        records = client.get_records(ShardIterator=it, Limit=1)["Records"]
        out[kind] = records[0]["SequenceNumber"] if records else None
    return out


# --- 2. polling readers sharing one shard -------------------------------------------------------
@dataclass
class ReaderStats:
    """One polling application during a ``simulate_polling_readers`` run."""

    name: str
    calls: int = 0
    throttled: int = 0
    records: int = 0
    bytes: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds from arrival to delivery, per record
    behind_ms: list[tuple[float, int]] = field(default_factory=list)  # (t, MillisBehindLatest)

    @property
    def mean_latency_ms(self) -> float:
        return 1000 * sum(self.latencies) / len(self.latencies) if self.latencies else float("nan")


@dataclass
class PollingRun:
    """What ``simulate_polling_readers`` measured."""

    readers: list[ReaderStats]
    seconds: float
    written_records: int
    written_bytes: int
    poll_interval: float

    @property
    def write_mib_per_s(self) -> float:
        return self.written_bytes / MiB / self.seconds

    def per_reader_mib_per_s(self) -> list[float]:
        return [r.bytes / MiB / self.seconds for r in self.readers]

    def table(self) -> list[dict[str, Any]]:
        """One row per reader, ready for printing or a DataFrame."""
        return [
            {
                "reader": r.name, "calls": r.calls, "throttled": r.throttled,
                "throttled %": round(100 * r.throttled / r.calls, 1) if r.calls else 0.0,
                "records": r.records, "MiB/s": round(r.bytes / MiB / self.seconds, 3),
                "mean latency ms": round(r.mean_latency_ms, 1),
                "behind at end ms": r.behind_ms[-1][1] if r.behind_ms else 0,
            }
            for r in self.readers
        ]


def simulate_polling_readers(
    lab: Any,
    readers: int = 1,
    *,
    seconds: float = 20.0,
    write_kib_per_s: float = 500.0,
    record_kib: float = 10.0,
    poll_interval: float = 0.2,
    stream: str | None = None,
) -> PollingRun:
    """Run a producer and ``readers`` polling applications on a fresh one-shard stream.

    The producer writes ``write_kib_per_s`` in records of ``record_kib`` ten times a second; every
    reader calls GetRecords every ``poll_interval`` seconds (KCL's default spacing is 0.2 s), from
    LATEST, without botocore retries, so each refusal is counted as what it is: a throttled call
    that returned nothing. Readers are staggered evenly inside the interval. Everything runs on the
    lab clock, which this function advances by about ``seconds + 11``. The stream is deleted at the end.
    """
    if isinstance(readers, bool) or not isinstance(readers, int) or readers < 1:
        raise ValueError(f"readers must be a positive int, got {readers!r}")
    if seconds <= 0 or poll_interval <= 0 or record_kib <= 0 or write_kib_per_s < 0:
        raise ValueError("seconds, poll_interval and record_kib must be positive; write_kib_per_s not negative")
    from botocore.exceptions import ClientError

    name = stream or f"polling-{readers}-readers"
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    shard_id = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    reader_client = _no_retry_client(kinesis)
    size = int(record_kib * 1024)
    per_tick = write_kib_per_s / 10 / record_kib  # records per 0.1 s
    stats = [ReaderStats(f"reader {i + 1}") for i in range(readers)]
    iterators = [
        reader_client.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="LATEST")["ShardIterator"]
        for _ in range(readers)
    ]
    written = {"records": 0, "bytes": 0, "carry": 0.0}
    start = lab.clock.now()
    end = start + seconds

    def produce() -> None:
        written["carry"] += per_tick
        n = int(written["carry"])
        written["carry"] -= n
        for first in range(0, n, 500):
            batch = [{"Data": bytes(size), "PartitionKey": f"k{written['records'] + j}"} for j in range(min(500, n - first))]
            out = kinesis.put_records(StreamName=name, Records=batch)
            ok = len(batch) - out["FailedRecordCount"]
            written["records"] += ok
            written["bytes"] += ok * size

    def poller(i: int):
        def poll() -> None:
            now = lab.clock.now()
            if now > end:
                return
            st = stats[i]
            st.calls += 1
            try:
                out = reader_client.get_records(ShardIterator=iterators[i])
            except ClientError as err:
                if err.response["Error"]["Code"] == "ProvisionedThroughputExceededException":
                    st.throttled += 1
                    return
                raise
            iterators[i] = out["NextShardIterator"]
            for r in out["Records"]:
                st.records += 1
                st.bytes += len(r["Data"])
                st.latencies.append(now - epoch_seconds(r["ApproximateArrivalTimestamp"]))
            st.behind_ms.append((now - start, out["MillisBehindLatest"]))

        return poll

    tasks = [lab.clock.call_every(0.1, produce, name="polling-demo-producer", first=0.05)]
    for i in range(readers):
        tasks.append(lab.clock.call_every(poll_interval, poller(i), name=f"polling-demo-reader-{i}",
                                          first=poll_interval * (i + 1) / readers))
    try:
        lab.clock.advance(seconds)
    finally:
        for task in tasks:
            task.cancel()
        kinesis.delete_stream(StreamName=name)
    return PollingRun(stats, seconds, written["records"], written["bytes"], poll_interval)


# --- 3. polling against enhanced fan-out -------------------------------------------------------
def consumer_comparison(consumers: int, write_mib_per_s: float, shards: int = 1) -> dict[str, dict[str, Any]]:
    """Per-consumer throughput and latency for ``consumers`` applications that each read everything.

    Polling: all consumers share 2 MiB/s per shard (and 5 calls/s), so each gets at most
    ``2 * shards / consumers`` MiB/s; latency from ``labsim.streams.latency`` (200 ms x consumers).
    EFO: each consumer has its own 2 MiB/s per shard and ~70 ms latency. ``keeps_up`` says whether a
    consumer can read as fast as the stream is written.
    """
    if isinstance(consumers, bool) or not isinstance(consumers, int) or consumers < 1:
        raise ValueError(f"consumers must be a positive int, got {consumers!r}")
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a positive int, got {shards!r}")
    if write_mib_per_s < 0:
        raise ValueError("write_mib_per_s must not be negative")
    read_cap = quotas.SHARD_READ_BYTES_PER_SECOND / MiB * shards
    efo_cap = quotas.EFO_READ_BYTES_PER_SECOND / MiB * shards
    polling_each = min(write_mib_per_s, read_cap / consumers)
    efo_each = min(write_mib_per_s, efo_cap)
    return {
        "polling": {
            "per_consumer_mib_per_s": round(polling_each, 6),
            "latency_ms": round(1000 * propagation_delay("polling", consumers), 3),
            "calls_per_s_each": round(quotas.SHARD_READ_CALLS_PER_SECOND / consumers, 3),
            "keeps_up": write_mib_per_s * consumers <= read_cap + 1e-9,
        },
        "efo": {
            "per_consumer_mib_per_s": round(efo_each, 6),
            "latency_ms": round(1000 * propagation_delay("efo", consumers), 3),
            "calls_per_s_each": 0.0,
            "keeps_up": write_mib_per_s <= efo_cap + 1e-9 and consumers <= quotas.MAX_CONSUMERS_PER_STREAM,
        },
    }


# --- 4. cost dimensions -----------------------------------------------------------------------------
#: EXAMPLE rates for the arithmetic only: made-up round numbers, NOT AWS prices (the fact sheet
#: could not verify current prices). Replace them with your Region's prices from the pricing page.
EXAMPLE_RATES = {
    "efo_consumer_shard_hour": 0.015,  # example $ per consumer-shard-hour
    "efo_gb_retrieved": 0.015,  # example $ per GB delivered by EFO
    "polling_gb_retrieved": 0.0,  # provisioned polling: no per-GB read charge (reads come with the shard-hour)
}


def cost_dimensions(consumers: int, shards: int, read_mib_per_s: float, hours: float = 730.0,
                    rates: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """What polling and EFO consumers add to a *provisioned* stream's bill, per billing dimension.

    Returns the units (consumer-shard-hours, GB retrieved) and their cost at ``rates`` (default
    ``EXAMPLE_RATES``: made-up example numbers, not prices). Shard-hours and PUT units are the same
    either way and are left out. Polling is limited by the shared 2 MiB/s; this function does not
    check that (see ``consumer_comparison``).
    """
    if consumers < 0 or shards < 1 or read_mib_per_s < 0 or hours < 0:
        raise ValueError("consumers, read_mib_per_s and hours must not be negative; shards must be at least 1")
    r = dict(EXAMPLE_RATES, **(rates or {}))
    gb = read_mib_per_s * MiB * 3600 * hours / 1e9 * consumers
    efo_units = {"consumer_shard_hours": consumers * shards * hours, "gb_retrieved": gb}
    efo_cost = efo_units["consumer_shard_hours"] * r["efo_consumer_shard_hour"] + gb * r["efo_gb_retrieved"]
    return {
        "polling": {"consumer_shard_hours": 0.0, "gb_retrieved": gb, "extra_cost": gb * r["polling_gb_retrieved"]},
        "efo": {**efo_units, "extra_cost": efo_cost},
    }


# --- 5. lineage --------------------------------------------------------------------------------------
def lineage(shards: Any) -> dict[str, dict[str, Any]]:
    """Shard id -> {parents, children, start, end, open, generation} from ``list_shards`` output."""
    items = shards.get("Shards", shards) if isinstance(shards, dict) else shards
    items = items.get("Shards", items) if isinstance(items, dict) else items
    out: dict[str, dict[str, Any]] = {}
    for s in items:
        parents = [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p]
        out[s["ShardId"]] = {
            "parents": parents, "children": [],
            "start": int(s["HashKeyRange"]["StartingHashKey"]), "end": int(s["HashKeyRange"]["EndingHashKey"]),
            "open": "EndingSequenceNumber" not in s.get("SequenceNumberRange", {}),
        }
    for sid in sorted(out):
        info = out[sid]
        for p in info["parents"]:
            if p in out:
                out[p]["children"].append(sid)
        known = [out[p]["generation"] for p in info["parents"] if p in out]
        info["generation"] = 1 + max(known) if known else 0
    return out


