"""The Firehose data plane labsim serves itself: PutRecord and PutRecordBatch (the hot path).

Each handler takes the pipeline's ``Call`` (``labsim.transport``), decodes the records' base64,
calls the backend's one method (``LabFirehoseBackend.put_record`` / ``put_record_batch``) and
renders the result as JSON text; the service's errors propagate to the pipeline, which renders
them. moto's FirehoseResponse serves every other operation, on the same backend. Rendering 500
RequestResponses as text is several times faster than a model-driven serialiser
(``benchmarks/bench_firehose.py``).
"""

from __future__ import annotations

import binascii
from typing import Any

from labsim import _moto
from labsim.errors import SerializationError

from .search_splunk import MEMBERS


def _backend(call: Any) -> Any:
    return _moto.get_backend("firehose")[call.account_id][call.region]


def _name(params: dict[str, Any]) -> Any:
    name = params.get("DeliveryStreamName")
    if not isinstance(name, (str, type(None))):
        raise SerializationError()
    return name


def _data(record: Any) -> bytes:
    if not isinstance(record, dict) or not isinstance(record.get("Data", ""), str):
        raise SerializationError()
    try:
        return binascii.a2b_base64(record.get("Data", ""))
    except (binascii.Error, ValueError):
        raise SerializationError("Base64 encoded value of the record's Data is not valid.") from None


def put_record(call: Any) -> dict[str, Any]:
    p = call.params
    return _backend(call).put_record(_name(p), {"Data": _data(p.get("Record") or {})})


def put_record_batch(call: Any) -> bytes:
    p = call.params
    records = p.get("Records")
    if not isinstance(records, list):
        raise SerializationError()
    out = _backend(call).put_record_batch(_name(p), [{"Data": _data(r)} for r in records])
    parts = [
        '{"RecordId":"%s"}' % r["RecordId"] if "RecordId" in r
        else '{"ErrorCode":"%s","ErrorMessage":"%s"}' % (r["ErrorCode"], r["ErrorMessage"])
        for r in out["RequestResponses"]
    ]
    body = '{"FailedPutCount":%d,"Encrypted":%s,"RequestResponses":[%s]}' % (
        out["FailedPutCount"], "true" if out["Encrypted"] else "false", ",".join(parts))
    return body.encode("ascii")


# The backend checks these operations' whole input in the model guard's words (stream name,
# 1-500 records, 1,000 KiB per record), so the guard need not walk every record again.
put_record.validates_model = True  # type: ignore[attr-defined]
put_record_batch.validates_model = True  # type: ignore[attr-defined]


# CreateDeliveryStream and UpdateDestination are served here rather than by moto's parser, which does
# not pass the AmazonopensearchserviceDestination* / AmazonOpenSearchServerlessDestination* members.
_CREATE_MEMBERS = ("S3DestinationConfiguration", "ExtendedS3DestinationConfiguration", "RedshiftDestinationConfiguration",
                   "ElasticsearchDestinationConfiguration", "SplunkDestinationConfiguration",
                   "HttpEndpointDestinationConfiguration", "SnowflakeDestinationConfiguration",
                   "IcebergDestinationConfiguration")
# In the order of moto's update_destination arguments (S3BackupMode is not in the API model: always None).
_UPDATE_MEMBERS = ("S3DestinationUpdate", "ExtendedS3DestinationUpdate", "S3BackupMode", "RedshiftDestinationUpdate",
                   "ElasticsearchDestinationUpdate", "SplunkDestinationUpdate", "HttpEndpointDestinationUpdate",
                   "SnowflakeDestinationUpdate", "IcebergDestinationUpdate")


def create_delivery_stream(call: Any) -> dict[str, Any]:
    p = call.params
    more = {k: p[k] for k in MEMBERS if k.endswith("Configuration") and p.get(k)}
    arn = _backend(call).create_delivery_stream(
        call.region, p.get("DeliveryStreamName"), p.get("DeliveryStreamType"), p.get("KinesisStreamSourceConfiguration"),
        p.get("DeliveryStreamEncryptionConfigurationInput"), *(p.get(k) for k in _CREATE_MEMBERS), p.get("Tags"), **more)
    return {"DeliveryStreamARN": arn}


def update_destination(call: Any) -> dict[str, Any]:
    p = call.params
    more = {k: p[k] for k in MEMBERS if k.endswith("Update") and p.get(k)}
    _backend(call).update_destination(p.get("DeliveryStreamName"), p.get("CurrentDeliveryStreamVersionId"),
                                      p.get("DestinationId"), *(p.get(k) for k in _UPDATE_MEMBERS), **more)
    return {}


HANDLERS = {"PutRecord": put_record, "PutRecordBatch": put_record_batch,
            "CreateDeliveryStream": create_delivery_stream, "UpdateDestination": update_destination}
