"""AWS Lambda in the lab (layer 1): **the learner's own code, running in the notebook's process**.

A function made with plain boto3 (``lambda.create_function(Runtime="python3.12",
Handler="index.handler", Code={"ZipFile": zip_bytes}, Role=role_arn, Timeout=60)``) is stored by
moto; when something invokes it (``lambda.invoke``, or Firehose's data transformation), labsim loads
the handler's module from the zip **in memory** and calls ``handler(event, context)`` right here, in
the Python process that runs the notebook: no Docker, no container, no network. Whatever the handler
does (open files, change globals, call boto3, which the lab then answers) it does in your own
process, with your own permissions. Only Python runtimes (``python3.x``) can run this way; other
runtimes and container images are refused at CreateFunction with a clear error.

What behaves as Lambda does:

- Invoke: ``RequestResponse`` (status 200, the handler's return value as JSON), ``Event`` (202; runs
  on the lab clock's next step; async retries are not simulated), ``DryRun`` (204); ``LogType="Tail"``
  returns the last 4 KB of the log, base64.
- The ``context`` has ``function_name``, ``function_version``, ``invoked_function_arn``,
  ``memory_limit_in_mb``, ``aws_request_id`` (drawn from the lab's seed), ``log_group_name``,
  ``log_stream_name`` and ``get_remaining_time_in_millis()``.
- A handler exception comes back as Lambda returns it: ``FunctionError: Unhandled`` and a payload with
  ``errorMessage``, ``errorType``, ``requestId`` and ``stackTrace`` (frames of your code only). Import
  failures are ``Runtime.ImportModuleError`` / ``Runtime.HandlerNotFound`` / ``Runtime.UserCodeSyntaxError``.
- Payload caps: 6 MB request (``RequestEntityTooLargeException``, HTTP 413) and 6 MB response
  (``Function.ResponseSizeTooLarge``) for synchronous calls, 1 MB for ``Event`` (256 KB before 2025-10).
- ``print`` output, with ``START`` / ``END`` / ``REPORT`` lines, goes to CloudWatch Logs group
  ``/aws/lambda/<name>``, one log stream per warm environment (module state survives between
  invocations of one code version, as in a warm container).
- Timeouts in simulated time, by the lab's duration model (``labsim.awslambda.runtime``): an invocation
  costs ``quotas.LAMBDA_MODEL_INVOKE_MS`` plus the ``time.sleep`` calls the handler makes (counted,
  not waited); past ``Timeout`` it stops with ``Sandbox.Timedout``. The lab clock does not move while
  a handler runs. This is the lab's assumption: AWS publishes no duration model.

Not simulated: concurrency limits, throttling, layers, aliases' routing weights, async retries and
destinations, memory use (REPORT lines omit "Max Memory Used").

For other physics: ``invoke_in_process(context, function_arn, event)`` -> ``(payload, error)``.
"""

from __future__ import annotations

import json
from typing import Any

from labsim import _moto

__all__ = ["LambdaPhysics", "invoke_in_process", "Result"]


class Result:
    """One synchronous invocation seen by a service that called it (Firehose)."""

    __slots__ = ("payload", "error", "duration_ms")

    def __init__(self, payload: bytes, error: str | None, duration_ms: float) -> None:
        self.payload = payload
        self.error = error
        self.duration_ms = duration_ms

    def __iter__(self):  # (payload, error) unpacking
        return iter((self.payload, self.error))


def invoke_in_process(context: Any, function_arn: str, event: Any) -> Result:
    """Invoke ``function_arn`` synchronously for another service; ``error`` is None or a description.

    Errors before the handler runs (no such function, payload too large) come back as
    ``error`` too, never raised: the calling service decides what a failed invocation means.
    """
    parts = function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return Result(b"", f"Lambda.InvalidArn: {function_arn!r} is not a Lambda function ARN", 0.0)
    region, account, name = parts[3], parts[4], parts[6]
    qualifier = parts[7] if len(parts) > 7 else None
    try:
        backend = _moto.get_backend("lambda")[account][region]
        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        result = backend.invoke_function(name, qualifier, payload)
    except Exception as exc:
        code = getattr(exc, "error_type", type(exc).__name__)
        return Result(b"", f"Lambda.{code}: {getattr(exc, 'message', exc)}", 0.0)
    if result.function_error:
        try:
            detail = json.loads(result.payload).get("errorMessage", "")
        except (ValueError, AttributeError):
            detail = ""
        return Result(result.payload, f"Lambda.FunctionError: {result.error_type}: {detail}", result.duration_ms)
    return Result(result.payload, None, result.duration_ms)


class LambdaPhysics:
    """The Lambda physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "lambda"

    def __init__(self) -> None:
        self._undo: list[Any] = []

    def start(self, lab: Any) -> None:
        from labsim.transport import router

        from .api import HANDLERS
        from .backend import LabLambdaBackend

        self._undo.append(_moto.swap_backend_class("lambda", LabLambdaBackend, lab.context))
        for operation, handler in HANDLERS.items():
            self._undo.append(router.register("lambda", operation, handler))

    def stop(self, lab: Any) -> None:
        while self._undo:
            self._undo.pop()()
