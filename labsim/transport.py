"""How a boto3 call reaches the lab: one botocore ``before-send`` handler routes every request.

Order of service for a request made while a lab runs:
1. a *fast handler* that a physics module registered for ``(service, operation)``: it reads the
   request body and answers directly, skipping moto's URL matching and response machinery (the
   data plane is called thousands of times per cell, so this matters for speed);
2. otherwise moto, whose backends labsim has subclassed, so the physics still apply;
3. otherwise the request is refused with ``NetworkBlockedError``: nothing is ever sent.

The handler sits first in botocore's built-in handler list, so every session created afterwards,
including a learner's plain ``boto3.client(...)``, is routed here. Outside a lab it does nothing.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any, Callable

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from . import _moto
from .safety import NetworkBlockedError

FastHandler = Callable[[AWSPreparedRequest], "AWSResponse | None"]


class _RawBody(BytesIO):
    """The file-like body botocore expects of a urllib3 response, including ``stream()``."""

    def stream(self, **kwargs: Any):
        data = self.read()
        while data:
            yield data
            data = self.read()


def make_response(request: AWSPreparedRequest, status: int, headers: dict[str, str], body: bytes | str) -> AWSResponse:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return AWSResponse(request.url, status, headers, _RawBody(body))  # type: ignore[arg-type]


def json_response(request: AWSPreparedRequest, payload: dict[str, Any], status: int = 200) -> AWSResponse:
    """A JSON-protocol (``application/x-amz-json-1.1``) answer, as Kinesis and Firehose send."""
    body = json.dumps(payload, separators=(",", ":"))
    return make_response(request, status, {"Content-Type": "application/x-amz-json-1.1"}, body)


def json_error(request: AWSPreparedRequest, code: str, message: str, status: int = 400) -> AWSResponse:
    """A JSON-protocol error body in the shape botocore parses into ``ClientError``."""
    body = json.dumps({"__type": code, "message": message})
    return make_response(request, status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body)


def request_json(request: AWSPreparedRequest) -> dict[str, Any]:
    body = request.body or b"{}"
    if hasattr(body, "read"):
        body = body.read()
    return json.loads(body)


class Router:
    """The in-process endpoint: fast handlers first, then moto, never the network."""

    def __init__(self) -> None:
        self.active = False
        self.fast: dict[tuple[str, str], FastHandler] = {}
        self.calls = 0

    def register(self, service: str, operation: str, handler: FastHandler) -> None:
        self.fast[(service, operation)] = handler

    def clear(self) -> None:
        self.fast.clear()

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **kwargs: Any) -> AWSResponse | None:
        if not self.active:
            return None
        self.calls += 1
        # event_name is "before-send.<service-id>.<OperationName>"
        _, _, rest = event_name.partition(".")
        service, _, operation = rest.partition(".")
        handler = self.fast.get((service, operation))
        if handler is not None:
            response = handler(request)
            if response is not None:
                return response
        served = _moto.serve(request)
        if served is None:
            raise NetworkBlockedError(
                f"labsim has no in-process endpoint for {request.url} ({service}.{operation}); "
                "it refused to send the request over the network. Inside a lab, use the default "
                "AWS endpoints (no endpoint_url) for the services the course simulates."
            )
        status, headers, body = served
        return make_response(request, status, dict(headers), body)


router = Router()

# First in the list: it must answer before moto's own stubber would, and sessions created from
# now on register built-in handlers in list order.
if not any(entry[1] is router for entry in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.insert(0, ("before-send", router))
