"""The producer's settings: the KPL's ``KinesisProducerConfiguration`` in snake_case.

Names, defaults and allowed ranges are the KPL's (kinesis-facts 4.3; the numbers live in
``labsim.quotas``). Every setting is checked when the producer is built, and a bad one raises a
``ValueError`` that names the setting and its allowed range. A misspelt or Java-style name
(``RecordMaxBufferedTime``) raises a ``TypeError`` that suggests the right one.

>>> ProducerConfig().record_ttl_ms
30000
>>> ProducerConfig(rate_limit=0)
Traceback (most recent call last):
...
ValueError: rate_limit must be an integer >= 1 (percent of the shard limit), got 0
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields
from typing import Any

from labsim import quotas as q

METRICS_LEVELS = ("none", "summary", "detailed")
METRICS_GRANULARITIES = ("global", "stream", "shard")


@dataclass(frozen=True)
class ProducerConfig:
    """All settings of a :class:`~labsim.kpl.KinesisProducer`, validated on creation."""

    #: Pack user records for the same shard into one Kinesis record (kinesis-facts 4.1).
    aggregation_enabled: bool = True
    #: Most user records in one aggregate.
    aggregation_max_count: int = int(q.KPL_AGGREGATION_MAX_COUNT)
    #: Largest aggregate in bytes (magic + protobuf + MD5).
    aggregation_max_size: int = int(q.KPL_AGGREGATION_MAX_SIZE)
    #: Most Kinesis records in one PutRecords request (the service allows 500).
    collection_max_count: int = int(q.KPL_COLLECTION_MAX_COUNT)
    #: Largest PutRecords request in bytes (data + partition keys).
    collection_max_size: int = int(q.KPL_COLLECTION_MAX_SIZE)
    #: Largest ``data`` accepted by ``put_record``.
    max_user_record_size: int = int(q.KPL_MAX_USER_RECORD_BYTES)
    #: How long a record may wait in the buffers before it must be sent.
    record_max_buffered_time_ms: int = int(q.KPL_RECORD_MAX_BUFFERED_TIME_MS)
    #: How long the producer keeps trying; then the record fails with error code "Expired".
    record_ttl_ms: int = int(q.KPL_RECORD_TTL_MS)
    #: Per-shard limiter rate, in percent of the shard's 1,000 records/s and 1 MiB/s.
    rate_limit: int = int(q.KPL_RATE_LIMIT_PERCENT)
    #: Fail a record at once on ProvisionedThroughputExceededException instead of retrying.
    fail_if_throttled: bool = False
    #: Which metrics reach CloudWatch: none, summary or detailed (kinesis-facts 4.5).
    metrics_level: str = "detailed"
    #: Which dimensions: global (none), stream (StreamName) or shard (StreamName + ShardId).
    metrics_granularity: str = "shard"
    #: CloudWatch namespace for the metrics (may not start with "AWS/").
    metrics_namespace: str = "KinesisProducerLibrary"
    #: Milliseconds between metric uploads.
    metrics_upload_delay_ms: int = int(q.KPL_METRICS_UPLOAD_DELAY_MS)
    #: Seconds between shard-map refreshes while the producer is busy (labsim's choice; the KPL
    #: refreshes when a record lands in an unexpected shard, which labsim also does).
    shard_map_refresh_s: float = 60.0

    def __post_init__(self) -> None:
        _bool(self, "aggregation_enabled")
        _int(self, "aggregation_max_count", 1, q.KPL_AGGREGATION_MAX_COUNT_MAX)
        _int(self, "aggregation_max_size", q.KPL_AGGREGATION_MAX_SIZE_MIN, q.KPL_AGGREGATION_MAX_SIZE_MAX, "bytes")
        _int(self, "collection_max_count", 1, q.KPL_COLLECTION_MAX_COUNT_MAX)
        _int(self, "collection_max_size", q.KPL_COLLECTION_MAX_SIZE_MIN, 2**63 - 1, "bytes")
        _int(self, "max_user_record_size", q.KPL_MAX_USER_RECORD_BYTES_MIN, q.KPL_MAX_USER_RECORD_BYTES_MAX, "bytes")
        _int(self, "record_max_buffered_time_ms", 0, None, "ms")
        _int(self, "record_ttl_ms", q.KPL_RECORD_TTL_MS_MIN, None, "ms")
        _int(self, "rate_limit", q.KPL_RATE_LIMIT_PERCENT_MIN, None, "percent of the shard limit")
        _bool(self, "fail_if_throttled")
        _choice(self, "metrics_level", METRICS_LEVELS)
        _choice(self, "metrics_granularity", METRICS_GRANULARITIES)
        ns = self.metrics_namespace
        if not isinstance(ns, str) or not ns or len(ns) > 255 or ns.startswith("AWS/"):
            raise ValueError(
                f"metrics_namespace must be a non-empty string of at most 255 characters that does not "
                f"start with 'AWS/' (reserved for AWS services), got {ns!r}"
            )
        _int(self, "metrics_upload_delay_ms", 1, q.KPL_METRICS_UPLOAD_DELAY_MS, "ms")
        r = self.shard_map_refresh_s
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not r > 0:
            raise ValueError(f"shard_map_refresh_s must be a positive number of seconds, got {r!r}")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "ProducerConfig":
        """Build from keyword arguments, with a helpful error for unknown names."""
        known = {f.name for f in fields(cls)}
        for name in kwargs:
            if name not in known:
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
                hint = snake if snake in known else None
                if hint is None:
                    close = difflib.get_close_matches(name, sorted(known), n=1)
                    hint = close[0] if close else None
                msg = f"KinesisProducer has no setting {name!r}"
                if hint:
                    msg += f"; did you mean {hint!r}?"
                msg += " Settings use the KPL's names in snake_case: " + ", ".join(sorted(known))
                raise TypeError(msg)
        return cls(**kwargs)

    @property
    def rate_multiplier(self) -> float:
        return self.rate_limit / 100.0


def _bool(cfg: ProducerConfig, name: str) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _int(cfg: ProducerConfig, name: str, lo: int, hi: int | None, unit: str = "") -> None:
    value = getattr(cfg, name)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi)
    if ok:
        return
    unit_text = f" ({unit})" if unit else ""
    if hi is None:
        allowed = f"an integer >= {int(lo):,}{unit_text}"
    else:
        allowed = f"an integer from {int(lo):,} to {int(hi):,}{unit_text}"
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _choice(cfg: ProducerConfig, name: str, allowed: tuple[str, ...]) -> None:
    value = getattr(cfg, name)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
