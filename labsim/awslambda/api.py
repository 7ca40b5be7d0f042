"""Invoke and InvokeAsync served by the lab (``router.register``): the handler runs in-process.

Everything else Lambda has (CreateFunction, GetFunction, UpdateFunctionCode, PublishVersion, ...)
is moto's, on ``LabLambdaBackend``.
"""

from __future__ import annotations

from typing import Any

from labsim import _moto
from labsim.transport import Call, make_response


def _payload(value: Any) -> bytes:
    if value is None:
        return b""
    if hasattr(value, "read"):
        value = value.read()
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _backend(call: Call) -> Any:
    return _moto.get_backend("lambda")[call.account_id][call.region]


def invoke(call: Call) -> Any:
    p = call.params
    result = _backend(call).invoke_function(p["FunctionName"], p.get("Qualifier"), _payload(p.get("Payload")),
                                            p.get("InvocationType") or "RequestResponse", p.get("LogType"),
                                            p.get("ClientContext"))
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": result.version}
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if result.log_tail is not None:
        headers["X-Amz-Log-Result"] = result.log_tail
    return make_response(call.request, result.status, headers, result.payload)


def invoke_async(call: Call) -> Any:
    p = call.params
    result = _backend(call).invoke_function(p["FunctionName"], None, _payload(p.get("InvokeArgs")), "Event")
    return make_response(call.request, result.status, {"Content-Type": "application/json"}, b"")


HANDLERS = {"Invoke": invoke, "InvokeAsync": invoke_async}
