"""Amazon Data Firehose delivery physics (layer 1).

While a lab runs, every boto3 Firehose client is served by ``LabFirehoseBackend`` (a subclass of
moto's backend, swapped in by ``FirehosePhysics.start``): delivery streams go CREATING -> ACTIVE on
the lab clock, requests are validated against the API model and the docs' rules, PutRecordBatch
obeys its limits and the Direct PUT quota, and records are buffered by size or interval and
delivered to S3 (layout, names, compression as the service does) or to an in-process HTTP
endpoint, with retries, S3 backup and AWS/Firehose CloudWatch metrics. A Kinesis data stream can be
the source.

Modules:
  errors        the service's error codes and messages
  api           PutRecord / PutRecordBatch served as JSON text (the hot path)
  config        destination rules, defaults and the Describe view
  prefixes      S3 prefixes, !{timestamp:...} / !{firehose:...} expressions, object names
  compression   GZIP, ZIP, Snappy (framed), HADOOP_SNAPPY
  throughput    the Direct PUT quota (records/s, requests/s, bytes/s)
  delivery      buffer -> [transforms] -> writer, retries, freshness
  destinations  S3 and HTTP endpoint writers
  endpoints     in-process HTTP endpoints (learner handlers, RecordingEndpoint)
  source        a Kinesis data stream as source (polling, parents first, KPL de-aggregation)
  kds_reads     the one seam through which Firehose reads Kinesis
  metrics       AWS/Firehose, one datapoint per second
  backend       the moto subclass

OpenSearch and Splunk destinations (issue 12): ``opensearch`` (the writer, index rotation, document
IDs, failed documents), ``searchindex`` (the lab's stand-in index a learner searches), ``splunk`` (an
in-lab HEC with indexer acknowledgements), ``backup`` (S3 backup of their records).

Data transformation (issue 12): ``processing`` (ProcessingConfiguration's processors: the Lambda
contract through ``labsim.awslambda``, de-aggregation, decompression, CloudWatch Logs extraction, jq
metadata, delimiters; ``processing-failed/`` documents), ``partitioning`` (dynamic partitioning: keys,
one buffer per active partition, the limit), ``transform`` (wires them into a stream's pipeline).

For lessons: ``opensearch_domain(lab, name)`` (search what was indexed), ``splunk_hec(lab, url, token)``,
``http_endpoint(lab, url, handler)``, ``RecordingEndpoint``, ``read_object(s3, bucket,
key)`` (download and decompress by extension), ``billed_bytes(size)``, ``pipeline(lab, name)``.
"""

from __future__ import annotations

from typing import Any

from labsim import _moto

from .compression import decompress
from .endpoints import EndpointRequest, EndpointResponse, RecordingEndpoint, drop_registry, http_endpoint
from .opensearch import drop_clusters, opensearch_domain
from .splunk import HecEndpoint, drop_hecs, splunk_hec

__all__ = ["FirehosePhysics", "http_endpoint", "EndpointRequest", "EndpointResponse", "RecordingEndpoint",
           "read_object", "billed_bytes", "pipeline", "opensearch_domain", "splunk_hec", "HecEndpoint"]

_BY_EXTENSION = {".gz": "GZIP", ".zip": "ZIP", ".snappy": "Snappy", ".hsnappy": "HADOOP_SNAPPY"}


def billed_bytes(size: int) -> int:
    from .backend import billed_bytes as _billed

    return _billed(size)


def read_object(s3: Any, bucket: str, key: str) -> bytes:
    """An object Firehose delivered, decompressed according to its extension."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    for ext, fmt in _BY_EXTENSION.items():
        if key.endswith(ext):
            return decompress(fmt, body)
    return body


def pipeline(lab: Any, name: str, region: str | None = None) -> Any:
    """The delivery pipeline of stream ``name`` (buffer, retries, errors), for looking under the hood."""
    return lab.backend("firehose", region).delivery_streams[name].pipeline


class FirehosePhysics:
    """The Firehose physics object a lab starts and stops (``labsim.lab.Physics``)."""

    name = "firehose"

    def __init__(self) -> None:
        self._undo: list[Any] = []
        self._context: Any = None

    def start(self, lab: Any) -> None:
        from .backend import LabFirehoseBackend

        self._context = lab.context
        from labsim.transport import router

        from .api import HANDLERS

        self._undo.append(_moto.swap_backend_class("firehose", LabFirehoseBackend, lab.context))
        for operation, handler in HANDLERS.items():
            self._undo.append(router.register("firehose", operation, handler))
        # CloudWatch publishes pending Firehose datapoints before answering any metrics read.
        cloudwatch = lab.physics.get("cloudwatch")
        if cloudwatch is not None:
            self._undo.append(cloudwatch.add_publisher(self.flush_metrics))

    def flush_metrics(self) -> int:
        sent = 0
        for account in list(_moto.get_backend("firehose").values()):
            for backend in list(account.values()):
                metrics = getattr(backend, "metrics", None)
                if metrics is not None:
                    sent += metrics.flush()
        return sent

    def stop(self, lab: Any) -> None:
        for account in list(_moto.get_backend("firehose").values()):
            for backend in list(account.values()):
                if hasattr(backend, "stop_all"):
                    backend.stop_all()
        if self._context is not None:
            drop_registry(self._context)
            drop_clusters(self._context)
            drop_hecs(self._context)
        while self._undo:
            self._undo.pop()()
