"""Destination writers: what a delivery does at its destination (the pipeline's last step).

``S3Writer`` writes one object per delivery, named and placed as Firehose does
(``labsim.firehose.prefixes``), compressed (``labsim.firehose.compression``), records concatenated
with no delimiter added. A missing bucket is a failed attempt (``S3.NoSuchBucket``), retried for 24 h
(``quotas.FIREHOSE_S3_RETRY_SECONDS``), then the data is dropped and counted.

``HttpEndpointWriter`` POSTs to the handler registered for the URL (``labsim.firehose.endpoints``);
a failed attempt is retried within ``RetryOptions.DurationInSeconds``; then the records are written
to the S3 backup bucket under the error prefix (``http-endpoint-failed/`` by default), one JSON
document per record with ``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp`` and ``rawData`` (base64). With ``S3BackupMode=AllData`` every delivery
is also copied to the backup bucket.

Issue 12 adds writers for Redshift, OpenSearch, Splunk and the rest; each implements
``labsim.firehose.delivery.Writer``.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any, Callable

from labsim import _moto, quotas

from . import access, compression, prefixes
from .config import Destination
from .delivery import Batch
from .endpoints import EndpointRequest, EndpointResponse, registry_for

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class Naming:
    """The seeded random parts of object keys (uuid, random-string) for one account+Region."""

    __slots__ = ("rng",)

    def __init__(self, rng: Any) -> None:
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def random_string(self) -> str:
        return "".join(self.rng.choice(_ALPHABET) for _ in range(quotas.FIREHOSE_RANDOM_STRING_LENGTH))


class S3Objects:
    """Puts objects into the lab's S3 (moto's backend), reporting a missing bucket as AWS's code.

    Given the destination's configuration, the write is made as its delivery role (``s3:PutObject``,
    and ``kms:GenerateDataKey`` for a customer key: ``labsim.firehose.access``).
    """

    __slots__ = ("account_id", "context", "region")

    def __init__(self, account_id: str, context: Any = None, region: str = "us-east-1") -> None:
        self.account_id = account_id
        self.context = context
        self.region = region

    def put(self, bucket: str, key: str, body: bytes, config: dict[str, Any] | None = None) -> tuple[str, str] | None:
        backend = _moto.get_backend("s3")[self.account_id]["aws"]
        if bucket not in backend.buckets:
            return ("S3.NoSuchBucket", f"The specified bucket does not exist: {bucket}")
        cmk = None
        if config is not None and self.context is not None:
            error, cmk = access.s3_write_error(self.context, config, bucket, key, self.context.now(), self.region)
            if error is not None:
                return error
        if cmk is not None:
            backend.put_object(bucket, key, body, encryption="aws:kms", kms_key_id=cmk.arn)
        else:
            backend.put_object(bucket, key, body)
        return None


class S3Writer:
    """Delivers a batch as one S3 object."""

    metric = "DeliveryToS3"
    __slots__ = ("stream", "version", "dest", "s3", "naming", "metrics", "objects")

    def __init__(self, stream: str, version: Callable[[], str], dest: Destination, s3: S3Objects,
                 naming: Naming, metrics: Any) -> None:
        self.stream = stream
        self.version = version
        self.dest = dest
        self.s3 = s3
        self.naming = naming
        self.metrics = metrics
        self.objects = 0

    def retry_window(self) -> float:
        return float(quotas.FIREHOSE_S3_RETRY_SECONDS)

    def key_for(self, oldest: float, prefix: str, error_type: str | None = None) -> str:
        zone = self.dest.time_zone
        where = prefixes.render(prefix, oldest, zone, random_string=self.naming.random_string(), error_type=error_type)
        return where + prefixes.object_name(self.stream, self.version(), oldest, zone, self.naming.uuid(), self.dest.extension())

    def write(self, batch: Batch, data: bytes, prefix: str, now: float, error_type: str | None = None) -> tuple[str, str] | None:
        key = self.key_for(batch.oldest, prefix, error_type)
        entry = key.rsplit("/", 1)[-1].removesuffix(".zip")
        return self.s3.put(self.dest.bucket, key, compression.compress(self.dest.compression, data, entry), self.dest.config)

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None:
        error = self.write(batch, b"".join(batch.records), self.dest.prefix, now)
        if error is None:
            self.objects += 1
            add = self.metrics.add
            add(now, self.stream, "DeliveryToS3.Records", float(len(batch)))
            add(now, self.stream, "DeliveryToS3.Bytes", float(batch.nbytes))
            add(now, self.stream, "DeliveryToS3.ObjectCount", 1.0)
        return error

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None:
        """S3 itself is unreachable: after 24 h the data is lost (and counted)."""
        self.metrics.add(now, self.stream, "DeliveryToS3.Records", 0.0)


def failure_documents(batch: Batch, now: float, error: tuple[str, str]) -> bytes:
    """Failed records as Firehose writes them to the error prefix: one JSON document per record."""
    lines = []
    for data, arrival in zip(batch.records, batch.arrivals):
        lines.append(json.dumps({
            "attemptsMade": batch.attempts, "arrivalTimestamp": int(arrival * 1000),
            "errorCode": error[0], "errorMessage": error[1], "attemptEndingTimestamp": int(now * 1000),
            "rawData": base64.b64encode(data).decode("ascii"),
        }))
    return ("\n".join(lines) + "\n").encode()


class HttpEndpointWriter:
    """Delivers a batch as one POST to the in-lab endpoint; backs up to S3 as configured."""

    metric = "DeliveryToHttpEndpoint"
    __slots__ = ("stream", "dest", "context", "backup", "naming", "metrics")

    def __init__(self, stream: str, dest: Destination, context: Any, backup: S3Writer, naming: Naming, metrics: Any) -> None:
        self.stream = stream
        self.dest = dest
        self.context = context
        self.backup = backup
        self.naming = naming
        self.metrics = metrics

    def retry_window(self) -> float:
        return float(self.dest.config["RetryOptions"]["DurationInSeconds"])

    def request(self, batch: Batch, now: float) -> EndpointRequest:
        c = self.dest.config
        endpoint = c["EndpointConfiguration"]
        request_id = self.naming.uuid()
        body = json.dumps({
            "requestId": request_id, "timestamp": int(now * 1000),
            "records": [{"data": base64.b64encode(r).decode("ascii")} for r in batch.records],
        }).encode()
        headers = {"Content-Type": "application/json", "X-Amz-Firehose-Request-Id": request_id,
                   "X-Amz-Firehose-Protocol-Version": "1.0", "User-Agent": "Amazon Kinesis Data Firehose Agent/1.0"}
        if endpoint.get("AccessKey"):
            headers["X-Amz-Firehose-Access-Key"] = endpoint["AccessKey"]
        attributes = {a["AttributeName"]: a["AttributeValue"] for a in c["RequestConfiguration"].get("CommonAttributes", [])}
        if attributes:
            headers["X-Amz-Firehose-Common-Attributes"] = json.dumps({"commonAttributes": attributes})
        if c["RequestConfiguration"].get("ContentEncoding") == "GZIP":
            headers["Content-Encoding"] = "gzip"
            body = gzip.compress(body, mtime=0)
        return EndpointRequest(endpoint["Url"], headers, body, now)

    def deliver(self, batch: Batch, now: float) -> tuple[str, str] | None:
        request = self.request(batch, now)
        error = self._call(request)
        if error is None:
            add = self.metrics.add
            add(now, self.stream, "DeliveryToHttpEndpoint.Records", float(len(batch)))
            add(now, self.stream, "DeliveryToHttpEndpoint.Bytes", float(batch.nbytes))
            if self.dest.backup == "AllData":
                self._backup(batch, b"".join(batch.records), now, None)
        return error

    def _call(self, request: EndpointRequest) -> tuple[str, str] | None:
        handler = registry_for(self.context).handlers.get(request.url)
        if handler is None:
            return ("HttpEndpoint.ConnectionFailed",
                    f"No endpoint answers at {request.url}: register one with labsim.firehose.http_endpoint(lab, url, handler).")
        try:
            response = handler(request)
        except Exception as exc:  # the learner's handler: its error is kept, the data is not lost
            return ("HttpEndpoint.DestinationException", f"The endpoint raised {type(exc).__name__}: {exc}")
        if not isinstance(response, EndpointResponse):
            return ("HttpEndpoint.InvalidResponseFromDestination",
                    f"The endpoint returned {type(response).__name__}; return request.reply() (an EndpointResponse).")
        if not 200 <= response.status < 300:
            return ("HttpEndpoint.InvalidStatusCode", f"The endpoint answered HTTP {response.status}.")
        try:
            answer = json.loads(response.body or b"{}")
        except ValueError:
            answer = {}
        if answer.get("requestId") != request.request_id:
            return ("HttpEndpoint.InvalidResponseFromDestination",
                    "The response body must echo the request's requestId (use request.reply()).")
        return None

    def _backup(self, batch: Batch, data: bytes, now: float, error_type: str | None) -> None:
        s3 = self.backup.dest
        prefix = s3.prefix if error_type is None else prefixes.error_prefix_for(s3.prefix, s3.error_prefix, error_type)
        if self.backup.write(batch, data, prefix, now, error_type) is None:
            add = self.metrics.add
            add(now, self.stream, "BackupToS3.Records", float(len(batch)))
            add(now, self.stream, "BackupToS3.Bytes", float(len(data)))
            add(now, self.stream, "BackupToS3.Success", 1.0)

    def give_up(self, batch: Batch, now: float, error: tuple[str, str]) -> None:
        self._backup(batch, failure_documents(batch, now, error), now, "http-endpoint-failed")
