"""agent.json, read and checked the way the Java agent does (``config/AgentConfiguration.java``, ``FileFlow``).

Every key keeps its real name and default. A missing required key, a wrong type or a value out of
range is an :class:`AgentConfigError` naming the key, what was given and what is allowed; an unknown
key is a warning (the Java agent ignores keys it does not read).

>>> cfg = AgentConfig.parse({"checkpointFile": "/tmp/cp", "flows": [{"filePattern": "/tmp/app/*.log", "kinesisStream": "logs"}]})
>>> flow = cfg.flows[0]
>>> flow.id, flow.max_buffer_age_ms, flow.max_buffer_records, flow.max_buffer_bytes
('kinesis:logs:/tmp/app/*.log', 60000, 500, 5242880)
>>> AgentConfig.parse({"flows": [{"filePattern": "/tmp/a.log", "kinesisStream": "s", "maxBufferSizeRecords": 501}]})
Traceback (most recent call last):
...
labsim.agent.errors.AgentConfigError: flows[0].maxBufferSizeRecords: 501 is out of range; allowed 1 to 500
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

from labsim import quotas as q

from .errors import AgentConfigError

DEFAULT_CHECKPOINT_FILE = "/var/run/aws-kinesis-agent/checkpoints"
INITIAL_POSITIONS = ("END_OF_FILE", "START_OF_FILE")
PARTITION_KEY_OPTIONS = ("RANDOM", "DETERMINISTIC")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zip")  # SourceFile.java never tails these

#: Keys the lab's agent accepts and ignores, with why (one warning each).
IGNORED_GLOBAL_KEYS = {
    "cloudwatch.endpoint": "the lab serves CloudWatch in-process",
    "kinesis.endpoint": "the lab serves Kinesis in-process",
    "firehose.endpoint": "the lab serves Firehose in-process",
    "sts.endpoint": "the lab needs no STS",
    "awsAccessKeyId": "the lab uses fake credentials",
    "awsSecretAccessKey": "the lab uses fake credentials",
    "assumeRoleARN": "the lab never assumes a role",
    "assumeRoleExternalId": "the lab never assumes a role",
    "userDefinedCredentialsProvider.classname": "the lab loads no Java class",
    "userDefinedCredentialsProvider.location": "the lab loads no Java class",
    "cloudwatch.tagInstance": "the lab has no EC2 instance to tag",
}
KNOWN_GLOBAL_KEYS = {
    "checkpointFile", "checkpointTimeToLiveDays", "shutdownTimeoutMillis", "cloudwatch.emitMetrics",
    "cloudwatch.namespace", "cloudwatch.metricsBufferTimeMillis", "kinesis.region", "firehose.region",
    "maxSendingThreads", "maxSendingThreadsPerCore", "log.emitMetrics", "log.statusReportingPeriodSeconds",
    "log.level", "log.file", "flows", *IGNORED_GLOBAL_KEYS,
}
KNOWN_FLOW_KEYS = {
    "filePattern", "kinesisStream", "deliveryStream", "partitionKeyOption", "initialPosition",
    "maxBufferAgeMillis", "maxBufferSizeRecords", "maxBufferSizeBytes", "truncatedRecordTerminator",
    "multiLineStartPattern", "skipHeaderLines", "fileFooterPattern", "minTimeBetweenFilePollsMillis",
    "maxTimeBetweenFileTrackerRefreshMillis", "retryInitialBackoffMillis", "retryMaxBackoffMillis",
    "publishQueueCapacity", "waitOnFullPublishQueueMillis", "waitOnEmptyPublishQueueMillis",
    "aggregatedRecordSizeBytes", "dataProcessingOptions",
}


def _number(raw: dict[str, Any], key: str, where: str, default: int, low: int, high: int | None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise AgentConfigError(f"{where}{key}: must be a whole number, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        allowed = f"{low} to {high}" if high is not None else f"at least {low}"
        raise AgentConfigError(f"{where}{key}: {value} is out of range; allowed {allowed}")
    return value


def _string(raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str | None:
    value = raw.get(key, default)
    if value is not None and (not isinstance(value, str) or not value):
        raise AgentConfigError(f"{where}{key}: must be a non-empty string, got {value!r}")
    return value


def _choice(raw: dict[str, Any], key: str, where: str, default: str, allowed: tuple[str, ...]) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise AgentConfigError(f"{where}{key}: {value!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def _bool(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise AgentConfigError(f"{key}: must be true or false, got {value!r}")
    return value


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Java's ``glob:`` syntax for one file name: ``*``, ``?``, ``[...]``, ``{a,b}``."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                raise AgentConfigError(f"filePattern: unclosed '[' in {pattern!r}")
            body = pattern[i + 1:j]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise AgentConfigError(f"filePattern: unclosed '{{' in {pattern!r}")
    return re.compile("".join(out) + r"\Z")


class FlowConfig:
    """One entry of ``flows``: which files, where to, and how."""

    __slots__ = (
        "raw", "index", "file_pattern", "directory", "name_pattern", "name_regex", "destination", "kind",
        "partition_key_option", "initial_position", "max_buffer_age_ms", "max_buffer_records",
        "max_buffer_bytes", "max_record_bytes", "truncated_record_terminator", "multi_line_start_pattern",
        "skip_header_lines", "file_footer_pattern", "min_poll_ms", "max_refresh_ms", "retry_initial_ms",
        "retry_max_ms", "publish_queue_capacity", "processing_options", "aggregated_record_bytes",
    )

    def __init__(self, raw: Any, index: int) -> None:
        where = f"flows[{index}]."
        if not isinstance(raw, dict):
            raise AgentConfigError(f"flows[{index}]: each flow must be an object with filePattern and kinesisStream or deliveryStream")
        self.raw, self.index = raw, index
        for key in raw:
            if key not in KNOWN_FLOW_KEYS:
                warnings.warn(f"agent.json: unknown key {where}{key} is ignored (the agent does not read it)", stacklevel=4)
        pattern = _string(raw, "filePattern", where)
        if pattern is None:
            raise AgentConfigError(f"{where}filePattern: every flow needs one, e.g. \"/var/log/app/*.log\"")
        path = Path(pattern)
        if not path.is_absolute():
            raise AgentConfigError(f"{where}filePattern: {pattern!r} must be an absolute path (the agent has no working folder)")
        if re.search(r"[*?\[{]", str(path.parent)):
            raise AgentConfigError(f"{where}filePattern: {pattern!r} has a wildcard in the folder part; the agent "
                                   "globs the file name only, so write one flow per folder")
        self.file_pattern, self.directory, self.name_pattern = pattern, str(path.parent), path.name
        self.name_regex = glob_regex(path.name)
        stream, delivery = _string(raw, "kinesisStream", where), _string(raw, "deliveryStream", where)
        if (stream is None) == (delivery is None):
            raise AgentConfigError(f"{where[:-1]}: give exactly one of kinesisStream or deliveryStream "
                                   f"(got {'both' if stream else 'neither'})")
        self.kind = "kinesis" if stream else "firehose"
        self.destination = stream or delivery
        kds = self.kind == "kinesis"
        if not kds and "partitionKeyOption" in raw:
            raise AgentConfigError(f"{where}partitionKeyOption: only Kinesis flows have partition keys; "
                                   "a deliveryStream flow takes none")
        self.partition_key_option = _choice(raw, "partitionKeyOption", where, "RANDOM", PARTITION_KEY_OPTIONS)
        self.initial_position = _choice(raw, "initialPosition", where, "END_OF_FILE", INITIAL_POSITIONS)
        self.max_buffer_age_ms = _number(raw, "maxBufferAgeMillis", where, q.AGENT_MAX_BUFFER_AGE_MS,
                                         q.AGENT_MAX_BUFFER_AGE_MS_MIN, q.AGENT_MAX_BUFFER_AGE_MS_MAX)
        self.max_buffer_records = _number(raw, "maxBufferSizeRecords", where, q.AGENT_MAX_BUFFER_RECORDS, 1,
                                          q.AGENT_MAX_BUFFER_RECORDS)
        max_bytes = q.AGENT_KDS_MAX_BUFFER_BYTES if kds else q.AGENT_FIREHOSE_MAX_BUFFER_BYTES
        self.max_buffer_bytes = _number(raw, "maxBufferSizeBytes", where, max_bytes, 1, max_bytes)
        self.max_record_bytes = int(q.AGENT_KDS_MAX_RECORD_BYTES if kds else q.AGENT_FIREHOSE_MAX_RECORD_BYTES)
        terminator = raw.get("truncatedRecordTerminator", "\n")
        if not isinstance(terminator, str):
            raise AgentConfigError(f"{where}truncatedRecordTerminator: must be a string, got {terminator!r}")
        self.truncated_record_terminator = terminator.encode("utf-8")
        start = _string(raw, "multiLineStartPattern", where)
        self.multi_line_start_pattern = _regex(start, f"{where}multiLineStartPattern")
        footer = _string(raw, "fileFooterPattern", where)
        self.file_footer_pattern = _regex(footer, f"{where}fileFooterPattern")
        self.skip_header_lines = _number(raw, "skipHeaderLines", where, 0, 0, None)
        self.min_poll_ms = _number(raw, "minTimeBetweenFilePollsMillis", where, q.AGENT_MIN_TIME_BETWEEN_POLLS_MS, 1, None)
        self.max_refresh_ms = _number(raw, "maxTimeBetweenFileTrackerRefreshMillis", where,
                                      q.AGENT_MAX_TIME_BETWEEN_REFRESH_MS, 1, None)
        self.retry_initial_ms = _number(raw, "retryInitialBackoffMillis", where, q.AGENT_RETRY_INITIAL_BACKOFF_MS, 1, None)
        self.retry_max_ms = _number(raw, "retryMaxBackoffMillis", where, q.AGENT_RETRY_MAX_BACKOFF_MS, 1, None)
        self.publish_queue_capacity = _number(raw, "publishQueueCapacity", where, q.AGENT_PUBLISH_QUEUE_CAPACITY, 1, None)
        self.aggregated_record_bytes = 0
        if not kds:
            self.aggregated_record_bytes = _number(raw, "aggregatedRecordSizeBytes", where, 0, 0,
                                                   q.AGENT_FIREHOSE_MAX_RECORD_BYTES)
        elif "aggregatedRecordSizeBytes" in raw:
            raise AgentConfigError(f"{where}aggregatedRecordSizeBytes: only deliveryStream flows aggregate records")
        self.processing_options = raw.get("dataProcessingOptions")

    @property
    def id(self) -> str:
        """The flow id the Java agent uses (also the checkpoint table's ``flow`` column)."""
        prefix = "kinesis" if self.kind == "kinesis" else "fh"
        return f"{prefix}:{self.destination}:{self.directory}/{self.name_pattern}"

    @property
    def destination_dimension(self) -> str:
        return ("KinesisStream:" if self.kind == "kinesis" else "DeliveryStream:") + self.destination

    def matches(self, name: str) -> bool:
        return self.name_regex.match(name) is not None and not name.endswith(COMPRESSED_SUFFIXES)


def _regex(pattern: str | None, where: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise AgentConfigError(f"{where}: {pattern!r} is not a valid regular expression ({exc})") from None


class AgentConfig:
    """The whole agent.json."""

    __slots__ = ("raw", "checkpoint_file", "checkpoint_ttl_days", "shutdown_timeout_ms", "emit_metrics",
                 "metrics_namespace", "metrics_buffer_ms", "kinesis_region", "firehose_region", "flows")

    @classmethod
    def parse(cls, source: Any) -> "AgentConfig":
        """From a dict, or from the path of an agent.json file."""
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            try:
                text = path.read_text()
            except OSError as exc:
                raise AgentConfigError(f"cannot read the configuration file {str(path)!r}: {exc.strerror}") from None
            try:
                source = json.loads(text)
            except json.JSONDecodeError as exc:
                raise AgentConfigError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        if not isinstance(source, dict):
            raise AgentConfigError(f"the configuration must be a JSON object (a dict), got {type(source).__name__}")
        self = cls()
        self.raw = source
        for key in source:
            if key not in KNOWN_GLOBAL_KEYS:
                warnings.warn(f"agent.json: unknown key {key!r} is ignored (the agent does not read it)", stacklevel=3)
            elif key in IGNORED_GLOBAL_KEYS:
                warnings.warn(f"agent.json: {key} is accepted and ignored: {IGNORED_GLOBAL_KEYS[key]}", stacklevel=3)
        self.checkpoint_file = _string(source, "checkpointFile", "", DEFAULT_CHECKPOINT_FILE)
        self.checkpoint_ttl_days = _number(source, "checkpointTimeToLiveDays", "", q.AGENT_CHECKPOINT_TTL_DAYS, 1, None)
        self.shutdown_timeout_ms = _number(source, "shutdownTimeoutMillis", "", q.AGENT_SHUTDOWN_TIMEOUT_MS, 0, None)
        self.emit_metrics = _bool(source, "cloudwatch.emitMetrics", True)
        self.metrics_namespace = _string(source, "cloudwatch.namespace", "", "AWSKinesisAgent")
        self.metrics_buffer_ms = _number(source, "cloudwatch.metricsBufferTimeMillis", "", q.AGENT_METRICS_BUFFER_TIME_MS, 1, None)
        self.kinesis_region = _string(source, "kinesis.region", "")
        self.firehose_region = _string(source, "firehose.region", "")
        flows = source.get("flows")
        if not isinstance(flows, list) or not flows:
            raise AgentConfigError("flows: the configuration needs a non-empty list of flows, e.g. "
                                   '[{"filePattern": "/var/log/app/*.log", "kinesisStream": "logs"}]')
        self.flows = [FlowConfig(raw, i) for i, raw in enumerate(flows)]
        ids = [f.id for f in self.flows]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise AgentConfigError(f"flows: two flows have the same id {dupes[0]!r} (same pattern and destination)")
        return self
