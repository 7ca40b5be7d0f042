"""The read side of Kinesis Data Streams, installed into a running lab with one call.

``install(lab, router)`` registers fast handlers on ``labsim.transport.router`` for every read-side
operation and starts the read side's clock tasks; it returns a ``ReadSide`` whose ``stop()``
cancels them. The write side's physics (``labsim.streams``) calls it from its ``start()`` after
registering its own handlers, so these win for any operation both register.

=====================================  ==========================================================
module                                  operations and behaviour
=====================================  ==========================================================
``labsim.streams.iterators``            the five iterator types; opaque, HMAC-checked, 5-minute
                                        iterators (ExpiredIteratorException)
``labsim.streams.reads``                GetShardIterator (5/s per shard), GetRecords (Limit,
                                        10 MiB per call and the 5 s penalty, 5 calls/s, 2 MiB/s,
                                        MillisBehindLatest, ChildShards at a closed shard's end)
``labsim.streams.retention``            trimming on the lab clock, EXPIRED shards, Increase/
                                        DecreaseStreamRetentionPeriod
``labsim.streams.resharding``           SplitShard, MergeShards, UpdateShardCount, ListShards with
                                        ShardFilter / MaxResults / NextToken
``labsim.streams.efo``                  Register/Describe/List/DeregisterStreamConsumer and
                                        SubscribeToShard over the AWS event stream
``labsim.streams.latency``              the propagation-delay model (pure function)
=====================================  ==========================================================

Every operation reaches the write side's ``LabKinesisBackend`` (one per account and Region, found
with ``lab.backend("kinesis", region)``) for the streams (``backend.streams``: name ->
``labsim.streams.model.Stream``), stream lookups with the service's errors
(``describe_stream`` / ``data_stream``), and its CloudWatch aggregator (``backend.metrics``).

Looking under the hood (for lessons and graders)::

    side = lab.physics["kinesis"].read_side            # this module's ReadSide
    shard = lab.backend("kinesis").streams["demo"].shards["shardId-000000000000"]
    shard.read_budget.throttled                        # GetRecords calls refused so far (reads.ShardReadBudget)
    shard.read_budget.level(lab.clock.now())           # bytes of read budget left (negative = in debt)
    side.efo.subscriptions                             # {(consumer ARN, shard id): efo.Subscription}
    sub.delivered                                      # [(arrival, delivery)] per record pushed
    retention.shard_state(stream, shard, lab.clock.now())   # 'OPEN' / 'CLOSED' / 'EXPIRED'
    latency.propagation_delay("polling", consumers=3)        # the figure AWS quotes, for plots
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from labsim import quotas
from labsim.transport import json_error, json_response, make_response, request_json

from . import errors as E
from .iterators import IteratorCodec

_REGION_RE = re.compile(r"\.((?:[a-z]{2}|us-gov|us-iso[a-z]?)-[a-z]+-\d+)\.")
_CRED_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")

Handler = Callable[[AWSPreparedRequest], AWSResponse]


class ReadContext:
    """What every read-side handler needs: the lab's clock, backends, iterator codec, account."""

    def __init__(self, lab: Any, backend_for: Callable[[str], Any] | None = None) -> None:
        self.lab = lab
        self.clock = lab.clock
        self.account_id = lab.account_id
        self.default_region = lab.region
        self.backend_for = backend_for or (lambda region: lab.backend("kinesis", region))
        # Secrets derive from the lab's seed, so iterators and page tokens are the same on every run
        # (deterministic notebooks) while a tampered token still fails the MAC.
        self.codec = IteratorCodec(secret=self.secret("iterators"))
        self._regions: dict[str, str] = {}

    def now(self) -> float:
        return self.clock.now()

    def secret(self, purpose: str) -> bytes:
        return hashlib.sha256(f"labsim:{purpose}:{getattr(self.lab, 'seed', 0)}".encode()).digest()

    # -- requests ---------------------------------------------------------------------------------
    def region_of(self, request: AWSPreparedRequest) -> str:
        url = request.url
        region = self._regions.get(url)
        if region is None:
            m = _REGION_RE.search(url)
            if m is None:
                auth = request.headers.get("Authorization") or b""
                if isinstance(auth, bytes):
                    auth = auth.decode("latin-1")
                m = _CRED_RE.search(auth)
            region = m.group(1) if m else self.default_region
            self._regions[url] = region
        return region

    def backend(self, region: str) -> Any:
        return self.backend_for(region)

    def regions(self) -> list[str]:
        """Regions whose Kinesis backend exists in this lab (for periodic sweeps)."""
        from labsim._moto import get_backend

        try:
            account = get_backend("kinesis")[self.account_id]
            return list(account.keys())
        except Exception:
            return [self.default_region]

    def all_streams(self) -> list[Any]:
        out = []
        for region in self.regions():
            try:
                out.extend(self.backend(region).streams.values())
            except Exception:
                continue
        return out

    # -- handler plumbing ---------------------------------------------------------------------------
    def json_handler(self, fn: Callable[[dict[str, Any], str], dict[str, Any]]) -> Handler:
        """Wrap ``fn(params, region) -> payload`` as a fast handler answering JSON or an AWS error."""

        def handler(request: AWSPreparedRequest) -> AWSResponse:
            try:
                params = request_json(request)
            except ValueError:
                return json_error(request, "SerializationException", "Start of structure or map found where not expected.")
            try:
                return json_response(request, fn(params, self.region_of(request)))
            except E.KinesisError as err:
                return error_response(request, err)

        handler.__name__ = f"readside_{getattr(fn, '__name__', 'handler')}"
        return handler


def error_response(request: AWSPreparedRequest, err: E.KinesisError) -> AWSResponse:
    return json_error(request, err.error_type, err.message, int(err.code or 400))


class ReadSide:
    """The installed read side of one lab: its context, services and clock tasks."""

    def __init__(self, ctx: ReadContext) -> None:
        from .efo import EnhancedFanOut
        from .reads import Reads
        from .resharding import Resharding
        from .retention import Retention

        self.ctx = ctx
        self.reads = Reads(ctx)
        self.retention = Retention(ctx)
        self.resharding = Resharding(ctx)
        self.efo = EnhancedFanOut(ctx)
        self.tasks: list[Any] = []

    def handlers(self) -> dict[str, Handler]:
        out: dict[str, Handler] = {}
        for part in (self.reads, self.retention, self.resharding, self.efo):
            out.update(part.handlers())
        return out

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()
        self.efo.stop()


def install(lab: Any, router: Any, backend_for: Callable[[str], Any] | None = None) -> ReadSide:
    """Register the read side's fast handlers on ``router`` and start its clock tasks.

    ``backend_for(region)`` returns the ``LabKinesisBackend`` of the lab's account in ``region``
    (default: ``lab.backend("kinesis", region)``). Call after the write side registered its own
    handlers: ours replace theirs for the operations both serve.
    """
    ctx = ReadContext(lab, backend_for)
    side = ReadSide(ctx)
    for operation, handler in side.handlers().items():
        router.register("kinesis", operation, handler)
    side.tasks.append(
        lab.clock.call_every(float(quotas.RETENTION_SWEEP_SECONDS), side.retention.sweep_all, name="kinesis-retention-sweep")
    )
    return side


__all__ = ["install", "ReadSide", "ReadContext", "error_response", "make_response"]
