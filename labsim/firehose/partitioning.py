"""Dynamic partitioning (S3 only; kinesis-facts 7.7): partition keys, one buffer per active partition.

Keys come from MetadataExtraction (jq: ``!{partitionKeyFromQuery:k}``) and from the Lambda's answer
(``metadata.partitionKeys``: ``!{partitionKeyFromLambda:k}``); the Prefix is filled with them, and
each distinct set of keys is an **active partition** with its own destination buffer (its own
SizeInMBs / IntervalInSeconds, so end-to-end delay can reach about 1.5x the interval). A partition
stops being active once its buffer is delivered. At most ``quotas.FIREHOSE_ACTIVE_PARTITIONS_DEFAULT``
partitions are active at once (``Partitions.limit``; AWS raises it to 5,000 on request): records for
a new partition beyond that go to the error prefix as ``activePartitionExceeded``.

Rules checked at CreateDeliveryStream / UpdateDestination (``check``, ``check_update``): it can only
be enabled when the stream is created and never disabled; the Prefix must use a partition key; each
key namespace needs its processor (MetadataExtraction or Lambda); the buffer interval cannot be below
60 s (zero/low buffering is not available with dynamic partitioning, FH-BUF). With dynamic
partitioning on, labsim appends no default ``yyyy/MM/dd/HH/`` to the Prefix (the partition keys are
the layout).
"""

from __future__ import annotations

from typing import Any, Callable

from labsim import quotas

from . import prefixes
from .errors import InvalidArgumentError

ERROR_TYPE = "activePartitionExceeded"
LOW_BUFFERING_SECONDS = 60


def enabled(config: dict[str, Any]) -> bool:
    return bool((config.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False))


def key_names(prefix: str) -> tuple[set[str], set[str]]:
    """(query keys, lambda keys) the Prefix uses."""
    query, lam = set(), set()
    for namespace, value in prefixes.expressions(prefix):
        if namespace == "partitionKeyFromQuery":
            query.add(value)
        elif namespace == "partitionKeyFromLambda":
            lam.add(value)
    return query, lam


def check(config: dict[str, Any], processor_types: set[str]) -> None:
    if not enabled(config):
        return
    query, lam = key_names(config.get("Prefix", ""))
    if not query and not lam:
        raise InvalidArgumentError(
            "With dynamic partitioning enabled, Prefix must use at least one partition key: "
            "!{partitionKeyFromQuery:name} (MetadataExtraction) or !{partitionKeyFromLambda:name} (Lambda).")
    if query and "MetadataExtraction" not in processor_types:
        raise InvalidArgumentError(
            "Prefix uses !{partitionKeyFromQuery:...} but ProcessingConfiguration has no MetadataExtraction processor "
            "(add one with a MetadataExtractionQuery such as '{customer_id: .customer_id}').")
    if lam and "Lambda" not in processor_types:
        raise InvalidArgumentError(
            "Prefix uses !{partitionKeyFromLambda:...} but ProcessingConfiguration has no Lambda processor to return "
            "metadata.partitionKeys.")
    interval = (config.get("BufferingHints") or {}).get("IntervalInSeconds", quotas.FIREHOSE_BUFFER_INTERVAL_DEFAULT)
    if interval < LOW_BUFFERING_SECONDS:
        raise InvalidArgumentError(
            f"BufferingHints.IntervalInSeconds must be at least {LOW_BUFFERING_SECONDS} with dynamic partitioning "
            f"(zero and low buffering are not available for it); got {interval}.")


def check_update(old: dict[str, Any], new: dict[str, Any]) -> None:
    """What UpdateDestination may not change: dynamic partitioning and source-record backup once on."""
    if enabled(new) and not enabled(old):
        raise InvalidArgumentError("Dynamic partitioning can only be enabled when the delivery stream is created: "
                                   "create a new delivery stream with DynamicPartitioningConfiguration.")
    if enabled(old) and not enabled(new):
        raise InvalidArgumentError("Dynamic partitioning cannot be disabled once enabled on a delivery stream.")
    if old.get("S3BackupMode") == "Enabled" and new.get("S3BackupMode") == "Disabled":
        raise InvalidArgumentError("S3BackupMode cannot be changed from Enabled to Disabled: source record backup, "
                                   "once on, stays on.")


class Partitions:
    """The active partitions of one stream: partition key -> its own delivery pipeline."""

    __slots__ = ("make", "pipelines", "limit", "overflow", "created")

    def __init__(self, make: Callable[[dict[str, str], dict[str, str]], Any], limit: int | None,
                 overflow: Callable[[list[Any], float], None]) -> None:
        self.make = make
        self.pipelines: dict[tuple[Any, ...], Any] = {}
        #: Active partitions allowed at once (None: no partitioning, one buffer).
        self.limit = limit
        self.overflow = overflow
        self.created = 0  # partitions opened so far (a partition reopens after it is delivered)

    def add(self, items: list[Any], now: float) -> None:
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for item in items:
            key = (tuple(sorted(item.query_keys.items())), tuple(sorted(item.lambda_keys.items())))
            groups.setdefault(key, []).append(item)
        over: list[Any] = []
        for key, group in groups.items():
            pipeline = self.pipelines.get(key)
            if pipeline is None:
                if self.limit is not None and len(self.pipelines) >= self.limit:
                    over += group
                    continue
                pipeline = self.pipelines[key] = self.make(dict(key[0]), dict(key[1]))
                pipeline.on_idle = lambda k=key: self._idle(k)
                self.created += 1
            pipeline.add([i.data for i in group], [i.arrival for i in group], sum(len(i.data) for i in group))
        if over:
            self.overflow(over, now)

    def _idle(self, key: tuple[Any, ...]) -> None:
        pipeline = self.pipelines.get(key)
        if pipeline is not None and pipeline.waiting_records() == 0 and not pipeline.closed:
            del self.pipelines[key]

    @property
    def active(self) -> int:
        return len(self.pipelines)

    def close(self) -> None:
        for pipeline in list(self.pipelines.values()):
            pipeline.close()


def fill(prefix: str, query_keys: dict[str, str], lambda_keys: dict[str, str]) -> str:
    """The Prefix with one partition's keys in place of its !{partitionKeyFrom...:k} expressions."""

    def sub(m: Any) -> str:
        namespace, value = m.group(1), m.group(2)
        if namespace == "partitionKeyFromQuery":
            return query_keys[value]
        if namespace == "partitionKeyFromLambda":
            return lambda_keys[value]
        return m.group(0)

    return prefixes.EXPRESSION.sub(sub, prefix or "")


def missing_keys(item: Any, query: set[str], lam: set[str]) -> list[str]:
    return sorted([f"partitionKeyFromQuery:{k}" for k in query if k not in item.query_keys]
                  + [f"partitionKeyFromLambda:{k}" for k in lam if k not in item.lambda_keys])
