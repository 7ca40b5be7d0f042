"""``Agent``: the Kinesis Agent for Linux, in Python, tailing real files on the lab's clock.

>>> import tempfile, pathlib
>>> from labsim import Lab
>>> with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
...     kinesis = lab.client("kinesis")
...     _ = kinesis.create_stream(StreamName="logs", ShardCount=1); _ = lab.clock.advance(30)
...     log = pathlib.Path(tmp, "app.log")
...     _ = log.write_text("GET /a 200\\n")
...     agent = Agent({"checkpointFile": f"{tmp}/cp", "flows": [{"filePattern": f"{tmp}/*.log",
...                    "kinesisStream": "logs", "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000}]}).start()
...     with log.open("a") as fh: _ = fh.write("GET /b 404\\n")
...     _ = lab.clock.advance(2)
...     agent.stop()
...     agent.metrics()[f"kinesis:logs:{tmp}/*.log"]["RecordsSent"]
2

Clients: Kinesis, Firehose and CloudWatch clients default to ``boto3.client(...)`` in the lab's
Region (or ``kinesis.region``), which a running lab serves in-process; the agent itself imports
nothing but boto3 and the lab's clock, so the same code would talk to any endpoint.
"""

from __future__ import annotations

import hashlib
import random
import sys
import warnings
from typing import Any

from .checkpoints import CheckpointStore
from .config import AgentConfig, FlowConfig
from .converters import ConverterChain
from .errors import AgentConfigError
from .sender import CLOUDWATCH_METRICS, FlowSender, Position
from .tailer import FlowTailer, OpenFile

DEFAULT_REGION = "us-east-1"


def running_lab() -> Any:
    """The running ``labsim.Lab`` or ``None``, found without importing the lab module."""
    module = sys.modules.get("labsim.lab")
    return module.current_lab() if module is not None else None


class AgentWarning(UserWarning):
    """Something the agent logged as a warning (a rotation it could not follow, a file gone)."""


class FlowRunner:
    """One flow: its tailer, its converters and its sender, polled on the clock."""

    __slots__ = ("flow", "tailer", "chain", "sender", "task")

    def __init__(self, flow: FlowConfig, tailer: FlowTailer, chain: ConverterChain, sender: FlowSender) -> None:
        self.flow, self.tailer, self.chain, self.sender = flow, tailer, chain, sender
        self.task: Any = None


class Agent:
    """The agent: ``start()``, ``stop()`` (graceful), ``crash()`` (process death), ``metrics()``."""

    def __init__(self, config: Any, kinesis: Any = None, firehose: Any = None, cloudwatch: Any = None, *,
                 clock: Any = None, seed: int | None = None) -> None:
        self.config = AgentConfig.parse(config)
        lab = running_lab()
        if clock is None:
            if lab is None:
                raise RuntimeError("the agent runs on a lab's clock: start a lab first (`lab = Lab().start()`) "
                                   "or pass clock=")
            clock = lab.clock
        self.clock = clock
        self.seed = seed if seed is not None else (lab.seed if lab is not None else 0)
        self.account_id = lab.account_id if lab is not None else "123456789012"
        self.region = self.config.kinesis_region or (lab.region if lab is not None else DEFAULT_REGION)
        self._clients = {"kinesis": kinesis, "firehose": firehose, "cloudwatch": cloudwatch}
        self.state = "new"
        self.store: CheckpointStore | None = None
        self.runners: list[FlowRunner] = []
        self._metrics_task: Any = None
        self.warnings: list[str] = []
        self.started_at: float | None = None
        # Build converters now, so a bad dataProcessingOptions fails at construction like the Java agent.
        self._chains = [ConverterChain.from_options(f.processing_options, f"flows[{f.index}].dataProcessingOptions",
                                                    now=self.clock.now, ec2_identity=self.ec2_identity())
                        for f in self.config.flows]

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> "Agent":
        if self.state == "running":
            return self
        if self.state != "new":
            raise RuntimeError(f"this agent is {self.state}; build a new Agent on the same checkpointFile to restart")
        now = self.clock.now()
        self.started_at = now
        self.store = CheckpointStore(self.config.checkpoint_file, now, self.config.checkpoint_ttl_days)
        for flow, chain in zip(self.config.flows, self._chains):
            client = self._client("kinesis" if flow.kind == "kinesis" else "firehose")
            # seeded by the flow's place and destination, not its folder (a lab's folder is a new temporary one each run)
            rng = random.Random(int.from_bytes(hashlib.sha256(f"agent:{self.seed}:{flow.index}:{flow.destination}".encode()).digest()[:8], "big"))
            runner = FlowRunner(flow, FlowTailer(flow, self._warn), chain, FlowSender(flow, client, rng))
            runner.tailer.start(self.store.latest(flow.id))
            runner.task = self.clock.call_every(flow.min_poll_ms / 1000, lambda r=runner: self._tick(r),
                                                name=f"agent:{flow.id}", first=0)
            self.runners.append(runner)
        if self.config.emit_metrics:
            self._metrics_task = self.clock.call_every(self.config.metrics_buffer_ms / 1000, self._emit_metrics,
                                                       name="agent:metrics")
        self.state = "running"
        return self

    def stop(self) -> None:
        """Graceful: stop reading, send what is buffered (within shutdownTimeoutMillis), checkpoint."""
        if self.state != "running":
            return
        self._cancel_tasks()
        deadline = self.clock.now() + self.config.shutdown_timeout_ms / 1000
        for runner in self.runners:
            runner.sender.seal()
        while True:
            waiting = []
            for runner in self.runners:
                self._send(runner)
                if runner.sender.queue:
                    waiting.append(runner.sender.retry_at)
            now = self.clock.now()
            if not waiting or now >= deadline:
                break
            self.clock.sleep(max(0.0, min(min(waiting), deadline) - now))
        if self.config.emit_metrics:
            self._emit_metrics()
        self._close("stopped")

    def crash(self) -> None:
        """Process death: buffered and in-flight records are lost; nothing more is checkpointed."""
        if self.state != "running":
            return
        self._cancel_tasks()
        self._close("crashed")

    def __enter__(self) -> "Agent":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _cancel_tasks(self) -> None:
        for runner in self.runners:
            if runner.task is not None:
                runner.task.cancel()
        if self._metrics_task is not None:
            self._metrics_task.cancel()

    def _close(self, state: str) -> None:
        for runner in self.runners:
            runner.tailer.close()
        if self.store is not None:
            self.store.close()
        self.state = state

    # -- the work, on the clock ---------------------------------------------------------------------------
    def _tick(self, runner: FlowRunner) -> None:
        now = self.clock.now()
        sender = runner.sender
        if sender.queue_full():   # a full publish queue stops the reading (back-pressure)
            sender.counts["ReadsPausedQueueFull"] += 1
        else:
            for raw, f, end in runner.tailer.poll():
                sender.counts["RecordsParsed"] += 1
                position = _position(f, end)
                errors = runner.chain.errors
                data = runner.chain.convert(raw)
                sender.counts["DataProcessingErrors"] += runner.chain.errors - errors
                if data is None:
                    sender.counts["RecordsSkipped"] += 1
                    sender.mark(position)
                else:
                    sender.add(data, now, position)
        sender.seal_if_old(now)
        self._send(runner)

    def _send(self, runner: FlowRunner) -> None:
        for buf in runner.sender.send_ready(self.clock.now()):
            end = buf.end
            if end is not None and self.store is not None:
                self.store.save(runner.flow.id, end.path, end.file_id, end.mtime_ms, end.size, end.offset, self.clock.now())

    def _emit_metrics(self) -> None:
        cw = self._client("cloudwatch")
        timestamp = self.clock.datetime() if hasattr(self.clock, "datetime") else None
        for runner in self.runners:
            delta = runner.sender.take_metrics()
            data = []
            for name, unit in CLOUDWATCH_METRICS:
                datum = {"MetricName": name, "Value": float(delta[name]), "Unit": unit,
                         "Dimensions": [{"Name": "Destination", "Value": runner.flow.destination_dimension}]}
                if timestamp is not None:
                    datum["Timestamp"] = timestamp
                data.append(datum)
            try:
                cw.put_metric_data(Namespace=self.config.metrics_namespace, MetricData=data)
            except Exception as exc:  # metrics must never stop the agent
                self._warn(f"could not publish metrics for {runner.flow.id}: {exc}")

    # -- what a learner looks at ------------------------------------------------------------------------
    def metrics(self) -> dict[str, dict[str, int]]:
        """Totals per flow id: RecordsParsed, RecordsSent, RecordSendErrors, BytesSent, ServiceErrors ...

        and the back-pressure gauges of this moment: ``PublishQueueBuffers`` (buffers waiting to be
        sent; at ``publishQueueCapacity`` the agent stops reading) and ``PublishQueueRecords``.
        The Java agent reports these in its log only, so they are not sent to CloudWatch.
        """
        out = {}
        for runner in self.runners:
            counts = dict(runner.sender.counts)
            counts["BytesRead"] = runner.tailer.bytes_read
            counts["PublishQueueBuffers"] = len(runner.sender.queue)
            counts["PublishQueueRecords"] = sum(len(buf.records) for buf in runner.sender.queue)
            out[runner.flow.id] = counts
        return out

    def checkpoints(self) -> list[dict[str, Any]]:
        """The rows of the SQLite checkpoint file (opens it read-only if the agent is not running)."""
        if self.store is not None and self.state == "running":
            return self.store.rows()
        store = CheckpointStore(self.config.checkpoint_file, self.clock.now(), self.config.checkpoint_ttl_days)
        try:
            return store.rows()
        finally:
            store.close()

    def ec2_identity(self) -> dict[str, Any]:
        """What ADDEC2METADATA adds: the lab's made-up instance, the same every run for a seed."""
        digest = hashlib.sha256(f"ec2:{self.seed}:{self.account_id}".encode()).hexdigest()
        started = self.clock.datetime() if hasattr(self.clock, "datetime") else None
        return {
            "privateIp": f"10.0.{int(digest[:2], 16)}.{int(digest[2:4], 16) or 1}",
            "availabilityZone": f"{self.region}a",
            "instanceId": f"i-{digest[4:21]}",
            "instanceType": "t3.micro",
            "accountId": self.account_id,
            "amiId": f"ami-{digest[21:38]}",
            "region": self.region,
            "metadataTimestamp": started.strftime("%Y-%m-%dT%H:%M:%S+0000") if started else None,
            "tags": {},
        }

    def __repr__(self) -> str:
        return f"<Agent {self.state} flows={len(self.config.flows)} checkpointFile={self.config.checkpoint_file}>"

    # -- helpers ---------------------------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            import boto3

            region = self.config.firehose_region if service == "firehose" and self.config.firehose_region else self.region
            client = self._clients[service] = boto3.client(service, region_name=region)
        return client

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        warnings.warn(f"labsim.agent: {text}", AgentWarning, stacklevel=3)


def _position(f: OpenFile, end: int) -> Position:
    snap = f.snapshot
    return Position(snap.path, snap.file_id, snap.mtime_ns // 1_000_000, max(snap.size, f.read_pos), end)


__all__ = ["Agent", "AgentConfigError", "AgentWarning"]
