"""AWS IoT physics (layer 1): topic rules with a Kinesis or Firehose action deliver into the lab's streams.

moto keeps the rules (``iot``) and records what is published (``iot-data``); this package makes a
message published with plain boto3 (``iot-data`` ``publish``) run every enabled rule whose SQL
selects it (``labsim.iot.sql``):

- ``kinesis`` action: ``streamName``, ``partitionKey`` with substitution templates (``${topic()}``,
  ``${topic(2)}``, ``${newuuid()}``, ``${timestamp()}``, ``${device.id}``); no partitionKey -> a new UUID;
- ``firehose`` action: ``deliveryStreamName`` and ``separator`` (appended to each record);
- a failed write (stream missing, throttled) runs the rule's ``errorAction`` when it is a Kinesis or
  Firehose action, with the service's error message shape; otherwise the message is dropped and
  counted in ``backend.rule_failures``.

The lab runs rules at once, during Publish (AWS runs them within milliseconds).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from moto.iot.exceptions import InvalidRequestException
from moto.iot.models import IoTBackend
from moto.iotdata.models import IoTDataPlaneBackend

from labsim import _moto
from labsim.logs.delivery import put_into_firehose, put_into_stream

from .sql import Context, RuleSql, RuleSqlError, substitute


class LabIoTBackend(_moto.LabBackendMixin, IoTBackend):
    """Rules are checked when created: SQL the lab cannot run is refused at once, not at publish time."""

    moto_service = "iot"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.compiled: dict[str, RuleSql] = {}
        self.rule_failures: list[dict[str, Any]] = []
        self._uuid = self.context.rng("iot-newuuid") if self.context is not None else None

    def create_topic_rule(self, rule_name: str, sql: str, **kwargs: Any) -> None:
        try:
            compiled = RuleSql(sql)
        except RuleSqlError as exc:
            raise InvalidRequestException(f"{exc}") from None
        super().create_topic_rule(rule_name, sql, **kwargs)
        self.compiled[rule_name] = compiled

    def delete_topic_rule(self, rule_name: str) -> None:
        super().delete_topic_rule(rule_name)
        self.compiled.pop(rule_name, None)

    def new_uuid(self) -> str:
        if self._uuid is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._uuid.getrandbits(128), version=4))

    def run_rules(self, topic: str, payload: bytes) -> None:
        now_ms = int(self.context.now() * 1000) if self.context is not None else 0
        for name, rule in list(self.rules.items()):
            compiled = self.compiled.get(name)
            if rule.rule_disabled or compiled is None:
                continue
            message = compiled.apply(topic, payload, now_ms, new_uuid=self.new_uuid)
            if message is None:
                continue
            ctx = Context(topic, _json_or_none(message), now_ms, "", self.new_uuid)
            for action in rule.actions:
                error = self._run(action, message, ctx)
                if error is not None:
                    self._failed(rule, topic, payload, action, error, ctx)

    def _run(self, action: dict[str, Any], message: bytes, ctx: Context) -> str | None:
        try:
            if "kinesis" in action:
                spec = action["kinesis"]
                key = substitute(spec.get("partitionKey") or "${newuuid()}", ctx)
                errors = put_into_stream(self.context, spec["streamName"], [(message, key)])
                return None if errors[0] is None else f"{errors[0]} writing to Kinesis stream {spec['streamName']}"
            if "firehose" in action:
                spec = action["firehose"]
                separator = spec.get("separator") or ""
                put_into_firehose(self.context, spec["deliveryStreamName"], [message + separator.encode()])
                return None
        except Exception as exc:  # a missing stream, a closed delivery stream: the action failed
            return f"{type(exc).__name__}: {exc}"
        return None  # other action types are kept by moto but not run in the lab

    def _failed(self, rule: Any, topic: str, payload: bytes, action: dict[str, Any], error: str, ctx: Context) -> None:
        report = {"ruleName": rule.rule_name, "topic": topic, "cloudwatchTraceId": self.new_uuid(), "clientId": "",
                  "base64OriginalPayload": base64.b64encode(payload).decode(),
                  "failures": [{"failedAction": next(iter(action), "") + "Action", "failedResource": "",
                                "errorMessage": error}]}
        self.rule_failures.append(report)
        if rule.error_action:
            self._run(rule.error_action, json.dumps(report, separators=(",", ":")).encode(), ctx)


class LabIoTDataBackend(_moto.LabBackendMixin, IoTDataPlaneBackend):
    """Publish: moto records the message; the rules engine (the iot backend) then runs the rules."""

    moto_service = "iotdata"

    def publish(self, topic: str, payload: bytes) -> None:
        super().publish(topic, payload)
        data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
        self.iot_backend.run_rules(topic, data)


def _json_or_none(message: bytes) -> Any:
    try:
        return json.loads(message)
    except ValueError:
        return None


class IotPhysics:
    """The IoT physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "iot"

    def __init__(self) -> None:
        self._undo: list[Any] = []

    def start(self, lab: Any) -> None:
        self._undo = [_moto.swap_backend_class("iot", LabIoTBackend, lab.context),
                      _moto.swap_backend_class("iot-data", LabIoTDataBackend, lab.context)]

    def stop(self, lab: Any) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo = []


__all__ = ["IotPhysics", "LabIoTBackend", "LabIoTDataBackend", "RuleSql"]
