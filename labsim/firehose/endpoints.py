"""HTTP endpoint destinations served in-process: a learner's handler stands in for the server.

Nothing leaves the process. A handler is registered for an endpoint URL in the running lab::

    from labsim.firehose import http_endpoint, EndpointRequest
    def my_endpoint(request: EndpointRequest):
        for data in request.records():        # the decoded records of this delivery
            ...
        return request.reply()                # 200 with the requestId echoed: delivered
    http_endpoint(lab, "https://example.com/ingest", my_endpoint)

The request follows Firehose's HTTP endpoint delivery specification (FH-DG23
``httpdeliveryrequestresponse.md``): a POST with headers ``X-Amz-Firehose-Request-Id``,
``X-Amz-Firehose-Protocol-Version: 1.0``, ``X-Amz-Firehose-Access-Key`` (when configured),
``X-Amz-Firehose-Common-Attributes``, ``Content-Type: application/json`` and, with
``ContentEncoding=GZIP``, ``Content-Encoding: gzip``; the body is
``{"requestId": ..., "timestamp": <ms>, "records": [{"data": <base64>}, ...]}``. The endpoint
must answer 200 with ``{"requestId": <the same id>, "timestamp": <ms>}``; anything else (another
status, a wrong body, an exception in the handler, no handler) is a failed attempt that Firehose
retries within ``RetryOptions.DurationInSeconds`` and then backs up to S3 under
``http-endpoint-failed/``.

``RecordingEndpoint`` is a ready-made in-lab endpoint that keeps every record it received and can be
told to fail until a given lab time.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any, Callable


class EndpointRequest:
    """One delivery as the endpoint receives it."""

    __slots__ = ("url", "headers", "body", "at")

    def __init__(self, url: str, headers: dict[str, str], body: bytes, at: float) -> None:
        self.url = url
        self.headers = headers
        self.body = body
        self.at = at

    def payload(self) -> dict[str, Any]:
        raw = gzip.decompress(self.body) if self.headers.get("Content-Encoding") == "gzip" else self.body
        return json.loads(raw)

    @property
    def request_id(self) -> str:
        return self.headers["X-Amz-Firehose-Request-Id"]

    def records(self) -> list[bytes]:
        return [base64.b64decode(r["data"]) for r in self.payload()["records"]]

    def reply(self, status: int = 200, error: str | None = None) -> "EndpointResponse":
        """The response the specification asks for (``error`` adds ``errorMessage``)."""
        body: dict[str, Any] = {"requestId": self.request_id, "timestamp": int(self.at * 1000)}
        if error is not None:
            body["errorMessage"] = error
        return EndpointResponse(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


class EndpointResponse:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


Handler = Callable[[EndpointRequest], Any]


class EndpointRegistry:
    """URL -> handler, one per lab."""

    __slots__ = ("handlers",)

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def register(self, url: str, handler: Handler) -> None:
        if not callable(handler):
            raise TypeError(f"the handler for {url} must be callable as handler(request), got {type(handler).__name__}")
        if not url.startswith("https://"):
            raise ValueError(f"Firehose only delivers to https:// URLs (the API model's pattern); got {url!r}")
        self.handlers[url] = handler


_registries: dict[int, EndpointRegistry] = {}


def registry_for(context: Any) -> EndpointRegistry:
    """The endpoint registry of the lab whose ``LabContext`` is ``context``."""
    registry = _registries.get(id(context))
    if registry is None:
        registry = _registries[id(context)] = EndpointRegistry()
    return registry


def drop_registry(context: Any) -> None:
    _registries.pop(id(context), None)


def http_endpoint(lab: Any, url: str, handler: Handler) -> None:
    """Serve Firehose deliveries to ``url`` with ``handler(request) -> EndpointResponse`` in ``lab``."""
    registry_for(lab.context).register(url, handler)


class RecordingEndpoint:
    """An in-lab endpoint that keeps what it receives; it fails (HTTP 503) until ``fail_until``."""

    __slots__ = ("received", "requests", "fail_until", "status_when_failing")

    def __init__(self, fail_until: float = 0.0, status_when_failing: int = 503) -> None:
        self.received: list[bytes] = []
        self.requests: list[EndpointRequest] = []
        self.fail_until = fail_until
        self.status_when_failing = status_when_failing

    def __call__(self, request: EndpointRequest) -> EndpointResponse:
        self.requests.append(request)
        if request.at < self.fail_until:
            return request.reply(self.status_when_failing, "endpoint unavailable (simulated)")
        self.received.extend(request.records())
        return request.reply()
