"""The worker's settings: KCL property names in snake_case, KCL 3.x defaults (kcl-contract 3).

>>> cfg = KclConfig.from_dict({"failover_time_millis": 20000})
>>> cfg.failover_time_millis, cfg.renewal_interval, cfg.assignment_interval, cfg.taker_interval
(20000, 6.641666666666667, 40.0, 40.05)
>>> KclConfig.from_dict({"failover_time_milis": 1})
Traceback (most recent call last):
...
ValueError: unknown KCL setting 'failover_time_milis': did you mean 'failover_time_millis'? ...
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from pathlib import Path
from typing import Any

from .. import quotas as Q

POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
VERSIONS = ("CLIENT_VERSION_CONFIG_3X", "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X")
STRATEGIES = ("WORKER_UTILIZATION_AWARE", "LEASE_COUNT_BASED")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
RETRIEVAL_MODES = ("POLLING", "FANOUT", "DEFAULT")
METRICS_LEVELS = ("NONE", "SUMMARY", "DETAILED")

#: name -> (default, check). Millisecond settings are ints, as in the properties file.
DEFAULTS: dict[str, Any] = {
    "failover_time_millis": int(Q.KCL_FAILOVER_TIME_MILLIS),
    "max_records": int(Q.KCL_MAX_RECORDS),
    "idle_time_between_reads_in_millis": int(Q.KCL_IDLE_TIME_BETWEEN_READS_MILLIS),
    "initial_position_in_stream": "LATEST",
    # the daemon's AT_TIMESTAMP setting: epoch seconds (MultiLangDaemonConfiguration turns the number
    # into InitialPositionInStreamExtended.newInitialPositionAtTimestamp); None unless AT_TIMESTAMP
    "initial_position_in_stream_extended": None,
    "max_leases_for_worker": int(Q.KCL_MAX_LEASES_FOR_WORKER),
    "max_leases_to_steal_at_one_time": int(Q.KCL_MAX_LEASES_TO_STEAL_AT_ONE_TIME),
    "shard_sync_interval_millis": int(Q.KCL_SHARD_SYNC_INTERVAL_MILLIS),
    "parent_shard_poll_interval_millis": int(Q.KCL_PARENT_SHARD_POLL_INTERVAL_MILLIS),
    "cleanup_leases_upon_shard_completion": True,
    "retrieval_mode": "DEFAULT",
    "client_version_config": "CLIENT_VERSION_CONFIG_3X",
    "lease_assignment_strategy": "WORKER_UTILIZATION_AWARE",
    "re_balance_threshold_percentage": int(Q.KCL_REBALANCE_THRESHOLD_PERCENT),
    "dampening_percentage": int(Q.KCL_DAMPENING_PERCENT),
    "worker_metrics_reporter_freq_in_millis": int(Q.KCL_WORKER_METRICS_REPORTER_FREQ_MILLIS),
    "is_graceful_lease_handoff_enabled": True,
    "graceful_lease_handoff_timeout_millis": int(Q.KCL_GRACEFUL_HANDOFF_TIMEOUT_MILLIS),
    "lease_table_billing_mode": "PAY_PER_REQUEST",
    "initial_lease_table_read_capacity": int(Q.KCL_LEASE_TABLE_INITIAL_CAPACITY),
    "initial_lease_table_write_capacity": int(Q.KCL_LEASE_TABLE_INITIAL_CAPACITY),
    "metrics_level": "DETAILED",
    "call_process_records_even_for_empty_record_list": False,
}

_CHOICES = {
    "initial_position_in_stream": POSITIONS, "client_version_config": VERSIONS,
    "lease_assignment_strategy": STRATEGIES, "lease_table_billing_mode": BILLING_MODES,
    "retrieval_mode": RETRIEVAL_MODES, "metrics_level": METRICS_LEVELS,
}
_MINIMUM = {
    "failover_time_millis": 100, "max_records": 1, "idle_time_between_reads_in_millis": int(Q.KCL_IDLE_TIME_BETWEEN_READS_MIN_MILLIS),
    "max_leases_for_worker": 1, "max_leases_to_steal_at_one_time": 1, "shard_sync_interval_millis": 1000,
    "parent_shard_poll_interval_millis": 100, "re_balance_threshold_percentage": 1, "dampening_percentage": 1,
    "worker_metrics_reporter_freq_in_millis": 1000, "graceful_lease_handoff_timeout_millis": 0,
    "initial_lease_table_read_capacity": 1, "initial_lease_table_write_capacity": 1,
}
_MAXIMUM = {"max_records": int(Q.KCL_MAX_RECORDS), "dampening_percentage": 100}
#: the PollingConfig settings: if any is given, the daemon's DEFAULT retrieval mode polls (RetrievalMode.java)
POLLING_KEYS = ("max_records", "idle_time_between_reads_in_millis")


def _epoch_seconds(value: Any) -> float:
    """A timestamp setting as epoch seconds: a number, digits (as in a properties file) or a datetime."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("initial_position_in_stream_extended: give an aware datetime (tzinfo=timezone.utc) "
                             "or epoch seconds, so the moment is not ambiguous")
        return value.timestamp()
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"initial_position_in_stream_extended must be epoch seconds (as the daemon's properties "
                         f"file takes it) or a datetime, got {value!r}") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"initial_position_in_stream_extended must be epoch seconds >= 0, got {value!r}")
    return seconds


class KclConfig:
    """Validated settings plus the intervals (in seconds) the KCL derives from them."""

    __slots__ = tuple(DEFAULTS)

    @classmethod
    def from_dict(cls, settings: dict[str, Any] | None = None) -> "KclConfig":
        cfg = cls()
        merged = dict(DEFAULTS)
        for key, value in (settings or {}).items():
            if key not in DEFAULTS:
                close = difflib.get_close_matches(key, list(DEFAULTS), n=1, cutoff=0.5)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(f"unknown KCL setting {key!r}: {hint}Settings are the KCL's property names in "
                                 f"snake_case: {', '.join(sorted(DEFAULTS))}")
            merged[key] = value
        for key, value in merged.items():
            default = DEFAULTS[key]
            if key == "initial_position_in_stream_extended":
                value = None if value is None else _epoch_seconds(value)
            elif key in _CHOICES:
                value = str(value).upper()
                if value not in _CHOICES[key]:
                    raise ValueError(f"{key} must be one of {', '.join(_CHOICES[key])}, got {merged[key]!r}")
            elif isinstance(default, bool):
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    value = value.lower() == "true"
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false, got {value!r}")
            else:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise ValueError(f"{key} must be a whole number, got {value!r}") from None
                low, high = _MINIMUM.get(key, 0), _MAXIMUM.get(key)
                if value < low or (high is not None and value > high):
                    limit = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
                    raise ValueError(f"{key} must be {limit}, got {value:,}")
            setattr(cfg, key, value)
        if cfg.retrieval_mode == "DEFAULT":  # as the daemon decides (multilang RetrievalMode.decideForDefault)
            cfg.retrieval_mode = "POLLING" if any(k in (settings or {}) for k in POLLING_KEYS) else "FANOUT"
        extended = cfg.initial_position_in_stream_extended
        if extended is not None and "initial_position_in_stream" not in (settings or {}):
            cfg.initial_position_in_stream = "AT_TIMESTAMP"  # the daemon: setting the timestamp means AT_TIMESTAMP
        if cfg.initial_position_in_stream == "AT_TIMESTAMP" and extended is None:
            raise ValueError("initial_position_in_stream AT_TIMESTAMP needs its timestamp: set "
                             "initial_position_in_stream_extended to epoch seconds (the daemon's "
                             "initialPositionInStreamExtended property) or an aware datetime")
        if extended is not None and cfg.initial_position_in_stream != "AT_TIMESTAMP":
            raise ValueError(f"initial_position_in_stream_extended (a timestamp) only goes with AT_TIMESTAMP, "
                             f"not {cfg.initial_position_in_stream}: drop one of the two settings")
        return cfg

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in DEFAULTS}

    # -- derived timings, seconds (kcl-contract 3) ----------------------------------------------
    @property
    def failover(self) -> float:
        return self.failover_time_millis / 1000.0

    @property
    def renewal_interval(self) -> float:
        """F/3 − ε (DynamoDBLeaseCoordinator)."""
        return self.failover / 3 - Q.KCL_EPSILON_MILLIS / 1000.0

    @property
    def assignment_interval(self) -> float:
        """The 3.x leader's lease assignment runs every 2·F."""
        return self.failover * Q.KCL_LEASE_ASSIGNMENT_INTERVAL_FACTOR

    @property
    def discovery_interval(self) -> float:
        """A 3.x worker looks up its leases every I/2 − ε."""
        return self.assignment_interval / 2 - Q.KCL_EPSILON_MILLIS / 1000.0

    @property
    def taker_interval(self) -> float:
        """The 2.x-mode lease taker runs every (F + ε)·2."""
        return (self.failover + Q.KCL_EPSILON_MILLIS / 1000.0) * 2

    @property
    def idle_between_reads(self) -> float:
        return self.idle_time_between_reads_in_millis / 1000.0

    @property
    def fanout(self) -> bool:
        """Records come through SubscribeToShard (the KCL 3.x default) rather than GetRecords."""
        return self.retrieval_mode == "FANOUT"

    @property
    def compatible_with_2x(self) -> bool:
        return self.client_version_config == "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"


#: Daemon keys that configure the process, not the worker (KCLPY:`samples/sample.properties`).
_DAEMON_ONLY = {"executable_name", "processing_language", "aws_credentials_provider", "region_name", "stream_arn",
                "aws_credentials_provider_dynamo_db", "aws_credentials_provider_cloud_watch"}


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return name.lower()


def load_properties(path: str | Path) -> dict[str, Any]:
    """Read a MultiLangDaemon ``.properties`` file into Worker settings.

    Returns the KCL settings in snake_case plus ``stream_name`` and ``application_name``; the keys that
    only concern the daemon process (``executableName``, ``processingLanguage``, credentials, Region)
    are left out. Unknown keys raise ValueError naming the closest valid one.
    """
    settings: dict[str, Any] = {}
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)$", line)
        if match is None:
            raise ValueError(f"{path}, line {number}: expected key = value, got {raw!r}")
        key, value = match.group(1), match.group(2)
        name = _snake(key)
        if name in _DAEMON_ONLY:
            continue
        if name not in ("stream_name", "application_name") and name not in DEFAULTS:
            close = difflib.get_close_matches(name, list(DEFAULTS), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{path}, line {number}: unknown KCL property {key!r}{hint}")
        settings[name] = value
    for required in ("stream_name", "application_name"):
        if required not in settings:
            raise ValueError(f"{path}: a daemon properties file needs {required.replace('_n', 'N')} = ...")
    return settings
