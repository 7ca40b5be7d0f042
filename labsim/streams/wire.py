"""The JSON wire format of the hot Kinesis operations: fast handlers for ``labsim.transport.router``.

A fast handler reads the request body (``application/x-amz-json-1.1``), calls
``LabKinesisBackend`` directly and builds the response body itself, skipping moto's URL regex scan
and response machinery. It must answer exactly what the service answers: same members, timestamps
as epoch seconds, blobs as base64, errors as ``{"__type", "message"}`` with HTTP 400 (500 for
internal failures).

Operations served here: PutRecord, PutRecords, GetShardIterator, GetRecords, ListShards,
DescribeStreamSummary, CreateStream (for ``MaxRecordSizeInKiB`` and ``Tags``, which moto ignores)
and UpdateMaxRecordSize (an API moto lacks). Everything else goes to moto's KinesisResponse, which
reaches the same backend.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any, Callable

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from labsim.transport import make_response

from . import errors as E

_JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}
_REGION_RE = re.compile(r"\.((?:[a-z]{2}|us-gov|us-iso[a-z]?)-[a-z]+-\d+)\.")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_loads = json.loads
_b2a = binascii.b2a_base64


def _ok(request: AWSPreparedRequest, payload: dict[str, Any]) -> AWSResponse:
    return make_response(request, 200, dict(_JSON_HEADERS), _dumps(payload).encode("utf-8"))


def _error(request: AWSPreparedRequest, err: E.KinesisError) -> AWSResponse:
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": err.error_type}
    body = json.dumps({"__type": err.error_type, "message": err.message})
    return make_response(request, int(err.code or 400), headers, body)


def _body(request: AWSPreparedRequest) -> dict[str, Any]:
    body = request.body
    if not body:
        return {}
    if hasattr(body, "read"):
        body = body.read()
    return _loads(body)




class KinesisWire:
    """Builds fast handlers bound to a ``backend_for(region)`` lookup."""

    def __init__(self, backend_for: Callable[[str], Any], default_region: str) -> None:
        self.backend_for = backend_for
        self.default_region = default_region
        self._regions: dict[str, str] = {}

    def handlers(self) -> dict[str, Callable[[AWSPreparedRequest], AWSResponse | None]]:
        return {
            "PutRecord": self._wrap(self.put_record),
            "PutRecords": self._wrap(self.put_records),
            "DescribeStreamSummary": self._wrap(self.describe_stream_summary),
            "CreateStream": self._wrap(self.create_stream),
            "UpdateMaxRecordSize": self._wrap(self.update_max_record_size),
        }

    def _region(self, url: str) -> str:
        region = self._regions.get(url)
        if region is None:
            m = _REGION_RE.search(url)
            region = m.group(1) if m else self.default_region
            self._regions[url] = region
        return region

    def _wrap(self, fn: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> Callable[[AWSPreparedRequest], AWSResponse]:
        def handler(request: AWSPreparedRequest) -> AWSResponse:
            try:
                params = _body(request)
            except ValueError:
                return _error(request, E.KinesisError("Start of structure or map found where not expected.", "SerializationException"))
            backend = self.backend_for(self._region(request.url))
            try:
                payload = fn(backend, params)
            except E.KinesisError as err:
                return _error(request, err)
            if isinstance(payload, bytes):  # already JSON
                return make_response(request, 200, dict(_JSON_HEADERS), payload)
            return _ok(request, payload)

        handler.__name__ = f"kinesis_{fn.__name__}"
        return handler

    # -- data plane --------------------------------------------------------------------------------
    @staticmethod
    def put_record(backend: Any, p: dict[str, Any]) -> dict[str, Any]:
        stream = backend.data_stream(p.get("StreamName"), p.get("StreamARN"))
        seq, shard_id = backend.put_record_to(
            stream, p.get("PartitionKey"), p.get("ExplicitHashKey"), p.get("Data"), p.get("SequenceNumberForOrdering")
        )
        return {"ShardId": shard_id, "SequenceNumber": seq, "EncryptionType": stream.encryption_type}

    @staticmethod
    def put_records(backend: Any, p: dict[str, Any]) -> dict[str, Any]:
        stream = backend.data_stream(p.get("StreamName"), p.get("StreamARN"))
        entries = backend.validate_entries(stream, p.get("Records") or [], batch=True)
        outcomes, failed = backend.write_raw(stream, entries, batch=True)
        # Built as text: every value is a decimal, a shard id or a stream name ([a-zA-Z0-9_.-]),
        # so nothing needs JSON escaping, and this is several times faster than json.dumps of dicts.
        ok = '{"SequenceNumber":"%s","ShardId":"%s"}'
        throttled = '{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"%s"}'
        parts = [
            ok % (seq, shard_id) if seq is not None else throttled % E.shard_throttled(shard_id, stream.name, backend.account_id)
            for seq, shard_id in outcomes
        ]
        body = '{"FailedRecordCount":%d,"Records":[%s],"EncryptionType":"%s"}' % (failed, ",".join(parts), stream.encryption_type)
        return body.encode("ascii")

    # -- control plane -----------------------------------------------------------------------------
    @staticmethod
    def describe_stream_summary(backend: Any, p: dict[str, Any]) -> dict[str, Any]:
        stream = backend.describe_stream_summary(p.get("StreamARN"), p.get("StreamName"))
        summary = stream.to_json_summary()["StreamDescriptionSummary"]
        summary["StreamCreationTimestamp"] = stream.created_at
        return {"StreamDescriptionSummary": summary}

    @staticmethod
    def create_stream(backend: Any, p: dict[str, Any]) -> dict[str, Any]:
        backend.create_stream(
            p.get("StreamName"), p.get("ShardCount"), stream_mode=p.get("StreamModeDetails"),
            max_record_size_kib=p.get("MaxRecordSizeInKiB"), tags=p.get("Tags"),
        )
        return {}

    @staticmethod
    def update_max_record_size(backend: Any, p: dict[str, Any]) -> dict[str, Any]:
        backend.update_max_record_size(p.get("StreamARN"), p.get("MaxRecordSizeInKiB"))
        return {}
