"""A delivery stream's destination configuration: the docs' rules, defaults, and the Describe view.

``parse_destination(kind, config, source)`` checks what the API model cannot express (kinesis-facts
7.3-7.6) and returns a ``Destination`` whose ``.description()`` is the destination as
DescribeDeliveryStream shows it, with the service's defaults filled in (BufferingHints 5 MiB /
300 s, CompressionFormat UNCOMPRESSED, NoEncryption, logging off, S3BackupMode Disabled).

Buffering ranges (size MiB, interval s) per destination, FH-API:

==========================  ===========  ===========
destination                 size         interval
==========================  ===========  ===========
S3 / ExtendedS3 / Iceberg   1-128 (5)    0-900 (300)
HTTP endpoint               1-64 (5)     0-900 (300)
OpenSearch (Elasticsearch)  1-100 (5)    0-900 (300)
Splunk                      1-5 (5)      0-60 (60)
Snowflake                   1-128 (128)  0-900 (0)
==========================  ===========  ===========

With format conversion on, SizeInMBs cannot be below 64 (default 128) and CompressionFormat must stay
UNCOMPRESSED. Redshift staging allows only UNCOMPRESSED or GZIP.
"""

from __future__ import annotations

import copy
from typing import Any

from labsim import quotas

from . import conversion, opensearch, prefixes, processing, redshift_config, splunk
from .backup import backed_by_s3
from .errors import InvalidArgumentError

#: kind -> (size min, size max, size default, interval min, interval max, interval default)
BUFFER_RANGES = {
    "S3": (1, 128, 5, 0, 900, 300),
    "ExtendedS3": (quotas.FIREHOSE_BUFFER_SIZE_MIB_MIN, quotas.FIREHOSE_BUFFER_SIZE_MIB_MAX,
                   quotas.FIREHOSE_BUFFER_SIZE_MIB_DEFAULT, quotas.FIREHOSE_BUFFER_INTERVAL_MIN,
                   quotas.FIREHOSE_BUFFER_INTERVAL_MAX, quotas.FIREHOSE_BUFFER_INTERVAL_DEFAULT),
    "Iceberg": (1, 128, 5, 0, 900, 300),
    "HttpEndpoint": (quotas.FIREHOSE_BUFFER_SIZE_MIB_MIN, quotas.FIREHOSE_HTTP_BUFFER_SIZE_MIB_MAX,
                     quotas.FIREHOSE_HTTP_BUFFER_SIZE_MIB_DEFAULT, 0, 900, quotas.FIREHOSE_HTTP_BUFFER_INTERVAL_DEFAULT),
    "Elasticsearch": (1, 100, 5, 0, 900, 300),
    "Splunk": (1, 5, 5, 0, 60, 60),
    "Snowflake": (1, 128, 128, 0, 900, 0),
    # issue 12, part C (labsim.firehose.opensearch, .splunk)
    "Amazonopensearchservice": (1, quotas.FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_MAX, quotas.FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_DEFAULT,
                                0, 900, quotas.FIREHOSE_OPENSEARCH_BUFFER_INTERVAL_DEFAULT),
    "AmazonOpenSearchServerless": (1, quotas.FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_MAX, quotas.FIREHOSE_OPENSEARCH_BUFFER_SIZE_MIB_DEFAULT,
                                   0, 900, quotas.FIREHOSE_OPENSEARCH_BUFFER_INTERVAL_DEFAULT),
}
#: Destinations whose delivery labsim simulates today; the others are issue 12's.
DELIVERED = ("S3", "ExtendedS3", "HttpEndpoint", "Amazonopensearchservice", "Elasticsearch", "AmazonOpenSearchServerless",
             "Splunk", "Redshift")


class Destination:
    """One destination's settings as the delivery pipeline reads them."""

    __slots__ = ("kind", "config", "size_bytes", "interval", "compression", "prefix", "error_prefix",
                 "time_zone", "file_extension", "bucket", "backup")

    def __init__(self, kind: str, config: dict[str, Any]) -> None:
        self.kind = kind
        self.config = config
        hints = config.get("BufferingHints") or config["S3Configuration"]["BufferingHints"]  # Redshift: staging's
        self.size_bytes = hints["SizeInMBs"] * quotas.MiB
        self.interval = hints["IntervalInSeconds"]
        s3 = config if kind in ("S3", "ExtendedS3") else config.get("S3Configuration", {})
        self.bucket = s3.get("BucketARN", "").split(":::", 1)[-1]
        self.compression = s3.get("CompressionFormat", "UNCOMPRESSED")
        self.prefix = s3.get("Prefix", "") or ""
        self.error_prefix = s3.get("ErrorOutputPrefix") or None
        self.time_zone = config.get("CustomTimeZone") or "UTC"
        self.file_extension = config.get("FileExtension")
        self.backup = config.get("S3BackupMode", "Disabled" if kind != "HttpEndpoint" else "FailedDataOnly")

    def extension(self) -> str:
        if self.file_extension is not None:
            return self.file_extension
        return prefixes.EXTENSIONS.get(self.compression, "")

    def description(self, destination_id: str) -> dict[str, Any]:
        """The DestinationDescription DescribeDeliveryStream returns."""
        c = copy.deepcopy(self.config)
        out: dict[str, Any] = {"DestinationId": destination_id}
        if self.kind in ("S3", "ExtendedS3"):
            s3 = {k: c[k] for k in ("RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints",
                                    "CompressionFormat", "EncryptionConfiguration", "CloudWatchLoggingOptions") if k in c}
            out["S3DestinationDescription"] = s3
            if self.kind == "ExtendedS3":
                if "S3BackupConfiguration" in c:
                    c["S3BackupDescription"] = _s3_description(c.pop("S3BackupConfiguration"))
                out["ExtendedS3DestinationDescription"] = c
        elif self.kind == "HttpEndpoint":
            endpoint = c.get("EndpointConfiguration", {})
            endpoint.pop("AccessKey", None)  # a secret: never echoed back
            c["S3DestinationDescription"] = _s3_description(c.pop("S3Configuration"))
            out["HttpEndpointDestinationDescription"] = c
        elif self.kind == "Redshift":
            out["RedshiftDestinationDescription"] = redshift_config.description(c, _s3_description)
        elif self.kind in opensearch.KINDS:
            out.update(opensearch.description(self.kind, c, _s3_description))
        elif self.kind == "Splunk":
            out.update(splunk.description(c, _s3_description))
        else:
            out[f"{self.kind}DestinationDescription"] = c
        return out


def _s3_description(s3: dict[str, Any]) -> dict[str, Any]:
    s3 = dict(s3)
    s3.setdefault("BufferingHints", {"SizeInMBs": 5, "IntervalInSeconds": 300})
    s3.setdefault("CompressionFormat", "UNCOMPRESSED")
    s3.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    s3.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    return s3


def _hints(kind: str, given: dict[str, Any] | None, conversion: bool) -> dict[str, int]:
    lo_s, hi_s, def_s, lo_i, hi_i, def_i = BUFFER_RANGES[kind]
    given = given or {}
    if conversion:
        lo_s, def_s = quotas.FIREHOSE_CONVERSION_BUFFER_SIZE_MIB_MIN, quotas.FIREHOSE_CONVERSION_BUFFER_SIZE_MIB_DEFAULT
    size = given.get("SizeInMBs", def_s)
    interval = given.get("IntervalInSeconds", def_i)
    if not lo_s <= size <= hi_s:
        why = " when DataFormatConversionConfiguration is enabled" if conversion else ""
        raise InvalidArgumentError(
            f"BufferingHints.SizeInMBs must be between {lo_s} and {hi_s} for a {kind} destination{why}; got {size}."
        )
    if not lo_i <= interval <= hi_i:
        raise InvalidArgumentError(
            f"BufferingHints.IntervalInSeconds must be between {lo_i} and {hi_i} for a {kind} destination; got {interval}."
        )
    return {"SizeInMBs": size, "IntervalInSeconds": interval}


def parse_destination(kind: str, config: dict[str, Any]) -> Destination:
    """Check one destination configuration (Create or the merged Update) and fill in defaults."""
    c = copy.deepcopy(config)
    if kind in ("S3", "ExtendedS3"):
        converting = kind == "ExtendedS3" and conversion.enabled(c)
        c["BufferingHints"] = _hints(kind, c.get("BufferingHints"), converting)
        c.setdefault("CompressionFormat", "UNCOMPRESSED")
        if converting and c["CompressionFormat"] != "UNCOMPRESSED":
            raise InvalidArgumentError(
                "CompressionFormat must be UNCOMPRESSED when DataFormatConversionConfiguration is enabled: "
                "the Parquet/ORC serializer compresses the columns itself."
            )
        c.setdefault("Prefix", "")
        c.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
        c.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
        if kind == "ExtendedS3":
            c.setdefault("S3BackupMode", "Disabled")
            if converting:
                conversion.check_configuration(c)
        dynamic = bool((c.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False))
        prefixes.check_prefixes(c.get("Prefix", ""), c.get("ErrorOutputPrefix"), c.get("CustomTimeZone") or "UTC", dynamic)
        if kind == "ExtendedS3":  # processors, dynamic partitioning, source backup: labsim.firehose.processing
            from . import partitioning

            partitioning.check(c, set(processing.check(c).params))
            if c["S3BackupMode"] == "Enabled" and not c.get("S3BackupConfiguration"):
                raise InvalidArgumentError("S3BackupMode Enabled needs an S3BackupConfiguration (the backup bucket).")
    elif kind == "HttpEndpoint":
        c["BufferingHints"] = _hints(kind, c.get("BufferingHints"), False)
        processing.check(c, kind)
        c.setdefault("RequestConfiguration", {"ContentEncoding": "NONE"})
        c["RequestConfiguration"].setdefault("ContentEncoding", "NONE")
        backed_by_s3(c, quotas.FIREHOSE_HTTP_RETRY_SECONDS_DEFAULT, "FailedDataOnly")
    elif kind in opensearch.KINDS or kind == "Splunk":
        c["BufferingHints"] = _hints(kind, c.get("BufferingHints"), False)
        c = opensearch.parse(kind, c) if kind in opensearch.KINDS else splunk.parse(c)
        processing.check(c, kind)
    elif kind in BUFFER_RANGES:
        c["BufferingHints"] = _hints(kind, c.get("BufferingHints"), False)
        raise InvalidArgumentError(
            f"labsim does not deliver to {kind} yet (issue 12): use an ExtendedS3 or HttpEndpoint destination."
        )
    elif kind == "Redshift":
        c = redshift_config.check_configuration(c, lambda s3: _hints("S3", s3.get("BufferingHints"), False))
        processing.check(c, kind)
    else:
        raise InvalidArgumentError(f"labsim does not deliver to {kind} yet (issue 12).")
    return Destination(kind, c)


def merge(old: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """UpdateDestination merges the given fields into the existing configuration (nested dicts too)."""
    out = copy.deepcopy(old)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
