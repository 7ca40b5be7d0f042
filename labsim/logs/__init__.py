"""CloudWatch Logs physics (layer 1): subscription filters deliver into the lab's streams as the service does.

moto keeps log groups, streams and events; this subclass makes a subscription filter with a Kinesis
stream or a Firehose delivery stream as destination deliver what the real service delivers:

- each record is **gzip-compressed JSON**: ``messageType``, ``owner``, ``logGroup``, ``logStream``,
  ``subscriptionFilters``, ``logEvents`` (``id``, ``timestamp``, ``message``);
- the first record after a filter is created is a ``CONTROL_MESSAGE`` ("CWL CONTROL MESSAGE: Checking
  health of destination ..."); consumers must skip it;
- only events that match the filter pattern (``labsim.logs.filters``) are sent, one ``DATA_MESSAGE``
  per PutLogEvents call and filter;
- records go through the stream's own write path (``labsim.logs.delivery``), so they count against
  its limits; a throttled record is retried on the lab clock every second (the lab's assumption: AWS
  retries for a long time without publishing the schedule).

The lab delivers at once, during PutLogEvents (AWS delivers within seconds; the lab's assumption).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from typing import Any

from moto.logs.exceptions import InvalidParameterException, LimitExceededException
from moto.logs.models import LogsBackend

from labsim import _moto
from labsim import quotas as q

from .delivery import put_into_firehose, put_into_stream
from .filters import FilterPattern, FilterPatternError

RETRY_SECONDS = 1.0  # the lab's assumption: AWS does not publish its retry schedule


def encode_payload(payload: dict[str, Any]) -> bytes:
    """gzip of the compact JSON; mtime 0 so the bytes are the same every run."""
    return gzip.compress(json.dumps(payload, separators=(",", ":")).encode("utf-8"), mtime=0)


def decode_payload(data: bytes) -> dict[str, Any]:
    """What a consumer does with a record from a subscription: gunzip, then parse JSON."""
    return json.loads(gzip.decompress(data))


class LabLogsBackend(_moto.LabBackendMixin, LogsBackend):
    moto_service = "logs"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._lock = threading.RLock()
        self._patterns: dict[tuple[str, str], FilterPattern] = {}
        self._event_seq = 0

    def put_subscription_filter(self, log_group_name: str, filter_name: str, filter_pattern: str,
                                destination_arn: str, role_arn: str) -> None:
        try:
            pattern = FilterPattern(filter_pattern)
        except FilterPatternError as exc:
            raise InvalidParameterException(str(exc)) from None
        group = self.groups.get(log_group_name)
        if group is not None and filter_name not in group.subscription_filters \
                and len(group.subscription_filters) >= q.LOGS_SUBSCRIPTION_FILTERS_PER_GROUP:
            raise LimitExceededException()
        is_new = group is None or filter_name not in group.subscription_filters
        super().put_subscription_filter(log_group_name, filter_name, filter_pattern, destination_arn, role_arn)
        self._patterns[(log_group_name, filter_name)] = pattern
        if is_new:
            service = destination_arn.split(":")[2]
            kind = "Kinesis stream" if service == "kinesis" else "Firehose stream"
            self._deliver(destination_arn, {
                "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                "subscriptionFilters": [], "logEvents": [{
                    "id": self._event_id(self._now_ms()), "timestamp": self._now_ms(),
                    "message": f"CWL CONTROL MESSAGE: Checking health of destination {kind}."}]})

    def delete_subscription_filter(self, log_group_name: str, filter_name: str) -> None:
        super().delete_subscription_filter(log_group_name, filter_name)
        self._patterns.pop((log_group_name, filter_name), None)

    def put_log_events(self, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]) -> Any:
        with self._lock:
            group = self.groups.get(log_group_name)
            filters = dict(group.subscription_filters) if group is not None else {}
            stream = group.streams.get(log_stream_name) if group is not None else None
            before = len(stream.events) if stream is not None else 0
            if group is not None:
                group.subscription_filters.clear()   # moto's own delivery is replaced by ours
            try:
                result = super().put_log_events(log_group_name, log_stream_name, log_events)
            finally:
                if group is not None:
                    group.subscription_filters.update(filters)
            stream = group.streams.get(log_stream_name) if group is not None else None
            accepted = stream.events[before:] if stream is not None else []
            for name, sub in filters.items():
                pattern = self._patterns.get((log_group_name, name)) or FilterPattern(sub.filter_pattern)
                events = [{"id": self._event_id(e.timestamp), "timestamp": e.timestamp, "message": e.message}
                          for e in accepted if pattern.matches(e.message)]
                if events:
                    self._deliver(sub.destination_arn, {
                        "messageType": "DATA_MESSAGE", "owner": self.account_id, "logGroup": log_group_name,
                        "logStream": log_stream_name, "subscriptionFilters": [name], "logEvents": events})
            return result

    # -- delivery -------------------------------------------------------------------------------------
    def _deliver(self, destination_arn: str, payload: dict[str, Any]) -> None:
        data = encode_payload(payload)
        if destination_arn.split(":")[2] == "firehose":
            put_into_firehose(self.context, destination_arn, [data])
            return
        key = hashlib.md5(data).hexdigest()
        self._put_with_retry(destination_arn, data, key)

    def _put_with_retry(self, arn: str, data: bytes, key: str) -> None:
        try:
            errors = put_into_stream(self.context, arn, [(data, key)])
        except Exception:  # the stream is gone or not ACTIVE: try again later, as the service does
            errors = ["ServiceUnavailable"]
        if errors[0] is not None and self.context is not None:
            self.context.clock.call_later(RETRY_SECONDS, lambda: self._put_with_retry(arn, data, key),
                                          name="logs:subscription-retry")

    def _now_ms(self) -> int:
        return int(self.context.now() * 1000) if self.context is not None else 0

    def _event_id(self, timestamp: int) -> str:
        self._event_seq += 1
        return f"{timestamp:020d}{self._event_seq:036d}"  # 56 digits, as the service's ids


class LogsPhysics:
    """The CloudWatch Logs physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "logs"

    def __init__(self) -> None:
        self._undo: Any = None

    def start(self, lab: Any) -> None:
        self._undo = _moto.swap_backend_class("logs", LabLogsBackend, lab.context)

    def stop(self, lab: Any) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None


__all__ = ["LabLogsBackend", "LogsPhysics", "FilterPattern", "decode_payload", "encode_payload"]
