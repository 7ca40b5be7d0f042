"""Networking experiments: one producer on each network path, and producers whose buffers fill up.

- ``run_paths``: the same synchronous PutRecord loop from a VPC with an interface endpoint, from the
  same Region over a NAT gateway, and from another Region; requests per second and each record's
  latency (its ``ApproximateArrivalTimestamp`` minus the moment the call began).
- ``run_kpl_backpressure``: a KPL producer offered more than its shard accepts; its
  ``outstanding_records`` (``UserRecordsPending``) sampled on the lab clock.
- ``run_agent_backpressure``: the Kinesis Agent tailing a file that grows faster than the shard
  accepts; its publish queue and unread bytes sampled on the lab clock.

Everything goes through boto3 clients, the KPL and the Agent, as a learner's code would.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from labsim.kpl import KinesisProducer
from labsim.network import PATHS

__all__ = ["PathRun", "run_paths", "LoopRun", "run_loop", "place_for", "BackpressureRun", "run_kpl_backpressure", "run_agent_backpressure",
           "vpc_with_endpoint", "PATH_LABELS"]

#: How each path reads in a table or a legend.
PATH_LABELS = {"vpc-endpoint": "VPC interface endpoint (same Region)",
               "internet": "NAT gateway to the public endpoint (same Region)",
               "cross-region": "another Region's endpoint"}


class PathRun:
    """One path: requests made, simulated seconds, and per-record latencies in ms."""

    __slots__ = ("path", "requests", "seconds", "latencies_ms")

    def __init__(self, path: str, requests: int, seconds: float, latencies_ms: list[float]) -> None:
        self.path, self.requests, self.seconds, self.latencies_ms = path, requests, seconds, latencies_ms

    @property
    def rate(self) -> float:
        """Requests per second one synchronous loop achieved."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def median_ms(self) -> float:
        values = sorted(self.latencies_ms)
        return values[len(values) // 2] if values else 0.0

    def __repr__(self) -> str:
        return f"<PathRun {self.path}: {self.rate:.0f} requests/s, median record latency {self.median_ms:.1f} ms>"


def vpc_with_endpoint(lab: Any, service: str = "kinesis-streams", private_dns: bool = True) -> tuple[str, str]:
    """A new VPC with an interface endpoint for ``service`` in the lab's Region: (vpc id, endpoint id)."""
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{lab.region}.{service}",
                                       VpcEndpointType="Interface", SubnetIds=[subnet],
                                       PrivateDnsEnabled=private_dns)["VpcEndpoint"]["VpcEndpointId"]
    return vpc, endpoint


def place_for(lab: Any, path: str, vpc: str | None, other_region: str = "eu-west-1") -> None:
    """Place the lab's code where requests take ``path`` (``vpc``: a VPC with an endpoint, for that path)."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {list(PATHS)}, got {path!r}")
    lab.network.place(**{"vpc-endpoint": {"vpc_id": vpc}, "internet": {}, "cross-region": {"region": other_region}}[path])


def run_paths(lab: Any, stream: str, seconds: float = 1.0, other_region: str = "eu-west-1",
              vpc: str | None = None) -> dict[str, PathRun]:
    """A synchronous PutRecord loop for ``seconds`` of simulated time on each path. Leaves the lab ideal.

    ``vpc``: a VPC whose Kinesis interface endpoint has private DNS (default: one is made)."""
    kinesis = lab.client("kinesis")
    vpc = vpc if vpc is not None else vpc_with_endpoint(lab)[0]
    runs: dict[str, PathRun] = {}
    for path in PATHS:
        place_for(lab, path, vpc, other_region)
        start = lab.clock.now()
        sent: list[float] = []
        while lab.clock.now() - start < seconds:
            sent.append(lab.clock.now())
            kinesis.put_record(StreamName=stream, Data=b"reading", PartitionKey=f"{path}-{len(sent)}")
        runs[path] = PathRun(path, len(sent), lab.clock.now() - start, [])
        lab.network.ideal()
        runs[path].latencies_ms = _arrival_latencies(kinesis, stream, start, sent)
    return runs


class LoopRun:
    """A synchronous PutRecords loop on one path: requests, records accepted and throttled, seconds."""

    __slots__ = ("path", "batch", "requests", "accepted", "throttled", "seconds", "round_trips_ms")

    def __init__(self, path: str, batch: int) -> None:
        self.path, self.batch = path, batch
        self.requests = self.accepted = self.throttled = 0
        self.seconds = 0.0
        self.round_trips_ms: list[float] = []

    @property
    def accepted_rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def request_rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_loop(lab: Any, stream: str, path: str, vpc: str | None, batch: int = 1, seconds: float = 1.0,
             record_bytes: int = 100) -> LoopRun:
    """One thread sending ``batch`` records per request (PutRecord if 1, else PutRecords) for ``seconds``."""
    if not 1 <= batch <= 500:
        raise ValueError(f"batch must be 1 to 500 records per request, got {batch!r}")
    kinesis = lab.client("kinesis")
    run = LoopRun(path, batch)
    place_for(lab, path, vpc)
    lab.network.reset()
    data = b"r" * record_bytes
    start = lab.clock.now()
    try:
        while lab.clock.now() - start < seconds:
            n = run.requests * batch
            if batch == 1:
                try:
                    kinesis.put_record(StreamName=stream, Data=data, PartitionKey=f"k{n}")
                    run.accepted += 1
                except kinesis.exceptions.ProvisionedThroughputExceededException:
                    run.throttled += 1
            else:
                records = [{"Data": data, "PartitionKey": f"k{n + i}"} for i in range(batch)]
                failed = kinesis.put_records(StreamName=stream, Records=records)["FailedRecordCount"]
                run.accepted += batch - failed
                run.throttled += failed
            run.requests += 1
        run.seconds = lab.clock.now() - start
        run.round_trips_ms = [t.seconds * 1000 for t in lab.network.trips]
    finally:
        lab.network.ideal()
    return run


def _arrival_latencies(kinesis: Any, stream: str, start: float, sent: list[float]) -> list[float]:
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="AT_TIMESTAMP",
                                    Timestamp=start)["ShardIterator"]
    arrivals = [r["ApproximateArrivalTimestamp"].timestamp() for r in kinesis.get_records(ShardIterator=it)["Records"]]
    return [round((a - s) * 1000, 3) for s, a in zip(sent, arrivals[: len(sent)])]


class BackpressureRun:
    """A producer's buffer over time: ``times`` (s since the start) and ``pending`` (records or buffers)."""

    __slots__ = ("what", "times", "pending", "offered_until", "extra")

    def __init__(self, what: str, offered_until: float) -> None:
        self.what, self.offered_until = what, offered_until
        self.times: list[float] = []
        self.pending: list[int] = []
        self.extra: dict[str, Any] = {}

    @property
    def peak(self) -> int:
        return max(self.pending, default=0)

    def __repr__(self) -> str:
        return f"<BackpressureRun {self.what}: peak {self.peak:,}>"


def run_kpl_backpressure(lab: Any, stream: str, rate: int = 2000, record_bytes: int = 1024, seconds: float = 4.0,
                         sample: float = 0.25, drain: float = 6.0) -> BackpressureRun:
    """A KPL producer offered ``rate`` user records/s of ``record_bytes`` for ``seconds``, then left to drain."""
    kinesis = lab.client("kinesis")
    run = BackpressureRun("KPL UserRecordsPending", seconds)
    producer = KinesisProducer(stream, client=kinesis, metrics_upload_delay_ms=1000)
    start = lab.clock.now()
    payload = b"x" * record_bytes
    per_step = int(rate * sample)
    n = 0
    t = 0.0
    while t < seconds + drain - 1e-9:
        if t < seconds - 1e-9:
            for _ in range(per_step):
                producer.put_record(payload, partition_key=f"k{n}")
                n += 1
        lab.clock.advance_to(start + t + sample)
        t = round(t + sample, 9)
        run.times.append(t)
        run.pending.append(producer.outstanding_records)
    producer.close()
    metrics = producer.metrics()
    run.extra = {"records": n, "throttled": metrics.get("ErrorsByCode", {}).get("Sum", 0),
                 "UserRecordsPending max": metrics.get("UserRecordsPending", {}).get("Maximum", 0)}
    return run


def run_agent_backpressure(lab: Any, stream: str, lines: int = 6000, line_bytes: int = 1000, capacity: int = 4,
                           seconds: float = 10.0, sample: float = 0.25, buffer_records: int = 500) -> BackpressureRun:
    """The Agent tailing a file of ``lines`` lines written at once; its publish queue sampled."""
    from labsim.agent import Agent

    run = BackpressureRun("Agent publish queue (buffers)", 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "app.log")
        line = b"y" * (line_bytes - 1) + b"\n"
        log.write_bytes(line * lines)
        config = {"checkpointFile": f"{tmp}/cp", "cloudwatch.emitMetrics": False,
                  "flows": [{"filePattern": str(log), "kinesisStream": stream, "initialPosition": "START_OF_FILE",
                             "maxBufferSizeRecords": buffer_records, "maxBufferAgeMillis": 1000, "publishQueueCapacity": capacity}]}
        agent = Agent(config, kinesis=lab.client("kinesis")).start()
        flow = agent.runners[0].flow.id
        start = lab.clock.now()
        t = 0.0
        behind: list[int] = []
        while t < seconds - 1e-9:
            lab.clock.advance_to(start + t + sample)
            t = round(t + sample, 9)
            m = agent.metrics()[flow]
            run.times.append(t)
            run.pending.append(m["PublishQueueBuffers"])
            behind.append(lines * line_bytes - m["BytesRead"])
        agent.stop()
        m = agent.metrics()[flow]
        run.extra = {"bytes behind": behind, "capacity": capacity, "RecordsSent": m["RecordsSent"],
                     "RecordSendErrors": m["RecordSendErrors"], "ReadsPausedQueueFull": m["ReadsPausedQueueFull"]}
    return run
