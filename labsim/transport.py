"""How a boto3 call reaches the lab: one request pipeline for every service (layer 0).

botocore emits ``before-send`` just before it would open a connection; labsim's ``Router`` sits
first in botocore's built-in handler list, so every session created after ``import labsim`` (a
learner's plain ``boto3.client(...)`` included) answers here, in-process. For each request:

1. **A call object** (``Call``): service, operation, parameters, Region (from the URL or the
   SigV4 scope), account and principal (from the access key that signed the request, as moto
   resolves it), the request itself. Parameters of JSON services are parsed from the body, as
   the service would; for other protocols they are the ones botocore built the request from
   (captured from its ``before-parameter-build`` event), so no protocol needs parsing by hand.
2. **Guards**, in the order added: each may refuse the call by raising a service error. The
   model guard (``labsim.validation``) checks every request against botocore's service model;
   IAM policy evaluation and call counting go here too.
3. **The operation**: the handler a physics module registered for ``(service, operation)``, or
   else moto, whose backends labsim has subclassed, so the physics apply either way. Each
   operation has exactly one implementation, a typed method of the service's lab backend; a
   handler only unpacks parameters, calls it and hands the result to the codec.
4. **A codec** for the service's protocol renders the result or the error: hand-written JSON 1.0
   and 1.1 here (the hot data plane); moto's model-driven serialisers for what moto serves.

A request no one can answer is refused with ``NetworkBlockedError``: nothing is ever sent. A request
signed by a lab's credentials after that lab stopped fails at once with ``LabStoppedError``.

Plugging a service in (``Firehose`` as the example)::

    undo = router.register("firehose", "PutRecordBatch", put_record_batch)  # Call -> dict | bytes
    undo()                                                                  # on the physics' stop

``register`` refuses a second handler for the same operation; every ``register`` and
``add_guard`` returns its undo, so a physics module's ``stop`` leaves nothing behind.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import re
import threading
import uuid
from io import BytesIO
from typing import Any, Callable

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from . import _moto
from .errors import SERIALIZATION_MESSAGE, SerializationError, UnknownOperationError
from .safety import FAKE_ACCESS_KEY, LabStoppedError, NetworkBlockedError

Handler = Callable[["Call"], Any]
Guard = Callable[["Call"], None]

_REGION_IN_HOST = re.compile(r"\.((?:[a-z]{2}|us-gov|us-iso[a-z]?)-[a-z]+-\d+)\.")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/")
_AWS_URL = re.compile(r"^https?://([^/?#]*\.)?(amazonaws\.com|amazonaws\.com\.cn|api\.aws)(:\d+)?([/?#]|$)")
_PARAMS_KEY = "labsim_params"
_MODEL_KEY = "labsim_model"


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


# --- codecs ----------------------------------------------------------------------------------------
class JsonCodec:
    """AWS's JSON protocol (``application/x-amz-json-1.0`` for DynamoDB, ``1.1`` for Kinesis and Firehose)."""

    __slots__ = ("content_type", "_headers")

    def __init__(self, version: str = "1.1") -> None:
        self.content_type = f"application/x-amz-json-{version}"
        self._headers = {"Content-Type": self.content_type}

    def params(self, request: AWSPreparedRequest) -> dict[str, Any]:
        """The request body as the service reads it: a JSON object, else SerializationException."""
        body = request.body
        if hasattr(body, "read"):
            body = request.body = body.read()  # keep it readable for moto
        if not body:
            return {}
        try:
            params = json.loads(body)
        except ValueError:
            raise SerializationError() from None
        if not isinstance(params, dict):
            raise SerializationError()
        return params

    def ok(self, request: AWSPreparedRequest, payload: Any) -> AWSResponse:
        """``payload``: a dict (encoded here), JSON text already built (str or bytes), or a response."""
        if isinstance(payload, AWSResponse):
            return payload
        if isinstance(payload, dict):
            payload = _dumps(payload)
        return make_response(request, 200, dict(self._headers), payload)

    def error(self, request: AWSPreparedRequest, err: Any) -> AWSResponse:
        headers = {"Content-Type": self.content_type, "x-amzn-ErrorType": err.error_type}
        body = json.dumps({"__type": err.error_type, "message": err.message})
        return make_response(request, int(getattr(err, "code", 400) or 400), headers, body)


class XmlErrorCodec:
    """Errors for XML services (S3's REST-XML, the query protocol of IAM and STS); moto serves their results."""

    __slots__ = ("query",)

    def __init__(self, query: bool) -> None:
        self.query = query

    def ok(self, request: AWSPreparedRequest, payload: Any) -> AWSResponse:
        """A handler's XML document (text), or a response it built (labsim.redshift serves its clusters so)."""
        if isinstance(payload, AWSResponse):
            return payload
        return make_response(request, 200, {"Content-Type": "text/xml"}, payload)

    def error(self, request: AWSPreparedRequest, err: Any) -> AWSResponse:
        inner = f"<Code>{_xml(err.error_type)}</Code><Message>{_xml(err.message)}</Message>"
        if self.query:
            body = f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error><RequestId>labsim</RequestId></ErrorResponse>"
        else:
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}<RequestId>labsim</RequestId></Error>'
        return make_response(request, int(getattr(err, "code", 400) or 400), {"Content-Type": "text/xml"}, body)


class CborErrorCodec:
    """Errors for Smithy RPC v2 CBOR services (CloudWatch's default today); moto serves their results."""

    __slots__ = ()

    def error(self, request: AWSPreparedRequest, err: Any) -> AWSResponse:
        body = b"\xa2" + _cbor_text("__type") + _cbor_text(err.error_type) + _cbor_text("message") + _cbor_text(err.message)
        headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
        return make_response(request, int(getattr(err, "code", 400) or 400), headers, body)


def _cbor_text(text: str) -> bytes:
    data = str(text).encode("utf-8")
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 256:
        head = bytes([0x78, n])
    elif n < 65536:
        head = b"\x79" + n.to_bytes(2, "big")
    else:
        head = b"\x7a" + n.to_bytes(4, "big")
    return head + data


def _plain(value: Any) -> Any:
    # Timestamps go on the wire as epoch seconds in AWS's JSON protocol.
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_plain).encode


def _xml(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def codec_for(model: Any) -> Any:
    """The codec of an operation model's service protocol."""
    meta = model.service_model.metadata if model is not None else {}
    # botocore speaks the first protocol it supports from the model's list (CloudWatch: JSON, not CBOR)
    protocol = (getattr(model.service_model, "resolved_protocol", None) if model is not None else None) or meta.get("protocol", "json")
    if protocol in ("json", "rest-json"):
        version = meta.get("jsonVersion", "1.1")
        codec = _JSON_CODECS.get(version)
        if codec is None:
            codec = _JSON_CODECS[version] = JsonCodec(version)
        return codec if protocol == "json" else _REST_JSON
    if protocol == "smithy-rpc-v2-cbor":
        return _CBOR
    return _XML_QUERY if protocol in ("query", "ec2") else _XML_REST


_JSON_CODECS: dict[str, JsonCodec] = {}
_XML_QUERY = XmlErrorCodec(query=True)
_XML_REST = XmlErrorCodec(query=False)
_CBOR = CborErrorCodec()


class _RestJsonErrors(JsonCodec):
    """REST-JSON services (Lambda, IoT): moto serves their results; errors render as JSON."""


_REST_JSON = _RestJsonErrors("1.1")


# --- the call object -------------------------------------------------------------------------------
class Call:
    """One request as every guard and operation sees it."""

    __slots__ = ("service", "operation", "params", "region", "account_id", "access_key", "principal", "request",
                 "model", "json", "handler")

    def __init__(self, service: str, operation: str, params: dict[str, Any], region: str, account_id: str,
                 access_key: str, request: Any = None, model: Any = None, json: bool = True, handler: Any = None) -> None:
        self.service = service
        self.operation = operation
        self.params = params
        self.region = region
        self.account_id = account_id
        self.access_key = access_key
        #: Who made the call; the account's administrator unless the security physics says otherwise.
        self.principal = f"arn:aws:iam::{account_id}:root"
        self.request = request
        #: botocore's OperationModel (shapes, documentation); None for a request built by hand.
        self.model = model
        #: True when the service speaks AWS's JSON protocol (params parsed from the body).
        self.json = json
        #: The operation's registered implementation, or None when moto serves it.
        self.handler = handler

    def __repr__(self) -> str:
        return f"<Call {self.service}.{self.operation} {self.account_id}/{self.region} by {self.principal}>"


# --- the router ------------------------------------------------------------------------------------
class Router:
    """The in-process endpoint of a running lab: call object, guards, one operation, codec."""

    def __init__(self) -> None:
        self.active = False
        self.default_region = "us-east-1"
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.guards: list[tuple[str, Guard]] = []
        self.calls = 0
        #: The lab's own key and the keys a lab's IAM/STS issued: once it stops they are refused at once.
        self.lab_keys: set[str] = {FAKE_ACCESS_KEY}
        self._lock = threading.Lock()
        self._regions: dict[str, str] = {}
        self._accounts: dict[str, str] = {FAKE_ACCESS_KEY: _moto.DEFAULT_ACCOUNT_ID}
        self._ids = random.Random(0)
        self._in_flight = threading.local()

    def seed_request_ids(self, rng: random.Random) -> None:
        """Draw the ``x-amzn-RequestId`` of every answer from ``rng`` (the lab's seed)."""
        self._ids = rng

    # -- wiring ------------------------------------------------------------------------------------
    def register(self, service: str, operation: str, handler: Handler) -> Callable[[], None]:
        """Serve ``service.operation`` (botocore's service id, e.g. ``kinesis``) with ``handler``."""
        key = (service, operation)
        with self._lock:
            if key in self.handlers:
                raise ValueError(f"{service}.{operation} already has a handler ({self.handlers[key]!r}); "
                                 "each operation has exactly one implementation")
            self.handlers[key] = handler

        def undo() -> None:
            with self._lock:
                if self.handlers.get(key) is handler:
                    del self.handlers[key]

        return undo

    def add_guard(self, guard: Guard, name: str) -> Callable[[], None]:
        """Run ``guard(call)`` before every operation, after the guards added before it."""
        entry = (name, guard)
        with self._lock:
            if any(n == name for n, _ in self.guards):
                raise ValueError(f"a guard named {name!r} is already installed")
            self.guards.append(entry)

        def undo() -> None:
            with self._lock:
                if entry in self.guards:
                    self.guards.remove(entry)

        return undo

    def reset(self) -> None:
        """Forget every handler and guard (a lab's teardown, after each physics undid its own)."""
        with self._lock:
            self.handlers.clear()
            self.guards.clear()
        self._accounts = {FAKE_ACCESS_KEY: _moto.DEFAULT_ACCOUNT_ID}

    # -- botocore events ---------------------------------------------------------------------------
    def capture_params(self, params: Any = None, model: Any = None, context: Any = None, **kwargs: Any) -> None:
        """``before-parameter-build``: keep botocore's own parameters and model for the pipeline."""
        if context is not None:
            context[_PARAMS_KEY] = params
            context[_MODEL_KEY] = model

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **kwargs: Any) -> AWSResponse | None:
        try:
            return self._serve(request, event_name)
        finally:
            self._in_flight.call = None

    def current_call(self) -> "Call | None":
        """The call this thread is serving right now (None between requests, e.g. in a clock task)."""
        return getattr(self._in_flight, "call", None)

    def _serve(self, request: AWSPreparedRequest, event_name: str) -> AWSResponse | None:
        if not self.active:
            self._refuse_if_lab_client(request)
            return None
        self.calls += 1
        # event_name is "before-send.<service-id>.<OperationName>"
        _, _, rest = event_name.partition(".")
        service, _, operation = rest.partition(".")
        if request.url not in self._regions and _AWS_URL.match(request.url) is None:
            raise NetworkBlockedError(
                f"labsim refused to send a request to {request.url} ({service}.{operation}): inside a lab "
                "only the AWS endpoints the course simulates are answered, in-process. Create the client "
                "without endpoint_url (lab.client('kinesis') or boto3.client('kinesis'))."
            )
        context = getattr(request, "context", None) or {}
        model = context.get(_MODEL_KEY)
        codec = codec_for(model)
        is_json = type(codec) is JsonCodec
        region, access_key = self._scope(request)
        try:
            if is_json:
                # The service acts on the operation its target header names, not on the client's intent.
                target = request.headers.get("X-Amz-Target")
                if target:
                    named = (target.decode("latin-1") if isinstance(target, bytes) else target).rpartition(".")[2]
                    if named != operation and model is not None:
                        if named not in model.service_model.operation_names:
                            raise UnknownOperationError(f"Operation {named} is not supported by this service.")
                        operation, model = named, model.service_model.operation_model(named)
                params = codec.params(request)
            else:
                params = context.get(_PARAMS_KEY) or {}
            handler = self.handlers.get((service, operation))
            call = Call(service, operation, params, region, self._account(access_key), access_key, request, model,
                        is_json, handler)
            self._in_flight.call = call  # what server-side physics ask "who is calling?" about
            for _, guard in self.guards:
                guard(call)
            if handler is not None:
                return self._stamp(codec.ok(request, handler(call)))
        except Exception as err:
            if not hasattr(err, "error_type") or not hasattr(err, "message"):
                raise
            return self._stamp(codec.error(request, err))
        served = _moto.serve(request)
        if served is None:
            raise NetworkBlockedError(
                f"labsim has no in-process endpoint for {request.url} ({service}.{operation}); "
                "it refused to send the request over the network. Inside a lab, use the default "
                "AWS endpoints (no endpoint_url) for the services the course simulates."
            )
        status, headers, body = served
        return make_response(request, status, dict(headers), body)

    # -- helpers ------------------------------------------------------------------------------------
    def _stamp(self, response: AWSResponse) -> AWSResponse:
        response.headers["x-amzn-RequestId"] = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        return response

    def _scope(self, request: AWSPreparedRequest) -> tuple[str, str]:
        """(Region, access key) of a request: the Region from the host, else from the SigV4 scope."""
        m = _credential(request)
        access_key = m.group(1) if m else FAKE_ACCESS_KEY
        url = request.url
        region = self._regions.get(url)
        if region is None:
            host = _REGION_IN_HOST.search(url)
            region = host.group(1) if host else (m.group(2) if m else self.default_region)
            if len(self._regions) < 10_000:
                self._regions[url] = region
        return region, access_key

    def _account(self, access_key: str) -> str:
        account = self._accounts.get(access_key)
        if account is None:
            # moto resolves the account from the access key the same way for the calls it serves.
            account = _moto.account_for_access_key(access_key)
            if account != _moto.DEFAULT_ACCOUNT_ID:
                self._accounts[access_key] = account
        return account

    def _refuse_if_lab_client(self, request: AWSPreparedRequest) -> None:
        m = _credential(request)
        if m is not None and m.group(1) in self.lab_keys:
            raise LabStoppedError(
                f"this client belongs to a lab that has stopped, so {request.url} was not called "
                "(and nothing was sent over the network). Start a lab again (`lab = Lab().start()`) "
                "and create the client inside it: lab.client(...) or boto3.client(...)."
            )


def _credential(request: AWSPreparedRequest) -> Any:
    """The SigV4 ``Credential=<access key>/<date>/<region>/...`` match of a request, or None."""
    auth = request.headers.get("Authorization") or b""
    if isinstance(auth, bytes):
        auth = auth.decode("latin-1")
    return _CREDENTIAL.search(auth)


router = Router()

# First in each list: the router must see parameters before other handlers and answer before moto's
# own stubber would; sessions created from now on register built-in handlers in list order.
if not any(entry[1] is router for entry in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.insert(0, ("before-send", router))
    BUILTIN_HANDLERS.insert(0, ("before-parameter-build", router.capture_params))

__all__ = ["Call", "JsonCodec", "Router", "router", "make_response", "codec_for", "SERIALIZATION_MESSAGE"]
