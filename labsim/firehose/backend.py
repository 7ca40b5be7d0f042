"""``LabFirehoseBackend``: moto's Firehose backend with the service's delivery physics.

One instance serves one account and Region. moto's FirehoseResponse parses each request and calls
the typed methods below; they return moto-style results (dicts in the API's shape) and raise the
service's errors (``labsim.firehose.errors``). Tag operations are moto's own, on these streams.

- Lifecycle: CREATING for ``quotas.FIREHOSE_CREATING_SECONDS`` then ACTIVE (a clock task); a
  KinesisStreamAsSource stream starts polling its stream when ACTIVE; DELETING then gone.
- DescribeDeliveryStream in the real shape, defaults filled in, ``VersionId`` +1 per UpdateDestination.
- Validation: the API model is checked by the lab's model guard (``labsim.validation``) before a
  request gets here; these methods add the docs' rules (``config``, ``prefixes``).
- PutRecord / PutRecordBatch: 500 records, 4 MiB, 1,000 KiB per record; the Direct PUT quota
  (``throughput``); refused on a KinesisStreamAsSource stream.
- Delivery: ``delivery.Pipeline`` per stream, writers in ``destinations``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from moto.firehose.models import FirehoseBackend

from labsim import _moto, quotas
from labsim.clock import VirtualClock

from . import errors as E
from . import conversion, kds_reads, partitioning, transform
from .config import Destination, merge, parse_destination
from .delivery import Pipeline
from .destinations import HttpEndpointWriter, Naming, S3Objects, S3Writer
from .metrics import FirehoseMetrics
from .redshift import redshift_writer
from .search_splunk import SEARCH_AND_SPLUNK, more_destinations, search_or_splunk_writer
from .source import SourcePoller
from .throughput import PutBudget

STREAM_NAME_RE = re.compile(r"[a-zA-Z0-9_.-]+")
NOT_PERMITTED_ON_KDS_SOURCE = "This operation is not permitted on KinesisStreamAsSource delivery stream type."
DESTINATION_ID = "destinationId-000000000001"


def billed_bytes(size: int) -> int:
    """Firehose ingestion billing: each record rounded up to the next 5 KB (kinesis-facts 7.8)."""
    unit = quotas.FIREHOSE_BILLING_ROUNDING_BYTES
    return max(1, math.ceil(size / unit)) * unit


class DeliveryStream:
    """One delivery stream's state. Attribute names moto's tag operations read are kept."""

    __slots__ = ("delivery_stream_name", "delivery_stream_arn", "delivery_stream_type", "status", "version_id",
                 "create_timestamp", "last_update_timestamp", "source", "delivery_start", "destination",
                 "encryption", "pipeline", "poller", "budget", "billed_bytes", "accepted_bytes", "accepted_records")

    def __init__(self, name: str, arn: str, kind: str, now: float, destination: Destination,
                 source: dict[str, Any] | None, encryption: dict[str, Any] | None) -> None:
        self.delivery_stream_name = name
        self.delivery_stream_arn = arn
        self.delivery_stream_type = kind
        self.status = "CREATING"
        self.version_id = 1
        self.create_timestamp = now
        self.last_update_timestamp: float | None = None
        self.source = source
        self.delivery_start = now
        self.destination = destination
        self.encryption = {"Status": "DISABLED"}
        if encryption:
            self.encryption = {"KeyType": encryption.get("KeyType", "AWS_OWNED_CMK"), "Status": "ENABLED",
                               **({"KeyARN": encryption["KeyARN"]} if encryption.get("KeyARN") else {})}
        self.pipeline: Pipeline | None = None
        self.poller: SourcePoller | None = None
        self.budget: PutBudget | None = None
        self.billed_bytes = 0
        self.accepted_bytes = 0
        self.accepted_records = 0

    def description(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "DeliveryStreamName": self.delivery_stream_name, "DeliveryStreamARN": self.delivery_stream_arn,
            "DeliveryStreamStatus": self.status, "DeliveryStreamEncryptionConfiguration": dict(self.encryption),
            "DeliveryStreamType": self.delivery_stream_type, "VersionId": str(self.version_id),
            "CreateTimestamp": _stamp(self.create_timestamp),
            "Destinations": [self.destination.description(DESTINATION_ID)], "HasMoreDestinations": False,
        }
        if self.last_update_timestamp is not None:
            out["LastUpdateTimestamp"] = _stamp(self.last_update_timestamp)
        if self.source:
            out["Source"] = {"KinesisStreamSourceDescription": {
                "KinesisStreamARN": self.source["KinesisStreamARN"], "RoleARN": self.source["RoleARN"],
                "DeliveryStartTimestamp": _stamp(self.delivery_start)}}
        return out


def _stamp(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).replace(tzinfo=None)


_DEST_ARGS = ("S3", "ExtendedS3", "Redshift", "Elasticsearch", "Splunk", "HttpEndpoint", "Snowflake", "Iceberg")


class LabFirehoseBackend(_moto.LabBackendMixin, FirehoseBackend):
    """moto's FirehoseBackend with lifecycle, validation, limits, buffering and delivery."""

    moto_service = "firehose"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.clock = self.context.clock if self.context is not None else VirtualClock()
        self.delivery_streams: dict[str, DeliveryStream] = {}  # type: ignore[assignment]
        self.metrics = FirehoseMetrics(self.clock, lambda: _moto.get_backend("cloudwatch")[account_id][region_name])
        seeded = self.context.rng(f"firehose:{account_id}:{region_name}") if self.context is not None else None
        import random

        self.naming = Naming(seeded or random.Random(0))
        self.s3 = S3Objects(account_id)

    # -- lookups ---------------------------------------------------------------------------------
    def _stream(self, name: str) -> DeliveryStream:
        stream = self.delivery_streams.get(name)
        if stream is None:
            raise E.not_found(name, self.account_id)
        return stream

    def _active(self, name: str) -> DeliveryStream:
        stream = self._stream(name)
        if stream.status != "ACTIVE":
            if stream.status == "CREATING":
                raise E.ResourceNotFoundError(
                    f"Firehose {name} under account {self.account_id} is still CREATING: wait until "
                    "DescribeDeliveryStream says ACTIVE (advance the lab clock a few seconds).")
            raise E.not_found(name, self.account_id)
        return stream

    # -- lifecycle -------------------------------------------------------------------------------
    def create_delivery_stream(self, region: str, delivery_stream_name: str, delivery_stream_type: str,  # type: ignore[override]
                               kinesis_stream_source_configuration: dict[str, Any],
                               delivery_stream_encryption_configuration_input: dict[str, Any],
                               s3_destination_configuration: dict[str, Any],
                               extended_s3_destination_configuration: dict[str, Any],
                               redshift_destination_configuration: dict[str, Any],
                               elasticsearch_destination_configuration: dict[str, Any],
                               splunk_destination_configuration: dict[str, Any],
                               http_endpoint_destination_configuration: dict[str, Any],
                               snowflake_destination_configuration: dict[str, Any],
                               iceberg_destination_configuration: dict[str, Any],
                               tags: list[dict[str, str]], **more: dict[str, Any]) -> str:
        given = dict(zip(_DEST_ARGS, (s3_destination_configuration, extended_s3_destination_configuration,
                                       redshift_destination_configuration, elasticsearch_destination_configuration,
                                       splunk_destination_configuration, http_endpoint_destination_configuration,
                                       snowflake_destination_configuration, iceberg_destination_configuration)))
        given.update(more_destinations(more))  # the destinations moto's parser does not pass (api.py does)
        kind = delivery_stream_type or "DirectPut"
        if delivery_stream_name in self.delivery_streams:
            raise E.ResourceInUseError(f"Firehose {delivery_stream_name} under accountId {self.account_id} already exists")
        if len(self.delivery_streams) >= quotas.FIREHOSE_STREAMS_PER_REGION:
            raise E.LimitExceededError(
                f"You have already consumed your firehose quota of {quotas.FIREHOSE_STREAMS_PER_REGION} hoses.")
        chosen = [(k, v) for k, v in given.items() if v]
        if len(chosen) != 1:
            raise E.InvalidArgumentError(
                f"Exactly one destination configuration is supported for a Firehose stream; got {len(chosen)}"
                + (f" ({', '.join(k for k, _ in chosen)})." if chosen else "."))
        if kind == "KinesisStreamAsSource":
            if not kinesis_stream_source_configuration:
                raise E.InvalidArgumentError(
                    "KinesisStreamSourceConfiguration is required for a KinesisStreamAsSource delivery stream.")
            if delivery_stream_encryption_configuration_input:
                raise E.InvalidArgumentError(
                    "Server-side encryption (DeliveryStreamEncryptionConfigurationInput) is only for DirectPut streams: "
                    "a KinesisStreamAsSource stream uses the source stream's encryption.")
        elif kinesis_stream_source_configuration:
            raise E.InvalidArgumentError("KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type")
        elif kind != "DirectPut":
            raise E.InvalidArgumentError(f"labsim simulates DirectPut and KinesisStreamAsSource streams; {kind} is not simulated yet.")
        destination = parse_destination(*chosen[0])
        if kind == "KinesisStreamAsSource":
            kinesis = kds_reads.kinesis_for(self.account_id, self.region_name)
            if kds_reads.stream_status(kinesis, kinesis_stream_source_configuration["KinesisStreamARN"]) is None:
                raise E.InvalidArgumentError(
                    f"Kinesis stream {kinesis_stream_source_configuration['KinesisStreamARN']} does not exist: "
                    "create it first (kinesis.create_stream).")
        now = self.clock.now()
        arn = f"arn:aws:firehose:{self.region_name}:{self.account_id}:deliverystream/{delivery_stream_name}"
        stream = DeliveryStream(delivery_stream_name, arn, kind, now, destination,
                                kinesis_stream_source_configuration or None, delivery_stream_encryption_configuration_input)
        self.tagger.tag_resource(arn, tags or [])
        self.delivery_streams[delivery_stream_name] = stream
        self.clock.call_later(float(quotas.FIREHOSE_CREATING_SECONDS), lambda: self._activate(stream),
                              name=f"firehose-active:{delivery_stream_name}")
        return arn

    def _activate(self, stream: DeliveryStream) -> None:
        if self.delivery_streams.get(stream.delivery_stream_name) is not stream:
            return
        stream.status = "ACTIVE"
        stream.pipeline = self._pipeline(stream)
        if stream.delivery_stream_type == "DirectPut":
            stream.budget = PutBudget(self.region_name, self.clock.now())
        else:
            kinesis = kds_reads.kinesis_for(self.account_id, self.region_name)
            stream.poller = SourcePoller(self.clock, kinesis, stream.source["KinesisStreamARN"], stream.pipeline,
                                         self.metrics, stream.delivery_stream_name, stream.delivery_start)
            stream.pipeline.source_retention = kds_reads.retention_seconds(kinesis, stream.source["KinesisStreamARN"])
            stream.poller.begin(float(quotas.FIREHOSE_SOURCE_POLL_SECONDS))

    def _pipeline(self, stream: DeliveryStream) -> Pipeline:
        """buffer -> [transforms] -> writer: issue 12 adds transforms and writers here."""
        dest = stream.destination
        version = lambda: str(stream.version_id)  # noqa: E731 (read at delivery time)
        name = stream.delivery_stream_name
        if dest.kind == "HttpEndpoint":
            backup_dest = parse_destination("S3", dest.config["S3Configuration"])
            backup = S3Writer(name, version, backup_dest, self.s3, self.naming, self.metrics)
            writer: Any = HttpEndpointWriter(name, dest, self.context, backup, self.naming, self.metrics)
        elif dest.kind == "Redshift":
            writer = redshift_writer(self, name, version, dest)
        elif dest.kind in SEARCH_AND_SPLUNK:
            backup_dest = parse_destination("S3", dest.config["S3Configuration"])
            backup = S3Writer(name, version, backup_dest, self.s3, self.naming, self.metrics)
            writer = search_or_splunk_writer(name, dest, self.context, backup, self.naming, self.metrics,
                                             self.account_id, self.region_name)
        else:
            writer = S3Writer(name, version, dest, self.s3, self.naming, self.metrics)
            if dest.kind == "ExtendedS3" and conversion.enabled(dest.config):
                writer = conversion.ColumnarWriter(writer, self.context, self.account_id, self.region_name)
        if transform.needed(dest):  # processors, dynamic partitioning, source backup (labsim.firehose.transform)
            return transform.build(self.clock, self.context, name, stream.delivery_stream_arn, self.region_name,
                                   (stream.source or {}).get("KinesisStreamARN"), version, dest, self.s3, self.naming,
                                   self.metrics, sink=None if dest.kind == "ExtendedS3" else lambda: writer)
        return Pipeline(self.clock, name, writer, dest.size_bytes, dest.interval, self.metrics)

    def delete_delivery_stream(self, delivery_stream_name: str) -> None:  # type: ignore[override]
        stream = self._stream(delivery_stream_name)
        if stream.status == "DELETING":
            return
        stream.status = "DELETING"
        self._retire(stream)
        self.tagger.delete_all_tags_for_resource(stream.delivery_stream_arn)

        def gone() -> None:
            if self.delivery_streams.get(delivery_stream_name) is stream:
                del self.delivery_streams[delivery_stream_name]

        self.clock.call_later(float(quotas.FIREHOSE_DELETING_SECONDS), gone, name=f"firehose-deleted:{delivery_stream_name}")

    def _retire(self, stream: DeliveryStream) -> None:
        """Deliver what is buffered (labsim delivers it rather than lose it) and stop reading."""
        if stream.poller is not None:
            stream.poller.stop()
        if stream.pipeline is not None:
            stream.pipeline.close()

    def stop_all(self) -> None:
        for stream in self.delivery_streams.values():
            if stream.poller is not None:
                stream.poller.stop()

    def describe_delivery_stream(self, delivery_stream_name: str) -> dict[str, Any]:  # type: ignore[override]
        return {"DeliveryStreamDescription": self._stream(delivery_stream_name).description()}

    def list_delivery_streams(self, limit: int | None, delivery_stream_type: str,  # type: ignore[override]
                              exclusive_start_delivery_stream_name: str) -> dict[str, Any]:
        return super().list_delivery_streams(limit or 10, delivery_stream_type, exclusive_start_delivery_stream_name)

    # -- ingestion -------------------------------------------------------------------------------
    def put_record(self, delivery_stream_name: str, record: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        result = self._put(delivery_stream_name, [record], "PutRecord")
        if result["FailedPutCount"]:
            raise E.slow_down()
        return {"RecordId": result["RequestResponses"][0]["RecordId"], "Encrypted": result["Encrypted"]}

    def put_record_batch(self, delivery_stream_name: str, records: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[override]
        return self._put(delivery_stream_name, records, "PutRecordBatch")

    def _put(self, name: str, records: list[dict[str, Any]], operation: str) -> dict[str, Any]:
        # The whole input model, in the model guard's words (api.py tells the guard to skip these).
        if name is None or not STREAM_NAME_RE.fullmatch(name) or len(name) > quotas.FIREHOSE_STREAM_NAME_MAX_LENGTH:
            shown = "null" if name is None else f"'{name}'"
            rule = ("Member must not be null" if name is None else
                    f"Member must have length less than or equal to {quotas.FIREHOSE_STREAM_NAME_MAX_LENGTH}"
                    if len(name) > quotas.FIREHOSE_STREAM_NAME_MAX_LENGTH else
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
            raise E.ValidationError(f"1 validation error detected: Value {shown} at 'deliveryStreamName' "
                                    f"failed to satisfy constraint: {rule}")
        if not records:
            raise E.ValidationError("1 validation error detected: Value '[]' at 'records' failed to satisfy "
                                    "constraint: Member must have length greater than or equal to 1")
        if len(records) > quotas.FIREHOSE_BATCH_MAX_RECORDS:
            raise E.ValidationError(
                f"1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have "
                f"length less than or equal to {quotas.FIREHOSE_BATCH_MAX_RECORDS}")
        datas = [r["Data"] for r in records]
        sizes = [len(d) for d in datas]
        for i, size in enumerate(sizes):
            if size > quotas.FIREHOSE_RECORD_MAX_BYTES:
                where = "record.data" if operation == "PutRecord" else f"records.{i + 1}.member.data"
                raise E.ValidationError(
                    f"1 validation error detected: Value at '{where}' failed to satisfy constraint: Member must have "
                    f"length less than or equal to {quotas.FIREHOSE_RECORD_MAX_BYTES}")
        total = sum(sizes)
        if total > quotas.FIREHOSE_BATCH_MAX_BYTES:
            raise E.InvalidArgumentError(
                f"Records size exceeds 4 MiB limit: this request carries {total:,} bytes "
                f"(at most {quotas.FIREHOSE_BATCH_MAX_BYTES:,} per PutRecordBatch). Send fewer records per call.")
        stream = self._active(name)
        if stream.delivery_stream_type == "KinesisStreamAsSource":
            raise E.InvalidArgumentError(NOT_PERMITTED_ON_KDS_SOURCE)
        now = self.clock.now()
        add = self.metrics.add
        budget = stream.budget
        if not budget.admit_request(now):
            add(now, name, "ThrottledRecords", float(len(records)))
            raise E.slow_down()
        rng = self.naming.rng
        responses, accepted, arrivals = [], [], []
        nbytes = failed = billed = 0
        for data, size in zip(datas, sizes):
            if budget.admit_record(size):
                accepted.append(data)
                arrivals.append(now)
                nbytes += size
                billed += billed_bytes(size)
                responses.append({"RecordId": f"{rng.getrandbits(256):064x}"})
            else:
                failed += 1
                responses.append({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."})
        stream.billed_bytes += billed
        stream.accepted_bytes += nbytes
        stream.accepted_records += len(accepted)
        n = float(len(accepted))
        add(now, name, "IncomingRecords", n)
        add(now, name, "IncomingBytes", float(nbytes))
        add(now, name, "IncomingPutRequests", 1.0)
        add(now, name, f"{operation}.Requests", 1.0)
        add(now, name, f"{operation}.Bytes", float(nbytes))
        if operation == "PutRecordBatch":
            add(now, name, "PutRecordBatch.Records", n)
        if failed:
            add(now, name, "ThrottledRecords", float(failed))
        if accepted:
            stream.pipeline.add(accepted, arrivals, nbytes)
        return {"FailedPutCount": failed, "Encrypted": stream.encryption["Status"] == "ENABLED",
                "RequestResponses": responses}

    # -- configuration ---------------------------------------------------------------------------
    def update_destination(self, delivery_stream_name: str, current_delivery_stream_version_id: str,  # type: ignore[override]
                           destination_id: str, s3_destination_update: dict[str, Any],
                           extended_s3_destination_update: dict[str, Any], s3_backup_mode: str,
                           redshift_destination_update: dict[str, Any], elasticsearch_destination_update: dict[str, Any],
                           splunk_destination_update: dict[str, Any], http_endpoint_destination_update: dict[str, Any],
                           snowflake_destination_configuration: dict[str, Any], iceberg_destination_update: dict[str, Any],
                           **more: dict[str, Any]) -> None:
        updates = dict(zip(_DEST_ARGS, (s3_destination_update, extended_s3_destination_update, redshift_destination_update,
                                         elasticsearch_destination_update, splunk_destination_update,
                                         http_endpoint_destination_update, snowflake_destination_configuration,
                                         iceberg_destination_update)))
        updates.update(more_destinations(more))
        stream = self._stream(delivery_stream_name)
        if stream.status != "ACTIVE":
            raise E.ResourceInUseError(f"Firehose {delivery_stream_name} is {stream.status}: it must be ACTIVE to be updated.")
        if str(stream.version_id) != current_delivery_stream_version_id:
            raise E.ConcurrentModificationError(
                f"Cannot update firehose: {delivery_stream_name} since the current version id: {stream.version_id} "
                f"and specified version id: {current_delivery_stream_version_id} do not match")
        if destination_id != DESTINATION_ID:
            raise E.InvalidArgumentError(f"Destination Id {destination_id} not found")
        chosen = [(k, v) for k, v in updates.items() if v]
        if len(chosen) != 1:
            raise E.InvalidArgumentError("Exactly one destination update is supported.")
        kind, update = chosen[0]
        current = stream.destination
        if kind == "S3" and current.kind == "ExtendedS3":
            kind = "ExtendedS3"  # the legacy S3 update changes the common fields of an ExtendedS3 destination
        if kind != current.kind:
            raise E.InvalidArgumentError(f"Changing the destination type from {current.kind} to {kind} is not supported.")
        update = {("S3Configuration" if k == "S3Update" else "S3BackupConfiguration" if k == "S3BackupUpdate" else k): v
                  for k, v in update.items()}
        merged = merge(current.config, update)
        partitioning.check_update(current.config, merged)
        destination = parse_destination(kind, merged)
        if stream.pipeline is not None:
            stream.pipeline.close()  # what is buffered goes out under the old version
        stream.destination = destination
        stream.version_id += 1
        stream.last_update_timestamp = self.clock.now()
        retention = stream.pipeline.source_retention if stream.pipeline is not None else None
        stream.pipeline = self._pipeline(stream)
        stream.pipeline.source_retention = retention
        if stream.poller is not None:
            stream.poller.pipeline = stream.pipeline

    def start_delivery_stream_encryption(self, stream_name: str, encryption_config: dict[str, Any]) -> None:  # type: ignore[override]
        stream = self._stream(stream_name)
        if stream.delivery_stream_type != "DirectPut":
            raise E.InvalidArgumentError(
                "Server-side encryption is only for DirectPut delivery streams: a KinesisStreamAsSource stream uses "
                "the source stream's encryption.")
        config = encryption_config or {}
        stream.encryption = {"KeyType": config.get("KeyType", "AWS_OWNED_CMK"), "Status": "ENABLED",
                             **({"KeyARN": config["KeyARN"]} if config.get("KeyARN") else {})}

    def stop_delivery_stream_encryption(self, stream_name: str) -> None:  # type: ignore[override]
        stream = self._stream(stream_name)
        stream.encryption = {"Status": "DISABLED"}

