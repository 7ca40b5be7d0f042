"""``LabKinesisBackend``: moto's Kinesis backend with labsim's model and physics.

One instance serves one account and Region. It keeps ``self.streams`` (moto's attribute name) as
a dict of ``labsim.streams.model.Stream``, whose objects provide the attributes moto's own methods
and its KinesisResponse read (``to_json``, ``to_json_summary``, ``shards``, ``tags``, ``consumers``,
``shard_level_metrics``, ``encryption_type``...), so the operations moto's KinesisResponse still
serves (tags, encryption, enhanced monitoring, resource policies, DescribeLimits, UpdateStreamMode)
work on the labsim model.

Every operation has exactly one implementation here: a method of this class, or of the concept
module it owns and delegates to (``reads``, ``retention``, ``resharding``, ``efo``). The pipeline
handlers in ``labsim.streams.api`` call these methods; moto's KinesisResponse calls the rest.

The lab's clock, account and seed come from ``self.context`` (``labsim.context.LabContext``),
bound to this class when the lab swaps it in (``labsim._moto.swap_backend_class``).
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from typing import Any

from moto.kinesis.models import KinesisBackend

from labsim import quotas
from labsim._moto import LabBackendMixin, get_backend
from labsim.clock import VirtualClock

from . import errors as E
from . import lifecycle
from .budgets import ShardWriteBudget
from .efo import EnhancedFanOut
from .iterators import IteratorCodec
from .metrics import SHARD_WRITE_METRICS, MetricsAggregator
from .model import Shard, Stream
from .reads import Reads, ShardBatch, read_shard
from .resharding import Resharding
from .retention import Retention
from labsim.keyspace import HASH_KEY_PATTERN, MAX_HASH_KEY
from labsim.keyspace import partition_key_hash as key_hash
from .scaling import OnDemandScaler

STREAM_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]+$")
STREAM_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
HASH_KEY_REGEX_TEXT = "0|([1-9]\\d{0,38})"
SEQUENCE_NUMBER_RE = re.compile(r"^(0|[1-9]\d{0,128})$")
THROTTLED = "ProvisionedThroughputExceededException"
INTERNAL_FAILURE = "InternalFailure"



def _b64decode(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return binascii.a2b_base64(value)
    return binascii.a2b_base64(value.encode("ascii"))


class LabKinesisBackend(LabBackendMixin, KinesisBackend):
    """moto's KinesisBackend on labsim's model: statuses, budgets, validation, metrics."""

    moto_service = "kinesis"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        # The lab binds its context to this class (labsim._moto.swap_backend_class); a backend built
        # outside a lab (unit tests) gets a clock of its own.
        self.clock = self.context.clock if self.context is not None else VirtualClock()
        self.now = self.clock.now
        self.streams: dict[str, Stream] = {}  # type: ignore[assignment]
        self.metrics = MetricsAggregator(self.clock, self._cloudwatch)
        self.scaler = OnDemandScaler(self.clock)
        # Iterators and page tokens are signed with secrets derived from the lab's seed, so they are
        # the same on every run while a tampered one still fails its MAC.
        self.iterator_codec = IteratorCodec(secret=self.context_secret("iterators"))
        self.reads = Reads(self)
        self.retention = Retention(self)
        self.resharding = Resharding(self)
        self.efo = EnhancedFanOut(self)
        self._sweep = self.clock.call_every(float(quotas.RETENTION_SWEEP_SECONDS), self.retention.sweep_all, name="kinesis-retention-sweep")

    def context_secret(self, purpose: str) -> bytes:
        if self.context is not None:
            return self.context.secret(purpose)
        return hashlib.sha256(f"labsim:{purpose}:0".encode()).digest()

    def _cloudwatch(self) -> Any:
        return get_backend("cloudwatch")[self.account_id][self.region_name]

    # -- finding streams ---------------------------------------------------------------------------
    def _name_from(self, stream_name: str | None, stream_arn: str | None) -> str:
        if stream_name:
            return stream_name
        if stream_arn:
            return stream_arn.split(":stream/", 1)[-1].split("/", 1)[0]
        raise E.InvalidArgumentError("Either StreamName or StreamARN should be provided.")

    def describe_stream(self, stream_arn: str | None, stream_name: str | None) -> Stream:  # type: ignore[override]
        """The stream in any status (CREATING, ACTIVE, UPDATING, DELETING), else ResourceNotFound."""
        name = self._name_from(stream_name, stream_arn)
        stream = self.streams.get(name)
        if stream is None or (stream_arn and stream.arn != stream_arn):
            raise E.stream_not_found(name, self.account_id)
        return stream

    def describe_stream_summary(self, stream_arn: str | None, stream_name: str | None) -> Stream:  # type: ignore[override]
        return self.describe_stream(stream_arn, stream_name)

    def data_stream(self, stream_name: str | None, stream_arn: str | None) -> Stream:
        """The stream for a data-plane call: a CREATING stream does not exist yet for reads/writes."""
        name = stream_name or self._name_from(None, stream_arn)
        stream = self.streams.get(name)
        if stream is None or stream.status == "CREATING" or (stream_arn and stream.arn != stream_arn):
            if stream_name is not None and not STREAM_NAME_RE.match(stream_name):
                raise E.validation_errors([E.pattern(stream_name, "streamName", STREAM_NAME_PATTERN)])
            raise E.stream_not_found(name, self.account_id)
        return stream

    def _changeable(self, stream: Stream) -> None:
        if stream.status != "ACTIVE":
            raise E.stream_not_active(stream.name, self.account_id, stream.status)

    # -- lifecycle ---------------------------------------------------------------------------------
    def create_stream(  # type: ignore[override]
        self,
        stream_name: str,
        shard_count: int | None,
        stream_mode: dict[str, str] | None = None,
        retention_period_hours: int | None = None,
        max_record_size_kib: int | None = None,
        tags: dict[str, str] | None = None,
    ) -> Stream:
        problems = _stream_name_problems(stream_name)
        mode = (stream_mode or {}).get("StreamMode", "PROVISIONED")
        if mode not in ("PROVISIONED", "ON_DEMAND"):
            problems.append(
                f"Value '{mode}' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
                "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"
            )
        if max_record_size_kib is not None:
            problems += _max_record_size_problems(max_record_size_kib)
        if shard_count is not None and (isinstance(shard_count, bool) or not isinstance(shard_count, int) or shard_count < 1):
            problems.append(E.value_at_least(shard_count, "shardCount", 1))
        if problems:
            raise E.validation_errors(problems)
        if mode == "PROVISIONED" and shard_count is None:
            raise E.InvalidArgumentError("ShardCount is required for streams in PROVISIONED mode.")
        if tags and len(tags) > quotas.TAGS_PER_STREAM:
            raise E.InvalidArgumentError(f"Failed to create stream {stream_name}: a stream can have at most {quotas.TAGS_PER_STREAM} tags.")
        if stream_name in self.streams:
            raise E.stream_exists(stream_name, self.account_id)
        creating = sum(1 for s in self.streams.values() if s.status == "CREATING")
        if creating >= quotas.STREAMS_CREATING_AT_ONCE:
            raise E.LimitExceededError(
                f"This request would exceed the limit of {int(quotas.STREAMS_CREATING_AT_ONCE)} streams in the CREATING "
                f"state for account {self.account_id}. Wait until a stream is ACTIVE and try again."
            )
        count = int(quotas.ON_DEMAND_INITIAL_SHARDS) if mode == "ON_DEMAND" else int(shard_count)  # type: ignore[arg-type]
        if mode == "ON_DEMAND":
            on_demand = sum(1 for s in self.streams.values() if s.mode == "ON_DEMAND")
            if on_demand >= quotas.ON_DEMAND_STREAMS_PER_ACCOUNT:
                raise E.LimitExceededError(
                    f"This request would exceed the limit of {int(quotas.ON_DEMAND_STREAMS_PER_ACCOUNT)} on-demand streams "
                    f"for account {self.account_id}."
                )
        open_now = self.open_shard_count()
        if open_now + count > quotas.SHARDS_PER_ACCOUNT:
            raise E.LimitExceededError(
                f"This request would exceed the shard limit for the account {self.account_id} in {self.region_name}. "
                f"Current shard count for the account: {open_now}. Limit: {int(quotas.SHARDS_PER_ACCOUNT)}. "
                f"Number of additional shards that would have resulted from this request: {count}."
            )
        stream = Stream(
            stream_name,
            account_id=self.account_id,
            region=self.region_name,
            now=self.now,
            shard_count=count,
            mode=mode,
            retention_hours=int(retention_period_hours or quotas.RETENTION_DEFAULT_HOURS),
            max_record_size_kib=int(max_record_size_kib or quotas.MAX_RECORD_SIZE_KIB_MIN),
            status="CREATING",
            partition=_partition(self.region_name),
        )
        if tags:
            stream.tags.update(tags)
        self.streams[stream_name] = stream
        lifecycle.begin_creating(self.clock, stream)
        return stream

    def delete_stream(self, stream_arn: str | None, stream_name: str | None, enforce_consumer_deletion: bool = False) -> Stream:  # type: ignore[override]
        stream = self.describe_stream(stream_arn, stream_name)
        self._changeable(stream)
        if stream.consumers and not enforce_consumer_deletion:
            raise E.ResourceInUseError(
                f"Stream {stream.name} under account {self.account_id} has registered consumers. "
                "Deregister them first, or set EnforceConsumerDeletion to delete them with the stream."
            )
        lifecycle.begin_deleting(self.clock, stream, self._remove)
        return stream

    def _remove(self, stream: Stream) -> None:
        if self.streams.get(stream.name) is stream:
            del self.streams[stream.name]

    def open_shard_count(self) -> int:
        return sum(s.shard_count for s in self.streams.values())

    def describe_limits(self) -> dict[str, int]:  # type: ignore[override]
        return {
            "ShardLimit": int(quotas.SHARDS_PER_ACCOUNT),
            "OpenShardCount": self.open_shard_count(),
            "OnDemandStreamCount": sum(1 for s in self.streams.values() if s.mode == "ON_DEMAND"),
            "OnDemandStreamCountLimit": int(quotas.ON_DEMAND_STREAMS_PER_ACCOUNT),
        }

    def update_stream_mode(self, stream_arn: str, stream_mode: dict[str, str]) -> None:  # type: ignore[override]
        stream = self.describe_stream(stream_arn, None)
        mode = (stream_mode or {}).get("StreamMode")
        if mode not in ("PROVISIONED", "ON_DEMAND"):
            raise E.validation_errors([
                f"Value '{mode}' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
                "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"
            ])
        self._changeable(stream)
        if mode == stream.mode:
            return
        now = self.now()
        recent = [t for t in stream.mode_changes if t > now - 86400]
        if len(recent) >= quotas.MODE_SWITCHES_PER_DAY:
            raise E.LimitExceededError(
                f"Stream {stream.name} under account {self.account_id} has already switched capacity mode "
                f"{int(quotas.MODE_SWITCHES_PER_DAY)} times in the last 24 hours."
            )
        stream.mode_changes = recent + [now]
        stream.mode = mode  # the shard count at the moment of the switch is kept
        lifecycle.begin_updating(self.clock, stream)

    def update_max_record_size(self, stream_arn: str, max_record_size_kib: Any) -> None:
        problems = _max_record_size_problems(max_record_size_kib)
        if problems:
            raise E.validation_errors(problems)
        stream = self.describe_stream(stream_arn, None)
        self._changeable(stream)
        stream.max_record_size_kib = int(max_record_size_kib)
        lifecycle.begin_updating(self.clock, stream)

    # -- writing -----------------------------------------------------------------------------------
    def enable_enhanced_monitoring(  # type: ignore[override]
        self, stream_arn: str | None, stream_name: str | None, shard_level_metrics: list[str]
    ) -> tuple[str, str, list[str], list[str]]:
        # moto answers with a list built from a set; the service's order is stable, so is ours.
        arn, name, current, _ = super().enable_enhanced_monitoring(stream_arn, stream_name, shard_level_metrics)
        return arn, name, sorted(current), list(self.describe_stream(arn, name).shard_level_metrics)

    def disable_enhanced_monitoring(  # type: ignore[override]
        self, stream_arn: str | None, stream_name: str | None, to_be_disabled: list[str]
    ) -> tuple[str, str, list[str], list[str]]:
        arn, name, current, _ = super().disable_enhanced_monitoring(stream_arn, stream_name, to_be_disabled)
        return arn, name, sorted(current), list(self.describe_stream(arn, name).shard_level_metrics)

    def validate_entries(self, stream: Stream, raw: list[dict[str, Any]], batch: bool) -> list[tuple[bytes, str, int, str | None]]:
        """Decode and check PutRecord(s) entries; the whole request is refused on any problem.

        Returns (data, partition_key, partition_key_bytes, explicit_hash_key) per entry.
        """
        n = len(raw)
        if batch:
            if n < 1:
                raise E.validation_errors(["Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"])
            if n > quotas.PUT_RECORDS_MAX_RECORDS:
                raise E.validation_errors([E.length_at_most(None, "records", int(quotas.PUT_RECORDS_MAX_RECORDS), show_value=False)])
        max_size = stream.max_record_size_kib * 1024
        pk_max = int(quotas.PARTITION_KEY_MAX_LENGTH)
        out: list[tuple[bytes, str, int, str | None]] = []
        problems: list[str] | None = None
        total = 0
        for i, entry in enumerate(raw, 1):
            where = f"records.{i}.member." if batch else ""
            if type(entry) is not dict:
                raise E.SerializationError()
            pk = entry.get("PartitionKey")
            try:
                data = _b64decode(entry.get("Data"))
            except (binascii.Error, ValueError, UnicodeEncodeError, AttributeError, TypeError):
                raise E.SerializationError() from None
            ehk = entry.get("ExplicitHashKey")
            if pk is None:
                (problems := problems or []).append(f"Value null at '{where}partitionKey' failed to satisfy constraint: Member must not be null")
                continue
            if not isinstance(pk, str) or not (ehk is None or isinstance(ehk, str)):
                raise E.SerializationError()
            pk_bytes = len(pk.encode("utf-8")) if not pk.isascii() else len(pk)
            size = len(data) + pk_bytes
            plen = len(pk)
            if plen < 1 or plen > pk_max or size > max_size or (ehk is not None and not HASH_KEY_PATTERN.match(ehk)):
                problems = problems or []
                if plen < 1:
                    problems.append(E.length_at_least(pk, f"{where}partitionKey", 1))
                if plen > pk_max:
                    problems.append(E.length_at_most(pk, f"{where}partitionKey", pk_max))
                if size > max_size:
                    problems.append(E.length_at_most(None, f"{where}data", max_size, show_value=False))
                if ehk is not None and not HASH_KEY_PATTERN.match(ehk):
                    problems.append(E.pattern(ehk, f"{where}explicitHashKey", HASH_KEY_REGEX_TEXT))
                continue
            total += size
            out.append((data, pk, pk_bytes, ehk))
        if problems:
            raise E.validation_errors(problems)
        for _, _, _, ehk in out:
            if ehk is not None and int(ehk) > MAX_HASH_KEY:
                raise E.InvalidArgumentError(
                    f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {ehk}"
                )
        if batch and total > quotas.PUT_RECORDS_MAX_BYTES:
            raise E.InvalidArgumentError(f"Records size exceeds {int(quotas.PUT_RECORDS_MAX_BYTES) // quotas.MiB} MB limit")
        return out

    def write(self, stream: Stream, entries: list[tuple[bytes, str, int, str | None]], batch: bool = True) -> tuple[list[tuple[Any, str, str | None]], int]:
        """Route, admit and store validated entries: (outcome per entry in order, failed count).

        An outcome is ``(sequence number, shard id, None)`` for a stored record, or
        ``(None, shard id, error code)`` for one refused on its own (``THROTTLED`` when its shard's
        write budget is spent, ``InternalFailure`` when the lab injects one); the others still go
        in, as PutRecords does. The stream lock is held for the whole request (the shard map cannot
        change under it) and each touched shard's store lock is taken once (``Shard.append_batch``).
        """
        now = self.now()
        outcomes: list[Any] = [None] * len(entries)
        failed = 0
        faults = self.context.faults if self.context is not None else None
        if faults is not None and (not faults.active or not batch):
            faults = None  # PutRecord's injected failures are whole-call ones (the pipeline's guard)
        per_shard: dict[Shard, list[int]] = {}
        accepted: dict[Shard, list[tuple[bytes, str, str | None, int, int]]] = {}
        positions: dict[Shard, list[int]] = {}
        with stream.lock:
            find = stream.range_index.find
            # Pass 1, in request order: route and admit. Every record of a request arrives at the
            # same instant, so admitting first and storing per shard afterwards gives the same result
            # as storing one by one.
            for i, (data, pk, pk_bytes, ehk) in enumerate(entries):
                hk = key_hash(pk) if ehk is None else int(ehk)
                shard = find(hk)
                size = len(data) + pk_bytes
                st = per_shard.get(shard)
                if st is None:
                    st = per_shard[shard] = [0, 0, 0]
                    accepted[shard] = []
                    positions[shard] = []
                    if shard.write_budget is None:
                        shard.write_budget = ShardWriteBudget(now)
                if faults is not None and faults.draw("kinesis", "PutRecords", INTERNAL_FAILURE):
                    failed += 1
                    outcomes[i] = (None, shard.shard_id, INTERNAL_FAILURE)
                elif shard.write_budget.admit(size, now):
                    accepted[shard].append((data, pk, ehk, hk, size))
                    positions[shard].append(i)
                    st[0] += size
                    st[1] += 1
                else:
                    failed += 1
                    st[2] += 1
                    outcomes[i] = (None, shard.shard_id, THROTTLED)
            # Pass 2: store, one lock hold per shard.
            for shard, batch_items in accepted.items():
                if batch_items:
                    shard_id = shard.shard_id
                    for i, rec in zip(positions[shard], shard.append_batch(batch_items, now)):
                        outcomes[i] = (rec.sequence_number, shard_id, None)
        self._account(stream, per_shard, len(entries), failed, batch, now)
        return outcomes, failed

    def _account(self, stream: Stream, per_shard: dict[Shard, list[int]], total: int, failed: int, batch: bool, now: float) -> None:
        """Metrics and on-demand observation for one request (not per record)."""
        ok_bytes = sum(v[0] for v in per_shard.values())
        ok = total - failed
        m = self.metrics
        name = stream.name
        samples: list[tuple[str, float]] = [
            ("IncomingBytes", ok_bytes),
            ("IncomingRecords", ok),
            ("WriteProvisionedThroughputExceeded", failed),
        ]
        if batch:
            samples += [
                ("PutRecords.Success", 1.0 if ok else 0.0),
                ("PutRecords.Bytes", ok_bytes),
                ("PutRecords.Latency", float(quotas.PUT_RECORDS_LATENCY_MS)),
                ("PutRecords.TotalRecords", total),
                ("PutRecords.SuccessfulRecords", ok),
                ("PutRecords.FailedRecords", 0),
                ("PutRecords.ThrottledRecords", failed),
            ]
        else:
            samples += [("PutRecord.Success", 1.0 if ok else 0.0), ("PutRecord.Latency", float(quotas.PUT_RECORD_LATENCY_MS))]
            if ok:
                samples.append(("PutRecord.Bytes", ok_bytes))
        m.add(now, name, samples)
        enhanced = stream.shard_level_metrics
        if enhanced:
            wanted = SHARD_WRITE_METRICS if "ALL" in enhanced else [x for x in SHARD_WRITE_METRICS if x in enhanced]
            for shard, (nbytes, nrecs, nthrottled) in per_shard.items():
                values = {"IncomingBytes": nbytes, "IncomingRecords": nrecs, "WriteProvisionedThroughputExceeded": nthrottled}
                m.add(now, name, [(x, values[x]) for x in wanted], shard=shard.shard_id)
        if stream.mode == "ON_DEMAND":
            for shard, (nbytes, _, _) in per_shard.items():
                if nbytes:
                    self.scaler.observe(stream, shard, nbytes, now)

    def put_record(  # type: ignore[override]
        self, stream_arn: str | None, stream_name: str | None, partition_key: str, explicit_hash_key: str | None, data: Any,
        sequence_number_for_ordering: str | None = None,
    ) -> tuple[str, str]:
        """PutRecord: validate, admit, store; (sequence number, shard id) or ProvisionedThroughputExceeded."""
        stream = self.data_stream(stream_name, stream_arn)
        entries = self.validate_entries(stream, [{"Data": data, "PartitionKey": partition_key, "ExplicitHashKey": explicit_hash_key}], batch=False)
        if sequence_number_for_ordering is not None and not SEQUENCE_NUMBER_RE.match(str(sequence_number_for_ordering)):
            raise E.validation_errors([E.pattern(sequence_number_for_ordering, "sequenceNumberForOrdering", "0|([1-9]\\d{0,128})")])
        ((seq, shard_id, error),), _ = self.write(stream, entries, batch=False)
        if error is not None:
            raise E.ThroughputExceededError(E.shard_throttled(shard_id, stream.name, self.account_id))
        return seq, shard_id

    def put_records(self, stream_arn: str | None, stream_name: str | None, records: Any) -> tuple[Stream, list[Any], int]:  # type: ignore[override]
        """PutRecords: (the stream, an outcome per entry as ``write`` gives them, failed count)."""
        stream = self.data_stream(stream_name, stream_arn)
        if not isinstance(records, list):
            raise E.SerializationError()
        entries = self.validate_entries(stream, records, batch=True)
        outcomes, failed = self.write(stream, entries, batch=True)
        return stream, outcomes, failed

    # -- reading, resharding, retention, enhanced fan-out ----------------------------------------------
    # One method per operation; each delegates to the concept module that implements it
    # (reads, resharding, retention, efo), which this backend owns.
    def get_shard_iterator(  # type: ignore[override]
        self, stream_name: str | None = None, stream_arn: str | None = None, shard_id: str | None = None,
        shard_iterator_type: str | None = None, starting_sequence_number: str | None = None, timestamp: Any = None,
    ) -> str:
        return self.reads.get_shard_iterator(stream_name, stream_arn, shard_id, shard_iterator_type, starting_sequence_number, timestamp)

    def get_records(self, shard_iterator: str, limit: int | None = None, stream_arn: str | None = None) -> ShardBatch:  # type: ignore[override]
        return self.reads.get_records(shard_iterator, limit, stream_arn)

    def read_shard(self, stream: Stream, shard: Shard, position: int, limit: int) -> ShardBatch:
        """The data plane's read without budgets or metrics (stream sources: Firehose, Lambda)."""
        return read_shard(stream, shard, position, limit, self.now())

    def list_shards(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.resharding.list_shards(**params)

    def split_shard(self, **params: Any) -> None:  # type: ignore[override]
        self.resharding.split_shard(**params)

    def merge_shards(self, **params: Any) -> None:  # type: ignore[override]
        self.resharding.merge_shards(**params)

    def update_shard_count(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.resharding.update_shard_count(**params)

    def increase_stream_retention_period(self, stream_arn: str | None, stream_name: str | None, retention_period_hours: int) -> None:  # type: ignore[override]
        self.retention.increase(stream_name, stream_arn, retention_period_hours)

    def decrease_stream_retention_period(self, stream_arn: str | None, stream_name: str | None, retention_period_hours: int) -> None:  # type: ignore[override]
        self.retention.decrease(stream_name, stream_arn, retention_period_hours)

    def register_stream_consumer(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.efo.register(**params)

    def describe_stream_consumer(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.efo.describe(**params)

    def list_stream_consumers(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.efo.list(**params)

    def deregister_stream_consumer(self, **params: Any) -> dict[str, Any]:  # type: ignore[override]
        return self.efo.deregister(**params)

    def subscribe_to_shard(self, **params: Any) -> Any:
        return self.efo.subscribe(**params)

    def reset(self) -> None:
        """End every subscription (the lab is stopping)."""
        self.efo.stop()


# --- helpers ---------------------------------------------------------------------------------------
def _stream_name_problems(name: Any, where: str = "streamName") -> list[str]:
    if name is None:
        return [f"Value null at '{where}' failed to satisfy constraint: Member must not be null"]
    problems = []
    if len(name) > quotas.STREAM_NAME_MAX_LENGTH:
        problems.append(E.length_at_most(name, where, int(quotas.STREAM_NAME_MAX_LENGTH)))
    if len(name) < 1:
        problems.append(E.length_at_least(name, where, 1))
    if not STREAM_NAME_RE.match(name):
        problems.append(E.pattern(name, where, STREAM_NAME_PATTERN))
    return problems


def _max_record_size_problems(kib: Any) -> list[str]:
    if isinstance(kib, bool) or not isinstance(kib, int):
        return [f"Value '{kib}' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must be an integer"]
    if kib > quotas.MAX_RECORD_SIZE_KIB_MAX:
        return [E.value_at_most(kib, "maxRecordSizeInKiB", int(quotas.MAX_RECORD_SIZE_KIB_MAX))]
    if kib < quotas.MAX_RECORD_SIZE_KIB_MIN:
        return [E.value_at_least(kib, "maxRecordSizeInKiB", int(quotas.MAX_RECORD_SIZE_KIB_MIN))]
    return []


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"

