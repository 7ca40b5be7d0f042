"""``LabLambdaBackend``: moto's Lambda backend (functions, versions, configuration) plus an in-process runtime.

moto stores functions (CreateFunction, GetFunction, UpdateFunctionCode, ...); this subclass refuses
what the lab cannot run (non-Python runtimes, container images) at creation, and ``invoke_function``
runs the handler through ``labsim.awslambda.runtime`` instead of moto's Docker path.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import threading
import uuid
from typing import Any

from moto.awslambda.models import LambdaBackend

from labsim import _moto, quotas

from . import runtime


class LambdaError(_moto.LabJsonError):
    code = 400


class InvalidParameterValue(LambdaError):
    error_type_default = "InvalidParameterValueException"


class RequestTooLarge(LambdaError):
    error_type_default = "RequestEntityTooLargeException"
    code = 413


class InvalidRequestContent(LambdaError):
    error_type_default = "InvalidRequestContentException"


class Invocation:
    """The answer to one Invoke: HTTP status, payload, FunctionError header, log tail, version."""

    __slots__ = ("status", "payload", "function_error", "log_tail", "version", "error_type", "duration_ms", "request_id")

    def __init__(self, status: int, payload: bytes, function_error: str | None, log_tail: str | None,
                 version: str, error_type: str | None, duration_ms: float, request_id: str) -> None:
        self.status = status
        self.payload = payload
        self.function_error = function_error
        self.log_tail = log_tail
        self.version = version
        self.error_type = error_type
        self.duration_ms = duration_ms
        self.request_id = request_id


class LabLambdaBackend(_moto.LabBackendMixin, LambdaBackend):
    """moto's LambdaBackend whose Invoke runs the learner's Python handler in this process."""

    moto_service = "awslambda"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        seeded = self.context.rng(f"lambda:{account_id}:{region_name}") if self.context is not None else None
        import random

        self.rng = seeded or random.Random(0)
        #: (function ARN, version, code sha) -> (Environment, log stream name): warm environments.
        self.environments: dict[tuple[str, str, str], tuple[runtime.Environment, str]] = {}
        self.lock = threading.RLock()

    # -- creation --------------------------------------------------------------------------------
    def create_function(self, spec: dict[str, Any]) -> Any:
        run_time = spec.get("Runtime") or ""
        if spec.get("PackageType") == "Image" or "ImageUri" in (spec.get("Code") or {}):
            raise InvalidParameterValue(
                "labsim runs Lambda functions in the notebook's own Python process: container images are not "
                "supported. Give Code={'ZipFile': zip_bytes} with Runtime='python3.12'.")
        if not run_time.startswith("python3"):
            raise InvalidParameterValue(
                f"labsim runs Lambda functions in the notebook's own Python process, so only Python runtimes "
                f"(python3.x) can run here; got Runtime={run_time!r}. Use Runtime='python3.12'.")
        return super().create_function(spec)

    # -- invocation ------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.context.now() if self.context is not None else 0.0

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _environment(self, fn: Any) -> tuple[runtime.Environment, str]:
        key = (fn.function_arn, str(fn.version), fn.code_sha_256)
        found = self.environments.get(key)
        if found is None:
            env = runtime.Environment(fn.code_bytes, fn.handler, fn.function_name, fn.environment_vars)
            day = _dt.datetime.fromtimestamp(self._now(), tz=_dt.timezone.utc).strftime("%Y/%m/%d")
            stream = f"{day}/[{fn.version}]{self.rng.getrandbits(128):032x}"
            found = self.environments[key] = (env, stream)
        return found

    def invoke_function(self, name: str, qualifier: str | None, payload: bytes, invocation_type: str = "RequestResponse",
                        log_type: str | None = None, client_context: str | None = None) -> Invocation:
        """Invoke as the Invoke API does (RequestResponse, Event, DryRun)."""
        fn = self.get_function(name, qualifier)
        version = str(fn.version)
        invocation_type = invocation_type or "RequestResponse"
        limit = quotas.LAMBDA_SYNC_PAYLOAD_BYTES if invocation_type == "RequestResponse" else quotas.LAMBDA_ASYNC_PAYLOAD_BYTES
        if len(payload) > limit:
            raise RequestTooLarge(f"Request must be smaller than {int(limit)} bytes for the InvokeFunction operation")
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError as exc:
            raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from None
        if invocation_type == "DryRun":
            return Invocation(204, b"", None, None, version, None, 0.0, self._request_id())
        if invocation_type == "Event":
            request_id = self._request_id()
            if self.context is not None:
                self.context.clock.call_at(self._now(), lambda: self._run(fn, event, request_id, None),
                                           name=f"lambda-event:{fn.function_name}")
            else:
                self._run(fn, event, request_id, None)
            return Invocation(202, b"", None, None, version, None, 0.0, request_id)
        return self._run(fn, event, self._request_id(), log_type, client_context)

    def _run(self, fn: Any, event: Any, request_id: str, log_type: str | None, client_context: str | None = None) -> Invocation:
        with self.lock:
            version = str(fn.version)
            start = self._now()
            meter = runtime.Meter(float(fn.timeout) * 1000.0)
            try:
                env, stream = self._environment(fn)
            except runtime.FunctionError as exc:
                env, stream = None, f"{_dt.datetime.fromtimestamp(start, tz=_dt.timezone.utc):%Y/%m/%d}/[{version}]init-error"
                payload = runtime.error_payload(exc.error_type, str(exc), request_id)
                error, lines = exc.error_type, [f"[ERROR] {exc.error_type}: {exc}"]
            if env is not None:
                context_obj = runtime.LambdaContext(fn.function_name, version, fn.function_arn, fn.memory_size,
                                                    request_id, stream, meter, _client_context(client_context))
                payload, error, lines = env.run(event, context_obj, meter)
            duration = meter.used_ms
            if error is None and len(payload) > quotas.LAMBDA_SYNC_RESPONSE_BYTES:
                error = "Function.ResponseSizeTooLarge"
                payload = json.dumps({"errorMessage": "Response payload size exceeded maximum allowed payload size "
                                      f"({int(quotas.LAMBDA_SYNC_RESPONSE_BYTES)} bytes).", "errorType": error}).encode()
            billed = max(1, int(-(-duration // 1)))
            log = [f"START RequestId: {request_id} Version: {version}", *lines,
                   f"END RequestId: {request_id}",
                   f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
                   f"Memory Size: {fn.memory_size} MB"]
            if error == "Sandbox.Timedout":
                log[-1] += "\tStatus: timeout"
            self._log(fn.function_name, stream, start, log)
            tail = None
            if log_type == "Tail":
                text = "\n".join(log) + "\n"
                tail = base64.b64encode(text.encode()[-quotas.LAMBDA_LOG_TAIL_BYTES:]).decode()
            return Invocation(200, payload, "Unhandled" if error else None, tail, version, error, duration, request_id)

    def _log(self, function_name: str, stream: str, start: float, lines: list[str]) -> None:
        """Writes the invocation's lines to CloudWatch Logs ``/aws/lambda/<name>`` (the lab's logs backend)."""
        logs = _moto.get_backend("logs")[self.account_id][self.region_name]
        group = f"/aws/lambda/{function_name}"
        if group not in logs.groups:
            logs.create_log_group(group, {})
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        stamp = int(start * 1000)
        events = [{"timestamp": stamp, "message": line} for line in lines]
        logs.put_log_events(group, stream, events)


def _client_context(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(base64.b64decode(text))
    except ValueError:
        return None
